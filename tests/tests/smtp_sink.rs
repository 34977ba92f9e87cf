//! The SMTP sink the suites receive mail on, checked with the client Steward sends with.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use steward_tests::smtp::SmtpSink;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);
const LINK: &str = "http://127.0.0.1:8080/reset-password?token=abc123";

/// A plain SMTP client to the sink's port, as Steward builds one for `smtp://127.0.0.1:PORT?tls=none`.
fn transport(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(5)))
        .build()
}

fn mailbox(address: &str) -> Mailbox {
    address.parse().expect("mailbox")
}

fn plain(to: &str, subject: &str) -> Message {
    Message::builder()
        .from(mailbox("Steward <noreply@steward.test>"))
        .to(mailbox(to))
        .subject(subject)
        .body(format!("{subject}\r\n"))
        .expect("message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_a_multipart_mail() {
    let sink = SmtpSink::start().await;
    let text = format!("Hello Zoë,\n\nreset your password at {LINK}.\n.a line with a leading dot\n.\nBye\n");
    let html = format!("<p>Hello Zoë, <a href=\"{LINK}\">reset your password</a>.</p>");
    let message = Message::builder()
        .from(mailbox("Stéward <noreply@steward.test>"))
        .to(mailbox("Zoë <Zoe@Example.test>"))
        .cc(mailbox("audit@example.test"))
        .subject("Réinitialisez votre mot de passe ✉")
        .multipart(MultiPart::alternative_plain_html(text.clone(), html.clone()))
        .expect("message");
    transport(sink.port()).send(message).await.expect("send");

    let mail = sink.wait_for("zoe@example.test", WAIT).await;
    assert_eq!(mail.envelope_from, "noreply@steward.test");
    assert_eq!(mail.envelope_to, ["Zoe@Example.test", "audit@example.test"]);
    assert_eq!(mail.subject, "Réinitialisez votre mot de passe ✉");
    assert_eq!(mail.header("subject"), [mail.subject.clone()]);
    assert!(
        mail.from.contains("Stéward") && mail.from.contains("<noreply@steward.test>"),
        "{}",
        mail.from
    );
    assert!(mail.to.contains("Zoe@Example.test"), "{}", mail.to);
    assert_eq!(mail.text.replace("\r\n", "\n").trim_end(), text.trim_end());
    assert_eq!(mail.html.as_deref().map(str::trim_end), Some(html.as_str()));
    assert_eq!(mail.link("/reset-password"), LINK);
    assert_eq!(mail.token("/reset-password"), "abc123");
    assert!(mail.raw.contains("\r\n\r\n"), "the raw message keeps its line ends");
    assert_eq!(mail.headers.first().map(|(name, _)| name.as_str()), Some("From"));

    assert_eq!(mail.header("cc"), ["audit@example.test"]);
    assert!(
        mail.raw.contains("\r\n.a line with a leading dot\r\n.\r\nBye"),
        "dot-unstuffed: {}",
        mail.raw
    );
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_returns_each_mail_once() {
    let sink = SmtpSink::start().await;
    let transport = transport(sink.port());
    for subject in ["first", "second", "third"] {
        transport.send(plain("ada@example.test", subject)).await.expect("send");
    }
    assert_eq!(sink.wait_for("ADA@example.test", WAIT).await.subject, "first");
    assert_eq!(sink.wait_for("ada@example.test", WAIT).await.subject, "second");
    assert_eq!(sink.wait_for_count(3, WAIT).await.len(), 3);
    assert_eq!(sink.wait_for("ada@example.test", WAIT).await.text.trim_end(), "third");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "no new mail to nobody@example.test")]
async fn wait_for_times_out_with_what_was_received() {
    let sink = SmtpSink::start().await;
    transport(sink.port())
        .send(plain("ada@example.test", "hello"))
        .await
        .expect("send");
    sink.wait_for("nobody@example.test", Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_then_accepts() {
    let sink = SmtpSink::start().await;
    sink.refuse_next(1);
    let transport = transport(sink.port());
    let error = transport
        .send(plain("ada@example.test", "refused"))
        .await
        .expect_err("refused");
    assert!(error.is_transient(), "{error}");
    transport
        .send(plain("ada@example.test", "accepted"))
        .await
        .expect("send");
    assert_eq!(sink.wait_for("ada@example.test", WAIT).await.subject, "accepted");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_and_starts_again_on_the_same_port() {
    let port = SmtpSink::free_port();
    let transport = transport(port);
    transport
        .send(plain("ada@example.test", "down"))
        .await
        .expect_err("nothing listens yet");

    let sink = SmtpSink::start_on(port).await;
    assert_eq!(
        (sink.port(), sink.url()),
        (port, format!("smtp://127.0.0.1:{port}?tls=none"))
    );
    transport.send(plain("ada@example.test", "up")).await.expect("send");
    assert_eq!(sink.wait_for("ada@example.test", WAIT).await.subject, "up");
    let mut open = BufReader::new(TcpStream::connect(("127.0.0.1", port)).await.expect("connect"));
    assert!(say(&mut open, "").await.starts_with("220 "));
    sink.stop().await;
    assert_eq!(say(&mut open, "").await, "", "stop closes open connections");
    transport
        .send(plain("ada@example.test", "down again"))
        .await
        .expect_err("stopped");

    let sink = SmtpSink::start_on(port).await;
    transport
        .send(plain("ada@example.test", "up again"))
        .await
        .expect("send");
    assert_eq!(sink.wait_for("ada@example.test", WAIT).await.subject, "up again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_from_several_connections_at_once() {
    let sink = SmtpSink::start().await;
    let transport = transport(sink.port());
    let sends = (0..6).map(|n| transport.send(plain(&format!("user{n}@example.test"), &format!("mail {n}"))));
    for sent in futures::future::join_all(sends).await {
        sent.expect("send");
    }
    assert_eq!(sink.wait_for_count(6, WAIT).await.len(), 6);
    assert_eq!(sink.wait_for("user4@example.test", WAIT).await.subject, "mail 4");
}

/// Sends `command` (unless empty) and reads one reply, all its lines.
async fn say(connection: &mut BufReader<TcpStream>, command: &str) -> String {
    if !command.is_empty() {
        connection
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .expect("write");
    }
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        connection.read_line(&mut line).await.expect("read");
        reply.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return reply;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speaks_smtp_with_several_transactions_per_connection() {
    let sink = SmtpSink::start().await;
    let mut connection = BufReader::new(TcpStream::connect(("127.0.0.1", sink.port())).await.expect("connect"));
    assert!(say(&mut connection, "").await.starts_with("220 "));
    let ehlo = say(&mut connection, "EHLO client.test").await;
    assert!(
        ehlo.starts_with("250-") && ehlo.contains("8BITMIME") && ehlo.contains("250 SMTPUTF8"),
        "{ehlo}"
    );
    assert!(!ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    assert!(say(&mut connection, "DATA").await.starts_with("503 "));

    for (n, to) in ["a@example.test", "b@example.test"].into_iter().enumerate() {
        assert!(say(&mut connection, "MAIL FROM:<sender@example.test> BODY=8BITMIME")
            .await
            .starts_with("250 "));
        assert!(say(&mut connection, &format!("RCPT TO:<{to}>"))
            .await
            .starts_with("250 "));
        assert!(say(&mut connection, "DATA").await.starts_with("354 "));
        let body = format!("Subject: number {n}\r\n\r\nline\r\n..dotted\r\n.");
        assert!(say(&mut connection, &body).await.starts_with("250 "), "after the data");
    }
    assert!(say(&mut connection, "MAIL FROM:<sender@example.test>")
        .await
        .starts_with("250 "));
    assert!(say(&mut connection, "RSET").await.starts_with("250 "));
    assert!(say(&mut connection, "NOOP").await.starts_with("250 "));
    assert!(say(&mut connection, "VRFY someone").await.starts_with("502 "));
    assert!(say(&mut connection, "QUIT").await.starts_with("221 "));

    let mail = sink.messages();
    assert_eq!(mail.len(), 2);
    assert_eq!(
        (mail[1].envelope_from.as_str(), mail[1].envelope_to.clone()),
        ("sender@example.test", vec!["b@example.test".to_owned()])
    );
    assert_eq!(
        (mail[1].subject.as_str(), mail[1].text.as_str()),
        ("number 1", "line\r\n.dotted\r\n")
    );
}

//! A small SMTP server on 127.0.0.1 that receives the mail Steward sends, for tests to read.
//!
//! It speaks plain SMTP (no STARTTLS, no AUTH): EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT,
//! several transactions per connection and several connections at once. Received messages are
//! decoded with `mail-parser`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{HeaderName, MessageParser};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// A running SMTP server. Clones share the server and its mailbox; it runs until [`SmtpSink::stop`]
/// or the end of the test's runtime.
#[derive(Clone)]
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    /// Every message received, in order.
    mail: watch::Sender<Vec<ReceivedMail>>,
    /// The indexes in `mail` that [`SmtpSink::wait_for`] has returned.
    claimed: Mutex<HashSet<usize>>,
    /// How many more DATA commands to answer with a transient failure.
    refuse: AtomicUsize,
    /// Stops the accept loop, and the loop itself.
    server: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl SmtpSink {
    /// Starts a server on a free port.
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// Starts a server on `port`, as when a mail server comes back up.
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|error| panic!("bind the SMTP sink to port {port}: {error}"));
        let port = listener.local_addr().expect("SMTP sink address").port();
        let shared = Arc::new(Shared {
            mail: watch::channel(Vec::new()).0,
            claimed: Mutex::default(),
            refuse: AtomicUsize::new(0),
            server: Mutex::default(),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, shared.clone(), stopped));
        *shared.server.lock().unwrap() = Some((stop, task));
        SmtpSink { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL for Steward's SMTP setting.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// A port nothing listens on yet, for a mail server that is down (and may start later).
    pub fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        listener.local_addr().expect("local address").port()
    }

    /// Everything received so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.mail.borrow().clone()
    }

    /// The first message for envelope recipient `to` (case-insensitive) that no earlier call has
    /// returned, waiting up to `timeout` for it to arrive.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> ReceivedMail {
        self.wait_for_subject(to, "", timeout).await
    }

    /// As [`SmtpSink::wait_for`], for the first such message whose subject contains `subject`;
    /// others to the same recipient stay unclaimed.
    pub async fn wait_for_subject(&self, to: &str, subject: &str, timeout: Duration) -> ReceivedMail {
        let mut found = None;
        let mut receiver = self.shared.mail.subscribe();
        let arrived = receiver.wait_for(|mail| {
            let mut claimed = self.shared.claimed.lock().unwrap();
            let index = (0..mail.len()).find(|index| {
                !claimed.contains(index)
                    && mail[*index].envelope_to.iter().any(|r| r.eq_ignore_ascii_case(to))
                    && mail[*index].subject.contains(subject)
            });
            found = index.map(|index| {
                claimed.insert(index);
                mail[index].clone()
            });
            found.is_some()
        });
        if tokio::time::timeout(timeout, arrived).await.is_err() {
            panic!("no new mail to {to} within {timeout:?}; received: {}", self.summary());
        }
        found.expect("a matching message")
    }

    /// The first `n` messages (or more, if more arrived), waiting up to `timeout` for them.
    pub async fn wait_for_count(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut receiver = self.shared.mail.subscribe();
        let mail = match tokio::time::timeout(timeout, receiver.wait_for(|mail| mail.len() >= n)).await {
            Ok(Ok(mail)) => mail.clone(),
            _ => panic!(
                "fewer than {n} messages within {timeout:?}; received: {}",
                self.summary()
            ),
        };
        mail
    }

    /// Stops listening and closes every open connection.
    pub async fn stop(self) {
        let server = self.shared.server.lock().unwrap().take();
        if let Some((stop, task)) = server {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// Answers the next `n` DATA commands with `451 4.3.0 try again later`, a transient failure.
    pub fn refuse_next(&self, n: usize) {
        self.shared.refuse.store(n, Ordering::SeqCst);
    }

    /// The received messages, one a line, for failure messages.
    fn summary(&self) -> String {
        let mail = self.shared.mail.borrow();
        if mail.is_empty() {
            return "nothing".to_owned();
        }
        let lines = mail.iter().map(|m| {
            format!(
                "\n  {} -> {}: {:?}",
                m.envelope_from,
                m.envelope_to.join(", "),
                m.subject
            )
        });
        lines.collect()
    }
}

impl Shared {
    /// Whether to refuse this DATA command, counting it if so.
    fn take_refusal(&self) -> bool {
        let counted = self
            .refuse
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        counted.is_ok()
    }
}

/// Accepts connections, one task each, until told to stop; then closes them all.
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(session(stream, shared.clone()));
                }
            }
            Some(_) = connections.join_next() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// One SMTP connection. Any network error ends it.
async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    let (mut from, mut to) = (None::<String>, Vec::<String>::new());
    writer.write_all(b"220 127.0.0.1 ESMTP test sink\r\n").await?;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => "250-127.0.0.1\r\n250-8BITMIME\r\n250 SMTPUTF8",
            "HELO" => "250 127.0.0.1",
            "MAIL" => {
                (from, to) = (Some(address(&command)), Vec::new());
                "250 2.1.0 OK"
            }
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first",
            "RCPT" => {
                to.push(address(&command));
                "250 2.1.5 OK"
            }
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first",
            "DATA" if shared.take_refusal() => {
                (from, to) = (None, Vec::new());
                "451 4.3.0 try again later"
            }
            "DATA" => {
                writer.write_all(b"354 end data with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(&mut reader).await?;
                let mail = ReceivedMail::parse(from.take().unwrap_or_default(), std::mem::take(&mut to), &data);
                shared.mail.send_modify(|received| received.push(mail));
                "250 2.0.0 OK queued"
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 2.0.0 OK"
            }
            "NOOP" => "250 2.0.0 OK",
            "QUIT" => {
                writer.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented",
        };
        writer.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The message after DATA, up to the line with a lone `.`, dot-unstuffed.
async fn read_data(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Vec<u8>> {
    let (mut data, mut line) = (Vec::new(), Vec::new());
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match line.as_slice() {
            b".\r\n" | b".\n" => return Ok(data),
            [b'.', rest @ ..] => data.extend_from_slice(rest),
            whole => data.extend_from_slice(whole),
        }
    }
}

/// The address in `MAIL FROM:<a@b> PARAMS` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let after_colon = command.split_once(':').map_or("", |(_, rest)| rest).trim_start();
    match after_colon.strip_prefix('<').and_then(|rest| rest.split_once('>')) {
        Some((address, _)) => address.to_owned(),
        None => after_colon.split(' ').next().unwrap_or_default().to_owned(),
    }
}

/// A message as received: its envelope, its raw text and its decoded parts.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed.
    pub raw: String,
    /// Header names as sent, and their values unfolded and decoded, in order.
    pub headers: Vec<(String, String)>,
    pub subject: String,
    pub from: String,
    pub to: String,
    /// The text/plain body (or the HTML body as text, if there is none).
    pub text: String,
    pub html: Option<String>,
}

impl ReceivedMail {
    fn parse(envelope_from: String, envelope_to: Vec<String>, data: &[u8]) -> Self {
        let message = MessageParser::default().parse(data);
        // Every header as unstructured text, unfolded and RFC 2047 decoded. (A parser with no
        // header of its own set uses the built-in parser per header, hence `From`.)
        let as_text = MessageParser::new().header_text(HeaderName::From).default_header_text();
        let headers: Vec<(String, String)> = as_text.parse_headers(data).map_or_else(Vec::new, |parsed| {
            let raw = parsed.raw_message();
            let name = |h: &mail_parser::Header| {
                String::from_utf8_lossy(&raw[h.offset_field() as usize..h.offset_start() as usize])
            };
            let text = |h: &mail_parser::Header| h.value().as_text().unwrap_or_default().to_owned();
            parsed
                .headers()
                .iter()
                .map(|h| (name(h).split(':').next().unwrap_or_default().trim().to_owned(), text(h)))
                .collect()
        });
        let first = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        Self {
            subject: message
                .as_ref()
                .and_then(|m| m.subject())
                .unwrap_or_default()
                .to_owned(),
            from: first("From").unwrap_or_default(),
            to: first("To").unwrap_or_default(),
            text: message
                .as_ref()
                .and_then(|m| m.body_text(0))
                .unwrap_or_default()
                .into_owned(),
            html: message
                .as_ref()
                .and_then(|m| m.html_part(0))
                .filter(|part| part.is_text_html())
                .and_then(|part| part.text_contents())
                .map(str::to_owned),
            raw: String::from_utf8_lossy(data).into_owned(),
            headers,
            envelope_from,
            envelope_to,
        }
    }

    /// All values of header `name` (case-insensitive), in order.
    pub fn header(&self, name: &str) -> Vec<String> {
        let values = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        values.map(|(_, value)| value.clone()).collect()
    }

    /// The first URL in the text body whose path starts with `path`, e.g. `/reset-password`.
    pub fn link(&self, path: &str) -> String {
        let words = self.text.split(|c: char| c.is_whitespace() || "<>\"'()[]".contains(c));
        let urls = words.filter(|word| word.starts_with("http://") || word.starts_with("https://"));
        let mut urls = urls.map(|url| url.trim_end_matches(['.', ',', ';', ':', '!', '?']));
        match urls.find(|url| reqwest::Url::parse(url).is_ok_and(|parsed| parsed.path().starts_with(path))) {
            Some(url) => url.to_owned(),
            None => panic!(
                "no link to {path} in the mail {:?} to {:?}:\n{}",
                self.subject, self.envelope_to, self.text
            ),
        }
    }

    /// The (percent-decoded) `token` query parameter of [`ReceivedMail::link`]`(path)`.
    pub fn token(&self, path: &str) -> String {
        let link = self.link(path);
        let url = reqwest::Url::parse(&link).expect("a parsed link");
        let token = url.query_pairs().find(|(name, _)| name == "token");
        token.unwrap_or_else(|| panic!("no token in {link}")).1.into_owned()
    }
}

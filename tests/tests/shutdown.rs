//! Stopping the real `steward` binary with SIGTERM: it stops accepting, lets the requests in
//! flight finish, lets the mail worker finish the message it is sending, and exits; no mail is
//! lost or sent twice.

use sea_orm::EntityTrait;
use serde_json::json;
use std::time::Duration;
use steward_entity::outbox_mail;
use steward_tests::process::Site;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "Quiet-Harbor-Lantern-41";

/// How many requests the server has begun, as its log says.
fn requests_begun(site: &Site) -> usize {
    site.log("serve.log").matches("started processing request").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_requests_in_flight_finish_and_loses_no_mail() {
    let site = Site::new().await;
    site.run(
        &["create-admin", "--email", "root@example.com", "--password", PASSWORD],
        "create-admin.log",
    );
    let mut steward = site.serve("serve.log").await;
    let login =
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";
    let (signed_in, _) = steward
        .gql(
            None,
            login,
            json!({ "email": "root@example.com", "password": PASSWORD }),
        )
        .await;
    let root = signed_in["login"]["accessToken"].as_str().unwrap().to_owned();
    let (org, _) = steward
        .gql(
            Some(&root),
            "mutation { createOrganization(input: { slug: \"acme\", name: \"Acme\" }) { id } }",
            json!({}),
        )
        .await;
    // A mail queued in the transaction of the change that caused it.
    let invite = "mutation($org: ID!) { inviteMember(orgId: $org, email: \"ada@acme.test\") { id } }";
    steward
        .gql(Some(&root), invite, json!({ "org": org["createOrganization"]["id"] }))
        .await;

    // A request in flight: its headers and half its body sent, and begun by the server.
    let body = json!({
        "query": login,
        "variables": { "email": "root@example.com", "password": PASSWORD },
    })
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let begun = requests_begun(&site);
    let mut connection = tokio::net::TcpStream::connect(("127.0.0.1", site.port)).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    connection.write_all(first.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    while requests_begun(&site) == begun {
        assert!(started.elapsed() < Duration::from_secs(20), "the request never began");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    steward.terminate();
    connection.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("accessToken"), "{answer}");
    let status = steward.exit(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}: {}", site.log("serve.log"));

    // The invitation was sent, or it waits unclaimed: never claimed and left unsent.
    let database = sea_orm::Database::connect(site.database_url()).await.unwrap();
    let mails = outbox_mail::Entity::find().all(&database).await.unwrap();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.status == "SENT" || (mail.status == "PENDING" && mail.lease_owner.is_none()),
        "{mail:?}"
    );
    if mail.status == "PENDING" {
        let _again = site.serve("again.log").await;
        site.sink.wait_for("ada@acme.test", Duration::from_secs(20)).await;
    }
    // Sent exactly once.
    let sent: Vec<_> = site
        .sink
        .messages()
        .into_iter()
        .filter(|message| message.envelope_to.iter().any(|to| to == "ada@acme.test"))
        .collect();
    assert_eq!(sent.len(), 1);
}

//! The logs of the real `steward` binary: JSON lines when `STEWARD_LOG_FORMAT=json`, every line of
//! a request carrying its id (which the client gets as `X-Request-Id`), and never a password, a
//! token or a link's secret, through sign-in, invitation and password reset.

use serde_json::{json, Value};
use std::time::Duration;
use steward_tests::process::Site;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_carry_request_ids_and_hold_no_secret() {
    let site = Site::new().await;
    let root_password = "Quiet-Harbor-Lantern-41";
    site.run(
        &[
            "create-admin",
            "--email",
            "root@example.com",
            "--password",
            root_password,
        ],
        "create-admin.log",
    );
    let steward = site.serve("serve.log").await;

    let mut secrets: Vec<String> = vec![root_password.to_owned()];
    let mut request_ids = Vec::new();
    let login = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }";
    let (signed_in, id) = steward
        .gql(
            None,
            login,
            json!({ "email": "root@example.com", "password": root_password }),
        )
        .await;
    request_ids.push(id);
    let root = signed_in["login"]["accessToken"].as_str().unwrap().to_owned();
    secrets.push(root.clone());
    secrets.push(signed_in["login"]["refreshToken"].as_str().unwrap().to_owned());

    let (org, _) = steward
        .gql(
            Some(&root),
            "mutation { createOrganization(input: { slug: \"acme\", name: \"Acme\" }) { id } }",
            json!({}),
        )
        .await;
    let org = org["createOrganization"]["id"].as_str().unwrap().to_owned();
    let invite = "mutation($org: ID!) { inviteMember(orgId: $org, email: \"ada@acme.test\") { id } }";
    steward.gql(Some(&root), invite, json!({ "org": org })).await;
    let invitation = site.sink.wait_for("ada@acme.test", Duration::from_secs(20)).await;
    let token = invitation.token("/accept-invitation");
    secrets.push(token.clone());
    let password = "Copper-Meadow-Violin-73";
    secrets.push(password.to_owned());
    let accept = "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { accessToken refreshToken } }";
    let (accepted, _) = steward
        .gql(None, accept, json!({ "token": token, "password": password }))
        .await;
    secrets.push(accepted["acceptInvitation"]["accessToken"].as_str().unwrap().to_owned());
    secrets.push(
        accepted["acceptInvitation"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    let forgot = "mutation { requestPasswordReset(email: \"ada@acme.test\") }";
    steward.gql(None, forgot, json!({})).await;
    let reset_mail = site.sink.wait_for("ada@acme.test", Duration::from_secs(20)).await;
    let reset_token = reset_mail.token("/reset-password");
    secrets.push(reset_token.clone());
    let new_password = "Silver-Canyon-Orbit-19";
    secrets.push(new_password.to_owned());
    let reset =
        "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";
    steward
        .gql(None, reset, json!({ "token": reset_token, "password": new_password }))
        .await;
    let (again, id) = steward
        .gql(
            None,
            login,
            json!({ "email": "ada@acme.test", "password": new_password }),
        )
        .await;
    request_ids.push(id);
    secrets.push(again["login"]["accessToken"].as_str().unwrap().to_owned());

    drop(steward);
    let logs = site.log("serve.log") + &site.log("create-admin.log");
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}")))
        .collect();
    assert!(lines.len() > 10, "{logs}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs: {secret}");
    }
    // The lines a request logs carry its id, the one its client got back.
    for id in &request_ids {
        let of_request = lines
            .iter()
            .filter(|line| line["span"]["request_id"] == id.as_str())
            .count();
        assert!(of_request > 0, "no line carries request {id}: {logs}");
    }
}

//! The portal in a real headless Chromium: sign in, see an organization's members, and keep a
//! user out (and let them back in) through the Access panel of the user page.
//!
//! Needs the built portal (`scripts/build-portal.sh`) and Debian's `chromium` and
//! `chromium-driver` (`scripts/setup.sh --browser`); `scripts/test.sh` does both first.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use steward_tests::smtp::SmtpSink;
use steward_tests::{workspace_root, Backend, Session, TestServer, CHANGED_PASSWORD, PASSWORD};

struct ChromeDriver {
    process: Child,
    port: u16,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn chromedriver() -> ChromeDriver {
    let port = free_port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (scripts/setup.sh --browser)");
    let driver = ChromeDriver { process, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(driver: &ChromeDriver) -> Client {
    let profile = std::env::temp_dir().join(format!("steward-chromium-{}", uuid::Uuid::new_v4().simple()));
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Runs a journey in a fresh headless Chromium, which is closed whatever the journey's outcome.
async fn in_browser<T>(journey: impl AsyncFnOnce(&Client) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let driver = chromedriver().await;
    let client = browser(&driver).await;
    let result = journey(&client).await;
    let _ = client.close().await;
    result
}

fn assert_portal_built() {
    assert!(
        workspace_root().join("dist/index.html").exists(),
        "the portal is not built: run scripts/build-portal.sh (scripts/test.sh does)"
    );
}

/// Signs in through the portal's own form and waits for the signed-in shell.
async fn sign_in_through_portal(
    client: &Client,
    server: &TestServer,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    client.goto(&format!("{}/login", server.url)).await?;
    client
        .wait()
        .for_element(Locator::Id("email"))
        .await?
        .send_keys(email)
        .await?;
    client.find(Locator::Id("password")).await?.send_keys(password).await?;
    client.find(Locator::Id("sign-in")).await?.click().await?;
    client.wait().for_element(Locator::Css("header")).await?;
    Ok(())
}

/// Clicks `id` once it exists, scrolled to the middle of the window so that the sticky header
/// cannot cover it.
async fn click(client: &Client, id: &str) -> anyhow::Result<()> {
    let element = client.wait().for_element(Locator::Id(id)).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' })",
            vec![serde_json::to_value(&element)?],
        )
        .await?;
    element.click().await?;
    Ok(())
}

async fn type_into(client: &Client, id: &str, text: &str) -> anyhow::Result<()> {
    client
        .wait()
        .for_element(Locator::Id(id))
        .await?
        .send_keys(text)
        .await?;
    Ok(())
}

/// Waits until the element `id` shows text that `ready` accepts, and returns that text. The
/// element is looked up afresh each time, since the page renders anew after every action. When it
/// gives up, it leaves a screenshot of what the page showed in `target/browser-failure.png`.
async fn wait_for_text(client: &Client, id: &str, ready: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    let mut last = None;
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Id(id)).await {
            if let Ok(text) = element.text().await {
                if ready(&text) {
                    return Ok(text);
                }
                last = Some(text);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Ok(screenshot) = client.screenshot().await {
        let _ = std::fs::write(workspace_root().join("target/browser-failure.png"), screenshot);
    }
    anyhow::bail!("#{id} never showed the expected text; last seen: {last:?}")
}

/// A server on SQLite that sends its mail to a real SMTP server the test reads, its superadmin,
/// and an organization `acme`.
async fn acme_with_mail() -> (SmtpSink, TestServer, Session, String) {
    let sink = SmtpSink::start().await;
    let smtp_url = sink.url();
    let server = TestServer::start_with(Backend::Sqlite, move |config| config.smtp_url = Some(smtp_url)).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    (sink, server, admin, org)
}

const VIEWER: &str = "{ viewer { user { email } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_and_sees_the_members_table() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    server.create_user(&admin, &org, "ada@example.com", &["ADMIN"]).await;
    server.create_user(&admin, &org, "grace@example.com", &["MEMBER"]).await;

    let result = in_browser(async |client| {
        // Signed in, the superadmin lands in the portal; a reload of a deep link keeps the
        // session (the refresh cookie) and shows the organization's members.
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        let table = client.wait().for_element(Locator::Id("members-table")).await?;
        let mut text = table.text().await?;
        for _ in 0..50 {
            if text.contains("grace@example.com") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            text = table.text().await?;
        }
        let screenshot = client.screenshot().await?;
        std::fs::write(workspace_root().join("target/browser-members.png"), screenshot)?;
        Ok::<_, anyhow::Error>(text)
    })
    .await;
    let text = result.expect("the browser journey");
    assert!(text.contains("ada@example.com"), "members table: {text}");
    assert!(text.contains("grace@example.com"), "members table: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_blocks_and_unblocks_a_member_from_the_access_panel() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    let member_id = server.create_user(&admin, &org, "grace@example.com", &["MEMBER"]).await;
    let member = server.sign_in_new_user("grace@example.com").await;
    server.as_(&member, VIEWER, json!({})).await.ok();

    let result = in_browser(async |client| {
        // Tall enough for the whole Access panel to fit in the screenshot.
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/users/{member_id}", server.url)).await?;
        client.wait().for_element(Locator::Id("access-panel")).await?;
        wait_for_text(&client, "access-summary", |text| text.contains("Can sign in now")).await?;
        wait_for_text(&client, "user-blocked-state", |text| text.contains("Not blocked")).await?;

        click(&client, "block-user").await?;
        type_into(&client, "block-reason", "Laptop reported stolen").await?;
        click(&client, "confirm-block").await?;
        let state = wait_for_text(&client, "user-blocked-state", |text| text.starts_with("Blocked")).await?;
        let summary = wait_for_text(&client, "access-summary", |text| text.contains("Cannot sign in")).await?;
        // The token the member already holds is refused on the very next request.
        let refused = server.as_(&member, VIEWER, json!({})).await;
        // The whole panel, however long, rather than the window.
        let panel = client.find(Locator::Id("access-panel")).await?;
        std::fs::write(
            workspace_root().join("target/browser-access.png"),
            panel.screenshot().await?,
        )?;

        click(&client, "unblock-user").await?;
        wait_for_text(&client, "user-blocked-state", |text| text.contains("Not blocked")).await?;
        let after = wait_for_text(&client, "access-summary", |text| text.contains("Can sign in now")).await?;
        Ok::<_, anyhow::Error>((state, summary, refused, after))
    })
    .await;
    let (state, summary, refused, after) = result.expect("the browser journey");
    assert!(state.contains("Laptop reported stolen"), "blocked state: {state}");
    assert!(summary.contains("Laptop reported stolen"), "summary: {summary}");
    assert!(
        matches!(refused.code(), "USER_BLOCKED" | "UNAUTHENTICATED"),
        "a blocked member's token: {:#?}",
        refused.errors
    );
    assert!(after.contains("Can sign in now"), "summary after unblocking: {after}");
    let user = server
        .as_(
            &admin,
            "query($id: ID!) { user(id: $id) { blocked blockedReason } }",
            json!({ "id": member_id }),
        )
        .await;
    assert_eq!(user.ok()["user"], json!({ "blocked": false, "blockedReason": null }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_lifts_a_lockout_suspends_and_ends_sessions_from_the_access_panel() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let acme = server.create_org(&admin, "acme").await;
    let beta = server.create_org(&admin, "beta").await;
    let policy = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { lockout: { maxFailedAttempts: 2, lockoutSeconds: 0 } } }) { id } }";
    server.as_(&admin, policy, json!({ "id": acme })).await.ok();
    let member_id = server
        .create_user(&admin, &acme, "grace@example.com", &["MEMBER"])
        .await;
    let member = server.sign_in_new_user("grace@example.com").await;
    for _ in 0..2 {
        server
            .login("grace@example.com", "not-the-password-at-all")
            .await
            .expect_code("INVALID_CREDENTIALS");
    }
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&admin, add, json!({ "org": beta, "user": member_id }))
        .await
        .ok();

    let result = in_browser(async |client| {
        // Tall enough for the whole Access panel to fit in the screenshot.
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/users/{member_id}", server.url)).await?;
        wait_for_text(&client, "access-summary", |text| {
            text.contains("locked out from 127.0.0.1")
        })
        .await?;
        wait_for_text(&client, "lockouts-table", |text| text.contains("Until cleared")).await?;
        wait_for_text(&client, "sessions-table", |text| text.contains("127.0.0.1")).await?;
        // The user's activity shows the failed sign-ins that locked them out.
        wait_for_text(&client, "activity-table", |text| text.contains("LOGIN_FAILED")).await?;

        click(&client, "suspend-beta").await?;
        type_into(&client, "suspend-reason-beta", "Contract ended").await?;
        click(&client, "confirm-suspend-beta").await?;
        wait_for_text(&client, "membership-status-beta", |text| text.contains("Suspended")).await?;
        wait_for_text(&client, "membership-status-acme", |text| text.contains("Active")).await?;
        wait_for_text(&client, "access-summary", |text| text.contains("suspended in Org beta")).await?;
        let panel = client.find(Locator::Id("access-panel")).await?;
        let screenshot = panel.screenshot().await?;
        std::fs::write(
            workspace_root().join("target/browser-access-restricted.png"),
            screenshot,
        )?;

        click(&client, "clear-lockouts").await?;
        wait_for_text(&client, "lockouts-table", |text| text.contains("No active lockouts")).await?;
        click(&client, "reinstate-beta").await?;
        wait_for_text(&client, "membership-status-beta", |text| text.contains("Active")).await?;
        wait_for_text(&client, "access-summary", |text| text.contains("Can sign in now")).await?;

        click(&client, "revoke-sessions").await?;
        click(&client, "confirm-revoke-sessions").await?;
        wait_for_text(&client, "sessions-table", |text| text.contains("No live sessions")).await?;
        wait_for_text(&client, "access-notice", |text| text.contains("Ended 1 session")).await?;
        let member_refused = server.as_(&member, VIEWER, json!({})).await;

        // The administrator's own "sign out everywhere" ends their sessions too, this one included.
        click(&client, "sign-out-everywhere").await?;
        click(&client, "confirm-sign-out-everywhere").await?;
        client.wait().for_url(&format!("{}/login", server.url).parse()?).await?;
        let admin_refused = server.as_(&admin, VIEWER, json!({})).await;
        Ok::<_, anyhow::Error>((member_refused, admin_refused))
    })
    .await;
    let (member_refused, admin_refused) = result.expect("the browser journey");
    member_refused.expect_code("UNAUTHENTICATED");
    admin_refused.expect_code("UNAUTHENTICATED");
    // Nothing is left holding the member back: the password works from this address again.
    server.login("grace@example.com", CHANGED_PASSWORD).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_sees_why_blocking_a_shared_user_is_refused() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let beta = server.create_org(&root, "beta").await;
    let admin = server.member(&root, &acme, "ada@example.com", &["ADMIN"]).await;
    let member_id = server.create_user(&root, &acme, "grace@example.com", &["MEMBER"]).await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&root, add, json!({ "org": beta, "user": member_id }))
        .await
        .ok();

    let result = in_browser(async |client| {
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/users/{member_id}", server.url)).await?;
        // Grace also belongs to beta, which Ada does not manage: her sessions and her identity
        // are out of Ada's hands, and the panel says so instead of failing silently.
        let sessions = wait_for_text(&client, "sessions-unavailable", |text| !text.is_empty()).await?;
        click(&client, "block-user").await?;
        click(&client, "confirm-block").await?;
        let refusal = wait_for_text(&client, "access-error", |text| !text.is_empty()).await?;
        let state = wait_for_text(&client, "user-blocked-state", |text| !text.is_empty()).await?;
        // Suspending in her own organization is Ada's to do; beta's membership is not even shown.
        let beta_listed = client.find(Locator::Id("membership-status-beta")).await.is_ok();
        click(&client, "suspend-acme").await?;
        click(&client, "confirm-suspend-acme").await?;
        wait_for_text(&client, "membership-status-acme", |text| text.contains("Suspended")).await?;
        let error_left = client.find(Locator::Id("access-error")).await.is_ok();
        Ok::<_, anyhow::Error>((sessions, refusal, state, beta_listed, error_left))
    })
    .await;
    let (sessions, refusal, state, beta_listed, error_left) = result.expect("the browser journey");
    assert!(sessions.contains("permission"), "sessions: {sessions}");
    assert!(refusal.contains("You do not have permission"), "refusal: {refusal}");
    assert!(
        refusal.contains("ask a superadmin"),
        "the server's reason is shown: {refusal}"
    );
    assert_eq!(state, "Not blocked");
    assert!(!beta_listed, "a membership outside the caller's reach is not shown");
    assert!(!error_left, "a later success clears the earlier refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superadmin_creates_an_organization_and_a_user_in_the_portal() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;

    let result = in_browser(async |client| {
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs", server.url)).await?;
        click(&client, "new-organization").await?;
        type_into(&client, "new-org-name", "Globex").await?;
        type_into(&client, "new-org-slug", "globex").await?;
        click(&client, "create-organization").await?;
        // The new organization's members page opens.
        let name = wait_for_text(&client, "organization-name", |text| text.contains("Globex")).await?;

        click(&client, "new-user").await?;
        type_into(&client, "new-user-email", "Hank@Globex.test").await?;
        type_into(&client, "new-user-name", "Hank Scorpio").await?;
        type_into(&client, "new-user-password", "A-first-passphrase-to-change").await?;
        click(&client, "create-user").await?;
        let table = wait_for_text(&client, "members-table", |text| text.contains("hank@globex.test")).await?;
        std::fs::write(
            workspace_root().join("target/browser-created.png"),
            client.screenshot().await?,
        )?;
        Ok::<_, anyhow::Error>((name, table))
    })
    .await;
    let (name, table) = result.expect("the browser journey");
    assert!(name.contains("Globex"), "{name}");
    assert!(table.contains("Hank Scorpio"), "{table}");
    // The user exists as created, and must change the initial password at first sign-in.
    let signed_in = server.login("hank@globex.test", "A-first-passphrase-to-change").await;
    assert_eq!(signed_in.ok()["login"]["passwordChangeRequired"], true);
}

/// Forgot password, the way a user meets it: the link on the sign-in page, the mail in their
/// inbox (a real SMTP server), the reset page it leads to, and signing in with the new password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_resets_a_forgotten_password_from_the_mailed_link() {
    assert_portal_built();
    let (sink, server, admin, org) = acme_with_mail().await;
    server.create_user(&admin, &org, "ada@acme.test", &["MEMBER"]).await;
    sink.wait_for_subject("ada@acme.test", "is ready", Duration::from_secs(10))
        .await; // the invitation
    let new_password = "Lantern-obelisk-quartz-drizzle";

    let result = in_browser(async |client| {
        client.goto(&format!("{}/login", server.url)).await?;
        click(&client, "forgot-password-link").await?;
        type_into(&client, "forgot-email", "ada@acme.test").await?;
        click(&client, "send-reset-link").await?;
        wait_for_text(&client, "forgot-done", |text| text.contains("If an account exists")).await?;

        let mail = sink
            .wait_for_subject("ada@acme.test", "Reset", Duration::from_secs(10))
            .await;
        client.goto(&mail.link("/reset-password")).await?;
        wait_for_text(&client, "reset-email", |text| text.contains("ada@acme.test")).await?;
        type_into(&client, "new-password", new_password).await?;
        type_into(&client, "new-password-confirm", new_password).await?;
        std::fs::write(
            workspace_root().join("target/browser-reset.png"),
            client.screenshot().await?,
        )?;
        click(&client, "reset-password-submit").await?;
        let done = wait_for_text(&client, "reset-password-done", |text| text.contains("changed")).await?;
        Ok::<_, anyhow::Error>((mail.subject, done))
    })
    .await;
    let (subject, done) = result.expect("the browser journey");
    assert!(subject.contains("Reset your"), "{subject}");
    assert!(done.contains("Sign in"), "{done}");
    server.login("ada@acme.test", new_password).await.ok();
    server
        .login("ada@acme.test", PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");
}

/// "My profile": a member edits their name and metadata, and changes their address, which takes
/// effect when they follow the link mailed to the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_edits_their_profile_and_changes_their_email() {
    assert_portal_built();
    let (sink, server, admin, org) = acme_with_mail().await;
    let member = server.member(&admin, &org, "grace@acme.test", &["MEMBER"]).await;
    sink.wait_for_subject("grace@acme.test", "is ready", Duration::from_secs(10))
        .await; // the invitation

    let result = in_browser(async |client| {
        sign_in_through_portal(&client, &server, "grace@acme.test", CHANGED_PASSWORD).await?;
        click(&client, "my-profile-link").await?;
        let name = client.wait().for_element(Locator::Id("me-name")).await?;
        name.clear().await?;
        name.send_keys("Grace Hopper").await?;
        click(&client, "save-profile").await?;
        wait_for_text(&client, "profile-saved", |text| !text.is_empty()).await?;

        let metadata = client.wait().for_element(Locator::Id("me-user-metadata")).await?;
        metadata.clear().await?;
        metadata.send_keys(r#"{"theme": "dark"}"#).await?;
        click(&client, "save-metadata").await?;
        wait_for_text(&client, "metadata-saved", |text| !text.is_empty()).await?;

        type_into(&client, "me-new-email", "grace.hopper@acme.test").await?;
        type_into(&client, "me-email-password", CHANGED_PASSWORD).await?;
        click(&client, "change-email").await?;
        wait_for_text(&client, "email-change-sent", |text| {
            text.contains("grace.hopper@acme.test")
        })
        .await?;
        std::fs::write(
            workspace_root().join("target/browser-profile.png"),
            client.screenshot().await?,
        )?;

        let mail = sink
            .wait_for_subject("grace.hopper@acme.test", "Confirm", Duration::from_secs(10))
            .await;
        client.goto(&mail.link("/verify-email")).await?;
        click(&client, "verify-email").await?;
        wait_for_text(&client, "verify-done", |text| !text.is_empty()).await?;
        Ok::<_, anyhow::Error>(())
    })
    .await;
    result.expect("the browser journey");
    let me = server
        .as_(
            &member,
            "{ viewer { user { email emailVerified name userMetadata } } }",
            json!({}),
        )
        .await;
    let user = &me.ok()["viewer"]["user"];
    assert_eq!(user["name"], "Grace Hopper");
    assert_eq!(user["userMetadata"], json!({ "theme": "dark" }));
    assert_eq!(user["email"], "grace.hopper@acme.test");
    assert_eq!(user["emailVerified"], true);
    // The old address is told.
    let notice = sink
        .wait_for_subject("grace@acme.test", "email address", Duration::from_secs(10))
        .await;
    assert!(notice.subject.contains("was changed"), "{}", notice.subject);
}

/// API clients, the way an organization's ADMIN meets them: create one on the members page, hand
/// its credentials to a partner application, which gets a token at `/oauth/token` and reads the
/// members with it; give it a new secret, then delete it, each behind a confirm step, and the
/// tokens stop working at once. A USER_MANAGER does not see the panel at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_manages_api_clients_in_the_portal() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    server.member(&root, &org, "ada@acme.test", &["ADMIN"]).await;
    server.member(&root, &org, "max@acme.test", &["USER_MANAGER"]).await;
    server.create_user(&root, &org, "grace@acme.test", &["MEMBER"]).await;
    let users = "query($org: ID) { users(orgId: $org) { totalCount } }";

    let result = in_browser(async |client| {
        // Tall enough for the whole panel, credentials included, to fit in the screenshot.
        client.set_window_size(1280, 1800).await?;
        sign_in_through_portal(&client, &server, "ada@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        wait_for_text(&client, "api-clients-table", |text| text.contains("No API clients yet")).await?;

        type_into(&client, "api-client-name", "Billing sync").await?;
        click(&client, "api-client-scope-users-read").await?;
        click(&client, "create-api-client").await?;
        wait_for_text(&client, "api-client-credentials", |text| {
            text.contains("Copy the secret now: it is not shown again.")
        })
        .await?;
        let client_id = wait_for_text(&client, "api-client-id", |text| text.starts_with("stw_")).await?;
        let secret = value_of(&client, "api-client-secret").await?;
        let example = wait_for_text(&client, "api-client-curl", |text| !text.is_empty()).await?;
        let table = wait_for_text(&client, "api-clients-table", |text| text.contains("Billing sync")).await?;
        // An element's screenshot shows only what is in the window: the panel's top goes first.
        let panel = client.find(Locator::Id("api-clients-panel")).await?;
        client
            .execute("arguments[0].scrollIntoView()", vec![serde_json::to_value(&panel)?])
            .await?;
        std::fs::write(
            workspace_root().join("target/browser-api-clients.png"),
            panel.screenshot().await?,
        )?;

        // The partner application, with what the page showed.
        let (status, body) = token_request(&server, &client_id, &secret).await;
        let token = body["access_token"].as_str().unwrap_or_default().to_owned();
        let read = server.gql(Some(&token), users, json!({ "org": org })).await;

        click(&client, "api-client-done").await?;
        let row = client
            .wait()
            .for_element(Locator::Css("#api-clients-table tr[data-api-client-id]"))
            .await?;
        let id = row.attr("data-api-client-id").await?.unwrap_or_default();
        let credentials_hidden = client.find(Locator::Id("api-client-credentials")).await.is_err();

        // A new secret: the old one and its token stop working, the new one works.
        click(&client, &format!("rotate-api-client-{id}")).await?;
        click(&client, &format!("confirm-rotate-api-client-{id}")).await?;
        wait_for_text(&client, "api-client-changed", |text| text.contains("new secret")).await?;
        let new_secret = value_of(&client, "api-client-secret").await?;
        let old_token_refused = server.gql(Some(&token), users, json!({ "org": org })).await;
        let old_secret_status = token_request(&server, &client_id, &secret).await.0;
        let (_, body) = token_request(&server, &client_id, &new_secret).await;
        let new_token = body["access_token"].as_str().unwrap_or_default().to_owned();
        let new_read = server.gql(Some(&new_token), users, json!({ "org": org })).await;

        // Deleting it: the credentials on screen go, and so does the row.
        click(&client, &format!("delete-api-client-{id}")).await?;
        click(&client, &format!("confirm-delete-api-client-{id}")).await?;
        wait_for_text(&client, "api-clients-table", |text| text.contains("No API clients yet")).await?;
        wait_for_text(&client, "api-client-changed", |text| {
            text.contains("Deleted Billing sync")
        })
        .await?;
        let deleted_refused = server.gql(Some(&new_token), users, json!({ "org": org })).await;
        let credentials_left = client.find(Locator::Id("api-client-credentials")).await.is_ok();

        // A USER_MANAGER manages members and invitations, but not API clients.
        click(&client, "sign-out").await?;
        client.wait().for_url(&format!("{}/login", server.url).parse()?).await?;
        sign_in_through_portal(&client, &server, "max@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        client.wait().for_element(Locator::Id("invitations-panel")).await?;
        let manager_sees_panel = client.find(Locator::Id("api-clients-panel")).await.is_ok();
        Ok::<_, anyhow::Error>((
            client_id,
            secret,
            example,
            table,
            (status, token, read),
            credentials_hidden,
            (old_token_refused, old_secret_status, new_read),
            (deleted_refused, credentials_left, manager_sees_panel),
        ))
    })
    .await;
    let (
        client_id,
        secret,
        example,
        table,
        (status, token, read),
        credentials_hidden,
        (old_token_refused, old_secret_status, new_read),
        (deleted_refused, credentials_left, manager_sees_panel),
    ) = result.expect("the browser journey");
    assert_eq!(secret.len(), 43, "the secret in the read-only input: {secret:?}");
    assert_eq!(
        example,
        format!(
            "curl -u {client_id}:{secret} -d grant_type=client_credentials {}/oauth/token",
            server.url
        )
    );
    assert!(table.contains(&client_id) && table.contains("users:read"), "{table}");
    assert!(table.contains("Never"), "not used yet: {table}");
    assert_eq!(status, 200, "the token request with the page's credentials");
    assert!(!token.is_empty(), "an access_token");
    assert_eq!(
        read.ok()["users"]["totalCount"],
        3,
        "users(orgId) with the client's token"
    );
    assert!(credentials_hidden, "Done hides the credentials");
    old_token_refused.expect_code("UNAUTHENTICATED");
    assert_eq!(old_secret_status, 401, "the old secret after rotating");
    assert_eq!(new_read.ok()["users"]["totalCount"], 3);
    deleted_refused.expect_code("UNAUTHENTICATED");
    assert!(
        !credentials_left,
        "a deleted client's credentials are not left on screen"
    );
    assert!(!manager_sees_panel, "a USER_MANAGER is not offered API clients");
}

/// Posts the client-credentials grant to `/oauth/token` with HTTP Basic client authentication.
async fn token_request(server: &TestServer, client_id: &str, secret: &str) -> (u16, serde_json::Value) {
    let response = server
        .http
        .post(format!("{}/oauth/token", server.url))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// An administrator's password and invitation tools: a ticket and a set password on the user
/// page, a reset link mailed from there, the Mail page, and an invitation from the members page
/// that the invitee accepts on the page its mail leads to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_uses_the_password_tools_and_invites_a_member() {
    assert_portal_built();
    let (sink, server, admin, org) = acme_with_mail().await;
    let ada = server.create_user(&admin, &org, "ada@acme.test", &["MEMBER"]).await;
    sink.wait_for_subject("ada@acme.test", "is ready", Duration::from_secs(10))
        .await; // the invitation
    let globex = server.create_org(&admin, "globex").await;
    server.member(&admin, &globex, "max@globex.test", &["MEMBER"]).await;
    sink.wait_for_subject("max@globex.test", "is ready", Duration::from_secs(10))
        .await; // the invitation
    let invite =
        "mutation($org: ID!) { inviteMember(orgId: $org, email: \"max@globex.test\", roles: [AUDITOR]) { id } }";
    server.as_(&admin, invite, json!({ "org": org })).await.ok();
    let set_password = "Marble-orchid-sextant-ferry";
    let lin_password = "Harbor-quince-lattice-umber";
    let mut stale_link = String::new();

    let result = in_browser(async |client| {
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/users/{ada}", server.url)).await?;
        click(&client, "create-ticket").await?;
        let ticket_url = value_of(&client, "ticket-url").await?;

        type_into(&client, "set-password", set_password).await?;
        click(&client, "set-password-submit").await?;
        wait_for_text(&client, "credentials-notice", |text| !text.is_empty()).await?;
        click(&client, "send-reset").await?;
        wait_for_text(&client, "credentials-notice", |text| {
            text.to_lowercase().contains("sent")
        })
        .await?;
        std::fs::write(
            workspace_root().join("target/browser-credentials.png"),
            client.screenshot().await?,
        )?;
        let reset = sink
            .wait_for_subject("ada@acme.test", "Reset", Duration::from_secs(10))
            .await;

        client.goto(&format!("{}/mail", server.url)).await?;
        let mail_table = wait_for_text(&client, "mail-table", |text| text.contains("PASSWORD_RESET")).await?;
        wait_for_text(&client, "mail-explanation", |text| text.contains("is sent from")).await?;
        std::fs::write(
            workspace_root().join("target/browser-mail.png"),
            client.screenshot().await?,
        )?;

        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        type_into(&client, "invite-email", "lin@acme.test").await?;
        click(&client, "invite-role-AUDITOR").await?;
        click(&client, "send-invitation").await?;
        wait_for_text(&client, "invitations-table", |text| text.contains("lin@acme.test")).await?;
        std::fs::write(
            workspace_root().join("target/browser-invitations.png"),
            client.screenshot().await?,
        )?;

        // Sent again: a new link, and the first one stops working.
        let first = sink
            .wait_for_subject("lin@acme.test", "invited", Duration::from_secs(10))
            .await;
        let resend = client
            .wait()
            .for_element(Locator::XPath(
                "//tr[td[text()='lin@acme.test']]//button[starts-with(@id, 'resend-invitation-')]",
            ))
            .await?;
        let resend_id = resend.attr("id").await?.expect("the button's id");
        click(&client, &resend_id).await?;
        wait_for_text(&client, "invitation-revoked", |text| text.contains("again")).await?;
        let invitation = sink
            .wait_for_subject("lin@acme.test", "invited", Duration::from_secs(10))
            .await;
        assert_ne!(invitation.link("/accept-invitation"), first.link("/accept-invitation"));
        stale_link = first.token("/accept-invitation");
        client.goto(&invitation.link("/accept-invitation")).await?;
        type_into(&client, "invite-name", "Lin Chen").await?;
        type_into(&client, "invite-password", lin_password).await?;
        type_into(&client, "invite-password-confirm", lin_password).await?;
        click(&client, "accept-invitation").await?;
        client.wait().for_element(Locator::Css("header")).await?;

        // Someone who already has an account joins with its password, not with the link alone.
        let invitation = sink
            .wait_for_subject("max@globex.test", "invited", Duration::from_secs(10))
            .await;
        client.goto(&invitation.link("/accept-invitation")).await?;
        type_into(&client, "invite-current-password", "not-my-password").await?;
        click(&client, "accept-invitation").await?;
        wait_for_text(&client, "accept-invitation-error", |text| !text.is_empty()).await?;
        let field = client.find(Locator::Id("invite-current-password")).await?;
        field.clear().await?;
        field.send_keys(CHANGED_PASSWORD).await?;
        click(&client, "accept-invitation").await?;
        client.wait().for_element(Locator::Css("header")).await?;
        Ok::<_, anyhow::Error>((ticket_url, reset.subject, mail_table))
    })
    .await;
    let (ticket_url, reset_subject, mail_table) = result.expect("the browser journey");
    assert!(
        ticket_url.starts_with(&format!("{}/reset-password?token=", server.url)),
        "{ticket_url}"
    );
    assert!(reset_subject.contains("Reset"), "{reset_subject}");
    assert!(mail_table.contains("ada@acme.test"), "{mail_table}");
    // The link of the invitation before it was sent again no longer works.
    let stale = server
        .gql(
            None,
            "mutation($token: String!) { acceptInvitation(token: $token, password: \"Another-long-passphrase-5\") { accessToken } }",
            json!({ "token": stale_link }),
        )
        .await;
    stale.expect_code("TOKEN_INVALID");
    // The set password works, and must be changed at the next sign-in, as the box was checked.
    let login = server.login("ada@acme.test", set_password).await;
    assert_eq!(login.ok()["login"]["passwordChangeRequired"], true);
    // The invitee is a verified AUDITOR (and MEMBER) of acme.
    let lin = server.sign_in("lin@acme.test", lin_password).await;
    let me = server
        .as_(
            &lin,
            "{ viewer { user { name emailVerified } memberships { roles } } }",
            json!({}),
        )
        .await;
    let viewer = &me.ok()["viewer"];
    assert_eq!(viewer["user"]["name"], "Lin Chen");
    assert_eq!(viewer["user"]["emailVerified"], true);
    let roles = viewer["memberships"][0]["roles"].as_array().unwrap();
    assert!(roles.contains(&json!("AUDITOR")), "{roles:?}");
    // Max is in both organizations now, with the password he had.
    let max = server.sign_in("max@globex.test", CHANGED_PASSWORD).await;
    let memberships = server
        .as_(&max, "{ viewer { memberships { roles } } }", json!({}))
        .await;
    assert_eq!(memberships.ok()["viewer"]["memberships"].as_array().unwrap().len(), 2);
}

/// The value of the input `id` once it holds one, looked up afresh each time (the page may render
/// anew between the lookup and the read).
async fn value_of(client: &Client, id: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Id(id)).await {
            if let Ok(Some(value)) = element.prop("value").await {
                if !value.is_empty() {
                    return Ok(value);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("#{id} never held a value")
}

/// Replaces what an input holds with `text`, as a person selecting it all and typing would.
async fn replace_text(client: &Client, id: &str, text: &str) -> anyhow::Result<()> {
    let element = client.wait().for_element(Locator::Id(id)).await?;
    element.clear().await?;
    element.send_keys(text).await?;
    Ok(())
}

/// An organization's settings page: reached from the members page by those who administer it
/// (a USER_MANAGER is not offered it), it saves branding and settings together, warns before
/// verified addresses become a requirement, and shows a refused colour next to its input
/// without changing anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superadmin_edits_an_organizations_settings_in_the_portal() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    server.member(&admin, &org, "max@acme.test", &["USER_MANAGER"]).await;
    server.create_user(&admin, &org, "grace@acme.test", &["MEMBER"]).await;
    let read = "query($id: ID!) { organization(id: $id) { branding { displayName primaryColor } \
                settings { passwordPolicy { minLength } requireVerifiedEmail } } }";

    let result = in_browser(async |client| {
        // Tall enough for the whole form to fit in the screenshot.
        client.set_window_size(1280, 2100).await?;
        sign_in_through_portal(&client, &server, "max@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        client.wait().for_element(Locator::Id("invitations-panel")).await?;
        let manager_sees_link = client.find(Locator::Id("org-settings-link")).await.is_ok();
        click(&client, "sign-out").await?;
        client.wait().for_url(&format!("{}/login", server.url).parse()?).await?;

        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        click(&client, "org-settings-link").await?;
        client.wait().for_element(Locator::Id("org-settings-form")).await?;
        let loaded_min_length = value_of(&client, "policy-min-length").await?;

        type_into(&client, "org-display-name", "Acme Cloud").await?;
        replace_text(&client, "org-primary-color", "#0b7a75").await?;
        replace_text(&client, "policy-min-length", "14").await?;
        let preview = wait_for_text(&client, "org-brand-preview-name", |text| text == "Acme Cloud").await?;
        let warning_before = client.find(Locator::Id("require-verified-warning")).await.is_ok();
        click(&client, "require-verified-email").await?;
        let warning = wait_for_text(&client, "require-verified-warning", |text| {
            text.contains("admins included")
        })
        .await?;
        client.execute("window.scrollTo(0, 0)", vec![]).await?;
        std::fs::write(
            workspace_root().join("target/browser-org-settings.png"),
            client.screenshot().await?,
        )?;
        click(&client, "save-org-settings").await?;
        let saved = wait_for_text(&client, "org-settings-saved", |text| text.contains("Saved")).await?;
        let after_save = server.as_(&admin, read, json!({ "id": org })).await;

        // A colour the server refuses: the message sits under the input, and nothing changes.
        replace_text(&client, "org-primary-color", "blue").await?;
        replace_text(&client, "policy-min-length", "16").await?;
        click(&client, "save-org-settings").await?;
        let color_field = wait_for_text(&client, "org-primary-color-field", |text| {
            text.contains("must be a colour")
        })
        .await?;
        let error_box = wait_for_text(&client, "org-settings-error", |text| !text.is_empty()).await?;
        let after_refusal = server.as_(&admin, read, json!({ "id": org })).await;
        Ok::<_, anyhow::Error>((
            manager_sees_link,
            loaded_min_length,
            (preview, warning_before, warning, saved),
            after_save,
            (color_field, error_box, after_refusal),
        ))
    })
    .await;
    let (
        manager_sees_link,
        loaded_min_length,
        (preview, warning_before, warning, saved),
        after_save,
        (color_field, error_box, after_refusal),
    ) = result.expect("the browser journey");
    assert!(!manager_sees_link, "a USER_MANAGER is not offered the settings");
    assert_eq!(loaded_min_length, "12", "the form starts from the stored policy");
    assert_eq!(preview, "Acme Cloud");
    assert!(!warning_before, "no warning before the checkbox is turned on");
    assert!(
        warning.contains(
            "Members whose address is not verified — admins included — will not be able to sign in to this \
             organization until they verify it."
        ),
        "{warning}"
    );
    assert!(saved.contains("Saved"), "{saved}");
    let organization = &after_save.ok()["organization"];
    assert_eq!(organization["branding"]["displayName"], "Acme Cloud");
    assert_eq!(organization["branding"]["primaryColor"], "#0b7a75");
    assert_eq!(organization["settings"]["passwordPolicy"]["minLength"], 14);
    assert_eq!(organization["settings"]["requireVerifiedEmail"], true);
    assert!(color_field.contains("must be a colour as #rrggbb"), "{color_field}");
    assert!(error_box.contains("Please correct the fields below."), "{error_box}");
    assert_eq!(
        after_refusal.ok()["organization"],
        after_save.ok()["organization"],
        "a refused save changes nothing, not even the valid fields sent with it"
    );
}

/// "My profile" lists where the person is signed in, marks this browser, and ends another
/// device's session with one click: that device's next request is refused, the rest go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_ends_one_of_their_sessions_from_my_profile() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    let laptop = server.member(&admin, &org, "grace@acme.test", &["MEMBER"]).await;
    let phone = server.sign_in("grace@acme.test", CHANGED_PASSWORD).await;
    let listing = server
        .as_(&phone, "{ viewer { user { sessions { id current } } } }", json!({}))
        .await;
    let phone_id = listing.ok()["viewer"]["user"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|session| session["current"] == true)
        .expect("the phone's own session")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1400).await?;
        sign_in_through_portal(&client, &server, "grace@acme.test", CHANGED_PASSWORD).await?;
        click(&client, "my-profile-link").await?;
        wait_for_text(&client, "sessions-table", |text| text.contains("This browser")).await?;
        let before = client
            .find_all(Locator::Css("#sessions-table .session-row"))
            .await?
            .len();
        click(&client, &format!("end-session-{phone_id}")).await?;
        wait_for_text(&client, "access-notice", |text| text.contains("Ended that session")).await?;
        let mut after = before;
        for _ in 0..100 {
            after = client
                .find_all(Locator::Css("#sessions-table .session-row"))
                .await?
                .len();
            if after < before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let panel = client.find(Locator::Id("my-sessions")).await?;
        std::fs::write(
            workspace_root().join("target/browser-my-sessions.png"),
            panel.screenshot().await?,
        )?;
        Ok::<_, anyhow::Error>((before, after))
    })
    .await;
    let (before, after) = result.expect("the browser journey");
    assert_eq!((before, after), (3, 2), "three sessions, then two");
    server
        .as_(&phone, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server.as_(&laptop, VIEWER, json!({})).await.ok();
}

/// The audit page, as an organization's AUDITOR reads it: the log with its details, a filter by
/// event type, and new events arriving live while the page is open. A MEMBER is not offered it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_the_audit_log_and_sees_new_events_live() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    server.member(&admin, &org, "audrey@acme.test", &["AUDITOR"]).await;
    server.create_user(&admin, &org, "early@acme.test", &["MEMBER"]).await;

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1200).await?;
        sign_in_through_portal(&client, &server, "audrey@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        click(&client, "org-audit-link").await?;
        wait_for_text(&client, "audit-table", |text| text.contains("USER_CREATED")).await?;
        wait_for_text(&client, "audit-live-state", |text| text.starts_with("Live:")).await?;

        // Something happens while the page is open: it shows without a reload.
        server.create_user(&admin, &org, "late@acme.test", &["MEMBER"]).await;
        let live = wait_for_text(&client, "audit-live-table", |text| text.contains("USER_CREATED")).await?;
        client
            .find(Locator::Css("#audit-live-table details summary"))
            .await?
            .click()
            .await?;
        let details = wait_for_text(&client, "audit-live-table", |text| text.contains("late@acme.test")).await?;
        std::fs::write(
            workspace_root().join("target/browser-audit.png"),
            client.screenshot().await?,
        )?;

        // Only sign-ins: the creations leave the page.
        type_into(&client, "audit-types", "LOGIN_SUCCEEDED\n").await?;
        client.find(Locator::Id("audit-since")).await?.click().await?;
        let filtered = wait_for_text(&client, "audit-table", |text| {
            text.contains("LOGIN_SUCCEEDED") && !text.contains("USER_CREATED")
        })
        .await?;
        Ok::<_, anyhow::Error>((live, details, filtered))
    })
    .await;
    let (live, details, _filtered) = result.expect("the browser journey");
    assert!(live.contains("USER_CREATED"), "{live}");
    assert!(details.contains("late@acme.test"), "{details}");

    // A plain member is not offered the page, and reaching it by address, the server refuses and
    // the page says so.
    server.member(&admin, &org, "mo@acme.test", &["MEMBER"]).await;
    let (refusal, offered) = in_browser(async |client| {
        sign_in_through_portal(&client, &server, "mo@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}/audit", server.url)).await?;
        let refusal = wait_for_text(&client, "audit-error", |text| !text.is_empty()).await?;
        // In-app, with the viewer long loaded: the members page offers no audit link.
        click(&client, "audit-members-link").await?;
        client.wait().for_element(Locator::Id("organization-name")).await?;
        let offered = client.find(Locator::Id("org-audit-link")).await.is_ok();
        Ok::<_, anyhow::Error>((refusal, offered))
    })
    .await
    .expect("the member's journey");
    assert!(!refusal.is_empty());
    assert!(!offered, "a MEMBER is not offered the audit log");
}

/// A superadmin edits an organization's metadata as JSON (a syntax error shown before anything is
/// sent, then only the change sent as a merge patch), and deletes the organization once its slug
/// is typed; its members' accounts stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superadmin_edits_an_organizations_metadata_and_deletes_it() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    let set = "mutation($id: ID!) { updateOrganization(id: $id, input: { metadata: { tier: \"gold\", region: \"eu\" } }) { id } }";
    server.as_(&admin, set, json!({ "id": org })).await.ok();
    server.member(&admin, &org, "grace@acme.test", &["MEMBER"]).await;
    let read = "query($id: ID!) { organization(id: $id) { metadata } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs/{org}/settings", server.url)).await?;
        wait_for_text(&client, "org-metadata-preview", |text| text.contains("No change")).await?;

        // Not JSON: said at once, and saving sends nothing.
        replace_text(&client, "org-metadata", "{not json").await?;
        wait_for_text(&client, "org-metadata-preview", |text| {
            text.starts_with("Not valid yet")
        })
        .await?;
        click(&client, "save-org-metadata").await?;
        wait_for_text(&client, "org-metadata-error", |text| !text.is_empty()).await?;
        let after_refusal = server.as_(&admin, read, json!({ "id": org })).await;

        replace_text(&client, "org-metadata", r#"{"tier": "platinum"}"#).await?;
        let preview = wait_for_text(&client, "org-metadata-preview", |text| text.contains("Will send")).await?;
        click(&client, "save-org-metadata").await?;
        wait_for_text(&client, "org-metadata-saved", |text| !text.is_empty()).await?;
        wait_for_text(&client, "org-metadata-preview", |text| text.contains("No change")).await?;
        let after_save = server.as_(&admin, read, json!({ "id": org })).await;

        // Deleting waits for the slug, typed in full.
        replace_text(&client, "delete-organization-slug", "acm").await?;
        let disabled_early = client
            .find(Locator::Id("delete-organization"))
            .await?
            .prop("disabled")
            .await?;
        replace_text(&client, "delete-organization-slug", "acme").await?;
        std::fs::write(
            workspace_root().join("target/browser-org-danger.png"),
            client.screenshot().await?,
        )?;
        click(&client, "delete-organization").await?;
        client.wait().for_url(&format!("{}/orgs", server.url).parse()?).await?;
        Ok::<_, anyhow::Error>((after_refusal, preview, after_save, disabled_early))
    })
    .await;
    let (after_refusal, preview, after_save, disabled_early) = result.expect("the browser journey");
    assert_eq!(
        after_refusal.ok()["organization"]["metadata"],
        json!({ "tier": "gold", "region": "eu" })
    );
    assert!(preview.contains(r#""region":null"#), "{preview}");
    assert_eq!(
        after_save.ok()["organization"]["metadata"],
        json!({ "tier": "platinum" })
    );
    assert_eq!(disabled_early.as_deref(), Some("true"));
    let gone = server.as_(&admin, read, json!({ "id": org })).await;
    assert!(gone.data["organization"].is_null(), "{:?}", gone.data);
    server.sign_in("grace@acme.test", CHANGED_PASSWORD).await;
}

/// An organization's ADMIN edits a member's profile in place (the server's refusal under the
/// field, nothing changed), changes their address, and deletes them after typing it; an AUDITOR
/// is offered none of these controls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_edits_changes_the_address_of_and_deletes_a_member() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let ada = server.member(&root, &org, "ada@acme.test", &["ADMIN"]).await;
    server.member(&root, &org, "audrey@acme.test", &["AUDITOR"]).await;
    // Ada also runs a second organization, where Grace is not yet.
    let beta = server.create_org(&root, "beta").await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user, roles: [ADMIN]) { status } }";
    server
        .as_(&root, add, json!({ "org": beta, "user": ada.user_id }))
        .await
        .ok();
    let member = server.create_user(&root, &org, "grace@acme.test", &["MEMBER"]).await;
    let read = "query($id: ID!) { user(id: $id) { email emailVerified name phoneNumber memberships { roles organization { slug } } } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 2400).await?;
        sign_in_through_portal(&client, &server, "ada@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/users/{member}", server.url)).await?;

        // A phone number the server refuses: said under the field, and nothing changes.
        replace_text(&client, "edit-name", "Grace Hopper").await?;
        replace_text(&client, "edit-phone", "call me maybe").await?;
        click(&client, "save-user-profile").await?;
        wait_for_text(&client, "edit-profile-error", |text| !text.is_empty()).await?;
        let refused = server.as_(&root, read, json!({ "id": member })).await;

        replace_text(&client, "edit-phone", "+1 415 555 0100").await?;
        click(&client, "save-user-profile").await?;
        // Saved: the page shows the user as stored.
        wait_for_text(&client, "user-heading", |text| text == "Grace Hopper").await?;
        wait_for_text(&client, "user-phone-number", |text| text == "+14155550100").await?;

        type_into(&client, "edit-email", "grace.hopper@acme.test").await?;
        click(&client, "change-user-email").await?;
        wait_for_text(&client, "user-email", |text| text == "grace.hopper@acme.test").await?;
        let changed = server.as_(&root, read, json!({ "id": member })).await;

        // App metadata, as JSON: the patch previewed, then saved.
        replace_text(&client, "app-metadata-editor", r#"{"plan": "gold", "seats": 5}"#).await?;
        wait_for_text(&client, "app-metadata-editor-preview", |text| {
            text.contains("Will send")
        })
        .await?;
        click(&client, "save-app-metadata-editor").await?;
        wait_for_text(&client, "app-metadata-editor-preview", |text| {
            text.contains("No change")
        })
        .await?;
        let metadata = server
            .as_(
                &root,
                "query($id: ID!) { user(id: $id) { appMetadata } }",
                json!({ "id": member }),
            )
            .await;

        // Roles in acme: AUDITOR too. Then into beta as a MEMBER, and out of it again.
        click(&client, "member-role-AUDITOR").await?;
        click(&client, "save-member-roles").await?;
        wait_for_text(&client, "user-memberships", |text| text.contains("Auditor")).await?;
        click(&client, "add-to-organization-submit").await?;
        wait_for_text(&client, "user-memberships", |text| text.contains("beta")).await?;
        let joined = server.as_(&root, read, json!({ "id": member })).await;
        std::fs::write(
            workspace_root().join("target/browser-user-editing.png"),
            client.screenshot().await?,
        )?;
        let option = client
            .wait()
            .for_element(Locator::Css("#member-roles-organization option:nth-child(2)"))
            .await?;
        option.click().await?;
        click(&client, "remove-member").await?;
        click(&client, "confirm-remove-member").await?;
        wait_for_text(&client, "user-memberships", |text| !text.contains("beta")).await?;
        let left = server.as_(&root, read, json!({ "id": member })).await;

        replace_text(&client, "delete-user-email", "grace@acme.test").await?;
        let disabled_for_old_address = client.find(Locator::Id("delete-user")).await?.prop("disabled").await?;
        replace_text(&client, "delete-user-email", "grace.hopper@acme.test").await?;
        click(&client, "delete-user").await?;
        client.wait().for_url(&format!("{}/orgs", server.url).parse()?).await?;
        Ok::<_, anyhow::Error>((refused, changed, disabled_for_old_address, joined, left, metadata))
    })
    .await;
    let (refused, changed, disabled_for_old_address, joined, left, metadata) = result.expect("the admin's journey");
    assert_eq!(
        metadata.ok()["user"]["appMetadata"],
        json!({ "plan": "gold", "seats": 5 })
    );
    let memberships = |answer: &steward_tests::Gql| -> Vec<(String, Vec<String>)> {
        let mut found: Vec<(String, Vec<String>)> = answer.data["user"]["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|membership| {
                let slug = membership["organization"]["slug"].as_str().unwrap().to_owned();
                let mut roles: Vec<String> = membership["roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|role| role.as_str().unwrap().to_owned())
                    .collect();
                roles.sort();
                (slug, roles)
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        memberships(&joined),
        vec![
            ("acme".to_owned(), vec!["AUDITOR".to_owned(), "MEMBER".to_owned()]),
            ("beta".to_owned(), vec!["MEMBER".to_owned()]),
        ]
    );
    assert_eq!(
        memberships(&left),
        vec![("acme".to_owned(), vec!["AUDITOR".to_owned(), "MEMBER".to_owned()])]
    );
    let before = &refused.ok()["user"];
    // (The helper that created her named her after her address.)
    assert_eq!(
        before["name"], "grace@acme.test",
        "the refused save changed nothing: {before}"
    );
    assert!(before["phoneNumber"].is_null(), "{before}");
    let after = &changed.ok()["user"];
    assert_eq!(after["name"], "Grace Hopper");
    assert_eq!(after["phoneNumber"], "+14155550100");
    assert_eq!(after["email"], "grace.hopper@acme.test");
    assert_eq!(after["emailVerified"], false);
    assert_eq!(disabled_for_old_address.as_deref(), Some("true"));
    let gone = server.as_(&root, read, json!({ "id": member })).await;
    assert!(gone.data["user"].is_null(), "{:?}", gone.data);

    // The auditor reads the user page of a member, with no control that would change them.
    let other = server.create_user(&root, &org, "lin@acme.test", &["MEMBER"]).await;
    let controls = in_browser(async |client| {
        sign_in_through_portal(&client, &server, "audrey@acme.test", CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/users/{other}", server.url)).await?;
        wait_for_text(&client, "user-email", |text| text == "lin@acme.test").await?;
        wait_for_text(&client, "activity-table", |text| text.contains("USER_CREATED")).await?;
        let mut present = Vec::new();
        for id in [
            "edit-profile-form",
            "change-user-email-form",
            "delete-user-form",
            "app-metadata-form",
            "membership-manager",
        ] {
            if client.find(Locator::Id(id)).await.is_ok() {
                present.push(id);
            }
        }
        Ok::<_, anyhow::Error>(present)
    })
    .await
    .expect("the auditor's journey");
    assert!(controls.is_empty(), "an AUDITOR is offered {controls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_acts_on_many_members_at_once_and_reads_each_outcome() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            server
                .create_user(&root, &acme, &format!("m{n}@acme.test"), &["MEMBER"])
                .await,
        );
    }
    // Shared with globex: acme's admin may not block them (globex has a say).
    let shared = server.create_user(&root, &acme, "shared@acme.test", &["MEMBER"]).await;
    let add = "mutation($org: ID!, $id: ID!) { addMember(orgId: $org, userId: $id) { roles } }";
    server
        .as_(&root, add, json!({ "org": globex, "id": shared }))
        .await
        .ok();
    let blocked = "query($id: ID!) { user(id: $id) { blocked } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1400).await?;
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{acme}", server.url)).await?;
        wait_for_text(&client, "member-count", |text| !text.is_empty()).await?;
        // Every MEMBER matching the filters, then one action for all of them.
        client
            .find(Locator::Id("filter-role"))
            .await?
            .select_by_value("MEMBER")
            .await?;
        wait_for_text(&client, "bulk-select-all", |text| {
            text.contains("Select all 4 matching")
        })
        .await?;
        click(&client, "bulk-select-all").await?;
        wait_for_text(&client, "bulk-selected", |text| text.contains("4 members selected")).await?;
        client
            .find(Locator::Id("bulk-action"))
            .await?
            .select_by_value("BLOCK")
            .await?;
        click(&client, "bulk-apply").await?;
        wait_for_text(&client, "bulk-confirm", |text| text.contains("Block — 4 members?")).await?;
        click(&client, "bulk-confirm-apply").await?;
        let summary = wait_for_text(&client, "bulk-summary", |text| text.contains("done for")).await?;
        let failures = wait_for_text(&client, "bulk-failures", |text| !text.is_empty()).await?;
        std::fs::write(
            workspace_root().join("target/browser-bulk.png"),
            client.screenshot().await?,
        )?;
        // One ticked row: unblocked on its own.
        let checkbox = format!("tr[data-user-id='{}'] .select-member", ids[0]);
        let tick = client.wait().for_element(Locator::Css(&checkbox)).await?;
        client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' })",
                vec![serde_json::to_value(&tick)?],
            )
            .await?;
        tick.click().await?;
        wait_for_text(&client, "bulk-selected", |text| text.contains("1 member selected")).await?;
        client
            .find(Locator::Id("bulk-action"))
            .await?
            .select_by_value("UNBLOCK")
            .await?;
        click(&client, "bulk-apply").await?;
        click(&client, "bulk-confirm-apply").await?;
        let unblocked = wait_for_text(&client, "bulk-summary", |text| text.starts_with("Unblock")).await?;
        Ok::<_, anyhow::Error>((summary, failures, unblocked))
    })
    .await;
    let (summary, failures, unblocked) = result.expect("the browser journey");
    assert!(summary.contains("Block: done for 3 of 4"), "{summary}");
    assert!(failures.contains("shared@acme.test"), "{failures}");
    assert!(unblocked.contains("done for 1 of 1"), "{unblocked}");
    let state = |id: String| {
        let server = &server;
        let root = &root;
        async move { server.as_(root, blocked, json!({ "id": id })).await.ok()["user"]["blocked"].clone() }
    };
    assert_eq!(state(ids[0].clone()).await, json!(false));
    assert_eq!(state(ids[1].clone()).await, json!(true));
    assert_eq!(state(ids[2].clone()).await, json!(true));
    assert_eq!(state(shared).await, json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superadmin_claims_domains_and_an_admin_is_told_where_accounts_are_created() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let read = "query($id: ID!) { organization(id: $id) { domains } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &root.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs/{acme}/settings", server.url)).await?;
        wait_for_text(&client, "org-domains-claimed", |text| text.contains("acme.test")).await?;
        wait_for_text(&client, "save-org-domains", |text| text.contains("Save domains")).await?;
        replace_text(&client, "org-domains", "acme.test\nACME.example").await?;
        click(&client, "save-org-domains").await?;
        let saved = wait_for_text(&client, "org-domains-saved", |text| !text.is_empty()).await?;
        Ok::<_, anyhow::Error>(saved)
    })
    .await;
    let saved = result.expect("the superadmin's journey");
    // The admin's New user form says where accounts are created, and the server's refusal of an
    // address elsewhere shows under the address.
    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{acme}", server.url)).await?;
        wait_for_text(&client, "member-count", |text| !text.is_empty()).await?;
        click(&client, "new-user").await?;
        let hint = wait_for_text(&client, "new-user-domains", |text| text.contains("acme.example")).await?;
        type_into(&client, "new-user-email", "someone@mail.test").await?;
        click(&client, "create-user").await?;
        let refusal = wait_for_text(&client, "new-user-form", |text| text.contains("invite anyone else")).await?;
        std::fs::write(
            workspace_root().join("target/browser-domains.png"),
            client.screenshot().await?,
        )?;
        Ok::<_, anyhow::Error>((saved, hint, refusal))
    })
    .await;
    let (saved, hint, refusal) = result.expect("the browser journey");
    assert!(saved.contains("acme.example, acme.test"), "{saved}");
    assert!(hint.contains("only for addresses at acme.example, acme.test"), "{hint}");
    assert!(
        refusal.contains("only for addresses at acme.example, acme.test"),
        "{refusal}"
    );
    let domains = server.as_(&root, read, json!({ "id": acme })).await;
    assert_eq!(
        domains.ok()["organization"]["domains"],
        json!(["acme.example", "acme.test"])
    );
}

/// A server with `acme`, its ADMIN (signed in with [`CHANGED_PASSWORD`]) and a MEMBER `ada`:
/// the superadmin's session, acme's id, the admin's session and ada's id.
async fn acme_with_admin_and_ada() -> (TestServer, Session, String, Session, String) {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let ada = server.create_user(&root, &acme, "ada@acme.test", &["MEMBER"]).await;
    (server, root, acme, admin, ada)
}

/// The pages an organization's ADMIN works in: a name, the path, and an element that shows text
/// once the page has loaded.
fn admin_pages(acme: &str, ada: &str) -> [(&'static str, String, &'static str); 5] {
    [
        ("members page", format!("/orgs/{acme}"), "member-count"),
        ("user page", format!("/users/{ada}"), "user-profile"),
        ("settings page", format!("/orgs/{acme}/settings"), "org-domains-claimed"),
        ("audit page", format!("/orgs/{acme}/audit"), "audit-table"),
        ("my profile", "/me".to_owned(), "me-email"),
    ]
}

/// Runs axe-core (the npm package, from `node_modules`) on the page as it is now, against WCAG
/// 2.1 A and AA, and returns each violation as `rule (impact): help — where`.
async fn accessibility_violations(client: &Client) -> anyhow::Result<Vec<String>> {
    let axe = std::fs::read_to_string(workspace_root().join("node_modules/axe-core/axe.min.js"))?;
    client
        .execute(&format!("{axe}\nreturn typeof window.axe;"), vec![])
        .await?;
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe
               .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(result => done(result.violations.map(violation =>
                 `${violation.id} (${violation.impact}): ${violation.help} — ` +
                 violation.nodes.slice(0, 3).map(node => node.target.join(' ')).join(', '))))
               .catch(error => done([`axe failed: ${error}`]));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// Every page an admin and a superadmin use, checked by axe-core once it has loaded: no WCAG 2.1
/// A or AA violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_s_pages_have_no_wcag_violations() {
    let (server, _root, acme, admin, ada) = acme_with_admin_and_ada().await;

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1000).await?;
        let mut found = Vec::new();
        client.goto(&format!("{}/login", server.url)).await?;
        client.wait().for_element(Locator::Id("sign-in")).await?;
        found.push(("sign-in page", accessibility_violations(&client).await?));
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        for (name, path, ready) in admin_pages(&acme, &ada) {
            client.goto(&format!("{}{path}", server.url)).await?;
            wait_for_text(&client, ready, |text| !text.is_empty()).await?;
            found.push((name, accessibility_violations(&client).await?));
        }
        // The check itself sees a violation: an image with no text alternative.
        client
            .execute(
                "const image = document.createElement('img'); image.src = '/favicon.ico'; document.body.appendChild(image);",
                vec![],
            )
            .await?;
        let planted = accessibility_violations(&client).await?;
        Ok::<_, anyhow::Error>((found, planted))
    })
    .await;
    let (found, planted) = result.expect("the browser journey");
    assert!(
        planted.iter().any(|violation| violation.starts_with("image-alt")),
        "{planted:#?}"
    );
    let violations: Vec<String> = found
        .into_iter()
        .flat_map(|(page, violations)| {
            violations
                .into_iter()
                .map(move |violation| format!("{page}: {violation}"))
        })
        .collect();
    assert!(violations.is_empty(), "{violations:#?}");
}

/// On a 375 px wide phone screen, no page scrolls sideways (wide tables scroll inside their own
/// box, and everything else wraps), and the header still leads everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_fits_a_375_pixel_screen() {
    let (server, _root, acme, admin, ada) = acme_with_admin_and_ada().await;

    let result = in_browser(async |client| {
        client.set_window_size(375, 812).await?;
        let mut widths = Vec::new();
        // The page's width, the screen's, and the first elements that stick out (outside the boxes
        // that scroll on their own), to say what to fix.
        let measure = "const width = document.documentElement.clientWidth;
            const out = [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > width + 1 && !(e.closest('.table-scroll, .table-box') && e.closest('.table-scroll, .table-box').getBoundingClientRect().right <= width + 1))
              .concat([...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().left + e.scrollWidth > width + 1 && getComputedStyle(e).overflowX === 'visible' && !e.closest('.table-scroll, .table-box')))
              .slice(0, 8)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                   (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/ +/).join('.') : '') +
                   ' ' + Math.round(e.getBoundingClientRect().right));
            return [document.documentElement.scrollWidth, width, out];";
        client.goto(&format!("{}/login", server.url)).await?;
        client.wait().for_element(Locator::Id("sign-in")).await?;
        widths.push(("sign-in page", client.execute(measure, vec![]).await?));
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        let mut navigation = Vec::new();
        for link in ["my-profile-link", "sign-out"] {
            navigation.push(client.find(Locator::Id(link)).await?.is_displayed().await?);
        }
        for (name, path, ready) in admin_pages(&acme, &ada) {
            client.goto(&format!("{}{path}", server.url)).await?;
            wait_for_text(&client, ready, |text| !text.is_empty()).await?;
            widths.push((name, client.execute(measure, vec![]).await?));
            let file = format!("target/browser-375-{}.png", name.replace(' ', "-"));
            std::fs::write(workspace_root().join(file), client.screenshot().await?)?;
        }
        Ok::<_, anyhow::Error>((widths, navigation))
    })
    .await;
    let (widths, navigation) = result.expect("the browser journey");
    assert_eq!(navigation, vec![true, true], "My profile and Sign out are shown");
    let too_wide: Vec<String> = widths
        .iter()
        .filter(|(_, sizes)| sizes[0].as_i64() > sizes[1].as_i64())
        .map(|(page, sizes)| {
            format!(
                "{page}: content {} px in a {} px screen: {}",
                sizes[0], sizes[1], sizes[2]
            )
        })
        .collect();
    assert!(too_wide.is_empty(), "{too_wide:#?}");
}

/// On a user's page, the organization's admin edits that membership's own metadata as JSON; the
/// patch goes to the server and the user's identity-wide documents are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_a_membership_s_metadata_on_the_user_page() {
    let (server, root, acme, admin, ada) = acme_with_admin_and_ada().await;
    let set = "mutation($org: ID!, $id: ID!) { updateMembershipMetadata(orgId: $org, userId: $id, metadata: { team: \"blue\", desk: 4 }) { roles } }";
    server.as_(&root, set, json!({ "org": acme, "id": ada })).await.ok();
    let read = "query($org: ID!, $id: ID!) { organization(id: $org) { member(userId: $id) { metadata user { userMetadata } } } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/users/{ada}", server.url)).await?;
        let editor = format!("membership-metadata-{acme}");
        wait_for_text(&client, &format!("{editor}-preview"), |text| text.contains("No change")).await?;
        replace_text(&client, &editor, r#"{"team": "green", "desk": 4}"#).await?;
        let preview = wait_for_text(&client, &format!("{editor}-preview"), |text| text.contains("Will send")).await?;
        click(&client, &format!("save-{editor}")).await?;
        wait_for_text(&client, &format!("{editor}-saved"), |text| !text.is_empty()).await?;
        Ok::<_, anyhow::Error>(preview)
    })
    .await;
    let preview = result.expect("the browser journey");
    assert!(preview.contains(r#""team":"green""#), "{preview}");
    let member = server.as_(&root, read, json!({ "org": acme, "id": ada })).await;
    let member = &member.ok()["organization"]["member"];
    assert_eq!(member["metadata"], json!({ "team": "green", "desk": 4 }));
    assert_eq!(member["user"]["userMetadata"], json!({}));
}

/// Seeds `count` organizations straight into the database, `org-00000` ("Company 00000") on.
async fn seed_organizations(server: &TestServer, count: usize) {
    use sea_orm::EntityTrait;
    use steward_entity::{organization, OrgId};
    let now = chrono::Utc::now();
    let models: Vec<organization::ActiveModel> = (0..count)
        .map(|n| {
            let (slug, name) = (format!("org-{n:05}"), format!("Company {n:05}"));
            organization::ActiveModel::from(organization::Model {
                id: OrgId::new(),
                search_text: format!("{slug}\n{}", name.to_lowercase()),
                slug,
                name,
                display_name: None,
                logo_url: None,
                primary_color: None,
                metadata: json!({}),
                settings: json!({}),
                revision: 0,
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    for chunk in models.chunks(500) {
        organization::Entity::insert_many(chunk.to_vec())
            .exec(server.database())
            .await
            .expect("seed organizations");
    }
}

/// With 10 000 organizations, a superadmin finds one by search on the organizations page and in
/// the header's switcher, and pages through the list. The times it took are printed (a benchmark's
/// business to judge, not a test's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superadmin_finds_one_organization_among_ten_thousand() {
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    seed_organizations(&server, 10_000).await;

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1000).await?;
        sign_in_through_portal(&client, &server, &root.email, PASSWORD).await?;
        client.goto(&format!("{}/orgs", server.url)).await?;
        let count = wait_for_text(&client, "organization-count", |text| text.contains("10")).await?;
        let started = std::time::Instant::now();
        type_into(&client, "org-search", "org-07431").await?;
        let found = wait_for_text(&client, "organizations-table", |text| {
            text.contains("Company 07431") && !text.contains("Company 00000")
        })
        .await?;
        let page_search = started.elapsed();
        click(&client, "org-switcher").await?;
        let started = std::time::Instant::now();
        type_into(&client, "org-switcher-search", "company 09998").await?;
        let switched = wait_for_text(&client, "org-switcher-list", |text| {
            text.contains("Company 09998") && !text.contains("Company 00000")
        })
        .await?;
        let switcher_search = started.elapsed();
        Ok::<_, anyhow::Error>((count, found, switched, page_search, switcher_search))
    })
    .await;
    let (count, found, switched, page_search, switcher_search) = result.expect("the browser journey");
    println!(
        "10 000 organizations: a search on the organizations page showed its result in {page_search:?}, \
         in the switcher in {switcher_search:?} (each including the search box's pause before it asks)"
    );
    assert!(
        count.contains("10 000") || count.contains("10000") || count.contains("10,000"),
        "{count}"
    );
    assert!(found.contains("org-07431"), "{found}");
    assert!(switched.contains("org-09998"), "{switched}");
}

/// The keyboard alone: sign in with Tab and Enter, reach My profile from the header, and open the
/// organization switcher and close it with Escape, focus staying where a keyboard user expects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_works_from_the_keyboard() {
    use fantoccini::key::Key;
    assert_portal_built();
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    server.create_org(&root, "acme").await;
    let focused =
        "return document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim());";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 900).await?;
        client.goto(&format!("{}/login", server.url)).await?;
        let email = client.wait().for_element(Locator::Id("email")).await?;
        email.click().await?;
        email.send_keys(&root.email).await?;
        // Tab to the password, type it, and Enter submits the form.
        email.send_keys(&Key::Tab.to_string()).await?;
        let on_password = client.execute(focused, vec![]).await?;
        client
            .find(Locator::Id("password"))
            .await?
            .send_keys(&format!("{PASSWORD}{}", Key::Enter))
            .await?;
        client.wait().for_element(Locator::Id("my-profile-link")).await?;
        // Tab from the top of the page until the header's My profile link has the focus.
        client
            .execute(
                "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
                vec![],
            )
            .await?;
        let body = client.find(Locator::Css("body")).await?;
        let mut reached = false;
        for _ in 0..15 {
            body.send_keys(&Key::Tab.to_string()).await?;
            if client.execute(focused, vec![]).await? == json!("my-profile-link") {
                reached = true;
                break;
            }
        }
        let profile = client.find(Locator::Id("my-profile-link")).await?;
        profile.send_keys(&Key::Enter.to_string()).await?;
        let on_profile = wait_for_text(&client, "me-email", |text| !text.is_empty()).await?;
        // The switcher opens from the keyboard and Escape closes it.
        let switcher = client.find(Locator::Id("org-switcher")).await?;
        switcher.send_keys(&Key::Enter.to_string()).await?;
        client.wait().for_element(Locator::Id("org-switcher-search")).await?;
        let search = client.find(Locator::Id("org-switcher-search")).await?;
        search.click().await?;
        search.send_keys(&Key::Escape.to_string()).await?;
        let mut closed = false;
        for _ in 0..30 {
            if client.find(Locator::Id("org-switcher-panel")).await.is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, anyhow::Error>((on_password, reached, on_profile, closed))
    })
    .await;
    let (on_password, reached, on_profile, closed) = result.expect("the browser journey");
    assert_eq!(
        on_password,
        json!("password"),
        "Tab from the email goes to the password"
    );
    assert!(reached, "Tab reaches My profile in the header");
    assert_eq!(on_profile, root.email);
    assert!(closed, "Escape closes the switcher");
}

/// An ADMIN tries a metadata schema on the existing documents, applies it, and edits a member's
/// `userMetadata` through the form generated from it: a choice, a number the server refuses (its
/// message under the input), a key the admin may not write shown disabled. The page has no WCAG
/// violation with the form on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_applies_a_metadata_schema_and_edits_a_member_through_its_form() {
    let (server, root, acme, admin, ada) = acme_with_admin_and_ada().await;
    let set = "mutation($id: ID!) { updateUserMetadata(id: $id, userMetadata: { age: -3, theme: \"dark\" }) { id } }";
    server.as_(&root, set, json!({ "id": ada })).await.ok();
    let schema = json!({ "properties": {
        "department": { "enum": ["sales", "ops"], "description": "Where they work" },
        "age": { "type": "integer", "minimum": 0 },
        "started": { "type": "string", "format": "date" },
        "remote": { "type": "boolean" },
        "salary": { "type": "integer", "x-steward-write": ["scope:metadata:write"] },
        "tags": { "type": "array", "items": { "type": "string" } }
    } });
    let read = "query($id: ID!) { user(id: $id) { userMetadata } }";

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{acme}/settings", server.url)).await?;
        wait_for_text(&client, "metadata-schema-state", |text| text.contains("No schema yet")).await?;
        replace_text(&client, "metadata-schema", &schema.to_string()).await?;
        click(&client, "check-metadata-schema").await?;
        let tried = wait_for_text(&client, "metadata-schema-outcome", |text| !text.is_empty()).await?;
        let failing = wait_for_text(&client, "metadata-schema-failing", |text| !text.is_empty()).await?;
        click(&client, "apply-metadata-schema").await?;
        let applied = wait_for_text(&client, "metadata-schema-outcome", |text| text.contains("applied")).await?;

        client.goto(&format!("{}/users/{ada}", server.url)).await?;
        let field = |key: &str| format!("user-metadata-editor-field-{key}");
        client
            .wait()
            .for_element(Locator::Id(&field("department")))
            .await?
            .select_by_value("1")
            .await?;
        replace_text(&client, &field("age"), "-1").await?;
        let salary_enabled = client.find(Locator::Id(&field("salary"))).await?.is_enabled().await?;
        click(&client, "save-user-metadata-editor").await?;
        let refused = wait_for_text(&client, "user-metadata-form", |text| text.contains("minimum")).await?;
        replace_text(&client, &field("age"), "36").await?;
        // A list gets an input per item.
        click(&client, &format!("{}-add", field("tags"))).await?;
        type_into(&client, &format!("{}-0", field("tags")), "blue").await?;
        click(&client, &field("remote")).await?;
        click(&client, "save-user-metadata-editor").await?;
        wait_for_text(&client, "user-metadata-editor-saved", |text| !text.is_empty()).await?;
        let violations = accessibility_violations(&client).await?;
        std::fs::write(
            workspace_root().join("target/browser-metadata-form.png"),
            client.screenshot().await?,
        )?;

        // The members table filters on a described key with the input its type calls for.
        client.goto(&format!("{}/orgs/{acme}", server.url)).await?;
        wait_for_text(&client, "member-count", |text| text == "2 members").await?;
        let key = client.wait().for_element(Locator::Id("filter-metadata-key")).await?;
        key.select_by_value("userMetadata.department").await?;
        client
            .wait()
            .for_element(Locator::Id("filter-metadata-value"))
            .await?
            .select_by_value("1")
            .await?;
        let by_department = wait_for_text(&client, "member-count", |text| text == "1 member").await?;
        let key = client.find(Locator::Id("filter-metadata-key")).await?;
        key.select_by_value("userMetadata.age").await?;
        wait_for_text(&client, "member-count", |text| text == "2 members").await?;
        // Numbers by range: from 35 finds ada (36), to 35 too finds nobody.
        replace_text(&client, "filter-metadata-from", "35").await?;
        click(&client, "member-count").await?;
        let by_age = wait_for_text(&client, "member-count", |text| text == "1 member").await?;
        replace_text(&client, "filter-metadata-to", "35").await?;
        click(&client, "member-count").await?;
        let by_wrong_age = wait_for_text(&client, "member-count", |text| text == "0 members").await?;
        let filtered = (by_department, by_wrong_age, by_age);
        Ok::<_, anyhow::Error>((tried, failing, applied, salary_enabled, refused, violations, filtered))
    })
    .await;
    let (tried, failing, applied, salary_enabled, refused, violations, filtered) = result.expect("the browser journey");
    assert_eq!(filtered, ("1 member".into(), "0 members".into(), "1 member".into()));
    assert!(tried.contains("1 of 2 documents would fail"), "{tried}");
    assert!(
        failing.contains("ada@acme.test") && failing.contains("/age"),
        "{failing}"
    );
    assert!(applied.contains("applied"), "{applied}");
    assert!(!salary_enabled, "the admin may not write the salary");
    assert!(refused.contains("minimum"), "{refused}");
    assert!(violations.is_empty(), "{violations:#?}");
    let stored = server.as_(&root, read, json!({ "id": ada })).await;
    assert_eq!(
        stored.ok()["user"]["userMetadata"],
        json!({ "department": "ops", "age": 36, "remote": true, "tags": ["blue"], "theme": "dark" })
    );
}

/// An organization's ADMIN imports a file of users from the settings page: the upload goes, a
/// progress bar follows the job, and at the end the counts and every line not applied show, with
/// the page free of WCAG violations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_imports_a_file_of_users_and_watches_it_finish() {
    let (server, _root, acme, admin, _ada) = acme_with_admin_and_ada().await;
    let directory = std::env::temp_dir().join(format!("steward-upload-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("users.ndjson");
    let mut lines: Vec<String> = (1..=1500)
        .map(|n| json!({ "email": format!("imported{n}@acme.test"), "name": format!("Imported {n}") }).to_string())
        .collect();
    lines[9] = "{not a user".to_owned();
    lines.push(json!({ "email": "ada@acme.test" }).to_string());
    std::fs::write(&file, lines.join("\n")).unwrap();

    let result = in_browser(async |client| {
        client.set_window_size(1280, 1600).await?;
        sign_in_through_portal(&client, &server, &admin.email, CHANGED_PASSWORD).await?;
        client.goto(&format!("{}/orgs/{acme}/settings", server.url)).await?;
        let input = client.wait().for_element(Locator::Id("import-file")).await?;
        input.send_keys(&file.to_string_lossy()).await?;
        click(&client, "start-import").await?;
        let notice = wait_for_text(&client, "import-notice", |text| text.contains("Import finished")).await?;
        let counts = wait_for_text(&client, "import-counts", |text| !text.is_empty()).await?;
        let problems = wait_for_text(&client, "import-problems", |text| !text.is_empty()).await?;
        let bar = client.find(Locator::Id("import-bar")).await?;
        let (value, max) = (bar.attr("value").await?, bar.attr("max").await?);
        let violations = accessibility_violations(&client).await?;
        std::fs::write(
            workspace_root().join("target/browser-import.png"),
            client.screenshot().await?,
        )?;
        Ok::<_, anyhow::Error>((notice, counts, problems, value, max, violations))
    })
    .await;
    let _ = std::fs::remove_dir_all(&directory);
    let (notice, counts, problems, value, max, violations) = result.expect("the browser journey");
    assert!(notice.contains("1499 created"), "{notice}");
    assert_eq!(counts, "1499 created · 0 updated · 1 skipped · 1 rejected");
    assert!(problems.contains("10") && problems.contains("Rejected"), "{problems}");
    assert!(problems.contains("1501") && problems.contains("Skipped"), "{problems}");
    assert_eq!(value, max, "the bar is full");
    assert!(violations.is_empty(), "{violations:#?}");
}

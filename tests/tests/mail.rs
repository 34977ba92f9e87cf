//! Mail end to end against a real SMTP server: password reset, tickets and admin-set passwords,
//! verification, invitations, email change, lockout mail, delivery while the mail server is down,
//! several instances on one outbox, header injection, and the outbox without SMTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde_json::{json, Value};
use steward_server::clock::Clock;
use steward_server::Config;
use steward_tests::smtp::{ReceivedMail, SmtpSink};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer, CHANGED_PASSWORD, PASSWORD};

const WAIT: Duration = Duration::from_secs(10);
/// How long to wait before concluding that a mail did not come.
const NEW_PASSWORD: &str = "A-brand-new-passphrase-3";
const OTHER_PASSWORD: &str = "Quartz-lantern-obelisk-drizzle-7";

const REQUEST_RESET: &str = "mutation($email: String!) { requestPasswordReset(email: $email) }";
const RESET: &str =
    "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";
const VERIFY: &str = "mutation($token: String!) { verifyEmail(token: $token) }";
const ACCEPT: &str = "mutation($token: String!, $password: String, $name: String) { acceptInvitation(token: $token, password: $password, name: $name) { accessToken refreshToken passwordChangeRequired user { id email emailVerified } } }";
const INVITE: &str = "mutation($org: ID!, $email: String!, $roles: [OrgRole!]) { inviteMember(orgId: $org, email: $email, roles: $roles) { id email roles expiresAt } }";
const TOKEN_INFO: &str = "query($token: String!) { tokenInfo(token: $token) { purpose email expiresAt resultUrl accountExists organization { slug } passwordPolicy { minLength } } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id emailVerified } }";
const USER: &str = "query($id: ID!) { user(id: $id) { email emailVerified pendingEmail passwordChangeRequired } }";
const VIEWER: &str = "{ viewer { user { id email emailVerified } memberships { roles organization { slug } } } }";
const MAILS: &str =
    "{ mails(first: 100) { totalCount edges { node { kind to subject status link textBody attempts lastError } } } }";

/// A Steward that delivers to an SMTP sink, with a superadmin and the organization `acme`
/// (named "Org acme").
struct World {
    server: TestServer,
    sink: SmtpSink,
    root: Session,
    org: String,
}

async fn world(backend: Backend) -> World {
    world_with(backend, |_| {}).await
}

async fn world_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> World {
    let sink = SmtpSink::start().await;
    let smtp_url = sink.url();
    let server = TestServer::start_with(backend, |config| {
        config.smtp_url = Some(smtp_url);
        configure(config);
    })
    .await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    World {
        server,
        sink,
        root,
        org,
    }
}

impl World {
    /// A MEMBER of `acme` whose password is `CHANGED_PASSWORD`, signed in. (Creating the user
    /// mails them an "account ready" invitation, which the tests pass over.)
    async fn member(&self, email: &str) -> Session {
        self.server.member(&self.root, &self.org, email, &["MEMBER"]).await
    }

    /// Creates a user in `acme` as the superadmin with `extra` input fields; returns the id.
    async fn create_user(&self, email: &str, extra: Value) -> String {
        let mut input = json!({ "orgId": self.org, "email": email });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let created = self
            .server
            .as_(&self.root, CREATE_USER, json!({ "input": input }))
            .await;
        created.ok()["createUser"]["id"].as_str().unwrap().to_owned()
    }

    async fn user(&self, id: &str) -> Value {
        let found = self.server.as_(&self.root, USER, json!({ "id": id })).await;
        found.ok()["user"].clone()
    }

    /// The next mail to `to` whose subject contains `subject`, passing over other mail to `to`.
    async fn mail(&self, to: &str, subject: &str) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mail = self.sink.wait_for(to, deadline - tokio::time::Instant::now()).await;
            if mail.subject.contains(subject) {
                return mail;
            }
        }
    }

    /// How many mails to `to` with `subject` in their subject the sink has received.
    fn count(&self, to: &str, subject: &str) -> usize {
        let mails = self.sink.messages();
        let matching = mails
            .iter()
            .filter(|mail| is_to(mail, to) && mail.subject.contains(subject));
        matching.count()
    }
}

fn is_to(mail: &ReceivedMail, to: &str) -> bool {
    mail.envelope_to
        .iter()
        .any(|recipient| recipient.eq_ignore_ascii_case(to))
}

async fn request_reset(server: &TestServer, email: &str) -> Gql {
    server.gql(None, REQUEST_RESET, json!({ "email": email })).await
}

async fn reset(server: &TestServer, token: &str, password: &str) -> Gql {
    server
        .gql(None, RESET, json!({ "token": token, "password": password }))
        .await
}

async fn verify(server: &TestServer, token: &str) -> Gql {
    server.gql(None, VERIFY, json!({ "token": token })).await
}

async fn accept(server: &TestServer, token: &str, password: Option<&str>, name: Option<&str>) -> Gql {
    let variables = json!({ "token": token, "password": password, "name": name });
    server.gql(None, ACCEPT, variables).await
}

async fn token_info(server: &TestServer, token: &str) -> Value {
    server.gql(None, TOKEN_INFO, json!({ "token": token })).await.ok()["tokenInfo"].clone()
}

async fn invite(server: &TestServer, by: &Session, org: &str, email: &str, roles: &[&str]) -> Gql {
    let variables = json!({ "org": org, "email": email, "roles": roles });
    server.as_(by, INVITE, variables).await
}

/// The session an `acceptInvitation` answer hands out.
fn session_of(accepted: &Gql) -> Session {
    let payload = &accepted.ok()["acceptInvitation"];
    Session {
        access_token: payload["accessToken"].as_str().unwrap().to_owned(),
        refresh_token: payload["refreshToken"].as_str().unwrap().to_owned(),
        user_id: payload["user"]["id"].as_str().unwrap().to_owned(),
        email: payload["user"]["email"].as_str().unwrap().to_owned(),
    }
}

/// Whether an access token still works.
async fn signed_in(server: &TestServer, session: &Session) -> bool {
    let viewer = server.as_(session, VIEWER, json!({})).await;
    viewer.errors.is_empty() && !viewer.data["viewer"].is_null()
}

/// The token in a link such as a ticket's `url`.
fn token_in(link: &str) -> String {
    let url = reqwest::Url::parse(link).expect("a URL");
    let token = url.query_pairs().find(|(name, _)| name == "token");
    token.unwrap_or_else(|| panic!("no token in {link}")).1.into_owned()
}

/// The HTML part with the character references the templates write (`/` is `&#x2f;`) decoded,
/// as a mail client reads an attribute.
fn html(mail: &ReceivedMail) -> String {
    let html = mail.html.as_deref().expect("an HTML part");
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn nodes(response: &Gql, connection: &str) -> Vec<Value> {
    let edges = response.ok()[connection]["edges"].as_array().expect("edges").clone();
    edges.into_iter().map(|edge| edge["node"].clone()).collect()
}

/// The outbox as a superadmin sees it, polled until `done` holds (every 100 ms, up to `WAIT`).
async fn outbox_until(server: &TestServer, root: &Session, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mails = nodes(&server.as_(root, MAILS, json!({})).await, "mails");
        if done(&mails) {
            return mails;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("the outbox never got there: {mails:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// 1. Forgot password.

async fn a_forgotten_password_is_reset_by_mail(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let before = w.member(email).await;
    let asked = request_reset(&w.server, email).await;
    assert_eq!(asked.ok()["requestPasswordReset"], true);

    let mail = w.mail(email, "Reset your").await;
    assert_eq!(mail.subject, "Reset your Org acme password");
    assert_eq!(mail.from, "Steward <no-reply@localhost>");
    assert_eq!(mail.envelope_from, "no-reply@localhost");
    assert_eq!(mail.envelope_to, [email]);
    let link = mail.link("/reset-password");
    assert!(
        link.starts_with(&format!("{}/reset-password?token=", w.server.url)),
        "{link}"
    );
    assert!(mail.text.contains(&link));
    assert!(html(&mail).contains(&format!("href=\"{link}\"")), "{}", html(&mail));
    assert!(mail.text.contains("Someone asked"), "{}", mail.text);

    let token = mail.token("/reset-password");
    assert_eq!(reset(&w.server, &token, NEW_PASSWORD).await.ok()["resetPassword"], true);
    w.server.login(email, NEW_PASSWORD).await.ok();
    w.server
        .login(email, CHANGED_PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");
    // Single use.
    reset(&w.server, &token, OTHER_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");
    // The sessions from before the reset ended.
    assert!(!signed_in(&w.server, &before).await);

    // A new request kills the link before it.
    request_reset(&w.server, email).await.ok();
    let first = w.mail(email, "Reset your").await.token("/reset-password");
    request_reset(&w.server, email).await.ok();
    let second = w.mail(email, "Reset your").await.token("/reset-password");
    reset(&w.server, &first, OTHER_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");
    reset(&w.server, &second, OTHER_PASSWORD).await.ok();
    w.server.login(email, OTHER_PASSWORD).await.ok();
}

// 2. Expiry.

async fn a_reset_link_expires_after_an_hour(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    w.member(email).await;
    request_reset(&w.server, email).await.ok();
    let token = w.mail(email, "Reset your").await.token("/reset-password");

    w.server.clock.advance(chrono::Duration::minutes(59));
    assert_eq!(token_info(&w.server, &token).await["purpose"], "PASSWORD_RESET");
    w.server.clock.advance(chrono::Duration::minutes(2));
    assert!(token_info(&w.server, &token).await.is_null());
    reset(&w.server, &token, NEW_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");
    w.server.login(email, CHANGED_PASSWORD).await.ok();
}

async fn a_password_change_or_a_block_kills_outstanding_reset_links(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let user = w.member(email).await;

    request_reset(&w.server, email).await.ok();
    let token = w.mail(email, "Reset your").await.token("/reset-password");
    let change =
        "mutation($current: String!, $new: String!) { changeMyPassword(currentPassword: $current, newPassword: $new) }";
    let changed = w
        .server
        .as_(
            &user,
            change,
            json!({ "current": CHANGED_PASSWORD, "new": NEW_PASSWORD }),
        )
        .await;
    changed.ok();
    reset(&w.server, &token, OTHER_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");

    request_reset(&w.server, email).await.ok();
    let token = w.mail(email, "Reset your").await.token("/reset-password");
    let block = "mutation($id: ID!) { blockUser(userId: $id) { blocked } }";
    let unblock = "mutation($id: ID!) { unblockUser(userId: $id) { blocked } }";
    w.server.as_(&w.root, block, json!({ "id": user.user_id })).await.ok();
    // A blocked user is not mailed. The request is handled apart from its answer: it has been
    // handled before the user is unblocked.
    request_reset(&w.server, email).await.ok();
    w.server.settle().await;
    w.server.as_(&w.root, unblock, json!({ "id": user.user_id })).await.ok();
    reset(&w.server, &token, OTHER_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");
    // The request made while blocked mailed nothing: the next mail is for the next request.
    request_reset(&w.server, email).await.ok();
    let token = w.mail(email, "Reset your").await.token("/reset-password");
    reset(&w.server, &token, OTHER_PASSWORD).await.ok();
    w.server.settle().await;
    assert_eq!(w.count(email, "Reset your"), 3);
}

async fn a_link_serves_only_its_purpose_and_a_refusal_does_not_spend_it(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    w.member(email).await;
    request_reset(&w.server, email).await.ok();
    let token = w.mail(email, "Reset your").await.token("/reset-password");

    verify(&w.server, &token).await.expect_code("TOKEN_INVALID");
    accept(&w.server, &token, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
    let unlock = "mutation($token: String!) { unlockAccount(token: $token) }";
    w.server
        .gql(None, unlock, json!({ "token": token }))
        .await
        .expect_code("TOKEN_INVALID");
    // A password the policy refuses leaves the link usable.
    reset(&w.server, &token, "password")
        .await
        .expect_code("PASSWORD_POLICY");
    reset(&w.server, &token, CHANGED_PASSWORD)
        .await
        .expect_code("PASSWORD_POLICY");
    reset(&w.server, &token, NEW_PASSWORD).await.ok();
    w.server.login(email, NEW_PASSWORD).await.ok();
}

async fn a_link_used_by_several_requests_at_once_works_once(backend: Backend) {
    let w = world(backend).await;
    let email = "grace@acme.test";
    invite(&w.server, &w.root, &w.org, email, &["MEMBER"]).await.ok();
    let token = w.mail(email, "invited").await.token("/accept-invitation");
    let passwords: Vec<String> = (0..5).map(|n| format!("{NEW_PASSWORD}-{n}")).collect();
    let attempts = passwords
        .iter()
        .map(|password| accept(&w.server, &token, Some(password), None));
    let answers = join_all(attempts).await;
    let winners: Vec<&String> = passwords
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| answer.errors.is_empty())
        .map(|(password, _)| password)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:#?}");
    for answer in answers.iter().filter(|answer| !answer.errors.is_empty()) {
        answer.expect_code("TOKEN_INVALID");
    }
    w.server.login(email, winners[0]).await.ok();
}

// 3. Anti-enumeration.

/// The raw HTTP answer to a reset request: status and body.
async fn raw_request_reset(server: &TestServer, email: &str) -> (u16, String) {
    let body = json!({ "query": REQUEST_RESET, "variables": { "email": email } });
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .json(&body)
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.text().await.expect("body"))
}

async fn a_reset_request_tells_nothing_about_the_address(backend: Backend) {
    let w = world(backend).await;
    let (known, unknown) = ("ada@acme.test", "nobody@acme.test");
    w.member(known).await;
    let for_unknown = raw_request_reset(&w.server, unknown).await;
    let for_known = raw_request_reset(&w.server, known).await;
    assert_eq!(for_unknown, for_known);
    assert_eq!(for_known.0, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&for_known.1).unwrap(),
        json!({ "data": { "requestPasswordReset": true } })
    );

    // The known address is mailed; by then the unknown one would have been too.
    w.mail(known, "Reset your").await;
    w.server.settle().await;
    assert!(
        !w.sink.messages().iter().any(|mail| is_to(mail, unknown)),
        "mail went to an unknown address"
    );
    let outbox = nodes(&w.server.as_(&w.root, MAILS, json!({})).await, "mails");
    assert!(outbox.iter().any(|mail| mail["to"] == known));
    assert!(!outbox.iter().any(|mail| mail["to"] == unknown), "{outbox:#?}");
}

// 4. Rate limits.

async fn reset_requests_are_limited_per_address(backend: Backend) {
    let w = world_with(backend, |config| config.mail_requests_per_ip_per_minute = 100).await;
    let (known, unknown) = ("ada@acme.test", "nobody@acme.test");
    w.member(known).await;
    let mut refusals = Vec::new();
    for email in [known, unknown] {
        // However the address is written, it is one address.
        for variant in [email.to_owned(), email.to_uppercase(), format!("  {email} ")]
            .iter()
            .cycle()
            .take(5)
        {
            assert_eq!(
                request_reset(&w.server, variant).await.ok()["requestPasswordReset"],
                true
            );
        }
        let sixth = request_reset(&w.server, email).await;
        sixth.expect_code("RATE_LIMITED");
        refusals.push((sixth.data, sixth.errors));
    }
    // Known and unknown addresses are refused alike.
    assert_eq!(refusals[0], refusals[1]);
    // Another address is not held back by them.
    request_reset(&w.server, "someone-else@acme.test").await.ok();

    for _ in 0..5 {
        w.mail(known, "Reset your").await;
    }
    w.server.settle().await;
    assert_eq!(w.count(known, "Reset your"), 5);
}

async fn reset_requests_are_limited_per_ip(backend: Backend) {
    let w = world(backend).await;
    for n in 0..10 {
        request_reset(&w.server, &format!("person{n}@acme.test")).await.ok();
    }
    request_reset(&w.server, "person10@acme.test")
        .await
        .expect_code("RATE_LIMITED");
}

// 5. What administrators do about passwords.

async fn an_admin_mails_a_reset_link(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let user = w.member(email).await;
    let send = "mutation($id: ID!) { sendPasswordResetEmail(userId: $id) }";
    let sent = w.server.as_(&w.root, send, json!({ "id": user.user_id })).await;
    assert_eq!(sent.ok()["sendPasswordResetEmail"], true);

    let mail = w.mail(email, "Reset your").await;
    assert!(
        mail.text.contains("An administrator of Org acme asked for a link"),
        "{}",
        mail.text
    );
    assert!(html(&mail).contains("An administrator of Org acme asked"));
    reset(&w.server, &mail.token("/reset-password"), NEW_PASSWORD)
        .await
        .ok();
    w.server.login(email, NEW_PASSWORD).await.ok();
    assert!(!signed_in(&w.server, &user).await);
}

const TICKET: &str = "mutation($id: ID!, $ttl: Int, $result: String, $verify: Boolean) { createPasswordChangeTicket(userId: $id, ttlSeconds: $ttl, resultUrl: $result, markEmailAsVerified: $verify) { url expiresAt } }";

async fn ticket(w: &World, user_id: &str, ttl: Option<i32>, result_url: Option<&str>, verify: bool) -> Gql {
    let variables = json!({ "id": user_id, "ttl": ttl, "result": result_url, "verify": verify });
    w.server.as_(&w.root, TICKET, variables).await
}

async fn password_change_tickets(backend: Backend) {
    let w = world_with(backend, |config| {
        config.redirect_origins = Some("https://app.example.com".into())
    })
    .await;
    let email = "ada@acme.test";
    let user = w.create_user(email, json!({ "sendInvitation": false })).await;
    assert_eq!(w.user(&user).await["emailVerified"], false);

    // A result URL on the public URL's origin, a TTL, and what the link's page may show.
    let result_url = format!("{}/welcome", w.server.url);
    let made = ticket(&w, &user, Some(3600), Some(&result_url), false).await;
    let made = &made.ok()["createPasswordChangeTicket"];
    let url = made["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/reset-password?token=", w.server.url)),
        "{url}"
    );
    let expires_at: DateTime<Utc> = made["expiresAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at, w.server.clock.now() + chrono::Duration::seconds(3600));
    let token = token_in(url);
    let info = token_info(&w.server, &token).await;
    assert_eq!(info["purpose"], "PASSWORD_RESET");
    assert_eq!(info["email"], email);
    assert_eq!(info["resultUrl"], result_url);
    assert_eq!(info["organization"]["slug"], "acme");
    assert_eq!(info["passwordPolicy"]["minLength"], 12);

    // Other origins only when listed; at most 30 days.
    ticket(&w, &user, None, Some("https://evil.example.com/welcome"), false)
        .await
        .expect_invalid("resultUrl");
    ticket(&w, &user, None, Some("https://app.example.com/welcome"), false)
        .await
        .ok();
    ticket(&w, &user, Some(31 * 24 * 3600), None, false)
        .await
        .expect_invalid("ttlSeconds");
    ticket(&w, &user, Some(30 * 24 * 3600), None, false).await.ok();

    // A ticket resets the password; only one made with markEmailAsVerified verifies the address.
    reset(&w.server, &token, NEW_PASSWORD).await.ok();
    w.server.login(email, NEW_PASSWORD).await.ok();
    assert_eq!(w.user(&user).await["emailVerified"], false);
    let verifying = ticket(&w, &user, None, None, true).await;
    let verifying = token_in(verifying.ok()["createPasswordChangeTicket"]["url"].as_str().unwrap());
    reset(&w.server, &verifying, OTHER_PASSWORD).await.ok();
    assert_eq!(w.user(&user).await["emailVerified"], true);
    w.server.login(email, OTHER_PASSWORD).await.ok();
    // No mail carries a ticket.
    w.server.settle().await;
    assert_eq!(w.count(email, "Reset your"), 0);
}

const SET_PASSWORD: &str = "mutation($id: ID!, $password: String!, $require: Boolean!) { setUserPassword(userId: $id, password: $password, requireChangeAtNextLogin: $require) { passwordChangeRequired } }";
const SET_PASSWORD_BY_DEFAULT: &str =
    "mutation($id: ID!, $password: String!) { setUserPassword(userId: $id, password: $password) { passwordChangeRequired } }";

/// `setUserPassword` as the superadmin, with `requireChangeAtNextLogin` when given.
async fn set_password(w: &World, user: &Session, password: &str, require: Option<bool>) -> Gql {
    let variables = json!({ "id": user.user_id, "password": password, "require": require });
    let query = if require.is_some() {
        SET_PASSWORD
    } else {
        SET_PASSWORD_BY_DEFAULT
    };
    w.server.as_(&w.root, query, variables).await
}

async fn an_admin_sets_a_password(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let user = w.member(email).await;
    let set = |password: &'static str, require: Option<bool>| set_password(&w, &user, password, require);

    // By default the user must change it at the next sign-in.
    let answer = set(NEW_PASSWORD, None).await;
    assert_eq!(answer.ok()["setUserPassword"]["passwordChangeRequired"], true);
    assert!(!signed_in(&w.server, &user).await);
    let login = w.server.login(email, NEW_PASSWORD).await;
    assert_eq!(login.ok()["login"]["passwordChangeRequired"], true);

    let answer = set(OTHER_PASSWORD, Some(false)).await;
    assert_eq!(answer.ok()["setUserPassword"]["passwordChangeRequired"], false);
    let login = w.server.login(email, OTHER_PASSWORD).await;
    assert_eq!(login.ok()["login"]["passwordChangeRequired"], false);

    // The organization's policy applies, history included.
    set("password", None).await.expect_code("PASSWORD_POLICY");
    set(NEW_PASSWORD, None).await.expect_code("PASSWORD_POLICY");
    w.server.login(email, OTHER_PASSWORD).await.ok();
}

async fn every_password_change_is_told_to_the_owner(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    // `member` changes the first password the user was given: their own change.
    let user = w.member(email).await;
    let own = w.mail(email, "Your password for Org acme was changed").await;
    assert!(
        own.text
            .contains("The password of your account at Org acme was changed"),
        "{}",
        own.text
    );
    set_password(&w, &user, NEW_PASSWORD, Some(false)).await.ok();
    let by_admin = w.mail(email, "was changed").await;
    assert!(
        by_admin.text.contains("An administrator set a new password"),
        "{}",
        by_admin.text
    );
    request_reset(&w.server, email).await;
    let link = w.mail(email, "Reset your").await.token("/reset-password");
    reset(&w.server, &link, OTHER_PASSWORD).await.ok();
    let by_link = w.mail(email, "was changed").await;
    assert!(by_link.text.contains("was reset from a link"), "{}", by_link.text);
    assert!(!by_link.text.contains("token="), "{}", by_link.text);
}

// 6. Verification.

async fn a_new_user_verifies_their_address_by_link(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let user = w.create_user(email, json!({ "sendInvitation": false })).await;
    assert_eq!(w.user(&user).await["emailVerified"], false);

    let mail = w.mail(email, "Verify your email address").await;
    assert_eq!(mail.subject, "Verify your email address for Org acme");
    let token = mail.token("/verify-email");
    assert!(html(&mail).contains(&mail.link("/verify-email")));
    assert_eq!(token_info(&w.server, &token).await["purpose"], "EMAIL_VERIFICATION");
    assert_eq!(verify(&w.server, &token).await.ok()["verifyEmail"], true);
    assert_eq!(w.user(&user).await["emailVerified"], true);
    verify(&w.server, &token).await.expect_code("TOKEN_INVALID");
    // Not an invitation: nothing else was mailed.
    w.server.settle().await;
    assert_eq!(w.sink.messages().len(), 1);
}

async fn verification_links_are_sent_again_on_request(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let input = json!({ "sendInvitation": false, "password": PASSWORD });
    let id = w.create_user(email, input).await;
    let first = w.mail(email, "Verify your").await.token("/verify-email");
    let user = w.server.sign_in_new_user(email).await;

    // The user asks again: the new link works, the old one died.
    let resend = "mutation { resendMyVerificationEmail }";
    assert_eq!(
        w.server.as_(&user, resend, json!({})).await.ok()["resendMyVerificationEmail"],
        true
    );
    let second = w.mail(email, "Verify your").await.token("/verify-email");
    verify(&w.server, &first).await.expect_code("TOKEN_INVALID");
    verify(&w.server, &second).await.ok();
    assert_eq!(w.user(&id).await["emailVerified"], true);

    // An administrator unverifies the address and sends a link.
    let set = "mutation($id: ID!, $verified: Boolean!) { setEmailVerified(userId: $id, verified: $verified) { emailVerified } }";
    let unset = w.server.as_(&w.root, set, json!({ "id": id, "verified": false })).await;
    assert_eq!(unset.ok()["setEmailVerified"]["emailVerified"], false);
    let send = "mutation($id: ID!) { sendVerificationEmail(userId: $id) }";
    w.server.as_(&w.root, send, json!({ "id": id })).await.ok();
    let third = w.mail(email, "Verify your").await.token("/verify-email");
    verify(&w.server, &third).await.ok();
    assert_eq!(w.user(&id).await["emailVerified"], true);

    // Or just says so.
    w.server
        .as_(&w.root, set, json!({ "id": id, "verified": false }))
        .await
        .ok();
    let again = w.server.as_(&w.root, set, json!({ "id": id, "verified": true })).await;
    assert_eq!(again.ok()["setEmailVerified"]["emailVerified"], true);
    // A verified user asking again gets the same answer and no mail.
    w.server.as_(&user, resend, json!({})).await.ok();
    w.server.settle().await;
    assert_eq!(w.count(email, "Verify your"), 3);
}

async fn verification_and_address_change_requests_are_rate_limited(backend: Backend) {
    let w = world_with(backend, |config| config.mail_requests_per_account_per_hour = 2).await;
    let user = w.member("ada@acme.test").await;
    let resend = "mutation { resendMyVerificationEmail }";
    for _ in 0..2 {
        w.server.as_(&user, resend, json!({})).await.ok();
    }
    w.server.as_(&user, resend, json!({})).await.expect_code("RATE_LIMITED");
    // Address changes draw on the same budget, so they cannot flood other inboxes either.
    let change =
        "mutation($email: String!, $password: String!) { changeMyEmail(newEmail: $email, password: $password) }";
    w.server
        .as_(
            &user,
            change,
            json!({ "email": "someone@else.test", "password": CHANGED_PASSWORD }),
        )
        .await
        .expect_code("RATE_LIMITED");
}

async fn an_org_requiring_verified_addresses_admits_after_verification(backend: Backend) {
    let w = world(backend).await;
    let require = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { requireVerifiedEmail: true } }) { settings { requireVerifiedEmail } } }";
    let updated = w.server.as_(&w.root, require, json!({ "id": w.org })).await;
    assert_eq!(
        updated.ok()["updateOrganization"]["settings"]["requireVerifiedEmail"],
        true
    );
    let email = "ada@acme.test";
    w.create_user(email, json!({ "sendInvitation": false, "password": PASSWORD }))
        .await;
    w.server
        .login_to(email, PASSWORD, Some("acme"))
        .await
        .expect_code("EMAIL_NOT_VERIFIED");

    let token = w.mail(email, "Verify your").await.token("/verify-email");
    verify(&w.server, &token).await.ok();
    w.server.login_to(email, PASSWORD, Some("acme")).await.ok();
}

// 7. Invitations.

async fn an_invitation_creates_an_account(backend: Backend) {
    let w = world(backend).await;
    let email = "grace@acme.test";
    let invited = invite(&w.server, &w.root, &w.org, email, &["AUDITOR"]).await;
    assert_eq!(invited.ok()["inviteMember"]["roles"], json!(["AUDITOR"]));

    let mail = w.mail(email, "").await;
    assert_eq!(mail.subject, "You are invited to join Org acme");
    let token = mail.token("/accept-invitation");
    let info = token_info(&w.server, &token).await;
    assert_eq!(info["purpose"], "INVITATION");
    assert_eq!(info["email"], email);
    assert_eq!(info["accountExists"], false);
    assert_eq!(info["organization"]["slug"], "acme");

    let accepted = accept(&w.server, &token, Some(NEW_PASSWORD), Some("Grace Hopper")).await;
    let session = session_of(&accepted);
    assert_eq!(accepted.ok()["acceptInvitation"]["passwordChangeRequired"], false);
    let viewer = w.server.as_(&session, VIEWER, json!({})).await;
    let viewer = &viewer.ok()["viewer"];
    assert_eq!(viewer["user"]["email"], email);
    assert_eq!(viewer["user"]["emailVerified"], true);
    assert_eq!(
        viewer["memberships"],
        json!([{ "roles": ["AUDITOR"], "organization": { "slug": "acme" } }])
    );
    accept(&w.server, &token, Some(OTHER_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
    w.server.login(email, NEW_PASSWORD).await.ok();
    // A member is not invited again.
    invite(&w.server, &w.root, &w.org, email, &["MEMBER"])
        .await
        .expect_code("CONFLICT");
    w.server.settle().await;
    assert_eq!(w.count(email, ""), 1);
}

async fn an_invitation_expires_after_seven_days(backend: Backend) {
    let w = world(backend).await;
    let email = "grace@acme.test";
    invite(&w.server, &w.root, &w.org, email, &["MEMBER"]).await.ok();
    let token = w.mail(email, "invited").await.token("/accept-invitation");
    w.server
        .clock
        .advance(chrono::Duration::days(7) - chrono::Duration::minutes(1));
    assert_eq!(token_info(&w.server, &token).await["purpose"], "INVITATION");
    w.server.clock.advance(chrono::Duration::minutes(2));
    assert!(token_info(&w.server, &token).await.is_null());
    accept(&w.server, &token, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
}

async fn an_existing_user_joins_with_the_invited_roles(backend: Backend) {
    let w = world(backend).await;
    let globex = w.server.create_org(&w.root, "globex").await;
    let email = "ada@globex.test";
    w.server.member(&w.root, &globex, email, &["MEMBER"]).await;
    invite(&w.server, &w.root, &w.org, email, &["USER_MANAGER"]).await.ok();
    let token = w
        .mail(email, "You are invited to join Org acme")
        .await
        .token("/accept-invitation");
    assert_eq!(token_info(&w.server, &token).await["accountExists"], true);

    // The link alone does not sign in to an account that has a password: it must be given, and
    // right. Refusals leave the link usable.
    accept(&w.server, &token, None, None)
        .await
        .expect_invalid("currentPassword");
    accept(&w.server, &token, Some("not-the-password"), None)
        .await
        .expect_code("INVALID_CREDENTIALS");
    let accepted = accept(&w.server, &token, Some(CHANGED_PASSWORD), None).await;
    let session = session_of(&accepted);
    let viewer = w.server.as_(&session, VIEWER, json!({})).await;
    let mut memberships: Vec<(String, Value)> = viewer.ok()["viewer"]["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["organization"]["slug"].as_str().unwrap().to_owned(),
                m["roles"].clone(),
            )
        })
        .collect();
    memberships.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        memberships,
        [
            ("acme".to_owned(), json!(["USER_MANAGER"])),
            ("globex".to_owned(), json!(["MEMBER"]))
        ]
    );
    // The password stays as it was.
    w.server.login(email, CHANGED_PASSWORD).await.ok();
}

async fn an_invitation_dies_with_the_address_or_membership_it_was_for(backend: Backend) {
    let w = world(backend).await;
    let update = "mutation($id: ID!, $email: String!) { updateUser(id: $id, input: { email: $email }) { email } }";
    // An administrator mistypes an address, then corrects it: the first link is worthless.
    let id = w.create_user("bob@typo.test", json!({})).await;
    let typo = w.mail("bob@typo.test", "is ready").await.token("/accept-invitation");
    w.server
        .as_(&w.root, update, json!({ "id": id, "email": "bob@acme.test" }))
        .await
        .ok();
    accept(&w.server, &typo, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");

    // A member removed before accepting is not brought back by the link.
    let carol = w.create_user("carol@acme.test", json!({ "roles": ["AUDITOR"] })).await;
    let link = w.mail("carol@acme.test", "is ready").await.token("/accept-invitation");
    let remove = "mutation($org: ID!, $user: ID!) { removeMember(orgId: $org, userId: $user) }";
    w.server
        .as_(&w.root, remove, json!({ "org": w.org, "user": carol }))
        .await
        .ok();
    accept(&w.server, &link, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
}

async fn pending_invitations_are_listed_and_can_be_revoked(backend: Backend) {
    let w = world(backend).await;
    let list = "query($id: ID!) { organization(id: $id) { invitations { id email } } }";
    let revoke = "mutation($id: ID!) { revokeInvitation(id: $id) }";
    let first = invite(&w.server, &w.root, &w.org, "one@acme.test", &["MEMBER"]).await;
    let first_id = first.ok()["inviteMember"]["id"].clone();
    invite(&w.server, &w.root, &w.org, "two@acme.test", &["MEMBER"])
        .await
        .ok();
    let listed = w.server.as_(&w.root, list, json!({ "id": w.org })).await;
    let mut emails: Vec<Value> = listed.ok()["organization"]["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invitation| invitation["email"].clone())
        .collect();
    emails.sort_by_key(|email| email.to_string());
    assert_eq!(emails, [json!("one@acme.test"), json!("two@acme.test")]);

    let token = w.mail("one@acme.test", "invited").await.token("/accept-invitation");
    // The invitation's id is not its link.
    assert_ne!(json!(token), first_id);
    let revoked = w.server.as_(&w.root, revoke, json!({ "id": first_id })).await;
    assert_eq!(revoked.ok()["revokeInvitation"], true);
    accept(&w.server, &token, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
    let listed = w.server.as_(&w.root, list, json!({ "id": w.org })).await;
    let left = listed.ok()["organization"]["invitations"].as_array().unwrap().clone();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["email"], "two@acme.test");
    w.server
        .as_(&w.root, revoke, json!({ "id": first_id }))
        .await
        .expect_code("NOT_FOUND");
}

/// An invitation sent again gets a new link valid for the full seven days, even after the first
/// expired; the old link no longer works, and the new one does.
async fn an_invitation_is_resent_with_a_new_link(backend: Backend) {
    let w = world(backend).await;
    let resend = "mutation($id: ID!) { resendInvitation(id: $id) { id email roles expiresAt } }";
    let first = invite(&w.server, &w.root, &w.org, "late@acme.test", &["AUDITOR"]).await;
    let first_id = first.ok()["inviteMember"]["id"].clone();
    let old_link = w.mail("late@acme.test", "invited").await.token("/accept-invitation");
    // A week and a day later the first link has expired, unaccepted.
    w.server.clock.advance(chrono::Duration::days(8));
    accept(&w.server, &old_link, Some(NEW_PASSWORD), None)
        .await
        .expect_code("TOKEN_INVALID");
    // (The superadmin signs in again: a week is longer than an access token lives.)
    let root = w.server.sign_in(&w.root.email, PASSWORD).await;

    let resent = w.server.as_(&root, resend, json!({ "id": first_id })).await;
    let resent = resent.ok()["resendInvitation"].clone();
    assert_ne!(resent["id"], first_id, "a new link is a new invitation id");
    assert_eq!(resent["email"], "late@acme.test");
    assert_eq!(resent["roles"], json!(["AUDITOR"]));
    let expires: DateTime<Utc> = resent["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(expires > w.server.clock.now() + chrono::Duration::days(6));
    // The old id is spent: resending or revoking it again finds nothing.
    w.server
        .as_(&root, resend, json!({ "id": first_id }))
        .await
        .expect_code("NOT_FOUND");

    let new_link = w.mail("late@acme.test", "invited").await.token("/accept-invitation");
    assert_ne!(new_link, old_link);
    let accepted = accept(&w.server, &new_link, Some(NEW_PASSWORD), None).await;
    let session = session_of(&accepted);
    let viewer = w.server.as_(&session, VIEWER, json!({})).await;
    assert_eq!(viewer.ok()["viewer"]["memberships"][0]["roles"], json!(["AUDITOR"]));
    // Resending is recorded.
    let log = w
        .server
        .as_(
            &root,
            "query($org: ID!) { auditEvents(orgId: $org, types: [\"INVITATION_RESENT\"]) { totalCount } }",
            json!({ "org": w.org }),
        )
        .await;
    assert_eq!(log.ok()["auditEvents"]["totalCount"], 1);
}

/// A USER_MANAGER may resend a MEMBER's invitation, not an ADMIN's: resending grants the roles.
async fn resending_grants_the_roles_again(backend: Backend) {
    let w = world(backend).await;
    let manager = w
        .server
        .member(&w.root, &w.org, "uma@acme.test", &["USER_MANAGER"])
        .await;
    let resend = "mutation($id: ID!) { resendInvitation(id: $id) { id } }";
    let admin_invite = invite(&w.server, &w.root, &w.org, "boss@acme.test", &["ADMIN"]).await;
    let admin_id = admin_invite.ok()["inviteMember"]["id"].clone();
    w.server
        .as_(&manager, resend, json!({ "id": admin_id }))
        .await
        .expect_code("FORBIDDEN");
    let member_invite = invite(&w.server, &w.root, &w.org, "staff@acme.test", &["MEMBER"]).await;
    let member_id = member_invite.ok()["inviteMember"]["id"].clone();
    w.server.as_(&manager, resend, json!({ "id": member_id })).await.ok();
}

async fn a_user_manager_cannot_invite_an_admin(backend: Backend) {
    let w = world(backend).await;
    let manager = w
        .server
        .member(&w.root, &w.org, "manager@acme.test", &["USER_MANAGER"])
        .await;
    for role in ["ADMIN", "USER_MANAGER"] {
        invite(&w.server, &manager, &w.org, "boss@acme.test", &[role])
            .await
            .expect_code("FORBIDDEN");
    }
    invite(&w.server, &manager, &w.org, "boss@acme.test", &["AUDITOR"])
        .await
        .ok();
    w.mail("boss@acme.test", "invited").await;
    w.server.settle().await;
    assert_eq!(w.count("boss@acme.test", ""), 1);
}

async fn a_created_account_is_taken_up_by_invitation(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let id = w.create_user(email, json!({ "name": "Ada" })).await;
    let mail = w.mail(email, "").await;
    assert_eq!(mail.subject, "Your account at Org acme is ready");
    assert!(mail.text.contains("Set your password"), "{}", mail.text);
    let token = mail.token("/accept-invitation");
    assert_eq!(token_info(&w.server, &token).await["accountExists"], false);
    // The account has no password yet: accepting needs one.
    accept(&w.server, &token, None, None).await.expect_invalid("password");

    let accepted = accept(&w.server, &token, Some(NEW_PASSWORD), None).await;
    assert_eq!(session_of(&accepted).user_id, id);
    assert_eq!(accepted.ok()["acceptInvitation"]["user"]["emailVerified"], true);
    let login = w.server.login(email, NEW_PASSWORD).await;
    assert_eq!(login.ok()["login"]["passwordChangeRequired"], false);
}

// 8. Email change.

async fn a_user_changes_their_address_once_the_new_one_is_verified(backend: Backend) {
    let w = world(backend).await;
    let (old, new) = ("ada@acme.test", "ada.lovelace@acme.test");
    let user = w.member(old).await;
    let change =
        "mutation($email: String!, $password: String!) { changeMyEmail(newEmail: $email, password: $password) }";
    w.server
        .as_(&user, change, json!({ "email": new, "password": "not-my-password" }))
        .await
        .expect_code("INVALID_CREDENTIALS");
    let asked = w
        .server
        .as_(&user, change, json!({ "email": new, "password": CHANGED_PASSWORD }))
        .await;
    assert_eq!(asked.ok()["changeMyEmail"], true);

    let mail = w.mail(new, "").await;
    assert_eq!(mail.subject, "Confirm your new email address for Org acme");
    let token = mail.token("/verify-email");
    // Nothing changes until the link is followed.
    let pending = w.user(&user.user_id).await;
    assert_eq!(pending["email"], old);
    assert_eq!(pending["pendingEmail"], new);
    let own = "{ viewer { user { email pendingEmail } } }";
    let own = w.server.as_(&user, own, json!({})).await;
    assert_eq!(own.ok()["viewer"]["user"], json!({ "email": old, "pendingEmail": new }));
    w.server.login(old, CHANGED_PASSWORD).await.ok();
    assert_eq!(token_info(&w.server, &token).await["purpose"], "EMAIL_CHANGE");

    verify(&w.server, &token).await.ok();
    let changed = w.user(&user.user_id).await;
    assert_eq!(changed["email"], new);
    assert_eq!(changed["emailVerified"], true);
    assert!(changed["pendingEmail"].is_null());
    let told = w.mail(old, "email address for Org acme was changed").await;
    assert_eq!(told.subject, "Your email address for Org acme was changed");
    assert!(told.text.contains(new), "{}", told.text);
    w.server.login(new, CHANGED_PASSWORD).await.ok();
    w.server
        .login(old, CHANGED_PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");
    verify(&w.server, &token).await.expect_code("TOKEN_INVALID");
}

async fn links_sent_to_an_old_address_die_with_it(backend: Backend) {
    let w = world(backend).await;
    let (old, new) = ("ada@acme.test", "ada.lovelace@acme.test");
    let user = w.member(old).await;
    request_reset(&w.server, old).await.ok();
    let reset_token = w.mail(old, "Reset your").await.token("/reset-password");
    let change =
        "mutation($email: String!) { changeMyEmail(newEmail: $email, password: \"Correct-Horse-Battery-9-changed\") }";
    w.server.as_(&user, change, json!({ "email": new })).await.ok();
    let token = w.mail(new, "Confirm your new").await.token("/verify-email");
    verify(&w.server, &token).await.ok();
    reset(&w.server, &reset_token, NEW_PASSWORD)
        .await
        .expect_code("TOKEN_INVALID");
}

async fn an_address_change_to_a_taken_address_tells_nothing(backend: Backend) {
    let w = world(backend).await;
    let user = w.member("ada@acme.test").await;
    w.member("grace@acme.test").await;
    let change =
        "mutation($email: String!) { changeMyEmail(newEmail: $email, password: \"Correct-Horse-Battery-9-changed\") }";
    let pending = "{ viewer { user { pendingEmail } } }";
    let taken = w.server.as_(&user, change, json!({ "email": "grace@acme.test" })).await;
    // The change shows as pending exactly as for a free address.
    let shown = w.server.as_(&user, pending, json!({})).await;
    assert_eq!(shown.ok()["viewer"]["user"]["pendingEmail"], "grace@acme.test");
    let free = w.server.as_(&user, change, json!({ "email": "free@acme.test" })).await;
    assert_eq!((&taken.data, &taken.errors), (&free.data, &free.errors));
    w.mail("free@acme.test", "Confirm your new").await;
    w.server.settle().await;
    assert_eq!(w.count("grace@acme.test", "Confirm your new"), 0);
}

async fn a_password_reset_kills_a_pending_address_change(backend: Backend) {
    let w = world(backend).await;
    let user = w.member("ada@acme.test").await;
    // Someone who knew the old password asks to move the account to their address…
    let change =
        "mutation($email: String!) { changeMyEmail(newEmail: $email, password: \"Correct-Horse-Battery-9-changed\") }";
    w.server
        .as_(&user, change, json!({ "email": "thief@evil.test" }))
        .await
        .ok();
    let stolen = w
        .mail("thief@evil.test", "Confirm your new")
        .await
        .token("/verify-email");
    // …and the owner resets the password: the pending change dies with the old password.
    request_reset(&w.server, "ada@acme.test").await;
    let token = w.mail("ada@acme.test", "Reset your").await.token("/reset-password");
    reset(&w.server, &token, NEW_PASSWORD).await.ok();
    verify(&w.server, &stolen).await.expect_code("TOKEN_INVALID");
    let found = w.server.login("ada@acme.test", NEW_PASSWORD).await;
    assert_eq!(found.ok()["login"]["user"]["email"], "ada@acme.test");
}

async fn an_admin_change_of_address_is_unverified_until_the_link_is_followed(backend: Backend) {
    let w = world(backend).await;
    let (old, new) = ("ada@acme.test", "ada.lovelace@acme.test");
    let user = w.member(old).await;
    w.server.set_email_verified(&user.user_id, true).await;
    let update =
        "mutation($id: ID!, $email: String!) { updateUser(id: $id, input: { email: $email }) { email emailVerified } }";
    let updated = w
        .server
        .as_(&w.root, update, json!({ "id": user.user_id, "email": new }))
        .await;
    assert_eq!(
        updated.ok()["updateUser"],
        json!({ "email": new, "emailVerified": false })
    );
    let token = w.mail(new, "Verify your").await.token("/verify-email");
    verify(&w.server, &token).await.ok();
    assert_eq!(w.user(&user.user_id).await["emailVerified"], true);
}

// 9. Lockout.

async fn a_lockout_is_mailed_once_an_hour_with_an_unlock_link(backend: Backend) {
    let w = world(backend).await;
    let email = "ada@acme.test";
    let user = w.member(email).await;
    let policy = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { lockout: { maxFailedAttempts: 3 } } }) { id } }";
    w.server.as_(&w.root, policy, json!({ "id": w.org })).await.ok();
    let lock_out = || async {
        for _ in 0..3 {
            w.server
                .login(email, "a-wrong-password")
                .await
                .expect_code("INVALID_CREDENTIALS");
        }
        w.server.login(email, CHANGED_PASSWORD).await.expect_code("LOCKED_OUT");
    };

    lock_out().await;
    let mail = w.mail(email, "was locked").await;
    assert_eq!(mail.subject, "Sign-in to Org acme was locked");
    assert!(mail.text.contains("3 wrong passwords"), "{}", mail.text);
    let token = mail.token("/unlock");
    assert_eq!(token_info(&w.server, &token).await["purpose"], "UNLOCK");

    // Locked again within the hour: no second mail.
    let clear = "mutation($id: ID!) { clearLockouts(userId: $id) { id } }";
    w.server.as_(&w.root, clear, json!({ "id": user.user_id })).await.ok();
    lock_out().await;
    let outbox = nodes(&w.server.as_(&w.root, MAILS, json!({})).await, "mails");
    assert_eq!(outbox.iter().filter(|mail| mail["kind"] == "LOCKOUT").count(), 1);
    w.server.settle().await;
    assert_eq!(w.count(email, "was locked"), 1);

    // The link lifts the lock, once.
    let unlock = "mutation($token: String!) { unlockAccount(token: $token) }";
    let unlocked = w.server.gql(None, unlock, json!({ "token": token })).await;
    assert_eq!(unlocked.ok()["unlockAccount"], true);
    w.server.login(email, CHANGED_PASSWORD).await.ok();
    w.server
        .gql(None, unlock, json!({ "token": token }))
        .await
        .expect_code("TOKEN_INVALID");

    // An hour later, a new lockout is mailed again.
    w.server.clock.advance(chrono::Duration::minutes(61));
    lock_out().await;
    w.mail(email, "was locked").await;
}

// 10. The mail server is down, then back.

async fn mail_waits_for_the_mail_server_to_come_back(backend: Backend) {
    let port = SmtpSink::free_port();
    let server = TestServer::start_with(backend, |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}?tls=none"))
    })
    .await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let recipients = ["one@acme.test", "two@acme.test"];
    for email in recipients {
        invite(&server, &root, &org, email, &["MEMBER"]).await.ok();
    }

    let failing = outbox_until(&server, &root, |mails| {
        mails.len() == 2 && mails.iter().all(|mail| mail["attempts"].as_i64() >= Some(1))
    })
    .await;
    for mail in &failing {
        assert_eq!(mail["status"], "PENDING", "{mail:#}");
        assert!(
            mail["lastError"].as_str().is_some_and(|error| !error.is_empty()),
            "{mail:#}"
        );
        assert!(mail["link"].as_str().is_some(), "{mail:#}");
    }

    let sink = SmtpSink::start_on(port).await;
    server.clock.advance(chrono::Duration::hours(2));
    for email in recipients {
        sink.wait_for(email, WAIT).await;
    }
    // The clock moved past the superadmin's access token too.
    let root = server.sign_in("root@example.com", PASSWORD).await;
    let sent = outbox_until(&server, &root, |mails| {
        mails.iter().all(|mail| mail["status"] == "SENT")
    })
    .await;
    for mail in &sent {
        assert!(mail["link"].is_null(), "{mail:#}");
        assert!(mail["textBody"].is_null(), "{mail:#}");
        assert!(mail["lastError"].is_null(), "{mail:#}");
    }
    server.settle().await;
    assert_eq!(sink.messages().len(), 2, "each mail exactly once");
}

async fn a_refused_message_is_retried_after_the_backoff(backend: Backend) {
    let w = world(backend).await;
    let email = "grace@acme.test";
    w.sink.refuse_next(2);
    invite(&w.server, &w.root, &w.org, email, &["MEMBER"]).await.ok();
    let once =
        |attempts: i64| move |mails: &[Value]| mails.len() == 1 && mails[0]["attempts"].as_i64() == Some(attempts);
    let failed = outbox_until(&w.server, &w.root, once(1)).await;
    assert_eq!(failed[0]["status"], "PENDING");
    assert!(failed[0]["lastError"].as_str().unwrap().contains("451"), "{failed:#?}");

    // Not retried before the backoff: 10 s after the first failure, then 20 s.
    w.server.clock.advance(chrono::Duration::seconds(9));
    w.server.settle().await;
    let waiting = nodes(&w.server.as_(&w.root, MAILS, json!({})).await, "mails");
    assert_eq!(waiting[0]["attempts"], 1, "{waiting:#?}");
    w.server.clock.advance(chrono::Duration::seconds(2));
    outbox_until(&w.server, &w.root, once(2)).await;
    w.server.clock.advance(chrono::Duration::seconds(21));

    let mail = w.sink.wait_for(email, WAIT).await;
    assert_eq!(mail.subject, "You are invited to join Org acme");
    let sent = outbox_until(&w.server, &w.root, |mails| mails[0]["status"] == "SENT").await;
    assert_eq!(sent[0]["attempts"], 3);
    w.server.settle().await;
    assert_eq!(w.sink.messages().len(), 1);
}

// 11. Two instances, one outbox.

async fn two_instances_send_each_mail_once(backend: Backend) {
    let w = world(backend).await;
    let second = w.server.second_instance().await;
    // Both clocks read the same, so that each worker finds every message due.
    w.server.clock.advance(second.clock.now() - w.server.clock.now());
    let recipients: Vec<String> = (0..20).map(|n| format!("user{n:02}@acme.test")).collect();
    // Verification links and invitations, through either instance, all at once.
    let created = recipients.iter().enumerate().map(|(n, email)| {
        let server = if n % 2 == 0 { &w.server } else { &second };
        let input = json!({ "orgId": w.org, "email": email, "sendInvitation": n % 4 < 2 });
        server.as_(&w.root, CREATE_USER, json!({ "input": input }))
    });
    for answer in join_all(created).await {
        answer.ok();
    }

    w.sink.wait_for_count(recipients.len(), WAIT).await;
    w.server.settle().await;
    let received = w.sink.messages();
    for email in &recipients {
        let count = received.iter().filter(|mail| is_to(mail, email)).count();
        assert_eq!(count, 1, "{email} received {count} messages");
    }
    assert_eq!(received.len(), recipients.len());
    let outbox = outbox_until(&w.server, &w.root, |mails| {
        mails.iter().all(|mail| mail["status"] == "SENT")
    })
    .await;
    assert!(outbox.iter().all(|mail| mail["attempts"] == 1), "{outbox:#?}");
}

// 12. Header injection.

const INJECTED: &str = "Acme\r\nBcc: evil@example.com";

async fn line_breaks_cannot_reach_mail_headers(backend: Backend) {
    let w = world(backend).await;

    // The API refuses line breaks in every value that could reach a header.
    let create_org = "mutation($name: String!) { createOrganization(input: { slug: \"evil\", name: $name }) { id } }";
    w.server
        .as_(&w.root, create_org, json!({ "name": INJECTED }))
        .await
        .expect_invalid("name");
    let rename = "mutation($id: ID!, $name: String!) { updateOrganization(id: $id, input: { name: $name }) { id } }";
    w.server
        .as_(&w.root, rename, json!({ "id": w.org, "name": INJECTED }))
        .await
        .expect_invalid("name");
    let rebrand = "mutation($id: ID!, $name: String!) { updateOrganization(id: $id, input: { branding: { displayName: $name } }) { id } }";
    w.server
        .as_(&w.root, rebrand, json!({ "id": w.org, "name": INJECTED }))
        .await
        .expect_invalid("branding.displayName");
    let input = json!({ "orgId": w.org, "email": "eve@acme.test", "name": INJECTED });
    w.server
        .as_(&w.root, CREATE_USER, json!({ "input": input }))
        .await
        .expect_invalid("name");

    // And should such a value be stored by other means, the mail still has one header per line.
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    use steward_entity::{organization, user, OrgId, UserId};
    let org_id: OrgId = w.org.parse().unwrap();
    organization::Entity::update_many()
        .col_expr(organization::Column::DisplayName, Expr::value(INJECTED))
        .filter(organization::Column::Id.eq(org_id))
        .exec(w.server.database())
        .await
        .unwrap();
    let victim = w.member("victim@acme.test").await;
    let user_id: UserId = victim.user_id.parse().unwrap();
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(INJECTED))
        .filter(user::Column::Id.eq(user_id))
        .exec(w.server.database())
        .await
        .unwrap();
    let send = "mutation($id: ID!) { sendPasswordResetEmail(userId: $id) }";
    w.server.as_(&w.root, send, json!({ "id": victim.user_id })).await.ok();

    let mail = w.mail("victim@acme.test", "Reset your").await;
    assert_eq!(mail.subject, "Reset your Acme Bcc: evil@example.com password");
    assert_eq!(mail.header("Subject"), [mail.subject.clone()]);
    assert!(mail.header("Bcc").is_empty(), "{:#?}", mail.headers);
    assert_eq!(mail.to, "victim@acme.test");
    assert_eq!(mail.envelope_to, ["victim@acme.test"]);
    let header_section = mail.raw.split("\r\n\r\n").next().unwrap();
    assert!(
        !header_section
            .lines()
            .any(|line| line.to_ascii_lowercase().starts_with("bcc:")),
        "{header_section}"
    );
    w.server.settle().await;
    assert!(
        !w.sink.messages().iter().any(|mail| is_to(mail, "evil@example.com")),
        "the sink was asked to deliver to evil@example.com"
    );
}

// 13. Without SMTP.

async fn without_smtp_mail_is_kept_for_superadmins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    invite(&server, &root, &org, "grace@acme.test", &["MEMBER"]).await.ok();

    let outbox = outbox_until(&server, &root, |mails| {
        mails
            .iter()
            .any(|mail| mail["to"] == "grace@acme.test" && mail["status"] == "LOGGED")
    })
    .await;
    let mail = outbox.iter().find(|mail| mail["to"] == "grace@acme.test").unwrap();
    assert_eq!(mail["kind"], "INVITATION");
    assert_eq!(mail["subject"], "You are invited to join Org acme");
    assert_eq!(mail["attempts"], 0);
    let link = mail["link"].as_str().expect("the link");
    assert!(
        link.starts_with(&format!("{}/accept-invitation?token=", server.url)),
        "{link}"
    );
    assert!(mail["textBody"].as_str().unwrap().contains(link));
    let count = "query($status: MailStatus) { mails(status: $status) { totalCount } }";
    for (status, expected) in [("LOGGED", 1), ("SENT", 0), ("PENDING", 0)] {
        let counted = server.as_(&root, count, json!({ "status": status })).await;
        assert_eq!(counted.ok()["mails"]["totalCount"], expected, "{status}");
    }
    // The link works.
    accept(&server, &token_in(link), Some(NEW_PASSWORD), None).await.ok();

    let delivery = "{ mailDelivery { sending from } }";
    let shown = server.as_(&root, delivery, json!({})).await;
    assert_eq!(
        shown.ok()["mailDelivery"],
        json!({ "sending": false, "from": "Steward <no-reply@localhost>" })
    );
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    server.as_(&admin, delivery, json!({})).await.expect_code("FORBIDDEN");
    server.as_(&admin, MAILS, json!({})).await.expect_code("FORBIDDEN");
    server.gql(None, MAILS, json!({})).await.expect_code("UNAUTHENTICATED");
}

async fn finished_mail_is_purged_after_the_retention_period(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.mail_retention_days = 30).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    invite(&server, &root, &org, "grace@acme.test", &["MEMBER"]).await.ok();
    outbox_until(&server, &root, |mails| {
        mails.iter().any(|mail| mail["status"] == "LOGGED")
    })
    .await;
    let count = "{ mails { totalCount } }";

    // Within the period it stays; past it (the worker purges once an hour) it is gone. A month
    // outlives any session, so the superadmin signs in again each time.
    server.clock.advance(chrono::Duration::days(29));
    server.settle().await;
    let root = server.sign_in(&root.email, PASSWORD).await;
    assert_eq!(server.as_(&root, count, json!({})).await.ok()["mails"]["totalCount"], 1);
    server.clock.advance(chrono::Duration::days(2));
    server.settle().await;
    let root = server.sign_in(&root.email, PASSWORD).await;
    let left = server.as_(&root, count, json!({})).await.ok()["mails"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(left, 0, "finished mail older than 30 days is purged");
}

backend_tests!(
    every_password_change_is_told_to_the_owner,
    a_forgotten_password_is_reset_by_mail,
    a_reset_link_expires_after_an_hour,
    a_password_change_or_a_block_kills_outstanding_reset_links,
    a_link_serves_only_its_purpose_and_a_refusal_does_not_spend_it,
    a_link_used_by_several_requests_at_once_works_once,
    a_reset_request_tells_nothing_about_the_address,
    reset_requests_are_limited_per_address,
    reset_requests_are_limited_per_ip,
    an_admin_mails_a_reset_link,
    password_change_tickets,
    an_admin_sets_a_password,
    a_new_user_verifies_their_address_by_link,
    verification_links_are_sent_again_on_request,
    verification_and_address_change_requests_are_rate_limited,
    an_org_requiring_verified_addresses_admits_after_verification,
    an_invitation_creates_an_account,
    an_invitation_expires_after_seven_days,
    an_existing_user_joins_with_the_invited_roles,
    an_invitation_dies_with_the_address_or_membership_it_was_for,
    pending_invitations_are_listed_and_can_be_revoked,
    an_invitation_is_resent_with_a_new_link,
    resending_grants_the_roles_again,
    a_user_manager_cannot_invite_an_admin,
    a_created_account_is_taken_up_by_invitation,
    a_user_changes_their_address_once_the_new_one_is_verified,
    links_sent_to_an_old_address_die_with_it,
    an_address_change_to_a_taken_address_tells_nothing,
    a_password_reset_kills_a_pending_address_change,
    an_admin_change_of_address_is_unverified_until_the_link_is_followed,
    a_lockout_is_mailed_once_an_hour_with_an_unlock_link,
    mail_waits_for_the_mail_server_to_come_back,
    a_refused_message_is_retried_after_the_backoff,
    two_instances_send_each_mail_once,
    line_breaks_cannot_reach_mail_headers,
    without_smtp_mail_is_kept_for_superadmins,
    finished_mail_is_purged_after_the_retention_period,
);

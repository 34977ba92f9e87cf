//! Hostile field values (issue 8): metadata documents, passwords, email addresses and the text
//! that reaches a mail header. Each case is named; each must be refused with its code and leave
//! every table as it was (a failed sign-in may leave its audit event and failure count).

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Case, Tenants, TestServer, CHANGED_PASSWORD, SIGN_IN_TRACES};

/// Rate limits and the lockout out of the way: these cases sign in wrongly on purpose.
async fn roomy(backend: Backend) -> (TestServer, Tenants) {
    let server = TestServer::start_with(backend, |config| {
        config.login_attempts_per_ip_per_minute = 10_000;
        config.login_attempts_per_account_per_minute = 10_000;
        config.mail_requests_per_ip_per_minute = 10_000;
    })
    .await;
    let tenants = server.tenants().await;
    let lockout = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { lockout: { maxFailedAttempts: 1000 } } }) { id } }";
    server
        .as_(&tenants.root, lockout, json!({ "id": tenants.acme }))
        .await
        .ok();
    (server, tenants)
}

const USER_METADATA: &str =
    "mutation($id: ID!, $user: JSON, $app: JSON) { updateUserMetadata(id: $id, userMetadata: $user, appMetadata: $app) { id } }";
const MY_METADATA: &str = "mutation($m: JSON) { updateMyProfile(input: { userMetadata: $m }) { id } }";
const MEMBER_METADATA: &str =
    "mutation($org: ID!, $id: ID!, $m: JSON!) { updateMembershipMetadata(orgId: $org, userId: $id, metadata: $m) { roles } }";
const ORG_METADATA: &str =
    "mutation($org: ID!, $m: JSON) { updateOrganization(id: $org, input: { metadata: $m }) { id } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";

/// `levels` objects inside each other around `leaf`.
fn nested_object(levels: usize, leaf: Value) -> Value {
    (0..levels).fold(leaf, |inner, _| json!({ "a": inner }))
}

async fn hostile_metadata_is_refused(backend: Backend) {
    let (server, tenants) = roomy(backend).await;
    let (admin, user) = (&tenants.admin, &tenants.user);
    let user_id = user.user_id.clone();
    let big = "x".repeat(16 * 1024);
    let as_user_metadata = |name: &str, document: Value| {
        Case::new(
            name,
            USER_METADATA,
            json!({ "id": user_id, "user": document }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token)
    };
    let cases = vec![
        as_user_metadata("a key with a dot", json!({ "a.b": 1 })),
        as_user_metadata("a nested key with a dot", json!({ "team": { "name.first": "x" } })),
        as_user_metadata("a key that is only a dot", json!({ ".": 1 })),
        as_user_metadata("a key with a dot inside an array", json!({ "list": [{ "x.y": 1 }] })),
        as_user_metadata("an empty key", json!({ "": 1 })),
        as_user_metadata("a nested empty key", json!({ "a": { "": 1 } })),
        as_user_metadata("a key with NUL", json!({ "a\u{0}b": 1 })),
        as_user_metadata("a key that is NUL", json!({ "\u{0}": 1 })),
        as_user_metadata("a string value with NUL", json!({ "note": "before\u{0}after" })),
        as_user_metadata("a key of 256 characters", json!({ "k".repeat(256): 1 })),
        as_user_metadata("a key of 256 two-byte characters", json!({ "é".repeat(256): 1 })),
        as_user_metadata("a key of 10 000 characters", json!({ "k".repeat(10_000): 1 })),
        as_user_metadata("a document over 16 KiB", json!({ "big": big })),
        as_user_metadata("an array document", json!([1, 2, 3])),
        as_user_metadata("a string document", json!("plan=pro")),
        as_user_metadata("a number document", json!(42)),
        as_user_metadata("a boolean document", json!(true)),
        as_user_metadata("a document nested 100 levels", nested_object(100, json!(1))),
        as_user_metadata("a document nested 40 levels", nested_object(40, json!(1))),
        as_user_metadata(
            "arrays nested 100 levels",
            (0..100).fold(json!(1), |inner, _| json!([inner])),
        ),
        Case::new(
            "appMetadata with a dotted key",
            USER_METADATA,
            json!({ "id": user_id, "app": { "plan.tier": "pro" } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "appMetadata over 16 KiB",
            USER_METADATA,
            json!({ "id": user_id, "app": { "big": big } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "own userMetadata with a dotted key",
            MY_METADATA,
            json!({ "m": { "a.b": 1 } }),
            "BAD_USER_INPUT",
        )
        .token(&user.access_token),
        Case::new(
            "own userMetadata with NUL",
            MY_METADATA,
            json!({ "m": { "a": "\u{0}" } }),
            "BAD_USER_INPUT",
        )
        .token(&user.access_token),
        Case::new(
            "own userMetadata over 16 KiB",
            MY_METADATA,
            json!({ "m": { "big": big } }),
            "BAD_USER_INPUT",
        )
        .token(&user.access_token),
        Case::new(
            "own userMetadata that is an array",
            MY_METADATA,
            json!({ "m": [] }),
            "BAD_USER_INPUT",
        )
        .token(&user.access_token),
        Case::new(
            "membership metadata with a dotted key",
            MEMBER_METADATA,
            json!({ "org": tenants.acme, "id": user_id, "m": { "a.b": 1 } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "membership metadata that is a string",
            MEMBER_METADATA,
            json!({ "org": tenants.acme, "id": user_id, "m": "x" }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "membership metadata nested 100 levels",
            MEMBER_METADATA,
            json!({ "org": tenants.acme, "id": user_id, "m": nested_object(100, json!(1)) }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "org metadata with an empty key",
            ORG_METADATA,
            json!({ "org": tenants.acme, "m": { "": 1 } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "org metadata over 16 KiB",
            ORG_METADATA,
            json!({ "org": tenants.acme, "m": { "big": big } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "createUser with a dotted appMetadata key",
            CREATE_USER,
            json!({ "input": { "orgId": tenants.acme, "email": "new@acme.test", "appMetadata": { "a.b": 1 } } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
        Case::new(
            "createUser with userMetadata that is a list",
            CREATE_USER,
            json!({ "input": { "orgId": tenants.acme, "email": "new@acme.test", "userMetadata": ["x"] } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token),
    ];
    server.run_cases(cases).await;

    // A patch that is fine alone but would grow the document past 16 KiB.
    let half = "y".repeat(9 * 1024);
    server
        .as_(
            admin,
            USER_METADATA,
            json!({ "id": user_id, "user": { "first": half } }),
        )
        .await
        .ok();
    server
        .run_cases(vec![Case::new(
            "a merge that grows the document past 16 KiB",
            USER_METADATA,
            json!({ "id": user_id, "user": { "second": half } }),
            "BAD_USER_INPUT",
        )
        .token(&admin.access_token)])
        .await;
}

const LOGIN: &str =
    "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";
const SET_PASSWORD: &str =
    "mutation($id: ID!, $password: String!) { setUserPassword(userId: $id, password: $password) { id } }";
const CHANGE_PASSWORD: &str =
    "mutation($current: String!, $new: String!) { changeMyPassword(currentPassword: $current, newPassword: $new) }";
const RESET: &str =
    "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";
const TICKET: &str = "mutation($id: ID!) { createPasswordChangeTicket(userId: $id) { url } }";

async fn hostile_passwords_are_refused(backend: Backend) {
    let (server, tenants) = roomy(backend).await;
    let ticket = server
        .as_(&tenants.admin, TICKET, json!({ "id": tenants.user.user_id }))
        .await;
    let url = ticket.ok()["createPasswordChangeTicket"]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let token = url.split("token=").nth(1).expect("a token in the link").to_owned();
    let passwords = [
        ("0 bytes", String::new()),
        ("129 bytes", "ab".repeat(64) + "a"),
        ("100 000 bytes", "Correct-Horse-".repeat(7_143)),
        ("only spaces", " ".repeat(20)),
        ("1 025 four-byte characters", "𝄞".repeat(1_025)),
    ];
    let mut cases = Vec::new();
    for (name, password) in &passwords {
        cases.push(
            Case::new(
                format!("login with a password of {name}"),
                LOGIN,
                json!({ "email": tenants.user.email, "password": password }),
                "INVALID_CREDENTIALS",
            )
            .may_change(SIGN_IN_TRACES),
        );
        cases.push(
            Case::new(
                format!("createUser with a password of {name}"),
                CREATE_USER,
                json!({ "input": { "orgId": tenants.acme, "email": "new@acme.test", "password": password } }),
                "PASSWORD_POLICY",
            )
            .token(&tenants.admin.access_token),
        );
        cases.push(
            Case::new(
                format!("setUserPassword to {name}"),
                SET_PASSWORD,
                json!({ "id": tenants.user.user_id, "password": password }),
                "PASSWORD_POLICY",
            )
            .token(&tenants.admin.access_token),
        );
        cases.push(Case::new(
            format!("resetPassword to {name}"),
            RESET,
            json!({ "token": token, "password": password }),
            "PASSWORD_POLICY",
        ));
        cases.push(
            Case::new(
                format!("changeMyPassword to {name}"),
                CHANGE_PASSWORD,
                json!({ "current": CHANGED_PASSWORD, "new": password }),
                "PASSWORD_POLICY",
            )
            .token(&tenants.user.access_token)
            // The current password is checked like a sign-in: a right one clears the count.
            .may_change(SIGN_IN_TRACES),
        );
    }
    cases.push(
        Case::new(
            "changeMyPassword with a current password of 100 000 bytes",
            CHANGE_PASSWORD,
            json!({ "current": "x".repeat(100_000), "new": "Another-Long-Passphrase-77" }),
            "INVALID_CREDENTIALS",
        )
        .token(&tenants.user.access_token)
        .may_change(SIGN_IN_TRACES),
    );
    cases.push(Case::new(
        "resetPassword with a token of 100 000 bytes",
        RESET,
        json!({ "token": "t".repeat(100_000), "password": "Another-Long-Passphrase-77" }),
        "TOKEN_INVALID",
    ));
    cases.push(Case::new(
        "resetPassword with an empty token",
        RESET,
        json!({ "token": "", "password": "Another-Long-Passphrase-77" }),
        "TOKEN_INVALID",
    ));
    server.run_cases(cases).await;
}

const UPDATE_USER: &str = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }";
const INVITE: &str = "mutation($org: ID!, $email: String!) { inviteMember(orgId: $org, email: $email) { id } }";
const CHANGE_EMAIL: &str =
    "mutation($email: String!) { changeMyEmail(newEmail: $email, password: \"Correct-Horse-Battery-9-changed\") }";
const REQUEST_RESET: &str = "mutation($email: String!) { requestPasswordReset(email: $email) }";

/// Addresses that are no address, or that would look like another's.
const BAD_EMAILS: &[(&str, &str)] = &[
    ("a Cyrillic а in the local part", "usеr@acme.test"),
    ("a Cyrillic а in the domain", "user@аcme.test"),
    ("a fullwidth at sign", "user＠acme.test"),
    ("a trailing dot", "user@acme.test."),
    ("a display name", "x <user@acme.test>"),
    ("a quoted display name", "\"Admin\" <admin@acme.test>"),
    ("two at signs", "user@evil.test@acme.test"),
    ("a CR LF and a Bcc header", "user@acme.test\r\nBcc: victim@evil.test"),
    ("a LF", "user@acme.test\nX-Injected: 1"),
    ("a NUL", "user@acme.test\u{0}.evil.test"),
    ("a list", "user@acme.test,victim@evil.test"),
    ("a route", "@evil.test:user@acme.test"),
    ("an IP literal", "user@[127.0.0.1]"),
    ("an empty string", ""),
    ("no local part", "@acme.test"),
    ("a 400-character address", "a.very.long.address.indeed@acme.test"),
];

async fn hostile_emails_are_refused(backend: Backend) {
    let (server, tenants) = roomy(backend).await;
    let admin = &tenants.admin.access_token;
    let long = format!("{}@acme.test", "a".repeat(390));
    let mut cases = Vec::new();
    for (name, email) in BAD_EMAILS {
        let email = if name.contains("400") { long.as_str() } else { email };
        cases.push(
            Case::new(
                format!("createUser: {name}"),
                CREATE_USER,
                json!({ "input": { "orgId": tenants.acme, "email": email } }),
                "BAD_USER_INPUT",
            )
            .token(admin),
        );
        cases.push(
            Case::new(
                format!("updateUser: {name}"),
                UPDATE_USER,
                json!({ "id": tenants.user.user_id, "input": { "email": email } }),
                "BAD_USER_INPUT",
            )
            .token(admin),
        );
        cases.push(
            Case::new(
                format!("inviteMember: {name}"),
                INVITE,
                json!({ "org": tenants.acme, "email": email }),
                "BAD_USER_INPUT",
            )
            .token(admin),
        );
        cases.push(
            Case::new(
                format!("changeMyEmail: {name}"),
                CHANGE_EMAIL,
                json!({ "email": email }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.user.access_token),
        );
        cases.push(
            Case::new(
                format!("login: {name}"),
                LOGIN,
                json!({ "email": email, "password": CHANGED_PASSWORD }),
                "INVALID_CREDENTIALS",
            )
            .may_change(SIGN_IN_TRACES),
        );
        // Reveals nothing and sends nothing.
        cases.push(
            Case::answers(
                format!("requestPasswordReset: {name}"),
                REQUEST_RESET,
                json!({ "email": email }),
                |data| match data["requestPasswordReset"] == true {
                    true => Ok(()),
                    false => Err(format!("answered {data}")),
                },
            )
            .may_change(&["audit_events"]),
        );
    }
    // Spellings of an existing address: the same account, so a conflict, never a second account.
    for (name, user_email, admin_email) in [
        ("upper case", "USER@ACME.TEST", "ADMIN@ACME.TEST"),
        ("mixed case", "User@Acme.Test", "Admin@Acme.Test"),
        ("surrounding spaces", "  user@acme.test  ", "  admin@acme.test  "),
        ("a surrounding tab", "\tuser@acme.test", "admin@acme.test\t"),
    ] {
        cases.push(
            Case::new(
                format!("createUser, existing address in {name}"),
                CREATE_USER,
                json!({ "input": { "orgId": tenants.acme, "email": user_email } }),
                "CONFLICT",
            )
            .token(admin),
        );
        cases.push(
            Case::new(
                format!("updateUser to the admin's address in {name}"),
                UPDATE_USER,
                json!({ "id": tenants.user.user_id, "input": { "email": admin_email } }),
                "CONFLICT",
            )
            .token(admin),
        );
    }
    server.run_cases(cases).await;

    // Plus-addressing is a different mailbox as far as Steward knows: allowed, and distinct.
    let plus = server
        .create_user(&tenants.root, &tenants.acme, "user+tag@acme.test", &["MEMBER"])
        .await;
    assert_ne!(plus, tenants.user.user_id, "user+tag@ is its own account");
    server.sign_in(&tenants.user.email, CHANGED_PASSWORD).await;
}

/// Line breaks in any text that a mail's headers or subject are built from.
async fn line_breaks_in_mail_header_text_are_refused(backend: Backend) {
    let (server, tenants) = roomy(backend).await;
    let admin = &tenants.admin.access_token;
    let injected = "Mallory\r\nBcc: victim@evil.test";
    let branding = "mutation($org: ID!, $name: String) { updateOrganization(id: $org, input: { branding: { displayName: $name } }) { id } }";
    let rename = "mutation($org: ID!, $name: String) { updateOrganization(id: $org, input: { name: $name }) { id } }";
    let create_org =
        "mutation($name: String!) { createOrganization(input: { slug: \"injected\", name: $name }) { id } }";
    let create_org_branded = "mutation($name: String!) { createOrganization(input: { slug: \"injected\", name: \"Fine\", branding: { displayName: $name } }) { id } }";
    let profile = "mutation($name: String) { updateMyProfile(input: { name: $name }) { id } }";
    let client = "mutation($org: ID!, $name: String!) { createApiClient(orgId: $org, name: $name, scopes: [\"users:read\"]) { clientSecret } }";
    let accept = "mutation($name: String!) { acceptInvitation(token: \"not-a-token\", password: \"Another-Long-Passphrase-77\", name: $name) { accessToken } }";
    let mut cases = Vec::new();
    for (variant, text) in [
        ("CR LF", injected),
        ("a bare LF", "Mallory\nBcc: victim@evil.test"),
        ("a bare CR", "Mallory\rBcc: x"),
        ("a NUL", "Mallory\u{0}"),
    ] {
        cases.extend([
            Case::new(
                format!("createUser name with {variant}"),
                CREATE_USER,
                json!({ "input": { "orgId": tenants.acme, "email": "new@acme.test", "name": text } }),
                "BAD_USER_INPUT",
            )
            .token(admin),
            Case::new(
                format!("updateUser givenName with {variant}"),
                UPDATE_USER,
                json!({ "id": tenants.user.user_id, "input": { "givenName": text } }),
                "BAD_USER_INPUT",
            )
            .token(admin),
            Case::new(
                format!("updateMyProfile name with {variant}"),
                profile,
                json!({ "name": text }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.user.access_token),
            Case::new(
                format!("organization name with {variant}"),
                rename,
                json!({ "org": tenants.acme, "name": text }),
                "BAD_USER_INPUT",
            )
            .token(admin),
            Case::new(
                format!("branding displayName with {variant}"),
                branding,
                json!({ "org": tenants.acme, "name": text }),
                "BAD_USER_INPUT",
            )
            .token(admin),
            Case::new(
                format!("createOrganization name with {variant}"),
                create_org,
                json!({ "name": text }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.root.access_token),
            Case::new(
                format!("createOrganization displayName with {variant}"),
                create_org_branded,
                json!({ "name": text }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.root.access_token),
            Case::new(
                format!("API client name with {variant}"),
                client,
                json!({ "org": tenants.acme, "name": text }),
                "BAD_USER_INPUT",
            )
            .token(admin),
        ]);
    }
    // An invitation's token is checked before the name: nothing is learnt and nothing written.
    cases.push(Case::new(
        "acceptInvitation name with CR LF",
        accept,
        json!({ "name": injected }),
        "TOKEN_INVALID",
    ));
    server.run_cases(cases).await;
}

backend_tests!(
    hostile_metadata_is_refused,
    hostile_passwords_are_refused,
    hostile_emails_are_refused,
    line_breaks_in_mail_header_text_are_refused,
);

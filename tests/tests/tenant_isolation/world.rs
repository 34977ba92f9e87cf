//! The world the matrix runs in, built once per backend through the API: a home organization
//! whose members are the callers, a foreign one, the people acted upon, API clients, invitations;
//! and fresh copies of any target for the allowed calls that change it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::parties::{Caller, Org, Person, Target, CALLERS, USERS_READ};
use crate::rules::{in_org, reads_person, OrgRight, Outcome};
use steward_tests::{Backend, Session, TestServer, CHANGED_PASSWORD, PASSWORD};

const HOME: &str = "home";
const FOREIGN: &str = "globex";
const BOGUS_TOKEN: &str = "bogus-token-never-issued-0123456789abcdefghijklmnopqrstuvwxyz";

/// How a caller authenticates, and who they are.
pub struct Credentials {
    pub authorization: Option<String>,
    pub user_id: Option<String>,
    pub email: String,
    pub password: &'static str,
    pub refresh_token: Option<String>,
}

/// A string that names something private, and who may see it.
pub enum Marker {
    Person(Person),
    Org(Org, OrgRight),
}

pub struct World {
    pub server: TestServer,
    builder: Session,
    orgs: HashMap<Org, (String, String)>,
    people: HashMap<Person, (String, String)>,
    /// A live session of each person (the ghost's does not exist).
    sessions: HashMap<Person, String>,
    callers: HashMap<Caller, Credentials>,
    clients: HashMap<Org, String>,
    invitations: HashMap<Org, String>,
    /// The link token of the standing invitation into home.
    invitation_link: String,
    /// The link token of an invitation kept for the sign-in answer of `acceptInvitation`.
    pub newcomer_link: String,
    markers: Vec<(String, Marker)>,
    counter: AtomicUsize,
}

const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const ADD: &str =
    "mutation($org: ID!, $user: ID!, $roles: [OrgRole!]) { addMember(orgId: $org, userId: $user, roles: $roles) { status } }";

impl World {
    pub async fn build(backend: Backend) -> Self {
        let mut server = TestServer::start_with(backend, |config| {
            // Hundreds of calls from one address and by one builder: the limits are other suites'.
            config.login_attempts_per_ip_per_minute = 100_000;
            config.login_attempts_per_account_per_minute = 100_000;
            config.login_attempts_per_account_ceiling_per_minute = 100_000;
            config.token_requests_per_ip_per_minute = 100_000;
            config.mail_requests_per_ip_per_minute = 100_000;
            config.mail_requests_per_account_per_hour = 100_000;
            config.mail_requests_per_account_ceiling_per_hour = 100_000;
            config.admin_mails_per_actor_per_hour = 100_000;
            config.admin_mails_per_recipient_per_hour = 100_000;
        })
        .await;
        // Mail stays queued with its link, and nothing but the requests writes to the database.
        server.stop_mail_worker().await;
        let builder = server.superadmin_named("builder@example.com").await;
        let home = server.create_org(&builder, HOME).await;
        let foreign = server.create_org(&builder, FOREIGN).await;
        // The addresses the matrix creates are in a domain the home organization claims.
        server
            .claim_domains(&builder, &home, &["home.test", "example.com"])
            .await;
        // Schemas to read back: each organization's and the platform's. They accept everything.
        let set = "mutation($org: ID, $target: MetadataTarget!, $schema: JSON) {
            setMetadataSchema(orgId: $org, target: $target, schema: $schema, confirm: true) { applied } }";
        for (org, target) in [
            (Some(&home), "USER_METADATA"),
            (Some(&foreign), "USER_METADATA"),
            (None, "APP_METADATA"),
        ] {
            let schema = json!({ "description": format!("standing schema of {org:?}") });
            let variables = json!({ "org": org, "target": target, "schema": schema });
            server.as_(&builder, set, variables).await.ok();
        }
        let mut world = Self {
            server,
            builder,
            orgs: HashMap::from([
                (Org::Home, (home, HOME.to_owned())),
                (Org::Foreign, (foreign, FOREIGN.to_owned())),
                (Org::Ghost, (uuid::Uuid::new_v4().to_string(), "no-such-org".to_owned())),
            ]),
            people: HashMap::new(),
            sessions: HashMap::new(),
            callers: HashMap::new(),
            clients: HashMap::new(),
            invitations: HashMap::new(),
            invitation_link: String::new(),
            newcomer_link: String::new(),
            markers: Vec::new(),
            counter: AtomicUsize::new(0),
        };
        for person in [
            Person::OwnMember,
            Person::ForeignMember,
            Person::SharedMember,
            Person::OwnAdmin,
            Person::SuperadminMember,
        ] {
            let email = format!("{person:?}@standing.test").to_lowercase();
            let id = world.create_person(person, &email).await;
            let session = world.open_session(&id).await;
            world.people.insert(person, (id, email));
            world.sessions.insert(person, session);
        }
        world.sessions.insert(Person::Ghost, uuid::Uuid::new_v4().to_string());
        world.people.insert(
            Person::Ghost,
            (uuid::Uuid::new_v4().to_string(), "ghost@nowhere.test".into()),
        );
        for caller in CALLERS {
            let credentials = world.sign_in(caller).await;
            world.callers.insert(caller, credentials);
        }
        for org in [Org::Home, Org::Foreign] {
            let client = world.create_client(org).await;
            world.clients.insert(org, client);
            let email = format!("invitee@{}.test", world.slug(org));
            let invitation = world.invite(org, &email).await;
            world.invitations.insert(org, invitation);
        }
        world.clients.insert(Org::Ghost, uuid::Uuid::new_v4().to_string());
        // An invitation's id is 64 hex digits, like these.
        let ghost_invitation = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        world.invitations.insert(Org::Ghost, ghost_invitation);
        world.invitation_link = world.link_sent_to("invitee@home.test").await;
        world.invite(Org::Home, "newcomer@home.test").await;
        world.newcomer_link = world.link_sent_to("newcomer@home.test").await;
        world.markers = world.collect_markers().await;
        world
    }

    async fn builder(&self, query: &str, variables: Value) -> Value {
        self.server.as_(&self.builder, query, variables).await.ok().clone()
    }

    pub fn org_id(&self, org: Org) -> &str {
        &self.orgs[&org].0
    }

    fn slug(&self, org: Org) -> &str {
        &self.orgs[&org].1
    }

    /// Which organization an id names, among home and the foreign one.
    pub fn org_named(&self, id: &str) -> Option<Org> {
        [Org::Home, Org::Foreign]
            .into_iter()
            .find(|org| self.org_id(*org) == id)
    }

    /// Writes a live session of the user `user_id` straight into the database (as a sign-in on
    /// another device would leave it); answers its id.
    async fn open_session(&self, user_id: &str) -> String {
        use sea_orm::{ActiveModelTrait, IntoActiveModel};
        let now = chrono::Utc::now();
        let session = steward_entity::session::Model {
            id: steward_entity::SessionId::new(),
            user_id: steward_entity::UserId(user_id.parse().expect("a user id")),
            org_id: None,
            password_change_only: false,
            created_at: now,
            last_used_at: now,
            expires_at: now + chrono::Duration::days(1),
            revoked_at: None,
            ip: Some("192.0.2.50".into()),
            user_agent: Some("another device".into()),
        };
        let id = session.id.0.to_string();
        session
            .into_active_model()
            .reset_all()
            .insert(self.server.database())
            .await
            .expect("a session");
        id
    }

    pub fn person_id(&self, person: Person) -> &str {
        &self.people[&person].0
    }

    pub fn credentials(&self, caller: Caller) -> &Credentials {
        &self.callers[&caller]
    }

    pub fn standing_invitation(&self, org: Org) -> &str {
        &self.invitations[&org]
    }

    /// A number no earlier call used, for unique names.
    pub fn next(&self) -> usize {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    /// A user of the kind `person`, created by the builder without a password.
    async fn create_person(&self, person: Person, email: &str) -> String {
        let create = |org: Org, roles: &[&str]| json!({ "input": { "orgId": self.org_id(org), "email": email, "roles": roles, "sendInvitation": false } });
        let add = |id: &str, org: Org| json!({ "org": self.org_id(org), "user": id });
        let created = |answer: Value| answer["createUser"]["id"].as_str().expect("user id").to_owned();
        match person {
            Person::OwnMember => created(self.builder(CREATE_USER, create(Org::Home, &["MEMBER"])).await),
            Person::OwnAdmin => created(self.builder(CREATE_USER, create(Org::Home, &["ADMIN"])).await),
            Person::ForeignMember => created(self.builder(CREATE_USER, create(Org::Foreign, &["MEMBER"])).await),
            Person::SharedMember => {
                let id = created(self.builder(CREATE_USER, create(Org::Home, &["MEMBER"])).await);
                self.builder(ADD, add(&id, Org::Foreign)).await;
                id
            }
            Person::SuperadminMember => {
                let id = self.create_superadmin(email, None).await;
                self.builder(ADD, add(&id, Org::Home)).await;
                // As unverified as every other person, so that verification mail may go out.
                self.server.set_email_verified(&id, false).await;
                id
            }
            other => panic!("{other:?} is not created"),
        }
    }

    /// A superadmin, created as the command line does; returns the id.
    async fn create_superadmin(&self, email: &str, password: Option<&str>) -> String {
        let command_line = steward_server::domain::authz::CommandLine::new(self.server.state.clone());
        steward_server::domain::setup::create_admin(&command_line.operator(), email, password)
            .await
            .expect("create a superadmin");
        use steward_entity::user;
        user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.server.database())
            .await
            .expect("read users")
            .expect("the superadmin")
            .id
            .to_string()
    }

    async fn sign_in(&self, caller: Caller) -> Credentials {
        let server = &self.server;
        let home = self.org_id(Org::Home);
        let session = |session: Session, password| Credentials {
            authorization: Some(format!("Bearer {}", session.access_token)),
            user_id: Some(session.user_id),
            email: session.email,
            password,
            refresh_token: Some(session.refresh_token),
        };
        let suspend = "mutation($org: ID!, $user: ID!) { suspendMember(orgId: $org, userId: $user) { status } }";
        let block = "mutation($user: ID!) { blockUser(userId: $user) { blocked } }";
        match caller {
            Caller::Anonymous => Credentials {
                authorization: None,
                user_id: None,
                email: String::new(),
                password: PASSWORD,
                refresh_token: None,
            },
            Caller::Member(role) => {
                let email = format!("{}@home.test", role.name().to_lowercase().replace('_', "-"));
                session(
                    server.member(&self.builder, home, &email, &[role.name()]).await,
                    CHANGED_PASSWORD,
                )
            }
            Caller::Superadmin => session(server.superadmin_named("root@example.com").await, PASSWORD),
            Caller::BoundSuperadmin => {
                let id = self.create_superadmin("bound@example.com", Some(PASSWORD)).await;
                let admin = json!({ "org": home, "user": id, "roles": ["ADMIN"] });
                self.builder(ADD, admin).await;
                session(
                    server.sign_in_to("bound@example.com", PASSWORD, Some(HOME)).await,
                    PASSWORD,
                )
            }
            Caller::SuspendedAdmin => {
                let signed_in = server
                    .member(&self.builder, home, "suspended@home.test", &["ADMIN"])
                    .await;
                self.builder(suspend, json!({ "org": home, "user": signed_in.user_id }))
                    .await;
                session(signed_in, CHANGED_PASSWORD)
            }
            Caller::BlockedMember => {
                let signed_in = server
                    .member(&self.builder, home, "blocked@home.test", &["MEMBER"])
                    .await;
                self.builder(block, json!({ "user": signed_in.user_id })).await;
                session(signed_in, CHANGED_PASSWORD)
            }
            Caller::Client(scope) => {
                let created = self.create_client_with(Org::Home, scope).await;
                let token = self.client_token(&created).await;
                Credentials {
                    authorization: Some(format!("Bearer {token}")),
                    user_id: None,
                    email: String::new(),
                    password: PASSWORD,
                    refresh_token: None,
                }
            }
        }
    }

    async fn create_client_with(&self, org: Org, scope: &str) -> Value {
        let create = "mutation($org: ID!, $scopes: [String!]!) { createApiClient(orgId: $org, name: \"app\", scopes: $scopes) { clientSecret client { id clientId } } }";
        self.builder(create, json!({ "org": self.org_id(org), "scopes": [scope] }))
            .await["createApiClient"]
            .clone()
    }

    async fn create_client(&self, org: Org) -> String {
        let created = self.create_client_with(org, USERS_READ).await;
        created["client"]["id"].as_str().expect("client id").to_owned()
    }

    /// An access token from the client-credentials grant.
    async fn client_token(&self, created: &Value) -> String {
        let response = self
            .server
            .http
            .post(format!("{}/oauth/token", self.server.url))
            .basic_auth(
                created["client"]["clientId"].as_str().expect("clientId"),
                created["clientSecret"].as_str(),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        let body: Value = response.json().await.expect("token answer");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    async fn invite(&self, org: Org, email: &str) -> String {
        let invite = "mutation($org: ID!, $email: String!) { inviteMember(orgId: $org, email: $email) { id } }";
        self.builder(invite, json!({ "org": self.org_id(org), "email": email }))
            .await["inviteMember"]["id"]
            .as_str()
            .expect("invitation id")
            .to_owned()
    }

    /// The token in the newest link mailed to `email`.
    async fn link_sent_to(&self, email: &str) -> String {
        use steward_entity::outbox_mail;
        let mails = outbox_mail::Entity::find()
            .filter(outbox_mail::Column::Recipient.eq(email))
            .all(self.server.database())
            .await
            .expect("read the outbox");
        let link = mails
            .iter()
            .max_by_key(|mail| mail.created_at)
            .and_then(|mail| mail.link.clone())
            .unwrap_or_else(|| panic!("no link was mailed to {email}"));
        link.split("token=").nth(1).expect("a token in the link").to_owned()
    }

    pub fn authorization(&self, caller: Caller) -> Option<&str> {
        self.callers[&caller].authorization.as_deref()
    }

    /// The variables that aim a call at the standing `target`; `None` where the target does not
    /// apply to this caller (themself, for a caller who is no user).
    pub fn variables(&self, target: Target, caller: Caller) -> Option<Value> {
        let mut variables = Map::new();
        let credentials = &self.callers[&caller];
        variables.insert("password".into(), json!(credentials.password));
        let mut set = |name: &str, value: &str| {
            variables.insert(name.into(), json!(value));
        };
        match target {
            Target::Nothing => {
                if let Some(me) = credentials.user_id.as_deref() {
                    set("member", me);
                }
            }
            Target::Org(org) => {
                set("org", self.org_id(org));
                set("slug", self.slug(org));
                let member = match org {
                    Org::Foreign => Person::ForeignMember,
                    _ => Person::OwnMember,
                };
                set("member", self.person_id(member));
            }
            Target::Person(Person::Myself) => {
                set("user", credentials.user_id.as_deref()?);
                set("member", credentials.user_id.as_deref()?);
            }
            Target::Person(person) => {
                set("user", self.person_id(person));
                set("member", self.person_id(person));
                set("session", &self.sessions[&person]);
            }
            Target::Member(org, person) => {
                set("org", self.org_id(org));
                set("user", self.person_id(person));
            }
            Target::Client(org) => set("client", &self.clients[&org]),
            Target::Invitation(org) => set("invitation", &self.invitations[&org]),
            Target::Bogus => set("token", BOGUS_TOKEN),
            Target::InvitationLink => set("token", &self.invitation_link),
        };
        Some(Value::Object(variables))
    }

    /// As `variables`, for fresh copies of the targets, one for each call alone: `wanted` holds
    /// each call's target, caller, and whether it destroys its organization. Made a few requests
    /// at a time, each creating many under aliases.
    pub async fn fresh(&self, wanted: &[(Target, Caller, bool)]) -> Vec<Value> {
        let mut made: Vec<Value> = Vec::new();
        let mut creations = Vec::new();
        let mut joinings = Vec::new();
        for (index, (target, caller, destroys)) in wanted.iter().enumerate() {
            made.push(self.variables(*target, *caller).expect("a target for this caller"));
            let n = self.next();
            let home = self.org_id(Org::Home);
            let foreign = self.org_id(Org::Foreign);
            let user = |org: &str, role: &str| {
                let email = format!("fresh-{n}@{target:?}.test")
                    .to_lowercase()
                    .replace([' ', '(', ')', ','], "");
                format!("createUser(input: {{ orgId: \"{org}\", email: \"{email}\", roles: [{role}], sendInvitation: false }}) {{ id }}")
            };
            let creation = match *target {
                Target::Org(Org::Home | Org::Foreign) if *destroys => {
                    format!("createOrganization(input: {{ slug: \"doomed-{n}\", name: \"Doomed {n}\" }}) {{ id }}")
                }
                Target::Person(person) | Target::Member(_, person) => match person {
                    Person::OwnMember => user(home, "MEMBER"),
                    Person::OwnAdmin => user(home, "ADMIN"),
                    Person::ForeignMember => user(foreign, "MEMBER"),
                    Person::SharedMember => {
                        joinings.push((index, foreign.to_owned()));
                        user(home, "MEMBER")
                    }
                    Person::SuperadminMember => {
                        let id = self
                            .create_superadmin(&format!("fresh-{n}@superadmin.test"), None)
                            .await;
                        // As unverified as every other person, so that verification mail may go out.
                        self.server.set_email_verified(&id, false).await;
                        made[index]["session"] = json!(self.open_session(&id).await);
                        made[index]["user"] = json!(id);
                        joinings.push((index, home.to_owned()));
                        continue;
                    }
                    _ => continue,
                },
                Target::Client(org @ (Org::Home | Org::Foreign)) => format!(
                    "createApiClient(orgId: \"{}\", name: \"fresh\", scopes: [\"users:read\"]) {{ client {{ id }} }}",
                    self.org_id(org)
                ),
                Target::Invitation(org @ (Org::Home | Org::Foreign)) => format!(
                    "inviteMember(orgId: \"{}\", email: \"fresh-{n}@invited.test\") {{ id }}",
                    self.org_id(org)
                ),
                _ => continue,
            };
            creations.push((index, creation));
        }
        for (index, answer) in self.create_together(&creations).await {
            let (name, id) = match wanted[index].0 {
                Target::Org(_) => ("org", &answer["id"]),
                Target::Client(_) => ("client", &answer["client"]["id"]),
                Target::Invitation(_) => ("invitation", &answer["id"]),
                _ => ("user", &answer["id"]),
            };
            made[index][name] = id.clone();
            if name == "user" && matches!(wanted[index].0, Target::Person(_)) {
                let user = id.as_str().expect("a fresh user").to_owned();
                made[index]["session"] = json!(self.open_session(&user).await);
            }
        }
        let joins: Vec<(usize, String)> = joinings
            .iter()
            .map(|(index, org)| {
                let user = made[*index]["user"].as_str().expect("a fresh user").to_owned();
                (
                    *index,
                    format!("addMember(orgId: \"{org}\", userId: \"{user}\") {{ status }}"),
                )
            })
            .collect();
        self.create_together(&joins).await;
        made
    }

    /// Runs mutations as the builder, fifty to a request, each under an alias; answers each.
    async fn create_together(&self, mutations: &[(usize, String)]) -> Vec<(usize, Value)> {
        let mut answers = Vec::new();
        for chunk in mutations.chunks(50) {
            let fields: Vec<String> = chunk
                .iter()
                .map(|(index, mutation)| format!("made_{index}: {mutation}"))
                .collect();
            let data = self
                .builder(&format!("mutation {{ {} }}", fields.join(" ")), json!({}))
                .await;
            answers.extend(
                chunk
                    .iter()
                    .map(|(index, _)| (*index, data[format!("made_{index}")].clone())),
            );
        }
        answers
    }

    /// The private strings of the world: ids and addresses of people, and the foreign
    /// organization's id, clients and invitations.
    async fn collect_markers(&self) -> Vec<(String, Marker)> {
        let mut markers = Vec::new();
        for (person, (id, email)) in &self.people {
            if *person != Person::Ghost {
                markers.push((id.clone(), Marker::Person(*person)));
                markers.push((email.clone(), Marker::Person(*person)));
            }
        }
        for caller in CALLERS {
            let credentials = &self.callers[&caller];
            if let Some(id) = &credentials.user_id {
                markers.push((id.clone(), Marker::Person(Person::Caller(caller))));
                markers.push((credentials.email.clone(), Marker::Person(Person::Caller(caller))));
            }
        }
        markers.push((
            self.org_id(Org::Foreign).to_owned(),
            Marker::Org(Org::Foreign, OrgRight::See),
        ));
        markers.push((
            self.clients[&Org::Foreign].clone(),
            Marker::Org(Org::Foreign, OrgRight::Administer),
        ));
        let manage = OrgRight::ManageMembers { privileged: false };
        markers.push((
            self.invitations[&Org::Foreign].clone(),
            Marker::Org(Org::Foreign, manage),
        ));
        markers
    }

    /// The private strings in `answer` that `caller` may not see, leaving out those the request
    /// itself named.
    pub fn leaked(&self, caller: Caller, answer: &str, request: &str) -> Vec<String> {
        self.markers
            .iter()
            .filter(|(text, marker)| {
                answer.contains(text.as_str()) && !request.contains(text.as_str()) && !visible(caller, marker)
            })
            .map(|(text, marker)| match marker {
                Marker::Person(person) => format!("{text} ({})", person.describe()),
                Marker::Org(..) => format!("{text} (of the foreign org)"),
            })
            .collect()
    }
}

/// Whether a caller may see a private string: a person they read, or whom an audit log they read
/// names; something of an organization they hold the right for.
fn visible(caller: Caller, marker: &Marker) -> bool {
    match marker {
        Marker::Person(person) => {
            reads_person(caller, *person)
                || person
                    .orgs(caller)
                    .into_iter()
                    .any(|org| in_org(caller, org, OrgRight::ReadAudit) == Outcome::Allowed)
        }
        Marker::Org(org, right) => in_org(caller, *org, *right) == Outcome::Allowed,
    }
}

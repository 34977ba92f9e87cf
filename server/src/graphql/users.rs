//! Users: queries and mutations.

use async_graphql::{Context, Json, Object, ID};

use super::connection::{Connection, Count};
use super::cost;
use super::enums::role_set;
use super::ids::parse;
use super::inputs::{CreateUserInput, MyProfileInput, UpdateUserInput, UserFilterInput, UserOrderInput};
use super::types::User;
use crate::domain::pagination::PageRequest;
use crate::domain::user_search;
use crate::domain::users::{self, NewUser, Profile};
use crate::error::Error;
use crate::policy::client_scopes::{METADATA_WRITE, USERS_DELETE};
use steward_entity::UserId;

type GqlResult<T> = async_graphql::Result<T>;

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// One user; null when it does not exist or is out of the caller's reach.
    ///
    /// **Permissions**: the user themself; ADMIN, USER_MANAGER or AUDITOR of an organization the
    /// user belongs to; superadmin.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Option<User>> {
        let caller = super::acting::caller(ctx);
        caller.signed_in()?;
        let Ok(user_id) = parse::<UserId>(&id) else {
            return Ok(None);
        };
        match caller.user_reader(user_id).await {
            Ok(scope) => Ok(users::get(&scope).await?.map(User)),
            Err(Error::NotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Users, filtered and sorted, a page at a time, with no cap: those of `orgId`, or of every
    /// organization whose members the caller may read.
    ///
    /// **Permissions**: ADMIN, USER_MANAGER or AUDITOR (of `orgId` when given); superadmin.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        filter: Option<UserFilterInput>,
        order_by: Option<UserOrderInput>,
    ) -> GqlResult<Connection<User>> {
        let caller = super::acting::caller(ctx);
        let org_id = org_id.as_ref().map(parse).transpose()?;
        let scope = caller.directory(org_id)?;
        let filter = filter.map(UserFilterInput::into_domain).unwrap_or_default();
        let order = order_by.map(UserOrderInput::into_domain).unwrap_or_default();
        let page = PageRequest::new(first, after)?;
        let found = user_search::page(&scope, &filter, order, &page).await?;
        Ok(Connection::new(found, Count::Users { org_id, filter }, User))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates a user as a member of `orgId`. With `password` the user must change it at first
    /// sign-in. Fails with `CONFLICT` when the email address or username is taken.
    ///
    /// An organization's admins and API clients create accounts only for addresses in the email
    /// domains the organization claims (`Organization.domains`); any other address answers
    /// `BAD_USER_INPUT` on `email`, whether or not it has an account elsewhere: invite it with
    /// `inviteMember`. Superadmins create any address.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization (only an ADMIN may grant ADMIN
    /// or USER_MANAGER); superadmin.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_manager(parse(&input.org_id)?)?;
        let new = NewUser {
            email: input.email,
            roles: role_set(&input.roles.unwrap_or_default()),
            password: input.password,
            profile: Profile {
                username: input.username,
                name: input.name,
                given_name: input.given_name,
                family_name: input.family_name,
                nickname: input.nickname,
                picture: input.picture,
                phone_number: input.phone_number,
                locale: input.locale,
            },
            user_metadata: input.user_metadata.map(|json| json.0),
            app_metadata: input.app_metadata.map(|json| json.0),
            send_invitation: input.send_invitation.unwrap_or(true),
        };
        Ok(User(users::create(&scope, new).await?))
    }

    /// Changes profile fields; only what is given changes, null clears. A new email address is
    /// unverified and is sent a verification link; given by anyone but a superadmin, it must be in
    /// a domain one of the user's organizations claims (as for `createUser`).
    ///
    /// **Permissions**: ADMIN or USER_MANAGER in every organization the user belongs to (only an
    /// ADMIN for a user who is an ADMIN); superadmin.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&id)?).await?;
        Ok(User(users::update(&scope, input.into_domain()).await?))
    }

    /// Merge-patches (RFC 7396) `userMetadata` and/or `appMetadata`: objects merge, null
    /// deletes a key. Each document stays an object of at most 16 KiB with no `.` in keys.
    ///
    /// **Permissions**: as `updateUser`; API clients need `metadata:write`.
    async fn update_user_metadata(
        &self,
        ctx: &Context<'_>,
        id: ID,
        user_metadata: Option<Json<serde_json::Value>>,
        app_metadata: Option<Json<serde_json::Value>>,
    ) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager_as(parse(&id)?, METADATA_WRITE).await?;
        let user = users::update_metadata(
            &scope,
            user_metadata.map(|json| json.0),
            app_metadata.map(|json| json.0),
        )
        .await?;
        Ok(User(user))
    }

    /// Deletes a user everywhere.
    ///
    /// **Permissions**: as `updateUser`; API clients need `users:delete`.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager_as(parse(&id)?, USERS_DELETE).await?;
        users::delete(&scope).await?;
        Ok(true)
    }

    /// The signed-in user edits their own names, picture, phone, locale and `userMetadata`
    /// (a merge patch).
    ///
    /// **Permissions**: the signed-in user.
    async fn update_my_profile(&self, ctx: &Context<'_>, input: MyProfileInput) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let (profile, user_metadata) = input.into_domain();
        Ok(User(
            users::update_mine(&caller.myself()?, profile, user_metadata).await?,
        ))
    }
}

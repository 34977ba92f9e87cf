//! Batch loaders: a field that every item of a list asks for is loaded once for the whole list.
//! Each request gets its own loaders (no cache outlives a request).
//!
//! A loader has no caller at hand: it reads through the public scope, and the field that asks
//! applies the caller's rules to what comes back, exactly as it would to a row it read itself.

use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;

use crate::authz::Caller;
use crate::domain::{members, organizations};
use crate::state::AppState;
use steward_entity::{membership, organization, OrgId, UserId};

/// `Organization.memberCount` for every organization in a response, in one query. A member
/// count is no secret of anyone who may see the organization, so it is read through the public
/// scope.
pub struct MemberCounts(AppState);

impl Loader<OrgId> for MemberCounts {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, org_ids: &[OrgId]) -> Result<HashMap<OrgId, u64>, Self::Error> {
        let caller = Caller::anonymous(self.0.clone(), None, None);
        Ok(members::member_counts(&caller.public(), org_ids).await?)
    }
}

/// Every membership of each user on a page, in one query, unfiltered: `User.memberships` and
/// `User.appMetadata` filter them for the caller.
pub struct Memberships(AppState);

impl Loader<UserId> for Memberships {
    type Value = Vec<membership::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Self::Value>, Self::Error> {
        let caller = Caller::anonymous(self.0.clone(), None, None);
        Ok(members::memberships_of(&caller.public(), user_ids).await?)
    }
}

/// The organizations of every membership in a response, in one query. `Membership.organization`
/// shows any signed-in caller the organization of a membership they may see.
pub struct Organizations(AppState);

impl Loader<OrgId> for Organizations {
    type Value = organization::Model;
    type Error = async_graphql::Error;

    async fn load(&self, org_ids: &[OrgId]) -> Result<HashMap<OrgId, Self::Value>, Self::Error> {
        let caller = Caller::anonymous(self.0.clone(), None, None);
        Ok(organizations::get_many(&caller.public(), org_ids).await?)
    }
}

/// The loaders for one request.
pub struct Loaders {
    pub member_counts: DataLoader<MemberCounts>,
    pub memberships: DataLoader<Memberships>,
    pub organizations: DataLoader<Organizations>,
}

pub fn for_request(app: AppState) -> Loaders {
    Loaders {
        member_counts: DataLoader::new(MemberCounts(app.clone()), tokio::spawn),
        memberships: DataLoader::new(Memberships(app.clone()), tokio::spawn),
        organizations: DataLoader::new(Organizations(app), tokio::spawn),
    }
}

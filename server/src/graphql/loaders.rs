//! Batch loaders: a field that every item of a list asks for is loaded once for the whole list.
//! Each request gets its own loaders (no cache outlives a request).

use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;

use crate::authz::Caller;
use crate::domain::members;
use crate::state::AppState;
use steward_entity::OrgId;

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

/// The loaders for one request.
pub fn for_request(app: AppState) -> DataLoader<MemberCounts> {
    DataLoader::new(MemberCounts(app), tokio::spawn)
}

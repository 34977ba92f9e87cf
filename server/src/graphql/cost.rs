//! What a query may cost before it runs. async-graphql counts every selected field once; here a
//! field that returns many items costs its selection once per item it can return, so that nesting
//! pages in pages (or aliasing one page many times) adds up to what it would really ask of the
//! database. A request above [`LIMIT`] is refused during validation, before any resolver runs.
//!
//! One unit is roughly one value in the response; a field that runs a query of its own costs
//! [`QUERY`] on top, since a query costs far more than a value.

use crate::domain::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The most a request may cost. The portal's heaviest query, its member list, costs under 4 000
/// even at the largest page (200); a full page of users with every field and their memberships
/// about 22 000; ten members under each of fifty organizations about 9 400; GraphiQL's
/// introspection query a few hundred. A page of 200 nested in another costs over a million.
pub const LIMIT: usize = 5_000;

/// A bulk action (up to a thousand items, each a write): so much that a request holds one.
pub const BULK: usize = LIMIT * 3 / 5;

/// A field that runs a database query of its own, once per parent: a page with its count, or a
/// per-row list that no batch loader serves.
pub const QUERY: usize = 100;

/// How many memberships a user realistically has: a person belongs to a handful of
/// organizations. Only the ones the caller may see are returned, so this is an upper bound.
pub const MEMBERSHIPS: usize = 10;

/// Live sign-in sessions of one user: one per browser or device, and they expire.
pub const SESSIONS: usize = 20;

/// Active brute-force locks of one user: one per client IP that guessed wrong too often.
pub const LOCKOUTS: usize = 10;

/// An organization's API clients: one per partner application.
pub const API_CLIENTS: usize = 20;

/// An organization's open invitations: invitations expire after a week.
pub const INVITATIONS: usize = 20;

/// No cost is allowed to reach `usize::MAX`: async-graphql adds the costs of sibling fields
/// without checking for overflow, so a saturated value next to another could wrap around to a
/// small one. A billion is far above [`LIMIT`] and far below any sum a request could make.
const CEILING: usize = 1_000_000_000;

/// A connection: `first` items (the server never returns more than its page size, so a larger
/// `first` costs the largest page), each with the connection's selection, plus the query itself.
pub fn page(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    let items = usize::try_from(first.clamp(0, MAX_PAGE_SIZE)).unwrap_or(0);
    items
        .saturating_mul(child_complexity)
        .saturating_add(QUERY)
        .min(CEILING)
}

/// A list without `first`: `bound` items, each with the selection.
pub fn list(bound: usize, child_complexity: usize) -> usize {
    bound.saturating_mul(child_complexity).saturating_add(1).min(CEILING)
}

/// A list read by a query of its own for each parent (no batch loader serves it).
pub fn queried_list(bound: usize, child_complexity: usize) -> usize {
    list(bound, child_complexity).saturating_add(QUERY).min(CEILING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation};
    use async_graphql::{EmptySubscription, Response, Schema, ServerError, ValidationResult, Value};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Records what a request costs and stops it there, so no resolver (and no database) is
    /// needed.
    struct Measure(Arc<AtomicUsize>);

    impl ExtensionFactory for Measure {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(Measure(self.0.clone()))
        }
    }

    #[async_trait::async_trait]
    impl Extension for Measure {
        async fn validation(
            &self,
            ctx: &ExtensionContext<'_>,
            next: NextValidation<'_>,
        ) -> Result<ValidationResult, Vec<ServerError>> {
            let result = next.run(ctx).await?;
            self.0.store(result.complexity, Ordering::SeqCst);
            Ok(result)
        }

        async fn execute(&self, _: &ExtensionContext<'_>, _: Option<&str>, _: NextExecute<'_>) -> Response {
            Response::new(Value::Null)
        }
    }

    async fn cost_of(query: &str) -> usize {
        let measured = Arc::new(AtomicUsize::new(0));
        let schema = Schema::build(
            super::super::Query::default(),
            super::super::Mutation::default(),
            EmptySubscription,
        )
        .extension(Measure(measured.clone()))
        .finish();
        let response = schema.execute(query).await;
        assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
        measured.load(Ordering::SeqCst)
    }

    const NESTED_PAGES: &str = "{ organization(slug: \"x\") { members(first: 200) { edges { node { user { memberships { organization { members(first: 200) { edges { node { user { email } } } } } } } } } } } }";

    #[tokio::test]
    async fn a_page_nested_in_a_page_costs_what_it_could_return() {
        assert!(cost_of(NESTED_PAGES).await > 50 * LIMIT);
        let users = "{ users(first: 1000) { edges { node { memberships { organization { members(first: 1000) { edges { node { user { email } } } } } } } } } }";
        assert!(cost_of(users).await > 50 * LIMIT);
    }

    #[tokio::test]
    async fn aliases_each_cost_their_page() {
        let page = "users(first: 200) { edges { node { email } } }";
        let one = cost_of(&format!("{{ {page} }}")).await;
        let copies = LIMIT / one + 1;
        let aliased = (0..copies)
            .map(|n| format!("u{n}: {page}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(cost_of(&format!("{{ {aliased} }}")).await, copies * one);
        assert!(copies * one > LIMIT && copies < 40, "{copies} copies");
    }

    const USER_FIELDS: &str = "id email emailVerified username name givenName familyName nickname picture phoneNumber locale userMetadata appMetadata isSuperadmin blocked blockedReason passwordChangeRequired lastLoginAt loginsCount createdAt updatedAt";

    #[tokio::test]
    async fn a_full_page_of_users_with_what_a_list_shows_fits() {
        let query = "{ users(first: 200) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email emailVerified name username blocked createdAt lastLoginAt } } } }";
        assert!(cost_of(query).await <= LIMIT);
    }

    #[tokio::test]
    async fn three_thousand_aliased_viewers_are_too_many() {
        let aliased: String = (0..3000).map(|n| format!("a{n}: viewer {{ isSuperadmin }} ")).collect();
        assert!(cost_of(&format!("{{ {aliased} }}")).await > LIMIT);
    }

    #[tokio::test]
    async fn fifty_users_with_every_field_and_their_memberships_fit() {
        let query = format!("{{ users(first: 50) {{ totalCount edges {{ node {{ {USER_FIELDS} memberships {{ roles status createdAt organization {{ id slug name }} }} }} }} }} }}");
        let cost = cost_of(&query).await;
        assert!(cost <= LIMIT, "{cost}");
    }

    #[tokio::test]
    async fn small_pages_nested_in_a_page_fit() {
        let query = "{ organizations(first: 10) { edges { node { slug memberCount members(first: 10) { totalCount edges { node { roles user { email name } } } } } } } }";
        let cost = cost_of(query).await;
        assert!(cost <= LIMIT, "{cost}");
    }

    #[tokio::test]
    async fn the_portal_member_list_fits_at_the_largest_page() {
        let query = "{ organization(slug: \"x\") { id name slug memberCount members(first: 200) { edges { cursor node { roles status createdAt user { id email name username emailVerified blocked lastLoginAt } } } pageInfo { hasNextPage endCursor } totalCount } } }";
        let cost = cost_of(query).await;
        assert!(cost <= LIMIT, "{cost}");
    }

    #[test]
    fn a_page_costs_its_items_and_its_query() {
        assert_eq!(page(Some(50), 4), 50 * 4 + QUERY);
        assert_eq!(page(Some(0), 4), QUERY);
    }

    #[test]
    fn a_page_larger_than_the_server_returns_costs_the_largest_page() {
        assert_eq!(page(Some(1_000), 4), page(Some(MAX_PAGE_SIZE), 4));
        assert_eq!(page(Some(-5), 4), QUERY);
    }

    #[test]
    fn costs_stop_at_a_ceiling_that_sums_cannot_overflow() {
        assert_eq!(page(Some(MAX_PAGE_SIZE), usize::MAX), CEILING);
        assert_eq!(list(usize::MAX, 2), CEILING);
        assert!(CEILING.checked_mul(1_000_000).is_some());
    }
}

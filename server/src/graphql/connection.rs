//! Relay-style connections: `edges { cursor node }`, `pageInfo`, and a `totalCount` that is only
//! counted when a client asks for it.

use async_graphql::{Context, Object, OutputType, SimpleObject};

use crate::domain::authz::Caller;
use crate::domain::members;
use crate::domain::organizations;
use crate::domain::pagination::Page;
use crate::domain::user_search::{self, UserFilter};
use crate::error::Result;
use steward_entity::OrgId;

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// What `totalCount` counts.
pub enum Count {
    AuditEvents {
        org_id: Option<OrgId>,
        filter: crate::domain::audit::AuditFilter,
    },
    Members {
        org_id: OrgId,
        filter: UserFilter,
    },
    Users {
        org_id: Option<OrgId>,
        filter: UserFilter,
    },
    Organizations {
        search: Option<String>,
    },
    Mails {
        status: Option<&'static str>,
    },
}

impl Count {
    async fn run(&self, caller: &Caller) -> Result<u64> {
        match self {
            Count::AuditEvents { org_id, filter } => {
                crate::domain::audit::count(&caller.audit_reader(*org_id)?, filter).await
            }
            Count::Members { org_id, filter } => members::count(&caller.org_reader(*org_id)?, filter).await,
            Count::Users { org_id, filter } => user_search::count(&caller.directory(*org_id)?, filter).await,
            Count::Organizations { search } => organizations::count(&caller.org_lister()?, search.as_deref()).await,
            Count::Mails { status } => crate::domain::outbox::count(&caller.superadmin()?, *status).await,
        }
    }
}

pub struct Edge<T> {
    cursor: String,
    node: T,
}

#[Object(name_type)]
impl<T: OutputType> Edge<T> {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> &T {
        &self.node
    }
}

impl<T: OutputType> async_graphql::TypeName for Edge<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

pub struct Connection<T> {
    edges: Vec<Edge<T>>,
    page_info: PageInfo,
    count: Count,
}

impl<T> Connection<T> {
    pub fn new<U>(page: Page<U>, count: Count, to_node: impl Fn(U) -> T) -> Self {
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            end_cursor: page.end_cursor(),
        };
        let edges = page
            .items
            .into_iter()
            .map(|(cursor, item)| Edge {
                cursor,
                node: to_node(item),
            })
            .collect();
        Self {
            edges,
            page_info,
            count,
        }
    }
}

#[Object(name_type)]
impl<T: OutputType> Connection<T> {
    async fn edges(&self) -> &[Edge<T>] {
        &self.edges
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many match in all, across every page.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let count = self.count.run(&super::acting::caller(ctx)).await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}

impl<T: OutputType> async_graphql::TypeName for Connection<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

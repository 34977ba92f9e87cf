//! Typed ids. Each wraps a UUIDv7 (time-ordered, so new rows land at the end of indexes).

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, DeriveValueType, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }
    };
}

typed_id!(
    /// An organization (tenant).
    OrgId
);
typed_id!(
    /// A user: one global identity that may be a member of several organizations.
    UserId
);
typed_id!(
    /// A sign-in session; refresh tokens and access tokens point at it.
    SessionId
);
typed_id!(
    /// An audit event.
    AuditEventId
);
typed_id!(
    /// A partner application's credentials (an API client) in one organization.
    ApiClientId
);
typed_id!(
    /// A run of a streaming import: one file into one organization, resumable.
    ImportRunId
);

//! Metadata schemas: what a form for a metadata document needs, and an organization's schemas
//! with their dry runs.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::JSON;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/metadata_schemas.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq",
    skip_serializing_none
)]
pub struct MetadataForm;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/metadata_schemas.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq"
)]
pub struct OrgMetadataSchema;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/metadata_schemas.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq"
)]
pub struct SetMetadataSchema;

/// The kinds of document a schema governs, as the three operations name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    UserMetadata,
    AppMetadata,
    MembershipMetadata,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::UserMetadata, Kind::AppMetadata, Kind::MembershipMetadata];

    pub fn label(self) -> &'static str {
        match self {
            Kind::UserMetadata => "User metadata",
            Kind::AppMetadata => "App metadata",
            Kind::MembershipMetadata => "Membership metadata",
        }
    }

    /// The wire name, also a stable form value.
    pub fn wire(self) -> &'static str {
        match self {
            Kind::UserMetadata => "USER_METADATA",
            Kind::AppMetadata => "APP_METADATA",
            Kind::MembershipMetadata => "MEMBERSHIP_METADATA",
        }
    }

    pub fn from_wire(wire: &str) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.wire() == wire)
            .unwrap_or(Kind::UserMetadata)
    }
}

macro_rules! target_of {
    ($module:ident) => {
        impl From<Kind> for $module::MetadataTarget {
            fn from(kind: Kind) -> Self {
                match kind {
                    Kind::UserMetadata => $module::MetadataTarget::USER_METADATA,
                    Kind::AppMetadata => $module::MetadataTarget::APP_METADATA,
                    Kind::MembershipMetadata => $module::MetadataTarget::MEMBERSHIP_METADATA,
                }
            }
        }
    };
}
target_of!(metadata_form);
target_of!(org_metadata_schema);
target_of!(set_metadata_schema);

/// What a form needs: the schemas the viewer may see (platform first) and the JSON Pointers of
/// the properties the viewer may not change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormSchemas {
    pub schemas: Vec<JSON>,
    pub read_only: Vec<String>,
}

pub async fn load_form(
    session: Session,
    user_id: String,
    kind: Kind,
    organization_id: Option<String>,
) -> Result<FormSchemas, ApiError> {
    let variables = metadata_form::Variables {
        id: user_id,
        target: Some(kind.into()),
        org_id: organization_id,
    };
    let data = execute::<MetadataForm>(session, variables).await?;
    Ok(data
        .user
        .map(|user| FormSchemas {
            schemas: user.metadata_form.schemas,
            read_only: user.metadata_form.read_only,
        })
        .unwrap_or_default())
}

pub async fn load_schema(session: Session, organization_id: String, kind: Kind) -> Result<Option<JSON>, ApiError> {
    let variables = org_metadata_schema::Variables {
        org_id: organization_id,
        target: kind.into(),
    };
    Ok(execute::<OrgMetadataSchema>(session, variables).await?.metadata_schema)
}

/// One failing document of a dry run.
#[derive(Clone, Debug, PartialEq)]
pub struct Failing {
    pub email: String,
    /// `(JSON Pointer, message)`.
    pub violations: Vec<(String, String)>,
}

/// A schema's dry run, or the outcome of applying it.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaReport {
    pub applied: bool,
    pub checked: i64,
    pub failing_count: i64,
    pub failing: Vec<Failing>,
    pub has_more: bool,
}

/// Tries (`confirm` false) or applies a schema; `None` removes it.
pub async fn set_schema(
    session: Session,
    organization_id: String,
    kind: Kind,
    schema: Option<JSON>,
    confirm: bool,
) -> Result<SchemaReport, ApiError> {
    let variables = set_metadata_schema::Variables {
        org_id: organization_id,
        target: kind.into(),
        schema,
        confirm: Some(confirm),
    };
    let report = execute::<SetMetadataSchema>(session, variables)
        .await?
        .set_metadata_schema;
    Ok(SchemaReport {
        applied: report.applied,
        checked: report.checked_count,
        failing_count: report.failing_count,
        has_more: report.has_more,
        failing: report
            .failing
            .into_iter()
            .map(|failure| Failing {
                email: failure.email,
                violations: failure
                    .violations
                    .into_iter()
                    .map(|violation| (violation.path, violation.message))
                    .collect(),
            })
            .collect(),
    })
}

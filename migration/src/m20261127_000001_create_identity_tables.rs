//! Organizations, users, memberships, passwords, sessions, signing keys, one-time tokens and the
//! audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    SearchText,
    DisplayName,
    LogoUrl,
    PrimaryColor,
    Metadata,
    Settings,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailVerified,
    Username,
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Picture,
    PhoneNumber,
    Locale,
    UserMetadata,
    AppMetadata,
    Blocked,
    BlockedReason,
    IsSuperadmin,
    PasswordChangeRequired,
    LastLoginAt,
    LoginsCount,
    SearchText,
    NameSort,
    LastLoginSort,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrgId,
    UserId,
    RoleAdmin,
    RoleUserManager,
    RoleAuditor,
    RoleMember,
    Status,
    SuspendedReason,
    Metadata,
    Revision,
    CreatedAt,
    UserEmail,
    UserNameSort,
    UserSearchText,
    UserCreatedAt,
    UserLastLoginSort,
}

#[derive(DeriveIden)]
enum PasswordCredentials {
    Table,
    UserId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    OrgId,
    PasswordChangeOnly,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    SessionId,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    TokenHash,
    Purpose,
    UserId,
    OrgId,
    Data,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    EventType,
    At,
    ActorUserId,
    ActorApiClientId,
    TargetUserId,
    OrganizationId,
    Ip,
    UserAgent,
    Details,
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().not_null().primary_key().to_owned()
}

fn uuid(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().not_null().to_owned()
}

fn uuid_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().null().to_owned()
}

fn string(column: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(length).not_null().to_owned()
}

fn string_null(column: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(length).null().to_owned()
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

pub(crate) fn json(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).json_binary().not_null().to_owned()
}

fn boolean(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).boolean().not_null().to_owned()
}

fn big_integer(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

/// A point in time, to the microsecond. MySQL's `timestamp` keeps whole seconds and ends in 2038,
/// so MySQL and MariaDB get `datetime(6)`, holding UTC.
pub(crate) fn instant(column: impl IntoIden, backend: DatabaseBackend) -> ColumnDef {
    let mut definition = ColumnDef::new(column);
    if backend == DatabaseBackend::MySql {
        definition.custom(Alias::new("datetime(6)"));
    } else {
        definition.timestamp_with_time_zone();
    }
    definition
}

fn timestamp(column: impl IntoIden, backend: DatabaseBackend) -> ColumnDef {
    instant(column, backend).not_null().to_owned()
}

fn timestamp_null(column: impl IntoIden, backend: DatabaseBackend) -> ColumnDef {
    instant(column, backend).null().to_owned()
}

pub(crate) fn index(name: &str, table: impl IntoIden + 'static, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(id(Organizations::Id))
                    .col(string(Organizations::Slug, 63).unique_key())
                    .col(string(Organizations::Name, 255))
                    .col(text(Organizations::SearchText))
                    .col(string_null(Organizations::DisplayName, 255))
                    .col(string_null(Organizations::LogoUrl, 2048))
                    .col(string_null(Organizations::PrimaryColor, 7))
                    .col(json(Organizations::Metadata))
                    .col(json(Organizations::Settings))
                    .col(big_integer(Organizations::Revision))
                    .col(timestamp(Organizations::CreatedAt, backend))
                    .col(timestamp(Organizations::UpdatedAt, backend))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id(Users::Id))
                    .col(string(Users::Email, 320).unique_key())
                    .col(boolean(Users::EmailVerified))
                    .col(string_null(Users::Username, 255).unique_key())
                    .col(string_null(Users::Name, 255))
                    .col(string_null(Users::GivenName, 255))
                    .col(string_null(Users::FamilyName, 255))
                    .col(string_null(Users::Nickname, 255))
                    .col(string_null(Users::Picture, 2048))
                    .col(string_null(Users::PhoneNumber, 64))
                    .col(string_null(Users::Locale, 35))
                    .col(json(Users::UserMetadata))
                    .col(json(Users::AppMetadata))
                    .col(boolean(Users::Blocked))
                    .col(string_null(Users::BlockedReason, 1024))
                    .col(boolean(Users::IsSuperadmin))
                    .col(boolean(Users::PasswordChangeRequired))
                    .col(timestamp_null(Users::LastLoginAt, backend))
                    .col(big_integer(Users::LoginsCount))
                    .col(text(Users::SearchText))
                    .col(string(Users::NameSort, 255))
                    .col(big_integer(Users::LastLoginSort))
                    .col(big_integer(Users::Revision))
                    .col(timestamp(Users::CreatedAt, backend))
                    .col(timestamp(Users::UpdatedAt, backend))
                    .to_owned(),
            )
            .await?;
        // Keyset pagination: every sort order is (key, id).
        manager
            .create_index(index("users_created_at_id", Users::Table, &["created_at", "id"]))
            .await?;
        manager
            .create_index(index("users_name_sort_id", Users::Table, &["name_sort", "id"]))
            .await?;
        manager
            .create_index(index(
                "users_last_login_sort_id",
                Users::Table,
                &["last_login_sort", "id"],
            ))
            .await?;
        manager
            .create_index(index("users_is_superadmin", Users::Table, &["is_superadmin"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid(Memberships::OrgId))
                    .col(uuid(Memberships::UserId))
                    .col(boolean(Memberships::RoleAdmin))
                    .col(boolean(Memberships::RoleUserManager))
                    .col(boolean(Memberships::RoleAuditor))
                    .col(boolean(Memberships::RoleMember))
                    .col(string(Memberships::Status, 16))
                    .col(string_null(Memberships::SuspendedReason, 1024))
                    .col(json(Memberships::Metadata))
                    .col(big_integer(Memberships::Revision))
                    .col(timestamp(Memberships::CreatedAt, backend))
                    .col(string(Memberships::UserEmail, 320))
                    .col(string(Memberships::UserNameSort, 255))
                    .col(string(Memberships::UserSearchText, 1024))
                    .col(timestamp(Memberships::UserCreatedAt, backend))
                    .col(big_integer(Memberships::UserLastLoginSort))
                    .primary_key(Index::create().col(Memberships::OrgId).col(Memberships::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An organization's member list is read from these alone: one index per sort order, in
        // order, with the search text carried along (PostgreSQL) so a filtered page is an
        // index-only scan that stops after one page of matches.
        for (name, key) in [
            ("memberships_org_email", "user_email"),
            ("memberships_org_name_sort", "user_name_sort"),
            ("memberships_org_created_at", "user_created_at"),
            ("memberships_org_last_login_sort", "user_last_login_sort"),
        ] {
            let mut statement = index(name, Memberships::Table, &["org_id", key, "user_id"]);
            if backend == DatabaseBackend::Postgres {
                statement.include(Memberships::UserSearchText);
            }
            manager.create_index(statement).await?;
        }
        manager
            .create_index(index("memberships_user_id", Memberships::Table, &["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordCredentials::Table)
                    .col(id(PasswordCredentials::UserId))
                    .col(string(PasswordCredentials::PasswordHash, 255))
                    .col(timestamp(PasswordCredentials::UpdatedAt, backend))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordCredentials::Table, PasswordCredentials::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(id(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(uuid_null(Sessions::OrgId))
                    .col(boolean(Sessions::PasswordChangeOnly))
                    .col(timestamp(Sessions::CreatedAt, backend))
                    .col(timestamp(Sessions::LastUsedAt, backend))
                    .col(timestamp(Sessions::ExpiresAt, backend))
                    .col(timestamp_null(Sessions::RevokedAt, backend))
                    .col(string_null(Sessions::Ip, 64))
                    .col(string_null(Sessions::UserAgent, 512))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sessions_user_id", Sessions::Table, &["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(uuid(RefreshTokens::SessionId))
                    .col(timestamp(RefreshTokens::CreatedAt, backend))
                    .col(timestamp_null(RefreshTokens::UsedAt, backend))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "refresh_tokens_session_id",
                RefreshTokens::Table,
                &["session_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(ColumnDef::new(SigningKeys::Kid).string_len(64).not_null().primary_key())
                    .col(string(SigningKeys::Algorithm, 16))
                    .col(text(SigningKeys::PrivateKey))
                    .col(text(SigningKeys::PublicKey))
                    .col(timestamp(SigningKeys::CreatedAt, backend))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OneTimeTokens::Table)
                    .col(
                        ColumnDef::new(OneTimeTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(string(OneTimeTokens::Purpose, 32))
                    .col(uuid_null(OneTimeTokens::UserId))
                    .col(uuid_null(OneTimeTokens::OrgId))
                    .col(json(OneTimeTokens::Data))
                    .col(timestamp(OneTimeTokens::CreatedAt, backend))
                    .col(timestamp(OneTimeTokens::ExpiresAt, backend))
                    .col(timestamp_null(OneTimeTokens::UsedAt, backend))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OneTimeTokens::Table, OneTimeTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "one_time_tokens_user_purpose",
                OneTimeTokens::Table,
                &["user_id", "purpose"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(id(AuditEvents::Id))
                    .col(string(AuditEvents::EventType, 64))
                    .col(timestamp(AuditEvents::At, backend))
                    .col(uuid_null(AuditEvents::ActorUserId))
                    .col(uuid_null(AuditEvents::ActorApiClientId))
                    .col(uuid_null(AuditEvents::TargetUserId))
                    .col(uuid_null(AuditEvents::OrganizationId))
                    .col(string_null(AuditEvents::Ip, 64))
                    .col(string_null(AuditEvents::UserAgent, 512))
                    .col(json(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_events_org_id",
                AuditEvents::Table,
                &["organization_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "audit_events_target_user_id",
                AuditEvents::Table,
                &["target_user_id", "id"],
            ))
            .await?;

        // Substring search that scales: trigram indexes where the backend has them.
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
            db.execute_unprepared("CREATE INDEX users_search_text_trgm ON users USING gin (search_text gin_trgm_ops)")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX organizations_search_text_trgm ON organizations USING gin (search_text gin_trgm_ops)",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            OneTimeTokens::Table.into_iden(),
            SigningKeys::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            PasswordCredentials::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

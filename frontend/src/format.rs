//! Turning API values into text for tables: kept in one place so every page shows dates, flags and
//! JSON the same way.

use crate::api::types::OrgRole;

/// `2025-03-01T09:30:12.345Z` → `2025-03-01 09:30 UTC`. The server always sends UTC (RFC 3339),
/// so trimming is enough and no time-zone database has to ship in the wasm.
pub fn timestamp(value: &str) -> String {
    match (value.get(0..10), value.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => value.to_owned(),
    }
}

/// Like [`timestamp`] for optional values, with a word for "never".
pub fn optional_timestamp(value: Option<&str>, when_missing: &str) -> String {
    value.map(timestamp).unwrap_or_else(|| when_missing.to_owned())
}

pub fn yes_no(value: bool) -> &'static str {
    if value {
        "Yes"
    } else {
        "No"
    }
}

pub fn roles(roles: &[OrgRole]) -> String {
    if roles.is_empty() {
        return "—".to_owned();
    }
    roles.iter().map(|role| role.label()).collect::<Vec<_>>().join(", ")
}

/// An optional text field, with a dash where there is nothing, so empty cells read as intended.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "—".to_owned(),
    }
}

/// Metadata documents, indented for reading.
pub fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

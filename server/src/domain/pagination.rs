//! Keyset (cursor) pagination. A cursor names the last row a page showed by its sort key and id;
//! the next page starts after it, so paging to the end of a million rows costs the same per page
//! as the first, and no result cap is needed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::Value;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

pub const MAX_PAGE_SIZE: i32 = 200;
/// The page size when a list's `first` is absent or null.
pub const DEFAULT_PAGE_SIZE: i32 = 50;

/// A page request: how many, after which cursor.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(Error::invalid(
                "first",
                format!("must be between 0 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(Self {
            first: first as u64,
            after,
        })
    }
}

/// One page: the rows with their cursors, and whether more follow.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    pub fn end_cursor(&self) -> Option<String> {
        self.items.last().map(|(cursor, _)| cursor.clone())
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(cursor, item)| (cursor, f(item))).collect(),
            has_next_page: self.has_next_page,
        }
    }

    /// Builds a page from up to `first + 1` rows fetched in order: the extra row only tells
    /// that there is a next page.
    pub fn from_rows(mut rows: Vec<T>, first: u64, cursor: impl Fn(&T) -> SortKey) -> Self {
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let items = rows
            .into_iter()
            .map(|row| {
                let key = cursor(&row);
                (key.encode(), row)
            })
            .collect();
        Page { items, has_next_page }
    }
}

/// A position in a sort order: the sort key and the row's id as a tie-breaker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortKey {
    pub key: KeyValue,
    pub id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Number(i64),
    Text(String),
}

impl SortKey {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serializes"))
    }

    pub fn decode(cursor: &str) -> Result<Self> {
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| Error::invalid("after", "not a cursor from this list"))
    }
}

/// The condition "after this position" for `ORDER BY key, id` in the given direction.
pub fn after_condition(
    key_column: SimpleExpr,
    id_column: SimpleExpr,
    key: Value,
    id: Uuid,
    descending: bool,
) -> SimpleExpr {
    let id = Value::from(id);
    if descending {
        Expr::expr(key_column.clone())
            .lt(key.clone())
            .or(Expr::expr(key_column).eq(key).and(Expr::expr(id_column).lt(id)))
    } else {
        Expr::expr(key_column.clone())
            .gt(key.clone())
            .or(Expr::expr(key_column).eq(key).and(Expr::expr(id_column).gt(id)))
    }
}

/// A page of rows newest first: ordered by a timestamp column, then the id, both descending,
/// starting after the cursor's row. `key` reads a row's timestamp and id.
pub(super) async fn newest_first<E>(
    connection: &impl sea_orm::ConnectionTrait,
    select: sea_orm::Select<E>,
    (at_column, id_column): (E::Column, E::Column),
    page: &PageRequest,
    key: impl Fn(&E::Model) -> (chrono::DateTime<chrono::Utc>, Uuid),
) -> Result<Page<E::Model>>
where
    E: sea_orm::EntityTrait,
{
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    let mut select = select;
    if let Some(after) = &page.after {
        let cursor = SortKey::decode(after)?;
        let at = match cursor.key {
            KeyValue::Number(micros) => chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros),
            KeyValue::Text(_) => None,
        }
        .ok_or_else(|| Error::invalid("after", "not a cursor from this list"))?;
        select = select.filter(after_condition(
            Expr::col((E::default(), at_column)).into(),
            Expr::col((E::default(), id_column)).into(),
            at.into(),
            cursor.id,
            true,
        ));
    }
    let rows = select
        .order_by_desc(at_column)
        .order_by_desc(id_column)
        .limit(page.first + 1)
        .all(connection)
        .await?;
    Ok(Page::from_rows(rows, page.first, |row| {
        let (at, id) = key(row);
        SortKey {
            key: KeyValue::Number(at.timestamp_micros()),
            id,
        }
    }))
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn sort_keys() -> impl Strategy<Value = SortKey> {
        (
            prop_oneof![
                any::<i64>().prop_map(KeyValue::Number),
                any::<String>().prop_map(KeyValue::Text)
            ],
            any::<u128>().prop_map(Uuid::from_u128),
        )
            .prop_map(|(key, id)| SortKey { key, id })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn cursors_round_trip(key in sort_keys()) {
            let cursor = key.encode();
            prop_assert!(cursor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            prop_assert_eq!(SortKey::decode(&cursor).unwrap(), key);
        }

        #[test]
        fn arbitrary_strings_never_panic(raw in any::<String>()) {
            match SortKey::decode(&raw) {
                // Whatever decodes is a real position, and encodes to a cursor that decodes the same.
                Ok(key) => prop_assert_eq!(SortKey::decode(&key.encode()).unwrap(), key),
                Err(error) => {
                    let about_after = matches!(&error, Error::Invalid { fields } if fields.contains_key("after"));
                    prop_assert!(about_after, "{error:?}");
                }
            }
        }

        #[test]
        fn strings_outside_the_alphabet_are_refused(raw in ".*[^A-Za-z0-9_-].*") {
            prop_assert!(SortKey::decode(&raw).is_err());
        }

        #[test]
        fn tampered_cursors_never_panic(key in sort_keys(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let cursor = key.encode();
            let _ = SortKey::decode(&cursor[..cut.index(cursor.len() + 1)]);
            let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
            let at = cut.index(bytes.len());
            bytes[at] = byte;
            let _ = SortKey::decode(&URL_SAFE_NO_PAD.encode(&bytes));
            // JSON that is not a cursor, well encoded.
            for other in ["[]", "{}", "null", "{\"key\":1.5,\"id\":\"x\"}", "{\"key\":[],\"id\":\"00000000-0000-0000-0000-000000000000\"}"] {
                prop_assert!(SortKey::decode(&URL_SAFE_NO_PAD.encode(other)).is_err());
            }
        }

        #[test]
        fn page_sizes_outside_0_to_200_are_refused(first in any::<i32>()) {
            let request = PageRequest::new(Some(first), None);
            prop_assert_eq!(request.is_ok(), (0..=MAX_PAGE_SIZE).contains(&first));
        }
    }
}

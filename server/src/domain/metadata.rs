//! Metadata documents: JSON Merge Patch (RFC 7396) with the contract's limits. A document is an
//! object of at most 16 KiB serialized, and no key is empty, longer than 255 characters or
//! contains a `.` (filter paths use dots). No key or string holds a NUL character, which
//! PostgreSQL cannot store in `jsonb`, and objects and arrays nest at most 20 deep (MariaDB
//! refuses JSON nested deeper than 32).

use serde_json::Value;

use crate::error::{Error, Result};

pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
const MAX_KEY_CHARS: usize = 255;
/// Objects and arrays inside each other, the document itself counted.
pub const MAX_DEPTH: usize = 20;

/// Checks a patch before it is applied: it must be an object with acceptable keys throughout.
pub fn validate_patch(field: &str, patch: &Value) -> Result<()> {
    if !patch.is_object() {
        return Err(Error::invalid(field, "must be a JSON object"));
    }
    check_keys(patch, 1).map_err(|message| Error::invalid(field, message))
}

/// Checks a value against the rules a document's contents follow (keys, NUL, nesting), for
/// values compared with documents.
pub fn check_value(value: &Value) -> Result<(), String> {
    check_keys(value, 1)
}

fn check_keys(value: &Value, depth: usize) -> Result<(), String> {
    let too_deep = || format!("objects and arrays may nest at most {MAX_DEPTH} deep");
    match value {
        Value::Object(map) => {
            if depth > MAX_DEPTH {
                return Err(too_deep());
            }
            for (key, child) in map {
                if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
                    return Err(format!("keys must be 1 to {MAX_KEY_CHARS} characters"));
                }
                if key.contains('.') {
                    return Err(format!("key `{key}` contains a `.`, which filter paths reserve"));
                }
                if key.contains('\0') {
                    return Err("keys must not contain NUL characters".into());
                }
                check_keys(child, depth + 1)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(too_deep());
            }
            items.iter().try_for_each(|item| check_keys(item, depth + 1))
        }
        Value::String(text) if text.contains('\0') => Err("strings must not contain NUL characters".into()),
        _ => Ok(()),
    }
}

/// Applies `patch` to `document` per RFC 7396 and checks the size of the result.
pub fn merge(field: &str, document: &Value, patch: &Value) -> Result<Value> {
    validate_patch(field, patch)?;
    let mut merged = if document.is_object() {
        document.clone()
    } else {
        Value::Object(Default::default())
    };
    json_patch::merge(&mut merged, patch);
    let size = serde_json::to_vec(&merged).map_err(Error::internal)?.len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(
            field,
            format!("the document would be {size} bytes; the limit is 16 KiB"),
        ));
    }
    Ok(merged)
}

/// A whole new document (creation): the same rules, with `null` members dropped as a merge into
/// an empty document would.
pub fn initial(field: &str, value: Option<&Value>) -> Result<Value> {
    match value {
        None => Ok(Value::Object(Default::default())),
        Some(value) => merge(field, &Value::Object(Default::default()), value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_recursively_and_deletes_with_null() {
        let document = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"});
        let patch = json!({"a": {"b": null, "z": 3}, "d": [3], "e": null});
        assert_eq!(
            merge("m", &document, &patch).unwrap(),
            json!({"a": {"c": 2, "z": 3}, "d": [3]})
        );
    }

    #[test]
    fn rejects_dotted_and_empty_keys_and_non_objects() {
        assert!(validate_patch("m", &json!({"a.b": 1})).is_err());
        assert!(validate_patch("m", &json!({"a": {"": 1}})).is_err());
        assert!(validate_patch("m", &json!([1])).is_err());
        assert!(validate_patch("m", &json!({"a": [{"b.c": 1}]})).is_err());
        assert!(validate_patch("m", &json!({"a\u{0}": 1})).is_err());
        assert!(validate_patch("m", &json!({"a": ["\u{0}"]})).is_err());
    }

    #[test]
    fn rejects_documents_nested_deeper_than_the_limit() {
        let nest = |levels: usize| (0..levels).fold(json!(1), |inner, _| json!({ "a": inner }));
        assert!(validate_patch("m", &nest(MAX_DEPTH)).is_ok());
        assert!(validate_patch("m", &nest(MAX_DEPTH + 1)).is_err());
    }

    #[test]
    fn rejects_documents_over_16_kib() {
        let big = "x".repeat(MAX_DOCUMENT_BYTES);
        assert!(merge("m", &json!({}), &json!({ "big": big })).is_err());
    }
}

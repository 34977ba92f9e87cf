//! Metadata documents: JSON Merge Patch (RFC 7396) with the contract's limits. A document is an
//! object of at most 16 KiB serialized, and no key is empty, longer than 255 characters or
//! contains a `.` (filter paths use dots).

use serde_json::Value;

use crate::error::{Error, Result};

pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
const MAX_KEY_CHARS: usize = 255;

/// Checks a patch before it is applied: it must be an object with acceptable keys throughout.
pub fn validate_patch(field: &str, patch: &Value) -> Result<()> {
    if !patch.is_object() {
        return Err(Error::invalid(field, "must be a JSON object"));
    }
    check_keys(patch).map_err(|message| Error::invalid(field, message))
}

fn check_keys(value: &Value) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
                    return Err(format!("keys must be 1 to {MAX_KEY_CHARS} characters"));
                }
                if key.contains('.') {
                    return Err(format!("key `{key}` contains a `.`, which filter paths reserve"));
                }
                check_keys(child)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_keys),
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
    }

    #[test]
    fn rejects_documents_over_16_kib() {
        let big = "x".repeat(MAX_DOCUMENT_BYTES);
        assert!(merge("m", &json!({}), &json!({ "big": big })).is_err());
    }
}

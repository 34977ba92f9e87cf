//! JSON Merge Patch (RFC 7396), computed rather than applied: the patch that turns the document
//! as loaded into the document as edited. Sending only what changed keeps a concurrent update of
//! other keys intact, which sending the whole document would undo.

use serde_json::{Map, Value};

/// The merge patch that turns `from` into `to`. Keys that are gone become `null`, nested objects
/// are compared key by key, and anything else that differs (scalars, arrays, a change of type) is
/// replaced whole. Equal documents give `{}`.
///
/// `null` in a merge patch means "delete", so a key whose new value is `null` ends up absent once
/// the patch is applied: a stored document never holds `null`.
pub fn diff(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(from), Value::Object(to)) => Value::Object(diff_objects(from, to)),
        _ => to.clone(),
    }
}

fn diff_objects(from: &Map<String, Value>, to: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for key in from.keys().filter(|key| !to.contains_key(*key)) {
        patch.insert(key.clone(), Value::Null);
    }
    for (key, new) in to {
        match from.get(key) {
            Some(old) if old == new => {}
            Some(old) if old.is_object() && new.is_object() => {
                patch.insert(key.clone(), diff(old, new));
            }
            _ => {
                patch.insert(key.clone(), new.clone());
            }
        }
    }
    patch
}

/// Whether applying `patch` would change nothing, so there is nothing to send.
pub fn is_empty(patch: &Value) -> bool {
    patch.as_object().is_some_and(Map::is_empty)
}

/// Reads a metadata document typed by a person: it must be JSON, and a JSON object. The error is
/// a sentence to show next to the input.
pub fn parse_object(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("The metadata must be a JSON object, in braces: { \"key\": \"value\" }.".to_owned()),
        Err(error) => Err(format!("This is not valid JSON: {error}.")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// RFC 7396 section 2, as the server applies a patch.
    fn apply(target: &Value, patch: &Value) -> Value {
        let Value::Object(patch) = patch else {
            return patch.clone();
        };
        let mut result = match target {
            Value::Object(target) => target.clone(),
            _ => Map::new(),
        };
        for (key, value) in patch {
            if value.is_null() {
                result.remove(key);
            } else {
                let merged = apply(result.get(key).unwrap_or(&Value::Null), value);
                result.insert(key.clone(), merged);
            }
        }
        Value::Object(result)
    }

    fn round_trip(from: Value, to: Value) -> Value {
        let patch = diff(&from, &to);
        assert_eq!(apply(&from, &patch), to, "applying {patch} to {from}");
        patch
    }

    #[test]
    fn equal_documents_need_no_patch() {
        let document = json!({ "team": { "name": "blue", "size": 3 }, "tags": ["a", "b"] });
        let patch = round_trip(document.clone(), document);
        assert_eq!(patch, json!({}));
        assert!(is_empty(&patch));
    }

    #[test]
    fn removed_keys_become_null() {
        let patch = round_trip(json!({ "a": 1, "b": 2 }), json!({ "a": 1 }));
        assert_eq!(patch, json!({ "b": null }));
    }

    #[test]
    fn added_and_changed_keys_are_sent_alone() {
        let patch = round_trip(json!({ "a": 1, "b": "x" }), json!({ "a": 1, "b": "y", "c": true }));
        assert_eq!(patch, json!({ "b": "y", "c": true }));
    }

    #[test]
    fn nested_objects_are_patched_recursively() {
        let from = json!({ "team": { "name": "blue", "size": 3, "lead": { "id": 1, "since": 2020 } } });
        let to = json!({ "team": { "name": "blue", "size": 4, "lead": { "id": 1 } } });
        let patch = round_trip(from, to);
        assert_eq!(patch, json!({ "team": { "size": 4, "lead": { "since": null } } }));
    }

    #[test]
    fn arrays_are_replaced_whole() {
        let patch = round_trip(json!({ "tags": ["a", "b"] }), json!({ "tags": ["a"] }));
        assert_eq!(patch, json!({ "tags": ["a"] }));
    }

    #[test]
    fn a_change_of_type_replaces_the_value() {
        let patch = round_trip(json!({ "a": { "b": 1 }, "c": 2 }), json!({ "a": 5, "c": { "d": 1 } }));
        assert_eq!(patch, json!({ "a": 5, "c": { "d": 1 } }));
    }

    #[test]
    fn emptying_the_document_deletes_every_key() {
        let patch = round_trip(json!({ "a": 1, "b": { "c": 2 } }), json!({}));
        assert_eq!(patch, json!({ "a": null, "b": null }));
    }

    #[test]
    fn a_new_null_value_means_the_key_is_absent() {
        let from = json!({ "a": 1 });
        let patch = diff(&from, &json!({ "a": 1, "b": null }));
        assert_eq!(patch, json!({ "b": null }));
        assert_eq!(apply(&from, &patch), json!({ "a": 1 }));
    }

    #[test]
    fn parsing_accepts_objects_only() {
        assert_eq!(parse_object(" { \"a\": [1, 2] } "), Ok(json!({ "a": [1, 2] })));
        assert_eq!(parse_object("   "), Ok(json!({})));
        assert!(parse_object("[1, 2]").unwrap_err().contains("JSON object"));
        assert!(parse_object("\"text\"").unwrap_err().contains("JSON object"));
        assert!(parse_object("{ \"a\": }")
            .unwrap_err()
            .starts_with("This is not valid JSON"));
    }
}

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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn keys() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z]{1,3}", "[A-Za-z0-9_ -]{1,12}", "\\PC{1,8}"].prop_filter("no dots", |key| !key.contains('.'))
    }

    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,20}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys(), inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn objects() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(keys(), values(), 0..5).prop_map(|map| Value::Object(map.into_iter().collect()))
    }

    /// A stored document: what a merge into an empty one gives.
    fn documents() -> impl Strategy<Value = Value> {
        objects().prop_map(|patch| initial("m", Some(&patch)).expect("small documents are accepted"))
    }

    fn keys_are_acceptable(value: &Value) -> bool {
        check_keys(value, 1).is_ok()
    }

    fn has_null_member(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.values().any(|child| child.is_null() || has_null_member(child)),
            // Arrays are replaced whole, nulls and all.
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn merging_an_empty_patch_is_the_identity(document in documents()) {
            prop_assert_eq!(merge("m", &document, &json!({})).unwrap(), document);
        }

        #[test]
        fn a_key_set_to_null_is_gone(document in documents(), key in keys(), nested in keys()) {
            let merged = merge("m", &document, &json!({ key.clone(): null })).unwrap();
            prop_assert!(merged.get(&key).is_none());
            let merged = merge("m", &document, &json!({ key.clone(): { nested.clone(): null } })).unwrap();
            prop_assert!(merged[&key].get(&nested).is_none());
        }

        #[test]
        fn applying_a_patch_twice_equals_once(document in documents(), patch in objects()) {
            let once = merge("m", &document, &patch);
            if let Ok(once) = once {
                prop_assert_eq!(merge("m", &once, &patch).unwrap(), once);
            }
        }

        #[test]
        fn merged_documents_keep_the_patch_and_drop_nulls(document in documents(), patch in objects()) {
            let merged = merge("m", &document, &patch).unwrap();
            prop_assert!(!has_null_member(&merged), "{merged}");
            for (key, value) in patch.as_object().unwrap() {
                match value {
                    Value::Null => prop_assert!(merged.get(key).is_none()),
                    Value::Object(_) => prop_assert!(merged[key].is_object()),
                    other => prop_assert_eq!(&merged[key], other),
                }
            }
        }

        #[test]
        fn results_over_16_kib_are_refused(document in documents(), size in 0usize..(2 * MAX_DOCUMENT_BYTES)) {
            let patch = json!({ "filler": "x".repeat(size) });
            match merge("m", &document, &patch) {
                Ok(merged) => prop_assert!(serde_json::to_vec(&merged).unwrap().len() <= MAX_DOCUMENT_BYTES),
                Err(Error::Invalid { fields }) => {
                    prop_assert!(fields.contains_key("m"));
                    let mut expected = document.clone();
                    json_patch::merge(&mut expected, &patch);
                    prop_assert!(serde_json::to_vec(&expected).unwrap().len() > MAX_DOCUMENT_BYTES);
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        #[test]
        fn bad_keys_are_refused_at_any_depth(
            document in documents(),
            bad in prop_oneof![Just(String::new()), "[a-z]{0,3}\\.[a-z.]{0,3}", "k{256,300}"],
            depth in 0usize..4,
            in_array in any::<bool>(),
        ) {
            let mut patch = json!({ bad: 1 });
            for level in 0..depth {
                patch = if in_array && level == 0 { json!([patch]) } else { json!({ "n": patch }) };
            }
            if !patch.is_object() {
                patch = json!({ "n": patch });
            }
            let merged = merge("m", &document, &patch);
            prop_assert!(matches!(merged, Err(Error::Invalid { .. })), "{patch} was accepted");
            let created = initial("m", Some(&patch));
            prop_assert!(matches!(created, Err(Error::Invalid { .. })), "{patch} was accepted");
        }

        #[test]
        fn never_panics_and_answers_objects_or_bad_input(document in values(), patch in values()) {
            match merge("m", &document, &patch) {
                Ok(merged) => {
                    prop_assert!(merged.is_object());
                    prop_assert!(keys_are_acceptable(&patch));
                    prop_assert!(serde_json::to_vec(&merged).unwrap().len() <= MAX_DOCUMENT_BYTES);
                }
                Err(Error::Invalid { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
            let _ = initial("m", Some(&patch));
        }
    }
}

//! Forms from metadata schemas: which input each property of a JSON Schema gets, and reading and
//! writing a property's value in the document. The document stays the single source of truth: an
//! input reads its value from it and writes its change back, so the JSON view and the merge patch
//! that is sent follow whatever the form does.

use serde_json::{Map, Value};

/// The input a property is edited with.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    Text,
    /// `"format": "date"`: an ISO date, picked with the browser's date input.
    Date,
    Integer,
    Number,
    Boolean,
    /// `enum`: one of these values.
    Choice(Vec<Value>),
    /// An object with `properties`: its own fields.
    Object(Vec<Field>),
    /// An array of scalars (`items` is text, a date, a number or a choice): one input per item.
    List(Box<Control>),
    /// Anything else (arrays, free-form objects, unions): its JSON.
    Json,
}

/// One property of the document, at `path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub path: Vec<String>,
    pub label: String,
    pub description: Option<String>,
    pub control: Control,
    /// The viewer may not change it (`x-steward-write`); shown, not editable.
    pub read_only: bool,
}

impl Field {
    /// The property's JSON Pointer (RFC 6901), as the server names it in its errors.
    pub fn pointer(&self) -> String {
        pointer(&self.path)
    }
}

pub fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// The fields of a document described by `schemas` (the platform's first): every property any of
/// them describes, alphabetically; a property several describe takes its input from the last,
/// and an object's properties are merged. `read_only` lists the JSON Pointers the viewer may not
/// change (nothing under one of them is editable either).
pub fn fields(schemas: &[Value], read_only: &[String]) -> Vec<Field> {
    let mut merged = Map::new();
    for schema in schemas {
        merge_properties(&mut merged, schema);
    }
    build(&merged, &mut Vec::new(), read_only, false)
}

fn merge_properties(into: &mut Map<String, Value>, schema: &Value) {
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return;
    };
    for (key, property) in properties {
        match into.get_mut(key) {
            Some(existing) if existing.get("properties").is_some() && property.get("properties").is_some() => {
                let mut children = existing["properties"].as_object().cloned().unwrap_or_default();
                merge_properties(&mut children, property);
                existing["properties"] = Value::Object(children);
            }
            _ => {
                into.insert(key.clone(), property.clone());
            }
        }
    }
}

fn build(properties: &Map<String, Value>, path: &mut Vec<String>, read_only: &[String], locked: bool) -> Vec<Field> {
    properties
        .iter()
        .map(|(key, property)| {
            path.push(key.clone());
            let locked = locked || read_only.contains(&pointer(path));
            let control = control(property, path, read_only, locked);
            let field = Field {
                path: path.clone(),
                label: property
                    .get("title")
                    .and_then(Value::as_str)
                    .map_or_else(|| key.clone(), str::to_owned),
                description: property.get("description").and_then(Value::as_str).map(str::to_owned),
                control,
                read_only: locked,
            };
            path.pop();
            field
        })
        .collect()
}

fn control(property: &Value, path: &mut Vec<String>, read_only: &[String], locked: bool) -> Control {
    if let Some(Value::Array(choices)) = property.get("enum") {
        return Control::Choice(choices.clone());
    }
    if let Some(constant) = property.get("const") {
        return Control::Choice(vec![constant.clone()]);
    }
    let kind = match property.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        // ["string", "null"] and the like: the first that is not null.
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or(""),
        _ if property.get("properties").is_some() => "object",
        _ => "",
    };
    match kind {
        "string" if property.get("format").and_then(Value::as_str) == Some("date") => Control::Date,
        "string" => Control::Text,
        "integer" => Control::Integer,
        "number" => Control::Number,
        "boolean" => Control::Boolean,
        "object" => match property.get("properties") {
            Some(Value::Object(properties)) => Control::Object(build(properties, path, read_only, locked)),
            _ => Control::Json,
        },
        "array" => match property.get("items") {
            Some(items) if items.is_object() => match control(items, path, read_only, locked) {
                item @ (Control::Text | Control::Date | Control::Integer | Control::Number | Control::Choice(_)) => {
                    Control::List(Box::new(item))
                }
                _ => Control::Json,
            },
            _ => Control::Json,
        },
        _ => Control::Json,
    }
}

/// The value at `path` in `document`.
pub fn get<'a>(document: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(document, |node, key| node.get(key))
}

/// Sets the value at `path` (`None` removes the key), making the objects on the way.
pub fn set(document: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if !document.is_object() {
        *document = Value::Object(Map::new());
    }
    let mut node = document;
    for key in parents {
        let object = node.as_object_mut().expect("an object");
        let child = object.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        node = child;
    }
    let object = node.as_object_mut().expect("an object");
    match value {
        Some(value) => {
            object.insert(last.clone(), value);
        }
        None => {
            object.remove(last);
        }
    }
}

/// The items of a list at `value`, each as its input shows it.
pub fn list_items(item: &Control, value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().map(|value| shown(item, Some(value))).collect(),
        _ => Vec::new(),
    }
}

/// The array the items' texts stand for; empty texts are left out, and no item at all removes
/// the key.
pub fn list_value(item: &Control, texts: &[String]) -> Result<Option<Value>, String> {
    let mut values = Vec::new();
    for text in texts {
        if let Some(value) = entered(item, text)? {
            values.push(value);
        }
    }
    Ok((!values.is_empty()).then_some(Value::Array(values)))
}

/// What an input shows for `value`. A choice shows its index among the choices.
pub fn shown(control: &Control, value: Option<&Value>) -> String {
    let Some(value) = value else { return String::new() };
    match (control, value) {
        (Control::Choice(choices), value) => choices
            .iter()
            .position(|choice| choice == value)
            .map(|index| index.to_string())
            .unwrap_or_default(),
        (Control::Text | Control::Date, Value::String(text)) => text.clone(),
        (Control::Integer | Control::Number, Value::Number(number)) => number.to_string(),
        _ => serde_json::to_string_pretty(value).unwrap_or_default(),
    }
}

/// The value an input's text stands for: `None` for an empty input (the key is removed), or why
/// the text is not a value of that kind. A number that is not one is kept as text, for the server
/// to name against the schema.
pub fn entered(control: &Control, text: &str) -> Result<Option<Value>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(match control {
        Control::Choice(choices) => text
            .parse::<usize>()
            .ok()
            .and_then(|index| choices.get(index).cloned())
            .ok_or("not one of the choices")?,
        Control::Integer => match text.parse::<i64>() {
            Ok(number) => Value::from(number),
            Err(_) => Value::String(text.to_owned()),
        },
        Control::Number => match text.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            Some(number) => Value::Number(number),
            None => Value::String(text.to_owned()),
        },
        Control::Json | Control::Object(_) | Control::List(_) => {
            serde_json::from_str(text).map_err(|error| format!("not valid JSON: {error}"))?
        }
        Control::Text | Control::Date | Control::Boolean => Value::String(text.to_owned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_of_property_gets_its_input_and_schemas_merge() {
        let platform = json!({ "properties": {
            "badge": { "type": "integer", "title": "Badge number" },
            "address": { "type": "object", "properties": { "city": { "type": "string" } } }
        } });
        let org = json!({ "properties": {
            "department": { "enum": ["sales", "ops"], "description": "Where they work" },
            "started": { "type": "string", "format": "date" },
            "remote": { "type": "boolean" },
            "score": { "type": ["number", "null"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "address": { "properties": { "zip": { "type": "string" } } }
        } });
        let found = fields(&[platform, org], &["/department".to_owned()]);
        let summary: Vec<(String, &Control, bool)> = found
            .iter()
            .map(|field| (field.pointer(), &field.control, field.read_only))
            .collect();
        let address = Control::Object(vec![
            Field {
                path: vec!["address".into(), "city".into()],
                label: "city".into(),
                description: None,
                control: Control::Text,
                read_only: false,
            },
            Field {
                path: vec!["address".into(), "zip".into()],
                label: "zip".into(),
                description: None,
                control: Control::Text,
                read_only: false,
            },
        ]);
        assert_eq!(
            summary,
            [
                ("/address".to_owned(), &address, false),
                ("/badge".to_owned(), &Control::Integer, false),
                (
                    "/department".to_owned(),
                    &Control::Choice(vec![json!("sales"), json!("ops")]),
                    true
                ),
                ("/remote".to_owned(), &Control::Boolean, false),
                ("/score".to_owned(), &Control::Number, false),
                ("/started".to_owned(), &Control::Date, false),
                ("/tags".to_owned(), &Control::List(Box::new(Control::Text)), false),
            ]
        );
        assert_eq!(found[1].label, "Badge number");
        assert_eq!(found[2].description.as_deref(), Some("Where they work"));
    }

    #[test]
    fn a_read_only_object_locks_what_is_inside() {
        let schema = json!({ "properties": { "hr": { "properties": { "grade": { "type": "integer" } } } } });
        let found = fields(&[schema], &["/hr".to_owned()]);
        let Control::Object(children) = &found[0].control else {
            panic!("an object")
        };
        assert!(children[0].read_only);
    }

    #[test]
    fn values_are_read_and_written_at_their_path() {
        let mut document = json!({ "a": 1 });
        let path = vec!["address".to_owned(), "city".to_owned()];
        set(&mut document, &path, Some(json!("Paris")));
        assert_eq!(document, json!({ "a": 1, "address": { "city": "Paris" } }));
        assert_eq!(get(&document, &path), Some(&json!("Paris")));
        set(&mut document, &path, None);
        assert_eq!(document, json!({ "a": 1, "address": {} }));
        set(&mut document, &["a".to_owned(), "b".to_owned()], Some(json!(2)));
        assert_eq!(document["a"], json!({ "b": 2 }));
    }

    #[test]
    fn lists_of_scalars_get_an_input_per_item() {
        let schema = json!({ "properties": {
            "scores": { "type": "array", "items": { "type": "integer" } },
            "pairs": { "type": "array", "items": { "type": "array" } },
            "any": { "type": "array" }
        } });
        let found = fields(&[schema], &[]);
        let integer = Control::Integer;
        assert_eq!(found[0].control, Control::Json);
        assert_eq!(found[1].control, Control::Json);
        assert_eq!(found[2].control, Control::List(Box::new(integer.clone())));
        assert_eq!(list_items(&integer, Some(&json!([1, 2]))), ["1", "2"]);
        let texts = ["3".to_owned(), String::new(), "4".to_owned()];
        assert_eq!(list_value(&integer, &texts), Ok(Some(json!([3, 4]))));
        assert_eq!(list_value(&integer, &[String::new()]), Ok(None));
    }

    #[test]
    fn input_text_becomes_a_typed_value() {
        let choice = Control::Choice(vec![json!("sales"), json!(3)]);
        assert_eq!(entered(&choice, "1"), Ok(Some(json!(3))));
        assert_eq!(shown(&choice, Some(&json!(3))), "1");
        assert_eq!(entered(&Control::Integer, " 42 "), Ok(Some(json!(42))));
        assert_eq!(entered(&Control::Integer, "4.5"), Ok(Some(json!("4.5"))));
        assert_eq!(entered(&Control::Number, "4.5"), Ok(Some(json!(4.5))));
        assert_eq!(entered(&Control::Text, ""), Ok(None));
        assert_eq!(entered(&Control::Json, "[1, 2]"), Ok(Some(json!([1, 2]))));
        assert!(entered(&Control::Json, "[1,").is_err());
        assert_eq!(shown(&Control::Date, Some(&json!("2026-12-05"))), "2026-12-05");
        assert_eq!(shown(&Control::Number, None), "");
        assert_eq!(pointer(&["a/b".to_owned(), "c~d".to_owned()]), "/a~1b/c~0d");
    }
}

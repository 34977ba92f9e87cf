//! The schema as the running server describes it (introspection), the selections the matrix sends
//! (every open field of an answer's type, built from the schema), and which fields the cases
//! select, so that a field no case reads is named.

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

use crate::table::{fields_of, operation_name, FieldRule, FIELDS, OPERATIONS, SUBSCRIPTIONS};
use steward_tests::TestServer;

const INTROSPECTION: &str = "{ __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { kind name fields(includeDeprecated: true) { name type { ...Ref } } } } }
    fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// How deep a generated selection follows object fields; deeper, only leaves are selected.
const DEPTH: usize = 2;

pub struct Field {
    pub name: String,
    /// The named type under any list and non-null wrappers.
    pub type_name: String,
    pub nullable: bool,
}

pub struct Schema {
    kinds: HashMap<String, String>,
    fields: HashMap<String, Vec<Field>>,
    query: String,
    mutation: String,
    subscription: Option<String>,
}

/// Every (type, field) some case selects.
pub type Coverage = BTreeSet<(String, String)>;

impl Schema {
    pub async fn introspect(server: &TestServer) -> Self {
        let response = server.gql(None, INTROSPECTION, json!({})).await;
        let schema = &response.ok()["__schema"];
        let mut kinds = HashMap::new();
        let mut fields = HashMap::new();
        for kind in schema["types"].as_array().expect("types") {
            let name = kind["name"].as_str().expect("type name").to_owned();
            kinds.insert(name.clone(), kind["kind"].as_str().expect("kind").to_owned());
            if let Some(list) = kind["fields"].as_array() {
                fields.insert(name, list.iter().map(field).collect());
            }
        }
        Self {
            kinds,
            fields,
            query: schema["queryType"]["name"].as_str().expect("query type").to_owned(),
            mutation: schema["mutationType"]["name"]
                .as_str()
                .expect("mutation type")
                .to_owned(),
            subscription: schema["subscriptionType"]["name"].as_str().map(str::to_owned),
        }
    }

    /// The root field an operation name invokes, and whether it is a query or a mutation.
    pub fn root(&self, name: &str) -> Option<(&'static str, &Field)> {
        let find = |type_name: &str| self.fields[type_name].iter().find(|field| field.name == name);
        find(&self.query)
            .map(|field| ("query", field))
            .or_else(|| find(&self.mutation).map(|field| ("mutation", field)))
    }

    fn is_leaf(&self, type_name: &str) -> bool {
        matches!(self.kinds.get(type_name).map(String::as_str), Some("SCALAR" | "ENUM"))
    }

    /// The open fields of `type_name` (empty for a scalar), following object fields `DEPTH`
    /// deep; records what it selects in `coverage`.
    pub fn selection(&self, type_name: &str, depth: usize, coverage: &mut Coverage) -> String {
        if self.is_leaf(type_name) {
            return String::new();
        }
        let open = fields_of(type_name).map(|fields| fields.open).unwrap_or_default();
        let mut parts = Vec::new();
        for field in &self.fields[type_name] {
            if !open.contains(&field.name.as_str()) {
                continue;
            }
            if self.is_leaf(&field.type_name) {
                parts.push(field.name.clone());
            } else if depth < DEPTH {
                parts.push(format!(
                    "{} {}",
                    field.name,
                    self.selection(&field.type_name, depth + 1, coverage)
                ));
            } else {
                continue;
            }
            coverage.insert((type_name.to_owned(), field.name.clone()));
        }
        format!("{{ {} }}", parts.join(" "))
    }

    /// The type of a field of an object type.
    pub fn field_type(&self, type_name: &str, field: &str) -> &str {
        &self.fields[type_name]
            .iter()
            .find(|candidate| candidate.name == field)
            .unwrap_or_else(|| panic!("{type_name}.{field} is not in the schema"))
            .type_name
    }

    /// What the table and the cases leave out: operations without a row, rows without an
    /// operation, object types or fields the table does not name, and fields no case selects.
    pub fn gaps(&self, coverage: &Coverage) -> Vec<String> {
        let mut gaps = Vec::new();
        let named: BTreeSet<&str> = OPERATIONS.iter().map(|row| operation_name(row.call)).collect();
        for root in [&self.query, &self.mutation] {
            for field in &self.fields[root] {
                if !named.contains(field.name.as_str()) {
                    gaps.push(format!("{root}.{} has no row in OPERATIONS", field.name));
                }
            }
        }
        // Subscriptions run over WebSocket, outside this matrix: each is named with the suite
        // that checks who may subscribe and that a viewer who loses the right stops receiving.
        if let Some(root) = &self.subscription {
            for field in &self.fields[root] {
                if !SUBSCRIPTIONS.iter().any(|(name, _)| *name == field.name) {
                    gaps.push(format!("{root}.{} has no entry in SUBSCRIPTIONS", field.name));
                }
            }
        }
        for name in &named {
            if self.root(name).is_none() {
                gaps.push(format!("OPERATIONS names `{name}`, which the schema does not have"));
            }
        }
        let mut objects: Vec<&String> = self
            .kinds
            .iter()
            .filter(|(name, kind)| {
                *kind == "OBJECT"
                    && !name.starts_with("__")
                    && **name != self.query
                    && **name != self.mutation
                    && Some(*name) != self.subscription.as_ref()
            })
            .map(|(name, _)| name)
            .collect();
        objects.sort();
        for type_name in objects {
            let Some(table) = fields_of(type_name) else {
                gaps.push(format!("the object type {type_name} has no entry in FIELDS"));
                continue;
            };
            for field in &self.fields[type_name.as_str()] {
                let named = table.open.contains(&field.name.as_str())
                    || table.gated.iter().any(|(gated, _, _)| *gated == field.name);
                if !named {
                    gaps.push(format!("{type_name}.{} has no rule in FIELDS", field.name));
                } else if !coverage.contains(&(type_name.clone(), field.name.clone())) {
                    gaps.push(format!("{type_name}.{} is selected by no case", field.name));
                }
            }
        }
        for table in FIELDS {
            let Some(fields) = self.fields.get(table.type_name) else {
                gaps.push(format!(
                    "FIELDS names the type {}, which the schema does not have",
                    table.type_name
                ));
                continue;
            };
            let names = table.open.iter().chain(table.gated.iter().map(|(name, _, _)| name));
            for name in names {
                if !fields.iter().any(|field| field.name == *name) {
                    gaps.push(format!(
                        "FIELDS names {}.{name}, which the schema does not have",
                        table.type_name
                    ));
                }
            }
        }
        gaps
    }

    /// The fields that some roles may not read, yet the schema declares non-null: a caller
    /// without the right cannot get the `null` the contract promises there.
    pub fn non_null_withheld(&self) -> Vec<String> {
        let mut found = Vec::new();
        for table in FIELDS {
            for (name, _, rule) in table.gated {
                let field = self.fields[table.type_name].iter().find(|field| field.name == *name);
                if matches!(rule, FieldRule::Withheld(_)) && field.is_some_and(|field| !field.nullable) {
                    found.push(format!("{}.{name}", table.type_name));
                }
            }
        }
        found
    }

    /// The gated fields of a type, with how each is called and the type it answers.
    pub fn gated(&self, type_name: &str) -> Vec<(&'static str, &'static str, FieldRule, String)> {
        fields_of(type_name)
            .map(|fields| fields.gated)
            .unwrap_or_default()
            .iter()
            .map(|(name, call, rule)| (*name, *call, *rule, self.field_type(type_name, name).to_owned()))
            .collect()
    }
}

fn field(value: &Value) -> Field {
    let mut reference = &value["type"];
    let nullable = reference["kind"] != "NON_NULL";
    while reference["name"].is_null() {
        reference = &reference["ofType"];
    }
    Field {
        name: value["name"].as_str().expect("field name").to_owned(),
        type_name: reference["name"].as_str().expect("type name").to_owned(),
        nullable,
    }
}

//! Checks on a request's document before the engine sees it, for every transport (HTTP and
//! WebSocket): only the named operation is kept, and a document whose fragments expand past a
//! bound is refused in time linear in its length.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Request, ServerError, ServerResult};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Marks a request as arriving over WebSocket, where only subscriptions are served: a query or
/// mutation there would run as the connection's caller from when it opened, without the
/// per-request checks of `POST /graphql`.
pub struct OverWebSocket;

/// What a query or mutation sent over WebSocket is told.
const NOT_OVER_WEBSOCKET: &str =
    "only subscriptions are served over WebSocket; send queries and mutations to POST /graphql";

/// The schema extension that applies the checks to every request, subscriptions included.
pub struct DocumentChecks;

impl ExtensionFactory for DocumentChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentChecksExtension)
    }
}

struct DocumentChecksExtension;

#[async_trait::async_trait]
impl Extension for DocumentChecksExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A document that does not parse is left to the engine, which says why.
        if let Ok(document) = request.parsed_query() {
            let mut document = document.clone();
            if let Some(name) = request.operation_name.clone() {
                keep_named_operation(&mut document, &name);
            }
            expanded_size(&document).map_err(|why| ServerError::new(why, None))?;
            if ctx.data_opt::<OverWebSocket>().is_some() {
                let subscriptions_only = document.operations.iter().all(|(_, operation)| {
                    operation.node.ty == async_graphql::parser::types::OperationType::Subscription
                });
                if !subscriptions_only {
                    return Err(ServerError::new(NOT_OVER_WEBSOCKET, None));
                }
            }
            request.set_parsed_query(document);
        }
        next.run(ctx, request).await
    }
}

/// The most selections a document may hold once every fragment spread is replaced by its
/// fragment. The engine's own checks walk each spread anew, so fragments that spread the one
/// before several times (a few hundred bytes expanding to billions of fields) would hold a worker
/// for hours before any limit saw them; this count remembers each fragment's size and runs in
/// the document's length.
pub(crate) const MAX_EXPANDED_SELECTIONS: u64 = 10_000;
/// Fragments spreading fragments, and selections inside selections, at most this deep.
const MAX_NESTING: usize = 64;

pub(crate) fn expanded_size(document: &ExecutableDocument) -> Result<u64, &'static str> {
    fn size_of(
        document: &ExecutableDocument,
        selections: &SelectionSet,
        fragments: &mut HashMap<Name, Option<u64>>,
        nesting: usize,
    ) -> Result<u64, &'static str> {
        if nesting > MAX_NESTING {
            return Err("the query nests selections or fragments too deeply");
        }
        let mut total: u64 = 0;
        for selection in &selections.items {
            let size = match &selection.node {
                Selection::Field(field) => {
                    1 + size_of(document, &field.node.selection_set.node, fragments, nesting + 1)?
                }
                Selection::InlineFragment(inline) => {
                    size_of(document, &inline.node.selection_set.node, fragments, nesting + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    match (fragments.get(name), document.fragments.get(name)) {
                        (Some(Some(size)), _) => *size,
                        (Some(None), _) => return Err("fragments must not spread themselves in a cycle"),
                        // Validation names the unknown fragment.
                        (None, None) => 0,
                        (None, Some(fragment)) => {
                            fragments.insert(name.clone(), None);
                            let size = size_of(document, &fragment.node.selection_set.node, fragments, nesting + 1)?;
                            fragments.insert(name.clone(), Some(size));
                            size
                        }
                    }
                }
            };
            total = total.saturating_add(size);
            if total > MAX_EXPANDED_SELECTIONS {
                return Err("the query selects too many fields once its fragments are spread");
            }
        }
        Ok(total)
    }
    let mut fragments = HashMap::new();
    let mut total: u64 = 0;
    for (_, operation) in document.operations.iter() {
        total = total.saturating_add(size_of(
            document,
            &operation.node.selection_set.node,
            &mut fragments,
            0,
        )?);
        if total > MAX_EXPANDED_SELECTIONS {
            return Err("the query selects too many fields once its fragments are spread");
        }
    }
    Ok(total)
}

/// Keeps only the operation the request names, and the fragments it reaches. A document may hold
/// several operations (the portal's typed client sends each file whole, GraphiQL its whole
/// editor), but the engine's cost check walks every one of them with the variables of the named
/// one alone: an operation that is not going to run would refuse the request for want of its
/// variables, or be counted against it.
pub(crate) fn keep_named_operation(document: &mut ExecutableDocument, name: &str) {
    let DocumentOperations::Multiple(operations) = &mut document.operations else {
        return;
    };
    operations.retain(|operation, _| operation.as_str() == name);
    let mut pending: Vec<Name> = Vec::new();
    for operation in operations.values() {
        spreads_in(&operation.node.selection_set.node, &mut pending);
    }
    let mut reached: HashSet<Name> = HashSet::new();
    while let Some(fragment) = pending.pop() {
        if reached.insert(fragment.clone()) {
            if let Some(definition) = document.fragments.get(&fragment) {
                spreads_in(&definition.node.selection_set.node, &mut pending);
            }
        }
    }
    document.fragments.retain(|fragment, _| reached.contains(fragment));
}

/// The names of the fragments `selection_set` spreads, at any depth but not through them.
fn spreads_in(selection_set: &SelectionSet, names: &mut Vec<Name>) {
    for selection in &selection_set.items {
        match &selection.node {
            Selection::Field(field) => spreads_in(&field.node.selection_set.node, names),
            Selection::InlineFragment(inline) => spreads_in(&inline.node.selection_set.node, names),
            Selection::FragmentSpread(spread) => names.push(spread.node.fragment_name.node.clone()),
        }
    }
}

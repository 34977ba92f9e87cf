//! Gives every error its `extensions.code`, in one place: domain errors carry theirs, and errors
//! the GraphQL engine raises itself (a malformed query, a wrong argument type) are the client's
//! input. Internal errors are logged with their cause and shown only as "internal error".

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Response, ServerError, Value};
use std::sync::Arc;

use crate::error::Error;

pub struct ErrorCodes;

/// What async-graphql says when a request's cost is above the limit, and what Steward says
/// instead: the bare sentence does not tell a client what to change.
const TOO_COMPLEX: &str = "Query is too complex.";
const TOO_COMPLEX_HINT: &str = "Query is too complex: every list costs its selection once per item it may \
     return (a page its `first`), and this request could ask for too many; ask for smaller pages, fewer \
     nested lists or fewer aliases.";

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

fn with_code(mut error: ServerError) -> ServerError {
    if error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some())
    {
        return error;
    }
    let (code, extra) = match error.source::<Error>() {
        Some(domain) => {
            if let Error::Internal(cause) = domain {
                tracing::error!(error = format!("{cause:#}"), path = ?error.path, "request failed");
            }
            let extra: Vec<(&str, Value)> = match domain {
                Error::Invalid { fields } => {
                    let fields = fields
                        .iter()
                        .map(|(field, message)| (async_graphql::Name::new(field), Value::from(message.as_str())));
                    vec![("fields", Value::Object(fields.collect()))]
                }
                Error::PasswordPolicy { reasons } => {
                    vec![(
                        "reasons",
                        Value::List(reasons.iter().map(|reason| Value::from(reason.as_str())).collect()),
                    )]
                }
                _ => Vec::new(),
            };
            (domain.code(), extra)
        }
        None if error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some()) =>
        {
            return error
        }
        None => {
            if error.message == TOO_COMPLEX {
                error.message = TOO_COMPLEX_HINT.to_owned();
            }
            ("BAD_USER_INPUT", Vec::new())
        }
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    for (key, value) in extra {
        extensions.set(key, value);
    }
    error
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(with_code)
            .collect();
        response
    }

    /// Every message of a subscription, as every response.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: futures::stream::BoxStream<'s, Response>,
        next: async_graphql::extensions::NextSubscribe<'_>,
    ) -> futures::stream::BoxStream<'s, Response> {
        use futures::StreamExt;
        next.run(ctx, stream).map(ensure_codes).boxed()
    }
}

/// For errors raised before execution (parsing, validation), which `execute` never sees.
pub fn ensure_codes(mut response: Response) -> Response {
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(with_code)
        .collect();
    response
}

/// A field only some callers may read, refused to this one: it answers `null`, present in the
/// object, with one error at its path, and the rest of the object survives. The object itself is
/// in view, so the refusal is about the right (`FORBIDDEN`), never about existence.
pub fn withheld<T>(ctx: &async_graphql::Context<'_>, refusal: Error) -> Option<T> {
    let refusal = match refusal {
        Error::NotFound => Error::Forbidden("the caller may not read this field"),
        other => other,
    };
    let error = async_graphql::Error::new_with_source(refusal).into_server_error(ctx.item.pos);
    ctx.add_error(ctx.set_error_path(error));
    None
}

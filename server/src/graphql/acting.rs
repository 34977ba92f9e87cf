//! Who a field resolves for. Usually the request's caller; but the fields under a sign-in's answer
//! (`login { user { memberships { roles } } }`, and the same under `refreshSession`,
//! `acceptInvitation`, `resetPassword`, `setupFirstAdmin`, …) are read as the user who has just
//! signed in, with exactly the rights their new session has.
//!
//! A sign-in registers its new caller under the response key of its field (the alias, or the
//! field's name); a field finds the key at the root of its path. Sibling fields of the sign-in
//! keep the request's caller.

use async_graphql::{Context, QueryPathSegment};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use super::loaders::{self, Loaders};
use crate::domain::authz::Caller;

/// A caller who signed in during this request, with loaders of their own.
pub struct SignedIn {
    caller: Caller,
    loaders: Loaders,
}

/// The callers who signed in during this request, by the response key of the sign-in field.
#[derive(Default)]
pub struct SignedInCallers(Mutex<HashMap<String, Arc<SignedIn>>>);

/// The caller a field resolves for.
pub enum Acting<'a> {
    Request(&'a Caller),
    SignedIn(Arc<SignedIn>),
}

impl Deref for Acting<'_> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        match self {
            Acting::Request(caller) => caller,
            Acting::SignedIn(signed_in) => &signed_in.caller,
        }
    }
}

/// The batch loaders of the caller a field resolves for.
pub enum ActingLoaders<'a> {
    Request(&'a Loaders),
    SignedIn(Arc<SignedIn>),
}

impl Deref for ActingLoaders<'_> {
    type Target = Loaders;

    fn deref(&self) -> &Loaders {
        match self {
            ActingLoaders::Request(loaders) => loaders,
            ActingLoaders::SignedIn(signed_in) => &signed_in.loaders,
        }
    }
}

/// The response key of the top-level field this field is under.
fn root_key(ctx: &Context<'_>) -> Option<String> {
    let mut node = ctx.path_node.as_ref()?;
    while let Some(parent) = node.parent {
        node = parent;
    }
    match node.segment {
        QueryPathSegment::Name(name) => Some(name.to_owned()),
        QueryPathSegment::Index(_) => None,
    }
}

fn signed_in(ctx: &Context<'_>) -> Option<Arc<SignedIn>> {
    let callers = ctx.data_opt::<SignedInCallers>()?;
    let key = root_key(ctx)?;
    let callers = callers.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    callers.get(&key).cloned()
}

/// The caller this field resolves for.
pub fn caller<'a>(ctx: &Context<'a>) -> Acting<'a> {
    match signed_in(ctx) {
        Some(signed_in) => Acting::SignedIn(signed_in),
        None => Acting::Request(ctx.data_unchecked::<Caller>()),
    }
}

/// The batch loaders of the caller this field resolves for.
pub fn loaders<'a>(ctx: &Context<'a>) -> ActingLoaders<'a> {
    match signed_in(ctx) {
        Some(signed_in) => ActingLoaders::SignedIn(signed_in),
        None => ActingLoaders::Request(ctx.data_unchecked::<Loaders>()),
    }
}

/// Makes the fields under this sign-in's answer resolve as the holder of `access_token`: the
/// token is authenticated as any request's would be, so the answer shows what the new session
/// may see, no more.
pub async fn sign_in(ctx: &Context<'_>, access_token: &str) {
    let (Some(callers), Some(key)) = (ctx.data_opt::<SignedInCallers>(), root_key(ctx)) else {
        return;
    };
    let request = ctx.data_unchecked::<Caller>();
    let caller = Caller::from_bearer(
        request.app().clone(),
        Some(access_token),
        request.ip.clone(),
        request.user_agent.clone(),
    )
    .await;
    let loaders = loaders::for_request(caller.lookups());
    let signed_in = Arc::new(SignedIn { caller, loaders });
    callers
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, signed_in);
}

//! The portal's pure logic: no browser, no signals, no requests. It sits in a library beside the
//! app so that its unit tests run on the host (`cargo test -p steward-frontend --lib`), while the
//! app itself only makes sense compiled to wasm32.

pub mod api_scopes;
pub mod brand;
pub mod merge_patch;
pub mod password_policy;
pub mod schema_form;

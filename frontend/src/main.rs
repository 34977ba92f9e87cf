//! Steward's admin portal: a single-page app served by the Steward server, talking to it only
//! through `/graphql`.

mod api;
mod app;
mod components;
mod format;
mod pages;

fn main() {
    leptos::mount::mount_to_body(app::App);
}

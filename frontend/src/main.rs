//! Steward's admin portal: a single-page app served by the Steward server, talking to it only
//! through `/graphql`.

mod api;
mod app;
mod components;
mod format;
mod pages;

fn main() {
    // A panic shows its message in the browser console instead of a bare "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

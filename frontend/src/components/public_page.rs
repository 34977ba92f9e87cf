//! The frame of the pages people reach before signing in, mostly from an emailed link: a centred
//! card in the organization's colours, with its logo and name when known; and the gate that reads
//! a link's token first, so that a dead link says so before anyone types a password into it.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use steward_frontend::brand;

use crate::api::links::{token_info, LinkToken, PublicOrganization};
use crate::api::types::TokenPurpose;
use crate::api::ApiError;
use crate::components::error_box::ErrorBox;
use crate::components::fields::BusyButton;

/// `/login`, keeping the organization when it is known (its page links to the right reset form).
pub fn sign_in_href(organization_slug: Option<&str>) -> String {
    with_organization("/login", organization_slug)
}

/// `path?org=slug`, or `path` alone without an organization.
pub fn with_organization(path: &str, organization_slug: Option<&str>) -> String {
    match organization_slug {
        Some(slug) if !slug.is_empty() => format!("{path}?org={}", String::from(js_sys::encode_uri_component(slug))),
        _ => path.to_owned(),
    }
}

#[component]
pub fn PublicCard(
    /// Element id of the card.
    #[prop(into)]
    id: String,
    #[prop(into)] organization: Signal<Option<PublicOrganization>>,
    children: Children,
) -> impl IntoView {
    let style = move || {
        organization.with(|organization| {
            organization
                .as_ref()
                .and_then(|organization| brand::primary_color_style(organization.primary_color.as_deref()))
        })
    };
    let logo = move || {
        organization.with(|organization| {
            organization.as_ref().and_then(|organization| {
                organization
                    .logo_url
                    .clone()
                    .filter(|url| !url.trim().is_empty())
                    .map(|url| {
                        view! { <img class="brand-logo" id="brand-logo" src=url alt="" /> }
                    })
            })
        })
    };
    let title = move || {
        organization.with(|organization| {
            organization
                .as_ref()
                .map(PublicOrganization::title)
                .unwrap_or_else(|| "Steward".to_owned())
        })
    };
    view! {
        <div class="centered-page" style=style>
            <div class="panel narrow public-card" id=id>
                <div class="brand-header">
                    {logo}
                    <h1 class="brand" id="brand-name">
                        {title}
                    </h1>
                </div>
                {children()}
            </div>
        </div>
    }
}

/// Reads the `token` of the page's address, then shows `render` with what the token is for — or,
/// for a token that is unknown, used, expired or meant for another page, says that the link is no
/// longer valid and offers a new reset link.
#[component]
pub fn TokenGate<F>(
    /// The purposes this page handles.
    purposes: &'static [TokenPurpose],
    /// Element id of the card once the token is known good.
    id: &'static str,
    /// Builds the page from the token and what it is for.
    render: F,
) -> impl IntoView
where
    F: Fn(String, LinkToken) -> AnyView + Send + 'static,
{
    let token = use_query_map().get_untracked().get("token").unwrap_or_default();
    let info = LocalResource::new({
        let token = token.clone();
        move || {
            let token = token.clone();
            async move {
                if token.is_empty() {
                    return Ok(None);
                }
                token_info(token).await
            }
        }
    });
    move || match info.get() {
        None => view! {
            <div class="centered-page" id="link-loading">
                <p class="muted">"Loading…"</p>
            </div>
        }
        .into_any(),
        Some(Ok(Some(link))) if purposes.contains(&link.purpose) => {
            let organization = link.organization.clone();
            let page = render(token.clone(), link);
            view! { <PublicCard id=id organization=organization>{page}</PublicCard> }.into_any()
        }
        Some(Ok(_)) => view! { <InvalidLink /> }.into_any(),
        Some(Err(error)) => view! {
            <PublicCard id="link-error-card" organization=None>
                <ErrorBox id="link-error" error=Some(error) />
            </PublicCard>
        }
        .into_any(),
    }
}

#[component]
fn InvalidLink() -> impl IntoView {
    view! {
        <PublicCard id="link-invalid" organization=None>
            <h2>"This link is no longer valid"</h2>
            <p class="muted">
                "It may have been used already, or it has expired. You can ask for a new link to reset your password."
            </p>
            <A href="/forgot-password" attr:class="button primary wide" attr:id="link-invalid-forgot-password">
                "Request a new link"
            </A>
        </PublicCard>
    }
}

/// A page whose whole point is one click (verify an address, lift a lockout): the explanation
/// and the button, then what it did and the way to sign in. A click, never on load: mail
/// scanners open links by themselves.
#[component]
pub fn OneClickAction<F, Fut>(
    button_id: &'static str,
    #[prop(into)] label: String,
    running_label: &'static str,
    /// Element ids of the error box and the success sentence.
    error_id: &'static str,
    done_id: &'static str,
    #[prop(into)] done_text: String,
    /// Where "Sign in" leads afterwards.
    sign_in: String,
    run: F,
    /// What the click will do, shown until it is done.
    children: ChildrenFn,
) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<(), ApiError>> + 'static,
{
    let action = Action::new_local(move |_: &()| run());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Show
            when=move || !done()
            fallback=move || {
                view! {
                    <p class="notice" id=done_id role="status">
                        {done_text.clone()}
                    </p>
                    <A href=sign_in.clone() attr:class="button primary wide" attr:id="sign-in-link">
                        "Sign in"
                    </A>
                }
            }
        >
            {children()}
            <ErrorBox id=error_id error=error />
            <BusyButton
                id=button_id
                label=label.clone()
                running_label=running_label
                running=action.pending()
                class="button primary wide"
                on_click=Callback::new(move |()| {
                    action.dispatch_local(());
                })
            />
        </Show>
    }
}

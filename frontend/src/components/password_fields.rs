//! The "new password" and "repeat it" pair used wherever a password is chosen, with the
//! comparison done before anything is sent and, when the organization's policy is known, its
//! rules listed under the input and judged as the person types.

use leptos::prelude::*;
use steward_frontend::password_policy::{rules, PasswordPolicy};

use crate::api::ApiError;
use crate::components::error_box::FieldError;

/// Two password inputs bound to `password` and `confirmation`.
#[component]
pub fn NewPasswordFields(
    password: RwSignal<String>,
    confirmation: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// Element id of the first input; the second gets the same with `-confirm` appended, and the
    /// rule list `-policy`.
    id: &'static str,
    /// The server field name the first input stands for (`password` or `newPassword`).
    field: &'static str,
    /// The policy to show; without one, a general hint stands in its place.
    #[prop(into, optional)]
    policy: MaybeProp<PasswordPolicy>,
    /// What the password should not contain when the policy rejects personal information: the
    /// email address, names, the organization's name.
    #[prop(into, optional)]
    personal: MaybeProp<Vec<String>>,
) -> impl IntoView {
    let confirm_id = format!("{id}-confirm");
    let policy_id = format!("{id}-policy");
    view! {
        <label for=id>"New password"</label>
        <input
            type="password"
            id=id
            autocomplete="new-password"
            required
            aria-describedby=policy_id.clone()
            bind:value=password
        />
        <FieldError error=error field=field />
        {move || match policy.get() {
            Some(policy) => {
                view! {
                    <PolicyChecklist
                        id=policy_id.clone()
                        policy=policy
                        password=password
                        personal=Signal::derive(move || personal.get().unwrap_or_default())
                    />
                }
                    .into_any()
            }
            None => {
                view! {
                    <p class="hint" id=policy_id.clone()>
                        "Long passphrases are best. The organization's password policy decides what is accepted."
                    </p>
                }
                    .into_any()
            }
        }}
        <label for=confirm_id.clone()>"Repeat the new password"</label>
        <input
            type="password"
            id=confirm_id
            autocomplete="new-password"
            required
            bind:value=confirmation
        />
        <FieldError error=error field="confirmation" />
    }
}

/// The policy's rules, each marked met, not met, or left to the server.
#[component]
fn PolicyChecklist(
    id: String,
    policy: PasswordPolicy,
    password: RwSignal<String>,
    #[prop(into)] personal: Signal<Vec<String>>,
) -> impl IntoView {
    let judged =
        Memo::new(move |_| password.with(|password| personal.with(|personal| rules(&policy, password, personal))));
    let count = judged.with_untracked(Vec::len);
    view! {
        <ul class="policy-rules" id=id aria-label="Password rules">
            {(0..count)
                .map(|index| {
                    let rule = move || judged.with(|rules| rules[index].clone());
                    view! {
                        <li class=move || rule().state.class() data-rule=move || rule().key>
                            <span class="rule-mark" aria-hidden="true">
                                {move || rule().state.mark()}
                            </span>
                            <span>{move || rule().text}</span>
                            <span class="visually-hidden">{move || format!(" ({})", rule().state.spoken())}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// The check the server cannot do: both entries must match. `Err` is shaped like a field error.
pub fn check_confirmation(password: &str, confirmation: &str) -> Result<(), ApiError> {
    if password == confirmation {
        Ok(())
    } else {
        Err(ApiError::invalid_field("confirmation", "The two passwords differ."))
    }
}

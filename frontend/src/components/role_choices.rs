//! The roles to grant, one checkbox each: shared by the "New user" and "Invite member" forms.

use leptos::prelude::*;

use crate::api::types::OrgRole;

#[component]
pub fn RoleChoices(
    roles: RwSignal<Vec<OrgRole>>,
    /// Each checkbox's id is this followed by `-` and the role's wire name, e.g. `-ADMIN`.
    id_prefix: &'static str,
) -> impl IntoView {
    view! {
        <fieldset class="choices">
            <legend>"Roles"</legend>
            {OrgRole::GRANTABLE
                .into_iter()
                .map(|role| {
                    let id = format!("{id_prefix}-{}", role.wire_name());
                    let label_for = id.clone();
                    view! {
                        <label class="choice" for=label_for>
                            <input
                                type="checkbox"
                                id=id
                                prop:checked=move || roles.with(|roles| roles.contains(&role))
                                on:change=move |event| {
                                    let checked = event_target_checked(&event);
                                    roles
                                        .update(|roles| {
                                            roles.retain(|held| *held != role);
                                            if checked {
                                                roles.push(role);
                                            }
                                        });
                                }
                            />
                            {role.label()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

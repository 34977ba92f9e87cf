//! Building blocks shared by the pages: the signed-in shell, the organization switcher, the list
//! tables and the member table, paging, search, form fields, error and outcome display, the
//! creation forms, the user page's Access and "Password and email" panels, invitations, API
//! clients, and the frame of the public pages.

pub mod access;
pub mod action_controller;
pub mod api_clients;
pub mod audit_table;
pub mod bulk_bar;
pub mod confirm;
pub mod copy_field;
pub mod credentials;
pub mod data_table;
pub mod error_box;
pub mod fields;
pub mod invitations;
pub mod member_form;
pub mod members_table;
pub mod metadata_editor;
pub mod organization_form;
pub mod organization_switcher;
pub mod outcome;
pub mod pager;
pub mod password_fields;
pub mod public_page;
pub mod role_choices;
pub mod schema_form;
pub mod search_box;
pub mod shell;
pub mod user_editing;

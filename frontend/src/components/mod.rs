//! Building blocks shared by the pages: the signed-in shell, the organization switcher, the member
//! table, paging, search, error display, the creation forms and the user page's Access panel.

pub mod access;
pub mod confirm;
pub mod error_box;
pub mod member_form;
pub mod members_table;
pub mod organization_form;
pub mod organization_switcher;
pub mod pager;
pub mod password_fields;
pub mod search_box;
pub mod shell;

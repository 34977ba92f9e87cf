//! The portal's list tables: a `data-table` with one row of column headings, optionally a last
//! column for each row's buttons, and the rows themselves given as children. Each scrolls
//! sideways inside its own box, so that a narrow screen scrolls the table, not the page.

use leptos::prelude::*;

/// One column heading, and the class its `<th>` carries, if any.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    heading: &'static str,
    class: Option<&'static str>,
}

impl Column {
    pub const fn new(heading: &'static str) -> Self {
        Self { heading, class: None }
    }

    /// A column of numbers: its heading carries `numeric`, like its cells, to align right.
    pub const fn numeric(heading: &'static str) -> Self {
        Self {
            heading,
            class: Some("numeric"),
        }
    }
}

/// `<table class="data-table">`: a `<thead>` with one `<th scope="col">` per column, then a
/// `<tbody>` holding the children (the rows). With `actions`, the header ends with an
/// `actions-column` whose "Actions" heading only screen readers see.
#[component]
pub fn DataTable(
    /// Element id of the table, for tests and styles.
    id: &'static str,
    columns: Vec<Column>,
    /// Adds the last, visually unlabelled column for each row's buttons.
    #[prop(optional)]
    actions: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-box">
        <table class="data-table" id=id>
            <thead>
                <tr>
                    {columns
                        .into_iter()
                        .map(|column| view! { <th scope="col" class=column.class>{column.heading}</th> })
                        .collect_view()}
                    {actions
                        .then(|| {
                            view! {
                                <th scope="col" class="actions-column">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            }
                        })}
                </tr>
            </thead>
            <tbody>{children()}</tbody>
        </table>
        </div>
    }
}

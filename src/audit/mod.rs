//! Integrity checks of a store: what `check` reports.

mod check;
mod finding;

pub mod schema;

pub use check::{Report, check, check_projection};
pub use finding::{Code, Finding, Severity};

//! Integrity checks of a store: what `check` reports.

mod check;
mod finding;

pub mod schema;

pub use check::{Report, check, check_projection, check_projection_while};
pub use finding::{Code, Finding, Severity};

//! Integrity checks of a store: what `check` reports.

mod check;
mod finding;

pub use check::{Report, check};
pub use finding::{Code, Finding, Severity};

//! Integrity checks of a store: what `check` reports.

mod finding;

pub use finding::{Code, Finding, Severity};

//! Integrity checks of a store: what `check` reports.

mod check;

pub mod schema;

pub use crate::finding::{Code, Finding, Severity};
pub use check::{
    Checker, Report, check, check_projection, check_projection_while, projection_errors,
};

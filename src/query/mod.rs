//! The read side: questions about every aggregate (and every event) at once, asked with jq
//! filters. [`Filter`] is one filter, parsed once and run on many values.

mod filter;
pub mod read_model;

pub use filter::{Doc, Filter, FilterError};

//! eventlens: explore event-sourced histories. This library is everything but the window:
//! reading stores ([`store`]), rebuilding state ([`replay`]), diffs and blame ([`diff`]),
//! integrity checks ([`audit`]), saving what is shown ([`export`]), the command line ([`cli`])
//! and sample data ([`sample`]).

pub mod audit;
pub mod cli;
pub mod diff;
pub mod export;
pub mod finding;
#[cfg(feature = "gui")]
pub mod gui;
pub mod query;
pub mod replay;
pub mod sample;
pub mod source;
pub mod store;

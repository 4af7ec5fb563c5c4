//! JSON diffs as RFC 6902 patches with RFC 6901 pointers, applying patches, and blame (the
//! history of one pointer).

mod blame;
mod compute;
mod number;
mod patch;
pub mod pointer;

pub use blame::{BlameTracker, Change, ChangeOp};
pub use compute::diff;
pub use patch::{Operation, Patch, PatchError, apply, json_equal, parse_patch};

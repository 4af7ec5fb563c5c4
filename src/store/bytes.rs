//! The bytes a segment of a store's text lives in: a file mapped into memory (read-only),
//! bytes read into memory (from a pipe, an archive, a file that grows, a database's rows), or
//! bytes built into the program (the bundled sample).

use std::ops::Deref;

/// Bytes an index points into.
#[derive(Debug)]
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
    Static(&'static [u8]),
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Owned(bytes) => bytes,
            Self::Mapped(map) => map,
            Self::Static(bytes) => bytes,
        }
    }
}

//! A store's bytes: the file mapped into memory (read-only), or bytes already in memory (the
//! bundled sample, tests, files that cannot be mapped).

use std::fs::File;
use std::ops::{ControlFlow, Deref};
use std::path::Path;

use super::{Phase, Progress, StoreError};

/// The bytes an index points into.
#[derive(Debug)]
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Owned(bytes) => bytes,
            Self::Mapped(map) => map,
        }
    }
}

/// Bytes read between two progress reports when a file has to be read rather than mapped.
const READ_CHUNK: usize = 8 << 20;

impl Bytes {
    /// Maps the file at `path` read-only; reads it (reporting progress) where mapping is not
    /// possible (an empty file, a pipe).
    pub fn open(
        path: &Path,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<Self, StoreError> {
        let io_error = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let meta = file.metadata().map_err(io_error)?;
        if meta.is_file() && meta.len() > 0 {
            // SAFETY: the map is read-only and eventlens never writes to a store. The one hazard
            // is another process shortening the file while it is open, which makes reads past
            // the new end fault (SIGBUS); that is the price every mapping reader (ripgrep,
            // databases) pays for not copying a file of hundreds of megabytes. Writers that
            // append, the usual case for event logs, are harmless: the map keeps its length.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) };
            if let Ok(map) = map {
                return Ok(Self::Mapped(map));
            }
        }
        read(file, meta.len(), progress).map_err(|e| match e {
            ReadError::Io(source) => io_error(source),
            ReadError::Cancelled => StoreError::Cancelled,
        })
    }
}

enum ReadError {
    Io(std::io::Error),
    Cancelled,
}

fn read(
    mut file: File,
    total: u64,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Bytes, ReadError> {
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    loop {
        let now = Progress {
            phase: Phase::Reading,
            bytes_done: bytes.len() as u64,
            bytes_total: total,
            events: 0,
        };
        if progress(now).is_break() {
            return Err(ReadError::Cancelled);
        }
        let read = (&mut file)
            .take(READ_CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
        if read == 0 {
            return Ok(Bytes::Owned(bytes));
        }
    }
}

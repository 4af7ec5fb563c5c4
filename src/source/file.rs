//! Store files: what a file holds (told by its first bytes), mapping it read-only, and reading
//! a file from an offset on as it grows (following), noticing when it shrinks or is replaced.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use same_file::Handle;

use super::{Feed, Piece};
use crate::store::Bytes;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A store in one of the text formats.
    Text,
    Gzip,
    Zstd,
    /// A `SQLite` database (read as a Python `eventsourcing` store).
    Sqlite,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// What the file at `path` holds, from its first bytes (a file's name can lie).
pub fn sniff(path: &Path) -> io::Result<Kind> {
    let mut first = [0u8; 16];
    let mut file = File::open(path)?;
    let mut got = 0;
    while got < first.len() {
        match file.read(&mut first[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let first = &first[..got];
    Ok(if first.starts_with(SQLITE_MAGIC) {
        Kind::Sqlite
    } else {
        match archive_kind(first) {
            Some(true) => Kind::Gzip,
            Some(false) => Kind::Zstd,
            None => Kind::Text,
        }
    })
}

/// Whether `first` (the first bytes of a file or a pipe) opens a gzip archive (`true`), a
/// zstd one (`false`), or neither.
pub fn archive_kind(first: &[u8]) -> Option<bool> {
    if first.starts_with(GZIP_MAGIC) {
        Some(true)
    } else if first.starts_with(ZSTD_MAGIC) {
        Some(false)
    } else {
        None
    }
}

/// The file at `path` mapped into memory read-only; `None` where it cannot be mapped (an
/// empty file, a pipe), to be read instead.
pub fn map(path: &Path) -> io::Result<Option<Bytes>> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read-only and eventlens never writes to a store. The one hazard is
    // another process shortening the file while it is mapped, which makes reads past the new
    // end fault (SIGBUS); that is the price every mapping reader (ripgrep, databases) pays for
    // not copying a file of hundreds of megabytes. Writers that append, the usual case for
    // event logs, are harmless: the map keeps its length. A store opened to be followed from
    // the start is read, not mapped (see `Tail`), since a followed log may be truncated.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) };
    Ok(map.ok().map(Bytes::Mapped))
}

/// The file at `path`, buffered, for a decoder to read.
pub fn buffered(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(Box::new(BufReader::with_capacity(
        1 << 16,
        File::open(path)?,
    )))
}

/// A file read from an offset on, as it grows.
pub struct Tail {
    path: PathBuf,
    file: File,
    /// Bytes read so far: where the next read starts.
    offset: u64,
    /// The file as opened, to tell when the path names another file.
    handle: Handle,
    /// What was last said about a missing file, so that it is said once.
    missing: bool,
}

impl Tail {
    /// Opens `path` to read from `offset` on.
    pub fn open(path: &Path, offset: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let handle = Handle::from_file(file.try_clone()?)?;
        Ok(Self {
            path: path.to_owned(),
            file,
            offset,
            handle,
            missing: false,
        })
    }

    /// Where the next read starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads up to `most` bytes into `feed`; [`Piece::Wait`] at the file's end for now.
    pub fn read_into(&mut self, feed: &mut Feed, most: usize) -> io::Result<Piece> {
        let mut buffer = vec![0; most];
        let n = loop {
            match self.file.read(&mut buffer) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(Piece::Wait);
        }
        self.offset += n as u64;
        feed.push(&buffer[..n]).map_err(io::Error::other)?;
        Ok(Piece::More)
    }

    /// Why the file must be read again from its start, if it must: it shrank below what was
    /// read, or its path now names another file (rotated, replaced by a rename). A path that
    /// names no file for now is waited for.
    pub fn changed(&mut self) -> Option<String> {
        let path = self.path.display();
        match Handle::from_path(&self.path) {
            Err(_) => {
                self.missing = true;
                None
            }
            Ok(now) if now != self.handle => Some(format!(
                "{path} was replaced by another file{}; reading it from the start",
                if self.missing {
                    " (after it was gone)"
                } else {
                    ""
                }
            )),
            Ok(_) => {
                self.missing = false;
                let len = self.file.metadata().map_or(self.offset, |m| m.len());
                (len < self.offset).then(|| {
                    format!(
                        "{path} shrank from {} to {len} bytes; reading it from the start",
                        self.offset
                    )
                })
            }
        }
    }
}

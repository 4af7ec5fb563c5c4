//! Store files: what a file holds (told by its first bytes), mapping it read-only, and reading
//! a file from an offset on as it grows (following), noticing when it shrinks or is replaced.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _};
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

/// How many of the last bytes read are kept to tell a rewritten file from a grown one.
const WITNESS: usize = 64;

/// A file read from an offset on, as it grows.
pub struct Tail {
    path: PathBuf,
    file: File,
    /// Bytes read so far: where the next read starts.
    offset: u64,
    /// The file as opened, to tell when the path names another file.
    handle: Handle,
    /// The last bytes read (up to [`WITNESS`]), to tell when the file was rewritten in place:
    /// truncated and written again past where it was read before a look could see it shrink.
    witness: Vec<u8>,
    /// What was last said about a missing file, so that it is said once.
    missing: bool,
    /// Read into, read after read.
    buffer: Vec<u8>,
}

impl Tail {
    /// Opens `path` to read from `offset` on.
    pub fn open(path: &Path, offset: u64) -> io::Result<Self> {
        let file = File::open(path)?;
        let handle = Handle::from_file(file.try_clone()?)?;
        let mut tail = Self {
            path: path.to_owned(),
            file,
            offset,
            handle,
            witness: Vec::new(),
            missing: false,
            buffer: Vec::new(),
        };
        tail.witness = tail.bytes_before(offset).unwrap_or_default();
        Ok(tail)
    }

    /// Where the next read starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads up to `most` bytes into `feed`; [`Piece::Wait`] at the file's end for now. The
    /// bytes before them are read again in the same read and must be the ones read before:
    /// else the file was rewritten ([`Piece::Changed`]) and nothing is taken in.
    pub fn read_into(&mut self, feed: &mut Feed, most: usize) -> io::Result<Piece> {
        let seen = self.witness.len();
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.resize(seen + most, 0);
        let read = self.read_witnessed(&mut buffer, seen, feed);
        self.buffer = buffer;
        read
    }

    fn read_witnessed(
        &mut self,
        buffer: &mut [u8],
        seen: usize,
        feed: &mut Feed,
    ) -> io::Result<Piece> {
        let got = loop {
            match read_some_at(&self.file, buffer, self.offset - seen as u64) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if got < seen || buffer[..seen] != self.witness[..] {
            return Ok(Piece::Changed(format!(
                "{} was rewritten before byte {}; reading it from the start",
                self.path.display(),
                self.offset
            )));
        }
        let buffer = &buffer[seen..got];
        let n = buffer.len();
        if n == 0 {
            return Ok(Piece::Wait);
        }
        self.offset += n as u64;
        let keep = n.min(WITNESS);
        let old = WITNESS - keep;
        let drop = self.witness.len().saturating_sub(old);
        self.witness.drain(..drop);
        self.witness.extend_from_slice(&buffer[n - keep..n]);
        feed.push(&buffer[..n]).map_err(io::Error::other)?;
        Ok(Piece::More)
    }

    /// Why the file must be read again from its start, if it must: it shrank below what was
    /// read, or its path now names another file (rotated, replaced by a rename). A path that
    /// names no file for now is waited for. (A file rewritten in place past where it was read
    /// is caught by the next read.)
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
                if len < self.offset {
                    return Some(format!(
                        "{path} shrank from {} to {len} bytes; reading it from the start",
                        self.offset
                    ));
                }
                None
            }
        }
    }

    /// The bytes of the file just before `offset` (as many as are kept to witness).
    fn bytes_before(&self, offset: u64) -> io::Result<Vec<u8>> {
        let len = offset.min(WITNESS as u64);
        let mut bytes = vec![0; len as usize];
        read_at(&self.file, &mut bytes, offset - len)?;
        Ok(bytes)
    }
}

/// Reads what there is (up to `out.len()` bytes) at offset `at`, without a file cursor.
#[cfg(unix)]
fn read_some_at(file: &File, out: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, out, at)
}

#[cfg(windows)]
fn read_some_at(file: &File, out: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, out, at)
}

/// Reads exactly `out.len()` bytes at offset `at`.
fn read_at(file: &File, out: &mut [u8], at: u64) -> io::Result<()> {
    let mut done = 0;
    while done < out.len() {
        match read_some_at(file, &mut out[done..], at + done as u64)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

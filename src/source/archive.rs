//! gzip and zstd archives, decompressed as they are read. A broken or cut-off archive stops
//! with the byte offset (in the archive) where decoding failed; what was decoded before it
//! is kept.

use std::io::{self, BufRead, Read};

use flate2::bufread::MultiGzDecoder;

use super::{Feed, Piece};

/// The compressed bytes a decoder has used so far, counted as it consumes them.
pub struct Counted {
    inner: Box<dyn BufRead + Send>,
    consumed: u64,
}

impl Read for Counted {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl BufRead for Counted {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

/// An archive being decompressed.
pub enum Archive {
    /// gzip, every member of a multi-member file (as `zcat` reads them).
    Gzip(MultiGzDecoder<Counted>),
    /// zstd, every frame.
    Zstd(zstd::stream::read::Decoder<'static, Counted>),
}

impl Archive {
    /// Decodes `input`, a gzip archive if `gzip`, else a zstd one.
    pub fn new(gzip: bool, input: Box<dyn BufRead + Send>) -> io::Result<Self> {
        let counted = Counted {
            inner: input,
            consumed: 0,
        };
        Ok(if gzip {
            Self::Gzip(MultiGzDecoder::new(counted))
        } else {
            Self::Zstd(zstd::stream::read::Decoder::with_buffer(counted)?)
        })
    }

    fn counted(&self) -> &Counted {
        match self {
            Self::Gzip(decoder) => decoder.get_ref(),
            Self::Zstd(decoder) => decoder.get_ref(),
        }
    }

    /// Compressed bytes read so far.
    pub fn consumed(&self) -> u64 {
        self.counted().consumed
    }

    fn what(&self) -> &'static str {
        match self {
            Self::Gzip(_) => "gzip",
            Self::Zstd(_) => "zstd",
        }
    }

    /// Decodes up to `most` bytes into `feed`. `Err` says where and why the archive broke.
    pub fn read_into(&mut self, feed: &mut Feed, most: usize) -> Result<Piece, String> {
        let mut buffer = vec![0; most];
        let mut got = 0;
        while got < most {
            let read = match self {
                Self::Gzip(decoder) => decoder.read(&mut buffer[got..]),
                Self::Zstd(decoder) => decoder.read(&mut buffer[got..]),
            };
            match read {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if got > 0 {
                        let _ = feed.push(&buffer[..got]);
                    }
                    return Err(self.describe(&e));
                }
            }
        }
        feed.push(&buffer[..got]).map_err(|e| e.to_string())?;
        Ok(if got == 0 { Piece::End } else { Piece::More })
    }

    fn describe(&self, error: &io::Error) -> String {
        let what = self.what();
        let why = if error.kind() == io::ErrorKind::UnexpectedEof {
            format!("the {what} archive is cut off")
        } else {
            format!("the {what} archive is broken ({error})")
        };
        format!(
            "byte {}: {why}; the events before it are read, the rest is lost",
            self.consumed()
        )
    }
}

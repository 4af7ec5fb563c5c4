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
pub struct Archive {
    decoder: Decoder,
    /// Decoded into, read after read.
    buffer: Vec<u8>,
}

enum Decoder {
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
        let decoder = if gzip {
            Decoder::Gzip(MultiGzDecoder::new(counted))
        } else {
            Decoder::Zstd(zstd::stream::read::Decoder::with_buffer(counted)?)
        };
        Ok(Self {
            decoder,
            buffer: Vec::new(),
        })
    }

    fn counted(&self) -> &Counted {
        match &self.decoder {
            Decoder::Gzip(decoder) => decoder.get_ref(),
            Decoder::Zstd(decoder) => decoder.get_ref(),
        }
    }

    /// Compressed bytes read so far.
    pub fn consumed(&self) -> u64 {
        self.counted().consumed
    }

    fn what(&self) -> &'static str {
        match self.decoder {
            Decoder::Gzip(_) => "gzip",
            Decoder::Zstd(_) => "zstd",
        }
    }

    /// Decodes up to `most` bytes into `feed`. `Err` says where and why the archive broke.
    pub fn read_into(&mut self, feed: &mut Feed, most: usize) -> Result<Piece, String> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.resize(most, 0);
        let read = self.decode_into(&mut buffer, feed);
        self.buffer = buffer;
        read
    }

    fn decode_into(&mut self, buffer: &mut [u8], feed: &mut Feed) -> Result<Piece, String> {
        let most = buffer.len();
        let mut got = 0;
        while got < most {
            let read = match &mut self.decoder {
                Decoder::Gzip(decoder) => decoder.read(&mut buffer[got..]),
                Decoder::Zstd(decoder) => decoder.read(&mut buffer[got..]),
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

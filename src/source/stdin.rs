//! Standard input (or another pipe), read by a thread of its own and handed over in pieces, so
//! that the reader (a follower, a window that may cancel) is never stuck inside a read.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use super::{Feed, Mode, Piece};

/// Bytes read at a time.
const READ_BYTES: usize = 1 << 20;
/// Pieces read ahead of the reader: a bound on memory when the reader is slower.
const AHEAD: usize = 8;
/// How long a step waits for input before it lets its caller look around (cancel, Ctrl+C).
const WAIT: Duration = Duration::from_millis(100);

/// Standard input being read on a thread.
pub struct Pump {
    pieces: Receiver<io::Result<Vec<u8>>>,
    /// A piece taken to look at before it is used.
    peeked: Option<Vec<u8>>,
    read: u64,
    ended: bool,
}

impl Pump {
    /// Starts reading standard input.
    pub fn start() -> Self {
        Self::start_from(io::stdin())
    }

    /// Starts reading `input` (a pipe: what comes is read once, in order).
    pub fn start_from(mut input: impl Read + Send + 'static) -> Self {
        let (tx, pieces) = mpsc::sync_channel(AHEAD);
        let _detached = std::thread::Builder::new()
            .name("eventlens-pipe".into())
            .spawn(move || {
                let stdin = &mut input;
                loop {
                    let mut piece = vec![0; READ_BYTES];
                    match stdin.read(&mut piece) {
                        Ok(0) => break,
                        Ok(n) => {
                            piece.truncate(n);
                            if tx.send(Ok(piece)).is_err() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            break;
                        }
                    }
                }
            });
        Self {
            pieces,
            peeked: None,
            read: 0,
            ended: false,
        }
    }

    /// The first bytes of the input (empty if it is empty), waiting for them.
    pub fn peek(&mut self) -> io::Result<Vec<u8>> {
        if self.peeked.is_none() && !self.ended {
            match self.pieces.recv() {
                Ok(piece) => self.peeked = Some(piece?),
                Err(_) => self.ended = true,
            }
        }
        Ok(self.peeked.clone().unwrap_or_default())
    }

    /// Bytes handed over so far.
    pub fn read_so_far(&self) -> u64 {
        self.read
    }

    /// Hands the next piece to `feed`. A follower is told [`Piece::Wait`] when nothing came
    /// for a moment; reading to the end, the same moment is a step with no bytes.
    pub fn read_into(&mut self, feed: &mut Feed, mode: Mode) -> io::Result<Piece> {
        let piece = match self.peeked.take() {
            Some(piece) => Ok(Ok(piece)),
            None if self.ended => return Ok(Piece::End),
            None => self.pieces.recv_timeout(WAIT),
        };
        match piece {
            Ok(piece) => {
                let piece = piece?;
                self.read += piece.len() as u64;
                feed.push(&piece).map_err(io::Error::other)?;
                Ok(Piece::More)
            }
            Err(RecvTimeoutError::Timeout) if mode == Mode::Follow => Ok(Piece::Wait),
            Err(RecvTimeoutError::Timeout) => Ok(Piece::More),
            Err(RecvTimeoutError::Disconnected) => {
                self.ended = true;
                Ok(Piece::End)
            }
        }
    }

    /// The input as one blocking reader, for a decoder (a compressed archive on a pipe).
    pub fn into_reader(self) -> PumpReader {
        PumpReader {
            pump: self,
            piece: Vec::new(),
            at: 0,
        }
    }
}

/// Standard input read through a [`Pump`] as an ordinary blocking reader.
pub struct PumpReader {
    pump: Pump,
    piece: Vec<u8>,
    at: usize,
}

impl Read for PumpReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PumpReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.piece.len() && !self.pump.ended {
            let next = match self.pump.peeked.take() {
                Some(piece) => Some(Ok(piece)),
                None => self.pump.pieces.recv().ok(),
            };
            match next {
                Some(piece) => {
                    self.piece = piece?;
                    self.pump.read += self.piece.len() as u64;
                    self.at = 0;
                }
                None => self.pump.ended = true,
            }
        }
        Ok(&self.piece[self.at.min(self.piece.len())..])
    }

    fn consume(&mut self, amount: usize) {
        self.at += amount;
    }
}

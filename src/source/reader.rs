//! Reading a source into a store: a step at a time (progress, cancel, the first events early),
//! to its end or, when following, on as it grows. A mapped file is indexed in parallel
//! batches; pipes, archives and followed files are fed in pieces; a `SQLite` store page by page.

use std::path::Path;
use std::sync::Arc;

use super::archive::Archive;
use super::file::{self, Tail};
use super::stdin::Pump;
use super::{Feed, Piece, Source, SourceError, kafka, postgres, sqlite};
use crate::finding::{Code, Finding, Severity};
use crate::store::{
    Bytes, Container, Index, Indexing, Phase, Progress, ReadOptions, Store, StoreError, Summaries,
    detect_text,
};

/// Whether a source is read to its end, or followed: then a last line without its newline
/// waits for it, and reading goes on with [`Reader::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Follow,
}

/// What one look for new events found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Growth {
    /// Events appended since the last look.
    pub added: usize,
    /// The source shrank or was replaced and was read again from its start, for this reason:
    /// the store holds only what was read since, from event 0.
    pub restarted: Option<String>,
    /// The source has ended for good (standard input was closed).
    pub ended: bool,
    /// The source was read again from its start to be followed (a mapped file, now read into
    /// memory): its events are those of before, and `added` more, unless it changed meanwhile,
    /// which whoever holds the store from before can check.
    pub reread: bool,
}

/// A source being read into a store.
pub struct Reader {
    source: Source,
    options: ReadOptions,
    mode: Mode,
    stage: Stage,
    /// Why reading stopped before the end (a broken archive), once it has.
    broken: Option<String>,
    /// Why a followed file must be read again from its start, once a read has found out.
    changed: Option<String>,
    /// Bytes read and to read, for progress, where the source knows.
    bytes_done: u64,
    bytes_total: u64,
}

enum Stage {
    /// A mapped file (or bundled bytes), indexed in parallel batches.
    Mapped {
        indexing: Indexing,
        container: Container,
    },
    /// Text read in pieces.
    Fed { feed: Feed, pieces: Pieces },
    /// Rows of a `SQLite` store.
    Rows(sqlite::Rows),
    /// Rows of a PostgreSQL store.
    Database(Box<postgres::Rows>),
    /// Messages of a Kafka topic.
    Kafka(Box<kafka::Records>),
    /// Read to its end: the index waits to be finished, or followed.
    Read { index: Index, container: Container },
    /// Between two stages.
    Moving,
}

/// Where the pieces of a fed source come from.
enum Pieces {
    /// A file, read from where the store's text ends (followed, or one that cannot be mapped).
    File(Tail),
    /// Standard input or another pipe, read by a thread so that a follower is never stuck in
    /// a read.
    Pipe(Pump),
    /// A gzip or zstd archive being decompressed (its decoder's state is large).
    Archive(Box<Archive>),
}

/// Bytes read from a fed source in one step.
const PIECE_BYTES: usize = 1 << 20;

impl Reader {
    /// Starts reading `source`. For a file this maps it (or opens it to read, when following)
    /// and looks at its first bytes; nothing is indexed yet.
    pub fn open(source: &Source, options: &ReadOptions, mode: Mode) -> Result<Self, SourceError> {
        options
            .fields
            .validate()
            .map_err(|message| StoreError::Options { message })?;
        let name = source.name();
        let mut reader = Self {
            source: source.clone(),
            options: options.clone(),
            mode,
            stage: Stage::Moving,
            broken: None,
            changed: None,
            bytes_done: 0,
            bytes_total: 0,
        };
        reader.stage = match source {
            Source::Bundled { bytes, .. } => {
                reader.bytes_total = bytes.len() as u64;
                mapped(&name, Arc::new(Bytes::Static(bytes)), options)?
            }
            Source::Stdin => reader.open_stdin(&name)?,
            Source::Path(path) => reader.open_path(&name, path)?,
            Source::Database(db) => {
                Stage::Database(Box::new(postgres::Rows::open(db, options, mode)?))
            }
            Source::Kafka(topic) => {
                Stage::Kafka(Box::new(kafka::Records::open(topic, options, mode)?))
            }
        };
        Ok(reader)
    }

    fn open_path(&mut self, name: &str, path: &Path) -> Result<Stage, SourceError> {
        let meta = std::fs::metadata(path).map_err(|e| SourceError::io(name, e))?;
        if meta.is_dir() {
            return Err(StoreError::Directory {
                path: name.to_owned(),
            }
            .into());
        }
        if !meta.is_file() {
            // A named pipe, a device: read once, in order, as it comes (its first bytes are
            // looked at as they come, not read twice).
            let input = std::fs::File::open(path).map_err(|e| SourceError::io(name, e))?;
            return self.open_pipe(name, Pump::start_from(input));
        }
        let kind = file::sniff(path).map_err(|e| SourceError::io(name, e))?;
        self.bytes_total = meta.len();
        match kind {
            file::Kind::Sqlite => {
                let rows = sqlite::Rows::open(name, path, &self.options, self.mode)?;
                Ok(Stage::Rows(rows))
            }
            file::Kind::Gzip | file::Kind::Zstd => {
                self.no_follow(name, "it is a compressed archive; follow the plain file")?;
                let input = file::buffered(path).map_err(|e| SourceError::io(name, e))?;
                let archive = Archive::new(kind == file::Kind::Gzip, input)
                    .map_err(|e| SourceError::io(name, e))?;
                Ok(Stage::Fed {
                    feed: Feed::new(name, &self.options),
                    pieces: Pieces::Archive(Box::new(archive)),
                })
            }
            file::Kind::Text => {
                if self.mode == Mode::Read
                    && let Some(map) = file::map(path).map_err(|e| SourceError::io(name, e))?
                {
                    return mapped(name, Arc::new(map), &self.options);
                }

                let tail = Tail::open(path, 0).map_err(|e| SourceError::io(name, e))?;
                Ok(Stage::Fed {
                    feed: Feed::new(name, &self.options),
                    pieces: Pieces::File(tail),
                })
            }
        }
    }

    fn open_stdin(&mut self, name: &str) -> Result<Stage, SourceError> {
        self.open_pipe(name, Pump::start())
    }

    /// A pipe: plain text, or a gzip or zstd archive, as its first bytes say.
    fn open_pipe(&mut self, name: &str, mut pump: Pump) -> Result<Stage, SourceError> {
        let first = pump.peek().map_err(|e| SourceError::io(name, e))?;
        let feed = Feed::new(name, &self.options);
        if let Some(gzip) = file::archive_kind(&first) {
            self.no_follow(name, "it is a compressed archive")?;
            let archive = Archive::new(gzip, Box::new(pump.into_reader()))
                .map_err(|e| SourceError::io(name, e))?;
            return Ok(Stage::Fed {
                feed,
                pieces: Pieces::Archive(Box::new(archive)),
            });
        }
        Ok(Stage::Fed {
            feed,
            pieces: Pieces::Pipe(pump),
        })
    }

    fn no_follow(&self, name: &str, why: &str) -> Result<(), SourceError> {
        if self.mode == Mode::Follow {
            return Err(SourceError::NoFollow {
                name: name.to_owned(),
                why: why.to_owned(),
            });
        }
        Ok(())
    }

    /// The source being read.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The streams of a mapped file counted without indexing its events, as `streams` lists
    /// them; `None` (and the reader as it was) for a source read another way.
    pub fn summarize(&mut self) -> Option<Result<Summaries, SourceError>> {
        match std::mem::replace(&mut self.stage, Stage::Moving) {
            Stage::Mapped { indexing, .. } => Some(indexing.summarize().map_err(Into::into)),
            stage => {
                self.stage = stage;
                None
            }
        }
    }

    /// Reads and indexes some more. `false` once everything there is now has been read (for
    /// a source read to its end: all of it).
    pub fn step(&mut self) -> Result<bool, SourceError> {
        match std::mem::replace(&mut self.stage, Stage::Moving) {
            Stage::Mapped {
                mut indexing,
                container,
            } => {
                if indexing.step() {
                    self.bytes_done = indexing.progress().bytes_done;
                    self.stage = Stage::Mapped {
                        indexing,
                        container,
                    };
                    return Ok(true);
                }
                self.bytes_done = self.bytes_total;
                self.stage = Stage::Read {
                    index: indexing.finish(),
                    container,
                };
                Ok(false)
            }
            Stage::Fed { feed, pieces } => self.feed_step(feed, pieces),
            Stage::Rows(mut rows) => {
                let more = rows.step();
                self.bytes_done = rows.done();
                self.bytes_total = rows.total();
                self.stage = Stage::Rows(rows);
                more
            }
            Stage::Database(mut rows) => {
                let more = rows.step();
                self.bytes_done = rows.done();
                self.bytes_total = rows.total();
                self.stage = Stage::Database(rows);
                more
            }
            Stage::Kafka(mut records) => {
                let more = records.step();
                self.bytes_done = records.done();
                self.bytes_total = records.total();
                self.stage = Stage::Kafka(records);
                more
            }
            stage => {
                self.stage = stage;
                Ok(false)
            }
        }
    }

    /// One read of a fed source, then the stage it leaves.
    fn feed_step(&mut self, mut feed: Feed, mut pieces: Pieces) -> Result<bool, SourceError> {
        let name = self.source.name();
        let piece = match &mut pieces {
            Pieces::File(tail) => tail
                .read_into(&mut feed, PIECE_BYTES)
                .map_err(|e| SourceError::io(&name, e))?,
            Pieces::Pipe(pump) => pump
                .read_into(&mut feed, self.mode)
                .map_err(|e| SourceError::io(&name, e))?,
            Pieces::Archive(archive) => match archive.read_into(&mut feed, PIECE_BYTES) {
                Ok(piece) => piece,
                Err(broken) => {
                    // What came before the break is kept, and the break is said.
                    if feed.end().is_err() || feed.index().is_none() {
                        return Err(SourceError::Broken {
                            name,
                            message: broken,
                        });
                    }
                    let line = feed.index().map(Index::next_line);
                    feed.add_problem(Finding::at(
                        Severity::Error,
                        Code::TruncatedTail,
                        line,
                        None,
                        broken.clone(),
                    ));
                    self.broken = Some(format!("{name}: {broken}"));
                    Piece::End
                }
            },
        };
        self.bytes_done = match &pieces {
            Pieces::File(tail) => tail.offset(),
            Pieces::Pipe(pump) => pump.read_so_far(),
            Pieces::Archive(archive) => archive.consumed(),
        };
        match piece {
            Piece::More => {
                self.stage = Stage::Fed { feed, pieces };
                Ok(true)
            }
            Piece::Wait if self.mode == Mode::Follow => {
                feed.flush()?;
                self.stage = Stage::Fed { feed, pieces };
                Ok(false)
            }
            Piece::Changed(why) => {
                self.changed = Some(why);
                self.stage = Stage::Fed { feed, pieces };
                Ok(false)
            }
            // Read to its end, a source with nothing more now has nothing more at all; a
            // follower whose pipe was closed has reached the end for good.
            Piece::Wait | Piece::End => {
                if self.broken.is_none() {
                    feed.end()?;
                }
                let Some((index, container)) = feed.into_parts() else {
                    return Err(StoreError::Empty { path: name }.into());
                };
                self.stage = Stage::Read { index, container };
                Ok(false)
            }
        }
    }

    /// How far reading has got, for progress bars.
    pub fn progress(&self) -> Progress {
        Progress {
            phase: match self.stage {
                Stage::Mapped { .. } => Phase::Indexing,
                Stage::Rows(_) | Stage::Database(_) | Stage::Kafka(_) => Phase::Rows,
                _ => Phase::Reading,
            },
            bytes_done: self.bytes_done,
            bytes_total: self.bytes_total,
            events: self.store().map_or(0, |s| s.events().len() as u64),
        }
    }

    /// Whether everything there is now has been read and indexed (a step would do nothing).
    pub fn is_caught_up(&self) -> bool {
        match &self.stage {
            Stage::Mapped { indexing, .. } => indexing.is_done(),
            Stage::Read { .. } | Stage::Moving => true,
            Stage::Fed { .. } | Stage::Rows(_) | Stage::Database(_) | Stage::Kafka(_) => false,
        }
    }

    /// The store as read so far; `None` before the first records have come.
    pub fn store(&self) -> Option<&Store> {
        match &self.stage {
            Stage::Mapped { indexing, .. } => Some(indexing.store()),
            Stage::Fed { feed, .. } => feed.index().map(Index::store),
            Stage::Rows(rows) => Some(rows.store()),
            Stage::Database(rows) => Some(rows.store()),
            Stage::Kafka(records) => Some(records.store()),
            Stage::Read { index, .. } => Some(index.store()),
            Stage::Moving => None,
        }
    }

    /// Why the connection to a database or a broker is gone, while it is.
    pub fn lost(&self) -> Option<&str> {
        match &self.stage {
            Stage::Database(rows) => rows.lost(),
            Stage::Kafka(records) => records.lost(),
            _ => None,
        }
    }

    /// Why reading stopped before the end of the source (a broken archive), if it did. The
    /// events before that point are in the store.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    /// Reads what is left and returns the store as [`Reader::finish`] would, keeping the
    /// reader to follow the source afterwards.
    pub fn finished(&mut self) -> Result<Store, SourceError> {
        while self.step()? {}
        let index = match &self.stage {
            Stage::Read { index, .. } => index,
            Stage::Rows(rows) => rows.index(),
            Stage::Database(rows) => rows.index(),
            Stage::Kafka(records) => records.index(),
            Stage::Fed { feed, .. } => feed.index().ok_or_else(|| StoreError::Empty {
                path: self.source.name(),
            })?,
            Stage::Mapped { .. } | Stage::Moving => {
                return Err(StoreError::Empty {
                    path: self.source.name(),
                }
                .into());
            }
        };
        Ok(index.finished()?)
    }

    /// Reads what is left and returns the store.
    pub fn finish(mut self) -> Result<Store, SourceError> {
        while self.step()? {}
        match self.stage {
            Stage::Read { index, .. } => Ok(index.finish()?),
            Stage::Rows(rows) => Ok(rows.into_index().finish()?),
            Stage::Database(rows) => Ok(rows.into_index().finish()?),
            Stage::Kafka(records) => Ok(records.into_index().finish()?),
            Stage::Fed { mut feed, .. } => {
                feed.end()?;
                match feed.into_parts() {
                    Some((index, _)) => Ok(index.finish()?),
                    None => Err(StoreError::Empty {
                        path: self.source.name(),
                    }
                    .into()),
                }
            }
            _ => Err(StoreError::Empty {
                path: self.source.name(),
            }
            .into()),
        }
    }

    /// Looks once for events appended since the last look (a follower calls this every
    /// [`super::POLL`] or so). A store file read to its end (mapped) is read again, to be
    /// followed; one that shrank or was replaced is read again from its start.
    pub fn poll(&mut self) -> Result<Growth, SourceError> {
        let had = self.store().map_or(0, |s| s.events().len());
        if self.prepare_to_follow()? {
            *self = Self::open(&self.source, &self.options, Mode::Follow)?;
            while self.step()? {}
            let now = self.store().map_or(0, |s| s.events().len());
            return Ok(Growth {
                added: now.saturating_sub(had),
                reread: true,
                ..Growth::default()
            });
        }
        let before = self.store().map_or(0, |s| s.events().len());
        if let Stage::Fed {
            pieces: Pieces::File(tail),
            ..
        } = &mut self.stage
            && let Some(why) = tail.changed()
        {
            return self.restart(why);
        }
        while self.step()? {}
        if let Some(why) = self.changed.take() {
            return self.restart(why);
        }
        let ended = !matches!(
            self.stage,
            Stage::Fed { .. } | Stage::Rows(_) | Stage::Database(_) | Stage::Kafka(_)
        );
        let after = self.store().map_or(0, |s| s.events().len());
        Ok(Growth {
            added: after.saturating_sub(before),
            ended,
            ..Growth::default()
        })
    }

    /// Makes a source read to its end one that can be followed. `true` when that means
    /// reading it again from its start: a store file was mapped, and a followed file may be
    /// truncated or rotated under the reader, which a mapping cannot survive, so a followed
    /// file is read into memory instead.
    fn prepare_to_follow(&mut self) -> Result<bool, SourceError> {
        if let Stage::Rows(rows) = &mut self.stage {
            if self.mode == Mode::Read {
                rows.follow()?;
                self.mode = Mode::Follow;
            }
            return Ok(false);
        }
        if let Stage::Database(rows) = &mut self.stage {
            rows.follow();
            self.mode = Mode::Follow;
            return Ok(false);
        }
        if let Stage::Kafka(records) = &mut self.stage {
            records.follow();
            self.mode = Mode::Follow;
            return Ok(false);
        }
        if !matches!(self.stage, Stage::Read { .. } | Stage::Mapped { .. }) {
            self.mode = Mode::Follow;
            return Ok(false);
        }
        while self.step()? {}
        let name = self.source.name();
        let no_follow = |why: &str| SourceError::NoFollow {
            name: name.clone(),
            why: why.to_owned(),
        };
        if !matches!(self.source, Source::Path(_)) {
            return Err(no_follow("it does not grow"));
        }
        if let Stage::Read { container, .. } = &self.stage
            && *container != Container::Lines
        {
            return Err(no_follow(
                "it is one JSON document; only JSON Lines can grow by appended records",
            ));
        }
        Ok(true)
    }

    fn restart(&mut self, why: String) -> Result<Growth, SourceError> {
        *self = Self::open(&self.source, &self.options, Mode::Follow)?;
        while self.step()? {}
        Ok(Growth {
            added: self.store().map_or(0, |s| s.events().len()),
            restarted: Some(why),
            ..Growth::default()
        })
    }
}

/// The stage of a store whose whole text is in memory: indexed in parallel batches.
fn mapped(name: &str, bytes: Arc<Bytes>, options: &ReadOptions) -> Result<Stage, SourceError> {
    let (container, detection) = detect_text(name, &bytes, options.format)?;
    let index = Index::new(name, detection, options.fields.clone());
    let range = 0..bytes.len();
    Ok(Stage::Mapped {
        indexing: Indexing::new(index, bytes, range, &container, true),
        container,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn line(seq: u64) -> String {
        format!("{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n")
    }

    #[test]
    fn a_mapped_file_is_read_again_into_memory_to_be_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, line(1) + &line(2)).unwrap();
        let source = Source::Path(path.clone());
        let mut reader = Reader::open(&source, &ReadOptions::default(), Mode::Read).unwrap();
        assert_eq!(reader.finished().unwrap().events().len(), 2);
        let growth = reader.poll().unwrap();
        assert!(growth.reread && growth.restarted.is_none(), "{growth:?}");
        assert_eq!(
            (growth.added, reader.store().unwrap().events().len()),
            (0, 2)
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(line(3).as_bytes()).unwrap();
        let growth = reader.poll().unwrap();
        assert_eq!((growth.added, growth.reread), (1, false));
        let store = reader.store().unwrap();
        assert_eq!(store.event(2).data_json(), Some("{\"n\":3}"));
        // A JSON array cannot grow by appended records.
        let array = dir.path().join("a.json");
        std::fs::write(&array, format!("[{}]", line(1).trim())).unwrap();
        let mut reader =
            Reader::open(&Source::Path(array), &ReadOptions::default(), Mode::Read).unwrap();
        reader.finished().unwrap();
        let error = reader.poll().unwrap_err().to_string();
        assert!(error.contains("cannot be followed"), "{error}");
    }
}

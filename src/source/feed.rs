//! Text that arrives in pieces — a pipe, an archive being decompressed, a file that grows —
//! made into a store: whole lines are indexed as they come, a partial last line waits for its
//! newline, and the records of a JSON array wait for the end of the text.

use std::sync::Arc;

use crate::store::{Bytes, Container, Index, ReadOptions, StoreError, detect_text};

/// Bytes gathered before they are indexed as a segment, when they come faster than a
/// follower polls (an archive, a pipe): big enough that indexing runs on every core and that
/// merging one batch of chunks overlaps indexing the next (a segment is 32 chunks), small
/// enough that the first events show within a fraction of a second.
const SEGMENT_BYTES: usize = 32 << 20;

/// A store being made from text that comes in pieces.
pub struct Feed {
    name: String,
    options: ReadOptions,
    /// The store so far and how its records are held, once the first records have come.
    index: Option<(Index, Container)>,
    /// Bytes not indexed yet: a partial last line, or (arrays) everything until the end.
    pending: Vec<u8>,
}

impl Feed {
    /// A feed for the store named `name`, nothing read yet.
    pub fn new(name: &str, options: &ReadOptions) -> Self {
        Self {
            name: name.to_owned(),
            options: options.clone(),
            index: None,
            pending: Vec::new(),
        }
    }

    /// Takes in `bytes`, indexing whole lines once enough have gathered.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= SEGMENT_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Indexes every whole line gathered so far (a follower calls this after each read).
    /// Returns how many events were added.
    pub fn flush(&mut self) -> Result<usize, StoreError> {
        if self.index.is_none() && !self.start(false)? {
            return Ok(0);
        }
        let Some((index, container)) = &mut self.index else {
            return Ok(0);
        };
        // The records of an array are only known at its end.
        let cut = memchr::memrchr(b'\n', &self.pending).map(|i| i + 1);
        let Some(cut) = cut.filter(|_| *container == Container::Lines) else {
            return Ok(0);
        };
        let rest = self.pending.split_off(cut);
        let whole = std::mem::replace(&mut self.pending, rest);
        let before = index.store().events().len();
        index.append(Arc::new(Bytes::Owned(whole)), 0..cut, container, false);
        Ok(index.store().events().len() - before)
    }

    /// The text has ended: what is left is indexed, and a last line without its newline is
    /// reported as cut off. Empty text is an error.
    pub fn end(&mut self) -> Result<(), StoreError> {
        if self.index.is_none() {
            self.start(true)?;
        }
        let Some((index, container)) = &mut self.index else {
            return Ok(());
        };
        let rest = std::mem::take(&mut self.pending);
        let len = rest.len();
        if len > 0 || *container != Container::Lines {
            index.append(Arc::new(Bytes::Owned(rest)), 0..len, container, true);
        }
        Ok(())
    }

    /// Detects the container and format from the first bytes, once a whole record (or, at
    /// the `end`, anything) is there. `false` while it must wait for more.
    fn start(&mut self, end: bool) -> Result<bool, StoreError> {
        let whole_line = memchr::memchr(b'\n', &self.pending).is_some();
        if !end && !whole_line {
            return Ok(false);
        }
        match detect_text(&self.name, &self.pending, self.options.format) {
            Ok((container, detection)) => {
                let index = Index::new(&self.name, detection, self.options.fields.clone());
                self.index = Some((index, container));
                Ok(true)
            }
            // Blank lines so far: wait for records.
            Err(StoreError::Empty { .. }) if !end => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Reports a problem met outside any record (a broken archive), once records have come.
    pub fn add_problem(&mut self, finding: crate::finding::Finding) {
        if let Some((index, _)) = &mut self.index {
            index.add_problem(finding);
        }
    }

    /// The store as indexed so far, once records have come.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref().map(|(index, _)| index)
    }

    /// The store's index and container, once records have come.
    pub fn into_parts(self) -> Option<(Index, Container)> {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(feed: &Feed) -> Vec<(u64, u64)> {
        let store = feed.index().unwrap().store();
        (0..store.events().len() as u32)
            .map(|i| (store.event(i).event.seq, store.line(i).unwrap_or(0)))
            .collect()
    }

    #[test]
    fn half_lines_wait_for_their_newline() {
        let mut feed = Feed::new("t", &ReadOptions::default());
        feed.push(b"{\"stream\":\"s\",\"type\":\"T\"}\n{\"stream\":\"s\",")
            .unwrap();
        assert_eq!(feed.flush().unwrap(), 1);
        feed.push(b"\"type\":\"T\"}").unwrap();
        assert_eq!(feed.flush().unwrap(), 0, "no newline yet");
        feed.push(b"\n\n{\"stream\":\"s\",\"type\":\"T\"}\n")
            .unwrap();
        assert_eq!(feed.flush().unwrap(), 2);
        assert_eq!(seqs(&feed), [(1, 1), (2, 2), (3, 4)]);
        assert!(feed.index().unwrap().store().problems().is_empty());
    }

    #[test]
    fn the_end_reads_a_cut_off_tail_and_whole_arrays() {
        let mut feed = Feed::new("t", &ReadOptions::default());
        feed.push(b"{\"stream\":\"s\",\"type\":\"T\"}\n{\"stream\":\"s\"")
            .unwrap();
        feed.end().unwrap();
        let (index, _) = feed.into_parts().unwrap();
        let store = index.finish().unwrap();
        assert_eq!(store.events().len(), 1);
        let codes: Vec<_> = store.problems().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["parse_error", "truncated_tail"]);

        let mut feed = Feed::new("t", &ReadOptions::default());
        feed.push(b"[{\"stream\":\"s\",\"type\":\"T\"},\n").unwrap();
        assert_eq!(feed.flush().unwrap(), 0, "an array waits for its end");
        feed.push(b"{\"stream\":\"s\",\"type\":\"T\"}]\n").unwrap();
        feed.end().unwrap();
        assert_eq!(seqs(&feed), [(1, 1), (2, 2)]);
    }

    #[test]
    fn empty_text_is_an_error_only_at_the_end() {
        let mut feed = Feed::new("t", &ReadOptions::default());
        feed.push(b"\n \n").unwrap();
        assert_eq!(feed.flush().unwrap(), 0);
        assert!(matches!(feed.end(), Err(StoreError::Empty { .. })));
    }
}

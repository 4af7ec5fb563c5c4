//! How a store file holds its records: one a line, a JSON array, or an array inside an object
//! (`{"events": [...]}`). Splitting is tolerant: a half-written array or a broken element still
//! yields every record around it, so that one bad record never hides the rest.

use memchr::memchr_iter;

use super::record::RawObject;

/// The container a store's records come in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// One JSON value a line (JSON Lines).
    Lines,
    /// A top-level JSON array.
    Array,
    /// A top-level object whose member holds the array (`events`, `entries`).
    Wrapped(String),
    /// Rows of a database table, each made into a record (one a line): "`SQLite` table …".
    Rows(String),
}

impl Container {
    /// What a user reads: "JSON Lines", "JSON array", "JSON object (member \"events\")".
    pub fn describe(&self) -> String {
        match self {
            Self::Lines => "JSON Lines".to_owned(),
            Self::Array => "a JSON array".to_owned(),
            Self::Wrapped(member) => format!("an array in member \"{member}\""),
            Self::Rows(table) => format!("rows of {table}"),
        }
    }
}

/// Members that hold the events when the file is one object.
const WRAPPER_MEMBERS: [&str; 3] = ["events", "entries", "messages"];

/// One record's place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpan {
    /// Byte offset of the record's first byte.
    pub start: usize,
    /// Byte offset just past the record's last byte (line ends excluded).
    pub end: usize,
    /// 1-based line of the record's first byte.
    pub line: u64,
}

/// The records found in a file, and whether the file ends mid-record.
#[derive(Debug, Default)]
pub struct Split {
    pub records: Vec<RecordSpan>,
    /// The line where the file stops without finishing its last record (no final newline, or
    /// an array without its closing bracket).
    pub truncated_tail: Option<u64>,
    /// Line ends seen (lines containers).
    pub newlines: u64,
}

/// Bytes after a UTF-8 byte-order mark, if any: the offset to start reading at.
pub fn body_start(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// Chooses the container from the first bytes of the file.
pub fn detect(bytes: &[u8]) -> Container {
    let start = skip_ws(bytes, body_start(bytes));
    match bytes.get(start) {
        Some(b'[') => Container::Array,
        Some(b'{') => {
            let line_end =
                memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let first_line = trim_cr(&bytes[start..line_end]);
            let rest_is_blank = bytes[line_end..].iter().all(u8::is_ascii_whitespace);
            match serde_json::from_slice::<RawObject>(first_line) {
                // A whole object on the first line is a record, unless it is the only line
                // and looks like a wrapper rather than an event.
                Ok(object) if rest_is_blank => {
                    wrapper_member(&object).map_or(Container::Lines, Container::Wrapped)
                }
                Ok(_) => Container::Lines,
                Err(_) => find_wrapped_array(bytes, start)
                    .map_or(Container::Lines, |(member, _)| Container::Wrapped(member)),
            }
        }
        _ => Container::Lines,
    }
}

fn wrapper_member(object: &RawObject) -> Option<String> {
    let looks_like_event = object
        .get_any(&["type", "eventType", "event_type", "stream", "data"])
        .is_some();
    if looks_like_event {
        return None;
    }
    WRAPPER_MEMBERS
        .iter()
        .find(|name| object.get(name).is_some_and(|v| v.get().starts_with('[')))
        .map(|name| (*name).to_owned())
}

/// Splits `bytes` into records according to `container`.
pub fn split(bytes: &[u8], container: &Container) -> Split {
    match container {
        Container::Lines | Container::Rows(_) => split_lines(bytes),
        Container::Array => {
            let start = skip_ws(bytes, body_start(bytes));
            split_array(bytes, start)
        }
        Container::Wrapped(_) => {
            let start = skip_ws(bytes, body_start(bytes));
            match find_wrapped_array(bytes, start) {
                Some((_, array_start)) => split_array(bytes, array_start),
                None => Split::default(),
            }
        }
    }
}

pub fn split_lines(bytes: &[u8]) -> Split {
    lines_in(bytes, body_start(bytes)..bytes.len())
}

/// The records of the lines in `range` of `bytes` (which starts at a line start), with lines
/// counted from 1 at `range.start`.
pub fn lines_in(bytes: &[u8], range: std::ops::Range<usize>) -> Split {
    let mut split = Split::default();
    let text = &bytes[range.clone()];
    // One search over the range: a search per line would pay its setup two million times.
    let ends = memchr::memchr_iter(b'\n', text).map(Some).chain([None]);
    let mut line_start = 0;
    for (line, newline) in (1u64..).zip(ends) {
        if line_start >= text.len() {
            break;
        }
        let line_end = newline.unwrap_or(text.len());
        let line_text = trim_cr(&text[line_start..line_end]);
        let lead = line_text
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if lead < line_text.len() {
            let trail = line_text
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            split.records.push(RecordSpan {
                start: range.start + line_start + lead,
                end: range.start + line_start + line_text.len() - trail,
                line,
            });
            if newline.is_none() {
                split.truncated_tail = Some(line);
            }
        }
        line_start = line_end + 1;
        split.newlines += u64::from(newline.is_some());
    }
    split
}

/// Splits the array whose `[` is at `open`. Elements are found by bracket matching, not parsed:
/// each is parsed later on its own, so a broken one fails alone.
fn split_array(bytes: &[u8], open: usize) -> Split {
    let mut split = Split::default();
    let mut lines = LineCounter::new(bytes);
    let mut i = skip_ws(bytes, open + 1);
    let mut closed = false;
    while i < bytes.len() {
        if bytes[i] == b']' {
            closed = true;
            break;
        }
        let start = i;
        let mut end = skip_value(bytes, i);
        // Anything up to the next top-level `,` or `]` belongs to this (broken) element.
        loop {
            let after = skip_ws(bytes, end);
            match bytes.get(after) {
                None | Some(b',' | b']') => break,
                Some(_) => end = skip_value(bytes, after).max(after + 1),
            }
        }
        split.records.push(RecordSpan {
            start,
            end,
            line: lines.line_at(start),
        });
        i = skip_ws(bytes, end);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    if !closed {
        split.truncated_tail = Some(lines.line_at(bytes.len()));
    }
    split
}

/// Finds the wrapper member's array in the object whose `{` is at `open`.
fn find_wrapped_array(bytes: &[u8], open: usize) -> Option<(String, usize)> {
    let mut i = skip_ws(bytes, open + 1);
    while i < bytes.len() && bytes[i] == b'"' {
        let key_end = skip_value(bytes, i);
        let key: String = serde_json::from_slice(&bytes[i..key_end]).ok()?;
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        if bytes.get(i) == Some(&b'[') && WRAPPER_MEMBERS.contains(&key.as_str()) {
            return Some((key, i));
        }
        i = skip_ws(bytes, skip_value(bytes, i));
        if bytes.get(i) != Some(&b',') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
    }
    None
}

/// The offset just past the JSON value starting at `i`, found structurally (strings and
/// bracket depth) without validating. Never fails: an unfinished value ends at the end of input.
fn skip_value(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i) {
        Some(b'"') => skip_string(bytes, i),
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'"' => {
                        j = skip_string(bytes, j);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            bytes.len()
        }
        Some(_) => {
            let len = bytes[i..]
                .iter()
                .position(|b| {
                    matches!(b, b',' | b']' | b'}' | b'[' | b'{' | b'"') || b.is_ascii_whitespace()
                })
                .unwrap_or(bytes.len() - i);
            i + len.max(1)
        }
        None => i,
    }
}

fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut j = open + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Line numbers for increasing offsets, counting newlines once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset > self.offset {
            self.line += memchr_iter(b'\n', &self.bytes[self.offset..offset]).count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(bytes: &'a [u8], split: &Split) -> Vec<(&'a str, u64)> {
        split
            .records
            .iter()
            .map(|r| (std::str::from_utf8(&bytes[r.start..r.end]).unwrap(), r.line))
            .collect()
    }

    #[test]
    fn lines_skip_blanks_strip_crlf_and_bom() {
        let bytes = b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  {\"b\":2}  \r\n";
        let split = split(bytes, &Container::Lines);
        assert_eq!(texts(bytes, &split), [("{\"a\":1}", 1), ("{\"b\":2}", 3)]);
        assert_eq!(split.truncated_tail, None);
    }

    #[test]
    fn lines_report_a_missing_final_newline() {
        let bytes = b"{\"a\":1}\n{\"b\":";
        let split = split(bytes, &Container::Lines);
        assert_eq!(texts(bytes, &split), [("{\"a\":1}", 1), ("{\"b\":", 2)]);
        assert_eq!(split.truncated_tail, Some(2));
        assert!(super::split(b"", &Container::Lines).records.is_empty());
    }

    #[test]
    fn arrays_split_on_top_level_commas() {
        let bytes = b"[\n {\"a\":\"],\"},\n [1,[2]] ,\n 3\n]\n";
        assert_eq!(detect(bytes), Container::Array);
        let split = split(bytes, &Container::Array);
        assert_eq!(
            texts(bytes, &split),
            [("{\"a\":\"],\"}", 2), ("[1,[2]]", 3), ("3", 4)]
        );
        assert_eq!(split.truncated_tail, None);
    }

    #[test]
    fn half_written_arrays_keep_what_is_whole() {
        let bytes = b"[{\"a\":1},\n{\"b\":2},\n{\"c\":";
        let split = split(bytes, &Container::Array);
        assert_eq!(
            texts(bytes, &split),
            [("{\"a\":1}", 1), ("{\"b\":2}", 2), ("{\"c\":", 3)]
        );
        assert_eq!(split.truncated_tail, Some(3));
    }

    #[test]
    fn a_broken_element_does_not_swallow_its_neighbours() {
        let bytes = b"[{\"a\":1} oops {\"x\":1}, {\"b\":2}]";
        let split = split(bytes, &Container::Array);
        assert_eq!(
            texts(bytes, &split),
            [("{\"a\":1} oops {\"x\":1}", 1), ("{\"b\":2}", 1)]
        );
    }

    #[test]
    fn wrapped_arrays_are_found_by_member() {
        let bytes = b"{\n \"title\": \"x\", \"n\": {\"events\": 1},\n \"events\": [ {\"a\":1} ]\n}";
        assert_eq!(detect(bytes), Container::Wrapped("events".into()));
        let split = split(bytes, &Container::Wrapped("events".into()));
        assert_eq!(texts(bytes, &split), [("{\"a\":1}", 3)]);
        assert_eq!(
            detect(b"{\"events\":[{\"type\":\"A\"}]}\n"),
            Container::Wrapped("events".into())
        );
        assert_eq!(
            detect(b"{\"type\":\"A\",\"events\":[]}\n"),
            Container::Lines
        );
        assert_eq!(detect(b"{\"a\":1}\n{\"b\":2}\n"), Container::Lines);
    }
}

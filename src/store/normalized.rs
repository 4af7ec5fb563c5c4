//! An event as `eventlens events --json` prints it: one normalized JSON object a line, whatever
//! the store's format, with payloads exactly as stored.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;

use super::EventRef;

/// One normalized event; field order is the JSON order of `events --json`.
#[derive(Serialize)]
struct EventLine<'a> {
    position: u64,
    line: Option<u64>,
    stream: &'a str,
    seq: u64,
    #[serde(rename = "type")]
    type_: &'a str,
    time: Option<&'a str>,
    id: Option<&'a str>,
    data: Option<&'a RawValue>,
    meta: Option<&'a RawValue>,
}

impl EventRef<'_> {
    /// Writes the event as one line of JSON Lines, newline included.
    pub fn write_json_line(&self, out: &mut dyn Write) -> io::Result<()> {
        self.with_line(|line| serde_json::to_writer(&mut *out, line))?;
        out.write_all(b"\n")
    }

    /// The event as `events --json` prints it, indented, for people ("copy as JSON").
    pub fn to_json_pretty(&self) -> serde_json::Result<String> {
        // Through a tree: a raw payload would keep its own layout inside the indented event.
        self.with_line(|line| serde_json::to_string_pretty(&serde_json::to_value(line)?))
    }

    fn with_line<T>(
        &self,
        f: impl FnOnce(&EventLine<'_>) -> serde_json::Result<T>,
    ) -> serde_json::Result<T> {
        let data = self.data_json().map(one_line);
        let meta = self.meta_json().map(one_line);
        let line = EventLine {
            position: self.position(),
            line: self.line(),
            stream: self.stream(),
            seq: self.event.seq,
            type_: self.type_name(),
            time: self.time(),
            id: self.id(),
            data: raw(data.as_deref())?,
            meta: raw(meta.as_deref())?,
        };
        f(&line)
    }
}

/// Stored JSON text as a value that serializes as that text.
fn raw(text: Option<&str>) -> serde_json::Result<Option<&RawValue>> {
    text.map(serde_json::from_str).transpose()
}

/// JSON text on one line: stored text as it is when it has no line breaks, else re-written
/// compactly (numbers still exactly as stored).
pub fn one_line(json: &str) -> Cow<'_, str> {
    if !json.contains(['\n', '\r']) {
        return Cow::Borrowed(json);
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => Cow::Owned(value.to_string()),
        Err(_) => Cow::Owned(json.replace(['\n', '\r'], " ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{ReadOptions, Store};

    fn lines(text: &str) -> String {
        let store = Store::from_bytes(
            "t.jsonl".as_ref(),
            text.as_bytes().to_vec(),
            &ReadOptions::default(),
        )
        .unwrap();
        let mut out = Vec::new();
        for i in 0..store.events().len() as u32 {
            store.event(i).write_json_line(&mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn payloads_keep_their_text_on_one_line() {
        let text = "{\"stream\":\"a\",\"seq\":1,\"type\":\"T\",\"data\":{\"p\": 19.99, \"n\":18446744073709551615,\"e\":1E-7}}\n";
        assert_eq!(
            lines(text),
            "{\"position\":0,\"line\":1,\"stream\":\"a\",\"seq\":1,\"type\":\"T\",\"time\":null,\"id\":null,\"data\":{\"p\": 19.99, \"n\":18446744073709551615,\"e\":1E-7},\"meta\":null}\n"
        );
    }

    #[test]
    fn pretty_events_are_the_same_event_indented() {
        let text = "{\"stream\":\"a\",\"seq\":1,\"type\":\"T\",\"data\":{\"p\": 19.99, \"n\":18446744073709551615}}\n";
        let store = Store::from_bytes(
            "t.jsonl".as_ref(),
            text.as_bytes().to_vec(),
            &ReadOptions::default(),
        )
        .unwrap();
        let pretty = store.event(0).to_json_pretty().unwrap();
        assert!(
            pretty.contains(
                "  \"data\": {\n    \"p\": 19.99,\n    \"n\": 18446744073709551615\n  },"
            ),
            "{pretty}"
        );
        let line: serde_json::Value = serde_json::from_str(&lines(text)).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            line
        );
    }

    #[test]
    fn a_payload_over_lines_is_put_on_one() {
        let text = "[{\"stream\":\"a\",\"seq\":1,\"type\":\"T\",\"data\":{\n \"p\": 19.99\n}}]";
        let out = lines(text);
        assert!(out.contains("\"data\":{\"p\":19.99}"), "{out}");
        assert_eq!(out.lines().count(), 1);
    }
}

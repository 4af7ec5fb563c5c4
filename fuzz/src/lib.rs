//! What the fuzz targets share: opening bytes as a store of one format and checking what a
//! reader of the store relies on.

use std::path::Path;

use eventlens::store::{Format, ReadOptions, Store};

/// Opens `bytes` as a store in `format` (never a panic: an error or a store), then reads every
/// event as the window and the CLI do and checks the index holds together.
pub fn open_as(bytes: &[u8], format: Format) {
    let options = ReadOptions {
        format: Some(format),
        ..ReadOptions::default()
    };
    let path = Path::new("fuzz.jsonl");
    let counted = Store::summarize_bytes(path, bytes.to_vec(), &options);
    let Ok(store) = Store::from_bytes(path, bytes.to_vec(), &options) else {
        assert!(counted.is_err(), "listed the streams of a store that cannot be read");
        return;
    };
    // `streams` counts a file without indexing it: the same streams as the index holds.
    let counted = counted.expect("a store that was read could not be listed");
    assert_eq!(counted.streams, store.summaries());
    assert_eq!(counted.skipped, store.skipped());
    let events = store.events().len();
    let mut listed = 0;
    for (index, stream) in store.streams().iter().enumerate() {
        assert_eq!(store.stream_index(&stream.id), Some(index as u32));
        for &event in stream.events.iter() {
            assert!(
                (event as usize) < events,
                "an event of {} past the end",
                stream.id
            );
            assert_eq!(
                store.events().get(event as usize).map(|e| e.stream),
                Some(index as u32)
            );
        }
        listed += stream.events.len();
    }
    assert_eq!(listed, events, "every event is in one stream");
    for index in 0..events as u32 {
        let event = store.event(index);
        let _ = (event.stream(), event.type_name(), event.time(), event.id());
        let _ = (event.position(), event.place(), store.record(index));
        // A payload the index kept is JSON the reader can parse, or an error saying why.
        let _ = (event.data(), event.meta());
    }
}

/// Splits fuzz input in two at its first newline: two documents for the targets that take a
/// document and a patch.
pub fn two_parts(bytes: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.split_once('\n')
}

/// Whether `text` (valid JSON) names a member twice in one of its objects, at any depth.
pub fn names_a_member_twice(text: &str) -> bool {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde::de::Deserialize::deserialize(&mut deserializer).is_ok_and(|Twice(twice)| twice)
}

/// A JSON value read only to learn whether some object in it repeats a name.
struct Twice(bool);

impl<'de> serde::de::Deserialize<'de> for Twice {
    fn deserialize<D: serde::de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TwiceVisitor)
    }
}

struct TwiceVisitor;

impl<'de> serde::de::Visitor<'de> for TwiceVisitor {
    type Value = Twice;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Twice, E> {
        Ok(Twice(false))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Twice, E> {
        Ok(Twice(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Twice, E> {
        Ok(Twice(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Twice, E> {
        Ok(Twice(false))
    }
    fn visit_str<E>(self, _: &str) -> Result<Twice, E> {
        Ok(Twice(false))
    }
    fn visit_unit<E>(self) -> Result<Twice, E> {
        Ok(Twice(false))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Twice, A::Error> {
        let mut twice = false;
        while let Some(Twice(inner)) = seq.next_element()? {
            twice |= inner;
        }
        Ok(Twice(twice))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Twice, A::Error> {
        let mut names = std::collections::HashSet::new();
        let mut twice = false;
        while let Some(name) = map.next_key::<String>()? {
            twice |= !names.insert(name);
            let Twice(inner) = map.next_value()?;
            twice |= inner;
        }
        Ok(Twice(twice))
    }
}

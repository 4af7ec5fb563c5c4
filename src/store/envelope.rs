//! Reading an event's envelope (stream, seq, type, time, id, data, meta) out of one record,
//! for each format, with the field aliases and the `--*-field` pointers of the contract.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::format::Format;
use super::record::{Kind, Raw, RawObject, decode_str, resolve_pointer};
use super::time::from_epoch_millis;

/// JSON Pointers naming where each envelope field is, overriding the format's own names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FieldPointers {
    pub stream: Option<String>,
    pub seq: Option<String>,
    pub type_: Option<String>,
    pub time: Option<String>,
    pub id: Option<String>,
    pub data: Option<String>,
    pub meta: Option<String>,
    /// Where the source keeps each record's global position (a database's position column);
    /// not a command-line option: sources set it for the records they make.
    pub position: Option<String>,
}

impl FieldPointers {
    /// Checks every pointer is empty or starts with `/` (RFC 6901).
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            &self.stream,
            &self.seq,
            &self.type_,
            &self.time,
            &self.id,
            &self.data,
            &self.meta,
        ];
        match all
            .into_iter()
            .flatten()
            .find(|p| !p.is_empty() && !p.starts_with('/'))
        {
            Some(bad) => Err(format!(
                "'{bad}' is not a JSON Pointer; pointers start with '/', as in /payload/orderId"
            )),
            None => Ok(()),
        }
    }
}

/// An event's envelope as read from its record. Text borrows from the file where it can.
#[derive(Debug, Default)]
pub struct Envelope<'a> {
    pub stream: Option<Cow<'a, str>>,
    pub seq: Option<u64>,
    pub type_: Option<Cow<'a, str>>,
    pub time: Option<Cow<'a, str>>,
    pub id: Option<Cow<'a, str>>,
    /// The payload as JSON text.
    pub data: Option<Cow<'a, str>>,
    /// The metadata as JSON text.
    pub meta: Option<Cow<'a, str>>,
    /// A position the format names itself (kcat's offset); else the store order is used.
    pub position: Option<u64>,
    /// Problems that leave the event usable (a missing type, an unreadable time).
    pub warnings: Vec<String>,
}

impl Envelope<'_> {
    /// Empties every field, keeping the warnings' allocation.
    fn clear(&mut self) {
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.clear();
        *self = Envelope {
            warnings,
            ..Envelope::default()
        };
    }
}

/// Where each field is looked for when no pointer names it: the format's own names first,
/// then the common aliases.
struct Names {
    stream: &'static [&'static str],
    seq: &'static [&'static str],
    type_: &'static [&'static str],
    time: &'static [&'static str],
    id: &'static [&'static str],
    data: &'static [&'static str],
    meta: &'static [&'static str],
    /// Where the format keeps a global position of its own (else the store order is used).
    position: &'static [&'static str],
}

const NATIVE: Names = Names {
    stream: &[
        "stream",
        "streamId",
        "stream_id",
        "aggregateId",
        "stream_name",
    ],
    seq: &[
        "seq",
        "version",
        "position",
        "eventNumber",
        "revision",
        "sequence",
    ],
    type_: &["type", "eventType", "event_type"],
    time: &["time", "timestamp", "created", "createdAt", "occurredAt"],
    id: &["id", "eventId", "event_id"],
    data: &["data", "payload", "body"],
    meta: &["meta", "metadata", "metaData", "headers"],
    position: &[],
};

const KURRENT: Names = Names {
    stream: &[
        "streamId",
        "eventStreamId",
        "positionStreamId",
        "stream",
        "stream_id",
        "aggregateId",
    ],
    seq: &[
        "eventNumber",
        "positionEventNumber",
        "seq",
        "version",
        "revision",
    ],
    type_: &["eventType", "type", "event_type"],
    time: &["created", "updated", "time", "timestamp", "createdAt"],
    id: &["eventId", "event_id", "id"],
    data: &["data", "payload", "body"],
    meta: &["metaData", "metadata", "meta"],
    position: &[],
};

const MESSAGE_DB: Names = Names {
    stream: &["stream_name", "stream", "streamId"],
    seq: &["position", "seq", "version"],
    type_: &["type", "eventType"],
    time: &["time", "timestamp", "created"],
    id: &["id", "eventId"],
    data: &["data", "payload"],
    meta: &["metadata", "metaData", "meta"],
    position: &[],
};

/// Python `eventsourcing`'s stored events: no time of their own (the state holds one, at
/// `/state/timestamp/_data_`) and no metadata.
const EVENTSOURCING: Names = Names {
    stream: &["originator_id"],
    seq: &["originator_version"],
    type_: &["topic"],
    time: &[],
    id: &[],
    data: &["state"],
    meta: &[],
    position: &["notification_id"],
};

/// Reads the envelope of `root`, a record in `format`. `Err` says why the record cannot be an
/// event (it is not an object, or a field has a type no event can have).
pub fn read<'a>(
    root: Raw<'a>,
    format: Format,
    pointers: &FieldPointers,
) -> Result<Envelope<'a>, String> {
    let Some(record) = RawObject::parse(root) else {
        return Err(format!(
            "the record is {}, not a JSON object",
            Kind::of(root).article_name()
        ));
    };
    let mut envelope = Envelope::default();
    read_object(&record, root, format, pointers, true, &mut envelope)?;
    Ok(envelope)
}

/// Like [`read`], for a record whose members are already listed.
///
/// Without `payloads`, a record named by fields (not `CloudEvents` or kcat, whose payload can
/// hold the type) is read for its stream, seq, type and time alone, which is all `streams`
/// lists: its id, data and metadata are left out, and the errors and warnings are the same.
///
/// The envelope is written into `envelope` (emptied first): a reader of millions of records
/// keeps one, so that its warnings are not allocated anew and an envelope of some 230 bytes is
/// not moved through each call (those moves were a tenth of `streams`' time).
pub fn read_object<'a>(
    record: &RawObject<'a>,
    root: Raw<'a>,
    format: Format,
    pointers: &FieldPointers,
    payloads: bool,
    envelope: &mut Envelope<'a>,
) -> Result<(), String> {
    envelope.clear();
    let mut named =
        |names, decode| read_named(record, root, pointers, names, decode, payloads, envelope);
    match format {
        Format::Jsonl | Format::Json => named(&NATIVE, false)?,
        Format::Kurrent => named(
            &KURRENT,
            record.get("isJson").is_none_or(|v| v.get() != "false"),
        )?,
        Format::MessageDb => named(&MESSAGE_DB, true)?,
        Format::Eventsourcing => named(&EVENTSOURCING, false)?,
        Format::CloudEvents => *envelope = read_cloudevent(record, root, pointers)?,
        Format::Kcat => *envelope = read_kcat(record, root, pointers)?,
    }
    if envelope.stream.is_none() {
        envelope
            .warnings
            .push("no stream; the event is put in the stream (none)".to_owned());
    }
    if envelope.type_.is_none() {
        envelope
            .warnings
            .push("no event type; the event's type is (none)".to_owned());
    }
    Ok(())
}

/// A field's raw value: at its pointer if one is given, else under the first name present.
/// JSON `null` counts as absent.
fn lookup<'a>(
    record: &RawObject<'a>,
    root: Raw<'a>,
    pointer: Option<&String>,
    names: &[&str],
) -> Option<Raw<'a>> {
    let found = match pointer {
        Some(pointer) => pointed(record, root, pointer),
        None => record.get_any(names),
    };
    found.filter(|&raw| Kind::of(raw) != Kind::Null)
}

/// The value at `pointer` in a record whose top-level members are already listed: a pointer to
/// one of them (a database row's column) is looked up there, not parsed again.
fn pointed<'a>(record: &RawObject<'a>, root: Raw<'a>, pointer: &str) -> Option<Raw<'a>> {
    match pointer.strip_prefix('/') {
        Some(name) if !name.contains(['/', '~']) => record.get(name),
        _ => resolve_pointer(root, pointer),
    }
}

fn read_named<'a>(
    record: &RawObject<'a>,
    root: Raw<'a>,
    pointers: &FieldPointers,
    names: &Names,
    decode_json_strings: bool,
    payloads: bool,
    envelope: &mut Envelope<'a>,
) -> Result<(), String> {
    envelope.stream = lookup(record, root, pointers.stream.as_ref(), names.stream)
        .map(stream_text)
        .transpose()?;
    envelope.seq = lookup(record, root, pointers.seq.as_ref(), names.seq)
        .map(parse_seq)
        .transpose()?;
    envelope.type_ = lookup(record, root, pointers.type_.as_ref(), names.type_)
        .map(type_text)
        .transpose()?;
    envelope.time = lookup(record, root, pointers.time.as_ref(), names.time)
        .and_then(|raw| time_text(raw, &mut envelope.warnings));
    if !payloads {
        return Ok(());
    }
    envelope.id = lookup(record, root, pointers.id.as_ref(), names.id)
        .and_then(|raw| id_text(raw, &mut envelope.warnings));
    // `data: null` is a payload (a merge patch that empties the state), so it is not looked up
    // through `lookup`, which drops nulls.
    let data = match &pointers.data {
        Some(pointer) => pointed(record, root, pointer),
        None => record.get_any(names.data),
    };
    let meta = lookup(record, root, pointers.meta.as_ref(), names.meta);
    envelope.data = data.map(|raw| payload_text(raw, decode_json_strings));
    envelope.meta = meta.map(|raw| payload_text(raw, decode_json_strings));
    envelope.position = match &pointers.position {
        Some(pointer) => pointed(record, root, pointer),
        None => record.get_any(names.position),
    }
    .and_then(|raw| parse_seq(raw).ok());
    Ok(())
}

/// `CloudEvents` 1.0: stream from `subject` (else `source`), seq from the `sequence` extension,
/// data from `data` or `data_base64`, and every other attribute as metadata.
fn read_cloudevent<'a>(
    record: &RawObject<'a>,
    root: Raw<'a>,
    pointers: &FieldPointers,
) -> Result<Envelope<'a>, String> {
    let stream_name = if record.get("subject").is_some() {
        "subject"
    } else {
        "source"
    };
    let names = Names {
        stream: if stream_name == "subject" {
            &["subject"]
        } else {
            &["source"]
        },
        seq: &["sequence"],
        type_: &["type"],
        time: &["time"],
        id: &["id"],
        data: &["data"],
        meta: &[],
        position: &[],
    };
    let mut envelope = Envelope::default();
    read_named(record, root, pointers, &names, false, true, &mut envelope)?;
    if envelope.data.is_none() && pointers.data.is_none() {
        envelope.data = record
            .get("data_base64")
            .map(decode_base64_payload)
            .transpose()?;
    }
    if pointers.meta.is_none() {
        let used = [
            "id",
            "type",
            "time",
            "sequence",
            "data",
            "data_base64",
            stream_name,
        ];
        let rest: Map<String, Value> = record
            .members()
            .filter(|(name, _)| !used.contains(name))
            .filter_map(|(name, raw)| {
                Some((name.to_owned(), serde_json::from_str(raw.get()).ok()?))
            })
            .collect();
        envelope.meta = Some(Cow::Owned(Value::Object(rest).to_string()));
    }
    Ok(envelope)
}

fn decode_base64_payload(raw: Raw<'_>) -> Result<Cow<'static, str>, String> {
    let text = decode_str(raw).ok_or("data_base64 is not a string")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("data_base64 is not base64: {e}"))?;
    Ok(Cow::Owned(match String::from_utf8(bytes) {
        Ok(text) if Raw::parse(&text).is_some() => text,
        Ok(text) => Value::String(text).to_string(),
        Err(_) => raw.get().to_owned(),
    }))
}

/// The type of a Kafka tombstone (a message with a null payload: the key's deletion) that no
/// `type` header names, in the style of the stream `(none)`.
pub const TOMBSTONE: &str = "(tombstone)";

/// `kcat -J`: stream from `key`, time from `ts` (ms), position from `offset` (or from
/// `position`, which a topic read by eventlens adds: its place across partitions), type and
/// data from the payload (a JSON object with `type`/`data`) or the `type` header. A null
/// payload is a tombstone: its data is `null` (the state is deleted) and its type, unless a
/// header names one, [`TOMBSTONE`]. A payload that is not UTF-8 comes from eventlens as
/// `payload_base64`: its data is that text, and its meta says `"payload_encoding":"base64"`.
fn read_kcat<'a>(
    record: &RawObject<'a>,
    root: Raw<'a>,
    pointers: &FieldPointers,
) -> Result<Envelope<'a>, String> {
    let headers = kcat_headers(record.get("headers"));
    let payload_text = record
        .get("payload")
        .filter(|&raw| Kind::of(raw) != Kind::Null)
        .map(|raw| match decode_str(raw) {
            Some(text) => text.into_owned(),
            None => raw.get().to_owned(),
        });
    let payload: Option<Raw<'_>> = payload_text
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok());
    let payload_object = payload.and_then(RawObject::parse);
    let from_payload = |name: &str| payload_object.as_ref().and_then(|object| object.get(name));

    let mut envelope = Envelope {
        stream: lookup(record, root, pointers.stream.as_ref(), &["key"])
            .map(stream_text)
            .transpose()?
            .map(own),
        seq: pointers
            .seq
            .as_ref()
            .and_then(|p| resolve_pointer(root, p))
            .map(parse_seq)
            .transpose()?,
        position: record
            .get("position")
            .or_else(|| record.get("offset"))
            .and_then(|raw| parse_seq(raw).ok()),
        ..Envelope::default()
    };
    let base64 = record
        .get("payload_base64")
        .filter(|_| payload_text.is_none());
    let tombstone = base64.is_none()
        && record
            .get("payload")
            .is_some_and(|raw| Kind::of(raw) == Kind::Null);
    envelope.type_ = match (&pointers.type_, from_payload("type")) {
        (Some(pointer), _) => resolve_pointer(root, pointer)
            .map(type_text)
            .transpose()?
            .map(own),
        (None, Some(raw)) => Some(type_text(raw)?.into_owned().into()),
        (None, None) => headers
            .get("type")
            .and_then(Value::as_str)
            .map(|t| Cow::Owned(t.to_owned()))
            .or_else(|| tombstone.then_some(Cow::Borrowed(TOMBSTONE))),
    };
    envelope.time = lookup(record, root, pointers.time.as_ref(), &["ts"])
        .and_then(|raw| time_text(raw, &mut envelope.warnings))
        .map(own);
    envelope.id = match (&pointers.id, from_payload("id")) {
        (Some(pointer), _) => resolve_pointer(root, pointer),
        (None, found) => found,
    }
    .and_then(|raw| id_text(raw, &mut envelope.warnings))
    .map(own);
    envelope.data = match &pointers.data {
        Some(pointer) => resolve_pointer(root, pointer).map(|raw| Cow::Borrowed(raw.get())),
        None => match (from_payload("data"), payload, &payload_text) {
            (Some(data), _, _) => Some(Cow::Owned(data.get().to_owned())),
            (None, Some(json), _) => Some(Cow::Owned(json.get().to_owned())),
            (None, None, Some(text)) => Some(Cow::Owned(Value::String(text.clone()).to_string())),
            (None, None, None) if tombstone => Some(Cow::Borrowed("null")),
            (None, None, None) => base64.map(|raw| Cow::Owned(raw.get().to_owned())),
        },
    };
    envelope.meta = if let Some(pointer) = &pointers.meta {
        resolve_pointer(root, pointer).map(|raw| Cow::Borrowed(raw.get()))
    } else {
        let mut meta = Map::new();
        for name in ["topic", "partition", "offset"] {
            if let Some(value) = record
                .get(name)
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
            {
                meta.insert(name.to_owned(), value);
            }
        }
        meta.insert("headers".to_owned(), Value::Object(headers));
        if base64.is_some() {
            meta.insert("payload_encoding".to_owned(), Value::from("base64"));
        }
        Some(Cow::Owned(Value::Object(meta).to_string()))
    };
    Ok(envelope)
}

fn own<'a>(text: Cow<'_, str>) -> Cow<'a, str> {
    Cow::Owned(text.into_owned())
}

/// kcat prints headers as `["name", "value", ...]`; objects are accepted too.
fn kcat_headers(raw: Option<Raw<'_>>) -> Map<String, Value> {
    let Some(value) = raw.and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok()) else {
        return Map::new();
    };
    match value {
        Value::Object(map) => map,
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|pair| {
                Some((
                    pair[0].as_str()?.to_owned(),
                    pair.get(1).cloned().unwrap_or(Value::Null),
                ))
            })
            .collect(),
        _ => Map::new(),
    }
}

fn stream_text(raw: Raw<'_>) -> Result<Cow<'_, str>, String> {
    match Kind::of(raw) {
        Kind::String => {
            decode_str(raw).ok_or_else(|| "stream is not a valid JSON string".to_owned())
        }
        Kind::Number => Ok(Cow::Borrowed(raw.get())),
        other => Err(format!(
            "stream is {}; expected a string or a number",
            other.article_name()
        )),
    }
}

fn type_text(raw: Raw<'_>) -> Result<Cow<'_, str>, String> {
    match Kind::of(raw) {
        Kind::String => decode_str(raw).ok_or_else(|| "type is not a valid JSON string".to_owned()),
        other => Err(format!(
            "type is {}; expected a string",
            other.article_name()
        )),
    }
}

/// A seq is a non-negative integer that fits in 64 bits, written as a number or as a string
/// holding one (`CloudEvents`' `sequence`).
pub fn parse_seq(raw: Raw<'_>) -> Result<u64, String> {
    let digits: Cow<str> = match Kind::of(raw) {
        Kind::Number => Cow::Borrowed(raw.get()),
        Kind::String => decode_str(raw).ok_or("seq is not a valid JSON string")?,
        other => {
            return Err(format!(
                "seq is {}; expected an integer",
                other.article_name()
            ));
        }
    };
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("seq {digits} is not a non-negative integer"));
    }
    digits
        .parse()
        .map_err(|_| format!("seq {digits} does not fit in 64 bits"))
}

fn time_text<'a>(raw: Raw<'a>, warnings: &mut Vec<String>) -> Option<Cow<'a, str>> {
    match Kind::of(raw) {
        Kind::String => decode_str(raw),
        Kind::Number => {
            let millis = raw.get().parse::<i64>().ok().and_then(from_epoch_millis);
            if millis.is_none() {
                warnings.push(format!(
                    "time {} is not milliseconds since the epoch",
                    raw.get()
                ));
            }
            millis.map(Cow::Owned)
        }
        other => {
            warnings.push(format!(
                "time is {}; expected an RFC 3339 string",
                other.article_name()
            ));
            None
        }
    }
}

fn id_text<'a>(raw: Raw<'a>, warnings: &mut Vec<String>) -> Option<Cow<'a, str>> {
    match Kind::of(raw) {
        Kind::String => decode_str(raw),
        Kind::Number => Some(Cow::Borrowed(raw.get())),
        other => {
            warnings.push(format!("id is {}; expected a string", other.article_name()));
            None
        }
    }
}

/// The payload's JSON text. Stores that keep JSON in a string column (message-db's text
/// columns, `KurrentDB` exports) get it decoded when it holds an object or an array.
fn payload_text(raw: Raw<'_>, decode_json_strings: bool) -> Cow<'_, str> {
    if decode_json_strings
        && Kind::of(raw) == Kind::String
        && let Some(inner) = decode_str(raw)
    {
        let trimmed = inner.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('[')) && Raw::parse(&inner).is_some() {
            return Cow::Owned(inner.into_owned());
        }
    }
    Cow::Borrowed(raw.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(format: Format, json: &str) -> Envelope<'_> {
        read(Raw::parse(json).unwrap(), format, &FieldPointers::default()).unwrap()
    }

    #[test]
    fn native_records_and_aliases() {
        let e = envelope(
            Format::Jsonl,
            r#"{"stream":"order-1","seq":3,"type":"A","time":"2024-01-01T00:00:00Z","id":"x","data":{"n":19.99},"meta":{"u":1}}"#,
        );
        assert_eq!(
            (e.stream.as_deref(), e.seq, e.type_.as_deref()),
            (Some("order-1"), Some(3), Some("A"))
        );
        assert_eq!(
            (e.data.as_deref(), e.meta.as_deref()),
            (Some(r#"{"n":19.99}"#), Some(r#"{"u":1}"#))
        );
        let e = envelope(
            Format::Jsonl,
            r#"{"aggregateId":1042,"version":"7","eventType":"B","payload":[1],"headers":{}}"#,
        );
        assert_eq!(
            (
                e.stream.as_deref(),
                e.seq,
                e.type_.as_deref(),
                e.data.as_deref()
            ),
            (Some("1042"), Some(7), Some("B"), Some("[1]"))
        );
        assert!(e.warnings.is_empty());
    }

    #[test]
    fn pointers_override_names() {
        let root = Raw::parse(r#"{"k":{"agg":"s-1","n":4},"what":"T","body":{"x":1}}"#).unwrap();
        let pointers = FieldPointers {
            stream: Some("/k/agg".into()),
            seq: Some("/k/n".into()),
            type_: Some("/what".into()),
            ..FieldPointers::default()
        };
        let e = read(root, Format::Jsonl, &pointers).unwrap();
        assert_eq!(
            (
                e.stream.as_deref(),
                e.seq,
                e.type_.as_deref(),
                e.data.as_deref()
            ),
            (Some("s-1"), Some(4), Some("T"), Some(r#"{"x":1}"#))
        );
        assert!(
            FieldPointers {
                seq: Some("k".into()),
                ..FieldPointers::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn bad_field_types_are_refused_or_warned() {
        let read_native = |json: &'static str| {
            read(
                Raw::parse(json).unwrap(),
                Format::Jsonl,
                &FieldPointers::default(),
            )
        };
        assert!(
            read_native(r#"{"type":"A","seq":18446744073709551616}"#)
                .unwrap_err()
                .contains("64 bits")
        );
        assert!(
            read_native(r#"{"type":"A","seq":-1}"#)
                .unwrap_err()
                .contains("non-negative")
        );
        assert!(read_native(r#"{"type":"A","seq":1.5}"#).is_err());
        assert!(
            read_native(r#"{"type":{"a":1}}"#)
                .unwrap_err()
                .contains("type is an object")
        );
        assert!(
            read_native(r"[1,2]")
                .unwrap_err()
                .contains("an array, not a JSON object")
        );
        let e = read_native(r#"{"stream":"s","time":true,"id":[1]}"#).unwrap();
        assert_eq!(e.warnings.len(), 3, "{:?}", e.warnings);
        assert_eq!(
            read_native(r#"{"type":"A","seq":18446744073709551615}"#)
                .unwrap()
                .seq,
            Some(u64::MAX)
        );
    }

    #[test]
    fn cloudevents_map_subject_sequence_and_base64() {
        let e = envelope(
            Format::CloudEvents,
            r#"{"specversion":"1.0","id":"e1","source":"/shop","subject":"order-7","type":"Placed","sequence":"12","time":"2024-01-01T00:00:00Z","data_base64":"eyJhIjoxfQ=="}"#,
        );
        assert_eq!(
            (
                e.stream.as_deref(),
                e.seq,
                e.id.as_deref(),
                e.data.as_deref()
            ),
            (Some("order-7"), Some(12), Some("e1"), Some(r#"{"a":1}"#))
        );
        assert_eq!(
            e.meta.as_deref(),
            Some(r#"{"specversion":"1.0","source":"/shop"}"#)
        );
        let e = envelope(
            Format::CloudEvents,
            r#"{"specversion":"1.0","id":"e2","source":"/shop","type":"T","data":{"b":2}}"#,
        );
        assert_eq!(e.stream.as_deref(), Some("/shop"));
    }

    #[test]
    fn kurrent_and_message_db_decode_json_in_strings() {
        let e = envelope(
            Format::Kurrent,
            r#"{"eventId":"u1","eventType":"A","eventNumber":0,"streamId":"s","data":"{\"a\":1}","metaData":{"m":1},"isJson":true,"id":"http://x/0","updated":"2024-01-01T00:00:00Z"}"#,
        );
        assert_eq!(
            (e.seq, e.id.as_deref(), e.data.as_deref(), e.time.as_deref()),
            (
                Some(0),
                Some("u1"),
                Some(r#"{"a":1}"#),
                Some("2024-01-01T00:00:00Z")
            )
        );
        let e = envelope(
            Format::MessageDb,
            r#"{"id":"u2","stream_name":"account-1","type":"Opened","position":4,"global_position":99,"data":{"x":1},"metadata":null,"time":"2024-01-01T00:00:00.5"}"#,
        );
        assert_eq!(
            (e.stream.as_deref(), e.seq, e.meta.as_deref()),
            (Some("account-1"), Some(4), None)
        );
    }

    #[test]
    fn kcat_reads_payload_headers_and_offsets() {
        let e = envelope(
            Format::Kcat,
            r#"{"topic":"orders","partition":0,"offset":41,"tstype":"create","ts":1700000000123,"headers":["type","FromHeader","trace","t1"],"key":"order-9","payload":"{\"type\":\"Placed\",\"data\":{\"qty\":2}}"}"#,
        );
        assert_eq!(
            (e.stream.as_deref(), e.type_.as_deref(), e.data.as_deref()),
            (Some("order-9"), Some("Placed"), Some(r#"{"qty":2}"#))
        );
        assert_eq!(
            (e.seq, e.position, e.time.as_deref()),
            (None, Some(41), Some("2023-11-14T22:13:20.123Z"))
        );
        assert_eq!(
            e.meta.as_deref(),
            Some(
                r#"{"topic":"orders","partition":0,"offset":41,"headers":{"type":"FromHeader","trace":"t1"}}"#
            )
        );
        let e = envelope(
            Format::Kcat,
            r#"{"topic":"t","partition":0,"offset":1,"headers":["type","H"],"key":null,"payload":"not json"}"#,
        );
        assert_eq!(
            (e.stream, e.type_.as_deref(), e.data.as_deref()),
            (None, Some("H"), Some(r#""not json""#))
        );
        // A tombstone: its data deletes the state; its type says what it is.
        let e = envelope(
            Format::Kcat,
            r#"{"topic":"t","partition":2,"offset":7,"ts":1,"headers":[],"key":"order-1","payload":null,"position":31}"#,
        );
        assert_eq!(
            (e.type_.as_deref(), e.data.as_deref(), e.position),
            (Some(TOMBSTONE), Some("null"), Some(31))
        );
        let e = envelope(
            Format::Kcat,
            r#"{"topic":"t","partition":2,"offset":8,"headers":["type","Deleted"],"key":"order-1","payload":null}"#,
        );
        assert_eq!((e.type_.as_deref(), e.position), (Some("Deleted"), Some(8)));
        // Bytes that are not UTF-8 are kept as the base64 they came as.
        let e = envelope(
            Format::Kcat,
            r#"{"topic":"t","partition":0,"offset":9,"headers":[],"key":"k","payload_base64":"/wBB"}"#,
        );
        assert_eq!((e.type_, e.data.as_deref()), (None, Some(r#""/wBB""#)));
        assert!(e.meta.unwrap().contains(r#""payload_encoding":"base64""#));
    }
}

//! What a record holds: its members as JSON Pointers with their values, and which of them look
//! like an envelope field the mapping missed (a time kept in `ts`, a stream id in
//! `aggregate.id`), so that a user is told the `--*-field` that would work instead of getting an
//! empty answer.

use serde_json::Value;

use super::time::parse_instant;

/// How deep members are listed: `/a/b/c`.
const DEPTH: usize = 3;
/// How many members are listed at most.
const MOST: usize = 40;

/// One member of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Where it is (RFC 6901).
    pub pointer: String,
    /// Its value as JSON text, cut short when long.
    pub value: String,
}

/// The members of `record` (JSON text), objects first-level and down to three levels,
/// in the record's order; leaves only where they are nested.
pub fn members(record: &str) -> Vec<Member> {
    let Ok(value) = serde_json::from_str::<Value>(record) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(&value, &mut String::new(), 0, &mut found);
    found
}

fn walk(value: &Value, pointer: &mut String, depth: usize, found: &mut Vec<Member>) {
    let Value::Object(map) = value else { return };
    for (name, member) in map {
        if found.len() >= MOST {
            return;
        }
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
        found.push(Member {
            pointer: pointer.clone(),
            value: short(member),
        });
        if depth + 1 < DEPTH {
            walk(member, pointer, depth + 1, found);
        }
        pointer.truncate(len);
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 40 {
        return text;
    }
    let cut: String = text.chars().take(37).collect();
    format!("{cut}…")
}

/// Whether `value` reads as a time: an RFC 3339 string, or milliseconds since the epoch
/// between 1973 and 2286 (as `--time-field` reads numbers).
pub fn looks_like_time(value: &Value) -> bool {
    match value {
        Value::String(text) => parse_instant(text).is_some(),
        Value::Number(n) => n
            .as_u64()
            .is_some_and(|ms| (100_000_000_000..10_000_000_000_000).contains(&ms)),
        _ => false,
    }
}

/// The pointers in `record` whose values look like times, nearest the top first.
pub fn time_members(record: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(record) else {
        return Vec::new();
    };
    let mut found: Vec<String> = members(record)
        .into_iter()
        .filter(|m| value.pointer(&m.pointer).is_some_and(looks_like_time))
        .map(|m| m.pointer)
        .collect();
    found.sort_by_key(|p| p.matches('/').count());
    found
}

/// Says what `record` holds, for a hint: "/stream, /seq, /ts = 1709287200000, …".
pub fn describe(record: &str) -> String {
    let listed: Vec<String> = members(record)
        .iter()
        .filter(|m| m.pointer.matches('/').count() == 1)
        .map(|m| format!("{} = {}", m.pointer, m.value))
        .collect();
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_found_where_the_mapping_did_not_look() {
        let record = r#"{"stream":"o-1","seq":1,"ts":1709287200000,"data":{"at":"2024-03-01T10:00:00Z","n":5},"v":3}"#;
        assert_eq!(time_members(record), ["/ts", "/data/at"]);
        let pointers: Vec<String> = members(record).into_iter().map(|m| m.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/stream", "/seq", "/ts", "/data", "/data/at", "/data/n", "/v"
            ]
        );
        assert_eq!(
            describe(record),
            r#"/stream = "o-1", /seq = 1, /ts = 1709287200000, /data = {"at":"2024-03-01T10:00:00Z","n":5}, /v = 3"#
        );
        let nested = r#"{"state":{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T20:28:17.920189+00:00"}}}"#;
        assert_eq!(time_members(nested), ["/state/timestamp/_data_"]);
        assert_eq!(time_members("not json"), Vec::<String>::new());
    }
}

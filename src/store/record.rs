//! One record of a store seen as raw JSON: its members as borrowed raw values, so that an
//! envelope can be read without building a parsed tree of the whole record.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The deepest nesting eventlens reads. `serde_json` stops at 128 levels when it builds a tree,
/// so a record nested deeper is reported at index time instead of failing later.
pub const MAX_DEPTH: usize = 127;

/// The text of one valid JSON value, as it is in the file. Built only by [`super::scan`] or by
/// `serde_json`, both of which validate it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// The JSON text.
    pub fn get(self) -> &'a str {
        self.0
    }

    /// Wraps text already known to be one valid JSON value.
    pub(super) fn valid(text: &'a str) -> Self {
        Self(text)
    }

    /// Validates `text` as one JSON value.
    pub fn parse(text: &'a str) -> Option<Self> {
        serde_json::from_str::<&RawValue>(text)
            .ok()
            .map(|raw| Self(raw.get()))
    }
}

impl<'de> serde::Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(deserializer).map(|raw| Self(raw.get()))
    }
}

/// One member of an object: its name (decoded) and its value (raw).
pub type Member<'a> = (Cow<'a, str>, Raw<'a>);

/// A JSON object's members, in file order, each value left as raw JSON text.
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    members: Vec<Member<'a>>,
}

impl<'a> RawObject<'a> {
    /// Parses `raw` as an object. `None` if it is another kind of JSON value.
    pub fn parse(raw: Raw<'a>) -> Option<Self> {
        let text = raw.get();
        if !text.starts_with('{') {
            return None;
        }
        super::scan::object(text.as_bytes())
            .map(|(_, object)| object)
            .or_else(|| serde_json::from_str(text).ok())
    }

    pub(super) fn from_members(members: Vec<Member<'a>>) -> Self {
        Self { members }
    }

    /// The members' vector, for reuse.
    pub(super) fn into_members(self) -> Vec<Member<'a>> {
        self.members
    }

    /// The value of member `name`; the last one wins when a name repeats (as in `serde_json`).
    pub fn get(&self, name: &str) -> Option<Raw<'a>> {
        // Names are compared millions of times while indexing: first by length and end
        // bytes, which tells most names apart without a call to `memcmp`.
        let name_bytes = name.as_bytes();
        self.members
            .iter()
            .rev()
            .find(|(key, _)| {
                let key_bytes = key.as_bytes();
                key_bytes.len() == name_bytes.len()
                    && key_bytes.first() == name_bytes.first()
                    && key_bytes.last() == name_bytes.last()
                    && same_bytes(key_bytes, name_bytes)
            })
            .map(|(_, value)| *value)
    }

    /// The first of `names` that is present.
    pub fn get_any(&self, names: &[&str]) -> Option<Raw<'a>> {
        names.iter().find_map(|name| self.get(name))
    }

    /// All members, in file order.
    pub fn members(&self) -> impl Iterator<Item = (&str, Raw<'a>)> {
        self.members
            .iter()
            .map(|(key, value)| (key.as_ref(), *value))
    }
}

/// `a == b` for the short names of an envelope, as a loop the compiler keeps inline: the call
/// to `memcmp` that `==` makes cost more than the comparison (5 % of `streams`).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl<'de> serde::Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value: Raw<'de> = map.next_value()?;
            members.push((key, value));
        }
        Ok(RawObject { members })
    }
}

/// Deserializes a member name, borrowing it when it holds no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// A JSON array's elements as raw values.
struct RawArray<'a>(Vec<Raw<'a>>);

impl<'de> serde::Deserialize<'de> for RawArray<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArrayVisitor;
        impl<'de> Visitor<'de> for ArrayVisitor {
            type Value = RawArray<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(RawArray(items))
            }
        }
        deserializer.deserialize_seq(ArrayVisitor)
    }
}

/// The kind of JSON value a raw value holds, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// The kind of `raw`.
    pub fn of(raw: Raw<'_>) -> Self {
        match raw.get().as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't' | b'f') => Self::Bool,
            Some(b'"') => Self::String,
            Some(b'[') => Self::Array,
            Some(b'{') => Self::Object,
            _ => Self::Number,
        }
    }

    /// The name a user reads in a message ("a string", "an object").
    pub fn article_name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

/// The text of a JSON string value, borrowed when it holds no escapes. `None` if `raw` is not
/// a string or its escapes are invalid (a lone surrogate).
pub fn decode_str(raw: Raw<'_>) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Resolves an RFC 6901 JSON Pointer inside a raw value without parsing what it does not visit.
pub fn resolve_pointer<'a>(raw: Raw<'a>, pointer: &str) -> Option<Raw<'a>> {
    if pointer.is_empty() {
        return Some(raw);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut current = raw;
    for token in rest.split('/') {
        let token = if token.contains('~') {
            std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
        } else {
            std::borrow::Cow::Borrowed(token)
        };
        current = match Kind::of(current) {
            Kind::Object => RawObject::parse(current)?.get(&token)?,
            Kind::Array => {
                let index: usize = token.parse().ok()?;
                let items: RawArray = serde_json::from_str(current.get()).ok()?;
                *items.0.get(index)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// The deepest nesting of arrays and objects in `bytes`, stopping early once it passes `limit`.
/// Strings are skipped, so brackets inside them do not count.
pub fn nesting_depth(bytes: &[u8], limit: usize) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > limit {
                        break;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Raw<'_> {
        Raw::parse(text).unwrap()
    }

    #[test]
    fn object_members_borrow_and_last_wins() {
        let value = raw(r#"{"a":1,"b\n":{"c":[1,2]},"a":2}"#);
        let object = RawObject::parse(value).unwrap();
        assert_eq!(object.get("a").unwrap().get(), "2");
        assert_eq!(object.get("b\n").unwrap().get(), r#"{"c":[1,2]}"#);
        assert!(RawObject::parse(raw("[1]")).is_none());
    }

    #[test]
    fn pointers_walk_objects_and_arrays() {
        let value = raw(r#"{"a":{"b/c":[10,{"d~e":"x"}]}}"#);
        assert_eq!(
            resolve_pointer(value, "/a/b~1c/1/d~0e").unwrap().get(),
            r#""x""#
        );
        assert_eq!(resolve_pointer(value, "/a/b~1c/0").unwrap().get(), "10");
        assert!(resolve_pointer(value, "/a/missing").is_none());
        assert!(resolve_pointer(value, "/a/b~1c/9").is_none());
        assert_eq!(resolve_pointer(value, "").unwrap().get(), value.get());
    }

    #[test]
    fn strings_decode_with_and_without_escapes() {
        assert!(matches!(
            decode_str(raw(r#""plain""#)),
            Some(Cow::Borrowed("plain"))
        ));
        assert_eq!(decode_str(raw(r#""a\"b\u00e9""#)).unwrap(), "a\"bé");
        assert!(decode_str(raw("12")).is_none());
        assert!(decode_str(raw(r#""\ud800""#)).is_none());
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(nesting_depth(br#"{"a":"[[[[","b":[[1]]}"#, 100), 3);
        assert_eq!(nesting_depth(br#""\"[""#, 100), 0);
        assert_eq!(nesting_depth(&[b'['; 1000], 10), 11);
    }
}

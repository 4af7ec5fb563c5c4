//! The schema inventory: for each event type, the distinct shapes its payloads have (top-level
//! member names with their JSON types), how many events have each and where each was first and
//! last seen — so that a renamed member (`qty` → `quantity`) shows as a new shape from the
//! event where it started.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::store::record::{Kind, Raw};
use crate::store::scan;
use crate::store::{EventRef, Store};

/// One member of a shape: its name and the kind of value it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    pub name: String,
    pub kind: &'static str,
}

/// The shape of a payload: its members sorted by name, or what the payload is when it is not
/// an object (`kind` "array", …, or "absent" without a payload).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shape {
    pub kind: &'static str,
    pub members: Vec<Member>,
}

impl Shape {
    /// `{customer: object, qty: number}`, or the kind of a payload that is not an object.
    pub fn describe(&self) -> String {
        if self.kind != "object" {
            return format!("({})", self.kind);
        }
        let members: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("{}: {}", m.name, m.kind))
            .collect();
        format!("{{{}}}", members.join(", "))
    }
}

/// Where an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Index into [`Store::events`].
    pub index: u32,
    pub seq: u64,
    pub line: u64,
}

/// One shape of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeCount {
    pub shape: Shape,
    pub events: usize,
    /// The first and last event with it, in store order.
    pub first: Seen,
    pub last: Seen,
}

/// The shapes of one event type, the most common first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeShapes {
    pub type_name: String,
    pub events: usize,
    pub shapes: Vec<ShapeCount>,
}

/// The inventory of every type in the store, sorted by type name. Payloads are read on all
/// cores, each by the same one-pass scanner that indexed it.
pub fn inventory(store: &Store) -> Vec<TypeShapes> {
    let count = u32::try_from(store.events().len()).unwrap_or(u32::MAX);
    let shapes: Vec<(u32, Shape)> = (0..count)
        .into_par_iter()
        .map(|index| (index, shape_of(&store.event(index))))
        .collect();
    // Interning shapes per type keeps one copy of each.
    let mut types: HashMap<u32, HashMap<Shape, ShapeCount>> = HashMap::new();
    for (index, shape) in shapes {
        let event = store.event(index);
        let seen = Seen {
            index,
            seq: event.event.seq,
            line: event.line().unwrap_or(0),
        };
        types
            .entry(event.event.type_id)
            .or_default()
            .entry(shape)
            .and_modify(|c| {
                c.events += 1;
                c.last = seen;
            })
            .or_insert_with_key(|shape| ShapeCount {
                shape: shape.clone(),
                events: 1,
                first: seen,
                last: seen,
            });
    }
    let mut inventory: Vec<TypeShapes> = types
        .into_iter()
        .map(|(type_id, shapes)| {
            let mut shapes: Vec<ShapeCount> = shapes.into_values().collect();
            shapes.sort_by(|a, b| {
                b.events
                    .cmp(&a.events)
                    .then(a.first.index.cmp(&b.first.index))
            });
            TypeShapes {
                type_name: store.type_name(type_id).to_owned(),
                events: shapes.iter().map(|s| s.events).sum(),
                shapes,
            }
        })
        .collect();
    inventory.sort_by(|a, b| a.type_name.cmp(&b.type_name));
    inventory
}

fn shape_of(event: &EventRef<'_>) -> Shape {
    let Some(data) = event.data_json() else {
        return Shape {
            kind: "absent",
            members: Vec::new(),
        };
    };
    let data = data.trim();
    if let Some((_, object)) = scan::object(data.as_bytes()) {
        let mut members: Vec<Member> = object
            .members()
            .map(|(name, value)| Member {
                name: name.to_owned(),
                kind: kind_name(Kind::of(value)),
            })
            .collect();
        members.sort();
        members.dedup();
        return Shape {
            kind: "object",
            members,
        };
    }
    Shape {
        kind: Raw::parse(data).map_or("unreadable", |raw| kind_name(Kind::of(raw))),
        members: Vec::new(),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool => "boolean",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Array => "array",
        Kind::Object => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadOptions;
    use std::path::Path;

    /// A shape as the test compares it: described, events, first and last line.
    type Row = (String, usize, u64, u64);

    #[test]
    fn a_renamed_member_is_a_new_shape_from_where_it_started() {
        let lines = [
            r#"{"stream":"o-1","seq":1,"type":"ItemAdded","data":{"sku":"A","qty":1}}"#,
            r#"{"stream":"o-1","seq":2,"type":"ItemAdded","data":{"qty":2,"sku":"B"}}"#,
            r#"{"stream":"o-2","seq":1,"type":"ItemAdded","data":{"sku":"C","quantity":3}}"#,
            r#"{"stream":"o-2","seq":2,"type":"ItemAdded","data":{"sku":"D","quantity":"4"}}"#,
            r#"{"stream":"o-2","seq":3,"type":"Noted","data":[1]}"#,
            r#"{"stream":"o-2","seq":4,"type":"Noted"}"#,
        ];
        let store = Store::from_bytes(
            Path::new("t.jsonl"),
            lines.join("\n").into_bytes(),
            &ReadOptions::default(),
        )
        .unwrap();
        let inventory = inventory(&store);
        let described: Vec<(&str, Vec<Row>)> = inventory
            .iter()
            .map(|t| {
                (
                    t.type_name.as_str(),
                    t.shapes
                        .iter()
                        .map(|s| (s.shape.describe(), s.events, s.first.line, s.last.line))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                (
                    "ItemAdded",
                    vec![
                        ("{qty: number, sku: string}".to_owned(), 2, 1, 2),
                        ("{quantity: number, sku: string}".to_owned(), 1, 3, 3),
                        ("{quantity: string, sku: string}".to_owned(), 1, 4, 4),
                    ]
                ),
                (
                    "Noted",
                    vec![
                        ("(array)".to_owned(), 1, 5, 5),
                        ("(absent)".to_owned(), 1, 6, 6)
                    ]
                ),
            ]
        );
        assert_eq!(inventory[0].events, 4);
    }
}

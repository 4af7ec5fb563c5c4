//! The Read model view's model and its workers: every stream's state at one moment of the
//! whole store as a table of columns (jq filters), filtered and sorted; watchpoints (named
//! filters) over the whole store; counts by a column over time.
//!
//! The table's worker keeps the store-wide fold ([`Folds`], shared with the inspector through
//! [`SharedFolds`]) across asks, so that a step of the moment folds only the events in between,
//! and it runs the filters again only on the streams whose state changed.

mod jobs;
mod table;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::inspect::{Fold, StoreRef};
use super::job::Repaint;
use crate::query::read_model::{Column, Transitions};
use crate::query::{Filter, FilterError};
use crate::replay::{Checkpoints, Folds, Moment};
use crate::store::Store;
pub use jobs::{Counted, Watched};
pub use table::{Table, TableAnswer, TableAsk, TableRow};

/// The store-wide fold of the fold in use, shared by the inspector (one stream at a time) and
/// the Read model view (every stream at a moment): a stream's checkpoints are built once. It
/// keeps no states ([`Folds::without_states`]): the view keeps what its filters found.
#[derive(Clone, Default)]
pub struct SharedFolds(Arc<Mutex<Option<(u64, Folds)>>>);

impl SharedFolds {
    /// Runs `f` on the fold of `fold`, a new one if the fold changed.
    pub fn with<R>(&self, fold: &Fold, f: impl FnOnce(&mut Folds) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.as_ref().is_none_or(|(id, _)| *id != fold.id) {
            *guard = Some((fold.id, Folds::without_states(fold.reducer.clone())));
        }
        let (_, folds) =
            guard.get_or_insert_with(|| (fold.id, Folds::without_states(fold.reducer.clone())));
        f(folds)
    }

    /// Takes out what folding `stream` has built, to go on with it without holding the lock.
    pub fn take(&self, fold: &Fold, stream: u32) -> Checkpoints {
        self.with(fold, |folds| folds.take(stream))
    }

    /// Puts back what [`SharedFolds::take`] took, grown.
    pub fn keep(&self, fold: &Fold, stream: u32, checkpoints: Checkpoints) {
        self.with(fold, |folds| folds.keep(stream, checkpoints));
    }
}

/// What a stream's watchpoint marks were made of.
#[derive(Debug, PartialEq, Eq)]
struct MarksKey {
    store: usize,
    stream: u32,
    /// The changes of each watchpoint (by address).
    changes: Vec<usize>,
}

/// A watchpoint: a named filter on each stream's state, and where it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchpoint {
    pub name: String,
    pub filter: String,
}

/// What the Read model view keeps of a source across runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// `NAME=FILTER` each.
    pub columns: Vec<String>,
    pub filter: String,
    pub watchpoints: Vec<Watchpoint>,
}

/// A filter typed in the view, parsed: `Ok` with its text, or where it is wrong.
pub fn check(text: &str) -> Result<String, FilterError> {
    Filter::parse(text).map(|_| text.to_owned())
}

/// The view's model.
pub struct ReadModel {
    /// The moment: after the store's event at this index (in store order).
    pub cursor: usize,
    /// Whether the timeline goes by time (else by position in the store).
    pub by_time: bool,
    pub columns: Vec<Column>,
    pub filter: String,
    pub filter_error: Option<FilterError>,
    pub sort: Option<(usize, bool)>,
    pub watchpoints: Vec<Watchpoint>,
    pub watched: Vec<Watched>,
    /// The column whose values are counted over time.
    pub count_by: Option<usize>,
    pub counted: Option<Counted>,
    /// The fields to add a column and a watchpoint, and why what was typed was refused.
    pub new_column: String,
    pub new_watch: (String, String),
    pub field_error: Option<String>,
    /// The moment in minutes since the epoch, where it is a time (to mark it on the chart).
    pub moment_minutes: Option<f64>,
    /// The marks of [`ReadModel::marks_in`], for the stream, store and changes they were made
    /// of: made again only when one of those changes, not every frame.
    marks: Option<(MarksKey, Arc<Vec<usize>>)>,
    pub table: Table,
}

impl ReadModel {
    /// A model for a store of `events` events, at its end, with what was saved.
    pub fn new(saved: &Saved, events: usize, folds: SharedFolds, repaint: Repaint) -> Self {
        Self {
            cursor: events.saturating_sub(1),
            by_time: true,
            columns: saved.columns.iter().map(|c| Column::of(c)).collect(),
            filter: saved.filter.clone(),
            filter_error: None,
            sort: None,
            watchpoints: saved.watchpoints.clone(),
            watched: Vec::new(),
            count_by: None,
            counted: None,
            new_column: String::new(),
            new_watch: (String::new(), String::new()),
            field_error: None,
            moment_minutes: None,
            marks: None,
            table: table::start(folds, repaint),
        }
    }

    /// What to save for the source.
    pub fn saved(&self) -> Saved {
        Saved {
            columns: self
                .columns
                .iter()
                .map(|c| {
                    if c.name == c.filter {
                        c.filter.clone()
                    } else {
                        format!("{}={}", c.name, c.filter)
                    }
                })
                .collect(),
            filter: self.filter.clone(),
            watchpoints: self.watchpoints.clone(),
        }
    }

    /// The moment the cursor names in `store`.
    pub fn moment(&self, store: &Store) -> Moment {
        let events = store.events();
        if events.is_empty() {
            return Moment::End;
        }
        let k = self.cursor.min(events.len() - 1);
        let event = &events[k];
        match event.instant() {
            Some(instant) if self.by_time => Moment::Time(instant),
            _ => Moment::Position(store.position(k as u32)),
        }
    }

    /// The filter as the table uses it: `None` when empty or wrong (the error is shown).
    fn where_filter(&mut self) -> Option<String> {
        let text = self.filter.trim();
        if text.is_empty() {
            self.filter_error = None;
            return None;
        }
        match check(text) {
            Ok(text) => {
                self.filter_error = None;
                Some(text)
            }
            Err(error) => {
                self.filter_error = Some(error);
                None
            }
        }
    }

    /// Asks for the table, the watchpoints and the counts that what is shown needs, and takes
    /// in what has come.
    pub fn refresh(&mut self, store: &Arc<Store>, fold: &Fold, repaint: &Repaint) {
        let where_ = self.where_filter();
        let ask = TableAsk {
            store: StoreRef(store.clone()),
            fold: fold.clone(),
            moment: self.moment(store),
            columns: self
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.filter.clone()))
                .collect(),
            where_: where_.clone(),
            sort: self.sort,
        };
        self.table.ask(ask);
        self.table.poll();
        let store_key = Arc::as_ptr(store) as usize;
        self.watched.truncate(self.watchpoints.len());
        for (i, point) in self.watchpoints.iter().enumerate() {
            let key = (store_key, fold.id, point.filter.clone());
            match self.watched.get_mut(i) {
                Some(watched) if watched.key == key => watched.poll(),
                Some(watched) => {
                    *watched = Watched::start(store, fold, &point.filter, repaint.clone());
                }
                None => {
                    self.watched
                        .push(Watched::start(store, fold, &point.filter, repaint.clone()));
                }
            }
        }
        let by = self
            .count_by
            .and_then(|i| self.columns.get(i))
            .map(|c| c.filter.clone());
        match by {
            None => self.counted = None,
            Some(by) => {
                let key = (store_key, fold.id, by.clone(), where_.clone());
                match &mut self.counted {
                    Some(counted) if counted.key == key => counted.poll(),
                    _ => {
                        self.counted = Some(Counted::start(
                            store,
                            fold,
                            &by,
                            where_.as_deref(),
                            repaint.clone(),
                        ));
                    }
                }
            }
        }
    }

    /// The events of stream `stream` (by index in the stream) after which a watchpoint starts
    /// holding, to mark on the stream's timeline.
    pub fn marks_in(&mut self, store: &Arc<Store>, stream: u32) -> Arc<Vec<usize>> {
        let changes: Vec<&Arc<Transitions>> = self
            .watched
            .iter()
            .filter_map(|w| w.changes.as_ref())
            .collect();
        let key = MarksKey {
            store: Arc::as_ptr(store) as usize,
            stream,
            changes: changes.iter().map(|c| Arc::as_ptr(c) as usize).collect(),
        };
        if let Some((made_for, marks)) = &self.marks
            && *made_for == key
        {
            return marks.clone();
        }
        let events = store.streams().get(stream as usize).map(|s| &s.events);
        let mut marks: Vec<usize> = changes
            .iter()
            .flat_map(|changes| changes.iter())
            .filter(|&&(index, holds)| holds && store.events()[index as usize].stream == stream)
            .filter_map(|&(index, _)| events?.binary_search(&index).ok())
            .collect();
        marks.sort_unstable();
        marks.dedup();
        let marks = Arc::new(marks);
        self.marks = Some((key, marks.clone()));
        marks
    }

    /// Whether everything shown has come: the table for the last ask, every watchpoint's
    /// changes, the counts.
    pub fn is_settled(&self) -> bool {
        self.table.is_current()
            && self.watched.len() == self.watchpoints.len()
            && self.watched.iter().all(|w| w.changes.is_some())
            && !self.counted.as_ref().is_some_and(Counted::is_counting)
    }

    /// Adds the column typed (`NAME=FILTER` or a filter), if it parses.
    pub fn add_column(&mut self, spec: &str) -> bool {
        let column = Column::of(spec.trim());
        if column.filter.is_empty() {
            return false;
        }
        match check(&column.filter) {
            Ok(_) => {
                self.field_error = None;
                if !self.columns.iter().any(|c| c.name == column.name) {
                    self.columns.push(column);
                }
                true
            }
            Err(error) => {
                self.field_error = Some(format!("{}: {error}", column.filter));
                false
            }
        }
    }

    /// Adds a watchpoint, if its filter parses.
    pub fn add_watchpoint(&mut self, name: &str, filter: &str) -> bool {
        let filter = filter.trim();
        match check(filter) {
            Ok(filter) => {
                let name = if name.trim().is_empty() {
                    filter.clone()
                } else {
                    name.trim().to_owned()
                };
                self.watchpoints.push(Watchpoint { name, filter });
                self.field_error = None;
                true
            }
            Err(error) => {
                self.field_error = Some(format!("{filter}: {error}"));
                false
            }
        }
    }
}

/// A jq path to the member at a JSON Pointer: `/items/SKU-1/qty` is `.items["SKU-1"].qty`.
pub fn filter_of_pointer(pointer: &str) -> String {
    let mut filter = String::new();
    for token in crate::diff::pointer::tokens(pointer).unwrap_or_default() {
        let plain = token
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            filter.push('.');
            filter.push_str(&token);
            continue;
        }
        if filter.is_empty() {
            filter.push('.');
        }
        if let Ok(index) = token.parse::<usize>() {
            let _ = write!(filter, "[{index}]");
        } else {
            let _ = write!(filter, "[{}]", Value::String(token));
        }
    }
    if filter.is_empty() {
        ".".to_owned()
    } else {
        filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_becomes_the_jq_path_to_the_same_member() {
        assert_eq!(filter_of_pointer("/status"), ".status");
        assert_eq!(
            filter_of_pointer("/items/SKU-1/qty"),
            ".items[\"SKU-1\"].qty"
        );
        assert_eq!(filter_of_pointer("/tags/0"), ".tags[0]");
        assert_eq!(filter_of_pointer("/a~1b/c~0d"), ".[\"a/b\"][\"c~d\"]");
        assert_eq!(filter_of_pointer("/0"), ".[0]");
        assert_eq!(filter_of_pointer(""), ".");
    }
}

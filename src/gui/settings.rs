//! What the window remembers across runs (eframe storage): recent files, the last position in
//! each file, the inspector tab and the timeline axis. Runtime state lives elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::FieldPointers;

/// How many recent files are kept.
const RECENT_MAX: usize = 10;

/// A remembered place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub stream: String,
    pub seq: u64,
}

/// The inspector's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Tab {
    #[default]
    Event,
    Diff,
    State,
    Compare,
    Charts,
    Audit,
    Schema,
    Trace,
}

/// What the timeline's axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Axis {
    #[default]
    Sequence,
    Time,
}

/// Saved state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    /// Databases opened, most recent first, as URLs without their passwords.
    pub connections: Vec<String>,
    /// Last position per source (by its settings key: a file's path).
    pub positions: BTreeMap<String, Position>,
    pub tab: Tab,
    pub axis: Axis,
    /// The fields mapped in the Fields window, per source (by its settings key).
    pub fields: BTreeMap<String, FieldPointers>,
    /// The Read model view's columns, filter and watchpoints, per source.
    pub read_models: BTreeMap<String, crate::gui::read_model::Saved>,
}

impl Settings {
    /// Puts `path` first in the recent files.
    pub fn remember_file(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_owned());
        self.recent.truncate(RECENT_MAX);
    }

    /// Puts the database `name` (a URL without its password) first in the recent connections.
    pub fn remember_connection(&mut self, name: &str) {
        self.connections.retain(|c| c != name);
        self.connections.insert(0, name.to_owned());
        self.connections.truncate(RECENT_MAX);
    }

    /// Remembers where the cursor is in the source with settings key `key`.
    pub fn remember_position(&mut self, key: &str, position: Position) {
        self.positions.insert(key.to_owned(), position);
    }

    /// Where the cursor was when the source with settings key `key` was last open.
    pub fn position(&self, key: &str) -> Option<&Position> {
        self.positions.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_and_bounded() {
        let mut settings = Settings::default();
        for n in 0..12 {
            settings.remember_file(Path::new(&format!("/s/{n}.jsonl")));
        }
        settings.remember_file(Path::new("/s/5.jsonl"));
        assert_eq!(settings.recent.len(), RECENT_MAX);
        assert_eq!(settings.recent[0], Path::new("/s/5.jsonl"));
        assert_eq!(
            settings
                .recent
                .iter()
                .filter(|p| p.ends_with("5.jsonl"))
                .count(),
            1
        );
    }
}

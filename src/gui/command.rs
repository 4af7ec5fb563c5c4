//! What the window's widgets ask for. Panels push commands while drawing; the app applies them
//! in one place afterwards, so every action is testable without drawing anything.

use std::path::PathBuf;

use super::export::What;
use super::keys::{List, Move};

/// One thing the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the native file dialog (Ctrl+O).
    OpenDialog,
    /// Show or hide the Projection window.
    ShowProjection(bool),
    /// Pick a projection script in the native file dialog.
    PickProjection,
    /// Load (or reload) a projection script; the fold switches to it once loaded.
    LoadProjection(PathBuf),
    /// Fold with the loaded projection (`true`) or with merge patches.
    UseProjection(bool),
    /// Show or hide the Export window.
    ShowExport(bool),
    /// Save an export to a file.
    Export {
        what: What,
        to: PathBuf,
    },
    /// Choose where to save an export in the native save dialog, starting at `suggested`.
    PickExportPath {
        what: What,
        suggested: PathBuf,
    },
    /// Open a store file (path field, recent files, drag-and-drop, dialog result).
    OpenPath(PathBuf),
    /// Read a Kafka topic (`kafka://…`); with a key, only its partition, on its stream.
    OpenTopic {
        url: String,
        key: Option<String>,
    },
    /// Open the bundled sample store.
    OpenSample,
    /// Stop the load in progress.
    CancelLoad,
    /// Start or stop following the source as it grows (key F).
    ToggleFollow,
    /// Show or hide the Fields window.
    ShowFields(bool),
    /// Read the store again with these pointers to the envelope's fields, and remember them
    /// for the source.
    SetFields(crate::store::FieldPointers),
    /// Back to the start screen.
    CloseStore,
    /// Read only this much of the database the catalog shows.
    OpenNarrowed(crate::source::postgres::Narrow),
    /// Show the streams of the open database as the server counts them, to pick another.
    ShowCatalog,
    /// Show stream `index` (into `Store::streams`), cursor on its last event.
    SelectStream(u32),
    /// Select a stream by id and put the cursor on its event with this seq.
    GoTo {
        stream: String,
        seq: u64,
    },
    /// Select the stream of the store's event at this index and put the cursor on it (a
    /// finding's event, or the other record a finding names).
    GoToEvent(u32),
    /// Put the cursor on the stream's `k`-th event.
    SetCursor(usize),
    StepBack,
    StepForward,
    First,
    Last,
    TogglePlay,
    /// Playback speed, a factor from 0.5 to 16.
    SetSpeed(f32),
    SetLoop(bool),
    /// Pin the current point for Compare.
    Pin,
    Unpin,
    /// Pin the current point, or unpin it if it is the pinned one (key P).
    TogglePin,
    /// Put the cursor on the pinned point (key J).
    JumpToPin,
    /// Move through a list's rows (arrow keys, Page Up/Down, Home/End); the list gets the keys.
    MoveRow {
        list: List,
        by: Move,
    },
    /// Give a list the arrow keys (it was clicked or typed in).
    FocusList(List),
    /// Show or hide the sheet of keyboard shortcuts (F1 or `?`).
    ShowShortcuts(bool),
    /// Show the history of the member at this JSON Pointer.
    Blame(String),
    CloseBlame,
    /// Plot the number at this JSON Pointer over the stream's history (the Charts tab).
    Chart(String),
    /// Put this text on the clipboard.
    Copy(String),
    /// Hide notice `index`.
    DismissNotice(usize),
    /// Show the Read model view (every stream at a moment), or the stream's events (key M).
    ShowReadModel(bool),
    /// Put the Read model's moment after the store's event at this index.
    SetMoment(usize),
    MomentBack,
    MomentForward,
    MomentFirst,
    MomentLast,
    /// Open a stream of the Read model at the moment: after its first `count` events.
    OpenAtMoment {
        stream: u32,
        count: usize,
    },
    /// Add a column (a jq filter, or `NAME=FILTER`) to the Read model's table, and show it.
    AddColumn(String),
    /// Show or hide the Find window (Ctrl+F).
    ShowFind(bool),
    /// Search the store for what the Find box says.
    Find,
    CancelFind,
}

//! The one place the panels' commands are applied, and what they start: opening, loading,
//! file dialogs, exports.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{App, DeepLink, POSITION_SAVE_DELAY, Picking, Ready, Screen};
use crate::gui::command::Command;
use crate::gui::export::{Shown, What};
use crate::gui::inspect::{Ask, Fold, StoreRef};
use crate::gui::job::Job;
use crate::gui::keys::{self, List, Move, Place};
use crate::gui::loader::{Loader, sample};
use crate::gui::panels::catalog::Catalog;
use crate::gui::settings::{Position, Tab};
use crate::replay::Point;
use crate::source::Source;
use crate::source::postgres::Narrow;
use crate::store::FieldPointers;

impl App {
    /// Applies queued commands: the one place where the model changes. Long for a reason: one
    /// arm per command, each a line or a call, so that every command is handled where all the
    /// others are.
    #[allow(clippy::too_many_lines)]
    pub(super) fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.cmds) {
            match command {
                Command::OpenDialog => self.open_dialog(Picking::Store),
                Command::PickProjection => self.open_dialog(Picking::Projection),
                Command::ShowProjection(shown) => self.windows.projection = shown,
                Command::ShowExport(shown) => self.windows.export = shown,
                Command::ShowFields(shown) => self.windows.fields = shown,
                Command::ShowShortcuts(shown) => self.windows.shortcuts = shown,
                Command::MoveRow { list, by } => self.move_row(list, by),
                Command::SetFields(fields) => self.set_fields(fields),
                Command::PickExportPath { what, suggested } => {
                    self.open_dialog(Picking::Export { what, suggested });
                }
                Command::Export { what, to } => self.export(what, to),
                Command::LoadProjection(path) => {
                    let repaint = crate::gui::job::repaint_of(&self.ctx);
                    self.projections.load(&path, repaint);
                }
                Command::UseProjection(on) => {
                    self.projections.enabled = on && self.projections.loaded.is_some();
                }
                Command::OpenPath(path) => self.open_path(&path),
                Command::OpenTopic { url, key } => {
                    if let Some(key) = key {
                        self.deep_link = Some(DeepLink {
                            stream: Some(key),
                            point: Point::End,
                        });
                    }
                    self.open_path(Path::new(&url));
                }
                Command::OpenNarrowed(narrow) => {
                    if let Some(catalog) = self.catalog.take() {
                        self.load(catalog.source.narrowed(narrow));
                    } else if let Screen::Ready(ready) = &self.screen
                        && let Source::Kafka(_) = &ready.source
                    {
                        // A topic read for one key, read again whole: on the same stream.
                        let view = &ready.view;
                        let stream = view.store.streams()[view.stream as usize].id.to_string();
                        let source = ready.source.clone().narrowed(narrow);
                        self.deep_link = Some(DeepLink {
                            stream: Some(stream),
                            point: Point::End,
                        });
                        self.load(source);
                    }
                }
                Command::ShowCatalog => {
                    if let Screen::Ready(ready) = &self.screen {
                        let source = ready.source.clone().narrowed(Narrow::All);
                        self.remember_position();
                        self.screen = Screen::Start;
                        self.show_catalog(source);
                    }
                }
                Command::OpenSample => self.load(sample()),
                Command::ToggleFollow => {
                    if let Screen::Ready(ready) = &mut self.screen {
                        ready.toggle_follow(&mut self.notices);
                    }
                }
                Command::CancelLoad => match &self.screen {
                    Screen::Loading(loader) => loader.cancel(),
                    Screen::Ready(ready) => {
                        if let Some(loader) = &ready.loading {
                            loader.cancel();
                        }
                    }
                    Screen::Start => {}
                },
                Command::CloseStore => {
                    self.remember_position();
                    self.screen = Screen::Start;
                    self.catalog = None;
                    self.ctx
                        .send_viewport_cmd(egui::ViewportCommand::Title("eventlens".into()));
                }
                Command::Copy(text) => self.ctx.copy_text(text),
                Command::GoTo { stream, seq } => {
                    if let Screen::Ready(ready) = &mut self.screen
                        && let Err(why) = ready.view.go_to(&stream, Point::Seq(seq))
                    {
                        self.notices
                            .push(format!("Could not go to {stream} at seq {seq}: {why}"));
                    }
                }
                Command::GoToEvent(index) => {
                    if let Screen::Ready(ready) = &mut self.screen
                        && let Err(why) = ready.view.go_to_event(index)
                    {
                        self.notices
                            .push(format!("Could not go to the event: {why}"));
                    }
                }
                Command::Blame(pointer) => {
                    // The history is drawn in the State tab, wherever it was asked from
                    // (the Diff tab's removed members, a pointer typed).
                    self.settings.tab = Tab::State;
                    if let Screen::Ready(ready) = &mut self.screen {
                        ready.view.apply(&Command::Blame(pointer));
                    }
                }
                Command::DismissNotice(index) => {
                    if index < self.notices.len() {
                        self.notices.remove(index);
                    }
                }
                Command::Chart(pointer) => {
                    self.settings.tab = Tab::Charts;
                    if let Screen::Ready(ready) = &mut self.screen {
                        ready.view.apply(&Command::Chart(pointer));
                    }
                }
                read_model @ (Command::ShowReadModel(_)
                | Command::SetMoment(_)
                | Command::MomentBack
                | Command::MomentForward
                | Command::MomentFirst
                | Command::MomentLast
                | Command::OpenAtMoment { .. }
                | Command::AddColumn(_)) => self.apply_read_model(read_model),
                find @ (Command::ShowFind(_) | Command::Find | Command::CancelFind) => {
                    self.apply_find(&find);
                }
                navigation => {
                    if let Screen::Ready(ready) = &mut self.screen {
                        ready.view.apply(&navigation);
                    }
                }
            }
        }
        if let Screen::Ready(ready) = &mut self.screen {
            let view = &ready.view;
            ready.inspector.ask(Ask {
                store: StoreRef(view.store.clone()),
                fold: self.projections.fold(),
                stream: view.stream,
                cursor: view.cursor,
                pin: view.pin,
                blame: view.blame.clone(),
                chart: view.chart.clone(),
            });
            let position = (view.stream, view.cursor);
            self.note_position(position);
        }
    }

    /// Moves through the rows `list` shows as they are filtered and sorted, and gives it the
    /// keys: the event list moves the cursor, the stream list selects the stream.
    fn move_row(&mut self, list: List, by: Move) {
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let view = &mut ready.view;
        view.keys = list;
        match list {
            List::Events => {
                let page = ready.events.page();
                let rows = ready.events.rows_for(view);
                let at = rows.partition_point(|&k| (k as usize) < view.cursor);
                let place = if rows.get(at).map(|&k| k as usize) == Some(view.cursor) {
                    Place::At(at)
                } else {
                    Place::Before(at)
                };
                if let Some(row) = keys::target(rows.len(), place, by, page) {
                    let k = rows[row] as usize;
                    view.apply(&Command::SetCursor(k));
                }
            }
            List::Streams => {
                let page = ready.streams.page();
                let rows = ready.streams.rows_for(view);
                let place = rows
                    .iter()
                    .position(|&s| s == view.stream)
                    .map_or(Place::Before(0), Place::At);
                if let Some(row) = keys::target(rows.len(), place, by, page) {
                    let stream = rows[row];
                    if stream != view.stream {
                        view.apply(&Command::SelectStream(stream));
                    }
                }
            }
        }
    }

    /// Schedules saving the position once the cursor has rested for a moment.
    pub(super) fn note_position(&mut self, position: (u32, usize)) {
        if self.saved_position == Some(position) {
            self.moved_since = None;
            return;
        }
        let since = *self.moved_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= POSITION_SAVE_DELAY {
            self.save_now = true;
            self.saved_position = Some(position);
            self.moved_since = None;
        } else {
            self.ctx.request_repaint_after(POSITION_SAVE_DELAY);
        }
    }

    /// Opens what the user named: a path, `-`, or a `postgres://` or `kafka://` URL (read as
    /// the command line said). A topic opened for one stream reads only that key's partition.
    pub(super) fn open_path(&mut self, path: &Path) {
        let source = match Source::from_arg(path.as_os_str(), &self.database, &self.kafka) {
            Ok(Source::Path(path)) => Source::Path(std::fs::canonicalize(&path).unwrap_or(path)),
            Ok(other) => other,
            Err(why) => {
                self.notices.push(why);
                return;
            }
        };
        match source {
            Source::Database(_) => self.open_database(source),
            Source::Kafka(_) => {
                let stream = self.deep_link.as_ref().and_then(|d| d.stream.clone());
                self.load(source.narrowed(stream.map_or(Narrow::All, Narrow::Stream)));
            }
            _ => self.load(source),
        }
    }

    /// Opens a database: at the stream the command line names, else through its catalog (read
    /// whole at once if small).
    pub(super) fn open_database(&mut self, source: Source) {
        if let Some(stream) = self.deep_link.as_ref().and_then(|d| d.stream.clone()) {
            self.load(source.narrowed(Narrow::Stream(stream)));
            return;
        }
        self.remember_position();
        self.screen = Screen::Start;
        self.show_catalog(source);
    }

    pub(super) fn show_catalog(&mut self, source: Source) {
        let repaint = crate::gui::job::repaint_of(&self.ctx);
        self.catalog = Some(Catalog::start(source, repaint));
    }

    pub(super) fn load(&mut self, source: Source) {
        // What was found is about the store being replaced.
        self.find = crate::gui::find::Find::default();
        self.catalog = None;
        self.remember_position();
        let ctx = self.ctx.clone();
        // Pointers given on the command line win; else those mapped in the Fields window.
        let mut reading = self.read.clone();
        if reading.fields == FieldPointers::default()
            && let Some(saved) = source
                .settings_key()
                .and_then(|k| self.settings.fields.get(&k))
        {
            reading.fields = saved.clone();
        }
        self.reading = reading.clone();
        self.screen = Screen::Loading(Loader::start(
            source,
            reading,
            crate::gui::job::repaint_of(&ctx),
        ));
    }

    /// Reads the store shown again with `fields`, remembered for its source, and comes back
    /// to the same stream and seq.
    pub(super) fn set_fields(&mut self, fields: FieldPointers) {
        let Screen::Ready(ready) = &self.screen else {
            return;
        };
        let source = ready.source.clone();
        if source == Source::Stdin {
            self.notices.push(
                "Standard input cannot be read again: run eventlens again with the --*-field options (such as --time-field /ts).".to_owned(),
            );
            return;
        }
        if let Some(key) = source.settings_key() {
            if fields == FieldPointers::default() {
                self.settings.fields.remove(&key);
            } else {
                self.settings.fields.insert(key, fields.clone());
            }
            self.save_now = true;
        }
        self.deep_link = Some(DeepLink {
            stream: Some(ready.view.stream().id.to_string()),
            point: Point::Seq(ready.view.cursor_seq()),
        });
        // The command line's pointers make way for the ones mapped here (a source that
        // cannot be opened again, standard input, keeps them only for this run).
        self.read.fields = if source.settings_key().is_some() {
            FieldPointers::default()
        } else {
            fields
        };
        self.windows.fields = false;
        self.load(source);
    }

    pub(super) fn open_dialog(&mut self, picking: Picking) {
        if self.dialog.is_some() {
            return;
        }
        let asked = picking.clone();
        let repaint = crate::gui::job::repaint_of(&self.ctx);
        let job = Job::spawn("dialog", 0, repaint, move |worker| {
            let chosen = match asked {
                Picking::Store => rfd::FileDialog::new()
                    .set_title("Open an event store")
                    .add_filter(
                        "Event stores",
                        &[
                            "jsonl", "ndjson", "json", "log", "txt", "gz", "zst", "sqlite", "db",
                        ],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file(),
                Picking::Projection => rfd::FileDialog::new()
                    .set_title("Choose a projection script")
                    .add_filter("JavaScript", &["js", "mjs"])
                    .pick_file(),
                Picking::Export { what, suggested } => {
                    let mut dialog = rfd::FileDialog::new()
                        .set_title(what.label())
                        .add_filter(what.extension(), &[what.extension()]);
                    if let Some(folder) = suggested.parent().filter(|p| p.is_dir()) {
                        dialog = dialog.set_directory(folder);
                    }
                    if let Some(name) = suggested.file_name() {
                        dialog = dialog.set_file_name(name.to_string_lossy());
                    }
                    dialog.save_file()
                }
            };
            worker.send(chosen);
        });
        match job {
            Ok(job) => self.dialog = Some((Instant::now(), picking, job)),
            Err(error) => self.notices.push(format!("The file dialog could not start ({error}). Type the file's path in the path field instead.")),
        }
    }

    /// Saves `what` as it is on screen to `to`, on a thread; the Export window says how it went.
    pub(super) fn export(&mut self, what: What, to: PathBuf) {
        let fold = self.projections.fold();
        let fold_name = self.projections.fold_name().to_owned();
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let export = shown(ready, &fold, &fold_name).export(what);
        let export = match export {
            Ok(export) => export,
            Err(why) => {
                self.exports.outcome = Some(Err(format!("Nothing was saved: {why}.")));
                return;
            }
        };
        // Never over what is being read: the store, and the projection script.
        let mut protected: Vec<(PathBuf, &str)> = ready
            .source
            .protected_paths()
            .into_iter()
            .map(|path| (path, "the store being read"))
            .collect();
        if let Some(script) = &self.projections.script {
            protected.push((script.clone(), "the projection script"));
        }
        let repaint = crate::gui::job::repaint_of(&self.ctx);
        self.exports.start(export, to, protected, repaint);
    }

    pub(super) fn remember_position(&mut self) {
        if let Screen::Ready(ready) = &self.screen
            && let Some(key) = ready.source.settings_key()
        {
            let position = Position {
                stream: ready.view.stream().id.to_string(),
                seq: ready.view.cursor_seq(),
            };
            self.settings.remember_position(&key, position);
        }
    }
}

/// What is on screen in `ready`, for exports: the inspector's answer when it is for the cursor
/// and `fold`, the events the list shows, the findings the Audit tab shows once all are found.
pub(super) fn shown<'a>(ready: &'a mut Ready, fold: &Fold, fold_name: &'a str) -> Shown<'a> {
    let view = &ready.view;
    let answer = ready.inspector.latest().map(AsRef::as_ref).filter(|a| {
        a.ask.fold == *fold
            && (a.ask.stream, a.ask.cursor, a.ask.pin) == (view.stream, view.cursor, view.pin)
    });
    let audit = &mut ready.audit;
    let found = ready.loading.is_none() && audit.is_complete(fold.id, view);
    let filters = ready.events.describe_filters();
    ready.events.rows_for(view);
    let searching = ready.events.is_filtering();
    Shown {
        view,
        answer,
        fold: fold_name,
        events: (!searching).then(|| ready.events.rows()),
        filters,
        findings: found.then(|| audit.panel.rows_for(view)),
    }
}

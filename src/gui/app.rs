//! The app: which screen is up (start, loading, an opened store), the commands the panels
//! pushed and the one place they are applied, background work polled each frame, and what is
//! saved across runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, Key, Modifiers, RichText, Ui};

use super::Launch;
use super::audit::Audit;
use super::command::Command;
use super::export::{Exports, Shown, What};
use super::inspect::{Ask, Fold, Inspector, StoreRef};
use super::job::{Job, Polled};
use super::loader::{Loader, Stage, Update, sample};
use super::panels::charts::Charts;
use super::panels::event_list::EventList;
use super::panels::fields::FieldsWindow;
use super::panels::inspector::inspector_ui;
use super::panels::schema::SchemaPanel;
use super::panels::start::{StartScreen, path_field_ui};
use super::panels::streams::StreamsPanel;
use super::panels::timeline::Timeline;
use super::projection::Projections;
use super::settings::{Position, Settings, Tab};
use super::view::View;
use crate::audit::Report;
use crate::finding::Finding;
use crate::gui::panels::catalog::{Catalog, READ_WHOLE_UP_TO};
use crate::replay::Point;
use crate::source::Source;
use crate::source::postgres::{DbOptions, Narrow};
use crate::store::{FieldPointers, Phase, Progress, ReadOptions, Store, parse_instant, plural};

/// A cursor that has rested this long is saved as the file's last position.
const POSITION_SAVE_DELAY: Duration = Duration::from_secs(2);
/// A dialog that returns in less than this most likely could not open at all.
const DIALOG_FAILED_WITHIN: Duration = Duration::from_millis(400);

/// An opened store with its panels.
pub struct Ready {
    pub source: Source,
    /// The load, while it goes on: indexing the rest of the file (the view shows a preview of
    /// its beginning) or checking the store.
    pub loading: Option<Loader>,
    /// The load once done, kept to follow the source as it grows (Follow, key F).
    pub live: Option<Loader>,
    /// Why the connection to a followed database is gone, while it is.
    pub lost: Option<String>,
    /// Whether `view` shows the whole store, not a preview of its beginning.
    pub complete: bool,
    /// Whether the place to open at (command line, last visit) has been gone to.
    restored: bool,
    pub view: View,
    pub inspector: Inspector,
    pub streams: StreamsPanel,
    pub events: EventList,
    pub timeline: Timeline,
    pub audit: Audit,
    pub schema: SchemaPanel,
    pub charts: Charts,
}

/// What the window shows.
pub enum Screen {
    Start,
    Loading(Loader),
    Ready(Box<Ready>),
}

/// Where to go once a store is open, from the command line.
struct DeepLink {
    stream: Option<String>,
    point: Point,
}

/// Which of the windows over the store are open.
#[derive(Debug, Default)]
struct Windows {
    projection: bool,
    export: bool,
    fields: bool,
}

/// What a native file dialog is open for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Picking {
    Store,
    Projection,
    /// Where to save an export, starting at a suggested path.
    Export {
        what: What,
        suggested: PathBuf,
    },
}

/// The eventlens window.
pub struct App {
    pub settings: Settings,
    pub screen: Screen,
    /// Messages for the user, shown until dismissed.
    pub notices: Vec<String>,
    read: ReadOptions,
    /// How a PostgreSQL store is mapped, from the command line.
    database: DbOptions,
    /// A database's streams as its server counted them, shown on the start screen to pick
    /// what to read.
    pub catalog: Option<Catalog>,
    /// A database with at most this many events is read whole without showing the catalog.
    pub read_whole_up_to: u64,
    deep_link: Option<DeepLink>,
    start: StartScreen,
    /// The path field in the top bar.
    path: String,
    dialog: Option<(Instant, Picking, Job<Option<PathBuf>>)>,
    /// The fold: merge patches or a projection script.
    pub projections: Projections,
    /// Saving what is shown to files.
    pub exports: Exports,
    /// Mapping the envelope's fields to members of the records.
    pub fields: FieldsWindow,
    /// The windows open over the store (Projection, Export, Fields).
    windows: Windows,
    /// How the store shown is read: the command line's options, or the fields mapped for it.
    reading: ReadOptions,
    cmds: Vec<Command>,
    title: String,
    ctx: egui::Context,
    /// Settings changed in a way worth saving now (a file was opened), not only at exit.
    save_now: bool,
    /// The (stream, cursor) last saved, and since when the cursor has been elsewhere.
    saved_position: Option<(u32, usize)>,
    moved_since: Option<Instant>,
}

impl App {
    /// Creates the app, restoring saved settings and starting to open the launch file.
    pub fn new(cc: &eframe::CreationContext<'_>, launch: Launch) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let mut app = Self {
            settings,
            screen: Screen::Start,
            notices: Vec::new(),
            read: launch.read.clone(),
            database: launch.database.clone(),
            catalog: None,
            read_whole_up_to: READ_WHOLE_UP_TO,
            deep_link: None,
            start: StartScreen::default(),
            path: String::new(),
            dialog: None,
            projections: Projections::default(),
            exports: Exports::default(),
            fields: FieldsWindow::default(),
            windows: Windows::default(),
            reading: launch.read.clone(),
            cmds: Vec::new(),
            title: String::new(),
            ctx: cc.egui_ctx.clone(),
            save_now: false,
            saved_position: None,
            moved_since: None,
        };
        let point = match (launch.at, &launch.at_time) {
            (Some(seq), _) => Some(Point::Seq(seq)),
            (None, Some(text)) => parse_instant(text).map(Point::Time).or_else(|| {
                app.notices.push(format!(
                    "--at-time {text} is not an RFC 3339 time; showing the end of the stream"
                ));
                None
            }),
            (None, None) => None,
        };
        if launch.stream.is_some() || point.is_some() {
            app.deep_link = Some(DeepLink {
                stream: launch.stream,
                point: point.unwrap_or(Point::End),
            });
        }
        if let Some(file) = launch.file {
            app.cmds.push(Command::OpenPath(file));
        }
        if let Some(script) = launch.projection {
            app.cmds.push(Command::LoadProjection(script));
        }
        app
    }

    /// The opened store's view, if one is open.
    pub fn view(&self) -> Option<&View> {
        match &self.screen {
            Screen::Ready(ready) => Some(&ready.view),
            _ => None,
        }
    }

    /// The opened store and its panels, if one is open.
    pub fn ready(&self) -> Option<&Ready> {
        match &self.screen {
            Screen::Ready(ready) => Some(ready),
            _ => None,
        }
    }

    /// Whether nothing is under way in the background: no load, and the inspector's answer is
    /// for what is on screen. Tests wait for this.
    pub fn is_settled(&self) -> bool {
        match &self.screen {
            Screen::Start => {
                self.dialog.is_none() && !self.catalog.as_ref().is_some_and(Catalog::is_counting)
            }
            Screen::Loading(_) => false,
            Screen::Ready(ready) => {
                ready.loading.is_none()
                    && !self.projections.is_loading()
                    && !ready.audit.is_running()
                    && !self.exports.is_saving()
                    && ready.inspector.is_current()
                    && !ready.view.playback.playing
            }
        }
    }

    /// Queues a command as if a widget had pushed it.
    pub fn push(&mut self, command: Command) {
        self.cmds.push(command);
    }

    fn poll_background(&mut self) {
        if let Some(catalog) = &mut self.catalog {
            match catalog.poll() {
                Some(Ok(events)) if events <= self.read_whole_up_to => {
                    self.cmds.push(Command::OpenNarrowed(Narrow::All));
                }
                Some(Err(why)) => {
                    self.notices.push(why);
                    self.catalog = None;
                }
                _ => {}
            }
        }
        if let Some((opened_at, picking, job)) = &mut self.dialog {
            match job.poll() {
                Polled::Sent(Some(path)) => {
                    self.cmds.push(match picking {
                        Picking::Store => Command::OpenPath(path),
                        Picking::Projection => Command::LoadProjection(path),
                        Picking::Export { what, .. } => {
                            self.exports.path = path.display().to_string();
                            Command::Export {
                                what: *what,
                                to: path,
                            }
                        }
                    });
                    self.dialog = None;
                }
                Polled::Sent(None) | Polled::Finished => {
                    if opened_at.elapsed() < DIALOG_FAILED_WITHIN {
                        let why = "The file dialog could not open (this system may have no desktop portal).";
                        match picking {
                            // Said in the window that asked, which would hide a notice.
                            Picking::Export { .. } => {
                                self.exports.outcome = Some(Err(format!(
                                    "{why} Type the path in the field above and press Save."
                                )));
                            }
                            Picking::Store => self.notices.push(format!(
                                "{why} Type the file's path in the path field instead."
                            )),
                            Picking::Projection => self.notices.push(format!(
                                "{why} Type the script's path in the Projection window instead."
                            )),
                        }
                    }
                    self.dialog = None;
                }
                Polled::Waiting => {}
            }
        }
        // A store shown is drawn at least once before the next one replaces it, so that a
        // preview is seen even when the whole store follows right behind.
        loop {
            let loader = match &mut self.screen {
                Screen::Loading(loader) => Some(loader),
                Screen::Ready(ready) => ready.loading.as_mut().or(ready.live.as_mut()),
                Screen::Start => None,
            };
            let Some(update) = loader.and_then(Loader::poll) else {
                break;
            };
            let shows = matches!(
                update,
                Update::Preview(_) | Update::Indexed(..) | Update::Grew(..)
            );
            self.update(update);
            if shows {
                self.ctx.request_repaint();
                break;
            }
        }
        if let Screen::Ready(ready) = &self.screen
            && ready.live.as_ref().is_some_and(Loader::is_following)
        {
            self.ctx.request_repaint_after(crate::source::POLL);
        }
        self.exports.poll();
        self.projections.poll(super::job::repaint_of(&self.ctx));
        if let Some(every) = self.projections.watch_interval() {
            self.ctx.request_repaint_after(every);
        }
        if let Screen::Ready(ready) = &mut self.screen {
            let repaint = super::job::repaint_of(&self.ctx);
            ready
                .audit
                .poll(&mut ready.view, &self.projections, repaint);
        }
        if let Screen::Ready(ready) = &mut self.screen {
            ready.inspector.poll();
            let fold = self.projections.fold();
            ready.view.failures = ready
                .inspector
                .latest()
                .filter(|a| a.ask.stream == ready.view.stream && a.ask.fold == fold)
                .map(|a| a.failures.clone())
                .unwrap_or_default();
        }
    }

    /// Takes in news from the load.
    fn update(&mut self, update: Update) {
        match update {
            Update::Preview(store) => self.show(&store, false),
            Update::Indexed(store, broken) => {
                self.show(&store, true);
                if let Some(broken) = broken {
                    self.notices.push(format!("{broken}."));
                }
            }
            Update::Checked(report) => {
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.view.set_report(report.clone());
                    ready.audit.set_checked(report);
                    ready.live = ready.loading.take();
                }
            }
            Update::Grew(store, findings) => {
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.grow(store, findings);
                }
            }
            Update::Restarted(store, report, why) => {
                self.notices.push(format!("{why}."));
                // Stream and event indices now name other things: nothing folded before holds.
                let inspector = self.inspector();
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.restart(store, report, inspector);
                }
            }
            Update::Stopped(why) => self.notices.push(format!("Following stopped: {why}.")),
            Update::Connection(lost) => {
                if let Screen::Ready(ready) = &mut self.screen {
                    let name = ready.source.name();
                    self.notices.push(match &lost {
                        Some(why) => format!(
                            "{why}. Looking for it again every {} ms.",
                            crate::source::POLL.as_millis()
                        ),
                        None => format!(
                            "Connected to {name} again; following goes on from the last position."
                        ),
                    });
                    ready.lost = lost;
                }
            }
            Update::Failed(error) => {
                let complete = self.ready().is_some_and(|r| r.complete);
                let source = match &mut self.screen {
                    Screen::Loading(loader) => Some(loader.source.clone()),
                    Screen::Ready(ready) => ready.loading.take().map(|l| l.source),
                    Screen::Start => None,
                };
                if let Some(source) = source {
                    self.notices.push(if complete {
                        format!("The check of {source} stopped: {error}")
                    } else {
                        format!("Could not open {source}: {error}")
                    });
                }
                if !complete {
                    self.screen = Screen::Start;
                    self.ctx
                        .send_viewport_cmd(egui::ViewportCommand::Title("eventlens".into()));
                }
            }
        }
    }

    /// Shows `store`: a preview of the store being loaded (`complete: false`), or all of it.
    /// The first store shown gets the panels; the whole store then takes the preview's place.
    fn show(&mut self, store: &Arc<Store>, complete: bool) {
        if store.streams().is_empty() {
            // A table with no rows yet (or none of the stream or category asked for): there is
            // nothing to show, and the view needs a stream.
            if complete && let Screen::Loading(loader) = &self.screen {
                self.notices.push(format!(
                    "{} has no events{}; nothing to show yet.",
                    loader.source,
                    match &loader.source {
                        Source::Database(db) if db.narrow != Narrow::All =>
                            " of the streams asked for",
                        _ => "",
                    }
                ));
                loader.cancel();
                self.screen = Screen::Start;
            }
            return;
        }
        if let Screen::Ready(ready) = &mut self.screen {
            ready.view.replace_store(store.clone());
            ready.complete = complete;
        } else {
            let Screen::Loading(loader) = std::mem::replace(&mut self.screen, Screen::Start) else {
                return;
            };
            let report = Arc::new(Report::unchecked(store));
            let inspector = self.inspector();
            self.title = format!("eventlens — {}", short_name(&loader.source.name()));
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::Title(self.title.clone()));
            match &loader.source {
                Source::Path(file) => {
                    self.settings.remember_file(file);
                    self.save_now = true;
                }
                // Remembered without its password, which comes again from the URL typed,
                // PGPASSWORD or ~/.pgpass.
                Source::Database(db) => {
                    self.settings.remember_connection(&db.name());
                    self.save_now = true;
                }
                _ => {}
            }
            self.screen = Screen::Ready(Box::new(Ready {
                source: loader.source.clone(),
                loading: Some(loader),
                live: None,
                lost: None,
                view: View::new(store.clone(), report),
                inspector,
                complete,
                restored: false,
                streams: StreamsPanel::default(),
                events: EventList::default(),
                timeline: Timeline::default(),
                audit: Audit::default(),
                schema: SchemaPanel::default(),
                charts: Charts::default(),
            }));
        }
        self.go_to_target(complete);
        if complete {
            self.say_skipped(store);
        }
    }

    fn inspector(&self) -> Inspector {
        Inspector::start(super::job::repaint_of(&self.ctx))
    }

    /// Goes where the command line or the last visit says. In a preview the place may not be
    /// there yet: then it is tried again on the whole store, and only then is a miss reported.
    fn go_to_target(&mut self, complete: bool) {
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let key = ready.source.settings_key();
        let view = &mut ready.view;
        let target = match &self.deep_link {
            Some(link) => link
                .stream
                .clone()
                .or_else(|| Some(view.stream().id.to_string()))
                .map(|s| (s, link.point)),
            None if !ready.restored => key
                .and_then(|key| self.settings.position(&key))
                .map(|p| (p.stream.clone(), Point::Seq(p.seq))),
            None => None,
        };
        let Some((stream, point)) = target else {
            return;
        };
        match view.go_to(&stream, point) {
            // The end of a stream in a preview is not its end: go there again once all of it
            // is indexed.
            Ok(()) if !complete && point == Point::End => {}
            Ok(()) => {
                self.deep_link = None;
                ready.restored = true;
            }
            Err(why) if complete => {
                self.deep_link = None;
                ready.restored = true;
                self.notices
                    .push(format!("Could not go to {stream} at {point}: {why}"));
            }
            Err(_) => {}
        }
    }

    /// Says how many records could not be read, once the whole store is indexed.
    fn say_skipped(&mut self, store: &Store) {
        let skipped = store.skipped();
        if skipped > 0 {
            let detail = store
                .first_unreadable()
                .map(|p| format!(" The first, at {}: {}", p.place(), p.message))
                .unwrap_or_default();
            self.notices.push(format!(
                "{skipped} record{} of {} could not be read and were skipped.{detail}",
                plural(skipped),
                store.name()
            ));
        }
    }

    /// Applies queued commands: the one place where the model changes.
    fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.cmds) {
            match command {
                Command::OpenDialog => self.open_dialog(Picking::Store),
                Command::PickProjection => self.open_dialog(Picking::Projection),
                Command::ShowProjection(shown) => self.windows.projection = shown,
                Command::ShowExport(shown) => self.windows.export = shown,
                Command::ShowFields(shown) => self.windows.fields = shown,
                Command::SetFields(fields) => self.set_fields(fields),
                Command::PickExportPath { what, suggested } => {
                    self.open_dialog(Picking::Export { what, suggested });
                }
                Command::Export { what, to } => self.export(what, to),
                Command::LoadProjection(path) => {
                    let repaint = super::job::repaint_of(&self.ctx);
                    self.projections.load(&path, repaint);
                }
                Command::UseProjection(on) => {
                    self.projections.enabled = on && self.projections.loaded.is_some();
                }
                Command::OpenPath(path) => self.open_path(&path),
                Command::OpenNarrowed(narrow) => {
                    if let Some(catalog) = self.catalog.take() {
                        self.load(catalog.source.narrowed(narrow));
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

    /// Schedules saving the position once the cursor has rested for a moment.
    fn note_position(&mut self, position: (u32, usize)) {
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

    /// Opens what the user named: a path, `-`, or a `postgres://` URL (mapped as the command
    /// line said).
    fn open_path(&mut self, path: &Path) {
        let source = match Source::from_arg(path.as_os_str(), &self.database) {
            Ok(Source::Path(path)) => Source::Path(std::fs::canonicalize(&path).unwrap_or(path)),
            Ok(other) => other,
            Err(why) => {
                self.notices.push(why);
                return;
            }
        };
        if matches!(source, Source::Database(_)) {
            self.open_database(source);
        } else {
            self.load(source);
        }
    }

    /// Opens a database: at the stream the command line names, else through its catalog (read
    /// whole at once if small).
    fn open_database(&mut self, source: Source) {
        if let Some(stream) = self.deep_link.as_ref().and_then(|d| d.stream.clone()) {
            self.load(source.narrowed(Narrow::Stream(stream)));
            return;
        }
        self.remember_position();
        self.screen = Screen::Start;
        self.show_catalog(source);
    }

    fn show_catalog(&mut self, source: Source) {
        let repaint = super::job::repaint_of(&self.ctx);
        self.catalog = Some(Catalog::start(source, repaint));
    }

    fn load(&mut self, source: Source) {
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
        self.screen = Screen::Loading(Loader::start(source, reading, super::job::repaint_of(&ctx)));
    }

    /// Reads the store shown again with `fields`, remembered for its source, and comes back
    /// to the same stream and seq.
    fn set_fields(&mut self, fields: FieldPointers) {
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

    fn open_dialog(&mut self, picking: Picking) {
        if self.dialog.is_some() {
            return;
        }
        let asked = picking.clone();
        let repaint = super::job::repaint_of(&self.ctx);
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
    fn export(&mut self, what: What, to: PathBuf) {
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
        let repaint = super::job::repaint_of(&self.ctx);
        self.exports.start(export, to, protected, repaint);
    }

    fn remember_position(&mut self) {
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

    /// Starts (and takes in) the store-wide work the tab shown needs: drawing only shows it.
    fn start_store_jobs(&mut self) {
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let repaint = super::job::repaint_of(&self.ctx);
        match self.settings.tab {
            Tab::Charts => ready.charts.count_store(&ready.view.store, repaint),
            Tab::Schema if ready.complete => ready.schema.build(&ready.view.store, repaint),
            _ => {}
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::O)) {
            self.cmds.push(Command::OpenDialog);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.cmds.push(Command::OpenPath(path));
        }
        if !matches!(self.screen, Screen::Ready(_)) || ctx.egui_wants_keyboard_input() {
            return;
        }
        let keys = [
            (Key::ArrowLeft, Command::StepBack),
            (Key::ArrowRight, Command::StepForward),
            (Key::Home, Command::First),
            (Key::End, Command::Last),
            (Key::Space, Command::TogglePlay),
            (Key::F, Command::ToggleFollow),
        ];
        for (key, command) in keys {
            if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key)) {
                self.cmds.push(command);
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut Ui) {
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong("eventlens");
                if ui.button("Open… (Ctrl+O)").clicked() {
                    self.cmds.push(Command::OpenDialog);
                }
                if ui.button("Open sample").clicked() {
                    self.cmds.push(Command::OpenSample);
                }
                if let Screen::Ready(ready) = &self.screen {
                    if ui.button("Close").clicked() {
                        self.cmds.push(Command::CloseStore);
                    }
                    if matches!(ready.source, Source::Database(_))
                        && ui
                            .button("Streams…")
                            .on_hover_text("The database's streams, counted by the server: pick another stream or category to read")
                            .clicked()
                    {
                        self.cmds.push(Command::ShowCatalog);
                    }
                    let button = ui
                        .button(format!("Projection… (fold: {})", self.projections.fold_name()))
                        .on_hover_text("Fold the streams with a JavaScript projection (KurrentDB syntax) instead of merge patches");
                    if button.clicked() {
                        self.cmds
                            .push(Command::ShowProjection(!self.windows.projection));
                    }
                    let button = ui
                        .button("Export…")
                        .on_hover_text("Save the state, a diff, the events listed or the findings to a file");
                    if button.clicked() {
                        self.cmds.push(Command::ShowExport(!self.windows.export));
                    }
                    let button = ui
                        .button("Fields…")
                        .on_hover_text("Choose which member of the records is each field of an event (stream, seq, type, time, id, data, meta)");
                    if button.clicked() {
                        self.cmds.push(Command::ShowFields(!self.windows.fields));
                    }
                    follow_button_ui(ui, ready, &mut self.cmds);
                    ui.separator();
                    let store = &ready.view.store;
                    // A database says which preset read it ("preset marten").
                    let described = store.detection().describe();
                    let preset = described
                        .split_once(':')
                        .map(|(preset, _)| preset)
                        .filter(|p| p.starts_with("preset "))
                        .map_or_else(String::new, |p| format!(" ({p})"));
                    ui.label(format!(
                        "{}{preset} · {} events in {} streams",
                        short_name(store.name()),
                        store.events().len(),
                        store.streams().len()
                    ))
                    .on_hover_text(format!("{}\n{}", store.name(), store.detection().describe()));
                    let errors = ready.view.report.count(crate::audit::Severity::Error);
                    let warnings = ready.view.report.count(crate::audit::Severity::Warning);
                    if errors + warnings > 0 {
                        ui.colored_label(
                            Color32::from_rgb(230, 90, 70),
                            format!(
                                "check: {errors} error{}, {warnings} warning{}",
                                plural(errors),
                                plural(warnings)
                            ),
                        );
                    }
                    ui.separator();
                    path_field_ui(ui, &mut self.path, &mut self.cmds);
                }
            });
            if let Screen::Ready(ready) = &self.screen
                && ready.loading.is_some()
            {
                ui.horizontal(|ui| Self::load_status_ui(ui, ready, &mut self.cmds));
            }
            for (index, notice) in self.notices.iter().enumerate() {
                egui::Frame::group(ui.style())
                    .fill(Color32::from_rgb(90, 50, 30))
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(notice).color(Color32::WHITE));
                            if ui.small_button("Dismiss").clicked() {
                                self.cmds.push(Command::DismissNotice(index));
                            }
                        });
                    });
            }
        });
    }

    fn loading_ui(ui: &mut Ui, loader: &Loader, cmds: &mut Vec<Command>) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(80.0);
                ui.heading(format!("Opening {}", loader.source));
                let (progress, stage) = loader.progress();
                let (phase, fraction) = progress_of(progress, stage);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(420.0)
                        .show_percentage(),
                );
                let mb = |b: u64| b as f64 / 1_048_576.0;
                let seconds = loader.started.elapsed().as_secs_f32();
                ui.label(if progress.phase == Phase::Rows {
                    format!(
                        "{phase}: {} of {} · {} events · {seconds:.1} s",
                        progress.bytes_done, progress.bytes_total, progress.events
                    )
                } else {
                    format!(
                        "{phase}: {:.1} of {:.1} MB · {} events · {seconds:.1} s",
                        mb(progress.bytes_done),
                        mb(progress.bytes_total),
                        progress.events
                    )
                });
                if ui.button("Cancel (Esc)").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                    cmds.push(Command::CancelLoad);
                }
            });
        });
    }

    /// While the load goes on behind an opened store: how far indexing is (the store shown is
    /// its beginning), or that the check runs.
    fn load_status_ui(ui: &mut Ui, ready: &Ready, cmds: &mut Vec<Command>) {
        let Some(loader) = &ready.loading else {
            return;
        };
        let (progress, stage) = loader.progress();
        if stage == Stage::Checking || ready.complete {
            ui.weak("checking the log…");
            return;
        }
        let (_, fraction) = progress_of(progress, stage);
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(160.0)
                .show_percentage(),
        );
        ui.label(format!(
            "indexing: {} events so far · showing the first {}",
            progress.events,
            ready.view.store.events().len()
        ));
        if ui.button("Cancel (Esc)").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
            cmds.push(Command::CancelLoad);
        }
    }

    fn ready_ui(ui: &mut Ui, ready: &mut Ready, settings: &mut Settings, cmds: &mut Vec<Command>) {
        egui::Panel::bottom("timeline").show(ui, |ui| {
            ui.add_space(4.0);
            ready.timeline.ui(ui, &ready.view, &mut settings.axis, cmds);
            ui.add_space(4.0);
        });
        egui::Panel::left("streams")
            .resizable(true)
            .default_size(240.0)
            .show(ui, |ui| {
                ready.streams.ui(ui, &ready.view, cmds);
            });
        let width = ui.available_width();
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(width * 0.42)
            .show(ui, |ui| {
                let answer = ready.inspector.latest().map(AsRef::as_ref);
                let view = &ready.view;
                let audit = &mut ready.audit;
                let schema = &mut ready.schema;
                let charts = &mut ready.charts;
                let complete = ready.complete;
                inspector_ui(
                    ui,
                    view,
                    answer,
                    ready.inspector.is_current(),
                    &mut settings.tab,
                    cmds,
                    &mut |ui, tab, cmds| match tab {
                        Tab::Audit => {
                            if audit.is_running() {
                                ui.horizontal(|ui| {
                                    ui.spinner();
                                    ui.label("running the projection over every stream it reads…");
                                });
                            }
                            audit.panel.ui(ui, view, cmds);
                        }
                        Tab::Charts => charts.ui(ui, view, answer),
                        Tab::Schema => schema.ui(ui, view, complete, cmds),
                        _ => {}
                    },
                );
            });
        egui::CentralPanel::default().show(ui, |ui| {
            ready.events.ui(ui, &ready.view, cmds);
        });
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.poll_background();
        self.start_store_jobs();
        if std::mem::take(&mut self.save_now)
            && let Some(storage) = frame.storage_mut()
        {
            self.save(storage);
            storage.flush();
        }
        if let Screen::Ready(ready) = &mut self.screen {
            let dt_s = ctx.input(|i| i.stable_dt).min(0.1);
            if ready.view.tick(dt_s) {
                ctx.request_repaint();
            }
        }
        self.apply_commands();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.shortcuts(&ctx);
        self.top_bar_ui(ui);
        match &mut self.screen {
            Screen::Start => {
                egui::CentralPanel::default().show(ui, |ui| match &mut self.catalog {
                    Some(catalog) => catalog.ui(ui, &mut self.cmds),
                    None => self.start.ui(ui, &self.settings, &mut self.cmds),
                });
            }
            Screen::Loading(loader) => Self::loading_ui(ui, loader, &mut self.cmds),
            Screen::Ready(ready) => Self::ready_ui(ui, ready, &mut self.settings, &mut self.cmds),
        }
        if self.windows.projection {
            let failed = self.view().map_or(0, |v| v.failures.len());
            super::panels::projection::window_ui(
                &ctx,
                &mut self.projections,
                failed,
                &mut self.cmds,
            );
        }
        if self.windows.fields
            && let Screen::Ready(ready) = &self.screen
        {
            self.fields
                .window_ui(&ctx, &ready.view, &self.reading.fields, &mut self.cmds);
        }
        if self.windows.export
            && let Screen::Ready(ready) = &mut self.screen
        {
            let fold = self.projections.fold();
            let offers = shown(ready, &fold, self.projections.fold_name()).offers();
            let folder = match ready.source.path() {
                Some(path) => path.parent().map(Path::to_owned),
                None => std::env::current_dir().ok(),
            }
            .unwrap_or_default();
            super::panels::export::window_ui(
                &ctx,
                &mut self.exports,
                &offers,
                &folder,
                &mut self.cmds,
            );
        }
        self.apply_commands();
    }

    /// Positions are saved every few seconds, so that a killed window loses little.
    fn auto_save_interval(&self) -> Duration {
        Duration::from_secs(5)
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.remember_position();
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// What is on screen in `ready`, for exports: the inspector's answer when it is for the cursor
/// and `fold`, the events the list shows, the findings the Audit tab shows once all are found.
fn shown<'a>(ready: &'a mut Ready, fold: &Fold, fold_name: &'a str) -> Shown<'a> {
    let view = &ready.view;
    let answer = ready.inspector.latest().map(AsRef::as_ref).filter(|a| {
        a.ask.fold == *fold
            && (a.ask.stream, a.ask.cursor, a.ask.pin) == (view.stream, view.cursor, view.pin)
    });
    let audit = &mut ready.audit;
    let found = ready.loading.is_none() && audit.is_complete(fold.id, view);
    let filters = ready.events.describe_filters();
    Shown {
        view,
        answer,
        fold: fold_name,
        events: ready.events.rows_for(view),
        filters,
        findings: found.then(|| audit.panel.rows_for(view)),
    }
}

/// The Follow toggle: read new events as they are appended (key F), with what it is doing.
fn follow_button_ui(ui: &mut Ui, ready: &Ready, cmds: &mut Vec<Command>) {
    let following = ready.is_following();
    let lost = ready.lost.as_deref().filter(|_| following);
    let label = if lost.is_some() {
        "● Following: reconnecting… (F)"
    } else if following {
        "● Following (F)"
    } else {
        "Follow (F)"
    };
    let reconnecting;
    let hover = if let Some(why) = lost {
        reconnecting =
            format!("{why}. Nothing is lost: the events appended meanwhile come once it is back.");
        reconnecting.as_str()
    } else if following {
        "New events are read as they are appended; a cursor on a stream's last event moves with it. Click or press F to stop."
    } else {
        "Read new events as they are appended to the source (F); a cursor on a stream's last event moves with it"
    };
    let button = ui.selectable_label(following, label).on_hover_text(hover);
    if button.clicked() {
        cmds.push(Command::ToggleFollow);
    }
}

/// The last part of a store's name: a file's name without its folder.
fn short_name(name: &str) -> String {
    Path::new(name)
        .file_name()
        .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned())
}

impl Ready {
    /// Takes in the grown store and the findings about what is new.
    fn grow(&mut self, store: Arc<Store>, findings: Vec<Finding>) {
        // The view shows the grown check at once; the Audit adds the projection's findings
        // about the streams that grew once it has folded them.
        let mut report = (*self.view.report).clone();
        report.events = store.events().len();
        report.streams = store.streams().len();
        report.findings.extend(findings.iter().cloned());
        self.audit.grow(&store, findings);
        self.view.grow(store, Arc::new(report));
    }

    /// Shows the store read again from the start of its source, on the stream it was on.
    fn restart(&mut self, store: Arc<Store>, report: Arc<Report>, inspector: Inspector) {
        self.inspector = inspector;
        let (stream, seq) = (self.view.stream().id.to_string(), self.view.cursor_seq());
        let mut view = View::new(store, report.clone());
        if view.go_to(&stream, Point::Seq(seq)).is_err() {
            let _ = view.go_to(&stream, Point::End);
        }
        view.playback = self.view.playback.clone();
        self.view = view;
        self.audit.set_checked(report);
    }

    /// Starts or stops following the source.
    fn toggle_follow(&mut self, notices: &mut Vec<String>) {
        match &mut self.live {
            Some(live) => {
                let on = !live.is_following();
                live.set_follow(on);
            }
            None if self.loading.is_some() => {
                notices.push("Follow starts once the store is read and checked.".to_owned());
            }
            None => notices.push(format!("{} cannot be followed.", self.source)),
        }
    }

    /// Whether the source is being followed.
    pub fn is_following(&self) -> bool {
        self.live.as_ref().is_some_and(Loader::is_following)
    }
}

/// What a load is doing, and how much of it is done (0–1), for a progress bar.
fn progress_of(progress: Progress, stage: Stage) -> (&'static str, f32) {
    let fraction = if progress.bytes_total > 0 {
        progress.bytes_done as f32 / progress.bytes_total as f32
    } else {
        0.0
    };
    match (stage, progress.phase) {
        (Stage::Checking | Stage::Done, _) => ("Checking the log", 1.0),
        (Stage::Indexing, Phase::Reading) => ("Reading", fraction),
        (Stage::Indexing, Phase::Indexing) => ("Indexing", fraction),
        (Stage::Indexing, Phase::Rows) => ("Reading rows", fraction),
    }
}

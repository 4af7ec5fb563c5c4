//! The app: which screen is up (start, loading, an opened store), the commands the panels
//! pushed and the one place they are applied, background work polled each frame, and what is
//! saved across runs.

mod background;
mod chrome;
mod commands;
mod read_model;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;

use super::Launch;
use super::audit::Audit;
use super::command::Command;
use super::export::{Exports, What};
use super::find::Find;
use super::inspect::Inspector;
use super::job::Job;
use super::loader::Loader;
use super::panels::event_list::EventList;
use super::panels::fields::FieldsWindow;
use super::panels::start::StartScreen;
use super::panels::streams::StreamsPanel;
use super::panels::tabs::charts::Charts;
use super::panels::tabs::schema::SchemaPanel;
use super::panels::tabs::trace::TracePanel;
use super::panels::timeline::Timeline;
use super::projection::Projections;
use super::read_model::{ReadModel, SharedFolds};
use super::settings::Settings;
use super::view::View;
use crate::audit::Report;
use crate::finding::Finding;
use crate::gui::panels::catalog::{Catalog, READ_WHOLE_UP_TO};
use crate::replay::Point;
use crate::source::Source;
use crate::source::postgres::DbOptions;
use crate::store::{ReadOptions, Store, parse_instant};
use chrome::short_name;
use commands::shown;

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
    pub trace: TracePanel,
    /// The store-wide fold, shared by the inspector and the Read model view.
    pub folds: SharedFolds,
    /// The Read model view, once shown for this store; `read_model_shown` says whether it is
    /// shown now (instead of the stream's events).
    pub read_model: Option<ReadModel>,
    pub read_model_shown: bool,
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

/// Which of the windows over the store are open: each opens and closes on its own, so they
/// are flags, not one state.
#[derive(Debug, Default)]
#[allow(clippy::struct_excessive_bools)]
struct Windows {
    projection: bool,
    export: bool,
    fields: bool,
    find: bool,
    shortcuts: bool,
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
    /// How a Kafka topic is read, from the command line.
    kafka: crate::source::kafka::KafkaOptions,
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
    /// Searching every event of the store.
    pub find: Find,
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
        super::fonts::install(&cc.egui_ctx);
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
            kafka: launch.kafka.clone(),
            catalog: None,
            read_whole_up_to: READ_WHOLE_UP_TO,
            deep_link: None,
            start: StartScreen::default(),
            path: String::new(),
            dialog: None,
            projections: Projections::default(),
            exports: Exports::default(),
            fields: FieldsWindow::default(),
            find: Find::default(),
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
                    && !self.find.is_searching()
                    && !ready.events.is_filtering()
                    && !ready.timeline.is_placing()
                    && !ready.trace.is_finding()
                    && ready.inspector.is_current()
                    && !ready.view.playback.playing
                    && ready
                        .read_model
                        .as_ref()
                        .is_none_or(|m| !ready.read_model_shown || m.is_settled())
            }
        }
    }

    /// Queues a command as if a widget had pushed it.
    pub fn push(&mut self, command: Command) {
        self.cmds.push(command);
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
        if self.windows.shortcuts {
            self.windows.shortcuts = super::keys::sheet_ui(&ctx);
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
        if self.windows.find
            && let Screen::Ready(ready) = &self.screen
        {
            self.windows.find = super::panels::find::window_ui(
                &ctx,
                &mut self.find,
                &ready.view.store,
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

impl Ready {
    /// Takes in the grown store and the findings about what is new.
    pub(super) fn grow(&mut self, store: Arc<Store>, findings: Vec<Finding>) {
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
    pub(super) fn restart(&mut self, store: Arc<Store>, report: Arc<Report>, inspector: Inspector) {
        self.inspector = inspector;
        self.read_model = None;
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
    pub(super) fn toggle_follow(&mut self, notices: &mut Vec<String>) {
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

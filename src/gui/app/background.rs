//! Background work taken in each frame: the load's updates, the inspector's answers, the
//! store-wide jobs a tab needs, and where to go once a store is open.

use std::sync::Arc;

use super::{App, DIALOG_FAILED_WITHIN, Picking, Ready, Screen, short_name};
use crate::audit::Report;
use crate::gui::audit::Audit;
use crate::gui::command::Command;
use crate::gui::inspect::Inspector;
use crate::gui::job::Polled;
use crate::gui::loader::{Loader, Update};
use crate::gui::panels::event_list::EventList;
use crate::gui::panels::streams::StreamsPanel;
use crate::gui::panels::tabs::charts::Charts;
use crate::gui::panels::tabs::schema::SchemaPanel;
use crate::gui::panels::tabs::trace::TracePanel;
use crate::gui::panels::timeline::Timeline;
use crate::gui::read_model::SharedFolds;
use crate::gui::settings::Tab;
use crate::gui::view::View;
use crate::replay::Point;
use crate::source::Source;
use crate::source::postgres::Narrow;
use crate::store::{Store, plural};

impl App {
    /// Takes in what the background work has sent: the catalog, a dialog, the load, exports,
    /// the projection, the audit and the inspector.
    pub(super) fn poll_background(&mut self) {
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
        self.take_dialog();
        // A store shown is drawn at least once before the next one replaces it, so that a
        // preview is seen even when the whole store follows right behind.
        self.take_loads();
        if let Screen::Ready(ready) = &self.screen
            && ready.live.as_ref().is_some_and(Loader::is_following)
        {
            self.ctx.request_repaint_after(crate::source::POLL);
        }
        self.exports.poll();
        self.find.poll();
        self.projections
            .poll(crate::gui::job::repaint_of(&self.ctx));
        if let Some(every) = self.projections.watch_interval() {
            self.ctx.request_repaint_after(every);
        }
        if let Screen::Ready(ready) = &mut self.screen {
            let repaint = crate::gui::job::repaint_of(&self.ctx);
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

    /// Takes in what a file dialog chose, or says that it could not open.
    fn take_dialog(&mut self) {
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
    }

    /// Takes in the load's news, up to the next store to show.
    fn take_loads(&mut self) {
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
    }

    /// Takes in news from the load.
    ///
    /// Long for a reason: one arm per kind of news a load sends, each short.
    pub(super) fn update(&mut self, update: Update) {
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
                let folds = SharedFolds::default();
                let inspector = self.inspector(folds.clone());
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.folds = folds;
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
    ///
    /// Long for a reason: the one place a loading screen becomes an opened store, with everything the store's panels start with.
    pub(super) fn show(&mut self, store: &Arc<Store>, complete: bool) {
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
            let folds = SharedFolds::default();
            let inspector = self.inspector(folds.clone());
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
                Source::Kafka(topic) => {
                    self.settings.remember_connection(&topic.name());
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
                trace: TracePanel::default(),
                folds,
                read_model: None,
                read_model_shown: false,
            }));
        }
        self.go_to_target(complete);
        if complete {
            self.say_skipped(store);
        }
    }

    pub(super) fn inspector(&self, folds: SharedFolds) -> Inspector {
        crate::gui::inspect::start(crate::gui::job::repaint_of(&self.ctx), folds)
    }

    /// Goes where the command line or the last visit says. In a preview the place may not be
    /// there yet: then it is tried again on the whole store, and only then is a miss reported.
    pub(super) fn go_to_target(&mut self, complete: bool) {
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
    pub(super) fn say_skipped(&mut self, store: &Store) {
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

    /// Starts (and takes in) the store-wide work the tab (and the Read model view) shown needs:
    /// drawing only shows it.
    pub(super) fn start_store_jobs(&mut self) {
        self.refresh_read_model();
        let Screen::Ready(ready) = &mut self.screen else {
            return;
        };
        let repaint = crate::gui::job::repaint_of(&self.ctx);
        if self.settings.tab != Tab::Trace {
            ready.view.trace_marks.clear();
        }
        match self.settings.tab {
            Tab::Charts => ready.charts.count_store(&ready.view.store, repaint),
            Tab::Schema if ready.complete => ready.schema.build(&ready.view.store, repaint),
            Tab::Trace => {
                let view = &ready.view;
                let here = view.stream().events[view.cursor];
                let fold = (self.projections.fold(), ready.folds.clone());
                ready.trace.follow(&view.store, here, fold, repaint);
                ready.view.trace_marks = ready.trace.marks(&ready.view.store, ready.view.stream);
            }
            _ => {}
        }
    }
}

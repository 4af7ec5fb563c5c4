//! A database's streams before any of its events are read: the server counts them (one
//! aggregate query, on a background thread), and picking a stream or a category reads only
//! those rows. A store small enough is read whole at once instead.

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use crate::gui::command::Command;
use crate::gui::job::{Job, Polled, Repaint};
use crate::source::Source;
use crate::source::postgres::{self, Narrow};
use crate::store::StreamSummary;
use crate::store::plural;

/// A database read whole without asking, up to this many events.
pub const READ_WHOLE_UP_TO: u64 = 200_000;

/// The streams of a database, being counted or counted.
pub struct Catalog {
    /// The database, not narrowed.
    pub source: Source,
    job: Option<Result<Job<Result<Counted, String>>, String>>,
    counted: Option<Counted>,
    pub filter: String,
    /// Stream rows matching the filter, for `cached_for`.
    rows: Vec<usize>,
    cached_for: Option<String>,
}

/// What the server counted.
struct Counted {
    what: String,
    streams: Vec<StreamSummary>,
    events: u64,
    /// Events per category, by name.
    categories: BTreeMap<String, (u64, usize)>,
}

impl Catalog {
    /// Starts counting the streams of `source` (a database) on a background thread.
    pub fn start(source: Source, repaint: Repaint) -> Self {
        let job_source = source.clone();
        let job = Job::spawn("catalog", 0, repaint, move |worker| {
            worker.send(match &job_source {
                Source::Database(db) => postgres::summaries(db)
                    .map(|(what, streams)| Counted::new(what, streams))
                    .map_err(|e| e.to_string()),
                other => Err(format!("{other} is not a database")),
            });
        });
        Self {
            source,
            job: Some(job),
            counted: None,
            filter: String::new(),
            rows: Vec::new(),
            cached_for: None,
        }
    }

    /// Takes in the count once it is there. `Some(Ok(events))` the moment it comes (the caller
    /// reads a small store whole), `Some(Err)` if it failed.
    pub fn poll(&mut self) -> Option<Result<u64, String>> {
        let job = match self.job.as_mut()? {
            Ok(job) => job,
            Err(why) => {
                let why = format!("could not count the streams: {why}");
                self.job = None;
                return Some(Err(why));
            }
        };
        match job.poll() {
            Polled::Sent(Ok(counted)) => {
                let events = counted.events;
                self.counted = Some(counted);
                self.job = None;
                Some(Ok(events))
            }
            Polled::Sent(Err(why)) => {
                self.job = None;
                Some(Err(why))
            }
            Polled::Waiting => None,
            Polled::Finished => {
                self.job = None;
                Some(Err("counting the streams stopped unexpectedly".into()))
            }
        }
    }

    /// Whether the count is still coming.
    pub fn is_counting(&self) -> bool {
        self.job.is_some()
    }

    /// Draws the catalog: the store, its categories, its streams (filtered), each a link.
    ///
    /// Long for a reason: one screen laid out top to bottom (store, categories, filter, streams), each part a few widgets.
    pub fn ui(&mut self, ui: &mut Ui, cmds: &mut Vec<Command>) {
        ui.heading(self.source.name());
        let Some(counted) = &self.counted else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Counting the streams on the server…");
            });
            return;
        };
        ui.label(format!(
            "{} · {} events in {} stream{}, counted by the server; nothing is read until you pick.",
            counted.what,
            counted.events,
            counted.streams.len(),
            plural(counted.streams.len())
        ));
        ui.horizontal(|ui| {
            if ui
                .button(format!("Read the whole store ({} events)", counted.events))
                .clicked()
            {
                cmds.push(Command::OpenNarrowed(Narrow::All));
            }
            if ui.button("Close").clicked() {
                cmds.push(Command::CloseStore);
            }
        });
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.strong("Categories:");
            for (name, (events, streams)) in &counted.categories {
                let link = ui
                    .link(format!("{name} ({events} events, {streams} streams)"))
                    .on_hover_text("Read the events of every stream of this category");
                if link.clicked() {
                    cmds.push(Command::OpenNarrowed(Narrow::Category(name.clone())));
                }
            }
        });
        ui.add_space(6.0);
        let filter = ui.add(
            egui::TextEdit::singleline(&mut self.filter)
                .hint_text("Filter streams")
                .desired_width(320.0),
        );
        super::name_widget(&filter, egui::Role::TextInput, "Filter database streams");
        self.refresh();
        let Some(counted) = &self.counted else {
            return;
        };
        if filter.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let Some(&first) = self.rows.first()
        {
            cmds.push(Command::OpenNarrowed(Narrow::Stream(
                counted.streams[first].stream.clone(),
            )));
        }
        if self.rows.is_empty() {
            ui.weak(format!("No stream's id contains \"{}\".", self.filter));
            return;
        }
        ui.separator();
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::vertical().auto_shrink(false).show_rows(
            ui,
            row_height,
            self.rows.len(),
            |ui, range| {
                egui::Grid::new("catalog-streams")
                    .num_columns(4)
                    .striped(true)
                    .show(ui, |ui| {
                        for &row in &self.rows[range] {
                            let summary = &counted.streams[row];
                            if ui.link(&summary.stream).clicked() {
                                cmds.push(Command::OpenNarrowed(Narrow::Stream(
                                    summary.stream.clone(),
                                )));
                            }
                            ui.label(format!("{} events", summary.events));
                            ui.label(
                                RichText::new(format!(
                                    "{} – {}",
                                    summary.first_time.as_deref().unwrap_or("-"),
                                    summary.last_time.as_deref().unwrap_or("-")
                                ))
                                .weak(),
                            );
                            let types: Vec<String> = summary
                                .types
                                .iter()
                                .map(|(name, count)| format!("{name} {count}"))
                                .collect();
                            ui.label(RichText::new(types.join(", ")).weak());
                            ui.end_row();
                        }
                    });
            },
        );
    }

    fn refresh(&mut self) {
        let Some(counted) = &self.counted else {
            return;
        };
        if self.cached_for.as_deref() == Some(self.filter.as_str()) {
            return;
        }
        let wanted = self.filter.to_lowercase();
        self.rows = counted
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| wanted.is_empty() || s.stream.to_lowercase().contains(&wanted))
            .map(|(i, _)| i)
            .collect();
        self.cached_for = Some(self.filter.clone());
    }
}

impl Counted {
    fn new(what: String, streams: Vec<StreamSummary>) -> Self {
        let mut categories: BTreeMap<String, (u64, usize)> = BTreeMap::new();
        for summary in &streams {
            let entry = categories
                .entry(postgres::category(&summary.stream).to_owned())
                .or_default();
            entry.0 += summary.events;
            entry.1 += 1;
        }
        Self {
            what,
            events: streams.iter().map(|s| s.events).sum(),
            streams,
            categories,
        }
    }
}

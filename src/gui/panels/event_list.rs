//! The event list: a virtualized table (seq, time, type, payload preview) of the selected
//! stream, filtered by type and by text in the payload. Events after the cursor are dimmed;
//! clicking a row moves the cursor there. A long stream is filtered on a background job, so
//! that typing in the search never waits for a million payloads.

use std::collections::BTreeSet;
use std::sync::Arc;

use egui::{Align, Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use rayon::prelude::*;

use crate::gui::command::Command;
use crate::gui::job::{Job, Repaint, repaint_of};
use crate::gui::keys::List;
use crate::gui::view::View;
use crate::store::Store;

/// The color of events after the cursor.
const DIMMED: Color32 = Color32::from_gray(105);
/// Characters of payload shown in the preview column.
const PREVIEW_CHARS: usize = 120;
/// Streams of up to this many events are filtered within the frame (a few milliseconds at
/// most); longer ones on a background job. A hot stream's million payloads took 50–90 ms a key
/// on the UI thread (`cargo bench --bench frames`).
const FILTER_IN_FRAME: usize = 50_000;
/// Events a background filter goes through between two chances to stop.
const BATCH: usize = 131_072;

/// The list's view state.
pub struct EventList {
    /// Types shown; empty shows all.
    pub types: BTreeSet<String>,
    /// Text the payload must contain.
    pub text: String,
    /// Indices (in the stream) of the rows shown, for `shown_for`: 32 bits, like an event's
    /// index in the store (a hot stream's million rows are 4 MB).
    rows: Vec<u32>,
    shown_for: Option<Filters>,
    /// The rows for the filters as they are now, being found on a background job (a long
    /// stream's), and the filters they are for.
    filtering: Option<(Filters, FilterJob)>,
    /// Streams longer than this are filtered on a background job.
    in_frame: usize,
    /// Wakes the window when a background filter is done; from the first frame drawn.
    repaint: Option<Repaint>,
    /// The stream's type names, for (store, stream) = `types_for`.
    stream_types: Vec<String>,
    types_for: Option<(usize, u32)>,
    /// The cursor the table last scrolled to.
    scrolled_to: Option<(u32, usize)>,
    /// Rows drawn in the last frame: a page for Page Up/Down.
    page: usize,
}

/// A background filter: the rows it found; its progress, events gone through of how many.
type FilterJob = Job<Vec<u32>, (usize, usize)>;

impl Default for EventList {
    fn default() -> Self {
        Self::filtering_in_frame_up_to(FILTER_IN_FRAME)
    }
}

/// What a list of rows is for: the store (by address), the stream and the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filters {
    store: usize,
    stream: u32,
    types: BTreeSet<String>,
    text: String,
    /// The stream's id and length then.
    id: Arc<str>,
    len: usize,
}

impl Filters {
    fn is(&self, view: &View, types: &BTreeSet<String>, text: &str) -> bool {
        (self.store, self.stream) == (Arc::as_ptr(&view.store) as usize, view.stream)
            && self.types == *types
            && self.text == text
    }

    /// Whether rows for these filters are rows of the stream `view` shows: the same stream,
    /// or the same stream grown (a followed source), whose first events are the ones they
    /// were.
    fn is_stream_of(&self, view: &View) -> bool {
        let stream = view.stream();
        stream.id == self.id && stream.events.len() >= self.len
    }
}

impl EventList {
    /// A list that filters streams of up to `events` events within the frame, and longer ones
    /// on a background job (tests use 0 to take the job's way on small stores).
    pub fn filtering_in_frame_up_to(events: usize) -> Self {
        Self {
            types: BTreeSet::new(),
            text: String::new(),
            rows: Vec::new(),
            shown_for: None,
            filtering: None,
            in_frame: events,
            repaint: None,
            stream_types: Vec::new(),
            types_for: None,
            scrolled_to: None,
            page: 0,
        }
    }

    /// Draws the filters and the table.
    ///
    /// Long for a reason: the filters and the virtualized table, which share the rows they cache.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        if self.repaint.is_none() {
            self.repaint = Some(repaint_of(ui.ctx()));
        }
        // Before the filters are drawn (they count the rows), and after (they may change).
        self.refresh(view);
        self.filters_ui(ui, view);
        self.refresh(view);
        ui.separator();
        if self.rows.is_empty() && self.filtering.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Searching the events of {}…", view.stream().id));
            });
            return;
        }
        if self.rows.is_empty()
            && let Some(filters) = self.describe_filters()
        {
            ui.label(format!(
                "No event of {} matches: {filters}.",
                view.stream().id
            ));
            return;
        }
        let target = (view.stream, view.cursor);
        let scroll_to = (self.scrolled_to != Some(target))
            .then(|| self.rows.partition_point(|&k| (k as usize) < view.cursor));
        self.scrolled_to = Some(target);
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 6.0;
        let normal = ui.visuals().strong_text_color();
        // Rows are clicked, not their text selected.
        ui.style_mut().interaction.selectable_labels = false;
        let mut table = TableBuilder::new(ui)
            .id_salt("events")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(Align::Center))
            .column(Column::auto().at_least(64.0))
            .column(Column::auto().at_least(80.0))
            .column(Column::auto().at_least(100.0))
            .column(Column::remainder().clip(true));
        if let Some(row) = scroll_to.filter(|&r| r < self.rows.len()) {
            table = table.scroll_to_row(row, Some(Align::Center));
        }
        let stream = view.stream();
        table
            .header(20.0, |mut header| {
                for title in ["Seq", "Time", "Type", "Payload"] {
                    header.col(|ui| {
                        if title == "Time" && !view.has_times {
                            ui.strong("Time (none)")
                                .on_hover_text(super::timeline::NO_TIMES);
                        } else {
                            ui.strong(title);
                        }
                    });
                }
            })
            .body(|body| {
                let mut drawn = 0;
                body.rows(row_height, self.rows.len(), |mut row| {
                    drawn += 1;
                    let k = self.rows[row.index()] as usize;
                    let event = view.store.event(stream.events[k]);
                    let dim = k > view.cursor;
                    let text =
                        |s: String| RichText::new(s).color(if dim { DIMMED } else { normal });
                    row.set_selected(k == view.cursor);
                    row.col(|ui| {
                        marks_ui(ui, view, k);
                        if let Some(why) = view.failures.get(&k) {
                            ui.label(
                                RichText::new(format!("⚠ {}", event.event.seq))
                                    .monospace()
                                    .color(super::timeline::PROJECTION_FAILED),
                            )
                            .on_hover_text(format!("The projection failed here: {why}"));
                        } else {
                            ui.label(text(event.event.seq.to_string()).monospace());
                        }
                    });
                    row.col(|ui| {
                        ui.label(text(event.time().unwrap_or("-").to_owned()).monospace());
                    });
                    row.col(|ui| {
                        ui.label(text(event.type_name().to_owned()));
                    });
                    row.col(|ui| {
                        ui.label(text(preview(event.data_json().unwrap_or(""))).monospace());
                    });
                    if row.response().clicked() {
                        cmds.push(Command::SetCursor(k));
                        cmds.push(Command::FocusList(List::Events));
                    }
                });
                self.page = drawn;
            });
    }

    /// How many rows a page is (Page Up/Down): those the list showed last.
    pub fn page(&self) -> usize {
        self.page.saturating_sub(2).max(1)
    }

    /// The indices (in the stream) of the rows shown.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// The indices (in the stream) of the rows shown in `view` as it is now, whether or not
    /// the list has been drawn since it changed: the rows the filters let through, or, while a
    /// long stream is being filtered again, those shown until then (none when they were of
    /// another stream).
    pub fn rows_for(&mut self, view: &View) -> &[u32] {
        self.refresh(view);
        &self.rows
    }

    /// Whether a long stream is being filtered on a background job; the rows shown are those
    /// of the filters before.
    pub fn is_filtering(&self) -> bool {
        self.filtering.is_some()
    }

    /// The filters in words (`type ItemAdded, ItemRemoved · payloads containing "sku"`), or
    /// `None` when every event is shown.
    pub fn describe_filters(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.types.is_empty() {
            let names: Vec<&str> = self.types.iter().map(String::as_str).collect();
            parts.push(format!("type {}", names.join(", ")));
        }
        if !self.text.is_empty() {
            parts.push(format!("payloads containing \"{}\"", self.text));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    fn filters_ui(&mut self, ui: &mut Ui, view: &View) {
        ui.horizontal(|ui| {
            let title = ui.strong(format!("Events of {}", view.stream().id));
            super::keys_mark(ui, &title, view.keys == List::Events);
            let summary = if self.types.is_empty() {
                "All types".to_owned()
            } else {
                format!("{} type(s)", self.types.len())
            };
            let combo = egui::ComboBox::from_id_salt("type-filter")
                .selected_text(summary)
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside) // pick several types
                .show_ui(ui, |ui| {
                    // Only when the list is open: a hot stream's types take milliseconds.
                    self.refresh_types(view);
                    if ui
                        .selectable_label(self.types.is_empty(), "All types")
                        .clicked()
                    {
                        self.types.clear();
                    }
                    for name in &self.stream_types {
                        let mut on = self.types.contains(name);
                        if ui.checkbox(&mut on, name).changed() {
                            if on {
                                self.types.insert(name.clone())
                            } else {
                                self.types.remove(name)
                            };
                        }
                    }
                });
            super::name_widget(&combo.response, egui::Role::ComboBox, "Event types");
            // Room left for the count after it ("946948 of 946948", "searching… 40%").
            let width = (ui.available_width() - 130.0).clamp(100.0, 220.0);
            let search = ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("Search payloads")
                    .desired_width(width),
            );
            super::name_widget(
                &search.on_hover_text("Show events whose payload contains this text"),
                egui::Role::TextInput,
                "Search payloads",
            );
            match &self.filtering {
                Some((_, job)) => {
                    let (done, all) = job.progress();
                    ui.spinner();
                    ui.weak(format!("searching… {}%", done * 100 / all.max(1)));
                }
                None => {
                    ui.weak(format!("{} of {}", self.rows.len(), view.len()));
                }
            }
        });
    }

    fn refresh_types(&mut self, view: &View) {
        let key = (Arc::as_ptr(&view.store) as usize, view.stream);
        if self.types_for != Some(key) {
            // By type id, not by name: a hot stream's million names took 56 ms to sort out.
            let store = &view.store;
            let mut used = vec![false; store.type_names().len()];
            for &i in view.stream().events.iter() {
                if let Some(used) = used.get_mut(store.event(i).event.type_id as usize) {
                    *used = true;
                }
            }
            let names: BTreeSet<&str> = (store.type_names().iter().zip(used))
                .filter_map(|(name, used)| used.then_some(name.as_str()))
                .collect();
            self.stream_types = names.into_iter().map(str::to_owned).collect();
            self.types_for = Some(key);
        }
    }

    /// Brings the rows up to the filters and the stream: at once for a short stream (or no
    /// filter), else by starting a background job, whose rows are taken here once it is done.
    fn refresh(&mut self, view: &View) {
        let (types, text) = (&self.types, self.text.as_str());
        if self
            .shown_for
            .as_ref()
            .is_some_and(|f| f.is(view, types, text))
        {
            self.filtering = None;
            return;
        }
        if let Some((filters, job)) = &mut self.filtering
            && filters.is(view, types, text)
        {
            if let Some(rows) = job.latest() {
                self.rows = rows;
                self.shown_for = self.filtering.take().map(|(filters, _)| filters);
            } else if job.is_finished() {
                // The thread ended without an answer (it could not run): filter here.
                self.filtering = None;
                self.filter_in_frame(view);
            }
            return;
        }
        let len = view.stream().events.len();
        let no_filter = types.is_empty() && text.is_empty();
        match &self.repaint {
            Some(repaint) if !no_filter && len > self.in_frame => {
                let filters = self.filters(view);
                if !self
                    .shown_for
                    .as_ref()
                    .is_some_and(|f| f.is_stream_of(view))
                {
                    // Rows of another stream must not stay on screen; the stream's own stay
                    // until the new ones come, so that typing does not blank the list.
                    self.rows.clear();
                    self.shown_for = None;
                }
                let (store, stream) = (view.store.clone(), view.stream);
                let (types, text) = (filters.types.clone(), filters.text.clone());
                let job = Job::spawn("event-filter", 0, repaint.clone(), move |worker| {
                    let mut rows = Vec::new();
                    for start in (0..len).step_by(BATCH) {
                        let end = (start + BATCH).min(len);
                        rows.extend(filtered(&store, stream, &types, &text, start..end));
                        if worker.report((end, len)).is_break() {
                            return;
                        }
                    }
                    worker.send(rows);
                });
                match job {
                    Ok(job) => self.filtering = Some((filters, job)),
                    Err(_) => self.filter_in_frame(view),
                }
            }
            _ => self.filter_in_frame(view),
        }
    }

    fn filter_in_frame(&mut self, view: &View) {
        let len = view.stream().events.len();
        self.rows = filtered(&view.store, view.stream, &self.types, &self.text, 0..len);
        self.shown_for = Some(self.filters(view));
        self.filtering = None;
    }

    fn filters(&self, view: &View) -> Filters {
        Filters {
            store: Arc::as_ptr(&view.store) as usize,
            stream: view.stream,
            types: self.types.clone(),
            text: self.text.clone(),
            id: view.stream().id.clone(),
            len: view.stream().events.len(),
        }
    }
}

/// The indices (in the stream) of the events of `range` of stream `stream` whose type is one
/// of `types` (any, when empty) and whose payload holds `text`. Both cores, and a SIMD
/// substring search.
fn filtered(
    store: &Store,
    stream: u32,
    types: &BTreeSet<String>,
    text: &str,
    range: std::ops::Range<usize>,
) -> Vec<u32> {
    if types.is_empty() && text.is_empty() {
        return (range.start as u32..range.end as u32).collect();
    }
    let events = &store.streams()[stream as usize].events;
    // By the store's type ids: a lookup in a short list, not a comparison of names.
    let shown_types: Vec<bool> = store
        .type_names()
        .iter()
        .map(|name| types.is_empty() || types.contains(name))
        .collect();
    let finder = memchr::memmem::Finder::new(text.as_bytes());
    (range.start as u32..range.end as u32)
        .into_par_iter()
        .filter(|&k| {
            let event = store.event(events[k as usize]);
            shown_types
                .get(event.event.type_id as usize)
                .copied()
                .unwrap_or(false)
                && (text.is_empty()
                    || event
                        .data_json()
                        .is_some_and(|d| finder.find(d.as_bytes()).is_some()))
        })
        .collect()
}

/// Before a row's seq: the pin's flag where the pin is, and a badge, in the colour of the
/// worst severity, where findings are about the event (their messages on hover).
fn marks_ui(ui: &mut Ui, view: &View, k: usize) {
    let size = egui::vec2(9.0, ui.text_style_height(&egui::TextStyle::Monospace));
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    if view.pin == Some(k) {
        super::timeline::paint_flag(ui.painter(), rect.left_center() + egui::vec2(1.0, 0.0), 7.0);
        super::name_widget(&response, egui::Role::Image, "Pinned");
    }
    let findings: Vec<&crate::finding::Finding> = view.findings_at(k).collect();
    let Some(worst) = findings.iter().map(|f| f.severity).min() else {
        ui.add_space(9.0);
        return;
    };
    let (rect, badge) = ui.allocate_exact_size(egui::vec2(9.0, size.y), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), 4.0, super::severity_color(worst));
    let name = format!(
        "{} finding{} here",
        findings.len(),
        crate::store::plural(findings.len())
    );
    super::name_widget(&badge, egui::Role::Image, &name);
    badge.on_hover_ui(|ui| {
        for finding in findings {
            ui.label(format!(
                "{} {}: {}",
                finding.severity.as_str(),
                finding.code,
                finding.message
            ));
        }
        ui.weak("The Event tab shows them, with a link to the record they name.");
    });
}

/// The payload on one line, cut to fit the column.
fn preview(json: &str) -> String {
    let line: String = json
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .take(PREVIEW_CHARS + 1)
        .collect();
    if line.chars().count() > PREVIEW_CHARS {
        format!("{}…", line.chars().take(PREVIEW_CHARS).collect::<String>())
    } else {
        line
    }
}

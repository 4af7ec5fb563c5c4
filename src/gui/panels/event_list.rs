//! The event list: a virtualized table (seq, time, type, payload preview) of the selected
//! stream, filtered by type and by text in the payload. Events after the cursor are dimmed;
//! clicking a row moves the cursor there.

use std::collections::BTreeSet;
use std::sync::Arc;

use egui::{Align, Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use rayon::prelude::*;

use crate::gui::command::Command;
use crate::gui::keys::List;
use crate::gui::view::View;

/// The color of events after the cursor.
const DIMMED: Color32 = Color32::from_gray(105);
/// Characters of payload shown in the preview column.
const PREVIEW_CHARS: usize = 120;

/// The list's view state.
#[derive(Debug, Default)]
pub struct EventList {
    /// Types shown; empty shows all.
    pub types: BTreeSet<String>,
    /// Text the payload must contain.
    pub text: String,
    /// Indices (in the stream) of the rows shown, for `cached_for`: 32 bits, like an event's
    /// index in the store (a hot stream's million rows are 4 MB).
    rows: Vec<u32>,
    cached_for: Option<(usize, u32, BTreeSet<String>, String)>,
    /// The stream's type names, for (store, stream) = `types_for`.
    stream_types: Vec<String>,
    types_for: Option<(usize, u32)>,
    /// The cursor the table last scrolled to.
    scrolled_to: Option<(u32, usize)>,
    /// Rows drawn in the last frame: a page for Page Up/Down.
    page: usize,
}

impl EventList {
    /// Draws the filters and the table.
    ///
    /// Long for a reason: the filters and the virtualized table, which share the rows they cache.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        self.refresh_types(view);
        // Before the filters are drawn (they count the rows), and after (they may change).
        self.refresh(view);
        self.filters_ui(ui, view);
        self.refresh(view);
        ui.separator();
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

    /// The indices (in the stream) of the rows the filters let through in `view` as it is now,
    /// whether or not the list has been drawn since it changed.
    pub fn rows_for(&mut self, view: &View) -> &[u32] {
        self.refresh(view);
        &self.rows
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
            let search = ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("Search payloads")
                    .desired_width(220.0),
            );
            super::name_widget(
                &search.on_hover_text("Show events whose payload contains this text"),
                egui::Role::TextInput,
                "Search payloads",
            );
            ui.weak(format!("{} of {}", self.rows.len(), view.len()));
        });
    }

    fn refresh_types(&mut self, view: &View) {
        let key = (Arc::as_ptr(&view.store) as usize, view.stream);
        if self.types_for != Some(key) {
            let names: BTreeSet<&str> = view
                .stream()
                .events
                .iter()
                .map(|&i| view.store.event(i).type_name())
                .collect();
            self.stream_types = names.into_iter().map(str::to_owned).collect();
            self.types_for = Some(key);
        }
    }

    fn refresh(&mut self, view: &View) {
        let store = Arc::as_ptr(&view.store) as usize;
        let fresh = self
            .cached_for
            .as_ref()
            .is_some_and(|(s, stream, types, text)| {
                (*s, *stream) == (store, view.stream) && *types == self.types && *text == self.text
            });
        if fresh {
            return;
        }
        let stream = view.stream();
        // A hot stream has a million events: both cores and a SIMD substring search keep a
        // new filter within a frame or two.
        let finder = memchr::memmem::Finder::new(self.text.as_bytes());
        self.rows = (0..stream.events.len() as u32)
            .into_par_iter()
            .filter(|&k| {
                let event = view.store.event(stream.events[k as usize]);
                (self.types.is_empty() || self.types.contains(event.type_name()))
                    && (self.text.is_empty()
                        || event
                            .data_json()
                            .is_some_and(|d| finder.find(d.as_bytes()).is_some()))
            })
            .collect();
        self.cached_for = Some((store, view.stream, self.types.clone(), self.text.clone()));
    }
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

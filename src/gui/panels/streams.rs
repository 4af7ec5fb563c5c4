//! The streams panel: every stream with its event count and finding badge, filtered by a
//! substring and sorted by id or size.

use std::sync::Arc;

use egui::{Color32, RichText, Ui};

use crate::gui::command::Command;
use crate::gui::keys::{List, Move};
use crate::gui::view::View;

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Id,
    Size,
}

/// The panel's view state.
#[derive(Debug, Default)]
pub struct StreamsPanel {
    pub filter: String,
    pub sort: SortBy,
    /// Stream indices in display order, for (store, filter, sort) = `cached_for`.
    rows: Vec<u32>,
    cached_for: Option<(usize, String, SortBy)>,
    /// The selected stream the list last scrolled to.
    scrolled_to: Option<u32>,
    /// Rows drawn in the last frame: a page for Page Up/Down.
    page: usize,
}

impl StreamsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            let title = ui.strong(format!("Streams ({})", view.store.streams().len()));
            super::keys_mark(ui, &title, view.keys == List::Streams);
        });
        part_of_topic_ui(ui, view, cmds);
        self.filter_ui(ui, view, cmds);
        let sorted_by = self.sort;
        ui.horizontal(|ui| {
            ui.label("Sort:");
            ui.selectable_value(&mut self.sort, SortBy::Id, "Id");
            ui.selectable_value(&mut self.sort, SortBy::Size, "Size");
        });
        // A new order is read from its top, not from where the selected stream went.
        let to_top = self.sort != sorted_by;
        ui.separator();
        self.refresh(view);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
        if to_top {
            scroll = scroll.vertical_scroll_offset(0.0);
            self.scrolled_to = Some(view.stream);
        } else if self.scrolled_to != Some(view.stream) {
            self.scrolled_to = Some(view.stream);
            if let Some(row) = self.rows.iter().position(|&i| i == view.stream) {
                let spacing = ui.spacing().item_spacing.y;
                scroll = scroll.vertical_scroll_offset(
                    (row as f32 * (row_height + spacing) - 3.0 * row_height).max(0.0),
                );
            }
        }
        scroll.show_rows(ui, row_height, self.rows.len(), |ui, range| {
            self.page = range.len();
            for &index in &self.rows[range] {
                let stream = &view.store.streams()[index as usize];
                ui.horizontal(|ui| {
                    let selected = index == view.stream;
                    let label = ui.selectable_label(selected, &*stream.id);
                    if label.clicked() {
                        if !selected {
                            cmds.push(Command::SelectStream(index));
                        }
                        cmds.push(Command::FocusList(List::Streams));
                    }
                    ui.weak(stream.events.len().to_string());
                    let findings = view.finding_count(index);
                    if findings > 0 {
                        ui.label(
                            RichText::new(format!("! {findings}"))
                                .color(Color32::from_rgb(230, 90, 70)),
                        )
                        .on_hover_text(format!("check found {findings} problem(s) in this stream"));
                    }
                });
            }
        });
    }

    /// The ids in display order (for tests).
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// The ids in display order for `view` as it is now, whether or not the list has been
    /// drawn since it changed.
    pub fn rows_for(&mut self, view: &View) -> &[u32] {
        self.refresh(view);
        &self.rows
    }

    /// How many rows a page is (Page Up/Down): those the list showed last.
    pub fn page(&self) -> usize {
        self.page.saturating_sub(2).max(1)
    }

    /// The filter field. Up/Down in it walk the list below it; Enter shows the first stream
    /// that matches, and the arrow keys then walk the streams.
    fn filter_ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("Filter streams")
                    .desired_width(f32::INFINITY),
            )
            .on_hover_text("Show streams whose id contains this text; Enter shows the first");
        super::name_widget(&field, egui::Role::TextInput, "Filter streams");
        if field.has_focus() {
            for (key, by) in [
                (egui::Key::ArrowUp, Move::Up),
                (egui::Key::ArrowDown, Move::Down),
            ] {
                if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key)) {
                    cmds.push(Command::MoveRow {
                        list: List::Streams,
                        by,
                    });
                }
            }
        }
        if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            self.refresh(view);
            if let Some(&first) = self.rows.first() {
                cmds.push(Command::SelectStream(first));
            }
            cmds.push(Command::FocusList(List::Streams));
        }
    }

    fn refresh(&mut self, view: &View) {
        let store = Arc::as_ptr(&view.store) as usize;
        let fresh = self.cached_for.as_ref().is_some_and(|(s, filter, sort)| {
            *s == store && *filter == self.filter && *sort == self.sort
        });
        if fresh {
            return;
        }
        let needle = self.filter.to_lowercase();
        let streams = view.store.streams();
        let mut rows: Vec<u32> = (0..streams.len() as u32)
            .filter(|&i| {
                needle.is_empty() || streams[i as usize].id.to_lowercase().contains(&needle)
            })
            .collect();
        match self.sort {
            SortBy::Id => {
                rows.sort_by(|&a, &b| streams[a as usize].id.cmp(&streams[b as usize].id));
            }
            SortBy::Size => rows.sort_by(|&a, &b| {
                streams[b as usize]
                    .events
                    .len()
                    .cmp(&streams[a as usize].events.len())
                    .then_with(|| streams[a as usize].id.cmp(&streams[b as usize].id))
            }),
        }
        self.rows = rows;
        self.cached_for = Some((store, self.filter.clone(), self.sort));
    }
}

/// A topic read for one key holds only that key's partition: the list says so, with a way
/// to read every partition.
fn part_of_topic_ui(ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
    let described = view.store.detection().describe();
    let Some(read) = described
        .strip_prefix("kafka topic ")
        .and_then(|rest| rest.split_once(": "))
        .map(|(_, read)| read)
        .filter(|read| read.starts_with("partition "))
    else {
        return;
    };
    let part = read
        .split(',')
        .next()
        .unwrap_or(read)
        .trim_end_matches(" only");
    ui.horizontal_wrapped(|ui| {
        ui.weak(format!("Only {part} of the topic was read: the key's."));
        if ui
            .small_button("Read every partition")
            .on_hover_text("Read the whole topic, staying on this stream")
            .clicked()
        {
            cmds.push(Command::OpenNarrowed(crate::source::postgres::Narrow::All));
        }
    });
}

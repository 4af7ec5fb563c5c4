//! The streams panel: every stream with its event count and finding badge, filtered by a
//! substring and sorted by id or size.

use std::sync::Arc;

use egui::{Color32, RichText, Ui};

use crate::gui::command::Command;
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
}

impl StreamsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.strong(format!("Streams ({})", view.store.streams().len()));
        });
        let filter = ui.add(
            egui::TextEdit::singleline(&mut self.filter)
                .hint_text("Filter streams")
                .desired_width(f32::INFINITY),
        );
        super::name_widget(
            &filter.on_hover_text("Show streams whose id contains this text"),
            egui::Role::TextInput,
            "Filter streams",
        );
        ui.horizontal(|ui| {
            ui.label("Sort:");
            ui.selectable_value(&mut self.sort, SortBy::Id, "Id");
            ui.selectable_value(&mut self.sort, SortBy::Size, "Size");
        });
        ui.separator();
        self.refresh(view);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
        if self.scrolled_to != Some(view.stream) {
            self.scrolled_to = Some(view.stream);
            if let Some(row) = self.rows.iter().position(|&i| i == view.stream) {
                let spacing = ui.spacing().item_spacing.y;
                scroll = scroll.vertical_scroll_offset(
                    (row as f32 * (row_height + spacing) - 3.0 * row_height).max(0.0),
                );
            }
        }
        scroll.show_rows(ui, row_height, self.rows.len(), |ui, range| {
            for &index in &self.rows[range] {
                let stream = &view.store.streams()[index as usize];
                ui.horizontal(|ui| {
                    let selected = index == view.stream;
                    if ui.selectable_label(selected, &*stream.id).clicked() && !selected {
                        cmds.push(Command::SelectStream(index));
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

//! The Schema tab: per event type, the payload shapes seen (member names and JSON types), with
//! counts and the first and last event of each; links jump there. The inventory is built on a
//! thread once the whole store is indexed.

use std::sync::Arc;

use egui::{RichText, Ui};

use super::TabContext;
use crate::audit::schema::{Seen, TypeShapes, inventory};
use crate::gui::command::Command;
use crate::gui::job::{Job, Repaint};
use crate::gui::view::View;
use crate::store::Store;

/// Long for a reason: one collapsing section per event type, with its grid of shapes.
pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    cx.schema.ui(ui, cx.view, cx.complete, cx.cmds);
}

/// The inventory of the store shown, once built.
#[derive(Default)]
pub struct SchemaPanel {
    /// The store (by address) it is for.
    built_for: Option<u64>,
    building: Option<Job<Vec<TypeShapes>>>,
    inventory: Option<Arc<Vec<TypeShapes>>>,
}

/// A store's key for the jobs about it: its address, which a new snapshot changes.
pub fn store_key(store: &Arc<Store>) -> u64 {
    Arc::as_ptr(store) as usize as u64
}

impl SchemaPanel {
    /// Starts building the inventory of `store` if it is not built yet, and takes it in once
    /// built.
    pub fn build(&mut self, store: &Arc<Store>, repaint: Repaint) {
        if let Some(built) = self.building.as_mut().and_then(Job::latest) {
            self.inventory = Some(Arc::new(built));
            self.building = None;
        }
        let key = store_key(store);
        if self.built_for == Some(key) {
            return;
        }
        self.built_for = Some(key);
        self.inventory = None;
        let store = store.clone();
        self.building = Job::spawn("schema", key, repaint, move |worker| {
            worker.send(inventory(&store));
        })
        .ok();
    }

    pub fn ui(&mut self, ui: &mut Ui, view: &View, complete: bool, cmds: &mut Vec<Command>) {
        if !complete {
            ui.label("The inventory is made once the whole store is indexed.");
            return;
        }
        let Some(inventory) = self.inventory.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("reading every payload…");
            });
            return;
        };
        ui.weak("Payload shapes per event type: top-level members and their JSON types.");
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .id_salt("schema")
            .show(ui, |ui| {
                for types in inventory.iter() {
                    let title = format!(
                        "{} · {} event{} · {} shape{}",
                        types.type_name,
                        types.events,
                        crate::store::plural(types.events),
                        types.shapes.len(),
                        crate::store::plural(types.shapes.len())
                    );
                    let title = if types.shapes.len() > 1 {
                        RichText::new(title)
                            .strong()
                            .color(egui::Color32::from_rgb(235, 170, 60))
                    } else {
                        RichText::new(title).strong()
                    };
                    // Open or closed per store: a type with one shape in one store may have
                    // several in the next.
                    egui::CollapsingHeader::new(title)
                        .id_salt(("schema", view.store.name(), &types.type_name))
                        .default_open(types.shapes.len() > 1)
                        .show(ui, |ui| {
                            // The shape last, where a long one has the room to wrap.
                            egui::Grid::new(("shapes", &types.type_name))
                                .striped(true)
                                .num_columns(4)
                                .show(ui, |ui| {
                                    ui.strong("Events");
                                    ui.strong("First");
                                    ui.strong("Last");
                                    ui.strong("Shape");
                                    ui.end_row();
                                    for shape in &types.shapes {
                                        ui.monospace(shape.events.to_string());
                                        seen_link(ui, view, shape.first, cmds);
                                        seen_link(ui, view, shape.last, cmds);
                                        ui.add(
                                            egui::Label::new(
                                                RichText::new(shape.shape.describe()).monospace(),
                                            )
                                            .wrap(),
                                        );
                                        ui.end_row();
                                    }
                                });
                        });
                }
            });
    }
}

/// "order-1042 seq 3", a link to that event.
fn seen_link(ui: &mut Ui, view: &View, seen: Seen, cmds: &mut Vec<Command>) {
    let stream = view.store.event(seen.index).stream();
    let link = ui
        .link(format!("{stream} seq {}", seen.seq))
        .on_hover_text(format!("line {}", seen.line));
    if link.clicked() {
        cmds.push(Command::GoTo {
            stream: stream.to_owned(),
            seq: seen.seq,
        });
    }
}

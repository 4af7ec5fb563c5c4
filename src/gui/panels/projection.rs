//! The Projection window: choose a JavaScript projection, see whether it loaded (or where its
//! syntax error is), and switch the fold between it and merge patches.

use egui::{Color32, RichText};

use crate::gui::command::Command;
use crate::gui::projection::Projections;

const ERROR: Color32 = Color32::from_rgb(230, 90, 70);

/// Draws the window; `failed` is how many events of the selected stream the fold failed on.
///
/// Long for a reason: one window laid out top to bottom (path, state, errors, help).
pub fn window_ui(
    ctx: &egui::Context,
    projections: &mut Projections,
    failed: usize,
    cmds: &mut Vec<Command>,
) {
    let mut open = true;
    egui::Window::new("Projection")
        .open(&mut open)
        .default_width(520.0)
        .default_pos(super::window_place(ctx))
        .show(ctx, |ui| {
            ui.label("Fold each stream with a JavaScript projection in KurrentDB's syntax:");
            ui.monospace("fromCategory('order').when({ $init: () => ({…}), OrderPlaced: (s, e) => { … } })");
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                let field = super::path_edit::path_edit(
                    ui,
                    "Projection path",
                    &mut projections.field,
                    "path/to/projection.js",
                    300.0,
                );
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Load").clicked() || entered) && !projections.field.trim().is_empty() {
                    cmds.push(Command::LoadProjection(projections.field.trim().into()));
                }
                if ui.button("Browse…").clicked() {
                    cmds.push(Command::PickProjection);
                }
            });
            if projections.is_loading() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("loading…");
                });
            }
            if let Some(error) = &projections.error {
                ui.label(RichText::new(error).color(ERROR));
            }
            ui.separator();
            let loaded = projections.loaded.as_ref();
            let mut enabled = projections.enabled && loaded.is_some();
            ui.horizontal(|ui| {
                ui.label("Fold with:");
                if ui.radio_value(&mut enabled, false, "merge patches (RFC 7396)").clicked() {
                    cmds.push(Command::UseProjection(false));
                }
                let name = loaded.map_or("a projection (load one)", |l| l.projection.name());
                let radio = ui.add_enabled(loaded.is_some(), egui::RadioButton::new(enabled, name));
                if radio.clicked() {
                    cmds.push(Command::UseProjection(true));
                }
            });
            if let Some(loaded) = loaded {
                let projection = &loaded.projection;
                let (types, any) = projection.handlers();
                let source = crate::replay::Reducer::source(&**projection)
                    .map(crate::replay::Source::describe)
                    .unwrap_or_default();
                ui.label(format!(
                    "{source} · handles {}{} · loaded {:.0} s ago; reloads when the file changes",
                    if types.is_empty() { "no type by name".to_owned() } else { types.join(", ") },
                    if any { ", $any" } else { "" },
                    loaded.at.elapsed().as_secs_f32()
                ));
                if enabled {
                    if failed == 0 {
                        ui.weak("No event of this stream has failed so far.");
                    } else {
                        ui.label(
                            RichText::new(format!(
                                "{failed} event{} of this stream failed: marked ⚠ in the event list and on the timeline",
                                crate::store::plural(failed)
                            ))
                            .color(ERROR),
                        );
                    }
                }
            }
        });
    if !open {
        cmds.push(Command::ShowProjection(false));
    }
}

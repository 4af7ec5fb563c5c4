//! The Export window: choose what to save (the state at the cursor, a diff, the events the list
//! shows, the findings the Audit tab shows), where (a path field, or the native save dialog),
//! and see what was saved.

use std::path::{Path, PathBuf};

use egui::{Color32, RichText};

use crate::gui::command::Command;
use crate::gui::export::{Exports, Offer, What};

const ERROR: Color32 = Color32::from_rgb(230, 90, 70);
const WARNING: Color32 = Color32::from_rgb(235, 170, 60);
const DONE: Color32 = Color32::from_rgb(90, 190, 100);

/// Draws the window. `offers` are the exports possible now; `folder` is where a file goes
/// unless the user says otherwise.
///
/// Long for a reason: one window laid out top to bottom (what, where, save, outcome).
pub fn window_ui(
    ctx: &egui::Context,
    exports: &mut Exports,
    offers: &[Offer],
    folder: &Path,
    cmds: &mut Vec<Command>,
) {
    let mut open = true;
    egui::Window::new("Export")
        .open(&mut open)
        .default_width(560.0)
        .default_pos(super::window_place(ctx))
        .show(ctx, |ui| {
            let chosen = exports
                .what
                .or_else(|| offers.iter().find(|o| o.detail.is_ok()).map(|o| o.what))
                .unwrap_or(What::State);
            let mut picked = chosen;
            for offer in offers {
                let available = offer.detail.is_ok();
                let radio = ui.add_enabled(
                    available,
                    egui::RadioButton::new(picked == offer.what, offer.what.label()),
                );
                if radio.clicked() {
                    picked = offer.what;
                }
                match &offer.detail {
                    Ok(detail) => ui.indent(offer.what, |ui| ui.weak(detail)),
                    Err(why) => ui.indent(offer.what, |ui| ui.weak(format!("({why})"))),
                };
            }
            if picked != chosen || exports.what.is_none() {
                exports.what = Some(picked);
            }
            let Some(offer) = offers.iter().find(|o| o.what == picked) else {
                return;
            };
            exports.suggest(folder, &offer.file_name);
            ui.separator();
            let mut entered = false;
            ui.horizontal(|ui| {
                ui.label("Save to:");
                let field = super::path_edit::path_edit(
                    ui,
                    "Export path",
                    &mut exports.path,
                    "path/to/file",
                    360.0,
                );
                // Enter saves, as in every path field.
                entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Browse…").clicked() {
                    cmds.push(Command::PickExportPath {
                        what: picked,
                        suggested: PathBuf::from(exports.path.trim()),
                    });
                }
            });
            let target = PathBuf::from(exports.path.trim());
            let exists = target.is_file();
            // Just saved there: no need to warn.
            if exists && exports.saved.as_ref() != Some(&target) {
                ui.label(
                    RichText::new("A file of this name exists: saving replaces it.").color(WARNING),
                );
            }
            ui.horizontal(|ui| {
                let can =
                    offer.detail.is_ok() && !exports.path.trim().is_empty() && !exports.is_saving();
                let label = if exists { "Replace" } else { "Save" };
                if ui.add_enabled(can, egui::Button::new(label)).clicked() || (can && entered) {
                    cmds.push(Command::Export {
                        what: picked,
                        to: target.clone(),
                    });
                }
                ui.weak(format!("the same text as {}", picked.same_as()));
            });
            if let Some(what) = exports.saving() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("saving {what}…"));
                });
            }
            match &exports.outcome {
                Some(Ok(done)) => {
                    ui.label(RichText::new(done).color(DONE));
                }
                Some(Err(why)) => {
                    ui.label(RichText::new(why).color(ERROR));
                }
                None => {}
            }
        });
    if !open {
        cmds.push(Command::ShowExport(false));
    }
}

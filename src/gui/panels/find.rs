//! The Find window: search every event of the store by its content (plain text, or a jq filter
//! as `events --where`), the count growing while the search runs, a virtualized list of what
//! was found, each a link to the event.

use egui::{Color32, RichText};

use crate::gui::command::Command;
use crate::gui::find::Find;
use crate::store::Store;

/// Draws the window; `true` while it stays open.
///
/// Long for a reason: one window laid out top to bottom (query, error, count, results).
pub fn window_ui(
    ctx: &egui::Context,
    find: &mut Find,
    store: &Store,
    cmds: &mut Vec<Command>,
) -> bool {
    let mut open = true;
    egui::Window::new("Find")
        .open(&mut open)
        .default_width(560.0)
        .default_height(420.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let field = ui.add(
                    egui::TextEdit::singleline(&mut find.text)
                        .hint_text(if find.jq {
                            ".data.payment.reference == \"PAY-1\""
                        } else {
                            "text in any event"
                        })
                        .code_editor()
                        .desired_width(340.0),
                );
                super::name_widget(&field, egui::Role::TextInput, "Find what");
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.checkbox(&mut find.jq, "jq filter");
                if ui.button("Find").clicked() || entered {
                    cmds.push(Command::Find);
                }
                if find.is_searching() && ui.button("Cancel").clicked() {
                    cmds.push(Command::CancelFind);
                }
            });
            if let Some(error) = &find.error {
                let caret = " ".repeat(error.column.saturating_sub(1));
                ui.label(
                    RichText::new(format!("{}\n{caret}^ {}", find.text.trim(), error.message))
                        .monospace()
                        .color(Color32::from_rgb(230, 90, 80)),
                );
            }
            let (done, total) = find.progress;
            ui.horizontal(|ui| {
                if find.searched.is_some() {
                    ui.label(format!(
                        "{} event{} found",
                        find.found.len(),
                        crate::store::plural(find.found.len())
                    ));
                }
                if find.is_searching() {
                    ui.spinner();
                    #[allow(clippy::cast_precision_loss)]
                    let share = done as f32 / total.max(1) as f32;
                    ui.add(
                        egui::ProgressBar::new(share)
                            .desired_width(160.0)
                            .show_percentage(),
                    );
                }
            });
            if find.found.is_empty() && !find.is_searching() {
                if let Some((query, _)) = &find.searched {
                    ui.label(format!(
                        "No event matches {}.",
                        match query {
                            crate::gui::find::Query::Text(text)
                            | crate::gui::find::Query::Filter(text) => text,
                        }
                    ));
                }
                return;
            }
            found_ui(ui, find, store, cmds);
        });
    open
}

/// What was found, a virtualized list of links.
fn found_ui(ui: &mut egui::Ui, find: &Find, store: &Store, cmds: &mut Vec<Command>) {
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .id_salt("found")
        .show_rows(ui, row_height, find.found.len(), |ui, rows| {
            let events = store.events().len();
            for &index in find.found[rows].iter().filter(|&&i| (i as usize) < events) {
                let event = store.event(index);
                let text = format!(
                    "{} seq {} · {} · {}",
                    event.stream(),
                    event.event.seq,
                    event.type_name(),
                    event.time().unwrap_or("-")
                );
                if ui.link(text).on_hover_text(event.place()).clicked() {
                    cmds.push(Command::GoTo {
                        stream: event.stream().to_owned(),
                        seq: event.event.seq,
                    });
                }
            }
        });
}

//! The Compare tab: what changed between a pinned point and the cursor.

use egui::Ui;

use super::TabContext;
use super::diff::changes_ui;
use crate::gui::command::Command;
use crate::gui::inspect::Answer;
use crate::gui::view::View;

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if let Some(answer) = cx.answer {
        compare_tab(ui, cx.view, answer, cx.cmds);
    }
}

fn compare_tab(ui: &mut Ui, view: &View, answer: &Answer, cmds: &mut Vec<Command>) {
    match (view.pin, &answer.compare) {
        (None, _) => {
            ui.label("Pin a point, move the cursor, and see what changed between the two.");
            if ui
                .button(format!("Pin seq {}", view.cursor_seq()))
                .clicked()
            {
                cmds.push(Command::Pin);
            }
        }
        (Some(pin), compare) => {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(10.0, 14.0), egui::Sense::hover());
                crate::gui::panels::timeline::paint_flag(ui.painter(), rect.left_center(), 9.0);
                ui.strong(format!(
                    "From pinned seq {} to cursor seq {}",
                    view.seq_at(pin),
                    view.cursor_seq()
                ));
                if ui.button("Unpin").clicked() {
                    cmds.push(Command::Unpin);
                }
                if ui
                    .button(format!("Pin seq {} instead", view.cursor_seq()))
                    .clicked()
                {
                    cmds.push(Command::Pin);
                }
            });
            match compare {
                Some((_, changes)) => changes_ui(ui, "compare", changes, cmds),
                None => {
                    ui.spinner();
                }
            }
        }
    }
}

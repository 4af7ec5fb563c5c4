//! The State tab: the state after the cursor's event, changed members highlighted, and the
//! history (blame) of a member clicked.

use egui::{RichText, Ui};
use serde_json::Value;

use super::TabContext;
use super::diff::old_new_text;
use crate::gui::command::Command;
use crate::gui::inspect::{Answer, BlameRow};
use crate::gui::panels::json_tree::{TreeClick, TreeOptions, json_tree_ui};
use crate::gui::read_model::filter_of_pointer;
use crate::gui::view::View;

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if let Some(answer) = cx.answer {
        state_tab(ui, cx.view, answer, cx.cmds);
    }
}

fn state_tab(ui: &mut Ui, view: &View, answer: &Answer, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "State after seq {}",
            view.seq_at(answer.ask.cursor)
        ));
        ui.weak("— changed members are highlighted; click a name for its history");
    });
    if let (Some(pointer), Some(rows)) = (&view.blame, &answer.blame) {
        blame_ui(ui, view, pointer, rows, cmds);
        ui.separator();
    }
    let options = TreeOptions {
        id_salt: "state",
        highlight: &answer.highlight,
        blame_links: true,
        open_depth: 2,
    };
    match json_tree_ui(ui, &answer.state, &options) {
        Some(TreeClick::History(pointer)) => cmds.push(Command::Blame(pointer)),
        Some(TreeClick::Column(pointer)) => {
            cmds.push(Command::AddColumn(filter_of_pointer(&pointer)));
        }
        None => {}
    }
}

fn blame_ui(ui: &mut Ui, view: &View, pointer: &str, rows: &[BlameRow], cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong(format!("History of {pointer}"));
        ui.weak(format!(
            "{} change{}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        ));
        let numeric = rows
            .iter()
            .any(|r| r.new.as_ref().is_some_and(Value::is_number));
        if numeric
            && ui
                .button("Plot in Charts")
                .on_hover_text("Plot this member over the stream's history")
                .clicked()
        {
            cmds.push(Command::Chart(pointer.to_owned()));
        }
        if ui
            .button("Add as column")
            .on_hover_text("A column of the Read model's table: this member in every stream")
            .clicked()
        {
            cmds.push(Command::AddColumn(filter_of_pointer(pointer)));
        }
        if ui.button("Close history").clicked() {
            cmds.push(Command::CloseBlame);
        }
    });
    if rows.is_empty() {
        ui.weak("No event changed this member.");
        return;
    }
    egui::Grid::new("blame")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for row in rows {
                let later = row.k > view.cursor;
                let seq = RichText::new(format!("seq {}", row.seq)).monospace();
                if ui
                    .link(if later { seq.weak() } else { seq })
                    .on_hover_text("Move the cursor to this event")
                    .clicked()
                {
                    cmds.push(Command::SetCursor(row.k));
                }
                ui.label(&row.type_name);
                ui.weak(row.time.as_deref().unwrap_or("-"));
                ui.label(row.op.as_str());
                ui.label(old_new_text(row.op, row.old.as_ref(), row.new.as_ref()));
                ui.end_row();
            }
        });
}

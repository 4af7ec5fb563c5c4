//! The State tab: the state after the cursor's event, changed members highlighted, and the
//! history (blame) of a member clicked or typed as a JSON Pointer, in a pane of its own.

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

/// The title and a field for a member's JSON Pointer; the history of the member asked for in
/// a fixed pane at the bottom (a click in the tree does not move the tree); the tree above it.
fn state_tab(ui: &mut Ui, view: &View, answer: &Answer, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "State after seq {}",
            view.seq_at(answer.ask.cursor)
        ));
        ui.weak("— changed members are highlighted; click a name for its history");
    });
    pointer_ui(ui, cmds);
    if let (Some(pointer), Some(rows)) = (&view.blame, &answer.blame) {
        egui::Panel::bottom("member-history")
            .resizable(true)
            .default_size((ui.available_height() * 0.45).max(120.0))
            .min_size(80.0)
            .show(ui, |ui| {
                blame_ui(ui, view, pointer, rows, cmds);
            });
    }
    let options = TreeOptions {
        id_salt: "state",
        highlight: &answer.highlight,
        blame_links: true,
        open_depth: 2,
    };
    let clicked = egui::ScrollArea::both()
        .auto_shrink(false)
        .id_salt("state-tree")
        .show(ui, |ui| json_tree_ui(ui, &answer.state, &options))
        .inner;
    match clicked {
        Some(TreeClick::History(pointer)) => cmds.push(Command::Blame(pointer)),
        Some(TreeClick::Column(pointer)) => {
            cmds.push(Command::AddColumn(filter_of_pointer(&pointer)));
        }
        None => {}
    }
}

/// A field for the JSON Pointer of any member, there at the cursor or not (an item removed
/// before it): Enter shows its history.
fn pointer_ui(ui: &mut Ui, cmds: &mut Vec<Command>) {
    let id = ui.make_persistent_id("history-pointer");
    let mut text = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label("History of");
        let field = ui.add(
            egui::TextEdit::singleline(&mut text)
                .hint_text("/items/SKU-1011/qty")
                .desired_width(220.0)
                .font(egui::TextStyle::Monospace),
        );
        crate::gui::panels::name_widget(&field, egui::Role::TextInput, "Member pointer");
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let shown = ui
            .add_enabled(!text.trim().is_empty(), egui::Button::new("Show"))
            .on_hover_text("Every event that changed the member at this JSON Pointer, whether or not it exists at the cursor")
            .clicked();
        if (entered || shown) && !text.trim().is_empty() {
            cmds.push(Command::Blame(pointer_of(&text)));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, text));
}

/// The JSON Pointer a user typed: `/items/0`; a missing leading slash is added
/// (`items/0`), and the empty pointer is the whole state.
fn pointer_of(typed: &str) -> String {
    let typed = typed.trim();
    if typed.is_empty() || typed.starts_with('/') {
        typed.to_owned()
    } else {
        format!("/{typed}")
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
    egui::ScrollArea::both()
        .id_salt("history")
        .auto_shrink(false)
        .show(ui, |ui| {
            blame_rows_ui(ui, view, rows, cmds);
        });
}

fn blame_rows_ui(ui: &mut Ui, view: &View, rows: &[BlameRow], cmds: &mut Vec<Command>) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_typed_pointer_starts_with_a_slash() {
        assert_eq!(super::pointer_of(" items/SKU-1/qty "), "/items/SKU-1/qty");
        assert_eq!(super::pointer_of("/a~1b"), "/a~1b");
        assert_eq!(super::pointer_of(""), "");
    }
}

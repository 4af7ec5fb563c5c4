//! The inspector: tabs for the cursor's event (payload and metadata), the diff it caused, the
//! state after it (with blame of any member) and a comparison with a pinned point.

use std::collections::BTreeSet;

use egui::{Color32, RichText, Ui};
use serde_json::Value;

use super::json_tree::{TreeOptions, json_tree_ui, leaf_text};
use crate::diff::ChangeOp;
use crate::gui::command::Command;
use crate::gui::inspect::{Answer, BlameRow, ChangeRow};
use crate::gui::settings::Tab;
use crate::gui::view::View;

const ADDED: Color32 = Color32::from_rgb(90, 190, 100);
const REMOVED: Color32 = Color32::from_rgb(230, 90, 80);
const REPLACED: Color32 = Color32::from_rgb(235, 170, 60);

/// Draws the tab bar and the selected tab. `answer` is the worker's newest answer; `current`
/// says whether it is for the cursor shown.
pub fn inspector_ui(
    ui: &mut Ui,
    view: &View,
    answer: Option<&Answer>,
    current: bool,
    tab: &mut Tab,
    cmds: &mut Vec<Command>,
    other: &mut dyn FnMut(&mut Ui, Tab, &mut Vec<Command>),
) {
    ui.horizontal(|ui| {
        for (value, label) in [
            (Tab::Event, "Event"),
            (Tab::Diff, "Diff"),
            (Tab::State, "State"),
            (Tab::Compare, "Compare"),
            (Tab::Charts, "Charts"),
            (Tab::Audit, "Audit"),
            (Tab::Schema, "Schema"),
        ] {
            ui.selectable_value(tab, value, label);
        }
        if !current {
            ui.spinner();
        }
    });
    ui.separator();
    if matches!(tab, Tab::Audit | Tab::Schema | Tab::Charts) {
        // Tables scroll on their own; the store-wide tabs are drawn by the app.
        other(ui, *tab, cmds);
        return;
    }
    let Some(answer) = answer else {
        ui.spinner();
        return;
    };
    if !current {
        // The answer shown is for another point: say which one is coming, and dim this one,
        // so that an old state is never taken for the new one.
        let seq = view.cursor_seq();
        let same_stream = answer.ask.stream == view.stream && answer.ask.cursor < view.len();
        ui.horizontal(|ui| {
            ui.spinner();
            ui.strong(format!("computing seq {seq}…"));
            if same_stream {
                let shown = view.seq_at(answer.ask.cursor);
                ui.weak(format!("(below, dimmed: seq {shown})"));
            }
        });
        if !same_stream {
            return;
        }
        ui.set_opacity(0.35);
    }
    egui::ScrollArea::both()
        .auto_shrink(false)
        .id_salt(("inspector", *tab))
        .show(ui, |ui| match tab {
            Tab::Event => event_tab(ui, view, answer, cmds),
            Tab::Diff => diff_tab(ui, answer),
            Tab::State => state_tab(ui, view, answer, cmds),
            Tab::Compare => compare_tab(ui, view, answer, cmds),
            Tab::Charts | Tab::Audit | Tab::Schema => {}
        });
}

fn event_tab(ui: &mut Ui, view: &View, answer: &Answer, cmds: &mut Vec<Command>) {
    let event = view.store.event(view.stream().events[answer.ask.cursor]);
    egui::Grid::new("event-fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let fields = [
                ("Type", event.type_name().to_owned()),
                ("Seq", event.event.seq.to_string()),
                (
                    "Time",
                    event
                        .time()
                        .unwrap_or(if view.has_times {
                            "-"
                        } else {
                            "(no time in this store)"
                        })
                        .to_owned(),
                ),
                ("Id", event.id().unwrap_or("-").to_owned()),
                ("Position", event.position().to_string()),
                (
                    "Line",
                    event
                        .event
                        .line()
                        .map_or_else(|| "- (a row)".to_owned(), |l| l.to_string()),
                ),
            ];
            for (name, value) in fields {
                ui.strong(name);
                ui.monospace(value);
                ui.end_row();
            }
        });
    if let Some(why) = &answer.failure {
        ui.colored_label(REMOVED, format!("This event was not applied: {why}"));
    }
    if ui
        .button("Copy as JSON")
        .on_hover_text("Copy the whole event as JSON")
        .clicked()
    {
        cmds.push(Command::Copy(answer.event_json.clone()));
    }
    let nothing = BTreeSet::new();
    for (title, value) in [("Payload", &answer.data), ("Metadata", &answer.meta)] {
        ui.add_space(6.0);
        ui.strong(title);
        match value {
            Some(value) => {
                json_tree_ui(
                    ui,
                    value,
                    &TreeOptions {
                        id_salt: title,
                        highlight: &nothing,
                        blame_links: false,
                        open_depth: 3,
                    },
                );
            }
            None => {
                ui.weak("(none)");
            }
        }
    }
}

fn diff_tab(ui: &mut Ui, answer: &Answer) {
    ui.strong(format!(
        "What this event changed ({} change{})",
        answer.changes.len(),
        if answer.changes.len() == 1 { "" } else { "s" }
    ));
    changes_ui(ui, &answer.changes);
    ui.add_space(8.0);
    egui::CollapsingHeader::new("Raw RFC 6902 patch")
        .default_open(false)
        .show(ui, |ui| {
            ui.monospace(serde_json::to_string_pretty(&answer.patch).unwrap_or_default());
        });
}

/// Change rows, colored: added, removed, replaced old → new.
fn changes_ui(ui: &mut Ui, changes: &[ChangeRow]) {
    if changes.is_empty() {
        ui.weak("No change.");
        return;
    }
    egui::Grid::new(ui.next_auto_id())
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for change in changes {
                let (sign, color) = match change.op {
                    ChangeOp::Add => ("+ added", ADDED),
                    ChangeOp::Remove => ("- removed", REMOVED),
                    ChangeOp::Replace => ("~ replaced", REPLACED),
                };
                ui.colored_label(color, sign);
                ui.monospace(if change.path.is_empty() {
                    "(root)"
                } else {
                    &change.path
                });
                ui.label(old_new_text(
                    change.op,
                    change.old.as_ref(),
                    change.new.as_ref(),
                ));
                ui.end_row();
            }
        });
}

fn old_new_text(op: ChangeOp, old: Option<&Value>, new: Option<&Value>) -> RichText {
    let text = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_owned(), leaf_text);
    let line = match op {
        ChangeOp::Add => text(new),
        ChangeOp::Remove => text(old),
        ChangeOp::Replace => format!("{} -> {}", text(old), text(new)),
    };
    RichText::new(line).monospace()
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
    if let Some(pointer) = json_tree_ui(ui, &answer.state, &options) {
        cmds.push(Command::Blame(pointer));
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
                Some((_, changes)) => changes_ui(ui, changes),
                None => {
                    ui.spinner();
                }
            }
        }
    }
}

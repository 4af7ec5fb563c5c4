//! The Event tab: the cursor's event, its envelope fields, payload and metadata.

use std::collections::BTreeSet;

use egui::Ui;

use super::{REMOVED, TabContext};
use crate::gui::command::Command;
use crate::gui::inspect::Answer;
use crate::gui::panels::json_tree::{TreeOptions, json_tree_ui};
use crate::gui::view::View;

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if let Some(answer) = cx.answer {
        event_tab(ui, cx.view, answer, cx.cmds);
    }
}

/// Long for a reason: the event's fields, a grid row each, then its payloads.
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

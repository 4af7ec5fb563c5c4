//! The Event tab: the cursor's event, its envelope fields, the findings about it (each with a
//! link to the record it names), its payload and metadata.

use std::collections::BTreeSet;

use egui::{RichText, Ui};

use super::{REMOVED, TabContext};
use crate::finding::Finding;
use crate::gui::command::Command;
use crate::gui::inspect::Answer;
use crate::gui::panels::json_tree::{TreeOptions, json_tree_ui};
use crate::gui::panels::severity_color;
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
    for finding in view.findings_at(answer.ask.cursor) {
        finding_box(ui, view, finding, cmds);
    }
    named_by_ui(ui, view, view.stream().events[answer.ask.cursor], cmds);
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

/// A finding about the event: its severity and code, its message, and a link to the other
/// record it names ("id … was already used at line 1138" goes to that event).
fn finding_box(ui: &mut Ui, view: &View, finding: &Finding, cmds: &mut Vec<Command>) {
    let color = severity_color(finding.severity);
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, color))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(finding.severity.as_str())
                        .color(color)
                        .strong(),
                );
                ui.monospace(finding.code.as_str());
            });
            ui.add(egui::Label::new(&finding.message).wrap());
            let Some(other) = finding.related else { return };
            let event = view.store.event(other);
            let link = format!(
                "Go to {} ({} seq {})",
                event.place(),
                event.stream(),
                event.event.seq
            );
            if ui
                .link(link)
                .on_hover_text("Move the cursor to the record this finding names")
                .clicked()
            {
                cmds.push(Command::GoToEvent(other));
            }
        });
}

/// The findings about other events that name this one (the first use of an id used again),
/// each a link back to the event it is about.
fn named_by_ui(ui: &mut Ui, view: &View, index: u32, cmds: &mut Vec<Command>) {
    let naming = view
        .report
        .findings
        .iter()
        .filter(|f| f.related == Some(index));
    for finding in naming {
        let Some(about) = finding.event else { continue };
        let event = view.store.event(about);
        ui.horizontal_wrapped(|ui| {
            ui.weak("Named by");
            ui.label(
                RichText::new(finding.code.as_str())
                    .monospace()
                    .color(severity_color(finding.severity)),
            );
            let link = format!(
                "at {} ({} seq {})",
                event.place(),
                event.stream(),
                event.event.seq
            );
            if ui.link(link).on_hover_text(&finding.message).clicked() {
                cmds.push(Command::GoToEvent(about));
            }
        });
    }
}

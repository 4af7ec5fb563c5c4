//! The Diff tab: what the cursor's event changed, as rows and as the RFC 6902 patch; the
//! change rows are shared with Compare.

use egui::{RichText, Ui};
use serde_json::Value;

use super::{ADDED, REMOVED, REPLACED, TabContext};
use crate::diff::ChangeOp;
use crate::gui::inspect::{Answer, ChangeRow};
use crate::gui::panels::json_tree::leaf_text;

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if let Some(answer) = cx.answer {
        diff_tab(ui, answer);
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
pub(super) fn changes_ui(ui: &mut Ui, changes: &[ChangeRow]) {
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

pub(super) fn old_new_text(op: ChangeOp, old: Option<&Value>, new: Option<&Value>) -> RichText {
    let text = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_owned(), leaf_text);
    let line = match op {
        ChangeOp::Add => text(new),
        ChangeOp::Remove => text(old),
        ChangeOp::Replace => format!("{} -> {}", text(old), text(new)),
    };
    RichText::new(line).monospace()
}

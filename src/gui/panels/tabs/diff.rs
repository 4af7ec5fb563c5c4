//! The Diff tab: what the cursor's event changed, as rows and as the RFC 6902 patch; the
//! change rows are shared with Compare. A change's path opens its history, even when the
//! member is gone at the cursor.

use std::collections::BTreeSet;

use egui::{RichText, Ui};
use serde_json::Value;

use super::{ADDED, REMOVED, REPLACED, TabContext};
use crate::diff::ChangeOp;
use crate::gui::command::Command;
use crate::gui::inspect::{Answer, ChangeRow};
use crate::gui::panels::json_tree::{TreeOptions, container_summary, json_tree_ui, leaf_text};

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if let Some(answer) = cx.answer {
        diff_tab(ui, answer, cx.cmds);
    }
}

fn diff_tab(ui: &mut Ui, answer: &Answer, cmds: &mut Vec<Command>) {
    ui.strong(format!(
        "What this event changed ({} change{})",
        answer.changes.len(),
        if answer.changes.len() == 1 { "" } else { "s" }
    ));
    changes_ui(ui, "diff", &answer.changes, cmds);
    ui.add_space(8.0);
    egui::CollapsingHeader::new("Raw RFC 6902 patch")
        .default_open(false)
        .show(ui, |ui| {
            ui.monospace(serde_json::to_string_pretty(&answer.patch).unwrap_or_default());
        });
}

/// Change rows, colored: added, removed, replaced old → new. A path is a link to its history
/// (a removed member's too); an object or array added or removed is a tree to open, and a
/// long value wraps instead of running off the edge.
pub(super) fn changes_ui(ui: &mut Ui, salt: &str, changes: &[ChangeRow], cmds: &mut Vec<Command>) {
    if changes.is_empty() {
        ui.weak("No change.");
        return;
    }
    // The tab scrolls both ways; values wrap at the edge of what is shown of it.
    let visible_right = ui.clip_rect().right();
    egui::Grid::new((salt, "changes"))
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
                let path = if change.path.is_empty() {
                    "(root)"
                } else {
                    &change.path
                };
                if ui
                    .link(RichText::new(path).monospace())
                    .on_hover_text("Show every event that changed this member")
                    .clicked()
                {
                    cmds.push(Command::Blame(change.path.clone()));
                }
                let width = (visible_right - ui.cursor().left() - 8.0).max(240.0);
                ui.vertical(|ui| {
                    ui.set_max_width(width);
                    value_ui(ui, (salt, &change.path), change, width);
                });
                ui.end_row();
            }
        });
}

/// The value column of a change: one line for leaves, trees for objects and arrays.
fn value_ui(ui: &mut Ui, salt: (&str, &str), change: &ChangeRow, width: f32) {
    let is_tree = |v: Option<&Value>| matches!(v, Some(Value::Object(_) | Value::Array(_)));
    let (old, new) = (change.old.as_ref(), change.new.as_ref());
    if !is_tree(old) && !is_tree(new) {
        ui.add(egui::Label::new(old_new_text(change.op, old, new)).wrap());
        return;
    }
    let sides: &[(&str, Option<&Value>)] = match change.op {
        ChangeOp::Add => &[("", new)],
        ChangeOp::Remove => &[("", old)],
        ChangeOp::Replace => &[("from", old), ("to", new)],
    };
    let nothing = BTreeSet::new();
    for &(side, value) in sides {
        let Some(value) = value else { continue };
        if !is_tree(Some(value)) {
            let text = format!("{side} {}", leaf_text(value));
            ui.add(egui::Label::new(RichText::new(text.trim_start()).monospace()).wrap());
            continue;
        }
        // As much of the JSON as the header has room for, in monospace characters.
        let glyph =
            ui.fonts_mut(|f| f.glyph_width(&egui::TextStyle::Monospace.resolve(ui.style()), '0'));
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // 8 or more, small
        let room = ((width - 90.0) / glyph.max(1.0)).max(8.0) as usize;
        let header = format!(
            "{side} {}  {}",
            container_summary(value),
            preview(value, room)
        );
        egui::CollapsingHeader::new(RichText::new(header.trim_start()).monospace())
            .id_salt((salt, side))
            .default_open(false)
            .show(ui, |ui| {
                let tree_salt = format!("{}{}{side}", salt.0, salt.1);
                json_tree_ui(
                    ui,
                    value,
                    &TreeOptions {
                        id_salt: &tree_salt,
                        highlight: &nothing,
                        blame_links: false,
                        open_depth: 2,
                    },
                );
            });
    }
}

/// A container's JSON on one line, cut to `chars`: what the folded tree holds, at a glance.
fn preview(value: &Value, chars: usize) -> String {
    let text = value.to_string();
    if text.chars().count() > chars {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    } else {
        text
    }
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

//! A collapsible JSON tree: objects and arrays fold, members changed by the current event are
//! highlighted, and a member's name can be clicked to ask for its history.

use std::collections::BTreeSet;

use egui::collapsing_header::CollapsingState;
use egui::{Color32, RichText, Ui};
use serde_json::Value;

use crate::diff::pointer;

/// Children shown per object or array before "… N more".
const CHILDREN_SHOWN: usize = 500;
/// Leaf values longer than this are cut in the tree (copy the raw JSON for all of it).
const VALUE_CHARS: usize = 160;
/// The color of changed members.
pub const CHANGED: Color32 = Color32::from_rgb(235, 170, 60);

/// How a tree is drawn.
pub struct TreeOptions<'a> {
    /// Distinguishes trees drawn in the same window.
    pub id_salt: &'a str,
    /// Pointers to highlight.
    pub highlight: &'a BTreeSet<String>,
    /// Whether member names are links that ask for their history.
    pub blame_links: bool,
    /// Levels open at first.
    pub open_depth: usize,
}

/// What was asked of a member of the tree, by its JSON Pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeClick {
    /// Its name was clicked: show its history.
    History(String),
    /// "Add as column" in its menu: a column of the Read model's table.
    Column(String),
}

/// Draws `value` as a tree; returns what was asked of a member (with `blame_links`, a click
/// on its name, or its context menu).
pub fn json_tree_ui(ui: &mut Ui, value: &Value, options: &TreeOptions<'_>) -> Option<TreeClick> {
    let mut clicked = None;
    match value {
        Value::Object(_) | Value::Array(_) => children_ui(ui, "", value, options, 0, &mut clicked),
        leaf => {
            ui.monospace(leaf_text(leaf));
        }
    }
    clicked
}

fn children_ui(
    ui: &mut Ui,
    path: &str,
    value: &Value,
    options: &TreeOptions<'_>,
    depth: usize,
    clicked: &mut Option<TreeClick>,
) {
    let entries: Box<dyn Iterator<Item = (String, &Value)>> = match value {
        Value::Object(map) => Box::new(map.iter().map(|(k, v)| (k.clone(), v))),
        Value::Array(items) => Box::new(items.iter().enumerate().map(|(i, v)| (i.to_string(), v))),
        _ => return,
    };
    let total = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    for (name, child) in entries.take(CHILDREN_SHOWN) {
        let child_path = pointer::child(path, &name);
        node_ui(ui, &name, &child_path, child, options, depth, clicked);
    }
    if total > CHILDREN_SHOWN {
        ui.weak(format!("… {} more", total - CHILDREN_SHOWN));
    }
}

fn node_ui(
    ui: &mut Ui,
    name: &str,
    path: &str,
    value: &Value,
    options: &TreeOptions<'_>,
    depth: usize,
    clicked: &mut Option<TreeClick>,
) {
    let changed = options.highlight.contains(path);
    // A member may be named by the empty string, which would otherwise show as nothing.
    let name = if name.is_empty() { "\"\"" } else { name };
    let label = if changed {
        RichText::new(name).color(CHANGED).strong()
    } else {
        RichText::new(name)
    };
    let mut name_ui = |ui: &mut Ui| {
        let response = if options.blame_links {
            ui.link(label.clone())
                .on_hover_text("Show every event that changed this member (right-click: more)")
        } else {
            ui.label(label.clone())
        };
        if response.clicked() {
            *clicked = Some(TreeClick::History(path.to_owned()));
        }
        if options.blame_links {
            response.context_menu(|ui| {
                if ui.button("History").clicked() {
                    *clicked = Some(TreeClick::History(path.to_owned()));
                }
                if ui.button("Add as column").clicked() {
                    *clicked = Some(TreeClick::Column(path.to_owned()));
                }
            });
        }
    };
    match value {
        Value::Object(_) | Value::Array(_) => {
            let id = ui.make_persistent_id((options.id_salt, path));
            CollapsingState::load_with_default_open(ui.ctx(), id, depth < options.open_depth)
                .show_header(ui, |ui| {
                    name_ui(ui);
                    ui.weak(container_summary(value));
                })
                .body(|ui| children_ui(ui, path, value, options, depth + 1, clicked));
        }
        leaf => {
            ui.horizontal(|ui| {
                ui.add_space(18.0);
                name_ui(ui);
                let text = RichText::new(leaf_text(leaf)).monospace();
                ui.label(if changed { text.color(CHANGED) } else { text });
            });
        }
    }
}

/// `{3}` or `[12]`: what a folded container holds.
pub fn container_summary(value: &Value) -> String {
    match value {
        Value::Object(map) => format!("{{{}}}", map.len()),
        Value::Array(items) => format!("[{}]", items.len()),
        _ => String::new(),
    }
}

/// A leaf as JSON (strings quoted, numbers exactly as stored), cut when long.
pub fn leaf_text(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > VALUE_CHARS {
        let cut: String = text.chars().take(VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

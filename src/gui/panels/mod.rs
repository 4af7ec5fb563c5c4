//! The window's panels. Each holds only its view state and draws with
//! `fn ui(&mut self, ui, view, cmds)`, pushing commands instead of changing the model.

pub mod catalog;
pub mod event_list;
pub mod export;
pub mod fields;
pub mod find;
pub mod json_tree;
pub mod projection;
pub mod read_model;
pub mod start;
pub mod streams;
pub mod tabs;
pub mod timeline;

/// Gives a widget without a visible label its accessible name (for screen readers and tests).
pub fn name_widget(response: &egui::Response, role: egui::Role, name: &str) {
    response.widget_info(|| egui::WidgetInfo::labeled(role, true, name));
}

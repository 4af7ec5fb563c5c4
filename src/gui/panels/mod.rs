//! The window's panels. Each holds only its view state and draws with
//! `fn ui(&mut self, ui, view, cmds)`, pushing commands instead of changing the model.

pub mod catalog;
pub mod event_list;
pub mod export;
pub mod fields;
pub mod find;
pub mod json_tree;
pub mod path_edit;
pub mod projection;
pub mod read_model;
pub mod start;
pub mod streams;
pub mod tabs;
pub mod timeline;

/// Underlines the title of the list the arrow keys walk (in the selection's colour).
pub fn keys_mark(ui: &egui::Ui, title: &egui::Response, has_keys: bool) {
    if has_keys {
        let rect = title.rect;
        let stroke = egui::Stroke::new(2.0, ui.visuals().selection.bg_fill);
        ui.painter()
            .hline(rect.x_range(), rect.bottom() + 1.0, stroke);
    }
}

/// Gives a widget without a visible label its accessible name (for screen readers and tests).
pub fn name_widget(response: &egui::Response, role: egui::Role, name: &str) {
    response.widget_info(|| egui::WidgetInfo::labeled(role, true, name));
}

/// The colour of a finding's severity, the same in the Audit tab, the event list's badges,
/// the Event tab's boxes and the timeline's markers.
pub fn severity_color(severity: crate::finding::Severity) -> egui::Color32 {
    use crate::finding::Severity;
    match severity {
        Severity::Error => egui::Color32::from_rgb(230, 70, 55),
        Severity::Warning => egui::Color32::from_rgb(240, 170, 40),
        Severity::Info => egui::Color32::from_rgb(120, 170, 230),
    }
}

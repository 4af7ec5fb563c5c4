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

/// Where the middle column (the event list, or the Read model) was drawn, for windows to open
/// over: it scrolls to the cursor, while the top bar, the stream list, the inspector and the
/// timeline are what a user reads while a window is open.
const MIDDLE: &str = "eventlens-middle-column";

/// Notes where the middle column is this frame.
pub fn note_middle(ui: &egui::Ui) {
    let rect = ui.max_rect();
    ui.ctx()
        .data_mut(|d| d.insert_temp(egui::Id::unique(MIDDLE), rect));
}

/// Where a window (Projection, Export) opens: over the middle column, below its filters and
/// header, so that it hides list rows only.
pub fn window_place(ctx: &egui::Context) -> egui::Pos2 {
    ctx.data(|d| d.get_temp::<egui::Rect>(egui::Id::unique(MIDDLE)))
        .map_or(egui::pos2(252.0, 130.0), |rect| {
            rect.min + egui::vec2(8.0, 64.0)
        })
}

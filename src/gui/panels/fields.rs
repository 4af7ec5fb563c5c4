//! The Fields window: the first record's members, and which of them each envelope field
//! (stream, seq, type, time, id, data, meta) is read from — as detected, or a member picked or
//! typed as a JSON Pointer, the same as the `--*-field` options. Applying re-reads the store in
//! the background with that mapping, which the window remembers for the source.

use egui::{Color32, RichText, Ui};

use crate::gui::command::Command;
use crate::gui::view::View;
use crate::store::FieldPointers;
use crate::store::members::{self, Member};

const HINT: Color32 = Color32::from_rgb(235, 170, 60);

/// The envelope fields, as the window names them.
pub const FIELDS: [&str; 7] = ["stream", "seq", "type", "time", "id", "data", "meta"];

/// The window's view state: the mapping being edited.
#[derive(Debug, Default)]
pub struct FieldsWindow {
    /// One pointer per field of [`FIELDS`]; empty is "as detected".
    draft: [String; 7],
    /// The mapping the draft started from, to tell when the store shown changed mapping.
    from: Option<FieldPointers>,
}

impl FieldsWindow {
    /// Starts editing from `mapping` (the one the store shown was read with).
    pub fn edit(&mut self, mapping: &FieldPointers) {
        if self.from.as_ref() == Some(mapping) {
            return;
        }
        self.draft = pointers(mapping).map(|p| p.cloned().unwrap_or_default());
        self.from = Some(mapping.clone());
    }

    /// The mapping drafted.
    pub fn mapping(&self) -> FieldPointers {
        let [stream, seq, type_, time, id, data, meta] = self
            .draft
            .clone()
            .map(|p| Some(p.trim().to_owned()).filter(|p| !p.is_empty()));
        FieldPointers {
            stream,
            seq,
            type_,
            time,
            id,
            data,
            meta,
            position: None,
        }
    }

    /// Sets the draft pointer of `field` (one of [`FIELDS`]).
    pub fn set(&mut self, field: &str, pointer: &str) {
        if let Some(at) = FIELDS.iter().position(|f| *f == field) {
            pointer.clone_into(&mut self.draft[at]);
        }
    }

    /// Draws the window for the store in `view`, read with `mapping`.
    pub fn window_ui(
        &mut self,
        ctx: &egui::Context,
        view: &View,
        mapping: &FieldPointers,
        cmds: &mut Vec<Command>,
    ) {
        self.edit(mapping);
        let mut open = true;
        egui::Window::new("Fields")
            .open(&mut open)
            .default_width(620.0)
            .default_pos([420.0, 120.0])
            .show(ctx, |ui| self.contents_ui(ui, view, cmds));
        if !open {
            cmds.push(Command::ShowFields(false));
        }
    }

    /// Long for a reason: one row per envelope field, laid out in one grid.
    fn contents_ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        let store = &view.store;
        let first = view.stream().events.first().copied().unwrap_or(0);
        let record = store.record(first).unwrap_or_default();
        let found = members::members(record);
        ui.label(format!(
            "{} · {}",
            store.name(),
            store.detection().describe()
        ));
        ui.label("Which member of each record is each field of the event? Leave a field empty to read it as detected.");
        if !view.has_times {
            let times = members::time_members(record);
            let said = match times.first() {
                Some(time) => {
                    format!("No event has a time; {time} looks like one: pick it for time.")
                }
                None => "No event has a time, and no member of the first record looks like one."
                    .to_owned(),
            };
            ui.label(RichText::new(said).color(HINT));
        }
        ui.add_space(4.0);
        egui::Grid::new("fields-mapping")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for (at, field) in FIELDS.iter().enumerate() {
                    ui.strong(*field);
                    let draft = &mut self.draft[at];
                    let shown = if draft.is_empty() {
                        "as detected".to_owned()
                    } else {
                        draft.clone()
                    };
                    let combo = egui::ComboBox::from_id_salt(("field", *field))
                        .selected_text(shown)
                        .width(220.0)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(draft, String::new(), "as detected");
                            for member in &found {
                                let label = format!("{}  {}", member.pointer, member.value);
                                ui.selectable_value(draft, member.pointer.clone(), label);
                            }
                        });
                    super::name_widget(
                        &combo.response,
                        egui::Role::ComboBox,
                        &format!("{field} member"),
                    );
                    let typed = ui.add(
                        egui::TextEdit::singleline(draft)
                            .hint_text("/pointer")
                            .desired_width(180.0),
                    );
                    super::name_widget(&typed, egui::Role::TextInput, &format!("{field} pointer"));
                    ui.end_row();
                }
            });
        ui.add_space(4.0);
        members_ui(ui, &found);
        ui.separator();
        let mapping = self.mapping();
        let bad = mapping.validate().err();
        if let Some(bad) = &bad {
            ui.colored_label(Color32::from_rgb(230, 90, 70), bad);
        }
        ui.horizontal(|ui| {
            let apply = ui.add_enabled(
                bad.is_none(),
                egui::Button::new("Apply (read the store again)"),
            );
            if apply.clicked() {
                cmds.push(Command::SetFields(mapping));
            }
            if ui.button("Back to detected").clicked() {
                self.draft = Default::default();
            }
        });
    }
}

fn pointers(mapping: &FieldPointers) -> [Option<&String>; 7] {
    [
        mapping.stream.as_ref(),
        mapping.seq.as_ref(),
        mapping.type_.as_ref(),
        mapping.time.as_ref(),
        mapping.id.as_ref(),
        mapping.data.as_ref(),
        mapping.meta.as_ref(),
    ]
}

fn members_ui(ui: &mut Ui, found: &[Member]) {
    egui::CollapsingHeader::new(format!("The first record's members ({})", found.len()))
        .default_open(false)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(180.0)
                .show(ui, |ui| {
                    for member in found {
                        ui.horizontal(|ui| {
                            ui.monospace(&member.pointer);
                            ui.weak(&member.value);
                        });
                    }
                });
        });
}

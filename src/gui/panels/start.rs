//! The start screen: Open…, a path field, drag-and-drop, a PostgreSQL connection field, a
//! Kafka topic field, recent files and connections, and the bundled sample.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::gui::command::Command;
use crate::gui::settings::Settings;

/// The start screen's view state.
#[derive(Debug, Default)]
pub struct StartScreen {
    /// The path field's text.
    pub path: String,
    /// The connection field's text (a `postgres://` URL).
    pub connection: String,
    /// The Kafka field's text (`kafka://HOST:PORT/TOPIC`, or `HOST:PORT/TOPIC`).
    pub topic: String,
    /// The key whose partition alone is read, if one is typed.
    pub key: String,
}

impl StartScreen {
    /// Draws the start screen.
    pub fn ui(&mut self, ui: &mut Ui, settings: &Settings, cmds: &mut Vec<Command>) {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(RichText::new("eventlens").size(32.0));
            ui.label("Explore event-sourced histories: state at any point, the diff of every event, who set a field, and whether the log is intact.");
            ui.add_space(20.0);
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - 320.0).max(0.0) / 2.0);
                if ui.button(RichText::new("Open… (Ctrl+O)").size(16.0)).clicked() {
                    cmds.push(Command::OpenDialog);
                }
                if ui.button(RichText::new("Open sample").size(16.0)).on_hover_text("The bundled order store: 6 000 events, 276 orders with their payments and shipments").clicked() {
                    cmds.push(Command::OpenSample);
                }
            });
            ui.add_space(12.0);
            path_field_ui(ui, &mut self.path, cmds);
            ui.weak("…or drop a store file anywhere in this window.");
            ui.add_space(12.0);
            connection_field_ui(ui, &mut self.connection, cmds);
            ui.weak("message-db, Emmett, eventsourcing or Marten, detected from its tables. The password comes from the URL, PGPASSWORD or ~/.pgpass and is never saved.");
            ui.add_space(12.0);
            topic_field_ui(ui, &mut self.topic, &mut self.key, cmds);
            ui.weak("Messages mapped as kcat's, partitions merged by time. With a key, only the partition Kafka's default partitioner gives it is read. Nothing is consumed for a group or committed.");
            ui.add_space(20.0);
            if !settings.connections.is_empty() {
                ui.strong("Recent connections");
                for url in &settings.connections {
                    let hover = if url.starts_with("kafka://") { "Read the topic again" } else { "Connect again (the password from PGPASSWORD or ~/.pgpass)" };
                    if ui.link(url).on_hover_text(hover).clicked() {
                        cmds.push(Command::OpenPath(PathBuf::from(url)));
                    }
                }
                ui.add_space(12.0);
            }
            if !settings.recent.is_empty() {
                ui.strong("Recent files");
                for path in &settings.recent {
                    let exists = path.exists();
                    let label = if exists { RichText::new(path.display().to_string()) } else { RichText::new(format!("{} (missing)", path.display())).weak() };
                    if ui.link(label).clicked() {
                        cmds.push(Command::OpenPath(path.clone()));
                    }
                }
            }
        });
    }
}

/// The PostgreSQL connection field with a Connect button; Enter connects too.
fn connection_field_ui(ui: &mut Ui, url: &mut String, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.add_space((ui.available_width() - 520.0).max(0.0) / 2.0);
        ui.label("PostgreSQL:");
        let width = (ui.available_width() - 110.0).clamp(120.0, 340.0);
        let field = ui.add(
            egui::TextEdit::singleline(url)
                .hint_text("postgres://user@host:5432/database")
                .desired_width(width),
        );
        super::name_widget(&field, egui::Role::TextInput, "PostgreSQL connection");
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Connect").clicked() || entered) && !url.trim().is_empty() {
            let text = url.trim();
            // A bare host/database is a URL without its scheme.
            let text = if text.contains("://") {
                text.to_owned()
            } else {
                format!("postgres://{text}")
            };
            cmds.push(Command::OpenPath(PathBuf::from(text)));
        }
    });
}

/// The Kafka topic field and a key field, with a Read button; Enter in either reads too.
fn topic_field_ui(ui: &mut Ui, url: &mut String, key: &mut String, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.add_space((ui.available_width() - 520.0).max(0.0) / 2.0);
        ui.label("Kafka:");
        let width = (ui.available_width() - 250.0).clamp(120.0, 230.0);
        let field = ui.add(
            egui::TextEdit::singleline(url)
                .hint_text("kafka://host:9092/orders")
                .desired_width(width),
        );
        super::name_widget(&field, egui::Role::TextInput, "Kafka topic");
        let key_field = ui.add(
            egui::TextEdit::singleline(key)
                .hint_text("key (optional)")
                .desired_width(100.0),
        );
        super::name_widget(&key_field, egui::Role::TextInput, "Kafka key");
        let entered = (field.lost_focus() || key_field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Read topic").clicked() || entered) && !url.trim().is_empty() {
            let text = url.trim();
            let url = if text.contains("://") {
                text.to_owned()
            } else {
                format!("kafka://{text}")
            };
            let key = Some(key.trim().to_owned()).filter(|k| !k.is_empty());
            cmds.push(Command::OpenTopic { url, key });
        }
    });
}

/// A path field with an Open button; Enter opens too.
pub fn path_field_ui(ui: &mut Ui, path: &mut String, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.add_space((ui.available_width() - 520.0).max(0.0) / 2.0);
        ui.label("Path:");
        // Narrower where the row is short (the top bar of a small window), with room left
        // for the button.
        let width = (ui.available_width() - 110.0).clamp(120.0, 380.0);
        let field =
            super::path_edit::path_edit(ui, "Store path", path, "/path/to/store.jsonl", width);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Open path").clicked() || entered) && !path.trim().is_empty() {
            cmds.push(Command::OpenPath(PathBuf::from(path.trim())));
        }
    });
}

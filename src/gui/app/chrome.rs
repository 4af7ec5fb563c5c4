//! The window's frame around the panels: shortcuts, the top bar, the loading screen, and where
//! the panels of an opened store go.

use std::path::{Path, PathBuf};

use egui::{Color32, Key, Modifiers, RichText, Ui};

use super::{App, Ready, Screen};
use crate::gui::command::Command;
use crate::gui::keys::{List, Move};
use crate::gui::loader::{Loader, Stage};
use crate::gui::panels::read_model::read_model_ui;
use crate::gui::panels::start::path_field_ui;
use crate::gui::panels::tabs::{TabContext, inspector_ui};
use crate::gui::settings::Settings;
use crate::source::Source;
use crate::store::{Phase, Progress, plural};

impl App {
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::O)) {
            self.cmds.push(Command::OpenDialog);
        }
        if matches!(self.screen, Screen::Ready(_))
            && ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F))
        {
            self.cmds.push(Command::ShowFind(true));
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.cmds.push(Command::OpenPath(path));
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F1))
            || (!ctx.egui_wants_keyboard_input()
                && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Questionmark)))
        {
            self.cmds
                .push(Command::ShowShortcuts(!self.windows.shortcuts));
        }
        let Screen::Ready(ready) = &self.screen else {
            return;
        };
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let moment = ready.read_model_shown;
        if !moment {
            self.list_keys(ctx, ready.view.keys);
        }
        let keys = if moment {
            [
                (Key::ArrowLeft, Command::MomentBack),
                (Key::ArrowRight, Command::MomentForward),
                (Key::Home, Command::MomentFirst),
                (Key::End, Command::MomentLast),
                (Key::M, Command::ShowReadModel(false)),
                (Key::F, Command::ToggleFollow),
            ]
        } else {
            [
                (Key::ArrowLeft, Command::StepBack),
                (Key::ArrowRight, Command::StepForward),
                (Key::Space, Command::TogglePlay),
                (Key::F, Command::ToggleFollow),
                (Key::P, Command::TogglePin),
                (Key::J, Command::JumpToPin),
            ]
        };
        if !moment && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::M)) {
            self.cmds.push(Command::ShowReadModel(true));
        }
        for (key, command) in keys {
            if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key)) {
                self.cmds.push(command);
            }
        }
    }

    /// Up/Down, Page Up/Down and Home/End walk the list that has the keys.
    fn list_keys(&mut self, ctx: &egui::Context, list: List) {
        for (key, by) in Move::KEYS {
            if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key)) {
                self.cmds.push(Command::MoveRow { list, by });
            }
        }
    }

    /// Long for a reason: the top bar's buttons, in the order they are on screen.
    pub(super) fn top_bar_ui(&mut self, ui: &mut Ui) {
        egui::Panel::top("top").show(ui, |ui| {
            // Wrapped, not clipped: in a narrow window the summary and the path field go on a
            // second line and every button stays one click away.
            ui.horizontal_wrapped(|ui| {
                ui.strong("eventlens");
                if ui.button("Open… (Ctrl+O)").clicked() {
                    self.cmds.push(Command::OpenDialog);
                }
                if ui.button("Open sample").clicked() {
                    self.cmds.push(Command::OpenSample);
                }
                if let Screen::Ready(ready) = &self.screen {
                    if ui.button("Close").clicked() {
                        self.cmds.push(Command::CloseStore);
                    }
                    if matches!(ready.source, Source::Database(_))
                        && ui
                            .button("Streams…")
                            .on_hover_text("The database's streams, counted by the server: pick another stream or category to read")
                            .clicked()
                    {
                        self.cmds.push(Command::ShowCatalog);
                    }
                    let button = ui
                        .button(format!("Projection… (fold: {})", self.projections.fold_name()))
                        .on_hover_text("Fold the streams with a JavaScript projection (KurrentDB syntax) instead of merge patches");
                    if button.clicked() {
                        self.cmds
                            .push(Command::ShowProjection(!self.windows.projection));
                    }
                    let button = ui
                        .button("Export…")
                        .on_hover_text("Save the state, a diff, the events listed or the findings to a file");
                    if button.clicked() {
                        self.cmds.push(Command::ShowExport(!self.windows.export));
                    }
                    let button = ui
                        .button("Fields…")
                        .on_hover_text("Choose which member of the records is each field of an event (stream, seq, type, time, id, data, meta)");
                    if button.clicked() {
                        self.cmds.push(Command::ShowFields(!self.windows.fields));
                    }
                    if ui
                        .button("Find… (Ctrl+F)")
                        .on_hover_text("Search every event of the store: text, or a jq filter")
                        .clicked()
                    {
                        self.cmds.push(Command::ShowFind(!self.windows.find));
                    }
                    follow_button_ui(ui, ready, &mut self.cmds);
                    let shown = ready.read_model_shown;
                    if ui
                        .selectable_label(shown, "Read model (M)")
                        .on_hover_text("Every stream's state at one moment of the store")
                        .clicked()
                    {
                        self.cmds.push(Command::ShowReadModel(!shown));
                    }
                    ui.separator();
                    store_summary_ui(ui, ready);
                    ui.separator();
                    path_field_ui(ui, &mut self.path, &mut self.cmds);
                }
            });
            if let Screen::Ready(ready) = &self.screen
                && ready.loading.is_some()
            {
                ui.horizontal(|ui| Self::load_status_ui(ui, ready, &mut self.cmds));
            }
            for (index, notice) in self.notices.iter().enumerate() {
                egui::Frame::group(ui.style())
                    .fill(Color32::from_rgb(90, 50, 30))
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(notice).color(Color32::WHITE));
                            if ui.small_button("Dismiss").clicked() {
                                self.cmds.push(Command::DismissNotice(index));
                            }
                        });
                    });
            }
        });
    }

    pub(super) fn loading_ui(ui: &mut Ui, loader: &Loader, cmds: &mut Vec<Command>) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(80.0);
                ui.heading(format!("Opening {}", loader.source));
                let (progress, stage) = loader.progress();
                let (phase, fraction) = progress_of(progress, stage);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(420.0)
                        .show_percentage(),
                );
                let mb = |b: u64| b as f64 / 1_048_576.0;
                let seconds = loader.started.elapsed().as_secs_f32();
                ui.label(if progress.phase == Phase::Rows {
                    format!(
                        "{phase}: {} of {} · {} events · {seconds:.1} s",
                        progress.bytes_done, progress.bytes_total, progress.events
                    )
                } else {
                    format!(
                        "{phase}: {:.1} of {:.1} MB · {} events · {seconds:.1} s",
                        mb(progress.bytes_done),
                        mb(progress.bytes_total),
                        progress.events
                    )
                });
                if ui.button("Cancel (Esc)").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                    cmds.push(Command::CancelLoad);
                }
            });
        });
    }

    /// While the load goes on behind an opened store: how far indexing is (the store shown is
    /// its beginning), or that the check runs.
    pub(super) fn load_status_ui(ui: &mut Ui, ready: &Ready, cmds: &mut Vec<Command>) {
        let Some(loader) = &ready.loading else {
            return;
        };
        let (progress, stage) = loader.progress();
        if stage == Stage::Checking || ready.complete {
            ui.weak("checking the log…");
            return;
        }
        let (_, fraction) = progress_of(progress, stage);
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(160.0)
                .show_percentage(),
        );
        ui.label(format!(
            "indexing: {} events so far · showing the first {}",
            progress.events,
            ready.view.store.events().len()
        ));
        if ui.button("Cancel (Esc)").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
            cmds.push(Command::CancelLoad);
        }
    }

    pub(super) fn ready_ui(
        ui: &mut Ui,
        ready: &mut Ready,
        settings: &mut Settings,
        cmds: &mut Vec<Command>,
    ) {
        egui::Panel::bottom("timeline").show(ui, |ui| {
            ui.add_space(4.0);
            ready.timeline.ui(ui, &ready.view, &mut settings.axis, cmds);
            ui.add_space(4.0);
        });
        egui::Panel::left("streams")
            .resizable(true)
            .default_size(240.0)
            .show(ui, |ui| {
                ready.streams.ui(ui, &ready.view, cmds);
            });
        let width = ui.available_width();
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(width * 0.42)
            .show(ui, |ui| {
                let current = ready.inspector.is_current();
                let mut cx = TabContext {
                    view: &ready.view,
                    answer: ready.inspector.latest().map(AsRef::as_ref),
                    audit: &mut ready.audit,
                    schema: &mut ready.schema,
                    charts: &mut ready.charts,
                    trace: &mut ready.trace,
                    complete: ready.complete,
                    cmds,
                };
                inspector_ui(ui, &mut cx, current, &mut settings.tab);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            crate::gui::panels::note_middle(ui);
            match (&mut ready.read_model, ready.read_model_shown) {
                (Some(model), true) => read_model_ui(ui, model, &ready.view.store, cmds),
                _ => ready.events.ui(ui, &ready.view, cmds),
            }
        });
    }
}

/// What the store shown is: its name (and a database's preset), its size, and what the check
/// found.
fn store_summary_ui(ui: &mut Ui, ready: &Ready) {
    let store = &ready.view.store;
    // A database says which preset read it ("preset marten").
    let described = store.detection().describe();
    let preset = described
        .split_once(':')
        .map(|(preset, _)| preset)
        .filter(|p| p.starts_with("preset "))
        .map_or_else(String::new, |p| format!(" ({p})"));
    let summary = format!(
        "{}{preset} · {} events in {} streams",
        short_name(store.name()),
        store.events().len(),
        store.streams().len()
    );
    ui.add(egui::Label::new(summary).wrap_mode(egui::TextWrapMode::Extend))
        .on_hover_text(format!(
            "{}\n{}",
            store.name(),
            store.detection().describe()
        ));
    let errors = ready.view.report.count(crate::audit::Severity::Error);
    let warnings = ready.view.report.count(crate::audit::Severity::Warning);
    if errors + warnings > 0 {
        let text = RichText::new(format!(
            "check: {errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        ))
        .color(Color32::from_rgb(230, 90, 70));
        // Whole, on the next line if need be: a wrapped bar must not cut it in two.
        ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
    }
}

/// The Follow toggle: read new events as they are appended (key F), with what it is doing.
pub(super) fn follow_button_ui(ui: &mut Ui, ready: &Ready, cmds: &mut Vec<Command>) {
    let following = ready.is_following();
    let lost = ready.lost.as_deref().filter(|_| following);
    let label = if lost.is_some() {
        "● Following: reconnecting… (F)"
    } else if following {
        "● Following (F)"
    } else {
        "Follow (F)"
    };
    let reconnecting;
    let hover = if let Some(why) = lost {
        reconnecting =
            format!("{why}. Nothing is lost: the events appended meanwhile come once it is back.");
        reconnecting.as_str()
    } else if following {
        "New events are read as they are appended; a cursor on a stream's last event moves with it. Click or press F to stop."
    } else {
        "Read new events as they are appended to the source (F); a cursor on a stream's last event moves with it"
    };
    let button = ui.selectable_label(following, label).on_hover_text(hover);
    if button.clicked() {
        cmds.push(Command::ToggleFollow);
    }
}

/// The last part of a store's name: a file's name without its folder.
pub(super) fn short_name(name: &str) -> String {
    Path::new(name)
        .file_name()
        .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// What a load is doing, and how much of it is done (0–1), for a progress bar.
pub(super) fn progress_of(progress: Progress, stage: Stage) -> (&'static str, f32) {
    let fraction = if progress.bytes_total > 0 {
        progress.bytes_done as f32 / progress.bytes_total as f32
    } else {
        0.0
    };
    match (stage, progress.phase) {
        (Stage::Checking | Stage::Done, _) => ("Checking the log", 1.0),
        (Stage::Indexing, Phase::Reading) => ("Reading", fraction),
        (Stage::Indexing, Phase::Indexing) => ("Indexing", fraction),
        (Stage::Indexing, Phase::Rows) => ("Reading rows", fraction),
    }
}

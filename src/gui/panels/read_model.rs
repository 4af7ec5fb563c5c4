//! The Read model view: every stream's state at one moment of the whole store. A timeline over
//! the store (by time or position, with the stream timeline's keys), a filter (as `--where`)
//! with its error in place, columns of jq filters, the table (virtualized, sortable; a row
//! opens its stream at the moment), counts by a column over time as a stacked chart with the
//! moment marked, and watchpoints whose changes are listed and marked on the timeline.

use egui::{Align, Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Legend, Plot, VLine};
use serde_json::Value;

use crate::gui::command::Command;
use crate::gui::panels::tabs::charts::{minutes_to_time, palette};
use crate::gui::read_model::{Counted, ReadModel, TableAnswer, Watchpoint};
use crate::query::read_model::Transitions;
use crate::query::read_model::cell;
use crate::store::Store;

const WATCH: Color32 = Color32::from_rgb(235, 170, 60);

/// Draws the view. Edits to the filter, columns and watchpoints change `model` directly (they
/// are the view's own state); moving the moment and opening a stream are commands.
pub fn read_model_ui(ui: &mut Ui, model: &mut ReadModel, store: &Store, cmds: &mut Vec<Command>) {
    moment_ui(ui, model, store, cmds);
    ui.separator();
    filters_ui(ui, model);
    watchpoints_ui(ui, model, store, cmds);
    chart_ui(ui, model);
    ui.separator();
    match model.table.latest().cloned() {
        Some(answer) => {
            status_ui(ui, model, &answer);
            table_ui(ui, model, &answer, store, cmds);
        }
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("folding every stream…");
            });
        }
    }
}

/// The moment: where it is, how to move it, and the store's timeline with watchpoint marks.
fn moment_ui(ui: &mut Ui, model: &mut ReadModel, store: &Store, cmds: &mut Vec<Command>) {
    let events = store.events().len();
    let last = events.saturating_sub(1);
    ui.horizontal_wrapped(|ui| {
        ui.strong("Read model");
        let event = store.event(model.cursor.min(last) as u32);
        let at = if model.by_time {
            event.time().unwrap_or("(no time)").to_owned()
        } else {
            format!("position {}", event.position())
        };
        ui.label(format!("at {at} · event {} of {events}", model.cursor + 1));
        ui.separator();
        ui.selectable_value(&mut model.by_time, true, "Time");
        ui.selectable_value(&mut model.by_time, false, "Position");
        ui.separator();
        for (label, command) in [
            ("First (Home)", Command::MomentFirst),
            ("Back (Left)", Command::MomentBack),
            ("Forward (Right)", Command::MomentForward),
            ("Last (End)", Command::MomentLast),
        ] {
            if ui.button(label).clicked() {
                cmds.push(command);
            }
        }
        if ui.button("Stream view (M)").clicked() {
            cmds.push(Command::ShowReadModel(false));
        }
    });
    let mut cursor = model.cursor;
    let slider = egui::Slider::new(&mut cursor, 0..=last)
        .show_value(false)
        .trailing_fill(true);
    ui.spacing_mut().slider_width = ui.available_width() - 8.0;
    let response = ui.add(slider);
    crate::gui::panels::name_widget(&response, egui::Role::Slider, "Moment");
    if cursor != model.cursor {
        cmds.push(Command::SetMoment(cursor));
    }
    marks_ui(ui, model, events);
}

/// A strip under the slider with a tick where a watchpoint starts holding for a stream.
fn marks_ui(ui: &mut Ui, model: &ReadModel, events: usize) {
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), 8.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    if events == 0 {
        return;
    }
    #[allow(clippy::cast_precision_loss)]
    let x = |index: u32| rect.left() + rect.width() * (index as f32 / events as f32);
    for watched in &model.watched {
        for &(index, holds) in watched.changes.iter().flat_map(|c| c.iter()) {
            if holds {
                painter.vline(x(index), rect.y_range(), egui::Stroke::new(1.5, WATCH));
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let at = rect.left() + rect.width() * (model.cursor as f32 / events as f32);
    painter.vline(
        at,
        rect.y_range(),
        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
}

/// The filter and the columns, each with its error in place.
///
/// Long for a reason: the filter and the columns, two rows of the same form.
fn filters_ui(ui: &mut Ui, model: &mut ReadModel) {
    ui.horizontal(|ui| {
        ui.label("Where");
        let field = ui.add(
            egui::TextEdit::singleline(&mut model.filter)
                .hint_text(".status == \"shipped\" and .payment == null")
                .code_editor()
                .desired_width(f32::INFINITY),
        );
        crate::gui::panels::name_widget(&field, egui::Role::TextInput, "Where filter");
    });
    if let Some(error) = &model.filter_error {
        let caret = format!(
            "{}^ {}",
            " ".repeat(error.column.saturating_sub(1)),
            error.message
        );
        ui.label(
            RichText::new(format!("{}\n{caret}", model.filter.trim()))
                .monospace()
                .color(Color32::from_rgb(230, 90, 80)),
        );
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Columns");
        let mut remove = None;
        for (i, column) in model.columns.iter().enumerate() {
            let text = if column.name == column.filter {
                column.name.clone()
            } else {
                format!("{} = {}", column.name, column.filter)
            };
            if ui
                .button(format!("{text}  ×"))
                .on_hover_text("Remove this column")
                .clicked()
            {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            model.columns.remove(i);
            model.sort = None;
            model.count_by = None;
        }
        let field = ui.add(
            egui::TextEdit::singleline(&mut model.new_column)
                .hint_text("status=.status")
                .code_editor()
                .desired_width(180.0),
        );
        crate::gui::panels::name_widget(&field, egui::Role::TextInput, "New column");
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Add column").clicked() || enter)
            && model.add_column(&model.new_column.clone())
        {
            model.new_column.clear();
        }
    });
    if let Some(error) = &model.field_error {
        ui.colored_label(Color32::from_rgb(230, 90, 80), error);
    }
}

/// Watchpoints: add one, and each one's changes as links that move the moment there.
fn watchpoints_ui(ui: &mut Ui, model: &mut ReadModel, store: &Store, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label("Watchpoints");
        let name = ui.add(
            egui::TextEdit::singleline(&mut model.new_watch.0)
                .hint_text("name")
                .desired_width(110.0),
        );
        crate::gui::panels::name_widget(&name, egui::Role::TextInput, "Watchpoint name");
        let filter = ui.add(
            egui::TextEdit::singleline(&mut model.new_watch.1)
                .hint_text(".status == \"shipped\" and .payment == null")
                .code_editor()
                .desired_width(260.0),
        );
        crate::gui::panels::name_widget(&filter, egui::Role::TextInput, "Watchpoint filter");
        let enter = filter.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add watchpoint").clicked() || enter {
            let (name, text) = model.new_watch.clone();
            if model.add_watchpoint(&name, &text) {
                model.new_watch = (String::new(), String::new());
            }
        }
    });
    let mut remove = None;
    for (i, point) in model.watchpoints.iter().enumerate() {
        let changes = model.watched.get(i).and_then(|w| w.changes.clone());
        if watchpoint_ui(ui, i, point, changes.as_deref(), store, cmds) {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        model.watchpoints.remove(i);
        if i < model.watched.len() {
            model.watched.remove(i);
        }
    }
}

/// One watchpoint: how many streams it holds for at some point, and (opened) each change as a
/// link to its moment. `true` when its × was clicked.
fn watchpoint_ui(
    ui: &mut Ui,
    i: usize,
    point: &Watchpoint,
    changes: Option<&Transitions>,
    store: &Store,
    cmds: &mut Vec<Command>,
) -> bool {
    let title = match changes {
        Some(changes) => {
            let starts = changes.iter().filter(|(_, holds)| *holds).count();
            format!(
                "{} — holds for {starts} stream{} at some point",
                point.name,
                crate::store::plural(starts)
            )
        }
        None => format!("{} — watching every stream…", point.name),
    };
    ui.horizontal(|ui| {
        egui::CollapsingHeader::new(RichText::new(title).color(WATCH))
            .id_salt(("watchpoint", i))
            .show(ui, |ui| {
                ui.weak(&point.filter);
                let Some(changes) = changes else { return };
                if changes.is_empty() {
                    ui.label(format!("No stream ever holds {}.", point.filter));
                }
                egui::ScrollArea::vertical()
                    .max_height(140.0)
                    .id_salt(("changes", i))
                    .show(ui, |ui| changes_ui(ui, changes, store, cmds));
            });
        ui.small_button("×")
            .on_hover_text("Remove this watchpoint")
            .clicked()
    })
    .inner
}

/// A watchpoint's changes, each a link that moves the moment there (the first 500).
fn changes_ui(ui: &mut Ui, changes: &Transitions, store: &Store, cmds: &mut Vec<Command>) {
    const SHOWN: usize = 500;
    for &(index, holds) in changes.iter().take(SHOWN) {
        let event = store.event(index);
        let text = format!(
            "{} seq {} · {} · {}",
            event.stream(),
            event.event.seq,
            event.time().unwrap_or("-"),
            if holds {
                "starts holding"
            } else {
                "stops holding"
            }
        );
        if ui.link(text).clicked() {
            cmds.push(Command::SetMoment(index as usize));
        }
    }
    if changes.len() > SHOWN {
        ui.weak(format!("and {} more", changes.len() - SHOWN));
    }
}

/// Counts by a column over time, stacked, with the moment marked.
fn chart_ui(ui: &mut Ui, model: &mut ReadModel) {
    if model.columns.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        let chosen = model
            .count_by
            .and_then(|i| model.columns.get(i))
            .map_or("(none)", |c| c.name.as_str());
        egui::ComboBox::from_label("Counts by")
            .selected_text(chosen.to_owned())
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut model.count_by, None, "(none)");
                for (i, column) in model.columns.iter().enumerate() {
                    ui.selectable_value(&mut model.count_by, Some(i), &column.name);
                }
            });
        if model.counted.as_ref().is_some_and(Counted::is_counting) {
            ui.spinner();
        }
    });
    let Some(counted) = model.counted.as_ref().and_then(|c| c.counts.clone()) else {
        return;
    };
    let (steps, counts) = &*counted;
    #[allow(clippy::cast_precision_loss)]
    let minutes = |t: i64| t as f64 / 60e9;
    #[allow(clippy::cast_precision_loss)]
    let width = steps.every as f64 / 60e9;
    let mut charts: Vec<BarChart> = Vec::new();
    for (key_index, key) in counts.keys.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let bars = (1..=steps.last)
            .map(|k| {
                Bar::new(minutes(steps.time(k)), counts.rows[k - 1][key_index] as f64)
                    .width(width * 0.9)
            })
            .collect();
        let chart = BarChart::new(key.clone(), bars).color(palette(key_index));
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    let moment = model.moment_minutes;
    Plot::new("read-model-counts")
        .height(150.0)
        .legend(Legend::default())
        .x_axis_formatter(|mark, _| minutes_to_time(mark.value))
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
            if let Some(at) = moment {
                plot.vline(VLine::new("moment", at).color(Color32::WHITE));
            }
        });
}

fn status_ui(ui: &mut Ui, model: &ReadModel, answer: &TableAnswer) {
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} of {} stream{} with an event at this moment",
            answer.rows.len(),
            answer.streams,
            crate::store::plural(answer.streams)
        ));
        ui.weak(format!(
            "· {} changed · {} ms",
            answer.changed,
            answer.took.as_millis()
        ));
        if !model.table.is_current() {
            ui.spinner();
        }
    });
    if answer.rows.is_empty() && answer.ask.where_.is_some() {
        ui.label(format!(
            "No stream holds {} at this moment.",
            answer.ask.where_.as_deref().unwrap_or_default()
        ));
    }
}

/// The table's header: Stream (sorts by id) and a button a column (sorts by it, then the other
/// way).
fn header_ui(
    header: &mut egui_extras::TableRow<'_, '_>,
    names: &[String],
    sort: &mut Option<(usize, bool)>,
) {
    header.col(|ui| {
        if ui.button(RichText::new("Stream").strong()).clicked() {
            *sort = None;
        }
    });
    header.col(|ui| {
        ui.strong("Seq");
    });
    for (i, name) in names.iter().enumerate() {
        header.col(|ui| {
            let arrow = match *sort {
                Some((c, false)) if c == i => " ⏶",
                Some((c, true)) if c == i => " ⏷",
                _ => "",
            };
            let button = ui
                .button(RichText::new(format!("{name}{arrow}")).strong())
                .on_hover_text("Sort by this column");
            if button.clicked() {
                *sort = match *sort {
                    Some((c, false)) if c == i => Some((i, true)),
                    _ => Some((i, false)),
                };
            }
        });
    }
    header.col(|_| {});
}

/// The table: a row a stream, sorted by a header clicked; the stream is a link to it there.
///
/// Long for a reason: the table builder of `egui_extras`, column by column.
fn table_ui(
    ui: &mut Ui,
    model: &mut ReadModel,
    answer: &TableAnswer,
    store: &Store,
    cmds: &mut Vec<Command>,
) {
    let names: Vec<String> = answer
        .ask
        .columns
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let mut table = TableBuilder::new(ui)
        .id_salt(("read-model", names.len()))
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(Align::Center))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(40.0));
    for _ in &names {
        table = table.column(Column::auto().at_least(70.0).clip(true));
    }
    table = table.column(Column::remainder());
    let mut sort = model.sort;
    table
        .header(20.0, |mut header| header_ui(&mut header, &names, &mut sort))
        .body(|body| {
            body.rows(row_height, answer.rows.len(), |mut row| {
                let shown = &answer.rows[row.index()];
                let stream = &store.streams()[shown.stream as usize].id;
                row.col(|ui| {
                    if ui
                        .link(&**stream)
                        .on_hover_text("Open this stream at this moment")
                        .clicked()
                    {
                        cmds.push(Command::OpenAtMoment {
                            stream: shown.stream,
                            count: shown.count as usize,
                        });
                    }
                });
                row.col(|ui| {
                    ui.monospace(shown.seq.to_string());
                });
                for value in shown.values.iter() {
                    row.col(|ui| {
                        let text = if value.is_null() {
                            "null".to_owned()
                        } else {
                            cell(value)
                        };
                        let label = RichText::new(text).monospace();
                        ui.label(if matches!(value, Value::Null) {
                            label.weak()
                        } else {
                            label
                        });
                    });
                }
                row.col(|_| {});
            });
        });
    model.sort = sort;
}

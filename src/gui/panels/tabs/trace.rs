//! The Trace tab: the business transaction of the event at the cursor — every event sharing its
//! correlation id, as a causation tree across streams (each a link), and the joint state of
//! every stream involved at the cursor's time, side by side. Found on a thread
//! ([`crate::query::trace`]), from an index of correlation ids built once per store, so that
//! moving the cursor costs one correlation's events; drawing only shows it.

use std::collections::BTreeSet;
use std::sync::Arc;

use egui::{RichText, Ui};
use serde_json::Value;

use super::TabContext;
use crate::gui::command::Command;
use crate::gui::inspect::Fold;
use crate::gui::job::{Job, Repaint};
use crate::gui::panels::json_tree::{CHANGED, TreeOptions, json_tree_ui};
use crate::gui::read_model::SharedFolds;
use crate::query::trace::{LinkFields, Trace, TraceIndex, Tree, moment_of};
use crate::replay::Replay;
use crate::store::Store;

pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    // The panel is in the context it draws with: take it out for the call.
    let mut panel = std::mem::take(cx.trace);
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .id_salt("trace")
        .show(ui, |ui| panel.ui(ui, cx));
    *cx.trace = panel;
}

/// What was found for one event.
pub struct Traced {
    /// The store's event traced.
    pub event: u32,
    /// `None`: the event has no correlation id.
    pub trace: Option<(Trace, Tree)>,
    /// Each stream involved (index into the store's streams) with its state at the event's
    /// time, in the order the trace first touches them.
    pub states: Vec<JointState>,
}

/// One stream's part of the joint state.
pub struct JointState {
    /// Index into the store's streams.
    pub stream: u32,
    /// How many of its events are folded in: 0 when it has none yet at that time.
    pub events: usize,
    /// Its state after those events.
    pub state: Value,
}

/// The tab's state: the trace shown, the one being found, and the field option.
#[derive(Default)]
pub struct TracePanel {
    /// (store, event, fields, fold) the trace shown or being found is for.
    traced_for: Option<(u64, u32, LinkFields, u64)>,
    finding: Option<Job<(Arc<TraceIndex>, Traced)>>,
    shown: Option<Arc<Traced>>,
    /// The store's correlation index, once built, with the store (by address) it is for.
    index: Option<(u64, Arc<TraceIndex>)>,
    /// The correlation field typed (a JSON Pointer), applied with Enter.
    pub field: String,
    fields: LinkFields,
}

impl TracePanel {
    /// Starts finding the trace of the store's event `event` unless it is found or being found,
    /// and takes in what was found.
    /// The states are folded with `fold`, from the checkpoints the window keeps in `folds`.
    pub fn follow(
        &mut self,
        store: &Arc<Store>,
        event: u32,
        (fold, folds): (Fold, SharedFolds),
        repaint: Repaint,
    ) {
        let store_key = super::schema::store_key(store);
        if let Some((index, found)) = self.finding.as_mut().and_then(Job::latest) {
            self.index = Some((store_key, index));
            self.shown = Some(Arc::new(found));
            self.finding = None;
        }
        let key = (store_key, event, self.fields.clone(), fold.id);
        if self.traced_for.as_ref() == Some(&key) {
            return;
        }
        self.traced_for = Some(key);
        // The index is built once per store and fields (on the first trace), then reused.
        let index = self
            .index
            .as_ref()
            .filter(|(key, index)| *key == store_key && *index.fields() == self.fields)
            .map(|(_, index)| index.clone());
        let (store, fields) = (store.clone(), self.fields.clone());
        self.finding = Job::spawn("trace", u64::from(event), repaint, move |worker| {
            let index = index.unwrap_or_else(|| Arc::new(TraceIndex::build(&store, &fields)));
            let found = find(&store, event, &index, &fold, &folds);
            worker.send((index, found));
        })
        .ok();
    }

    /// The events of the store's stream `stream` in the trace shown (indices in the stream),
    /// for the timeline.
    pub fn marks(&self, store: &Store, stream: u32) -> Vec<usize> {
        let Some((trace, _)) = self.shown.as_ref().and_then(|t| t.trace.as_ref()) else {
            return Vec::new();
        };
        let events = &store.streams()[stream as usize].events;
        trace
            .events
            .iter()
            .filter(|&&i| store.events()[i as usize].stream == stream)
            .filter_map(|&i| events.binary_search(&i).ok())
            .collect()
    }

    /// Whether a trace is being found.
    pub fn is_finding(&self) -> bool {
        self.finding.is_some()
    }

    /// Draws the trace of the event at the cursor, or says why there is none.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut TabContext<'_>) {
        let view = cx.view;
        let here = view.stream().events[view.cursor];
        let Some(traced) = self.shown.clone().filter(|t| t.event == here) else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("following the correlation through the store…");
            });
            return;
        };
        let Some((trace, tree)) = &traced.trace else {
            self.no_correlation_ui(ui);
            return;
        };
        ui.strong(format!(
            "Correlation {}: {} event{} in {} stream{}",
            trace.correlation,
            trace.events.len(),
            crate::store::plural(trace.events.len()),
            traced.states.len(),
            crate::store::plural(traced.states.len())
        ));
        for cycle in &tree.cycles {
            ui.colored_label(
                super::REPLACED,
                format!(
                    "{} events cause each other in a cycle; drawn from the first.",
                    cycle.len()
                ),
            );
        }
        tree_ui(ui, &view.store, trace, tree, here, cx.cmds);
        ui.add_space(8.0);
        let highlight = cx.answer.map(|a| &a.highlight);
        joint_state_ui(ui, &view.store, &traced.states, view.stream, highlight);
    }

    fn no_correlation_ui(&mut self, ui: &mut Ui) {
        ui.label(format!(
            "This event has no correlation id: eventlens looked for {}.",
            self.fields.describe_correlation()
        ));
        ui.horizontal(|ui| {
            ui.label("Correlation field:");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.field)
                    .hint_text("/meta/transaction")
                    .desired_width(200.0)
                    .font(egui::TextStyle::Monospace),
            );
            crate::gui::panels::name_widget(&field, egui::Role::TextInput, "Correlation field");
            if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                let pointer = self.field.trim();
                self.fields.correlation = (!pointer.is_empty()).then(|| {
                    if pointer.starts_with('/') {
                        pointer.to_owned()
                    } else {
                        format!("/{pointer}")
                    }
                });
            }
        });
        ui.weak("A JSON Pointer into the record, as --correlation-field takes; Enter applies it.");
    }
}

/// The trace of `event`: its correlation's events and tree, and every involved stream's state
/// at the event's time (its position, in a store without times), folded as the window folds.
fn find(store: &Store, event: u32, index: &TraceIndex, fold: &Fold, folds: &SharedFolds) -> Traced {
    let Some(found) = index.trace(store, event) else {
        return Traced {
            event,
            trace: None,
            states: Vec::new(),
        };
    };
    let at = moment_of(store, event);
    let states = found
        .streams(store)
        .into_iter()
        .map(|s| {
            // From the checkpoints the inspector and the Read model keep: a hot stream is not
            // folded from its start on every move of the cursor.
            let stream = &store.streams()[s as usize];
            let checkpoints = folds.take(fold, s);
            let mut replay = Replay::resume(store, stream, &*fold.reducer, checkpoints);
            let events = at.count(store, stream).unwrap_or(0);
            let state = replay.state_at(at).unwrap_or(Value::Null);
            folds.keep(fold, s, replay.into_checkpoints());
            JointState {
                stream: s,
                events,
                state,
            }
        })
        .collect();
    let tree = found.tree(store);
    Traced {
        event,
        trace: Some((found, tree)),
        states,
    }
}

/// The causation tree, a row per event, indented under its cause; the cursor's event marked.
fn tree_ui(
    ui: &mut Ui,
    store: &Store,
    trace: &Trace,
    tree: &Tree,
    here: u32,
    cmds: &mut Vec<Command>,
) {
    egui::Grid::new("trace-tree")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            for &(k, depth) in &tree.rows {
                let index = trace.events[k];
                let event = store.event(index);
                let text = format!("{} seq {}", event.stream(), event.event.seq);
                ui.horizontal(|ui| {
                    ui.add_space(16.0 * depth as f32);
                    let label = if index == here {
                        RichText::new(format!("▶ {text}")).strong().color(CHANGED)
                    } else {
                        RichText::new(text)
                    };
                    if ui.link(label).on_hover_text("Go to this event").clicked() {
                        cmds.push(Command::GoToEvent(index));
                    }
                });
                ui.label(event.type_name());
                ui.weak(event.time().unwrap_or("-"));
                ui.weak(event.id().unwrap_or("-"));
                ui.end_row();
            }
        });
}

/// Every involved stream's state at the cursor's time, side by side; the cursor's stream first
/// is not moved, but its members the cursor's event changed are highlighted.
fn joint_state_ui(
    ui: &mut Ui,
    store: &Store,
    states: &[JointState],
    cursor_stream: u32,
    highlight: Option<&BTreeSet<String>>,
) {
    let nothing = BTreeSet::new();
    ui.strong("Joint state at the cursor's time");
    egui::ScrollArea::horizontal()
        .id_salt("joint-state")
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                for joint in states {
                    let id = &store.streams()[joint.stream as usize].id;
                    ui.vertical(|ui| {
                        ui.set_min_width(220.0);
                        ui.strong(id.as_ref());
                        if joint.events == 0 {
                            ui.weak("no event yet at this time");
                            return;
                        }
                        let mine = joint.stream == cursor_stream;
                        let salt = format!("joint-{id}");
                        json_tree_ui(
                            ui,
                            &joint.state,
                            &TreeOptions {
                                id_salt: &salt,
                                highlight: highlight.filter(|_| mine).unwrap_or(&nothing),
                                blame_links: false,
                                open_depth: 2,
                            },
                        );
                    });
                    ui.separator();
                }
            });
        });
}

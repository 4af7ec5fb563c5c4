//! The inspector's tabs, a file each, drawn with one signature (`fn ui(ui, cx)`) from one list
//! ([`TABS`]). Tabs about the cursor draw the inspector's answer for it (dimmed while the
//! answer for a newer cursor is coming); store-wide tabs draw what their own jobs found.

pub mod audit;
pub mod charts;
pub mod compare;
pub mod diff;
pub mod event;
pub mod schema;
pub mod state;
pub mod trace;

use egui::{Color32, Ui};

use crate::gui::audit::Audit;
use crate::gui::command::Command;
use crate::gui::inspect::Answer;
use crate::gui::settings::Tab;
use crate::gui::view::View;
use charts::Charts;
use schema::SchemaPanel;
use trace::TracePanel;

const ADDED: Color32 = Color32::from_rgb(90, 190, 100);
const REMOVED: Color32 = Color32::from_rgb(230, 90, 80);
const REPLACED: Color32 = Color32::from_rgb(235, 170, 60);

/// What a tab draws with.
pub struct TabContext<'a> {
    pub view: &'a View,
    /// The inspector's newest answer, which may be for an earlier cursor.
    pub answer: Option<&'a Answer>,
    pub audit: &'a mut Audit,
    pub schema: &'a mut SchemaPanel,
    pub charts: &'a mut Charts,
    pub trace: &'a mut TracePanel,
    /// Whether the whole store is indexed (not a preview of its beginning).
    pub complete: bool,
    pub cmds: &'a mut Vec<Command>,
}

/// What a tab is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The cursor's event: drawn from the inspector's answer, in a scroll area.
    Cursor,
    /// The cursor's event, in panes that scroll each on its own (a fixed pane beside a tree).
    CursorPanes,
    /// The stream or the whole store: drawn from the tab's own work; tables scroll themselves.
    Store,
}

/// One tab of the inspector.
pub struct TabSpec {
    pub tab: Tab,
    pub title: &'static str,
    pub scope: Scope,
    pub ui: fn(&mut Ui, &mut TabContext<'_>),
}

/// Every tab, in the order of the tab bar.
pub const TABS: [TabSpec; 8] = [
    TabSpec {
        tab: Tab::Event,
        title: "Event",
        scope: Scope::Cursor,
        ui: event::ui,
    },
    TabSpec {
        tab: Tab::Diff,
        title: "Diff",
        scope: Scope::Cursor,
        ui: diff::ui,
    },
    TabSpec {
        tab: Tab::State,
        title: "State",
        scope: Scope::CursorPanes,
        ui: state::ui,
    },
    TabSpec {
        tab: Tab::Compare,
        title: "Compare",
        scope: Scope::Cursor,
        ui: compare::ui,
    },
    TabSpec {
        tab: Tab::Trace,
        title: "Trace",
        scope: Scope::Store,
        ui: trace::ui,
    },
    TabSpec {
        tab: Tab::Charts,
        title: "Charts",
        scope: Scope::Store,
        ui: charts::ui,
    },
    TabSpec {
        tab: Tab::Audit,
        title: "Audit",
        scope: Scope::Store,
        ui: audit::ui,
    },
    TabSpec {
        tab: Tab::Schema,
        title: "Schema",
        scope: Scope::Store,
        ui: schema::ui,
    },
];

/// Draws the tab bar and the selected tab. `current` says whether the answer in `cx` is for the
/// cursor shown.
pub fn inspector_ui(ui: &mut Ui, cx: &mut TabContext<'_>, current: bool, tab: &mut Tab) {
    ui.horizontal(|ui| {
        for spec in &TABS {
            ui.selectable_value(tab, spec.tab, spec.title);
        }
        if !current {
            ui.spinner();
        }
    });
    ui.separator();
    let Some(spec) = TABS.iter().find(|spec| spec.tab == *tab) else {
        return;
    };
    if spec.scope == Scope::Store {
        (spec.ui)(ui, cx);
        return;
    }
    let Some(answer) = cx.answer else {
        ui.spinner();
        return;
    };
    if !current {
        // The answer shown is for another point: say which one is coming, and dim this one,
        // so that an old state is never taken for the new one.
        let view = cx.view;
        let seq = view.cursor_seq();
        let same_stream = answer.ask.stream == view.stream && answer.ask.cursor < view.len();
        ui.horizontal(|ui| {
            ui.spinner();
            ui.strong(format!("computing seq {seq}…"));
            if same_stream {
                let shown = view.seq_at(answer.ask.cursor);
                ui.weak(format!("(below, dimmed: seq {shown})"));
            }
        });
        if !same_stream {
            return;
        }
        ui.set_opacity(0.35);
    }
    if spec.scope == Scope::CursorPanes {
        (spec.ui)(ui, cx);
        return;
    }
    egui::ScrollArea::both()
        .auto_shrink(false)
        .id_salt(("inspector", *tab))
        .show(ui, |ui| (spec.ui)(ui, cx));
}

//! The Audit tab: every finding of the check (and of the projection, when one folds), in a
//! table filtered by severity and text; a row jumps to its event, and the finding at the
//! cursor shows its whole message.

use std::sync::Arc;

use egui::{Align, Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::TabContext;
use crate::audit::{Finding, Severity};
use crate::gui::command::Command;
use crate::gui::panels::severity_color;
use crate::gui::view::View;

/// Long for a reason: the filters and the virtualized table of findings, sharing the rows they cache.
pub fn ui(ui: &mut Ui, cx: &mut TabContext<'_>) {
    if cx.audit.is_running() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("running the projection over every stream it reads…");
        });
    }
    cx.audit.panel.ui(ui, cx.view, cx.cmds);
}

/// The table's filters, and the rows they let through.
#[derive(Debug)]
pub struct AuditPanel {
    /// Text that the code, stream or message must contain.
    pub text: String,
    pub errors: bool,
    pub warnings: bool,
    pub infos: bool,
    /// Indices into the report's findings of the rows shown, for `cached_for`.
    rows: Vec<usize>,
    cached_for: Option<(usize, String, [bool; 3])>,
    /// The message column's width in the last frame, to wrap the expanded row's message.
    message_width: f32,
}

impl Default for AuditPanel {
    fn default() -> Self {
        Self {
            text: String::new(),
            errors: true,
            warnings: true,
            infos: true,
            rows: Vec::new(),
            cached_for: None,
            message_width: 400.0,
        }
    }
}

impl AuditPanel {
    /// Whether `finding` passes the filters; `text` is the filter text, lowercased.
    fn shows(&self, finding: &Finding, text: &str) -> bool {
        let severity = match finding.severity {
            Severity::Error => self.errors,
            Severity::Warning => self.warnings,
            Severity::Info => self.infos,
        };
        severity
            && (text.is_empty()
                || finding.code.as_str().contains(text)
                || finding
                    .stream
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(text))
                || finding.message.to_lowercase().contains(text))
    }

    /// Filters the findings again when the report or the filters changed.
    fn refresh(&mut self, view: &View) {
        let key = (
            Arc::as_ptr(&view.report) as usize,
            self.text.trim().to_lowercase(),
            [self.errors, self.warnings, self.infos],
        );
        if self.cached_for.as_ref() == Some(&key) {
            return;
        }
        self.rows = (0..view.report.findings.len())
            .filter(|&i| self.shows(&view.report.findings[i], &key.1))
            .collect();
        self.cached_for = Some(key);
    }

    /// The indices into the report's findings of the rows the filters let through in `view` as
    /// it is now, whether or not the table has been drawn since it changed.
    pub fn rows_for(&mut self, view: &View) -> &[usize] {
        self.refresh(view);
        &self.rows
    }

    pub fn ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        self.refresh(view);
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.errors, "errors");
            ui.checkbox(&mut self.warnings, "warnings");
            ui.checkbox(&mut self.infos, "info");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("Filter by code, stream, message")
                    .desired_width(200.0),
            );
            crate::gui::panels::name_widget(&field, egui::Role::TextInput, "Filter findings");
            ui.weak(format!(
                "{} of {}",
                self.rows.len(),
                view.report.findings.len()
            ));
        });
        if view.report.findings.is_empty() {
            ui.label("No findings: the log is intact.");
            return;
        }
        if self.rows.is_empty() {
            ui.label(no_finding_matches(
                &self.text,
                [self.errors, self.warnings, self.infos],
            ));
            return;
        }
        self.table_ui(ui, view, cmds);
    }

    /// The findings, one line each; the finding at the cursor (a clicked row) expands to its
    /// whole message.
    ///
    /// Long for a reason: a virtualized table's columns, drawn in one closure per row.
    fn table_ui(&mut self, ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
        ui.style_mut().interaction.selectable_labels = false;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let at_cursor = view.stream().events[view.cursor];
        let here = |finding: &Finding| finding.event == Some(at_cursor);
        let font = egui::TextStyle::Body.resolve(ui.style());
        let width = self.message_width;
        let expanded = |finding: &Finding| {
            let galley = ui.fonts_mut(|fonts| {
                fonts.layout(finding.message.clone(), font.clone(), Color32::WHITE, width)
            });
            (galley.size().y + 6.0).max(row_height)
        };
        let heights: Vec<f32> = self
            .rows
            .iter()
            .map(|&i| {
                let finding = &view.report.findings[i];
                if here(finding) {
                    expanded(finding)
                } else {
                    row_height
                }
            })
            .collect();
        let mut message_width = self.message_width;
        TableBuilder::new(ui)
            .id_salt("findings")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(Align::Center))
            .column(Column::auto().at_least(56.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(70.0))
            .column(Column::auto().at_least(30.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::remainder().clip(true))
            .header(20.0, |mut header| {
                for title in ["Severity", "Code", "Stream", "Seq", "Line", "Message"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.heterogeneous_rows(heights.into_iter(), |mut row| {
                    let finding = &view.report.findings[self.rows[row.index()]];
                    let selected = here(finding);
                    row.set_selected(selected);
                    row.col(|ui| {
                        ui.label(
                            RichText::new(finding.severity.as_str())
                                .color(severity_color(finding.severity)),
                        );
                    });
                    row.col(|ui| {
                        ui.monospace(finding.code.as_str());
                    });
                    row.col(|ui| {
                        ui.label(finding.stream.as_deref().unwrap_or("-"));
                    });
                    row.col(|ui| {
                        ui.monospace(
                            finding
                                .seq
                                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                        );
                    });
                    row.col(|ui| {
                        ui.monospace(finding.place());
                    });
                    row.col(|ui| {
                        message_width = ui.available_width().max(100.0);
                        // One line, cut with its whole text on hover (egui's, drawn once); the
                        // finding at the cursor shows all of it.
                        let label = egui::Label::new(&finding.message);
                        ui.add(if selected {
                            label.wrap()
                        } else {
                            label.truncate()
                        });
                    });
                    if row.response().clicked() {
                        match (finding.event, &finding.stream, finding.seq) {
                            (Some(event), ..) => cmds.push(Command::GoToEvent(event)),
                            (None, Some(stream), Some(seq)) => cmds.push(Command::GoTo {
                                stream: stream.clone(),
                                seq,
                            }),
                            _ => {}
                        }
                    }
                });
            });
        self.message_width = message_width;
    }
}

/// What an empty table means: which findings were asked for, and that none is among them.
fn no_finding_matches(text: &str, shown: [bool; 3]) -> String {
    let kinds: Vec<&str> = ["errors", "warnings", "info"]
        .into_iter()
        .zip(shown)
        .filter_map(|(kind, on)| on.then_some(kind))
        .collect();
    if kinds.is_empty() {
        return "No finding shown: tick errors, warnings or info.".to_owned();
    }
    let text = text.trim();
    if text.is_empty() {
        format!("No finding among the {}.", kinds.join(", "))
    } else {
        format!(
            "No finding among the {} matches \"{text}\".",
            kinds.join(", ")
        )
    }
}

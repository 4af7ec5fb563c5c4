//! The Audit tab: every finding of the check (and of the projection, when one folds), in a
//! table filtered by severity and text; a row jumps to its event.

use std::sync::Arc;

use egui::{Align, Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::TabContext;
use crate::audit::{Finding, Severity};
use crate::gui::command::Command;
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
        ui.style_mut().interaction.selectable_labels = false;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
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
                body.rows(row_height, self.rows.len(), |mut row| {
                    let finding = &view.report.findings[self.rows[row.index()]];
                    let here = finding.stream.as_deref() == Some(&*view.stream().id)
                        && finding.seq == Some(view.cursor_seq());
                    row.set_selected(here);
                    row.col(|ui| {
                        ui.label(
                            RichText::new(finding.severity.as_str()).color(color(finding.severity)),
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
                        ui.label(&finding.message).on_hover_text(&finding.message);
                    });
                    if row.response().clicked()
                        && let (Some(stream), Some(seq)) = (&finding.stream, finding.seq)
                    {
                        cmds.push(Command::GoTo {
                            stream: stream.clone(),
                            seq,
                        });
                    }
                });
            });
    }
}

fn color(severity: Severity) -> Color32 {
    match severity {
        Severity::Error => Color32::from_rgb(230, 90, 70),
        Severity::Warning => Color32::from_rgb(235, 170, 60),
        Severity::Info => Color32::from_rgb(120, 170, 230),
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

//! Export from the window: what can be saved right now (the state at the cursor, a diff, the
//! events the list shows, the findings the Audit tab shows), where to, and the save under way on
//! a background thread. The files are the command line's outputs ([`crate::export`]).

use std::path::{Path, PathBuf};

use super::inspect::Answer;
use super::job::{Job, Polled, Repaint};
use super::view::View;
use crate::export::{Export, save};
use crate::store::plural;

/// Something the window can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum What {
    State,
    Diff,
    Compare,
    Events,
    FindingsJson,
    FindingsCsv,
}

impl What {
    pub const ALL: [Self; 6] = [
        Self::State,
        Self::Diff,
        Self::Compare,
        Self::Events,
        Self::FindingsJson,
        Self::FindingsCsv,
    ];

    /// The choice as the Export window names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::State => "State at the cursor (JSON)",
            Self::Diff => "Diff of the cursor's event (RFC 6902 JSON Patch)",
            Self::Compare => "Diff from the pinned point to the cursor (RFC 6902 JSON Patch)",
            Self::Events => "Events shown in the list (JSON Lines)",
            Self::FindingsJson => "Findings shown in the Audit tab (JSON)",
            Self::FindingsCsv => "Findings shown in the Audit tab (CSV)",
        }
    }

    /// The command whose output the file is, for the window to say.
    pub fn same_as(self) -> &'static str {
        match self {
            Self::State => "eventlens state",
            Self::Diff | Self::Compare => "eventlens diff",
            Self::Events => "eventlens events --json",
            Self::FindingsJson => "eventlens check --json",
            Self::FindingsCsv => "eventlens check --csv",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Events => "jsonl",
            Self::FindingsCsv => "csv",
            _ => "json",
        }
    }
}

/// One choice of the Export window as things stand: what it would save, or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub what: What,
    /// What would be saved ("order-1042 after seq 13"), or why nothing can be.
    pub detail: Result<String, String>,
    /// A file name for it.
    pub file_name: String,
}

/// Why the state and diffs cannot be saved yet: the answer for the cursor is on its way.
const FOLDING: &str = "the inspector is still folding";
/// Why the events shown cannot be saved yet: a long stream's filter is still running.
const SEARCHING: &str = "the event list is still searching";
/// Why the comparison cannot be saved.
const NO_PIN: &str = "pin a point on the Compare tab first";

/// What is on screen, as far as exports need it.
pub struct Shown<'a> {
    pub view: &'a View,
    /// The inspector's answer, when it is for the cursor shown.
    pub answer: Option<&'a Answer>,
    /// What folds the streams: "merge patches" or the projection's name.
    pub fold: &'a str,
    /// Indices (in the stream) of the events the list shows, and its filters in words;
    /// `None` while a long stream is still being filtered.
    pub events: Option<&'a [u32]>,
    pub filters: Option<String>,
    /// Indices of the findings the Audit tab shows; `None` while they are still being found.
    pub findings: Option<&'a [usize]>,
}

impl Shown<'_> {
    /// Every export, with what it would save now or why it cannot.
    pub fn offers(&self) -> Vec<Offer> {
        What::ALL
            .into_iter()
            .map(|what| {
                let (detail, base) = self.detail(what);
                Offer {
                    what,
                    detail,
                    file_name: file_name(&base, what.extension()),
                }
            })
            .collect()
    }

    /// What `what` would save, and a file name for it (without extension).
    ///
    /// Long for a reason: one arm per export, each saying what it would save.
    fn detail(&self, what: What) -> (Result<String, String>, String) {
        let view = self.view;
        let stream = &view.stream().id;
        let seq = view.cursor_seq();
        match what {
            What::State => (
                self.answer
                    .map(|_| format!("{stream} after seq {seq}, folded with {}", self.fold))
                    .ok_or_else(|| FOLDING.to_owned()),
                format!("{stream}-at-{seq}.state"),
            ),
            What::Diff => (
                self.answer
                    .map(|a| {
                        let event = view.store.event(view.stream().events[view.cursor]);
                        let n = a.patch.len();
                        format!(
                            "what seq {seq} ({}) changed in {stream}: {n} operation{}",
                            event.type_name(),
                            plural(n)
                        )
                    })
                    .ok_or_else(|| FOLDING.to_owned()),
                format!("{stream}-seq-{seq}.diff"),
            ),
            What::Compare => {
                let pin = view.pin.map_or(seq, |k| view.seq_at(k));
                let detail = match (view.pin, self.answer) {
                    (None, _) => Err(NO_PIN.to_owned()),
                    (Some(_), None) => Err(FOLDING.to_owned()),
                    (Some(_), Some(a)) => {
                        let n = a.compare.as_ref().map_or(0, |(patch, _)| patch.len());
                        Ok(format!(
                            "{stream} from seq {pin} to seq {seq}: {n} operation{}",
                            plural(n)
                        ))
                    }
                };
                (detail, format!("{stream}-{pin}-to-{seq}.diff"))
            }
            What::Events => {
                let (shown, all) = (self.events.map_or(0, <[u32]>::len), view.len());
                let detail = if self.events.is_none() {
                    Err(SEARCHING.to_owned())
                } else if shown == 0 {
                    Err("the list shows no events".to_owned())
                } else {
                    Ok(match &self.filters {
                        Some(filters) => {
                            format!("{shown} of the {all} events of {stream} ({filters})")
                        }
                        None => format!("all {all} event{} of {stream}", plural(all)),
                    })
                };
                (detail, format!("{stream}.events"))
            }
            What::FindingsJson | What::FindingsCsv => {
                let base = std::path::Path::new(view.store.name())
                    .file_stem()
                    .map_or_else(|| "store".to_owned(), |s| s.to_string_lossy().into_owned());
                let detail = self
                    .findings
                    .map(|rows| {
                        let all = view.report.findings.len();
                        format!(
                            "{} of the {all} finding{} of the whole store",
                            rows.len(),
                            plural(all)
                        )
                    })
                    .ok_or_else(|| "the findings are still being found".to_owned());
                (detail, format!("{base}.findings"))
            }
        }
    }

    /// The export of `what` as things are on screen.
    pub fn export(&self, what: What) -> Result<Export, String> {
        if let (Err(why), _) = self.detail(what) {
            return Err(why);
        }
        let view = self.view;
        let answer = || self.answer.ok_or(FOLDING);
        Ok(match what {
            What::State => Export::State(answer()?.state.clone()),
            What::Diff => Export::Patch(answer()?.patch.clone()),
            What::Compare => Export::Patch(
                answer()?
                    .compare
                    .as_ref()
                    .map(|(patch, _)| patch.clone())
                    .ok_or(NO_PIN)?,
            ),
            What::Events => Export::Events {
                store: view.store.clone(),
                indices: self
                    .events
                    .ok_or(SEARCHING)?
                    .iter()
                    .map(|&k| view.stream().events[k as usize])
                    .collect(),
            },
            What::FindingsJson | What::FindingsCsv => {
                let report = view.report.only(self.findings.unwrap_or_default());
                if what == What::FindingsJson {
                    Export::FindingsJson(report)
                } else {
                    Export::FindingsCsv(report)
                }
            }
        })
    }
}

/// A save under way.
struct Saving {
    /// What is saved ("23 events").
    what: String,
    to: PathBuf,
    /// The thread's message: what was saved where, or why it was not.
    job: Job<Result<String, String>>,
}

/// The Export window's model.
#[derive(Default)]
pub struct Exports {
    /// The chosen export; the first available one until the user picks.
    pub what: Option<What>,
    /// The path field.
    pub path: String,
    /// The file name last put in the field, replaced by the next suggestion unless edited.
    suggested: Option<String>,
    saving: Option<Saving>,
    /// How the last save went: what was saved where, or why it was not.
    pub outcome: Option<Result<String, String>>,
    /// The file the last save wrote.
    pub saved: Option<PathBuf>,
}

impl Exports {
    /// Whether a save is under way.
    pub fn is_saving(&self) -> bool {
        self.saving.is_some()
    }

    /// Puts `file_name` in the path field, in `folder` when the field is empty, unless the user
    /// has typed a name of their own.
    pub fn suggest(&mut self, folder: &Path, file_name: &str) {
        let typed = Path::new(self.path.trim());
        let current = typed.file_name().and_then(|n| n.to_str());
        let path = if self.path.trim().is_empty() {
            folder.join(file_name)
        } else if current.is_some() && current == self.suggested.as_deref() {
            typed.with_file_name(file_name)
        } else {
            // A name the user typed stays.
            return;
        };
        self.path = path.display().to_string();
        self.suggested = Some(file_name.to_owned());
    }

    /// Saves `export` to `to` on a background thread, refusing the `protected` files (each with
    /// what it is, for the message).
    pub fn start(
        &mut self,
        export: Export,
        to: PathBuf,
        protected: Vec<(PathBuf, &'static str)>,
        repaint: Repaint,
    ) {
        if self.saving.is_some() {
            return;
        }
        let what = export.describe();
        let target = to.clone();
        let job = Job::spawn("export", 0, repaint, move |worker| {
            let protected: Vec<(&Path, &str)> = protected
                .iter()
                .map(|(p, what)| (p.as_path(), *what))
                .collect();
            let result = save(&to, &protected, |out| export.write(out))
                .map(|bytes| {
                    format!(
                        "Saved {} to {} ({})",
                        export.describe(),
                        to.display(),
                        size(bytes)
                    )
                })
                .map_err(|error| error.to_string());
            worker.send(result);
        });
        match job {
            Ok(job) => {
                self.saving = Some(Saving {
                    what,
                    to: target,
                    job,
                });
                self.outcome = None;
            }
            Err(error) => self.outcome = Some(Err(error)),
        }
    }

    /// Takes in the result of the save under way, if it has finished.
    pub fn poll(&mut self) {
        let Some(saving) = &mut self.saving else {
            return;
        };
        match saving.job.poll() {
            Polled::Sent(result) => {
                self.saved = result.is_ok().then(|| saving.to.clone());
                self.outcome = Some(result);
                self.saving = None;
            }
            Polled::Waiting => {}
            Polled::Finished => {
                self.outcome = Some(Err(format!("saving {} stopped unexpectedly", saving.what)));
                self.saving = None;
            }
        }
    }

    /// What is being saved, while a save is under way.
    pub fn saving(&self) -> Option<&str> {
        self.saving.as_ref().map(|saving| saving.what.as_str())
    }
}

/// A file name made of `parts`, with characters that do not belong in one replaced.
pub fn file_name(parts: &str, extension: &str) -> String {
    let safe: String = parts
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.{extension}", safe.trim_start_matches('.'))
}

/// A byte count for people: "912 B", "4.1 KB", "12.6 MB".
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_until_a_name_is_typed() {
        let mut exports = Exports::default();
        let folder = Path::new("/data");
        exports.suggest(folder, "order-1-at-3.state.json");
        assert_eq!(exports.path, "/data/order-1-at-3.state.json");
        // The cursor moved: the suggestion follows, in the folder the field has.
        exports.path = "/tmp/order-1-at-3.state.json".into();
        exports.suggest(folder, "order-1-at-4.state.json");
        assert_eq!(exports.path, "/tmp/order-1-at-4.state.json");
        // A name of the user's own stays.
        exports.path = "/tmp/mine.json".into();
        exports.suggest(folder, "order-1-at-5.state.json");
        assert_eq!(exports.path, "/tmp/mine.json");
        exports.suggest(folder, "order-1-at-6.state.json");
        assert_eq!(exports.path, "/tmp/mine.json");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("order-1042-at-13.state", "json"),
            "order-1042-at-13.state.json"
        );
        assert_eq!(file_name("a/b:c d", "jsonl"), "a_b_c_d.jsonl");
        assert_eq!(file_name("..hidden", "csv"), "hidden.csv");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(912), "912 B");
        assert_eq!(size(4_130), "4.1 KB");
        assert_eq!(size(12_600_000), "12.6 MB");
    }
}

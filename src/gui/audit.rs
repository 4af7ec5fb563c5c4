//! The findings the window shows (Audit tab, badges, markers): the store's check, grown with
//! the store when it is followed, and the events the projection fails on, which a thread of its
//! own finds by folding every stream the projection reads — and, as a followed store grows,
//! only the streams that grew, so that ten new events do not fold the whole store again.

use std::sync::Arc;

use super::job::{Job, Polled, Repaint};
use super::panels::tabs::audit::AuditPanel;
use super::projection::Projections;
use super::view::View;
use crate::audit::{Report, projection_errors};
use crate::finding::Finding;
use crate::store::Store;

/// The findings shown and the work that finds them.
#[derive(Default)]
pub struct Audit {
    /// The check's findings, once it has run.
    checked: Option<Arc<Report>>,
    /// The projection's findings, for the events of the store it has folded.
    projected: Option<Projected>,
    running: Option<Run>,
    /// What the view's report was last made of: the fold, the check, and how many events the
    /// projection's findings cover.
    shown: Option<(u64, usize, usize)>,
    /// The table's filter.
    pub panel: AuditPanel,
}

/// What the projection fails on, in the store's first `covered` events.
struct Projected {
    fold: u64,
    covered: usize,
    findings: Vec<Finding>,
}

/// A projection folding streams on a thread: all of them, or those that grew. Dropped (the
/// fold changed, the store closed), it tells the thread to stop at the next stream. The job's
/// key is the fold.
struct Run {
    covered: usize,
    /// The ids of the streams folded, sorted; `None`: every stream.
    streams: Option<Vec<Arc<str>>>,
    job: Job<Vec<Finding>>,
}

impl Audit {
    /// Puts the store's check in place (a new store, or one read again from its start): what
    /// the projection found before is for another store.
    pub fn set_checked(&mut self, report: Arc<Report>) {
        self.checked = Some(report);
        self.projected = None;
        self.running = None;
        self.shown = None;
    }

    /// Adds the findings about what a followed store gained.
    pub fn grow(&mut self, store: &Store, findings: Vec<Finding>) {
        if let Some(checked) = &mut self.checked {
            let mut grown = (**checked).clone();
            grown.events = store.events().len();
            grown.streams = store.streams().len();
            grown.findings.extend(findings);
            *checked = Arc::new(grown);
        }
    }

    /// Whether a projection is folding streams on a thread.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Whether the view shows every finding for fold `fold` of the store it shows.
    pub fn is_complete(&self, fold: u64, view: &View) -> bool {
        let folded = self
            .projected
            .as_ref()
            .is_none_or(|p| p.covered == view.store.events().len());
        self.running.is_none() && folded && self.shown.is_some_and(|(f, ..)| f == fold)
    }

    /// Shows the findings for the fold in use in `view`: the check's alone for merge
    /// patches; with a projection, the check's and the projection's, and starts folding what
    /// the projection has not folded yet.
    ///
    /// Long for a reason: which run to start follows from the fold, the check and what was folded before, read in one place.
    pub fn poll(&mut self, view: &mut View, projections: &Projections, repaint: Repaint) {
        let Some(checked) = self.checked.clone() else {
            return;
        };
        let fold = projections.fold();
        self.take_in_run(fold.id);
        let projection = projections
            .loaded
            .as_ref()
            .filter(|_| projections.enabled)
            .map(|l| l.projection.clone());
        let Some(projection) = projection else {
            self.projected = None;
            self.show(view, fold.id, &checked);
            return;
        };
        if self.projected.as_ref().is_some_and(|p| p.fold != fold.id) {
            self.projected = None;
        }
        self.show(view, fold.id, &checked);
        let events = view.store.events().len();
        let covered = self.projected.as_ref().map_or(0, |p| p.covered);
        if self.running.is_some() || (self.projected.is_some() && covered == events) {
            return;
        }
        // Every stream at first; then only those that events since then went to.
        let streams = self.projected.as_ref().map(|p| {
            let mut grown: Vec<u32> = (p.covered..events)
                .map(|i| view.store.events()[i].stream)
                .collect();
            grown.sort_unstable();
            grown.dedup();
            grown
        });
        let names = streams.as_ref().map(|grown| {
            let mut names: Vec<Arc<str>> = grown
                .iter()
                .map(|&s| view.store.streams()[s as usize].id.clone())
                .collect();
            names.sort_unstable();
            names
        });
        let store = view.store.clone();
        let which = streams.clone();
        let job = Job::spawn("audit", fold.id, repaint, move |worker| {
            let Ok(own) = projection.fork() else { return };
            let all = 0..store.streams().len() as u32;
            let keep = || !worker.is_cancelled();
            let done = match which {
                Some(streams) => projection_errors(&store, &own, streams, keep),
                None => projection_errors(&store, &own, all, keep),
            };
            if let Some(done) = done {
                worker.send(done);
            }
        });
        if let Ok(job) = job {
            self.running = Some(Run {
                covered: events,
                streams: names,
                job,
            });
        }
    }

    /// Takes in what a finished run found, if it is for `fold`.
    fn take_in_run(&mut self, fold: u64) {
        let Some(run) = &mut self.running else { return };
        let found = match run.job.poll() {
            Polled::Sent(found) => found,
            Polled::Waiting if run.job.key() == fold => return,
            Polled::Waiting | Polled::Finished => {
                self.running = None;
                return;
            }
        };
        if let Some(run) = self.running.take().filter(|r| r.job.key() == fold) {
            // Streams folded again replace what was found in them before.
            let mut findings = match (&run.streams, self.projected.take()) {
                (Some(redone), Some(mut before)) => {
                    before.findings.retain(|f| {
                        f.stream
                            .as_deref()
                            .is_none_or(|s| redone.binary_search_by(|r| (**r).cmp(s)).is_err())
                    });
                    before.findings
                }
                _ => Vec::new(),
            };
            findings.extend(found);
            self.projected = Some(Projected {
                fold,
                covered: run.covered,
                findings,
            });
        }
    }

    /// Puts in the view the check's findings and the projection's, unless it has them.
    fn show(&mut self, view: &mut View, fold: u64, checked: &Arc<Report>) {
        let covered = self.projected.as_ref().map_or(0, |p| p.covered);
        let now = (fold, Arc::as_ptr(checked) as usize, covered);
        if self.shown == Some(now) {
            return;
        }
        self.shown = Some(now);
        let Some(projected) = &self.projected else {
            view.set_report(checked.clone());
            return;
        };
        let mut report = (**checked).clone();
        report.findings.extend(projected.findings.iter().cloned());
        Finding::sort(&mut report.findings);
        view.set_report(Arc::new(report));
    }
}

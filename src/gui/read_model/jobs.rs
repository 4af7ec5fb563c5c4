//! The Read model's store-wide questions, each a job of its own: where a watchpoint changes,
//! and counts by a column over time.

use std::sync::Arc;

use crate::gui::inspect::Fold;
use crate::gui::job::{Job, Repaint};
use crate::query::read_model::{Counts, Steps, Transitions, chosen, count, time_range, watch};
use crate::store::Store;

/// Where a watchpoint changes, for one store and fold.
pub struct Watched {
    pub key: (usize, u64, String),
    pub changes: Option<Arc<Transitions>>,
    job: Option<Job<Transitions>>,
}

impl Watched {
    /// Starts finding where `filter` changes in `store` folded with `fold`.
    pub fn start(store: &Arc<Store>, fold: &Fold, filter: &str, repaint: Repaint) -> Self {
        let key = (Arc::as_ptr(store) as usize, fold.id, filter.to_owned());
        let (store, reducer, text) = (store.clone(), fold.reducer.clone(), filter.to_owned());
        let job = Job::spawn("watch", fold.id, repaint, move |worker| {
            let streams = chosen(&store, None, &*reducer);
            worker.send(watch(&store, &streams, &*reducer, &text).0);
        });
        Self {
            key,
            changes: None,
            job: job.ok(),
        }
    }

    pub fn poll(&mut self) {
        if let Some(changes) = self.job.as_mut().and_then(Job::latest) {
            self.changes = Some(Arc::new(changes));
            self.job = None;
        }
    }
}

/// Counts by a column over time, for one store, fold and filter.
pub struct Counted {
    pub key: (usize, u64, String, Option<String>),
    pub counts: Option<Arc<(Steps, Counts)>>,
    job: Option<Job<Option<(Steps, Counts)>>>,
}

/// Steps a count is drawn in, about.
const CHART_STEPS: i64 = 48;

impl Counted {
    pub fn start(
        store: &Arc<Store>,
        fold: &Fold,
        by: &str,
        where_: Option<&str>,
        repaint: Repaint,
    ) -> Self {
        let key = (
            Arc::as_ptr(store) as usize,
            fold.id,
            by.to_owned(),
            where_.map(str::to_owned),
        );
        let (store, reducer) = (store.clone(), fold.reducer.clone());
        let (by, where_) = (by.to_owned(), where_.map(str::to_owned));
        let job = Job::spawn("count", fold.id, repaint, move |worker| {
            let streams = chosen(&store, None, &*reducer);
            let span = time_range(&store, &streams).map_or(0, |(a, b)| b - a);
            // A round step: whole minutes, hours or days, about CHART_STEPS of them.
            let every = [60, 300, 900, 3_600, 6 * 3_600, 86_400, 7 * 86_400]
                .map(|s: i64| s * 1_000_000_000)
                .into_iter()
                .find(|step| span / step <= CHART_STEPS)
                .unwrap_or(30 * 86_400 * 1_000_000_000);
            let steps = Steps::of(&store, &streams, every.unsigned_abs())
                .ok()
                .flatten();
            worker.send(steps.map(|steps| {
                let counts = count(&store, &streams, &*reducer, &by, where_.as_deref(), &steps);
                (steps, counts)
            }));
        });
        Self {
            key,
            counts: None,
            job: job.ok(),
        }
    }

    pub fn poll(&mut self) {
        if let Some(counted) = self.job.as_mut().and_then(Job::latest) {
            self.counts = counted.map(Arc::new);
            self.job = None;
        }
    }

    pub fn is_counting(&self) -> bool {
        self.job.is_some()
    }
}

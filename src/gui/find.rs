//! Find: every event of the store searched by its content, on a background job, counted as it
//! goes and cancellable — plain text in the record, or a jq filter on the event as
//! `events --json` prints it (as `events --where`).

use std::sync::Arc;

use rayon::prelude::*;

use super::job::{Job, Polled, Repaint};
use crate::query::{Filter, FilterError, events_where};
use crate::store::Store;

/// Events searched between two reports (and chances to cancel).
const BATCH: usize = 65_536;

/// What is searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Text anywhere in the event's record.
    Text(String),
    /// A jq filter on the normalized event.
    Filter(String),
}

/// The search box, the search under way and what it found.
#[derive(Default)]
pub struct Find {
    pub text: String,
    /// Search with a jq filter (else plain text).
    pub jq: bool,
    pub error: Option<FilterError>,
    /// What was searched for, and in which store (by address).
    pub searched: Option<(Query, u64)>,
    /// Indices of the events found, in store order.
    pub found: Vec<u32>,
    /// Events searched so far, of how many.
    pub progress: (usize, usize),
    job: Option<Job<Vec<u32>, (usize, usize)>>,
}

impl Find {
    /// Starts searching `store` for what the box says (a search under way is cancelled).
    pub fn start(&mut self, store: &Arc<Store>, repaint: Repaint) {
        let text = self.text.trim().to_owned();
        self.error = None;
        self.found.clear();
        self.job = None;
        if text.is_empty() {
            self.searched = None;
            return;
        }
        let query = if self.jq {
            if let Err(error) = Filter::parse(&text) {
                self.error = Some(error);
                self.searched = None;
                return;
            }
            Query::Filter(text)
        } else {
            Query::Text(text)
        };
        let key = Arc::as_ptr(store) as usize as u64;
        self.searched = Some((query.clone(), key));
        self.progress = (0, store.events().len());
        let store = store.clone();
        self.job = Job::spawn("find", key, repaint, move |worker| {
            let total = store.events().len();
            for start in (0..total).step_by(BATCH) {
                let end = (start + BATCH).min(total);
                let found = search(&store, &query, start..end);
                if !worker.send(found) || worker.report((end, total)).is_break() {
                    return;
                }
            }
        })
        .ok();
    }

    /// Takes in what the search found since the last frame.
    pub fn poll(&mut self) {
        let Some(job) = &mut self.job else { return };
        loop {
            match job.poll() {
                Polled::Sent(found) => self.found.extend(found),
                Polled::Waiting => break,
                Polled::Finished => {
                    self.job = None;
                    break;
                }
            }
        }
        if let Some(job) = &self.job {
            self.progress = job.progress();
        } else {
            self.progress.0 = self.progress.1;
        }
    }

    /// Stops the search under way; what it found so far stays.
    pub fn cancel(&mut self) {
        self.job = None;
    }

    pub fn is_searching(&self) -> bool {
        self.job.is_some()
    }
}

/// The events of `range` that `query` finds, in store order; both cores.
fn search(store: &Store, query: &Query, range: std::ops::Range<usize>) -> Vec<u32> {
    let range = range.start as u32..range.end as u32;
    match query {
        Query::Text(text) => {
            let finder = memchr::memmem::Finder::new(text.as_bytes());
            range
                .into_par_iter()
                .filter(|&i| {
                    store
                        .record(i)
                        .is_some_and(|record| finder.find(record.as_bytes()).is_some())
                })
                .collect()
        }
        Query::Filter(text) => {
            let indices: Vec<u32> = range.collect();
            events_where(store, &indices, text)
        }
    }
}

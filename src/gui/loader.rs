//! Opening a store on a background thread, with progress and cancel, so the window never
//! freezes. The thread indexes the store, sending a preview of its first events as soon as
//! there are some, then the whole store, then its check; the window polls for each.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::audit::{Report, check};
use crate::store::{Opening, Progress, ReadOptions, Store, StoreError};

/// The bundled sample store, so that "Open sample" works from any install.
pub const SAMPLE: &[u8] = include_bytes!("../../assets/orders.jsonl");
/// The name the sample is shown under.
pub const SAMPLE_NAME: &str = "orders.jsonl (bundled sample)";

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Sample,
}

impl Source {
    /// The path a store from this source reports.
    pub fn path(&self) -> PathBuf {
        match self {
            Self::File(path) => path.clone(),
            Self::Sample => PathBuf::from(SAMPLE_NAME),
        }
    }
}

/// What a load sends the window, in this order: perhaps a preview, then the store, then its
/// check; or a failure at any time.
pub enum Update {
    /// The first events, indexed while the rest of the file still is.
    Preview(Arc<Store>),
    /// The whole store; the check goes on.
    Indexed(Arc<Store>),
    /// The store's check.
    Checked(Arc<Report>),
    Failed(String),
}

/// What a load is doing, for its progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Indexing,
    Checking,
}

/// A load under way.
pub struct Loader {
    pub source: Source,
    pub started: Instant,
    progress: Arc<Mutex<(Progress, Stage)>>,
    cancel: Arc<AtomicBool>,
    updates: Receiver<Update>,
    /// The last update (a check or a failure) has come.
    finished: bool,
}

/// A preview is sent once this much of the file is indexed and merged, if there is more.
const PREVIEW_BYTES: u64 = 8 << 20;

impl Loader {
    /// Starts opening `source`; `repaint` is called whenever there is news.
    pub fn start(
        source: Source,
        options: ReadOptions,
        repaint: impl Fn() + Send + 'static,
    ) -> Self {
        let progress = Arc::new(Mutex::new((Progress::default(), Stage::Indexing)));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, updates) = mpsc::channel();
        let (thread_progress, thread_cancel, thread_source) =
            (progress.clone(), cancel.clone(), source.clone());
        let spawned = std::thread::Builder::new()
            .name("eventlens-load".into())
            .spawn(move || {
                let send = |update| {
                    // The window may have gone away; then nobody needs the update.
                    let _ = tx.send(update);
                    repaint();
                };
                let work = Work {
                    progress: &thread_progress,
                    cancel: &thread_cancel,
                    repaint: &repaint,
                };
                if let Err(error) = work.run(&thread_source, &options, &send) {
                    send(Update::Failed(error));
                }
            });
        let mut loader = Self {
            source,
            started: Instant::now(),
            progress,
            cancel,
            updates,
            finished: false,
        };
        if let Err(error) = spawned {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(Update::Failed(format!("could not start loading: {error}")));
            loader.updates = rx;
        }
        loader
    }

    /// The latest progress, and what the load is doing.
    pub fn progress(&self) -> (Progress, Stage) {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the load to stop; it does at its next progress report.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The next update, if one has come.
    pub fn poll(&mut self) -> Option<Update> {
        if self.finished {
            return None;
        }
        let update = match self.updates.try_recv() {
            Ok(update) => update,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                Update::Failed("loading stopped unexpectedly".into())
            }
        };
        self.finished = matches!(update, Update::Checked(_) | Update::Failed(_));
        Some(update)
    }
}

/// The loading thread's side.
struct Work<'a> {
    progress: &'a Mutex<(Progress, Stage)>,
    cancel: &'a AtomicBool,
    repaint: &'a dyn Fn(),
}

impl Work<'_> {
    fn report(&self, now: Progress, stage: Stage) -> ControlFlow<()> {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner) = (now, stage);
        (self.repaint)();
        if self.cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn run(
        &self,
        source: &Source,
        options: &ReadOptions,
        send: &dyn Fn(Update),
    ) -> Result<(), String> {
        let cancelled = || StoreError::Cancelled.to_string();
        let mut opening = match source {
            Source::File(path) => {
                Opening::open(path, options, &mut |now| self.report(now, Stage::Indexing))
            }
            Source::Sample => Opening::from_bytes(&source.path(), SAMPLE.to_vec(), options),
        }
        .map_err(|e| e.to_string())?;
        let mut previewed = false;
        while opening.step() {
            let now = opening.progress();
            if self.report(now, Stage::Indexing).is_break() {
                return Err(cancelled());
            }
            if !previewed
                && now.bytes_done >= PREVIEW_BYTES.min(now.bytes_total)
                && !opening.is_done()
            {
                send(Update::Preview(Arc::new(opening.snapshot())));
                previewed = true;
            }
        }
        let store = Arc::new(opening.finish().map_err(|e| e.to_string())?);
        send(Update::Indexed(store.clone()));
        if self.report(Progress::default(), Stage::Checking).is_break() {
            return Err(cancelled());
        }
        let report = check(&store);
        if self.cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        send(Update::Checked(Arc::new(report)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{SampleSpec, write_orders};
    use std::time::Duration;

    /// Every update of `loader`, up to its last.
    fn updates(loader: &mut Loader) -> Vec<Update> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut all = Vec::new();
        while !loader.finished {
            match loader.poll() {
                Some(update) => all.push(update),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
            assert!(Instant::now() < deadline, "the load did not finish");
        }
        all
    }

    fn big_store(dir: &tempfile::TempDir) -> PathBuf {
        let path = dir.path().join("big.jsonl");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        write_orders(
            &SampleSpec {
                events: 120_000,
                ..SampleSpec::default()
            },
            &mut file,
        )
        .unwrap();
        path
    }

    #[test]
    fn loads_preview_then_index_then_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_store(&dir);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > 2 * PREVIEW_BYTES, "{size}");

        let mut loader = Loader::start(Source::File(path), ReadOptions::default(), || {});
        let updates = updates(&mut loader);
        let [
            Update::Preview(preview),
            Update::Indexed(store),
            Update::Checked(report),
        ] = &updates[..]
        else {
            panic!("unexpected updates");
        };
        assert_eq!(store.events().len(), 120_000);
        assert_eq!(report.events, 120_000);
        // The preview is the store's beginning: same streams, in the same order, same events.
        let n = preview.events().len();
        assert!(n > 0 && n < 120_000, "{n}");
        for (early, full) in preview.streams().iter().zip(store.streams()) {
            assert_eq!(early.id, full.id);
            assert_eq!(early.events[..], full.events[..early.events.len()]);
        }
        let (progress, stage) = loader.progress();
        assert_eq!(stage, Stage::Checking, "{progress:?}");
    }

    #[test]
    fn cancel_stops_a_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut loader =
            Loader::start(Source::File(big_store(&dir)), ReadOptions::default(), || {});
        loader.cancel();
        let updates = updates(&mut loader);
        let Some(Update::Failed(why)) = updates.last() else {
            panic!("the load was not cancelled");
        };
        assert_eq!(why, "opening was cancelled");
    }

    #[test]
    fn the_bundled_sample_opens() {
        let mut loader = Loader::start(Source::Sample, ReadOptions::default(), || {});
        let updates = updates(&mut loader);
        let [Update::Indexed(store), Update::Checked(_)] = &updates[..] else {
            panic!("unexpected updates");
        };
        assert_eq!(store.events().len(), 6000);
        assert_eq!(store.path(), std::path::Path::new(SAMPLE_NAME));
    }
}

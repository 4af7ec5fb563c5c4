//! Opening a store on a background thread, with progress and cancel, so the window never
//! freezes. The thread reads, indexes and checks the store; the window polls for the result.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::audit::{Report, check};
use crate::store::{Progress, ReadOptions, Store};

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

/// An opened and checked store.
pub struct Opened {
    pub source: Source,
    pub store: Arc<Store>,
    pub report: Arc<Report>,
}

/// A load under way.
pub struct Loader {
    pub source: Source,
    pub started: Instant,
    progress: Arc<Mutex<(Progress, bool)>>,
    cancel: Arc<AtomicBool>,
    done: Receiver<Result<Opened, String>>,
}

/// What polling a load found.
pub enum Poll {
    Running,
    Done(Result<Opened, String>),
}

impl Loader {
    /// Starts opening `source`; `repaint` is called whenever there is news.
    pub fn start(
        source: Source,
        options: ReadOptions,
        repaint: impl Fn() + Send + 'static,
    ) -> Self {
        let progress = Arc::new(Mutex::new((Progress::default(), false)));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, done) = mpsc::channel();
        let (thread_progress, thread_cancel, thread_source) =
            (progress.clone(), cancel.clone(), source.clone());
        let spawned = std::thread::Builder::new()
            .name("eventlens-load".into())
            .spawn(move || {
                let result = open(
                    &thread_source,
                    &options,
                    &thread_progress,
                    &thread_cancel,
                    &repaint,
                );
                // The window may have gone away; then nobody needs the result.
                let _ = tx.send(result);
                repaint();
            });
        if let Err(error) = spawned {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(Err(format!("could not start loading: {error}")));
            return Self {
                source,
                started: Instant::now(),
                progress,
                cancel,
                done: rx,
            };
        }
        Self {
            source,
            started: Instant::now(),
            progress,
            cancel,
            done,
        }
    }

    /// The latest progress, and whether the store is being checked (after indexing).
    pub fn progress(&self) -> (Progress, bool) {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the load to stop; it does at its next progress report.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether the load has finished, and how.
    pub fn poll(&self) -> Poll {
        match self.done.try_recv() {
            Ok(result) => Poll::Done(result),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => {
                Poll::Done(Err("loading stopped unexpectedly".into()))
            }
        }
    }
}

fn open(
    source: &Source,
    options: &ReadOptions,
    progress: &Mutex<(Progress, bool)>,
    cancel: &AtomicBool,
    repaint: &dyn Fn(),
) -> Result<Opened, String> {
    let mut report_progress = |now: Progress| {
        *progress.lock().unwrap_or_else(PoisonError::into_inner) = (now, false);
        repaint();
        if cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let store = match source {
        Source::File(path) => Store::open_with_progress(path, options, &mut report_progress),
        Source::Sample => Store::from_bytes(&source.path(), SAMPLE.to_vec(), options),
    }
    .map_err(|e| e.to_string())?;
    progress.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
    repaint();
    let report = check(&store);
    if cancel.load(Ordering::Relaxed) {
        return Err("opening was cancelled".into());
    }
    Ok(Opened {
        source: source.clone(),
        store: Arc::new(store),
        report: Arc::new(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{SampleSpec, write_orders};
    use std::time::Duration;

    fn wait(loader: &Loader) -> Result<Opened, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Poll::Done(result) = loader.poll() {
                return result;
            }
            assert!(Instant::now() < deadline, "the load did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn loads_report_progress_and_cancel_stops_them() {
        let dir = tempfile::tempdir().unwrap();
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
        drop(file);
        let size = std::fs::metadata(&path).unwrap().len();

        let loader = Loader::start(Source::File(path.clone()), ReadOptions::default(), || {});
        let opened = wait(&loader).unwrap();
        assert_eq!(opened.store.events().len(), 120_000);
        let (progress, checking) = loader.progress();
        assert!(
            checking && progress.bytes_total == size && progress.events > 0,
            "{progress:?}"
        );

        let loader = Loader::start(Source::File(path), ReadOptions::default(), || {});
        loader.cancel();
        assert_eq!(
            wait(&loader).err().as_deref(),
            Some("opening was cancelled")
        );
    }

    #[test]
    fn the_bundled_sample_opens() {
        let opened = wait(&Loader::start(
            Source::Sample,
            ReadOptions::default(),
            || {},
        ))
        .unwrap();
        assert_eq!(opened.store.events().len(), 6000);
        assert_eq!(opened.store.path(), std::path::Path::new(SAMPLE_NAME));
    }
}

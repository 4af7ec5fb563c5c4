//! Reading a source on a background thread, with progress and cancel, so the window never
//! freezes. The thread reads the store, sending a preview of its first events as soon as there
//! are some, then the whole store, then its check; asked to follow, it then looks for new
//! events every so often and sends the grown store with the findings about what is new.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use super::job::{Job, Polled, Repaint, Worker};
use crate::audit::{Checker, Report, check};
use crate::finding::Finding;
use crate::source::{Mode, POLL, Reader, Source};
use crate::store::{Phase, Progress, ReadOptions, Store, StoreError};

/// The bundled sample store, so that "Open sample" works from any install.
pub const SAMPLE: &[u8] = include_bytes!("../../assets/orders.jsonl");
/// The name the sample is shown under.
pub const SAMPLE_NAME: &str = "orders.jsonl (bundled sample)";

/// The bundled sample as a source.
pub fn sample() -> Source {
    Source::Bundled {
        name: SAMPLE_NAME,
        bytes: SAMPLE,
    }
}

/// What a load sends the window, in this order: perhaps a preview, then the store, then its
/// check; then, while following, the store each time it grew; or a failure at any time.
pub enum Update {
    /// The first events, indexed while the rest of the source still is.
    Preview(Arc<Store>),
    /// The whole store; the check goes on. With why reading stopped early, if it did (a
    /// broken archive: the events before the break are in the store).
    Indexed(Arc<Store>, Option<String>),
    /// The store's check.
    Checked(Arc<Report>),
    /// The store grew while followed: the store now, and the findings about what is new.
    Grew(Arc<Store>, Vec<Finding>),
    /// The source shrank or was replaced and was read again from its start: the store now, its
    /// whole check, and why.
    Restarted(Arc<Store>, Arc<Report>, String),
    /// Following stopped: the source ended (standard input closed) or cannot be followed.
    Stopped(String),
    /// The connection to a database was lost, and why (following goes on once it is back);
    /// `None`: it is back.
    Connection(Option<String>),
    Failed(String),
}

/// What a load is doing, for its progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Indexing,
    Checking,
    /// Read and checked; following, or waiting to be asked to.
    Done,
}

/// A load under way: reading, checking, or (afterwards) following.
pub struct Loader {
    pub source: Source,
    pub started: Instant,
    /// The thread, or why it could not start.
    job: Result<Job<Update, (Progress, Stage)>, Option<String>>,
    follow: Sender<bool>,
    following: bool,
    /// The store and its check have come (or a failure): what comes now is growth.
    finished: bool,
}

/// A preview is sent once this much of the source is indexed and merged, if there is more.
const PREVIEW_BYTES: u64 = 8 << 20;

impl Loader {
    /// Starts reading `source`; `repaint` is called whenever there is news.
    pub fn start(source: Source, options: ReadOptions, repaint: Repaint) -> Self {
        let (follow, follow_rx) = mpsc::channel();
        let thread_source = source.clone();
        let job = Job::spawn("load", 0, repaint, move |worker| {
            let send = |update| {
                // The window may have gone away; then nobody needs the update.
                worker.send(update);
            };
            let work = Work {
                worker,
                follow: follow_rx,
            };
            if let Err(error) = work.run(&thread_source, &options, &send) {
                send(Update::Failed(error));
            }
        });
        Self {
            source,
            started: Instant::now(),
            job: job.map_err(Some),
            follow,
            following: false,
            finished: false,
        }
    }

    /// The latest progress, and what the load is doing.
    pub fn progress(&self) -> (Progress, Stage) {
        self.job.as_ref().map(Job::progress).unwrap_or_default()
    }

    /// Asks the load to stop; it does at its next progress report.
    pub fn cancel(&self) {
        if let Ok(job) = &self.job {
            job.cancel();
        }
    }

    /// Starts or stops following the source.
    pub fn set_follow(&mut self, on: bool) {
        if self.following != on {
            self.following = on;
            let _ = self.follow.send(on);
        }
    }

    /// Whether the source is being followed.
    pub fn is_following(&self) -> bool {
        self.following
    }

    /// The next update, if one has come.
    pub fn poll(&mut self) -> Option<Update> {
        let job = match &mut self.job {
            Ok(job) => job,
            Err(why) => return why.take().map(Update::Failed),
        };
        let update = match job.poll() {
            Polled::Sent(update) => update,
            Polled::Waiting => return None,
            Polled::Finished if self.finished => return None,
            Polled::Finished => Update::Failed("loading stopped unexpectedly".into()),
        };
        match &update {
            Update::Checked(_) | Update::Failed(_) => self.finished = true,
            Update::Stopped(_) => self.following = false,
            _ => {}
        }
        Some(update)
    }
}

/// Whether `now` begins with the events of `before` (the same file, only grown): the same
/// number of streams or more, and the last event of `before` read from the same record.
fn same_prefix(before: &Store, now: &Store) -> bool {
    let n = before.events().len();
    if n == 0 {
        return true;
    }
    let last = (n - 1) as u32;
    now.events().len() >= n
        && now.streams().len() >= before.streams().len()
        && before.record(last) == now.record(last)
        && before.event(last).stream() == now.event(last).stream()
}

/// The loading thread's side.
struct Work<'a> {
    worker: &'a Worker<Update, (Progress, Stage)>,
    follow: Receiver<bool>,
}

impl Work<'_> {
    fn report(&self, now: Progress, stage: Stage) -> ControlFlow<()> {
        self.worker.report((now, stage))
    }

    fn cancelled(&self) -> bool {
        self.worker.is_cancelled()
    }

    fn run(
        &self,
        source: &Source,
        options: &ReadOptions,
        send: &dyn Fn(Update),
    ) -> Result<(), String> {
        let cancelled = || StoreError::Cancelled.to_string();
        let mut reader = Reader::open(source, options, Mode::Read).map_err(|e| e.to_string())?;
        let mut previewed = false;
        while reader.step().map_err(|e| e.to_string())? {
            let now = reader.progress();
            if self.report(now, Stage::Indexing).is_break() {
                return Err(cancelled());
            }
            if !previewed
                && now.events > 0
                && !reader.is_caught_up()
                // Rows (a database's, a topic's) are counted in rows, not bytes: the first
                // page is shown at once.
                && (now.phase == Phase::Rows
                    || now.bytes_done >= PREVIEW_BYTES.min(now.bytes_total))
                && let Some(store) = reader.store()
            {
                send(Update::Preview(Arc::new(store.clone())));
                previewed = true;
            }
        }
        let store = Arc::new(reader.finished().map_err(|e| e.to_string())?);
        send(Update::Indexed(
            store.clone(),
            reader.broken().map(str::to_owned),
        ));
        if self.report(Progress::default(), Stage::Checking).is_break() {
            return Err(cancelled());
        }
        let report = check(&store);
        if self.cancelled() {
            return Err(cancelled());
        }
        send(Update::Checked(Arc::new(report)));
        if self.report(Progress::default(), Stage::Done).is_break() {
            return Err(cancelled());
        }
        self.follow_while_asked(reader, &store, send);
        Ok(())
    }

    /// Waits to be asked to follow; then looks for new events every [`POLL`] until asked to
    /// stop, the window goes away, or the source ends.
    ///
    /// Long for a reason: one loop over the follow states (asked, lost, grown, restarted, ended), each a few lines.
    fn follow_while_asked(&self, mut reader: Reader, store: &Store, send: &dyn Fn(Update)) {
        let mut checker: Option<Checker> = None;
        let mut shown = store.clone();
        let mut on = false;
        let mut lost = false;
        loop {
            let asked = if on {
                self.follow
                    .recv_timeout(POLL)
                    .map_err(|e| e == mpsc::RecvTimeoutError::Disconnected)
            } else {
                self.follow.recv().map_err(|_| true)
            };
            match asked {
                Ok(wanted) => {
                    on = wanted;
                    continue;
                }
                Err(true) => return,
                Err(false) if self.cancelled() => return,
                Err(false) => {}
            }
            let growth = match reader.poll() {
                Ok(growth) => {
                    if std::mem::take(&mut lost) {
                        send(Update::Connection(None));
                    }
                    growth
                }
                // A database gone away: said once, then looked for at every poll.
                Err(error) if error.is_transient() => {
                    if !std::mem::replace(&mut lost, true) {
                        send(Update::Connection(Some(error.to_string())));
                    }
                    continue;
                }
                Err(error) => {
                    on = false;
                    send(Update::Stopped(error.to_string()));
                    continue;
                }
            };
            let Some(now) = reader.store() else { continue };
            // Read again to be followed: the same events as before unless the file changed.
            let changed = growth.reread && !same_prefix(&shown, now);
            let restarted = growth.restarted.or_else(|| {
                changed.then(|| {
                    format!(
                        "{} changed while it was read again; reading it from the start",
                        reader.source()
                    )
                })
            });
            if let Some(why) = restarted {
                shown = now.clone();
                let report = check(&shown);
                checker = None;
                send(Update::Restarted(
                    Arc::new(shown.clone()),
                    Arc::new(report),
                    why,
                ));
            } else if growth.added > 0 || growth.reread {
                // (Read again to be followed, the store shown must be the one read into memory.)
                // The first growth catches the checker up with the store as checked.
                let checker = checker.get_or_insert_with(|| Checker::caught_up(&shown));
                shown = now.clone();
                let findings = checker.check_new(&shown);
                send(Update::Grew(Arc::new(shown.clone()), findings));
            }
            if growth.ended {
                on = false;
                send(Update::Stopped(format!("{} has ended", reader.source())));
            }
        }
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

    fn big_store(dir: &tempfile::TempDir) -> std::path::PathBuf {
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

        let mut loader = Loader::start(Source::Path(path), ReadOptions::default(), Arc::new(|| {}));
        let updates = updates(&mut loader);
        let [
            Update::Preview(preview),
            Update::Indexed(store, None),
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
        assert!(
            matches!(stage, Stage::Checking | Stage::Done),
            "{progress:?}"
        );
    }

    #[test]
    fn cancel_stops_a_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut loader = Loader::start(
            Source::Path(big_store(&dir)),
            ReadOptions::default(),
            Arc::new(|| {}),
        );
        loader.cancel();
        let updates = updates(&mut loader);
        let Some(Update::Failed(why)) = updates.last() else {
            panic!("the load was not cancelled");
        };
        assert_eq!(why, "opening was cancelled");
    }

    #[test]
    fn the_bundled_sample_opens() {
        let mut loader = Loader::start(sample(), ReadOptions::default(), Arc::new(|| {}));
        let updates = updates(&mut loader);
        let [Update::Indexed(store, None), Update::Checked(_)] = &updates[..] else {
            panic!("unexpected updates");
        };
        assert_eq!(store.events().len(), 6000);
        assert_eq!(store.name(), SAMPLE_NAME);
    }

    /// The next update that is not `skip`, waiting for it.
    fn next_update(loader: &mut Loader) -> Update {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(update) = loader.poll() {
                return update;
            }
            assert!(Instant::now() < deadline, "no update came");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_followed_file_grows_with_findings_about_what_is_new() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.jsonl");
        let line = |seq: u64| {
            format!("{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n")
        };
        std::fs::write(&path, line(1) + &line(2)).unwrap();
        let mut loader = Loader::start(
            Source::Path(path.clone()),
            ReadOptions::default(),
            Arc::new(|| {}),
        );
        updates(&mut loader);
        loader.set_follow(true);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all((line(3) + &line(5)).as_bytes()).unwrap();
        let Update::Grew(store, findings) = next_update(&mut loader) else {
            panic!("the store did not grow");
        };
        assert_eq!(store.events().len(), 4);
        let codes: Vec<_> = findings.iter().map(|f| (f.code.as_str(), f.line)).collect();
        assert_eq!(codes, [("seq_gap", Some(4))]);
        // Half a line waits for its newline.
        file.write_all(line(6).trim_end().as_bytes()).unwrap();
        std::thread::sleep(POLL * 3);
        assert!(loader.poll().is_none(), "half a line was read");
        file.write_all(b"\n").unwrap();
        let Update::Grew(store, findings) = next_update(&mut loader) else {
            panic!("the store did not grow");
        };
        assert_eq!((store.events().len(), findings.len()), (5, 0));
        loader.set_follow(false);
    }
}

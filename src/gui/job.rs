//! Background work for the window: one type for every thread the window starts (loading,
//! inspecting, counting, checking, exporting, reading a script, a file dialog), so that each
//! has a key, can be cancelled, reports progress, and wakes the window when it has news.
//!
//! The window holds a [`Job`]; the thread holds its [`Worker`]. What the thread sends arrives
//! in order through [`Job::poll`]. Dropping the job cancels it: the thread sees that at its next
//! [`Worker::report`] or [`Worker::is_cancelled`], and what it sends after is dropped.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};

/// Wakes the window (`egui::Context::request_repaint`, or nothing in tests).
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

/// A repaint of `ctx`.
pub fn repaint_of(ctx: &egui::Context) -> Repaint {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint())
}

/// What the window and the thread share.
struct Shared<P> {
    cancel: AtomicBool,
    progress: Mutex<P>,
}

/// A thread's work, seen from the window: `T` is what it sends, `P` its progress.
pub struct Job<T, P = ()> {
    /// What the work is for (a store, a stream, a fold…): a job for another key is stale.
    key: u64,
    shared: Arc<Shared<P>>,
    output: Receiver<T>,
    /// The thread has ended and everything it sent has been taken.
    finished: bool,
}

/// A job's thread side.
pub struct Worker<T, P = ()> {
    shared: Arc<Shared<P>>,
    output: Sender<T>,
    repaint: Repaint,
}

/// What [`Job::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Polled<T> {
    /// Something the thread sent.
    Sent(T),
    /// Nothing new; the thread goes on.
    Waiting,
    /// The thread has ended and everything it sent has been taken.
    Finished,
}

impl<T: Send + 'static, P: Clone + Default + Send + 'static> Job<T, P> {
    /// Runs `work` on a thread named `eventlens-{name}`. A thread that cannot be started is
    /// an `Err` with why.
    pub fn spawn(
        name: &str,
        key: u64,
        repaint: Repaint,
        work: impl FnOnce(&Worker<T, P>) + Send + 'static,
    ) -> Result<Self, String> {
        let shared = Arc::new(Shared {
            cancel: AtomicBool::new(false),
            progress: Mutex::new(P::default()),
        });
        let (sender, output) = mpsc::channel();
        let worker = Worker {
            shared: shared.clone(),
            output: sender,
            repaint,
        };
        std::thread::Builder::new()
            .name(format!("eventlens-{name}"))
            .spawn(move || {
                work(&worker);
                // The window hears that the thread is done as soon as the worker is gone.
                drop(worker.output);
                (worker.repaint)();
            })
            .map_err(|error| format!("could not start {name}: {error}"))?;
        Ok(Self {
            key,
            shared,
            output,
            finished: false,
        })
    }
}

impl<T, P: Clone> Job<T, P> {
    /// What the job is for.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// Asks the thread to stop at its next report.
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// The thread's latest progress.
    pub fn progress(&self) -> P {
        self.shared
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The next thing the thread sent, or whether it is still at work.
    pub fn poll(&mut self) -> Polled<T> {
        if self.finished {
            return Polled::Finished;
        }
        match self.output.try_recv() {
            Ok(sent) => Polled::Sent(sent),
            Err(TryRecvError::Empty) => Polled::Waiting,
            Err(TryRecvError::Disconnected) => {
                self.finished = true;
                Polled::Finished
            }
        }
    }

    /// The last thing the thread sent since the last poll (earlier ones are dropped).
    pub fn latest(&mut self) -> Option<T> {
        let mut latest = None;
        while let Polled::Sent(sent) = self.poll() {
            latest = Some(sent);
        }
        latest
    }

    /// Whether the thread has ended and everything it sent has been taken.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl<T, P> Drop for Job<T, P> {
    fn drop(&mut self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }
}

impl<T, P> Worker<T, P> {
    /// Sends `value` to the window and wakes it; `false` when the job is gone (cancelled or
    /// dropped), so that the thread can stop.
    pub fn send(&self, value: T) -> bool {
        let sent = self.output.send(value).is_ok();
        (self.repaint)();
        sent && !self.is_cancelled()
    }

    /// Whether the window asked the thread to stop (or dropped the job).
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.load(Ordering::Relaxed)
    }

    /// Records progress, wakes the window, and says whether to go on.
    pub fn report(&self, progress: P) -> ControlFlow<()> {
        *self
            .shared
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = progress;
        (self.repaint)();
        if self.is_cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Wakes the window.
    pub fn repaint(&self) {
        (self.repaint)();
    }
}

/// An answer that says what it answers.
pub trait Answers<A> {
    fn ask(&self) -> &A;
}

/// A job that answers asks (the inspector, the Read model's table): the window asks for what it
/// shows as often as it likes; the worker answers the newest ask it has, skipping older ones.
pub struct Asked<A, R> {
    asks: Sender<A>,
    job: Option<Job<R>>,
    /// The last ask sent.
    last: Option<A>,
    latest: Option<Arc<R>>,
}

impl<A: Clone + PartialEq + Send + 'static, R: Answers<A> + Send + Sync + 'static> Asked<A, R> {
    /// Starts `serve` on a thread named `eventlens-{name}`; it answers what comes on the
    /// receiver until the window is gone.
    pub fn start(
        name: &str,
        repaint: Repaint,
        serve: impl FnOnce(&Receiver<A>, &Worker<R>) + Send + 'static,
    ) -> Self {
        let (asks, rx) = mpsc::channel();
        let job = Job::spawn(name, 0, repaint, move |worker| serve(&rx, worker));
        Self {
            asks,
            job: job.ok(),
            last: None,
            latest: None,
        }
    }

    /// Asks for `ask` unless it was the last ask. A worker that has gone leaves the last
    /// answer in place.
    pub fn ask(&mut self, ask: A) {
        if self.last.as_ref() != Some(&ask) {
            let _ = self.asks.send(ask.clone());
            self.last = Some(ask);
        }
    }

    /// Takes in the newest answer that has come. The answers it replaces are freed off the
    /// window's thread: one can hold a row for each of hundreds of thousands of streams (the
    /// Read model's table), and freeing them takes longer than a frame.
    pub fn poll(&mut self) {
        let Some(job) = self.job.as_mut() else {
            return;
        };
        let mut replaced = Vec::new();
        while let Polled::Sent(answer) = job.poll() {
            replaced.extend(self.latest.replace(Arc::new(answer)));
        }
        if !replaced.is_empty() {
            rayon::spawn(move || drop(replaced));
        }
    }

    /// The newest answer, which may be for an earlier ask.
    pub fn latest(&self) -> Option<&Arc<R>> {
        self.latest.as_ref()
    }

    /// Whether the newest answer is for the last ask.
    pub fn is_current(&self) -> bool {
        self.last.is_some() && self.latest.as_ref().map(|a| a.ask()) == self.last.as_ref()
    }
}

/// The newest of what is waiting on `asks`, after waiting for one; `None` once the window is
/// gone.
pub fn newest<A>(asks: &Receiver<A>) -> Option<A> {
    let mut ask = asks.recv().ok()?;
    while let Ok(newer) = asks.try_recv() {
        ask = newer;
    }
    Some(ask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    fn wait_for<T, P: Clone>(job: &mut Job<T, P>) -> Vec<T> {
        let start = Instant::now();
        let mut sent = Vec::new();
        loop {
            match job.poll() {
                Polled::Sent(value) => sent.push(value),
                Polled::Finished => return sent,
                Polled::Waiting if start.elapsed() > Duration::from_secs(20) => return sent,
                Polled::Waiting => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    #[test]
    fn what_a_worker_sends_arrives_in_order_then_it_finishes() {
        let woken = Arc::new(AtomicUsize::new(0));
        let count = woken.clone();
        let repaint: Repaint = Arc::new(move || {
            count.fetch_add(1, Ordering::Relaxed);
        });
        let mut job = Job::<u32, u8>::spawn("test", 7, repaint, |worker| {
            for i in 0..3 {
                worker.send(i);
            }
            let _ = worker.report(100);
        })
        .unwrap();
        assert_eq!(job.key(), 7);
        assert_eq!(wait_for(&mut job), [0, 1, 2]);
        assert!(job.is_finished());
        assert_eq!(job.progress(), 100);
        assert!(
            woken.load(Ordering::Relaxed) >= 5,
            "each send, the report and the end"
        );
    }

    #[test]
    fn a_cancelled_or_dropped_job_stops_its_worker() {
        let (started_tx, started) = mpsc::channel();
        let (stopped_tx, stopped) = mpsc::channel();
        let job = Job::<(), ()>::spawn("test", 0, Arc::new(|| {}), move |worker| {
            let _ = started_tx.send(());
            while worker.report(()).is_continue() {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = stopped_tx.send(());
        })
        .unwrap();
        started.recv_timeout(Duration::from_secs(20)).unwrap();
        drop(job);
        stopped.recv_timeout(Duration::from_secs(20)).unwrap();
    }
}

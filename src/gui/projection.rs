//! The fold the window uses: merge patches, or a projection script the user chose. A script is
//! loaded on a background thread, and loaded again when its file changes on disk; every load
//! gives a new [`Fold`] id, so that the inspector folds again while the cursor stays.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::inspect::Fold;
use super::job::{Job, Repaint};
use crate::replay::{Limits, LoadError, Projection, Reducer};

/// How often the script's modification time is looked at.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// What a load thread sends back: the file's modification time, and the script loaded.
type LoadResult = (Option<SystemTime>, Result<Projection, LoadError>);

/// A script that loaded.
pub struct Loaded {
    pub projection: Arc<Projection>,
    /// When it was loaded.
    pub at: Instant,
}

/// The projection chosen in the window, if any, and whether the fold uses it.
#[derive(Default)]
pub struct Projections {
    /// The path field of the Projection window.
    pub field: String,
    /// The script last loaded or tried.
    pub script: Option<PathBuf>,
    /// Fold with the loaded projection (else merge patches).
    pub enabled: bool,
    pub loaded: Option<Loaded>,
    /// Why the last load failed (`file:line:column: message`).
    pub error: Option<String>,
    /// Loads so far; the fold id of the newest.
    loads: u64,
    pending: Option<Job<LoadResult>>,
    /// The file's modification time at the last load, good or bad: a change reloads it.
    version: Option<SystemTime>,
    watched_at: Option<Instant>,
}

impl Projections {
    /// The fold to ask the inspector for.
    pub fn fold(&self) -> Fold {
        match &self.loaded {
            Some(loaded) if self.enabled => Fold {
                id: self.loads,
                reducer: loaded.projection.clone() as Arc<dyn Reducer>,
            },
            _ => Fold::merge_patch(),
        }
    }

    /// What folds the streams, in words: "merge patches" or the projection's name.
    pub fn fold_name(&self) -> &str {
        match &self.loaded {
            Some(loaded) if self.enabled => loaded.projection.name(),
            _ => "merge patches",
        }
    }

    /// Whether a load is under way.
    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts loading the script at `path`; the fold switches to it once it has loaded.
    pub fn load(&mut self, path: &Path, repaint: Repaint) {
        let script = path.to_owned();
        let job = Job::spawn("projection", 0, repaint, move |worker| {
            let modified = modified(&script);
            worker.send((modified, Projection::load(&script, Limits::default())));
        });
        match job {
            Ok(job) => {
                self.field = path.display().to_string();
                self.script = Some(path.to_owned());
                self.pending = Some(job);
            }
            Err(error) => self.error = Some(format!("the projection could not be loaded: {error}")),
        }
    }

    /// Takes in a finished load, and starts one when the loaded file has changed. Returns
    /// whether the fold changed.
    pub fn poll(&mut self, repaint: Repaint) -> bool {
        if self.pending.as_ref().is_some_and(Job::is_finished) {
            self.pending = None;
            self.error = Some("loading the projection stopped unexpectedly".into());
        }
        if let Some(job) = &mut self.pending
            && let Some((modified, result)) = job.latest()
        {
            self.pending = None;
            self.version = modified;
            return match result {
                Ok(projection) => {
                    self.loads += 1;
                    self.loaded = Some(Loaded {
                        projection: Arc::new(projection),
                        at: Instant::now(),
                    });
                    self.error = None;
                    self.enabled = true;
                    true
                }
                Err(error) => {
                    // A broken edit keeps the last good script folding; the error is shown.
                    self.error = Some(error.to_string());
                    false
                }
            };
        }
        if self.pending.is_none()
            && let Some(path) = self.script.clone()
            && self.watched_at.is_none_or(|at| at.elapsed() >= WATCH_EVERY)
        {
            self.watched_at = Some(Instant::now());
            let now = modified(&path);
            if now.is_some() && now != self.version {
                self.load(&path, repaint);
            }
        }
        false
    }

    /// When the file was last looked at, to come back in time for the next look.
    pub fn watch_interval(&self) -> Option<Duration> {
        self.script.is_some().then_some(WATCH_EVERY)
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

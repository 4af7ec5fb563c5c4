//! Reading from a server (PostgreSQL, a Kafka broker) a step at a time through lost
//! connections: a source read to its end tries again for a while, a follower says the server
//! is gone at once and looks again at its next poll. Either way reading goes on from what was
//! read (positions, offsets), so nothing is lost or read twice.

use std::time::{Duration, Instant};

use super::SourceError;

/// How long reading a source to its end keeps trying to reach a lost server before giving up.
const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// Why a step could not be taken.
pub(super) enum Step {
    /// The server could not be reached: try again later.
    Lost(String),
    /// The source cannot be read as asked.
    Failed(String),
}

/// A source read from a server.
pub(super) trait Server {
    /// Reads the next page; `Ok(false)` once everything there is now has been read.
    fn try_step(&mut self) -> Result<bool, Step>;
    /// Why the server is gone, while it is.
    fn lost(&mut self) -> &mut Option<String>;
    /// Whether the source is followed (then a lost server is said at once).
    fn following(&self) -> bool;
    /// The name the source is reported under.
    fn name(&self) -> String;
    /// A failure as the source's error.
    fn failure(&self, message: String) -> SourceError;
}

/// Takes the next step of `server`, trying again while it is lost and not followed.
pub(super) fn step(server: &mut impl Server) -> Result<bool, SourceError> {
    let started = Instant::now();
    loop {
        match server.try_step() {
            Ok(more) => {
                *server.lost() = None;
                return Ok(more);
            }
            Err(Step::Failed(message)) => return Err(server.failure(message)),
            Err(Step::Lost(why)) => {
                *server.lost() = Some(why.clone());
                if server.following() || started.elapsed() >= RECONNECT_FOR {
                    return Err(SourceError::Lost {
                        name: server.name(),
                        why,
                    });
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

//! The state of an opened store in the window: which stream, where the cursor is, what is
//! pinned and blamed, and playback. Plain data with no egui in it: commands change it and
//! playback advances it with a fixed time step, so both are tested without a screen.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::audit::{Report, Severity};
use crate::replay::{Point, PointError};
use crate::store::{Store, Stream};

use super::command::Command;
use super::keys::List;

/// Events per second at speed 1×.
pub const EVENTS_PER_SECOND: f32 = 4.0;
/// The speeds offered.
pub const SPEEDS: [f32; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// Play, pause, speed and loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Playback {
    pub playing: bool,
    pub speed: f32,
    pub looping: bool,
    /// Fractions of an event carried over between frames.
    carry: f32,
}

impl Default for Playback {
    fn default() -> Self {
        Self {
            playing: false,
            speed: 1.0,
            looping: false,
            carry: 0.0,
        }
    }
}

/// A finding placed on an event of a stream, for markers and badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The event's index in its stream.
    pub k: usize,
    pub severity: Severity,
    /// The finding's index in the report.
    pub finding: usize,
}

/// An opened store as the window shows it.
pub struct View {
    pub store: Arc<Store>,
    pub report: Arc<Report>,
    /// Findings placed on events, per stream index, in the stream's order.
    pub markers: HashMap<u32, Vec<Marker>>,
    /// The selected stream's index in `store.streams()`.
    pub stream: u32,
    /// The stream's event the cursor is on; the state shown is the one after it.
    pub cursor: usize,
    pub pin: Option<usize>,
    /// The JSON Pointer whose history is shown.
    pub blame: Option<String>,
    /// The JSON Pointer of the number plotted in Charts.
    pub chart: Option<String>,
    pub playback: Playback,
    /// The selected stream's events the fold failed on (index → why), as far as folded.
    pub failures: Arc<BTreeMap<usize, String>>,
    /// Events of the selected stream after which a Read model watchpoint starts holding.
    pub watch_marks: Arc<Vec<usize>>,
    /// Events of the selected stream in the Trace tab's transaction.
    pub trace_marks: Vec<usize>,
    /// Whether any event of the store has a time (else the time axis, the time column and
    /// points in time have nothing to go on, and say so).
    pub has_times: bool,
    /// The list the arrow keys walk.
    pub keys: List,
}

impl View {
    /// A view of `store` on its first stream, cursor on that stream's last event.
    pub fn new(store: Arc<Store>, report: Arc<Report>) -> Self {
        let markers = place_findings(&store, &report);
        let has_times = store.has_times();
        let mut view = Self {
            has_times,
            store,
            report,
            markers,
            stream: 0,
            cursor: 0,
            pin: None,
            blame: None,
            chart: None,
            playback: Playback::default(),
            failures: Arc::default(),
            watch_marks: Arc::default(),
            trace_marks: Vec::new(),
            keys: List::default(),
        };
        view.select_stream(0);
        view
    }

    /// Puts the whole store in place of a preview of it (its beginning): streams keep their
    /// indices and events their places, so the selection and cursor stay where they are.
    pub fn replace_store(&mut self, store: Arc<Store>) {
        self.has_times = store.has_times();
        self.store = store;
        self.markers = place_findings(&self.store, &self.report);
        if self.stream as usize >= self.store.streams().len() {
            self.select_stream(0);
        }
        self.cursor = self.cursor.min(self.len().saturating_sub(1));
    }

    /// Puts a grown store (a followed source) and its grown check in place: indices stay,
    /// and a cursor on the selected stream's last event moves to its new last event; a cursor
    /// elsewhere stays where it is.
    pub fn grow(&mut self, store: Arc<Store>, report: Arc<Report>) {
        let at_end = self.cursor + 1 >= self.len();
        self.has_times = self.has_times || store.has_times();
        self.store = store;
        self.report = report;
        self.markers = place_findings(&self.store, &self.report);
        if at_end {
            self.cursor = self.len().saturating_sub(1);
        }
    }

    /// Puts the store's check in place.
    pub fn set_report(&mut self, report: Arc<Report>) {
        self.report = report;
        self.markers = place_findings(&self.store, &self.report);
    }

    /// The selected stream.
    pub fn stream(&self) -> &Stream {
        &self.store.streams()[self.stream as usize]
    }

    /// How many events the selected stream has.
    pub fn len(&self) -> usize {
        self.stream().events.len()
    }

    /// Whether the selected stream has no events (never, for streams of a store).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The seq of the event under the cursor.
    pub fn cursor_seq(&self) -> u64 {
        self.seq_at(self.cursor)
    }

    /// The seq of the stream's `k`-th event.
    pub fn seq_at(&self, k: usize) -> u64 {
        self.store.events()[self.stream().events[k] as usize].seq
    }

    /// Selects the stream named `id` with the cursor at `point` (a deep link, a restored
    /// position, a finding). Within the stream shown, the pin and the blamed member stay.
    pub fn go_to(&mut self, id: &str, point: Point) -> Result<(), String> {
        let index = self
            .store
            .stream_index(id)
            .ok_or_else(|| format!("stream \"{id}\" does not exist"))?;
        if index != self.stream {
            self.select_stream(index);
        }
        let count = point
            .count(&self.store, self.stream())
            .map_err(|e: PointError| e.to_string())?;
        self.cursor = count.saturating_sub(1);
        Ok(())
    }

    /// Selects the stream of the store's event `index` with the cursor on that event (the
    /// record a finding names: of two events with one seq, the one meant). Within the stream
    /// shown, the pin and the blamed member stay.
    pub fn go_to_event(&mut self, index: u32) -> Result<(), String> {
        let stream = self
            .store
            .events()
            .get(index as usize)
            .ok_or_else(|| format!("the store has no event {index}"))?
            .stream;
        if stream != self.stream {
            self.select_stream(stream);
        }
        let events = &self.stream().events;
        self.cursor = events.partition_point(|&i| i < index).min(events.len() - 1);
        Ok(())
    }

    /// The findings about the selected stream's `k`-th event.
    pub fn findings_at(&self, k: usize) -> impl Iterator<Item = &crate::finding::Finding> {
        let markers = self
            .markers
            .get(&self.stream)
            .map_or(&[][..], Vec::as_slice);
        let first = markers.partition_point(|m| m.k < k);
        markers[first..]
            .iter()
            .take_while(move |m| m.k == k)
            .map(|m| &self.report.findings[m.finding])
    }

    /// Applies a navigation command; others are the app's and are ignored here.
    pub fn apply(&mut self, command: &Command) {
        let last = self.len().saturating_sub(1);
        match command {
            Command::SelectStream(index) if (*index as usize) < self.store.streams().len() => {
                self.select_stream(*index);
            }
            Command::SetCursor(k) => self.cursor = (*k).min(last),
            Command::StepBack => self.cursor = self.cursor.saturating_sub(1),
            Command::StepForward => self.cursor = (self.cursor + 1).min(last),
            Command::First => self.cursor = 0,
            Command::Last => self.cursor = last,
            Command::TogglePlay => {
                self.playback.playing = !self.playback.playing;
                if self.playback.playing && self.cursor == last {
                    self.cursor = 0;
                }
                self.playback.carry = 0.0;
            }
            Command::SetSpeed(speed) => {
                self.playback.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
            }
            Command::SetLoop(looping) => self.playback.looping = *looping,
            Command::Pin => self.pin = Some(self.cursor),
            Command::Unpin => self.pin = None,
            Command::TogglePin => {
                self.pin = (self.pin != Some(self.cursor)).then_some(self.cursor);
            }
            Command::FocusList(keys) => self.keys = *keys,
            Command::JumpToPin => {
                if let Some(pin) = self.pin {
                    self.cursor = pin.min(last);
                }
            }
            Command::Blame(pointer) => self.blame = Some(pointer.clone()),
            Command::CloseBlame => self.blame = None,
            Command::Chart(pointer) => self.chart = Some(pointer.clone()),
            _ => {}
        }
    }

    /// Advances playback by `dt_s` seconds. Returns whether it is still playing.
    pub fn tick(&mut self, dt_s: f32) -> bool {
        if !self.playback.playing {
            return false;
        }
        let last = self.len().saturating_sub(1);
        self.playback.carry += dt_s * EVENTS_PER_SECOND * self.playback.speed;
        while self.playback.carry >= 1.0 {
            self.playback.carry -= 1.0;
            if self.cursor < last {
                self.cursor += 1;
            } else if self.playback.looping {
                self.cursor = 0;
            } else {
                self.playback.playing = false;
                self.playback.carry = 0.0;
                break;
            }
        }
        self.playback.playing
    }

    /// How many findings each stream has, by index; for badges.
    pub fn finding_count(&self, stream: u32) -> usize {
        self.markers.get(&stream).map_or(0, Vec::len)
    }

    fn select_stream(&mut self, index: u32) {
        self.stream = index;
        self.cursor = self.len().saturating_sub(1);
        self.pin = None;
        self.blame = None;
        self.playback.playing = false;
    }
}

/// Places each finding about an event on that event, by stream and index in the stream.
fn place_findings(store: &Store, report: &Report) -> HashMap<u32, Vec<Marker>> {
    let mut markers: HashMap<u32, Vec<Marker>> = HashMap::new();
    for (n, finding) in report.findings.iter().enumerate() {
        let Some(event) = finding.event else { continue };
        let Some(stream) = store.events().get(event as usize).map(|e| e.stream) else {
            continue;
        };
        let events = &store.streams()[stream as usize].events;
        let k = events.partition_point(|&i| i < event);
        if events.get(k) == Some(&event) {
            markers.entry(stream).or_default().push(Marker {
                k,
                severity: finding.severity,
                finding: n,
            });
        }
    }
    for placed in markers.values_mut() {
        placed.sort_by_key(|m| m.k);
    }
    markers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::check;
    use crate::store::ReadOptions;
    use std::path::Path;

    fn view(events: usize) -> View {
        let text = (1..=events)
            .map(|seq| {
                format!(
                    "{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n"
                )
            })
            .collect::<Vec<_>>()
            .concat();
        let store = Arc::new(
            Store::from_bytes(
                Path::new("t.jsonl"),
                text.into_bytes(),
                &ReadOptions::default(),
            )
            .unwrap(),
        );
        let report = Arc::new(check(&store));
        View::new(store, report)
    }

    #[test]
    fn opens_on_the_last_event_and_steps_within_bounds() {
        let mut view = view(5);
        assert_eq!(view.cursor, 4);
        view.apply(&Command::StepForward);
        assert_eq!(view.cursor, 4);
        view.apply(&Command::First);
        view.apply(&Command::StepBack);
        assert_eq!(view.cursor, 0);
        view.apply(&Command::SetCursor(99));
        assert_eq!(view.cursor, 4);
    }

    #[test]
    fn playback_advances_with_time_and_stops_or_loops_at_the_end() {
        let mut view = view(10);
        view.apply(&Command::TogglePlay);
        assert_eq!(view.cursor, 0, "playing from the end starts over");
        view.apply(&Command::SetSpeed(2.0));
        for _ in 0..30 {
            view.tick(1.0 / 60.0); // half a second at 8 events per second
        }
        assert_eq!(view.cursor, 4);
        for _ in 0..120 {
            view.tick(1.0 / 60.0);
        }
        assert_eq!((view.cursor, view.playback.playing), (9, false));
        view.apply(&Command::SetLoop(true));
        view.apply(&Command::TogglePlay);
        view.apply(&Command::SetSpeed(16.0));
        assert!(view.tick(1.0));
        assert_eq!(view.cursor, 64 % 10, "64 events on, looping through 10");
    }

    #[test]
    fn deep_links_find_stream_and_seq() {
        let mut view = view(5);
        view.go_to("s", Point::Seq(2)).unwrap();
        assert_eq!(view.cursor_seq(), 2);
        assert!(
            view.go_to("s", Point::Seq(9))
                .unwrap_err()
                .contains("no event with seq 9")
        );
        assert!(
            view.go_to("x", Point::End)
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn going_to_a_finding_in_the_stream_shown_keeps_the_pin() {
        let mut view = view(5);
        view.apply(&Command::SetCursor(1));
        view.apply(&Command::Pin);
        view.apply(&Command::Blame("/n".into()));
        view.go_to("s", Point::Seq(4)).unwrap();
        assert_eq!((view.pin, view.cursor), (Some(1), 3));
        assert_eq!(view.blame.as_deref(), Some("/n"));
    }

    #[test]
    fn an_event_named_by_a_finding_is_reached_by_its_index() {
        let text = concat!(
            "{\"stream\":\"a\",\"seq\":1,\"type\":\"T\"}\n",
            "{\"stream\":\"b\",\"seq\":1,\"type\":\"T\"}\n",
            "{\"stream\":\"a\",\"seq\":1,\"type\":\"T\"}\n",
        );
        let store = Arc::new(
            Store::from_bytes(Path::new("t.jsonl"), text.into(), &ReadOptions::default()).unwrap(),
        );
        let mut view = View::new(store.clone(), Arc::new(check(&store)));
        // The second event of stream a has the seq of the first; the finding is on it.
        view.go_to_event(2).unwrap();
        assert_eq!((view.stream().id.as_ref(), view.cursor), ("a", 1));
        let codes: Vec<_> = view.findings_at(1).map(|f| f.code).collect();
        assert_eq!(codes, [crate::finding::Code::SeqDuplicate]);
        assert_eq!(view.findings_at(0).count(), 0);
        let named = view.findings_at(1).next().unwrap().related.unwrap();
        view.go_to_event(named).unwrap();
        assert_eq!((view.stream().id.as_ref(), view.cursor), ("a", 0));
        view.go_to_event(1).unwrap();
        assert_eq!(view.stream().id.as_ref(), "b");
        assert!(view.go_to_event(9).unwrap_err().contains("no event 9"));
    }
}

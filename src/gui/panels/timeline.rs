//! The timeline: step, play and jump buttons (with their keys), speed and loop, a slider across
//! the stream's events, and a density strip with markers for findings, the pin (a flag) and the
//! cursor.
//! The axis counts events (sequence) or time.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, vec2};

use crate::gui::command::Command;
use crate::gui::job::{Job, Repaint, repaint_of};
use crate::gui::settings::Axis;
use crate::gui::view::{SPEEDS, View};
use crate::store::{Instant, Store};

/// Said where times would show, in a store whose events have none.
pub const NO_TIMES: &str = "No event of this store has a time that eventlens could read. If the records keep one under another name (ts, timestamp…), map it with Fields… in the top bar.";

/// Height of the density strip in points.
const STRIP_HEIGHT: f32 = 34.0;
/// Width of one density bucket in points.
const BUCKET_WIDTH: f32 = 3.0;
/// Streams of up to this many events are laid out within the frame (about 3 ms for this many
/// on the time axis); longer ones on a background job: the 10 M store's hot stream (4.7 M
/// events) took one frame of well over 100 ms.
const PLACE_IN_FRAME: usize = 100_000;
/// Events laid out between two reports of a background job's progress.
const REPORT_EVERY: usize = 1 << 16;

/// What a layout is for: the store (by address), the stream and the axis.
type Key = (usize, u32, Axis);

/// Whether a layout for `a` may stand for one for `b` until that is made: the same stream on
/// the same axis, in the same store or in the store grown (a timeline lives as long as the
/// store it was opened on, and a store grows with its streams keeping their index and first
/// events). Events past the old layout's end are drawn at its end.
fn stands_for(a: Key, b: Key) -> bool {
    (a.1, a.2) == (b.1, b.2)
}

/// A layout made on a background job: the events' positions and the strip's density.
type PlaceJob = Job<(Positions, Vec<f32>), (usize, usize)>;

/// The timeline's view state: where each event of the shown stream sits along the axis, and
/// how densely they came.
pub struct Timeline {
    /// The positions of the events of the key's stream, once known.
    positions: Option<(Key, Positions)>,
    /// The strip's density for those positions, with its number of buckets.
    density: Option<(Key, usize, Vec<f32>)>,
    /// A layout being made for a long stream, for (key, buckets).
    placing: Option<(Key, usize, PlaceJob)>,
    in_frame: usize,
    repaint: Option<Repaint>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::placing_in_frame_up_to(PLACE_IN_FRAME)
    }
}

/// Where each event of a stream sits along the axis, from 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Positions {
    /// One after the other, evenly: the sequence axis (nothing to keep, however long).
    Even(usize),
    /// By time.
    At(Arc<[f32]>),
}

impl Positions {
    pub fn len(&self) -> usize {
        match self {
            Self::Even(len) => *len,
            Self::At(at) => at.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the `k`-th event sits (an event past the end, where the last one does).
    pub fn at(&self, k: usize) -> f32 {
        let k = k.min(self.len().saturating_sub(1));
        match self {
            Self::Even(0 | 1) => 0.5,
            Self::Even(len) => k as f32 / (len - 1) as f32,
            Self::At(at) => at.get(k).copied().unwrap_or(0.5),
        }
    }

    /// The last event at or before `wanted` (the first event if none is).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to the events
    fn last_at_or_before(&self, wanted: f32) -> usize {
        match self {
            Self::Even(len) => {
                let k = (f64::from(wanted) * (len.saturating_sub(1)) as f64).floor();
                (k.max(0.0) as usize).min(len.saturating_sub(1))
            }
            Self::At(at) => at.partition_point(|&p| p <= wanted).saturating_sub(1),
        }
    }
}

impl Timeline {
    /// A timeline that lays out streams of up to `events` events within the frame, and longer
    /// ones on a background job (tests use 0 to take the job's way on small stores).
    pub fn placing_in_frame_up_to(events: usize) -> Self {
        Self {
            positions: None,
            density: None,
            placing: None,
            in_frame: events,
            repaint: None,
        }
    }

    /// Draws the timeline.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, axis: &mut Axis, cmds: &mut Vec<Command>) {
        if self.repaint.is_none() {
            self.repaint = Some(repaint_of(ui.ctx()));
        }
        if !view.has_times {
            *axis = Axis::Sequence;
        }
        let key = (Arc::as_ptr(&view.store) as usize, view.stream, *axis);
        let buckets = bucket_of(ui.available_width() / BUCKET_WIDTH, usize::MAX).max(1);
        self.refresh(view, key, buckets);
        controls_ui(ui, view, axis, cmds);
        let placed = self
            .positions
            .as_ref()
            .is_some_and(|(placed, _)| stands_for(*placed, key));
        match self.layout().filter(|_| placed) {
            Some((positions, density)) => strip_ui(ui, view, positions, density, cmds),
            None => self.placing_ui(ui, view),
        }
    }

    /// Whether a long stream is being laid out on a background job.
    pub fn is_placing(&self) -> bool {
        self.placing.is_some()
    }

    /// The positions of the events last shown, and the strip's density for them, once the
    /// stream is laid out (the density may be for another width or an earlier snapshot of the
    /// store, or empty).
    pub fn layout(&self) -> Option<(&Positions, &[f32])> {
        let (key, positions) = self.positions.as_ref()?;
        let density = match &self.density {
            Some((placed, _, density)) if stands_for(*placed, *key) => density.as_slice(),
            _ => &[],
        };
        Some((positions, density))
    }

    /// Brings the layout up to the stream, the axis and the width: at once for a short stream
    /// (and the positions on the sequence axis, which cost nothing), else on a background job
    /// whose layout is taken here once it is done. Meanwhile the strip shows what it can: the
    /// events at their positions without the density, the density of another width, or the
    /// layout of the stream before the store grew.
    fn refresh(&mut self, view: &View, key: Key, buckets: usize) {
        let len = view.stream().events.len();
        let current = self.positions.as_ref().map(|(placed, _)| *placed);
        if current != Some(key) {
            if key.2 == Axis::Sequence || len <= self.in_frame {
                let positions = event_positions(&view.store, view.stream, key.2, &mut |_| true);
                self.positions = Some((key, positions.unwrap_or(Positions::Even(len))));
            } else if !current.is_some_and(|placed| stands_for(placed, key)) {
                self.positions = None;
            }
        }
        if self
            .density
            .as_ref()
            .is_some_and(|(placed, b, _)| (*placed, *b) == (key, buckets))
        {
            self.placing = None;
            return;
        }
        if let Some((placed, b, job)) = &mut self.placing
            && (*placed, *b) == (key, buckets)
        {
            if let Some((positions, density)) = job.latest() {
                if self
                    .positions
                    .as_ref()
                    .is_none_or(|(placed, _)| *placed != key)
                {
                    self.positions = Some((key, positions));
                }
                self.density = Some((key, buckets, density));
                self.placing = None;
            } else if job.is_finished() {
                // The thread ended without a layout (it could not run): lay out here.
                self.placing = None;
                self.place_in_frame(view, key, buckets);
            }
            return;
        }
        match &self.repaint {
            Some(repaint) if len > self.in_frame => {
                let (store, stream, has_times) = (view.store.clone(), view.stream, view.has_times);
                let placed = match &self.positions {
                    Some((placed, positions)) if *placed == key => Some(positions.clone()),
                    _ => None,
                };
                let job = Job::spawn("timeline", 0, repaint.clone(), move |worker| {
                    let mut going = |done: usize| worker.report((done, len)).is_continue();
                    let Some(positions) =
                        placed.or_else(|| event_positions(&store, stream, key.2, &mut going))
                    else {
                        return;
                    };
                    let by_rate = key.2 == Axis::Sequence && has_times;
                    if let Some(density) =
                        density(&store, stream, &positions, by_rate, buckets, &mut going)
                    {
                        worker.send((positions, density));
                    }
                });
                match job {
                    Ok(job) => self.placing = Some((key, buckets, job)),
                    Err(_) => self.place_in_frame(view, key, buckets),
                }
            }
            _ => self.place_in_frame(view, key, buckets),
        }
    }

    fn place_in_frame(&mut self, view: &View, key: Key, buckets: usize) {
        let (store, stream) = (&view.store, view.stream);
        let positions = match self.positions.take() {
            Some((placed, positions)) if placed == key => positions,
            _ => event_positions(store, stream, key.2, &mut |_| true)
                .unwrap_or(Positions::Even(view.stream().events.len())),
        };
        let by_rate = key.2 == Axis::Sequence && view.has_times;
        let density = density(store, stream, &positions, by_rate, buckets, &mut |_| true);
        self.density = density.map(|density| (key, buckets, density));
        self.positions = Some((key, positions));
        self.placing = None;
    }

    /// The strip's place while a long stream is laid out.
    fn placing_ui(&self, ui: &mut Ui, view: &View) {
        let (rect, _) =
            ui.allocate_exact_size(vec2(ui.available_width(), STRIP_HEIGHT), Sense::hover());
        ui.painter()
            .rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let done = self.placing.as_ref().map_or(0, |(_, _, job)| {
            let (done, all) = job.progress();
            done * 100 / all.max(1)
        });
        let text = format!(
            "Placing the {} events of {}… {done}%",
            view.stream().events.len(),
            view.stream().id
        );
        ui.put(rect, |ui: &mut Ui| {
            ui.horizontal_centered(|ui| {
                ui.spinner();
                ui.label(text);
            })
            .response
        });
    }
}

/// How densely events came, per bucket of the strip, from 0 (none) to 1 (the densest): events
/// per bucket, or, `by_rate` (the sequence axis of a store with times, where every bucket
/// holds as many events once there are more events than buckets, so that a million-event
/// stream would be one solid block), events per second within the bucket, on a log scale
/// (rates span orders of magnitude): bursts stand out, quiet stretches still show. `going`
/// hears how many events are done now and then, and stops the work when it says no (`None`).
fn density(
    store: &Store,
    stream: u32,
    positions: &Positions,
    by_rate: bool,
    buckets: usize,
    going: &mut dyn FnMut(usize) -> bool,
) -> Option<Vec<f32>> {
    let mut counts = vec![0u32; buckets];
    // The first and last instant of each bucket's events, for the sequence axis.
    let mut spans: Vec<Option<(Instant, Instant)>> = vec![None; buckets];
    let by_rate = by_rate && positions.len() > buckets;
    let events = &store.streams()[stream as usize].events;
    for (k, &i) in events.iter().enumerate().take(positions.len()) {
        if k % REPORT_EVERY == 0 && !going(k) {
            return None;
        }
        let b = bucket_of(positions.at(k) * buckets as f32, buckets - 1);
        counts[b] += 1;
        if by_rate && let Some(t) = store.events()[i as usize].instant() {
            let span = spans[b].get_or_insert((t, t));
            *span = (span.0.min(t), span.1.max(t));
        }
    }
    let levels: Vec<f64> = counts
        .iter()
        .zip(&spans)
        .map(|(&count, span)| match span {
            // A millisecond at least: events with one time came as fast as can be told.
            Some((first, last)) if by_rate => {
                f64::from(count) / ((last - first) as f64 / 1e9).max(1e-3)
            }
            _ => f64::from(count),
        })
        .collect();
    let most = levels.iter().copied().fold(0.0, f64::max);
    Some(
        levels
            .iter()
            .map(|&level| {
                let scaled = if by_rate {
                    (1.0 + level).ln() / (1.0 + most).ln()
                } else {
                    level / most
                };
                if level > 0.0 {
                    scaled.max(0.08) as f32
                } else {
                    0.0
                }
            })
            .collect(),
    )
}

fn controls_ui(ui: &mut Ui, view: &View, axis: &mut Axis, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        buttons_ui(ui, view, cmds);
        ui.separator();
        let mut speed = view.playback.speed;
        let combo = egui::ComboBox::from_id_salt("speed")
            .selected_text(format!("{speed}×"))
            .show_ui(ui, |ui| {
                for choice in SPEEDS {
                    ui.selectable_value(&mut speed, choice, format!("{choice}×"));
                }
            });
        super::name_widget(&combo.response, egui::Role::ComboBox, "Speed");
        if (speed - view.playback.speed).abs() > f32::EPSILON {
            cmds.push(Command::SetSpeed(speed));
        }
        let mut looping = view.playback.looping;
        if ui.checkbox(&mut looping, "Loop").changed() {
            cmds.push(Command::SetLoop(looping));
        }
        ui.separator();
        ui.label("Axis:");
        ui.selectable_value(axis, Axis::Sequence, "Sequence");
        if view.has_times {
            ui.selectable_value(axis, Axis::Time, "Time");
        } else {
            ui.add_enabled(false, egui::Button::selectable(false, "Time"))
                .on_disabled_hover_text(NO_TIMES);
        }
        ui.separator();
        let event = view.store.event(view.stream().events[view.cursor]);
        let time = match event.time() {
            Some(time) => time,
            None if view.has_times => "no time",
            None => "no event of this store has a time (Fields… maps one)",
        };
        ui.label(format!(
            "seq {} · event {} of {} · {time}",
            event.event.seq,
            view.cursor + 1,
            view.len(),
        ));
    });
    let last = view.len().saturating_sub(1);
    let mut k = view.cursor;
    ui.spacing_mut().slider_width = (ui.available_width() - 16.0).max(100.0);
    let slider = ui
        .add(egui::Slider::new(&mut k, 0..=last).show_value(false))
        .on_hover_text("Drag to scrub through the stream (Left, Right, Home, End)");
    super::name_widget(&slider, egui::Role::Slider, "Cursor");
    if k != view.cursor {
        cmds.push(Command::SetCursor(k));
    }
}

fn buttons_ui(ui: &mut Ui, view: &View, cmds: &mut Vec<Command>) {
    let buttons: [(&str, &str, Command); 5] = [
        ("First", "Home", Command::First),
        ("Back", "Left", Command::StepBack),
        (
            if view.playback.playing {
                "Pause"
            } else {
                "Play"
            },
            "Space",
            Command::TogglePlay,
        ),
        ("Forward", "Right", Command::StepForward),
        ("Last", "End", Command::Last),
    ];
    // Play and Pause take the width of the wider, so that the buttons after it stay put.
    let font = egui::TextStyle::Button.resolve(ui.style());
    let text_width = |text: &str| {
        ui.fonts_mut(|f| {
            f.layout_no_wrap(text.to_owned(), font.clone(), Color32::WHITE)
                .size()
                .x
        })
    };
    let play_width = text_width("Play (Space)").max(text_width("Pause (Space)"))
        + 2.0 * ui.spacing().button_padding.x;
    for (label, key, command) in buttons {
        let mut button = egui::Button::new(format!("{label} ({key})"));
        if command == Command::TogglePlay {
            button = button.min_size(vec2(play_width, 0.0));
        }
        if ui.add(button).clicked() {
            cmds.push(command);
        }
    }
}

/// Where each event of the stream sits along the axis; `None` when `going` stopped it (see
/// [`density`]).
fn event_positions(
    store: &Store,
    stream: u32,
    axis: Axis,
    going: &mut dyn FnMut(usize) -> bool,
) -> Option<Positions> {
    let events = &store.streams()[stream as usize].events;
    if axis == Axis::Sequence {
        return Some(Positions::Even(events.len()));
    }
    let instant = |i: u32| store.events()[i as usize].instant();
    let (first, last) = events
        .iter()
        .filter_map(|&i| instant(i))
        .fold((Instant::MAX, Instant::MIN), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
    let span = (last - first).max(1) as f64;
    let mut previous = 0.0;
    let mut at = Vec::with_capacity(events.len());
    for (k, &i) in events.iter().enumerate() {
        if k % REPORT_EVERY == 0 && !going(k) {
            return None;
        }
        // Events without a time sit where the one before them is.
        previous = instant(i).map_or(previous, |t| ((t - first) as f64 / span) as f32);
        at.push(previous);
    }
    Some(Positions::At(at.into()))
}

/// Events the projection failed on, in the strip and the event list.
pub const PROJECTION_FAILED: Color32 = Color32::from_rgb(230, 80, 200);

/// Long for a reason: one painter drawing the strip's layers in order (density, failures, trace, watchpoints, cursor, pin, findings), then the click.
fn strip_ui(
    ui: &mut Ui,
    view: &View,
    positions: &Positions,
    density: &[f32],
    cmds: &mut Vec<Command>,
) {
    let width = ui.available_width();
    let (rect, response) =
        ui.allocate_exact_size(vec2(width, STRIP_HEIGHT), Sense::click_and_drag());
    let response =
        response.on_hover_text("Events along the stream; click to jump. Height and shade: how densely events came (per bucket on the time axis; per second, log scale, on the sequence axis). Red and amber triangles at the top: findings (errors, warnings); the blue flag: the pinned point; magenta ticks at the bottom: events the projection failed on; orange diamonds: a Read model watchpoint starts holding; green dots: events of the Trace tab's transaction.");
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let x_of = |p: f32| rect.left() + p * rect.width();
    let (faint, full) = (
        Color32::from_rgb(35, 60, 90),
        Color32::from_rgb(90, 160, 225),
    );
    // As wide as the strip is now: the density of another width stretches until it is made
    // again.
    let bucket = rect.width() / density.len().max(1) as f32;
    for (i, &level) in density.iter().enumerate().filter(|(_, l)| **l > 0.0) {
        let height = level * (rect.height() - 4.0);
        let left = rect.left() + i as f32 * bucket;
        let bar = Rect::from_min_max(
            Pos2::new(left, rect.bottom() - height),
            Pos2::new(left + bucket - 0.5, rect.bottom()),
        );
        painter.rect_filled(bar, 0.0, faint.lerp_to_gamma(full, level));
    }
    for &k in view.failures.keys().filter(|&&k| k < positions.len()) {
        let x = x_of(positions.at(k));
        painter.line_segment(
            [
                Pos2::new(x, rect.bottom() - 9.0),
                Pos2::new(x, rect.bottom()),
            ],
            Stroke::new(2.0, PROJECTION_FAILED),
        );
    }
    for &k in view.trace_marks.iter().filter(|&&k| k < positions.len()) {
        let at = Pos2::new(x_of(positions.at(k)), rect.bottom() - 12.0);
        painter.circle(
            at,
            3.5,
            TRACE,
            Stroke::new(1.0, ui.visuals().extreme_bg_color),
        );
    }
    for &k in view.watch_marks.iter().filter(|&&k| k < positions.len()) {
        let x = x_of(positions.at(k));
        let mid = Pos2::new(x, rect.center().y);
        painter.add(egui::Shape::convex_polygon(
            vec![
                mid + vec2(0.0, -5.0),
                mid + vec2(4.0, 0.0),
                mid + vec2(0.0, 5.0),
                mid + vec2(-4.0, 0.0),
            ],
            WATCH,
            Stroke::NONE,
        ));
    }
    let x = x_of(positions.at(view.cursor));
    painter.line_segment(
        [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
        Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    if let Some(pin) = view.pin {
        let x = x_of(positions.at(pin));
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, PIN),
        );
        paint_flag(&painter, Pos2::new(x, rect.top() + 15.0), 8.0);
    }
    // Over the cursor and the pin, outlined: a finding next to the cursor stays in sight.
    let outline = Stroke::new(1.0, ui.visuals().extreme_bg_color);
    for marker in view.markers.get(&view.stream).into_iter().flatten() {
        let x = x_of(positions.at(marker.k));
        let top = rect.top() + 1.0;
        painter.add(egui::Shape::convex_polygon(
            vec![
                Pos2::new(x - 4.5, top),
                Pos2::new(x + 4.5, top),
                Pos2::new(x, top + 9.0),
            ],
            super::severity_color(marker.severity),
            outline,
        ));
    }
    if let Some(pointer) = response
        .interact_pointer_pos()
        .filter(|_| response.clicked() || response.dragged())
    {
        let wanted = ((pointer.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
        // The last event at or before the clicked place (the first event if none is).
        let k = positions.last_at_or_before(wanted);
        if k != view.cursor {
            cmds.push(Command::SetCursor(k));
        }
    }
}

/// The pinned point's colour: its line and flag on the strip, its row's flag in the list.
pub const PIN: Color32 = Color32::from_rgb(90, 170, 255);

/// The pin's flag: a pennant of `size` flying right from `pole`, its top left corner.
pub fn paint_flag(painter: &egui::Painter, pole: Pos2, size: f32) {
    painter.add(egui::Shape::convex_polygon(
        vec![
            pole + vec2(0.0, -size / 2.0),
            pole + vec2(size, 0.0),
            pole + vec2(0.0, size / 2.0),
        ],
        PIN,
        Stroke::NONE,
    ));
    painter.line_segment(
        [pole + vec2(0.0, -size / 2.0), pole + vec2(0.0, size / 2.0)],
        Stroke::new(1.5, PIN),
    );
}

/// Events of the Trace tab's transaction.
const TRACE: Color32 = Color32::from_rgb(90, 205, 160);

/// Where a Read model watchpoint starts holding (its colour there).
const WATCH: Color32 = Color32::from_rgb(235, 170, 60);

/// The bucket a place along the strip falls in: `at` rounded down, within `0..=last`.
#[allow(clippy::cast_sign_loss)] // clamped to be non-negative first
fn bucket_of(at: f32, last: usize) -> usize {
    (at.max(0.0) as usize).min(last)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use super::*;
    use crate::store::{ReadOptions, Store};

    /// 200 events a second apart, then 100 in the next tenth of a second.
    fn bursty() -> View {
        let mut lines = String::new();
        for k in 0..300 {
            let ms = if k < 200 { k * 1000 } else { 200_000 + k - 200 };
            let time = format!(
                "2024-01-01T00:{:02}:{:02}.{:03}Z",
                ms / 60_000,
                ms / 1000 % 60,
                ms % 1000
            );
            let seq = k + 1;
            writeln!(
                lines,
                "{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"time\":\"{time}\"}}"
            )
            .unwrap();
        }
        let store =
            Store::from_bytes(Path::new("t.jsonl"), lines.into(), &ReadOptions::default()).unwrap();
        let store = Arc::new(store);
        View::new(store.clone(), Arc::new(crate::audit::check(&store)))
    }

    #[test]
    fn the_strip_shows_a_burst_on_either_axis() {
        let view = bursty();
        let (store, stream) = (&view.store, view.stream);
        let place = |axis| event_positions(store, stream, axis, &mut |_| true).unwrap();
        // By sequence, each of 10 buckets holds 30 events; the last third came in a burst.
        let by_seq = density(store, stream, &place(Axis::Sequence), true, 10, &mut |_| {
            true
        });
        let by_seq = by_seq.unwrap();
        assert_eq!(by_seq.len(), 10);
        assert!((by_seq[9] - 1.0).abs() < 1e-6, "{by_seq:?}");
        assert!(by_seq[0] < 0.5 * by_seq[9], "{by_seq:?}");
        assert!(by_seq[..6].iter().all(|&l| (l - by_seq[0]).abs() < 1e-6));
        // By time, the burst is all in the last bucket.
        let by_time = density(store, stream, &place(Axis::Time), false, 10, &mut |_| true);
        let by_time = by_time.unwrap();
        assert!((by_time[9] - 1.0).abs() < 1e-6, "{by_time:?}");
        assert!(
            by_time[..9].iter().all(|&l| l > 0.0 && l < 1.0),
            "{by_time:?}"
        );
    }

    #[test]
    fn a_click_finds_the_last_event_at_or_before_it() {
        let even = Positions::Even(5);
        let at = Positions::At((0..5).map(|k| k as f32 / 4.0).collect());
        for wanted in [0.0, 0.1, 0.25, 0.3, 0.5, 0.99, 1.0] {
            assert_eq!(
                even.last_at_or_before(wanted),
                at.last_at_or_before(wanted),
                "{wanted}"
            );
        }
        assert_eq!(Positions::Even(1).last_at_or_before(0.9), 0);
        assert!((Positions::Even(1).at(0) - 0.5).abs() < f32::EPSILON);
        let view = bursty();
        let mut stop = |done| done == 0;
        assert_eq!(
            event_positions(&view.store, 0, Axis::Time, &mut |_| false),
            None
        );
        assert!(event_positions(&view.store, 0, Axis::Time, &mut stop).is_some());
    }
}

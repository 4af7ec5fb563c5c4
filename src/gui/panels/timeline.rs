//! The timeline: step, play and jump buttons (with their keys), speed and loop, a slider across
//! the stream's events, and a density strip with markers for findings, the pin (a flag) and the
//! cursor.
//! The axis counts events (sequence) or time.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, vec2};

use crate::gui::command::Command;
use crate::gui::settings::Axis;
use crate::gui::view::{SPEEDS, View};
use crate::store::Instant;

/// Said where times would show, in a store whose events have none.
pub const NO_TIMES: &str = "No event of this store has a time that eventlens could read. If the records keep one under another name (ts, timestamp…), map it with Fields… in the top bar.";

/// Height of the density strip in points.
const STRIP_HEIGHT: f32 = 34.0;
/// Width of one density bucket in points.
const BUCKET_WIDTH: f32 = 3.0;

/// The timeline's view state: where each event of the shown stream sits along the axis.
#[derive(Debug, Default)]
pub struct Timeline {
    /// From 0 to 1, one per event, for (store, stream, axis) = `positions_for`.
    positions: Vec<f32>,
    positions_for: Option<(usize, u32, Axis)>,
    /// From 0 to 1, one per bucket of the strip, for (store, stream, axis, buckets) =
    /// `density_for`.
    density: Vec<f32>,
    density_for: Option<(usize, u32, Axis, usize)>,
}

impl Timeline {
    /// Draws the timeline.
    pub fn ui(&mut self, ui: &mut Ui, view: &View, axis: &mut Axis, cmds: &mut Vec<Command>) {
        let key = (
            std::sync::Arc::as_ptr(&view.store) as usize,
            view.stream,
            *axis,
        );
        if !view.has_times {
            *axis = Axis::Sequence;
        }
        if self.positions_for != Some(key) {
            self.positions = event_positions(view, *axis);
            self.positions_for = Some(key);
        }
        controls_ui(ui, view, axis, cmds);
        let buckets = bucket_of(ui.available_width() / BUCKET_WIDTH, usize::MAX).max(1);
        let density_key = (key.0, key.1, *axis, buckets);
        if self.density_for != Some(density_key) {
            self.density = density(view, &self.positions, *axis, buckets);
            self.density_for = Some(density_key);
        }
        strip_ui(ui, view, &self.positions, &self.density, cmds);
    }
}

/// How densely events came, per bucket of the strip, from 0 (none) to 1 (the densest). On the
/// time axis that is events per bucket. On the sequence axis, where every bucket holds as many
/// events once there are more events than buckets (a million-event stream would be one solid
/// block), it is events per second within the bucket, on a log scale (rates span orders of
/// magnitude): bursts stand out, quiet stretches still show. Without times, events per bucket.
fn density(view: &View, positions: &[f32], axis: Axis, buckets: usize) -> Vec<f32> {
    let mut counts = vec![0u32; buckets];
    // The first and last instant of each bucket's events, for the sequence axis.
    let mut spans: Vec<Option<(Instant, Instant)>> = vec![None; buckets];
    let by_rate = axis == Axis::Sequence && view.has_times && positions.len() > buckets;
    let stream = view.stream();
    for (k, &p) in positions.iter().enumerate() {
        let b = bucket_of(p * buckets as f32, buckets - 1);
        counts[b] += 1;
        if by_rate && let Some(t) = view.store.events()[stream.events[k] as usize].instant() {
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
        .collect()
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

/// Where each event of the stream sits along the axis, from 0 to 1.
fn event_positions(view: &View, axis: Axis) -> Vec<f32> {
    let stream = view.stream();
    let len = stream.events.len();
    match axis {
        Axis::Sequence => (0..len)
            .map(|k| {
                if len > 1 {
                    k as f32 / (len - 1) as f32
                } else {
                    0.5
                }
            })
            .collect(),
        Axis::Time => {
            let instants: Vec<Option<Instant>> = stream
                .events
                .iter()
                .map(|&i| view.store.events()[i as usize].instant())
                .collect();
            let (first, last) = instants
                .iter()
                .flatten()
                .fold((Instant::MAX, Instant::MIN), |(lo, hi), &t| {
                    (lo.min(t), hi.max(t))
                });
            let span = (last - first).max(1) as f64;
            let mut previous = 0.0;
            instants
                .iter()
                .map(|t| {
                    // Events without a time sit where the one before them is.
                    previous = t.map_or(previous, |t| ((t - first) as f64 / span) as f32);
                    previous
                })
                .collect()
        }
    }
}

/// Events the projection failed on, in the strip and the event list.
pub const PROJECTION_FAILED: Color32 = Color32::from_rgb(230, 80, 200);

/// Long for a reason: one painter drawing the strip's layers in order (density, failures, trace, watchpoints, cursor, pin, findings), then the click.
fn strip_ui(ui: &mut Ui, view: &View, positions: &[f32], density: &[f32], cmds: &mut Vec<Command>) {
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
    for (i, &level) in density.iter().enumerate().filter(|(_, l)| **l > 0.0) {
        let height = level * (rect.height() - 4.0);
        let left = rect.left() + i as f32 * BUCKET_WIDTH;
        let bar = Rect::from_min_max(
            Pos2::new(left, rect.bottom() - height),
            Pos2::new(left + BUCKET_WIDTH - 0.5, rect.bottom()),
        );
        painter.rect_filled(bar, 0.0, faint.lerp_to_gamma(full, level));
    }
    for &k in view.failures.keys().filter(|&&k| k < positions.len()) {
        let x = x_of(positions[k]);
        painter.line_segment(
            [
                Pos2::new(x, rect.bottom() - 9.0),
                Pos2::new(x, rect.bottom()),
            ],
            Stroke::new(2.0, PROJECTION_FAILED),
        );
    }
    for &k in view.trace_marks.iter().filter(|&&k| k < positions.len()) {
        let at = Pos2::new(x_of(positions[k]), rect.bottom() - 12.0);
        painter.circle(
            at,
            3.5,
            TRACE,
            Stroke::new(1.0, ui.visuals().extreme_bg_color),
        );
    }
    for &k in view.watch_marks.iter().filter(|&&k| k < positions.len()) {
        let x = x_of(positions[k]);
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
    let x = x_of(positions[view.cursor]);
    painter.line_segment(
        [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
        Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    if let Some(pin) = view.pin {
        let x = x_of(positions[pin]);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, PIN),
        );
        paint_flag(&painter, Pos2::new(x, rect.top() + 15.0), 8.0);
    }
    // Over the cursor and the pin, outlined: a finding next to the cursor stays in sight.
    let outline = Stroke::new(1.0, ui.visuals().extreme_bg_color);
    for marker in view.markers.get(&view.stream).into_iter().flatten() {
        let x = x_of(positions[marker.k]);
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
        let k = positions
            .partition_point(|&p| p <= wanted)
            .saturating_sub(1);
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
    use std::sync::Arc;

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
        // By sequence, each of 10 buckets holds 30 events; the last third came in a burst.
        let by_seq = density(
            &view,
            &event_positions(&view, Axis::Sequence),
            Axis::Sequence,
            10,
        );
        assert_eq!(by_seq.len(), 10);
        assert!((by_seq[9] - 1.0).abs() < 1e-6, "{by_seq:?}");
        assert!(by_seq[0] < 0.5 * by_seq[9], "{by_seq:?}");
        assert!(by_seq[..6].iter().all(|&l| (l - by_seq[0]).abs() < 1e-6));
        // By time, the burst is all in the last bucket.
        let by_time = density(&view, &event_positions(&view, Axis::Time), Axis::Time, 10);
        assert!((by_time[9] - 1.0).abs() < 1e-6, "{by_time:?}");
        assert!(
            by_time[..9].iter().all(|&l| l > 0.0 && l < 1.0),
            "{by_time:?}"
        );
    }
}

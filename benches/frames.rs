//! The window's frame time on a big store: the real app, headless (`egui_kittest` runs the same
//! `App` the window runs, without a display), opened on a store and swept across its hot
//! stream, one cursor move a frame, as a user dragging the timeline or holding → does.
//!
//! ```text
//! cargo bench --bench frames                           # a generated 300 000-event store
//! EVENTLENS_BENCH_STORE=target/bench/lean-2800000.jsonl cargo bench --bench frames
//! ```
//!
//! Prints the CPU time of each frame on the UI thread (p50, p99, max) and how long the
//! inspector took to catch up with the cursor (state, diff and event for the new position),
//! measured in frames and milliseconds; then the same for the Read model view (every stream at
//! a moment, with a column): its moment stepped one event at a time and jumped to random
//! moments, each until the table for it is shown. A measurement, not a test: nothing here fails
//! on time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eventlens::gui::{App, Command, Launch};
use eventlens::sample::{SampleSpec, write_orders};

// The allocator the window runs with (src/main.rs), so that what is measured is the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HOT: &str = "order-1000";
const FRAMES: usize = 600;
const JUMPS: usize = 200;
const MOMENTS: usize = 100;
/// Typed into the hot stream's payload search, a key at a time.
const SEARCHED: &str = "SKU-1005";

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = std::env::var_os("EVENTLENS_BENCH_STORE")
        .map_or_else(|| generated_store(&dir), PathBuf::from);
    let launch = Launch {
        file: Some(path.clone()),
        ..Launch::default()
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 860.0])
        .allow_missing_glyphs()
        .build_eframe(|cc| App::new(cc, launch));

    let opened = Instant::now();
    let mut first_shown = None;
    loop {
        harness.step();
        if first_shown.is_none() && harness.state().ready().is_some() {
            first_shown = Some(opened.elapsed());
        }
        if harness.state().ready().is_some_and(|r| r.loading.is_none()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let loaded = opened.elapsed();
    let loaded_rss = eventlens::cli::peak_rss_mb();

    let view = &harness.state().ready().expect("opened").view;
    let hot = view.store.stream_index(HOT).expect("the hot stream");
    let len = view.store.streams()[hot as usize].events.len();
    let events = view.store.events().len();
    harness.state_mut().push(Command::SelectStream(hot));
    let selected = Instant::now();
    harness.step();
    let select_frame = selected.elapsed();
    settle(&mut harness);

    let mut frames = sweep(&mut harness, len);
    let (mut catch_up, mut frames_to_catch_up) = jumps(&mut harness, len);
    let (mut key_frames, mut key_shown) = payload_search(&mut harness, SEARCHED);

    frames.sort_unstable();
    catch_up.sort_unstable();
    frames_to_catch_up.sort_unstable();
    println!(
        "store: {} ({events} events; {HOT} holds {len})",
        path.display()
    );
    println!(
        "open: first events shown after {:.0} ms, whole store indexed and checked after {:.0} ms",
        ms(first_shown.unwrap_or_default()),
        ms(loaded)
    );
    println!(
        "the frame that shows {HOT} once selected: {:.2} ms",
        ms(select_frame)
    );
    println!(
        "frame CPU time over {FRAMES} frames sweeping {HOT}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pct(&frames, 50)),
        ms(pct(&frames, 99)),
        ms(frames.last().copied().unwrap_or_default())
    );
    println!(
        "inspector answer after {JUMPS} jumps to random points: p50 {:.2} ms, p99 {:.2} ms; frames until shown: p50 {}, max {}",
        ms(pct(&catch_up, 50)),
        ms(pct(&catch_up, 99)),
        frames_to_catch_up
            .get(frames_to_catch_up.len() / 2)
            .copied()
            .unwrap_or_default(),
        frames_to_catch_up.last().copied().unwrap_or_default()
    );
    key_frames.sort_unstable();
    key_shown.sort_unstable();
    println!(
        "payload search of {HOT}, typing \"{SEARCHED}\" a key at a time: longest frame per key p50 {:.2} ms, max {:.2} ms; rows shown after p50 {:.1} ms, max {:.1} ms",
        ms(pct(&key_frames, 50)),
        ms(key_frames.last().copied().unwrap_or_default()),
        ms(pct(&key_shown, 50)),
        ms(key_shown.last().copied().unwrap_or_default()),
    );
    let file_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
    let rss = |rss: Option<f64>| {
        rss.map_or_else(
            || "unknown".to_owned(),
            |mb| format!("{mb:.0} MB = {:.2}× the file", mb / file_mb),
        )
    };
    println!(
        "peak RSS: {} once opened, {} after the sweep and the jumps",
        rss(loaded_rss),
        rss(eventlens::cli::peak_rss_mb())
    );
    read_model(&mut harness, events);
    println!(
        "peak RSS after the Read model view: {}",
        rss(eventlens::cli::peak_rss_mb())
    );
}

/// The Read model view on the same store, with a column: how long its first table takes,
/// and each step and jump of its moment until the table is shown.
fn read_model(harness: &mut Harness<'_, App>, events: usize) {
    let harness = &mut *harness;
    let folded = Instant::now();
    harness.state_mut().push(Command::ShowReadModel(true));
    harness
        .state_mut()
        .push(Command::AddColumn("status=.status".into()));
    harness.state_mut().push(Command::SetMoment(events / 2));
    settle(harness);
    let first_table = folded.elapsed();
    let mut moment_steps = moments(harness, events, false);
    let mut moment_jumps = moments(harness, events, true);
    let (mut step_times, mut step_frames): (Vec<Duration>, Vec<Duration>) =
        moment_steps.drain(..).unzip();
    let (mut jump_times, mut jump_frames): (Vec<Duration>, Vec<Duration>) =
        moment_jumps.drain(..).unzip();
    for v in [
        &mut step_times,
        &mut step_frames,
        &mut jump_times,
        &mut jump_frames,
    ] {
        v.sort_unstable();
    }

    println!(
        "read model: first table (every stream folded to the middle, one column) after {:.0} ms",
        ms(first_table)
    );
    for (what, times, frames) in [
        ("a step of one event", &step_times, &step_frames),
        ("a jump to a random moment", &jump_times, &jump_frames),
    ] {
        println!(
            "read model, {MOMENTS} × {what}: table shown after p50 {:.1} ms, p99 {:.1} ms; longest frame p50 {:.2} ms, p99 {:.2} ms",
            ms(pct(times, 50)),
            ms(pct(times, 99)),
            ms(pct(frames, 50)),
            ms(pct(frames, 99)),
        );
    }
}

/// Read model moments: a step forward each (or a jump to a random moment), until the table for
/// it is shown; (time until shown, longest frame on the way).
fn moments(harness: &mut Harness<'_, App>, events: usize, jump: bool) -> Vec<(Duration, Duration)> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    (0..MOMENTS)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let command = if jump {
                Command::SetMoment((seed >> 33) as usize % events)
            } else {
                Command::MomentForward
            };
            harness.state_mut().push(command);
            steps_until(
                harness,
                |_| Duration::from_micros(200),
                |app| {
                    let shown = app.ready().and_then(|r| r.read_model.as_ref());
                    shown.is_some_and(|m| m.table.is_current())
                },
            )
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`th percentile of sorted durations.
fn pct(v: &[Duration], p: usize) -> Duration {
    v.get((v.len() * p / 100).min(v.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn generated_store(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("orders.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("a temporary file"));
    let spec = SampleSpec {
        events: 300_000,
        hot_share: 0.33,
        ..SampleSpec::default()
    };
    write_orders(&spec, &mut out).expect("writing the store");
    path
}

/// One cursor move a frame, evenly from the stream's start to its end; each frame's time.
fn sweep(harness: &mut Harness<'_, App>, len: usize) -> Vec<Duration> {
    let mut frames = Vec::with_capacity(FRAMES);
    for n in 0..FRAMES {
        let k = n * (len - 1) / (FRAMES - 1);
        harness.state_mut().push(Command::SetCursor(k));
        let started = Instant::now();
        harness.step();
        frames.push(started.elapsed());
        // About 60 frames a second, as the window runs.
        std::thread::sleep(Duration::from_millis(16).saturating_sub(started.elapsed()));
    }
    frames
}

/// Jumps to random points: how long until the inspector shows the state, diff and event of
/// the new place, in time and in frames.
fn jumps(harness: &mut Harness<'_, App>, len: usize) -> (Vec<Duration>, Vec<usize>) {
    let mut catch_up = Vec::with_capacity(JUMPS);
    let mut frames_to_catch_up = Vec::with_capacity(JUMPS);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..JUMPS {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let k = (seed >> 33) as usize % len;
        harness.state_mut().push(Command::SetCursor(k));
        let started = Instant::now();
        let mut frames = 0;
        loop {
            harness.step();
            frames += 1;
            if harness
                .state()
                .ready()
                .is_some_and(|r| r.inspector.is_current())
            {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        catch_up.push(started.elapsed());
        frames_to_catch_up.push(frames);
    }
    (catch_up, frames_to_catch_up)
}

/// Types `text` into the event list's payload search a key at a time, each key once the list
/// shows the rows for the keys before it: for each key, the longest frame until then and how
/// long until the list showed its rows.
fn payload_search(harness: &mut Harness<'_, App>, text: &str) -> (Vec<Duration>, Vec<Duration>) {
    harness.get_by_label("Search payloads").focus();
    harness.step();
    let mut longest_frames = Vec::new();
    let mut shown = Vec::new();
    for key in text.chars() {
        harness
            .get_by_label("Search payloads")
            .type_text(&key.to_string());
        // About 60 frames a second, as the window runs (its spinner asks for them).
        let (until_shown, longest) = steps_until(
            harness,
            |frame| Duration::from_millis(16).saturating_sub(frame),
            |app| app.ready().is_some_and(|r| !r.events.is_filtering()),
        );
        shown.push(until_shown);
        longest_frames.push(longest);
    }
    let typed = harness.state().ready().map(|r| r.events.text.clone());
    assert_eq!(
        typed.as_deref(),
        Some(text),
        "the search box holds what was typed"
    );
    (longest_frames, shown)
}

/// Steps the app until `done` says so, pausing after each frame for what `pause` makes of its
/// time: how long that took, and the longest frame on the way.
fn steps_until(
    harness: &mut Harness<'_, App>,
    pause: impl Fn(Duration) -> Duration,
    done: impl Fn(&App) -> bool,
) -> (Duration, Duration) {
    let started = Instant::now();
    let mut longest = Duration::ZERO;
    loop {
        let frame = Instant::now();
        harness.step();
        let took = frame.elapsed();
        longest = longest.max(took);
        if done(harness.state()) {
            return (started.elapsed(), longest);
        }
        std::thread::sleep(pause(took));
    }
}

fn settle(harness: &mut Harness<'_, App>) {
    for _ in 0..1000 {
        harness.step();
        if harness.state().is_settled() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

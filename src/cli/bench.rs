//! `eventlens bench scrub`: how long a store takes to open, and how fast any point of one
//! stream comes back afterwards. `eventlens bench trace`: how long the window's index of
//! correlation ids takes, and how fast a trace comes back from it. A measurement to compare side by side with baselines (see
//! `scripts/bench.sh`), never a pass/fail test.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::args::{BenchTraceArgs, ScrubArgs};
use super::{Failure, find_stream};
use crate::query::trace::{LinkFields, TraceIndex, trace};
use crate::replay::Replay;
use crate::sample::Rng;
use crate::store::Store;

/// The result; field order is the JSON order of `bench scrub --json`.
#[derive(Debug, Serialize)]
struct Scrub {
    open_ms: f64,
    index_mb_per_s: f64,
    events: usize,
    samples: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// `null` where the system does not say (not Linux).
    peak_rss_mb: Option<f64>,
    /// Building every checkpoint of the stream, once, after opening.
    checkpoints_ms: f64,
    stream_events: usize,
    file_mb: f64,
}

pub fn run_scrub(args: &ScrubArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if args.samples == 0 {
        return Err(Failure::usage("--samples must be at least 1").into());
    }
    let started = Instant::now();
    let store = super::open(&args.file, &args.read, super::Narrow::All)?;
    let open = started.elapsed();
    let file_mb = std::fs::metadata(&args.file).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
    let stream = find_stream(&store, &args.stream)?;
    let reducer = super::reducer(args.projection.as_ref())?;
    let mut replay = Replay::new(&store, stream, &*reducer);
    let started = Instant::now();
    replay.prepare();
    let checkpoints = started.elapsed();
    let mut latencies = sample_latencies(&mut replay, args.samples, args.seed);
    latencies.sort_unstable();
    let ms = |d: Duration| round3(d.as_secs_f64() * 1000.0);
    let result = Scrub {
        open_ms: ms(open),
        index_mb_per_s: round3(file_mb / open.as_secs_f64().max(1e-9)),
        events: store.events().len(),
        samples: latencies.len(),
        p50_ms: ms(percentile(&latencies, 50)),
        p99_ms: ms(percentile(&latencies, 99)),
        max_ms: ms(latencies.last().copied().unwrap_or_default()),
        peak_rss_mb: peak_rss_mb().map(round3),
        checkpoints_ms: ms(checkpoints),
        stream_events: stream.events.len(),
        file_mb: round3(file_mb),
    };
    if args.json {
        serde_json::to_writer(&mut *out, &result)?;
        writeln!(out)?;
    } else {
        write_text(&store, &args.stream, &result, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The result of `bench trace`; field order is its JSON order.
#[derive(Debug, Serialize)]
struct Traces {
    open_ms: f64,
    /// Building the index of correlation ids, once.
    index_ms: f64,
    /// One trace without the index (as `eventlens trace` does): a search of the store.
    scan_ms: f64,
    events: usize,
    samples: usize,
    /// One trace from the index: its events, causation tree and nothing else.
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

pub fn run_trace(args: &BenchTraceArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if args.samples == 0 {
        return Err(Failure::usage("--samples must be at least 1").into());
    }
    let started = Instant::now();
    let store = super::open(&args.file, &args.read, super::Narrow::All)?;
    let open = started.elapsed();
    let len = store.events().len() as u64;
    if len == 0 {
        return Err(Failure::usage(format!("{}: no events to trace", store.name())).into());
    }
    let fields = LinkFields::default();
    let started = Instant::now();
    let index = TraceIndex::build(&store, &fields);
    let built = started.elapsed();
    let mut rng = Rng(args.seed);
    let started = Instant::now();
    std::hint::black_box(trace(&store, (rng.next() % len) as u32, &fields));
    let scan = started.elapsed();
    let mut latencies: Vec<Duration> = (0..args.samples)
        .map(|_| {
            let event = (rng.next() % len) as u32;
            let started = Instant::now();
            std::hint::black_box(index.trace(&store, event).map(|t| t.tree(&store)));
            started.elapsed()
        })
        .collect();
    latencies.sort_unstable();
    let ms = |d: Duration| round3(d.as_secs_f64() * 1000.0);
    let result = Traces {
        open_ms: ms(open),
        index_ms: ms(built),
        scan_ms: ms(scan),
        events: store.events().len(),
        samples: latencies.len(),
        p50_ms: ms(percentile(&latencies, 50)),
        p99_ms: ms(percentile(&latencies, 99)),
        max_ms: ms(latencies.last().copied().unwrap_or_default()),
    };
    if args.json {
        serde_json::to_writer(&mut *out, &result)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "opened {}: {} events in {:.0} ms; correlation ids indexed in {:.0} ms",
            store.name(),
            result.events,
            result.open_ms,
            result.index_ms
        )?;
        writeln!(
            out,
            "one trace without the index: {:.0} ms; {} traces from it: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            result.scan_ms, result.samples, result.p50_ms, result.p99_ms, result.max_ms
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Times the state after a random number of the stream's events, `samples` times.
fn sample_latencies(replay: &mut Replay<'_>, samples: usize, seed: u64) -> Vec<Duration> {
    let len = replay.stream().events.len() as u64;
    let mut rng = Rng(seed);
    (0..samples)
        .map(|_| {
            let count = (1 + rng.next() % len) as usize;
            let started = Instant::now();
            std::hint::black_box(replay.state_after(count));
            started.elapsed()
        })
        .collect()
}

/// `x` to three decimals, for readable JSON.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The nearest-rank percentile of sorted `values`.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The process's peak resident memory in MB, from `/proc/self/status` (`VmHWM`); `None` where
/// the system does not say (not Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn write_text(store: &Store, stream: &str, r: &Scrub, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "opened {}: {} events, {:.1} MB in {:.0} ms ({:.0} MB/s)",
        store.name(),
        r.events,
        r.file_mb,
        r.open_ms,
        r.index_mb_per_s
    )?;
    writeln!(
        out,
        "checkpoints of {stream} ({} events): {:.0} ms",
        r.stream_events, r.checkpoints_ms
    )?;
    writeln!(
        out,
        "state at {} random points: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        r.samples, r.p50_ms, r.p99_ms, r.max_ms
    )?;
    match r.peak_rss_mb {
        Some(mb) if r.file_mb > 0.0 => writeln!(
            out,
            "peak RSS: {mb:.0} MB ({:.2} × the file)",
            mb / r.file_mb
        ),
        Some(mb) => writeln!(out, "peak RSS: {mb:.0} MB"),
        None => writeln!(out, "peak RSS: not known on this system"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50), Duration::from_millis(50));
        assert_eq!(percentile(&values, 99), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }
}

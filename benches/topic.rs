//! The window on a Kafka topic opened for one key, headless (`egui_kittest`, no display), as
//! `eventlens kafka://…/TOPIC --stream KEY` opens it: how long until the first events are on
//! screen, and until the key's partition is read. `scripts/bench-kafka.sh` runs it on the topic
//! it produces:
//!
//! ```sh
//! EVENTLENS_BENCH_TOPIC=kafka://127.0.0.1:PORT/bench EVENTLENS_BENCH_KEY=order-42 cargo bench --bench topic
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use eventlens::gui::{App, Launch};

const RUNS: usize = 3;

fn main() {
    let Some(topic) = std::env::var_os("EVENTLENS_BENCH_TOPIC") else {
        eprintln!(
            "topic: set EVENTLENS_BENCH_TOPIC=kafka://HOST:PORT/TOPIC (scripts/bench-kafka.sh does)"
        );
        return;
    };
    let key = std::env::var("EVENTLENS_BENCH_KEY").unwrap_or_else(|_| "order-42".to_owned());
    for _ in 0..RUNS {
        let launch = Launch {
            file: Some(PathBuf::from(&topic)),
            stream: Some(key.clone()),
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
            assert!(
                opened.elapsed() < Duration::from_secs(120),
                "{:?}",
                harness.state().notices
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let read = opened.elapsed();
        let view = harness.state().view().expect("opened");
        println!(
            "{key}: first events on screen after {:.0} ms, its partition read ({} events) after {:.0} ms",
            first_shown.unwrap_or_default().as_secs_f64() * 1000.0,
            view.store.events().len(),
            read.as_secs_f64() * 1000.0
        );
    }
}

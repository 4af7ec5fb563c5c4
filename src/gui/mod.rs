//! The eframe window: the only part of eventlens that uses egui. Panels draw and push
//! [`Command`]s; [`App`] applies them; loading and folding run on background threads.

mod app;
pub mod audit;
pub mod command;
pub mod export;
pub mod find;
pub mod fonts;
pub mod inspect;
pub mod job;
pub mod keys;
pub mod loader;
pub mod panels;
pub mod projection;
pub mod read_model;
pub mod settings;
pub mod view;

use std::path::PathBuf;

pub use app::{App, Ready, Screen};
pub use command::Command;

use crate::store::ReadOptions;

/// What the command line asked the window to show.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub file: Option<PathBuf>,
    pub stream: Option<String>,
    pub at: Option<u64>,
    pub at_time: Option<String>,
    /// A projection script to fold with from the start.
    pub projection: Option<PathBuf>,
    pub read: ReadOptions,
    /// How a PostgreSQL store is mapped (`--preset`, `--table`, `--*-column`).
    pub database: crate::source::postgres::DbOptions,
    /// How a Kafka topic is read (`--all-partitions`, `--from-time`, `--from-offset`).
    pub kafka: crate::source::kafka::KafkaOptions,
}

/// Opens the window and runs until it is closed.
pub fn run(launch: Launch) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 860.0])
            .with_min_inner_size([720.0, 480.0])
            .with_title("eventlens")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "eventlens",
        options,
        Box::new(|cc| Ok(Box::new(App::new(cc, launch)))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}

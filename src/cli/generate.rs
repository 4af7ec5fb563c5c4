//! `eventlens generate`: writes a seeded sample store (the bundled one, or millions of events
//! for benchmarks).

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use super::Failure;
use super::args::GenerateArgs;
use crate::sample::{SampleSpec, write_orders};

pub fn run(args: &GenerateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.hot_share) {
        return Err(Failure::usage(format!(
            "--hot-share {}: give a share between 0 and 1",
            args.hot_share
        ))
        .into());
    }
    let spec = SampleSpec {
        events: args.events,
        seed: args.seed,
        hot_share: args.hot_share,
        anomalies: args.anomalies,
        lean: args.lean,
        streams: args.streams,
    };
    let summary = match &args.out {
        Some(path) => {
            // create_new: never overwrite an existing file, a store above all.
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
            let mut writer = BufWriter::with_capacity(1 << 20, file);
            let summary = write_orders(&spec, &mut writer)?;
            writer.flush()?;
            summary
        }
        None => write_orders(&spec, out)?,
    };
    eprintln!(
        "wrote {} events in {} streams: {} orders, {} payments and {} shipments (seed {})",
        summary.events,
        summary.orders + summary.payments + summary.shipments,
        summary.orders,
        summary.payments,
        summary.shipments,
        args.seed
    );
    Ok(ExitCode::SUCCESS)
}

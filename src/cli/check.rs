//! `eventlens check`: the store's integrity findings; exits 1 when any is an error.

use std::io::Write;
use std::process::ExitCode;

use super::args::CheckArgs;
use super::table::{Table, or_dash};
use crate::audit::{Report, Severity, check, check_projection};
use crate::store::plural;

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let projection = args
        .projection
        .as_ref()
        .map(|path| super::reducer(Some(path)))
        .transpose()?;
    let store = super::open_quietly(&args.file, &args.read, super::Narrow::All)?;
    let mut report = check(&store);
    if let Some(reducer) = projection {
        check_projection(&store, &*reducer, &mut report);
    }
    if args.json {
        super::write_pretty(out, &report)?;
    } else if args.csv {
        report.write_csv(out)?;
    } else {
        write_table(&report, out)?;
        let (errors, warnings) = (
            report.count(Severity::Error),
            report.count(Severity::Warning),
        );
        eprintln!(
            "{}: {} event{} in {} stream{}: {errors} error{}, {warnings} warning{}",
            store.name(),
            report.events,
            plural(report.events),
            report.streams,
            plural(report.streams),
            plural(errors),
            plural(warnings)
        );
    }
    Ok(if report.count(Severity::Error) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_table(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    if report.findings.is_empty() {
        return Ok(());
    }
    // A source without lines (a database's rows) says where by position.
    let by_line = report.findings.iter().any(|f| f.line.is_some());
    let place = if by_line { "LINE" } else { "POSITION" };
    let mut table = Table::new(&[place, "SEVERITY", "CODE", "STREAM", "SEQ", "MESSAGE"]);
    for f in &report.findings {
        table.row(vec![
            or_dash(if by_line { f.line } else { f.position }),
            f.severity.as_str().to_owned(),
            f.code.as_str().to_owned(),
            or_dash(f.stream.as_deref()),
            or_dash(f.seq),
            f.message.clone(),
        ]);
    }
    table.write(out)?;
    Ok(())
}

//! The `eventlens` binary: parse the command line, run a subcommand or open the window.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use eventlens::cli::{self, Cli, Failure};

// Folding millions of payloads allocates and frees small trees on both cores; mimalloc does
// that about a third faster than glibc's malloc (scripts/bench-read.sh, docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(&args) {
        Ok(code) => code,
        Err(error) => report(&error),
    }
}

fn run(args: &Cli) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(command) => cli::run(command),
        None => open_window(args),
    }
}

/// Opens the explorer window (deep-linked to a stream and point when asked).
#[cfg(feature = "gui")]
fn open_window(args: &Cli) -> anyhow::Result<ExitCode> {
    let launch = eventlens::gui::Launch {
        file: args.file.clone(),
        stream: args.stream.clone(),
        at: args.at,
        at_time: args.at_time.clone(),
        projection: args.projection.clone(),
        read: args.read.options(),
        database: args.read.database(),
        kafka: args.read.kafka().map_err(Failure::usage)?,
    };
    eventlens::gui::run(launch)?;
    Ok(ExitCode::SUCCESS)
}

/// Built without the window: say so, and point to what works.
#[cfg(not(feature = "gui"))]
fn open_window(args: &Cli) -> anyhow::Result<ExitCode> {
    let file = args
        .file
        .as_ref()
        .map_or_else(|| "FILE".to_owned(), |f| f.display().to_string());
    let mut failure =
        Failure::usage("this eventlens was built without the window (the gui feature)");
    failure.hint = Some(format!(
        "try: eventlens streams {file}   (eventlens --help lists the subcommands)"
    ));
    Err(failure.into())
}

/// Prints an error the eventlens way and picks the exit code. A closed pipe (`| head`) is not
/// an error worth a word.
fn report(error: &anyhow::Error) -> ExitCode {
    if error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {error:#}");
    match error.downcast_ref::<Failure>() {
        Some(failure) => {
            if let Some(hint) = &failure.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(failure.exit)
        }
        None => ExitCode::from(2),
    }
}

//! `eventlens state` and `eventlens diff`: a stream's state at a point, and the patch between
//! two points.

use std::io::Write;
use std::process::ExitCode;

use super::args::{DiffArgs, StateArgs};
use super::{Failure, find_stream, point, point_failure, reducer, warn_failures, warn_unselected};
use crate::diff::diff;
use crate::replay::{Point, Replay};

pub fn run_state(args: &StateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(
        &args.file,
        &args.read,
        super::only_stream(Some(&args.stream)),
    )?;
    let stream = find_stream(&store, &args.stream)?;
    let at = point(args.at, args.at_time.as_deref())?;
    super::require_times(&store, stream, at)?;
    let reducer = reducer(args.projection.as_ref())?;
    warn_unselected(args.projection.as_ref(), &*reducer, stream);
    let mut replay = Replay::new(&store, stream, &*reducer);
    let state = replay.state_at(at).map_err(|e| point_failure(&store, &e))?;
    warn_failures(&replay);
    super::write_pretty(out, &state)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(
        &args.file,
        &args.read,
        super::only_stream(Some(&args.stream)),
    )?;
    let stream = find_stream(&store, &args.stream)?;
    let reducer = reducer(args.projection.as_ref())?;
    warn_unselected(args.projection.as_ref(), &*reducer, stream);
    let mut replay = Replay::new(&store, stream, &*reducer);
    let (from, to) = match (args.at, args.from, args.to) {
        (Some(seq), _, _) => {
            let after = Point::Seq(seq)
                .count(&store, stream)
                .map_err(|e| point_failure(&store, &e))?;
            if after == 0 {
                return Err(Failure::not_found(
                    format!(
                        "{}: stream \"{}\" has no event with seq 0",
                        store.name(),
                        stream.id
                    ),
                    None,
                )
                .into());
            }
            (after - 1, after)
        }
        (None, Some(from), Some(to)) => {
            let count = |seq| {
                Point::Seq(seq)
                    .count(&store, stream)
                    .map_err(|e| point_failure(&store, &e))
            };
            (count(from)?, count(to)?)
        }
        _ => return Err(Failure::usage("diff needs --at SEQ, or --from SEQ and --to SEQ").into()),
    };
    let before = replay.state_after(from);
    let after = replay.state_after(to);
    warn_failures(&replay);
    super::write_pretty(out, &diff(&before, &after))?;
    Ok(ExitCode::SUCCESS)
}

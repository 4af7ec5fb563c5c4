//! Saving what the window shows — a state, a diff, events, findings — to a file, in the formats
//! the command line prints them (`state`, `diff`, `events --json`, `check --json`/`--csv`), so
//! an export and a script's output can be compared byte for byte.
//!
//! A file is written under a temporary name beside its target and renamed into place: a failed
//! export leaves no half-written file, and a replaced file is swapped whole, never rewritten in
//! place. A target that is the store being read (by any path: a symlink, a hard link, `..`) is
//! refused before anything is written.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::audit::Report;
use crate::diff::Patch;
use crate::store::Store;

/// Something to save, taken from what is on screen when asked.
pub enum Export {
    /// A state, as `eventlens state` prints it.
    State(Value),
    /// An RFC 6902 patch, as `eventlens diff` prints it.
    Patch(Patch),
    /// Events of a store (indices into [`Store::events`]), as `eventlens events --json`.
    Events {
        store: Arc<Store>,
        indices: Vec<u32>,
    },
    /// Findings, as `eventlens check --json` prints them.
    FindingsJson(Report),
    /// Findings, as `eventlens check --csv` prints them.
    FindingsCsv(Report),
}

impl Export {
    /// Writes the export's text to `out`.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Self::State(state) => write_json(out, state),
            Self::Patch(patch) => write_json(out, patch),
            Self::Events { store, indices } => indices
                .iter()
                .try_for_each(|&i| store.event(i).write_json_line(out)),
            Self::FindingsJson(report) => write_json(out, report),
            Self::FindingsCsv(report) => report.write_csv(out).map_err(io::Error::other),
        }
    }

    /// What is saved, for a message: "the state", "23 events", "5 findings".
    pub fn describe(&self) -> String {
        let count = |n: usize, what: &str| format!("{n} {what}{}", crate::store::plural(n));
        match self {
            Self::State(_) => "the state".to_owned(),
            Self::Patch(patch) => format!("a diff of {}", count(patch.len(), "operation")),
            Self::Events { indices, .. } => count(indices.len(), "event"),
            Self::FindingsJson(report) | Self::FindingsCsv(report) => {
                count(report.findings.len(), "finding")
            }
        }
    }
}

/// Writes `value` as indented JSON and a newline, as the command line prints JSON.
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Writes `rows` as [`write_json`] writes a slice, byte for byte, pieces of it formatted on
/// every core: `streams --json` prints 150 000 rows, 43 MB, which one core formats in a
/// tenth of a second while the other waits.
pub fn write_json_rows<T: serde::Serialize + Sync>(
    out: &mut dyn Write,
    rows: &[T],
) -> io::Result<()> {
    use rayon::prelude::*;
    const ROWS: usize = 4096;
    if rows.len() <= ROWS {
        return write_json(out, &rows);
    }
    // A piece formatted as an array has its rows at the indentation of the whole array's:
    // its own brackets and the line ends next to them are cut off, and commas join pieces.
    let pieces: Vec<Vec<u8>> = rows
        .par_chunks(ROWS)
        .map(|piece| serde_json::to_vec_pretty(piece).map_err(io::Error::from))
        .collect::<io::Result<_>>()?;
    out.write_all(b"[\n")?;
    for (n, piece) in pieces.iter().enumerate() {
        if n > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(&piece[2..piece.len() - 2])?;
    }
    out.write_all(b"\n]\n")
}

/// Why a file could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{} is {what}: eventlens never writes over it; choose another file", .path.display())]
    Protected { path: PathBuf, what: String },
    #[error("{} is a folder: give the file a name", .0.display())]
    Folder(PathBuf),
    #[error("{}: no file name given", .0.display())]
    NoName(PathBuf),
    #[error("could not write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// A file an export must not replace, and what it is ("the store being read").
pub type Protected<'a> = (&'a Path, &'a str);

/// Saves what `write` writes to `path`, unless `path` is one of the `protected` files; returns
/// the bytes written. Relative paths are taken from the working directory.
pub fn save(
    path: &Path,
    protected: &[Protected<'_>],
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<u64, SaveError> {
    let io_error = |source| SaveError::Io {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        return Err(SaveError::Folder(path.to_owned()));
    }
    if path.file_name().is_none() {
        return Err(SaveError::NoName(path.to_owned()));
    }
    // The same file by any path; a target that does not exist yet is no store.
    if let Some((_, what)) = protected
        .iter()
        .find(|(p, _)| same_file::is_same_file(path, p).unwrap_or(false))
    {
        return Err(SaveError::Protected {
            path: path.to_owned(),
            what: (*what).to_owned(),
        });
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".eventlens-export-");
    // A new file gets the usual permissions (a temporary file's are owner-only); a replaced
    // file keeps its own.
    #[cfg(unix)]
    let permissions = std::fs::metadata(path).map_or_else(
        |_| std::os::unix::fs::PermissionsExt::from_mode(0o666),
        |m| m.permissions(),
    );
    #[cfg(unix)]
    builder.permissions(permissions);
    let mut temp = builder.tempfile_in(&folder).map_err(io_error)?;
    {
        let mut out = BufWriter::new(temp.as_file_mut());
        write(&mut out).map_err(io_error)?;
        out.flush().map_err(io_error)?;
    }
    let written = temp.as_file().metadata().map_err(io_error)?.len();
    temp.persist(path).map_err(|e| io_error(e.error))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(export: &Export) -> String {
        let mut out = Vec::new();
        export.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rows_formatted_in_pieces_are_the_array_formatted_whole() {
        for n in [0, 1, 4096, 4097, 9000] {
            let rows: Vec<serde_json::Value> = (0..n)
                .map(|i| serde_json::json!({"n": i, "a": [i, {"b": "x"}], "e": {}}))
                .collect();
            let (mut whole, mut pieces) = (Vec::new(), Vec::new());
            write_json(&mut whole, &rows).unwrap();
            write_json_rows(&mut pieces, &rows).unwrap();
            assert!(whole == pieces, "{n} rows");
        }
    }

    #[test]
    fn saves_and_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let export = Export::State(serde_json::from_str(r#"{"total": 19.99}"#).unwrap());
        let written = save(&path, &[], |out| export.write(out)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"total\": 19.99\n}\n"
        );
        assert_eq!(written, 21);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            // The mode of any new file (0666 less the umask), not a temporary file's 0600.
            let plain = dir.path().join("plain");
            std::fs::write(&plain, "").unwrap();
            assert_eq!(mode(&path), mode(&plain));
            std::fs::remove_file(&plain).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            save(&path, &[], |out| out.write_all(b"[]\n")).unwrap();
            assert_eq!(mode(&path), 0o640);
        }
        save(&path, &[], |out| out.write_all(b"[]\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]\n");
        // Nothing but the target is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "before").unwrap();
        let error = save(&path, &[], |_| Err(io::Error::other("disk full"))).unwrap_err();
        assert!(error.to_string().contains("disk full"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "before");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_store_is_refused_by_any_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("orders.jsonl");
        std::fs::write(&store, "{}\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let mut paths = vec![store.clone(), dir.path().join("sub/../orders.jsonl")];
        #[cfg(unix)]
        {
            let link = dir.path().join("link.jsonl");
            std::os::unix::fs::symlink(&store, &link).unwrap();
            let hard = dir.path().join("hard.jsonl");
            std::fs::hard_link(&store, &hard).unwrap();
            paths.extend([link, hard]);
        }
        let protected = [(store.as_path(), "the store being read")];
        for path in paths {
            let error = save(&path, &protected, |out| out.write_all(b"gone")).unwrap_err();
            assert!(
                matches!(error, SaveError::Protected { .. }),
                "{path:?}: {error}"
            );
            assert!(
                error.to_string().ends_with(
                    " is the store being read: eventlens never writes over it; choose another file"
                ),
                "{error}"
            );
        }
        assert_eq!(std::fs::read_to_string(&store).unwrap(), "{}\n");
        // Beside it is fine.
        save(&dir.path().join("out.jsonl"), &protected, |out| {
            out.write_all(b"ok")
        })
        .unwrap();
    }

    #[test]
    fn folders_and_missing_folders_are_said() {
        let dir = tempfile::tempdir().unwrap();
        let error = save(dir.path(), &[], |_| Ok(())).unwrap_err();
        assert!(matches!(error, SaveError::Folder(_)), "{error}");
        let missing = dir.path().join("no/such/folder/x.json");
        let error = save(&missing, &[], |_| Ok(())).unwrap_err();
        assert!(error.to_string().starts_with("could not write "), "{error}");
        assert!(
            error.to_string().contains("no/such/folder/x.json"),
            "{error}"
        );
    }

    #[test]
    fn findings_in_both_formats() {
        let report: Report = Report {
            events: 3,
            streams: 1,
            findings: vec![
                crate::audit::Finding::at_line(
                    crate::audit::Severity::Error,
                    crate::audit::Code::SeqGap,
                    7,
                    "seq jumps from 2 to 5, \"3\" and 4 are missing",
                )
                .in_stream("order-1", Some(5)),
            ],
        };
        assert_eq!(
            text(&Export::FindingsCsv(report.clone())),
            "severity,code,stream,seq,line,message\nerror,seq_gap,order-1,5,7,\"seq jumps from 2 to 5, \"\"3\"\" and 4 are missing\"\n"
        );
        let json: Value = serde_json::from_str(&text(&Export::FindingsJson(report))).unwrap();
        assert_eq!(json["findings"][0]["code"], "seq_gap");
        assert_eq!(json["events"], 3);
    }
}

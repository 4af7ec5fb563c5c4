//! Plain-text tables for people: columns padded to their widest cell, the last one free.

use std::io::{self, Write};

/// Rows of cells under a header.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|&name| name.to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it has as many cells as the header.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header and the rows.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        self.write_rows(out, true)
    }

    /// Writes the rows, after the header if `header` (a follower prints it once, then rows as
    /// they come, each batch padded to its own widths).
    pub fn write_rows(&self, out: &mut dyn Write, header: bool) -> io::Result<()> {
        let widths = widths(&self.header, self.rows.iter());
        let first = header.then_some(&self.header);
        for row in first.into_iter().chain(&self.rows) {
            write_line(out, row, &widths)?;
        }
        Ok(())
    }
}

/// Writes `header` and the rows `rows` gives, laid out as a [`Table`] lays them out, without
/// holding them all: `rows` is called twice, to measure the columns and then to write them.
pub fn write_streamed<I, R, S>(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl Fn() -> I,
) -> io::Result<()>
where
    I: Iterator<Item = R>,
    R: AsRef<[S]>,
    S: AsRef<str>,
{
    let widths = widths(header, rows());
    write_line(out, header, &widths)?;
    for row in rows() {
        write_line(out, row.as_ref(), &widths)?;
    }
    Ok(())
}

/// The widest cell of each column, the header's included.
fn widths<R: AsRef<[S]>, S: AsRef<str>>(
    header: &[impl AsRef<str>],
    rows: impl Iterator<Item = R>,
) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.as_ref().chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row.as_ref()) {
            *width = (*width).max(cell.as_ref().chars().count());
        }
    }
    widths
}

/// One line: each cell padded to its column's width and two spaces, the last one as it is.
fn write_line(out: &mut dyn Write, row: &[impl AsRef<str>], widths: &[usize]) -> io::Result<()> {
    let last = row.len().saturating_sub(1);
    let mut line = String::new();
    for (i, cell) in row.iter().enumerate() {
        let cell = cell.as_ref();
        line.push_str(cell);
        if i != last {
            line.extend(std::iter::repeat_n(
                ' ',
                widths[i] - cell.chars().count() + 2,
            ));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// A cell for an optional value: the value, or `-`.
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

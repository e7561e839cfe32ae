//! The counts, one row per kernel watch, and the table inotifywatch 3.22
//! prints from them (or its JSON object, with `--json`).
//!
//! The table: a header of `total`, then a column per event that was
//! watched for and seen (every watched one with `-z`), then `filename`;
//! each value left-justified to its header's width and followed by two
//! spaces; one row per watch that saw an event (every watch with `-z`),
//! sorted by total, descending, unless `-a`/`-d` says otherwise, ties by
//! watch descriptor; directories end in `/`.

use crate::json_text::bytes_field;
use std::collections::HashMap;
use std::io::Write;
use zinotify::EventMask;

/// The table's event columns, in inotifywatch's order.
pub const COLUMNS: [(&str, EventMask); 13] = [
    ("access", EventMask::ACCESS),
    ("modify", EventMask::MODIFY),
    ("attrib", EventMask::ATTRIB),
    ("close_write", EventMask::CLOSE_WRITE),
    ("close_nowrite", EventMask::CLOSE_NOWRITE),
    ("open", EventMask::OPEN),
    ("moved_from", EventMask::MOVED_FROM),
    ("moved_to", EventMask::MOVED_TO),
    ("move_self", EventMask::MOVE_SELF),
    ("create", EventMask::CREATE),
    ("delete", EventMask::DELETE),
    ("delete_self", EventMask::DELETE_SELF),
    ("unmount", EventMask::UNMOUNT),
];

/// What the rows are sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Every event of the watch.
    Total,
    /// One event (a single bit of [`COLUMNS`]).
    Event(EventMask),
}

/// `-a`/`-d`: the key and the direction; ties go by watch descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by.
    pub key: SortKey,
    /// `-a`.
    pub ascending: bool,
}

impl Sort {
    /// Sorts by `key`, ascending or not.
    pub fn new(key: SortKey, ascending: bool) -> Self {
        Self { key, ascending }
    }
}

impl Default for Sort {
    /// inotifywatch's default: total, descending.
    fn default() -> Self {
        Self::new(SortKey::Total, false)
    }
}

/// One watch's counts.
#[derive(Clone, Debug, Default)]
struct Row {
    /// The watched path as the table shows it (directories end in `/`).
    path: Vec<u8>,
    /// Every event counted, whatever its bits (`IGNORED` too).
    total: u64,
    /// Per [`COLUMNS`] entry.
    counts: [u64; COLUMNS.len()],
}

impl Row {
    fn get(&self, key: SortKey) -> u64 {
        match key {
            SortKey::Total => self.total,
            SortKey::Event(mask) => COLUMNS
                .iter()
                .position(|&(_, bit)| bit == mask)
                .map_or(0, |i| self.counts[i]),
        }
    }
}

/// The counts, by watch descriptor.
#[derive(Clone, Default)]
pub struct Stats {
    rows: HashMap<i32, Row>,
}

impl Stats {
    /// Counts one event on watch `wd`, whose path is now `path`.
    pub fn count(&mut self, wd: i32, path: &[u8], mask: EventMask) {
        let row = self.rows.entry(wd).or_default();
        if row.path != path {
            row.path.clear();
            row.path.extend_from_slice(path);
        }
        row.total += 1;
        for (count, &(_, bit)) in row.counts.iter_mut().zip(&COLUMNS) {
            if mask.contains(bit) {
                *count += 1;
            }
        }
    }

    /// Records that `wd` is watched at `path` now (a row of zeros if it
    /// saw nothing, shown with `-z`).
    pub fn watched(&mut self, wd: i32, path: &[u8]) {
        let row = self.rows.entry(wd).or_default();
        row.path.clear();
        row.path.extend_from_slice(path);
    }

    /// Lays out the table for `events` (the events watched for), `zero`
    /// (`-z`) and `sort`.
    pub fn table(&self, events: EventMask, zero: bool, sort: Sort) -> Table<'_> {
        let columns = (0..COLUMNS.len())
            .filter(|&i| {
                events.contains(COLUMNS[i].1)
                    && (zero || self.rows.values().any(|r| r.counts[i] > 0))
            })
            .collect();
        let mut rows: Vec<(i32, &Row)> = self
            .rows
            .iter()
            .filter(|(_, r)| zero || r.total > 0)
            .map(|(&wd, r)| (wd, r))
            .collect();
        rows.sort_by(|(wd_a, a), (wd_b, b)| {
            let (a, b) = (a.get(sort.key), b.get(sort.key));
            let order = if sort.ascending { a.cmp(&b) } else { b.cmp(&a) };
            order.then(wd_a.cmp(wd_b))
        });
        Table {
            any: self.rows.values().any(|r| r.total > 0),
            columns,
            rows,
        }
    }
}

/// The table, laid out.
pub struct Table<'a> {
    /// Whether any event was counted at all.
    pub any: bool,
    columns: Vec<usize>,
    rows: Vec<(i32, &'a Row)>,
}

impl Table<'_> {
    /// inotifywatch's text table.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"total  ");
        for &i in &self.columns {
            let _ = write!(out, "{}  ", COLUMNS[i].0);
        }
        out.extend_from_slice(b"filename\n");
        for (_, row) in &self.rows {
            let _ = write!(out, "{:<5}  ", row.total);
            for &i in &self.columns {
                let _ = write!(out, "{:<w$}  ", row.counts[i], w = COLUMNS[i].0.len());
            }
            out.extend_from_slice(&row.path);
            out.push(b'\n');
        }
    }

    /// The table as one JSON object on one line:
    ///
    /// ```text
    /// {"kind":"table","columns":["modify","create"],"rows":[{"path":"d/","wd":1,"total":3,"events":{"modify":1,"create":1}}]}
    /// ```
    ///
    /// `columns` and each row's `events` hold the columns the text table
    /// would show; `path` is lossless as in zinotify's `--json` (a
    /// `path_bytes` array when it is not UTF-8).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"kind\":\"table\",\"columns\":[");
        for (n, &i) in self.columns.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let _ = write!(out, "\"{}\"", COLUMNS[i].0);
        }
        out.extend_from_slice(b"],\"rows\":[");
        for (n, (wd, row)) in self.rows.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.push(b'{');
            bytes_field("path", &row.path, out);
            let _ = write!(out, ",\"wd\":{wd},\"total\":{},\"events\":{{", row.total);
            for (k, &i) in self.columns.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "\"{}\":{}", COLUMNS[i].0, row.counts[i]);
            }
            out.extend_from_slice(b"}}");
        }
        out.extend_from_slice(b"]}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Stats {
        let mut stats = Stats::default();
        stats.count(2, b"d/a/", EventMask::CREATE);
        stats.count(2, b"d/a/", EventMask::MODIFY);
        stats.count(1, b"d/", EventMask::CREATE | EventMask::ISDIR);
        stats.count(3, b"d/b/", EventMask::DELETE_SELF);
        stats.count(3, b"d/b/", EventMask::IGNORED);
        stats.watched(4, b"d/c/");
        stats
    }

    #[test]
    fn the_table_has_seen_columns_padded_to_their_headers() {
        let mut out = Vec::new();
        sample()
            .table(EventMask::ALL_EVENTS, false, Sort::default())
            .write_text(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "total  modify  create  delete_self  filename\n\
             2      1       1       0            d/a/\n\
             2      0       0       1            d/b/\n\
             1      0       1       0            d/\n"
        );
    }

    #[test]
    fn zero_shows_every_watched_column_and_row_and_sorts_ascending() {
        let mut out = Vec::new();
        let sort = Sort::new(SortKey::Event(EventMask::CREATE), true);
        sample()
            .table(EventMask::CREATE | EventMask::DELETE, true, sort)
            .write_text(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "total  create  delete  filename\n\
             2      0       0       d/b/\n\
             0      0       0       d/c/\n\
             1      1       0       d/\n\
             2      1       0       d/a/\n"
        );
    }

    #[test]
    fn json_is_one_object_with_the_same_columns() {
        let mut out = Vec::new();
        let mut stats = Stats::default();
        stats.count(1, b"d\xff/", EventMask::OPEN);
        let table = stats.table(EventMask::ALL_EVENTS, false, Sort::default());
        assert!(table.any);
        table.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"kind\":\"table\",\"columns\":[\"open\"],\"rows\":[{\"path\":\"d\u{fffd}/\",\
             \"path_bytes\":[100,255,47],\"wd\":1,\"total\":1,\"events\":{\"open\":1}}]}\n"
        );
        assert!(
            !Stats::default()
                .table(EventMask::ALL_EVENTS, true, Sort::default())
                .any
        );
    }
}

//! How an event becomes a line: inotifywait 3.22's event names, its
//! `--format` conversions and its `--csv` quoting. Pure functions over bytes:
//! paths and names are written as the kernel gave them, never re-encoded.

use zinotify::EventMask;

/// One event as the command prints it.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// The watched path (`%w`): the directory with a trailing `/`, or the
    /// watched file; empty for a queue overflow.
    pub watch: &'a [u8],
    /// The name inside the watched directory (`%f`); empty for events on
    /// the watched object itself.
    pub name: &'a [u8],
    /// What happened.
    pub mask: EventMask,
    /// The kernel's cookie pairing `MOVED_FROM` with `MOVED_TO` (`%c`);
    /// 0 for other events.
    pub cookie: u32,
    /// Whether the event was made up by listing a new directory (`-r`),
    /// not read from the kernel (for `--json`).
    pub synthetic: bool,
}

/// Appends the names of `mask`'s events separated by `sep`, as inotifywait
/// prints them: `CLOSE_WRITE,CLOSE`, `CREATE,ISDIR`. A mask with no known
/// bit is printed as `0x%08x`.
pub fn event_names(mask: EventMask, sep: u8, out: &mut Vec<u8>) {
    let start = out.len();
    for name in mask.inotifywait_names() {
        if out.len() > start {
            out.push(sep);
        }
        out.extend_from_slice(name.as_bytes());
    }
    if out.len() == start {
        unknown_mask(mask, out);
    }
}

/// Appends a mask with no known bit as inotifywait does, `0x%08x`.
pub fn unknown_mask(mask: EventMask, out: &mut Vec<u8>) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "0x{:08x}", mask.bits());
}

/// Appends `field` as inotifywait's `--csv` writes it: quoted when it holds
/// `"`, `,` or a newline, or starts or ends with a space; `"` doubled
/// inside quotes; nothing at all for an empty field.
pub fn csv_field(field: &[u8], out: &mut Vec<u8>) {
    let needs_quotes = field.iter().any(|&b| matches!(b, b'"' | b',' | b'\n'))
        || field.first() == Some(&b' ')
        || field.last() == Some(&b' ');
    if !needs_quotes {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends one `--csv` line: `watch,events,name` (the watch and its comma
/// are left out when the watch path is empty, as for an overflow).
pub fn csv_line(line: &Line<'_>, out: &mut Vec<u8>) {
    if !line.watch.is_empty() {
        csv_field(line.watch, out);
        out.push(b',');
    }
    let mut names = Vec::with_capacity(32);
    event_names(line.mask, b',', &mut names);
    csv_field(&names, out);
    out.push(b',');
    csv_field(line.name, out);
    out.push(b'\n');
}

/// One piece of a parsed `--format` string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Bytes copied as they are.
    Literal(Vec<u8>),
    /// `%w`.
    Watch,
    /// `%f`.
    Name,
    /// `%e` (`,`) or `%Xe` (separator `X`).
    Events(u8),
    /// `%T`.
    Time,
    /// `%c`.
    Cookie,
}

/// A parsed `--format` string.
///
/// Conversions, as inotifywait 3.22 reads them: `%w`, `%f`, `%e`, `%T`,
/// `%c` (the cookie in hex, `0` for none), `%%`, `%0` (a NUL byte), `%n`
/// (a newline), and `%Xe` for any other byte `X` (events separated by
/// `X`). Anything else after `%` is printed as it is. A `%` at the very end
/// (possible only with `--no-newline`) makes inotifywait print nothing for
/// any event, and so does a `%T` whose `--timefmt` yields nothing: both
/// are kept, so a script sees the same lines.
#[derive(Clone, Debug)]
pub struct Format {
    pieces: Vec<Piece>,
    /// The format ends in a lone `%`.
    ends_in_percent: bool,
}

impl Format {
    /// The default line, `%w %e %f` and a newline.
    pub fn default_line() -> Self {
        Self::parse(b"%w %,e %f\n")
    }

    /// Parses `fmt` (which already holds any trailing newline).
    pub fn parse(fmt: &[u8]) -> Self {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while i < fmt.len() {
            let b = fmt[i];
            let next = fmt.get(i + 1).copied();
            let (piece, used) = match (b, next) {
                (b'%', Some(b'%')) => (None, Some(b'%')),
                (b'%', Some(b'0')) => (None, Some(0)),
                (b'%', Some(b'n')) => (None, Some(b'\n')),
                (b'%', Some(b'w')) => (Some(Piece::Watch), None),
                (b'%', Some(b'f')) => (Some(Piece::Name), None),
                (b'%', Some(b'e')) => (Some(Piece::Events(b',')), None),
                (b'%', Some(b'T')) => (Some(Piece::Time), None),
                (b'%', Some(b'c')) => (Some(Piece::Cookie), None),
                (b'%', None) => {
                    return Self {
                        pieces: Vec::new(),
                        ends_in_percent: true,
                    };
                }
                (b'%', Some(sep)) if fmt.get(i + 2) == Some(&b'e') => {
                    i += 1; // the separator; the `e` is skipped below
                    (Some(Piece::Events(sep)), None)
                }
                _ => {
                    literal.push(b);
                    i += 1;
                    continue;
                }
            };
            i += 2;
            if let Some(byte) = used {
                literal.push(byte);
            }
            if let Some(piece) = piece {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Self {
            pieces,
            ends_in_percent: false,
        }
    }

    /// Appends `line` formatted; `time` appends the current time for `%T`.
    /// Returns whether there is a line to print: `false` (and nothing
    /// appended) for a format ending in a lone `%`, or when `%T` came out
    /// empty, as inotifywait prints nothing then.
    pub fn render(
        &self,
        line: &Line<'_>,
        time: &mut dyn FnMut(&mut Vec<u8>),
        out: &mut Vec<u8>,
    ) -> bool {
        if self.ends_in_percent {
            return false;
        }
        let start = out.len();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::Watch => out.extend_from_slice(line.watch),
                Piece::Name => out.extend_from_slice(line.name),
                Piece::Events(sep) => event_names(line.mask, *sep, out),
                Piece::Cookie => {
                    use std::io::Write;
                    // Writing to a Vec cannot fail.
                    let _ = write!(out, "{:x}", line.cookie);
                }
                Piece::Time => {
                    let before = out.len();
                    time(out);
                    if out.len() == before {
                        out.truncate(start);
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether inotifywait would accept this format (it already holds any
    /// newline): inotifywait renders a made-up event (every event bit, no
    /// watch path, no name) and rejects the format when that prints
    /// nothing, e.g. `--no-newline --format %f`. `%T` is taken as
    /// printing something.
    pub fn accepted_by_inotifywait(&self) -> bool {
        let probe = Line {
            watch: b"",
            name: b"",
            mask: EventMask::ALL_EVENTS,
            cookie: 0,
            synthetic: false,
        };
        let mut out = Vec::new();
        !self.render(&probe, &mut |o| o.push(b'T'), &mut out) || !out.is_empty()
    }
}

#[cfg(test)]
mod tests {
    //! The expected strings below were printed by inotifywait 3.22.6 for
    //! the same events (see tests/cli_vs_inotifywait.rs, which checks
    //! `event_names` against a running inotifywait on real kernel events).
    use super::*;

    /// A kernel event's line (not a listing's) in watch `watch`.
    fn kernel_line(
        watch: &'static [u8],
        name: &'static [u8],
        mask: EventMask,
        cookie: u32,
    ) -> Line<'static> {
        Line {
            watch,
            name,
            mask,
            cookie,
            synthetic: false,
        }
    }

    fn names(mask: EventMask, sep: u8) -> String {
        let mut out = Vec::new();
        event_names(mask, sep, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn render(fmt: &str, line: &Line<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        Format::parse(fmt.as_bytes()).render(line, &mut |o| o.extend_from_slice(b"T"), &mut out);
        out
    }

    #[test]
    fn close_follows_the_close_bit_and_isdir_comes_last() {
        let m = EventMask::CLOSE_NOWRITE | EventMask::ISDIR;
        assert_eq!(names(m, b','), "CLOSE_NOWRITE,CLOSE,ISDIR");
        assert_eq!(names(EventMask::CLOSE_WRITE, b':'), "CLOSE_WRITE:CLOSE");
        assert_eq!(
            names(EventMask::MOVED_FROM | EventMask::ISDIR, b','),
            "MOVED_FROM,ISDIR"
        );
    }

    #[test]
    fn a_mask_without_known_bits_is_printed_in_hex() {
        assert_eq!(
            names(EventMask::from_bits_retain(0x1000), b','),
            "0x00001000"
        );
        // Known bits win; unknown ones beside them are not named, as in inotifywait.
        assert_eq!(names(EventMask::from_bits_retain(0x1100), b','), "CREATE");
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        for field in [
            &b"a b"[..],
            b"c,d",
            b"\"q\"",
            b" lead",
            b"trail ",
            b"x\xffy",
            b"",
        ] {
            csv_field(field, &mut out);
            out.push(b'|');
        }
        assert_eq!(
            out,
            b"a b|\"c,d\"|\"\"\"q\"\"\"|\" lead\"|\"trail \"|x\xffy||"
        );
    }

    #[test]
    fn csv_line_leaves_out_an_empty_watch() {
        let mut out = Vec::new();
        csv_line(
            &kernel_line(b"d/", b"sub", EventMask::CREATE | EventMask::ISDIR, 0),
            &mut out,
        );
        csv_line(&kernel_line(b"", b"", EventMask::Q_OVERFLOW, 0), &mut out);
        assert_eq!(out, b"d/,\"CREATE,ISDIR\",sub\nQ_OVERFLOW,\n");
    }

    #[test]
    fn format_conversions_match_inotifywait() {
        let line = kernel_line(b"d/", b"a", EventMask::CREATE, 0);
        assert_eq!(
            render("%w|%f|%e|%:e|%Xe|%%|%q|%0|%n|%\n", &line),
            b"d/|a|CREATE|CREATE|CREATE|%|%q|\0|\n|%\n"
        );
        assert_eq!(
            render("%0e|%ne|%Te|%%e|%ee|%we|%fe", &line),
            b"\0e|\ne|Te|%e|CREATEe|d/e|ae"
        );
        let dir = kernel_line(b"d/", b"s", EventMask::CREATE | EventMask::ISDIR, 0);
        assert_eq!(render("%:e %.e", &dir), b"CREATE:ISDIR CREATE.ISDIR");
    }

    #[test]
    fn cookie_is_hex_and_wins_over_a_c_separator() {
        let line = kernel_line(b"d/", b"a", EventMask::MOVED_FROM, 0x4cab);
        assert_eq!(render("%c|%ce|%e", &line), b"4cab|4cabe|MOVED_FROM");
        let none = Line { cookie: 0, ..line };
        assert_eq!(render("%c", &none), b"0");
    }

    #[test]
    fn a_lone_final_percent_or_an_empty_time_prints_nothing() {
        let line = kernel_line(b"d/", b"a", EventMask::CREATE, 0);
        let mut out = b"kept".to_vec();
        assert!(!Format::parse(b"%f%").render(&line, &mut |_| {}, &mut out));
        assert!(!Format::parse(b"x%T|%f\n").render(&line, &mut |_| {}, &mut out));
        assert_eq!(out, b"kept");
        assert!(!Format::parse(b"%f").accepted_by_inotifywait());
        assert!(!Format::parse(b"%w%f").accepted_by_inotifywait());
        for ok in [&b"%f "[..], b"%e", b"%f%%", b"a%f", b"%f%", b"%T", b"%c"] {
            assert!(Format::parse(ok).accepted_by_inotifywait(), "{ok:?}");
        }
    }

    #[test]
    fn names_are_raw_bytes() {
        let line = kernel_line(b"d\xff/", b"x\xfe", EventMask::DELETE, 0);
        let mut out = Vec::new();
        Format::default_line().render(&line, &mut |_| {}, &mut out);
        assert_eq!(out, b"d\xff/ DELETE x\xfe\n");
    }
}

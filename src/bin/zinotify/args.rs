//! The command line, parsed as inotifywait 3.22 parses it (GNU
//! `getopt_long`): options and paths in any order, `--` ends the options,
//! bundled short options (`-mrq`, `-qq`, `-t5`), `--opt=value` or
//! `--opt value`, and long options abbreviated to any unique prefix.
//!
//! Arguments are `OsString`s throughout: a path need not be UTF-8.

use crate::format::Format;
use crate::getopt;
use crate::path_filter::Mode;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;
use zinotify::{EventMask, WatchMask};

/// How events are printed.
#[derive(Clone)]
pub enum Output {
    /// `%w %e %f` and a newline, or a `--format`.
    Format(Format),
    /// `--csv`.
    Csv,
    /// `--json`: JSON Lines (see [`crate::json`]).
    Json,
}

/// An `--exclude`/`--include` option as given.
pub struct FilterArg {
    /// The pattern's bytes.
    pub pattern: Vec<u8>,
    /// `--excludei`/`--includei`.
    pub ignore_case: bool,
    /// Exclude or include.
    pub mode: Mode,
}

/// Everything the command line asked for.
pub struct Options {
    /// `-m`: keep printing events instead of exiting after the first.
    pub monitor: bool,
    /// `-r`: watch directories recursively.
    pub recursive: bool,
    /// `-q` once (1) or twice (2).
    pub quiet: u8,
    /// `-t`: give up (exit 2) after this long without an event; `None`
    /// waits forever.
    pub timeout: Option<Duration>,
    /// The events to print (`-e`, default all), including `unmount`,
    /// `q_overflow`, `ignored` and `isdir` when named.
    pub report: EventMask,
    /// The bits to watch: `report`'s watchable part, plus `IN_ONESHOT` for
    /// `-e oneshot` and `IN_DONT_FOLLOW` for `-P`.
    pub watch: WatchMask,
    /// How to print.
    pub output: Output,
    /// `--timefmt`, for `%T`.
    pub timefmt: Option<CString>,
    /// The regular expression filter, if any.
    pub filter: Option<FilterArg>,
    /// `--prune`/`--prunei` (`-r` only): the pattern's bytes, and whether
    /// case is ignored. Directories whose full path matches are not
    /// watched.
    pub prune: Option<(Vec<u8>, bool)>,
    /// `--fromfile`.
    pub fromfile: Option<OsString>,
    /// `-o`/`--outfile`.
    pub outfile: Option<OsString>,
    /// The path arguments, `@path` exclusions included, in order.
    pub paths: Vec<OsString>,
}

/// What the command line asks the command to do.
pub enum Command {
    /// `-h`/`--help`.
    Help,
    /// Watch.
    Run(Box<Options>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Event,
    Monitor,
    Quiet,
    Timeout,
    Recursive,
    Csv,
    NoDereference,
    Format,
    NoNewline,
    Timefmt,
    Fromfile,
    Outfile,
    Exclude,
    Excludei,
    Include,
    Includei,
    Prune,
    Prunei,
    Json,
    Inotify,
    Unsupported(&'static str),
}

/// Long options: name, option, whether it takes a value.
const LONG: &[(&str, Opt, bool)] = &[
    ("help", Opt::Help, false),
    ("event", Opt::Event, true),
    ("monitor", Opt::Monitor, false),
    ("quiet", Opt::Quiet, false),
    ("timeout", Opt::Timeout, true),
    ("recursive", Opt::Recursive, false),
    ("csv", Opt::Csv, false),
    ("no-dereference", Opt::NoDereference, false),
    ("format", Opt::Format, true),
    ("no-newline", Opt::NoNewline, false),
    ("timefmt", Opt::Timefmt, true),
    ("fromfile", Opt::Fromfile, true),
    ("outfile", Opt::Outfile, true),
    ("exclude", Opt::Exclude, true),
    ("excludei", Opt::Excludei, true),
    ("include", Opt::Include, true),
    ("includei", Opt::Includei, true),
    ("prune", Opt::Prune, true),
    ("prunei", Opt::Prunei, true),
    ("json", Opt::Json, false),
    ("inotify", Opt::Inotify, false),
    ("daemon", Opt::Unsupported("--daemon"), false),
    ("syslog", Opt::Unsupported("--syslog"), false),
    ("fanotify", Opt::Unsupported("--fanotify"), false),
    ("filesystem", Opt::Unsupported("--filesystem"), false),
    ("mount", Opt::Unsupported("--mount"), false),
    (
        "filename",
        Opt::Unsupported("--filename (gone since inotifywait 3; its behaviour is the default)"),
        false,
    ),
];

/// Short options: letter, option, whether it takes a value.
const SHORT: &[(u8, Opt, bool)] = &[
    (b'h', Opt::Help, false),
    (b'e', Opt::Event, true),
    (b'm', Opt::Monitor, false),
    (b'q', Opt::Quiet, false),
    (b't', Opt::Timeout, true),
    (b'r', Opt::Recursive, false),
    (b'c', Opt::Csv, false),
    (b'P', Opt::NoDereference, false),
    (b'o', Opt::Outfile, true),
    (b'I', Opt::Inotify, false),
    (b'd', Opt::Unsupported("-d (--daemon)"), false),
    (b's', Opt::Unsupported("-s (--syslog)"), false),
    (b'F', Opt::Unsupported("-F (--fanotify)"), false),
    (b'S', Opt::Unsupported("-S (--filesystem)"), false),
    (b'M', Opt::Unsupported("-M (--mount)"), false),
    (
        b'f',
        Opt::Unsupported("-f (gone since inotifywait 3; its behaviour is the default)"),
        false,
    ),
];

/// The raw, unvalidated settings, in the order getopt would see them.
#[derive(Default)]
struct Raw {
    help: bool,
    monitor: bool,
    recursive: bool,
    quiet: u8,
    csv: bool,
    no_dereference: bool,
    no_newline: bool,
    events: Vec<OsString>,
    timeout: Option<OsString>,
    format: Option<OsString>,
    timefmt: Option<OsString>,
    fromfile: Option<OsString>,
    outfile: Option<OsString>,
    json: bool,
    exclude: Option<(OsString, bool)>,
    include: Option<(OsString, bool)>,
    prune: Option<(OsString, bool)>,
    /// How many times `--exclude`, `--excludei`, `--include`, `--includei`
    /// were given, in that order.
    filters_given: [usize; 4],
    paths: Vec<OsString>,
}

impl Raw {
    fn set(&mut self, opt: Opt, value: Option<OsString>) -> Result<(), String> {
        let value = || value.clone().unwrap_or_default();
        match opt {
            Opt::Help => self.help = true,
            Opt::Monitor => self.monitor = true,
            Opt::Recursive => self.recursive = true,
            Opt::Quiet => self.quiet = self.quiet.saturating_add(1),
            Opt::Csv => self.csv = true,
            Opt::NoDereference => self.no_dereference = true,
            Opt::NoNewline => self.no_newline = true,
            Opt::Inotify => {}
            Opt::Event => self.events.push(value()),
            Opt::Timeout => self.timeout = Some(value()),
            Opt::Format => self.format = Some(value()),
            Opt::Timefmt => self.timefmt = Some(value()),
            Opt::Fromfile if self.fromfile.is_some() => {
                return Err("--fromfile given more than once".into());
            }
            Opt::Fromfile => self.fromfile = Some(value()),
            Opt::Outfile if self.outfile.is_some() => {
                return Err("--outfile given more than once".into());
            }
            Opt::Outfile => self.outfile = Some(value()),
            Opt::Exclude | Opt::Excludei => {
                self.filters_given[usize::from(opt == Opt::Excludei)] += 1;
                self.exclude = Some((value(), opt == Opt::Excludei));
            }
            Opt::Include | Opt::Includei => {
                self.filters_given[2 + usize::from(opt == Opt::Includei)] += 1;
                self.include = Some((value(), opt == Opt::Includei));
            }
            Opt::Prune | Opt::Prunei if self.prune.is_some() => {
                return Err("--prune/--prunei given more than once".into());
            }
            Opt::Prune | Opt::Prunei => self.prune = Some((value(), opt == Opt::Prunei)),
            Opt::Json => self.json = true,
            Opt::Unsupported(what) => return Err(format!("{what} is not supported")),
        }
        Ok(())
    }
}

/// Splits the arguments (without the program name) into options and paths.
fn scan(args: impl IntoIterator<Item = OsString>) -> Result<Raw, String> {
    let mut raw = Raw::default();
    let paths = getopt::scan(args, LONG, SHORT, &mut |opt, value| raw.set(opt, value))?;
    raw.paths = paths;
    Ok(raw)
}

/// Parses a timeout as inotifywait does (whole seconds; `0` or a negative
/// number waits forever), also accepting a fraction (`0.5`).
fn parse_timeout(text: &OsStr) -> Result<Option<Duration>, String> {
    let shown = text.to_string_lossy();
    let secs: f64 = shown
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite())
        .ok_or_else(|| format!("'{shown}' is not a valid timeout (a number of seconds)"))?;
    Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs.min(1e9))))
}

/// Adds one `-e` argument to the masks.
fn add_events(list: &OsStr, report: &mut EventMask, watch: &mut WatchMask) -> Result<(), String> {
    let text = list
        .to_str()
        .ok_or_else(|| format!("'{}' is not a valid event", list.to_string_lossy()))?;
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.eq_ignore_ascii_case("oneshot") {
            *watch |= WatchMask::ONESHOT;
            continue;
        }
        let mask = EventMask::from_event_name(name).map_err(|err| err.to_string())?;
        *report |= mask;
        // All the bits, as inotifywait passes them: the kernel accepts
        // `unmount`, `q_overflow`, `ignored` and `isdir` alone (it sends
        // the first three whatever the mask says).
        *watch |= WatchMask::from_bits_retain(mask.bits());
    }
    Ok(())
}

/// Parses the command line (without the program name). The error is the
/// one-line message to print; warnings (such as a repeated `--exclude`) go
/// to `warn`.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    warn: &mut dyn FnMut(&str),
) -> Result<Command, String> {
    let mut raw = scan(args)?;
    if raw.help {
        return Ok(Command::Help);
    }
    let (report, watch) = events(&raw)?;
    let timeout = match &raw.timeout {
        Some(t) => parse_timeout(t)?,
        None => None,
    };
    let filter = filter(&mut raw, warn)?;
    if raw.prune.is_some() && !raw.recursive {
        return Err("--prune needs -r".into());
    }
    let (output, timefmt) = output(&mut raw)?;
    Ok(Command::Run(Box::new(Options {
        monitor: raw.monitor,
        recursive: raw.recursive,
        quiet: raw.quiet,
        timeout,
        report,
        watch,
        output,
        timefmt,
        filter,
        prune: raw.prune.map(|(p, i)| (p.into_vec(), i)),
        fromfile: raw.fromfile,
        outfile: raw.outfile,
        paths: raw.paths,
    })))
}

/// The events to report and the mask to watch with, from `-e` and `-P`.
fn events(raw: &Raw) -> Result<(EventMask, WatchMask), String> {
    let mut report = EventMask::empty();
    let mut watch = WatchMask::empty();
    for list in &raw.events {
        add_events(list, &mut report, &mut watch)?;
    }
    // No event named: all of them. `-e oneshot` alone names none and, as
    // in inotifywait, watches for nothing but what the kernel always sends.
    if report.is_empty() && !watch.contains(WatchMask::ONESHOT) {
        report = EventMask::ALL_EVENTS;
        watch |= WatchMask::ALL_EVENTS;
    }
    if raw.no_dereference {
        watch |= WatchMask::DONT_FOLLOW;
    }
    Ok((report, watch))
}

/// The `--exclude`/`--include` pattern (each in two cases), checked as
/// inotifywait checks them.
fn filter(raw: &mut Raw, warn: &mut dyn FnMut(&str)) -> Result<Option<FilterArg>, String> {
    if raw.exclude.is_some() && raw.include.is_some() {
        return Err("--exclude and --include cannot both be given".into());
    }
    // As inotifywait: the two cases of one option cannot be mixed.
    for (pair, name) in [(0, "exclude"), (2, "include")] {
        if raw.filters_given[pair] > 0 && raw.filters_given[pair + 1] > 0 {
            return Err(format!("--{name} and --{name}i cannot both be specified"));
        }
        if raw.filters_given[pair] + raw.filters_given[pair + 1] > 1 {
            warn(&format!(
                "--{name} given more than once: only the last one is used"
            ));
        }
    }
    let chosen = match (raw.exclude.take(), raw.include.take()) {
        (Some((p, i)), None) => Some((p, i, Mode::Exclude)),
        (None, Some((p, i))) => Some((p, i, Mode::Include)),
        _ => None,
    };
    Ok(chosen.map(|(pattern, ignore_case, mode)| FilterArg {
        pattern: pattern.into_vec(),
        ignore_case,
        mode,
    }))
}

/// How events are printed (`--format`, `-c`, `--json`) and the
/// `--timefmt` for `%T`, checked as inotifywait checks them.
fn output(raw: &mut Raw) -> Result<(Output, Option<CString>), String> {
    if raw.csv && raw.format.is_some() {
        return Err("-c and --format cannot both be given".into());
    }
    if raw.json && (raw.csv || raw.format.is_some()) {
        return Err("--json cannot be given with -c or --format".into());
    }
    if raw.format.is_none() && raw.no_newline {
        return Err("--no-newline needs --format".into());
    }
    if raw.format.is_none() && raw.timefmt.is_some() {
        return Err("--timefmt needs --format".into());
    }
    let output = match raw.format.take() {
        Some(fmt) => {
            let mut fmt = fmt.into_vec();
            if fmt.windows(2).any(|w| w == b"%T") && raw.timefmt.is_none() {
                return Err("%T is in --format, but --timefmt was not given".into());
            }
            if !raw.no_newline {
                fmt.push(b'\n');
            }
            let format = Format::parse(&fmt);
            if !format.accepted_by_inotifywait() {
                return Err("Something is wrong with your format string.".into());
            }
            Output::Format(format)
        }
        None if raw.csv => Output::Csv,
        None if raw.json => Output::Json,
        None => Output::Format(Format::default_line()),
    };
    let timefmt = raw
        .timefmt
        .take()
        .map(|t| CString::new(t.into_vec()).map_err(|_| "--timefmt contains a NUL byte".to_owned()))
        .transpose()?;
    Ok((output, timefmt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from), &mut |_| {})? {
            Command::Run(options) => Ok(*options),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn bundled_short_options_and_attached_values() {
        let o = run(&["-mrqq", "-t5", "-ecreate,delete", "dir"]).unwrap();
        assert!(o.monitor && o.recursive);
        assert_eq!(o.quiet, 2);
        assert_eq!(o.timeout, Some(Duration::from_secs(5)));
        assert_eq!(o.report, EventMask::CREATE | EventMask::DELETE);
        assert_eq!(o.paths, ["dir"]);
    }

    #[test]
    fn options_after_paths_and_double_dash() {
        let o = run(&["a", "-m", "--", "-r", "@b"]).unwrap();
        assert!(o.monitor && !o.recursive);
        assert_eq!(o.paths, ["a", "-r", "@b"]);
    }

    #[test]
    fn long_options_take_values_both_ways_and_abbreviate() {
        let o = run(&[
            "--timeout=0",
            "--event",
            "close_write",
            "--mon",
            "--exclude=x",
            "d",
        ])
        .unwrap();
        assert!(o.monitor);
        assert_eq!(o.timeout, None);
        assert_eq!(o.report, EventMask::CLOSE_WRITE);
        assert!(matches!(
            o.filter,
            Some(FilterArg {
                mode: Mode::Exclude,
                ignore_case: false,
                ..
            })
        ));
        // `--exclude` is a prefix of `--excludei` but an exact match wins;
        // `--ex` is ambiguous.
        assert!(
            run(&["--ex", "x", "d"])
                .err()
                .unwrap()
                .contains("ambiguous")
        );
    }

    #[test]
    fn events_not_watchable_are_still_reported() {
        let o = run(&["-e", "create,q_overflow,ignored", "-P", "d"]).unwrap();
        assert_eq!(
            o.report,
            EventMask::CREATE | EventMask::Q_OVERFLOW | EventMask::IGNORED
        );
        assert_eq!(
            o.watch,
            WatchMask::CREATE
                | WatchMask::DONT_FOLLOW
                | WatchMask::from_bits_retain((EventMask::Q_OVERFLOW | EventMask::IGNORED).bits())
        );
        // `-e oneshot` alone: nothing to report, nothing but oneshot watched.
        let o = run(&["-e", "oneshot", "d"]).unwrap();
        assert_eq!(o.report, EventMask::empty());
        assert_eq!(o.watch, WatchMask::ONESHOT);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (args, needle) in [
            (&["-e", "bogus", "d"][..], "bogus"),
            (&["-t", "abc", "d"], "abc"),
            (&["-c", "--format", "%w", "d"], "-c and --format"),
            (&["--no-newline", "d"], "--no-newline"),
            (&["--format", "%T", "d"], "--timefmt"),
            (&["--timefmt", "%H", "d"], "--timefmt needs"),
            (&["--exclude", "a", "--include", "b", "d"], "cannot both"),
            (&["--exclude", "a", "--excludei", "b", "d"], "cannot both"),
            (&["--includei", "a", "--include", "b", "d"], "cannot both"),
            (&["--no-newline", "--format", "%w%f", "d"], "format string"),
            (&["--json", "-c", "d"], "--json"),
            (&["--json", "--format", "%f", "d"], "--json"),
            (&["--prune", "x", "d"], "needs -r"),
            (
                &["-r", "--prune", "x", "--prunei", "y", "d"],
                "more than once",
            ),
            (&["--bogus", "d"], "unrecognized option '--bogus'"),
            (&["-x", "d"], "invalid option -- 'x'"),
            (&["-t"], "requires an argument"),
            (&["--monitor=yes", "d"], "doesn't allow"),
            (&["-d", "d"], "not supported"),
        ] {
            let err = run(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} was accepted"));
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }

    #[test]
    fn default_mask_is_all_events_and_format_gets_its_newline() {
        let o = run(&["--format", "%f", "d"]).unwrap();
        assert_eq!(o.report, EventMask::ALL_EVENTS);
        assert_eq!(o.watch, WatchMask::ALL_EVENTS);
        let Output::Format(f) = o.output else {
            panic!("not a format")
        };
        let mut out = Vec::new();
        let line = crate::format::Line {
            watch: b"d/",
            name: b"x",
            mask: EventMask::CREATE,
            cookie: 0,
            synthetic: false,
        };
        f.render(&line, &mut |_| {}, &mut out);
        assert_eq!(out, b"x\n");
    }

    #[test]
    fn non_utf8_paths_pass_through() {
        let path = OsString::from_vec(b"d\xff".to_vec());
        let Command::Run(o) = parse([OsString::from("-m"), path.clone()], &mut |_| {}).unwrap()
        else {
            panic!("help")
        };
        assert_eq!(o.paths, [path]);
    }
}

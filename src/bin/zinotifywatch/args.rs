//! The command line, parsed as inotifywatch 3.22 parses it (GNU
//! `getopt_long`, see [`crate::getopt`]), with its error messages.

use crate::getopt;
use crate::path_filter::Mode;
use crate::stats::{COLUMNS, Sort, SortKey};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;
use zinotify::{EventMask, WatchMask};

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
    /// `-e` (default: all events): the events watched, and the table's
    /// possible columns.
    pub events: EventMask,
    /// The bits to watch: `events`, plus `IN_DONT_FOLLOW` for `-P`.
    pub watch: WatchMask,
    /// `-t`: collect for this long; `None` until a signal.
    pub timeout: Option<Duration>,
    /// `-t` as given in whole seconds, for `-v`'s "Will listen…" line.
    pub timeout_shown: Option<String>,
    /// `-v`.
    pub verbose: bool,
    /// `-z`: rows and columns of zeros too.
    pub zero: bool,
    /// `-a`/`-d` (default: total, descending).
    pub sort: Sort,
    /// `-r`.
    pub recursive: bool,
    /// The regular expression filter, if any.
    pub filter: Option<FilterArg>,
    /// `--fromfile`.
    pub fromfile: Option<OsString>,
    /// `--json`: the table as one JSON object.
    pub json: bool,
    /// The path arguments, `@path` exclusions included, in order.
    pub paths: Vec<OsString>,
}

/// What the command line asks the command to do.
pub enum Command {
    /// `-h`/`--help`.
    Help,
    /// Collect statistics.
    Run(Box<Options>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Verbose,
    Recursive,
    Zero,
    NoDereference,
    Event,
    Timeout,
    Ascending,
    Descending,
    Fromfile,
    Exclude,
    Excludei,
    Include,
    Includei,
    Json,
}

const LONG: &getopt::Long<Opt> = &[
    ("help", Opt::Help, false),
    ("verbose", Opt::Verbose, false),
    ("recursive", Opt::Recursive, false),
    ("zero", Opt::Zero, false),
    ("no-dereference", Opt::NoDereference, false),
    ("event", Opt::Event, true),
    ("timeout", Opt::Timeout, true),
    ("ascending", Opt::Ascending, true),
    ("descending", Opt::Descending, true),
    ("fromfile", Opt::Fromfile, true),
    ("exclude", Opt::Exclude, true),
    ("excludei", Opt::Excludei, true),
    ("include", Opt::Include, true),
    ("includei", Opt::Includei, true),
    ("json", Opt::Json, false),
];

const SHORT: &getopt::Short<Opt> = &[
    (b'h', Opt::Help, false),
    (b'v', Opt::Verbose, false),
    (b'r', Opt::Recursive, false),
    (b'z', Opt::Zero, false),
    (b'P', Opt::NoDereference, false),
    (b'e', Opt::Event, true),
    (b't', Opt::Timeout, true),
    (b'a', Opt::Ascending, true),
    (b'd', Opt::Descending, true),
];

/// The settings as given, before the checks that need all of them.
#[derive(Default)]
struct Raw {
    help: bool,
    verbose: bool,
    recursive: bool,
    zero: bool,
    no_dereference: bool,
    json: bool,
    events: Option<EventMask>,
    timeout: Option<(Duration, String)>,
    sort: Option<Sort>,
    fromfile: Option<OsString>,
    exclude: Option<OsString>,
    excludei: Option<OsString>,
    include: Option<OsString>,
    includei: Option<OsString>,
}

impl Raw {
    fn set(&mut self, opt: Opt, value: Option<OsString>) -> Result<(), String> {
        let value = value.unwrap_or_default();
        match opt {
            Opt::Help => self.help = true,
            Opt::Verbose => self.verbose = true,
            Opt::Recursive => self.recursive = true,
            Opt::Zero => self.zero = true,
            Opt::NoDereference => self.no_dereference = true,
            Opt::Json => self.json = true,
            Opt::Event => {
                let mask = parse_events(&value)?;
                self.events = Some(self.events.unwrap_or(EventMask::empty()) | mask);
            }
            Opt::Timeout => self.timeout = Some(parse_timeout(&value)?),
            Opt::Ascending | Opt::Descending => {
                if self.sort.is_some() {
                    return Err("Please specify -a or -d once only!".into());
                }
                self.sort = Some(parse_sort(&value, opt == Opt::Ascending)?);
            }
            Opt::Fromfile if self.fromfile.is_some() => {
                return Err("Multiple --fromfile options given.".into());
            }
            Opt::Fromfile => self.fromfile = Some(value),
            // The last of each wins, as in inotifywatch.
            Opt::Exclude => self.exclude = Some(value),
            Opt::Excludei => self.excludei = Some(value),
            Opt::Include => self.include = Some(value),
            Opt::Includei => self.includei = Some(value),
        }
        Ok(())
    }
}

/// One `-e` argument (a comma-separated list), as inotifywatch reads it.
fn parse_events(list: &OsStr) -> Result<EventMask, String> {
    let invalid = || {
        format!(
            "'{}' is not a valid event!  Run with the '--help' option to see a list of events.",
            list.to_string_lossy()
        )
    };
    let text = list.to_str().ok_or_else(invalid)?;
    let mut mask = EventMask::empty();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        mask |= EventMask::from_event_name(name).map_err(|_| invalid())?;
    }
    if mask.is_empty() {
        return Err(invalid());
    }
    Ok(mask)
}

/// `-t`: whole seconds as inotifywatch takes them (`0` or less: until a
/// signal), and also a fraction (`0.5`). Also returns the text `-v` shows.
fn parse_timeout(text: &OsStr) -> Result<(Duration, String), String> {
    let shown = text.to_string_lossy();
    let secs: f64 = shown
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite())
        .ok_or_else(|| {
            format!("'{shown}' is not a valid timeout value.\nPlease specify a long int value.")
        })?;
    Ok((
        Duration::from_secs_f64(secs.clamp(0.0, 1e9)),
        shown.trim().to_owned(),
    ))
}

/// `-a`/`-d`: an event name or `total`. As in inotifywatch, whose sort key
/// is the event's bit with a minus sign for descending, `-d access`
/// (`-IN_ACCESS`, i.e. -1) is the default order: total, descending.
fn parse_sort(key: &OsStr, ascending: bool) -> Result<Sort, String> {
    let text = key.to_string_lossy();
    if text.eq_ignore_ascii_case("total") {
        return Ok(Sort::new(SortKey::Total, ascending));
    }
    if ascending && text.eq_ignore_ascii_case("move") {
        return Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'.".into());
    }
    if ascending && text.eq_ignore_ascii_case("close") {
        return Err(
            "Cannot sort by `close' event; please use `close_write' or `close_nowrite'.".into(),
        );
    }
    let invalid = || format!("'{text}' is not a valid key for sorting!");
    let mask = EventMask::from_event_name(text.trim()).map_err(|_| invalid())?;
    if !ascending && mask == EventMask::ACCESS {
        return Ok(Sort::new(SortKey::Total, false));
    }
    Ok(Sort::new(SortKey::Event(mask), ascending))
}

/// Parses the command line (without the program name). The error is the
/// message to print.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut raw = Raw::default();
    let paths = getopt::scan(args, LONG, SHORT, &mut |opt, value| raw.set(opt, value))?;
    if raw.help {
        return Ok(Command::Help);
    }
    let events = raw.events.unwrap_or(EventMask::ALL_EVENTS);
    let sort = raw.sort.unwrap_or_default();
    if let SortKey::Event(mask) = sort.key {
        let column = COLUMNS.iter().any(|&(_, bit)| bit == mask);
        if !mask.intersects(events) || !column {
            return Err("Can't sort by an event which isn't being watched for!".into());
        }
    }
    let filter = filter(&mut raw)?;
    let mut watch = WatchMask::from_bits_retain(events.bits());
    if raw.no_dereference {
        watch |= WatchMask::DONT_FOLLOW;
    }
    let (timeout, timeout_shown) = match raw.timeout {
        Some((t, shown)) if !t.is_zero() => (Some(t), Some(shown)),
        _ => (None, None),
    };
    Ok(Command::Run(Box::new(Options {
        events,
        watch,
        timeout,
        timeout_shown,
        verbose: raw.verbose,
        zero: raw.zero,
        sort,
        recursive: raw.recursive,
        filter,
        fromfile: raw.fromfile,
        json: raw.json,
        paths,
    })))
}

/// The `--exclude`/`--include` pattern (each in two cases), checked as
/// inotifywatch checks them.
fn filter(raw: &mut Raw) -> Result<Option<FilterArg>, String> {
    if raw.exclude.is_some() && raw.excludei.is_some() {
        return Err("--exclude and --excludei cannot both be specified.".into());
    }
    if raw.include.is_some() && raw.includei.is_some() {
        return Err("--include and --includei cannot both be specified.".into());
    }
    let exclude = raw
        .exclude
        .take()
        .map(|p| (p, false))
        .or(raw.excludei.take().map(|p| (p, true)));
    let include = raw
        .include
        .take()
        .map(|p| (p, false))
        .or(raw.includei.take().map(|p| (p, true)));
    let chosen = match (exclude, include) {
        (Some(_), Some(_)) => {
            return Err("include and exclude regexp cannot both be specified.".into());
        }
        (Some((p, i)), None) => Some((p, i, Mode::Exclude)),
        (None, Some((p, i))) => Some((p, i, Mode::Include)),
        (None, None) => None,
    };
    Ok(chosen.map(|(pattern, ignore_case, mode)| FilterArg {
        pattern: pattern.into_vec(),
        ignore_case,
        mode,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from))? {
            Command::Run(options) => Ok(*options),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn options_bundle_and_default_to_all_events_by_total_descending() {
        let o = run(&["-rvz", "-t5", "d"]).unwrap();
        assert!(o.recursive && o.verbose && o.zero);
        assert_eq!(o.timeout, Some(Duration::from_secs(5)));
        assert_eq!(o.events, EventMask::ALL_EVENTS);
        assert_eq!(o.sort, Sort::default());
        assert_eq!(o.paths, ["d"]);
        let o = run(&["-e", "create,delete", "--asc", "Delete", "-P", "d"]).unwrap();
        assert_eq!(o.events, EventMask::CREATE | EventMask::DELETE);
        assert_eq!(o.sort, Sort::new(SortKey::Event(EventMask::DELETE), true));
        assert!(o.watch.contains(WatchMask::DONT_FOLLOW));
        // inotifywatch's key for `-d access` is -1, its default.
        assert_eq!(run(&["-d", "access", "d"]).unwrap().sort, Sort::default());
        assert_eq!(run(&["-t", "0", "d"]).unwrap().timeout, None);
    }

    #[test]
    fn bad_input_gets_inotifywatch_messages() {
        for (args, message) in [
            (&["-e", "bogus", "d"][..], "'bogus' is not a valid event!"),
            (&["-t", "abc", "d"], "'abc' is not a valid timeout value."),
            (&["-a", "move", "d"], "Cannot sort by `move' event"),
            (&["-a", "close", "d"], "Cannot sort by `close' event"),
            (
                &["-a", "bogus", "d"],
                "'bogus' is not a valid key for sorting!",
            ),
            (&["-a", "total", "-d", "total", "d"], "-a or -d once only"),
            (
                &["-e", "create", "-a", "delete", "d"],
                "isn't being watched",
            ),
            (&["-a", "unmount", "d"], "isn't being watched"),
            (
                &["--exclude", "a", "--excludei", "b", "d"],
                "--exclude and --excludei",
            ),
            (
                &["--include", "a", "--includei", "b", "d"],
                "--include and --includei",
            ),
            (
                &["--exclude", "a", "--include", "b", "d"],
                "include and exclude",
            ),
            (
                &["--fromfile", "a", "--fromfile", "b"],
                "Multiple --fromfile",
            ),
            (&["-x", "d"], "invalid option -- 'x'"),
            (&["--bogus", "d"], "unrecognized option '--bogus'"),
        ] {
            let err = run(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} was accepted"));
            assert!(err.contains(message), "{args:?}: {err}");
        }
    }
}

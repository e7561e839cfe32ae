//! `zinotify`: inotifywait 3.22's command line on zinotify's engine.
//!
//! Swap the name in a script and it keeps working: the same options, the
//! same output byte for byte, the same exit statuses. Where zinotify does
//! better (see `--help`, "Better than inotifywait"), it says so.
//!
//! Modules: [`args`] parses the command line, [`paths`] gathers the paths ([`prune`]
//! the directories `-r` leaves out),
//! [`source`] produces events (flat watches) and
//! [`tree`] for `-r`, [`path_filter`] applies `--exclude`/`--include`,
//! [`format`] turns events into lines ([`json`] for `--json`), [`sys`]
//! holds strftime, [`help`] is the help text. What it shares with
//! `zinotifywatch` is [`shared`] (`src/bin/shared/`): [`getopt`],
//! [`paths`], [`path_filter`], [`prune`], [`json_text`], [`wait`], and the
//! other `unsafe` ones, [`shared::regex`], [`signals`] and `entry` (the
//! process entry point, which calls [`start`]).

// The entry point is `entry::main`: std's start-up costs a third of the
// command's resident memory (see there). Tests keep the test harness's.
#![cfg_attr(not(test), no_main)]

mod args;
mod format;
mod help;
mod json;
#[path = "../shared/mod.rs"]
mod shared;
mod source;
mod sys;
mod tree;

use shared::{getopt, json_text, path_filter, paths, prune, signals, wait};

use args::{Command, Options, Output};
use format::Line;
use path_filter::PathFilter;
use paths::PathList;
use prune::Prune;
use source::{Item, Source};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};
use wait::{Waiter, Woke};
use zinotify::EventMask;

/// Exit statuses, as inotifywait's.
const EXIT_EVENT: u8 = 0;
const EXIT_FAILURE: u8 = 1;
const EXIT_TIMEOUT: u8 = 2;

/// In test builds (the harness is the entry point there) `main` stays
/// as std has it, so the command is still reachable code.
#[cfg(test)]
fn main() -> std::process::ExitCode {
    start().into()
}

/// Runs the command; its exit status.
fn start() -> u8 {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("zinotify: {message}");
            EXIT_FAILURE
        }
    }
}

fn run() -> Result<u8, String> {
    let warn = &mut |w: &str| eprintln!("zinotify: {w}");
    let options = match args::parse(std::env::args_os().skip(1), warn)? {
        Command::Help => {
            // A closed stdout is not worth an error here.
            let _ = io::stdout().write_all(help::HELP.as_bytes());
            return Ok(EXIT_EVENT);
        }
        Command::Run(options) => options,
    };
    let filter = path_filter(&options)?;
    let list = PathList::gather(options.fromfile.as_ref(), &options.paths)?;
    if list.watch.is_empty() {
        return Err("no files specified to watch".into());
    }
    // Monitor mode ends cleanly on SIGINT/SIGTERM; a single wait keeps the
    // default (the signal ends it, as it ends inotifywait).
    let signals = if options.monitor {
        Some(
            signals::Signals::block(&[libc::SIGINT, libc::SIGTERM])
                .map_err(|err| format!("cannot set up signal handling: {err}"))?,
        )
    } else {
        None
    };
    let out = open_output(&options)?;

    if options.quiet == 0 {
        eprintln!(
            "{}",
            if options.recursive {
                "Setting up watches.  Beware: since -r was given, this may take a while!"
            } else {
                "Setting up watches."
            }
        );
    }
    let mut printer = Printer::new(&options, filter, out);
    if options.recursive {
        return run_tree(&options, &list, signals.as_ref(), &mut printer);
    }
    let mut source =
        source::Flat::new(options.watch, &list.watch).map_err(|err| err.to_string())?;
    for path in &list.watch {
        source.add(path).map_err(|err| err.to_string())?;
    }
    established(&options);
    event_loop(&options, &mut source, signals.as_ref(), &mut printer)
}

/// The `--exclude`/`--include` regular expression, compiled.
fn path_filter(options: &Options) -> Result<Option<PathFilter>, String> {
    let Some(f) = options.filter.as_ref() else {
        return Ok(None);
    };
    PathFilter::new(&f.pattern, f.ignore_case, f.mode)
        .map(Some)
        .map_err(|err| {
            let name = match f.mode {
                path_filter::Mode::Exclude => "--exclude",
                path_filter::Mode::Include => "--include",
            };
            format!(
                "invalid {name} regular expression \"{}\": {err}",
                String::from_utf8_lossy(&f.pattern)
            )
        })
}

/// Says the watches are set up, unless `-q`.
fn established(options: &Options) {
    if options.quiet == 0 {
        eprintln!("Watches established.");
    }
}

/// `-r`: sets the trees up, then runs the event loop.
fn run_tree(
    options: &Options,
    list: &PathList,
    signals: Option<&signals::Signals>,
    printer: &mut Printer,
) -> Result<u8, String> {
    let mut prune = Prune::new(&list.exclude, options.prune.as_ref()).map_err(|err| {
        format!(
            "invalid --prune regular expression \"{}\": {err}",
            String::from_utf8_lossy(options.prune.as_ref().map_or(&[][..], |p| &p.0))
        )
    })?;
    let pruning = !prune.is_empty();
    let mut veto = |path: &[u8]| prune.watches(path);
    let filter: Option<zinotify::DirFilter<'_>> = pruning.then_some(&mut veto);
    let mut source = tree::Tree::new(filter, options.watch).map_err(|err| err.to_string())?;
    for path in &list.watch {
        source.add(path).map_err(|err| err.to_string())?;
    }
    let mut stop = None;
    let outcome = source
        .establish(&mut |item| printer.feed(item, &mut stop))
        .map_err(|err| err.to_string())?;
    match outcome {
        tree::Established::Stopped => printer.finish(stop),
        tree::Established::Ready => {
            // Events seen during set-up go out before the message.
            if let Err(err) = printer.flush() {
                return printer.finish(Some(Stop::Write(err)));
            }
            established(options);
            event_loop(options, &mut source, signals, printer)
        }
    }
}

/// Standard output, or `--outfile` opened for appending (created 0600, as
/// inotifywait does).
fn open_output(options: &Options) -> Result<Box<dyn Write>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    match &options.outfile {
        None => Ok(Box::new(io::stdout().lock())),
        Some(path) => std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map(|f| Box::new(f) as Box<dyn Write>)
            .map_err(|err| {
                format!(
                    "cannot open --outfile \"{}\": {err}",
                    path.to_string_lossy()
                )
            }),
    }
}

/// Why the event loop ended.
enum Stop {
    /// Exit with this status.
    Exit(u8),
    /// Writing failed.
    Write(io::Error),
}

/// Decides, per event, what to print and whether to stop. Lines are
/// gathered in `pending` and written by [`flush`](Self::flush), once per
/// read batch: one `write` for the whole batch instead of one per event.
struct Printer {
    monitor: bool,
    quiet: u8,
    report: EventMask,
    filter: Option<PathFilter>,
    output: Output,
    timefmt: Option<std::ffi::CString>,
    out: Box<dyn Write>,
    pending: Vec<u8>,
}

impl Printer {
    fn new(options: &Options, filter: Option<PathFilter>, out: Box<dyn Write>) -> Self {
        Self {
            monitor: options.monitor,
            quiet: options.quiet,
            report: options.report,
            filter,
            output: options.output.clone(),
            timefmt: options.timefmt.clone(),
            out,
            pending: Vec::with_capacity(64 * 1024),
        }
    }

    /// Handles one item; `Break` carries why the loop must stop.
    fn item(&mut self, item: Item<'_>) -> ControlFlow<Stop> {
        let line = match item {
            Item::Notice(text) => {
                self.notice(&text);
                return ControlFlow::Continue(());
            }
            Item::Rescan(text) => {
                self.notice(&text);
                if self.quiet < 2 && matches!(self.output, Output::Json) {
                    json::marker("rescan", json::now_ns(), &mut self.pending);
                }
                return ControlFlow::Continue(());
            }
            Item::Gone(text) => {
                self.notice(&text);
                return ControlFlow::Break(Stop::Exit(EXIT_FAILURE));
            }
            Item::Event(line) => line,
        };
        let overflow = line.mask.contains(EventMask::Q_OVERFLOW);
        // An overflow has no path to filter on, and must never be hidden.
        if !overflow
            && let Some(filter) = &mut self.filter
            && !filter.passes(line.watch, line.name)
        {
            return ControlFlow::Continue(());
        }
        if self.quiet < 2 && (overflow || line.mask.intersects(self.report)) {
            self.print(&line);
        }
        if self.monitor {
            ControlFlow::Continue(())
        } else if line.mask.intersects(self.report) {
            ControlFlow::Break(Stop::Exit(EXIT_EVENT))
        } else {
            ControlFlow::Break(Stop::Exit(EXIT_FAILURE))
        }
    }

    /// A remark on standard error, unless `-q`.
    fn notice(&self, text: &str) {
        if self.quiet == 0 {
            eprintln!("zinotify: {text}");
        }
    }

    /// [`item`](Self::item) as a sink: records why it stops in `stop`.
    fn feed(&mut self, item: Item<'_>, stop: &mut Option<Stop>) -> ControlFlow<()> {
        match self.item(item) {
            ControlFlow::Continue(()) => ControlFlow::Continue(()),
            ControlFlow::Break(why) => {
                *stop = Some(why);
                ControlFlow::Break(())
            }
        }
    }

    /// Adds one event's line to the pending output.
    fn print(&mut self, line: &Line<'_>) {
        match &self.output {
            Output::Csv => format::csv_line(line, &mut self.pending),
            Output::Json => json::event(line, json::now_ns(), &mut self.pending),
            Output::Format(format) => {
                let timefmt = &self.timefmt;
                let mut time = |out: &mut Vec<u8>| {
                    if let Some(fmt) = timefmt {
                        sys::format_local_time(fmt, out);
                    }
                };
                format.render(line, &mut time, &mut self.pending);
            }
        }
    }

    /// Writes the pending lines in one go and flushes them, so a pipe sees
    /// them before the command waits again.
    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = self.out.write_all(&self.pending);
        self.pending.clear();
        written?;
        self.out.flush()
    }

    /// Flushes, then turns why the loop stopped into the exit status.
    fn finish(&mut self, stop: Option<Stop>) -> Result<u8, String> {
        let flushed = self.flush();
        match stop {
            Some(Stop::Exit(code)) => match flushed {
                Ok(()) => Ok(code),
                Err(err) => finish(Some(Stop::Write(err))),
            },
            other => finish(other.or(flushed.err().map(Stop::Write))),
        }
    }
}

/// The exit status for a stopped loop.
fn finish(stop: Option<Stop>) -> Result<u8, String> {
    match stop {
        Some(Stop::Exit(code)) => Ok(code),
        // A reader that went away (`| head -1`) ends us quietly.
        Some(Stop::Write(err)) if err.kind() == io::ErrorKind::BrokenPipe => Ok(EXIT_EVENT),
        Some(Stop::Write(err)) => Err(format!("cannot write events: {err}")),
        None => Ok(EXIT_EVENT),
    }
}

/// Under a steady stream of events (the next one arrives within
/// [`BUSY_GAP`] of the last batch's end) the command lets events pile up
/// for up to this long before reading, so one read, and one write, carry
/// many: far fewer wake-ups per event. An event after a quiet spell is read
/// at once, so this adds no latency when idle, and at most this much per
/// batch under load (`benches/cli.rs`, the live drain row, measures the
/// CPU it saves).
const COALESCE: Duration = Duration::from_millis(1);
/// See [`COALESCE`].
const BUSY_GAP: Duration = Duration::from_millis(1);

/// Waits for events, signals and the timeout until one ends the command.
fn event_loop(
    options: &Options,
    source: &mut dyn Source,
    signals: Option<&signals::Signals>,
    printer: &mut Printer,
) -> Result<u8, String> {
    let waiter = Waiter::new(&source.fds(), signals)?;
    let mut deadline = options.timeout.map(|t| Instant::now() + t);
    let mut last_batch: Option<Instant> = None;
    loop {
        match waiter.wait(deadline)? {
            Woke::Timeout => return Ok(EXIT_TIMEOUT),
            Woke::Signal(_) => return Ok(EXIT_EVENT),
            Woke::Ready => {}
        }
        if last_batch.is_some_and(|t| t.elapsed() < BUSY_GAP) {
            source.coalesce(COALESCE).map_err(|err| err.to_string())?;
        }
        deadline = options.timeout.map(|t| Instant::now() + t);
        let mut stop = None;
        let flow = source
            .drain(&mut |item| printer.feed(item, &mut stop))
            .map_err(|err| err.to_string())?;
        if flow.is_break() {
            return printer.finish(stop);
        }
        if let Err(err) = printer.flush() {
            return printer.finish(Some(Stop::Write(err)));
        }
        last_batch = Some(Instant::now());
    }
}

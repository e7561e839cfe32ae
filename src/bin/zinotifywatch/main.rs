//! `zinotifywatch`: inotifywatch 3.22's command line on zinotify's engine.
//!
//! It watches the paths given (whole trees with `-r`), counts the events
//! per watch until `-t` seconds pass or SIGINT/SIGTERM/SIGHUP arrives, and
//! prints inotifywatch's table byte for byte (or one JSON object with
//! `--json`); SIGUSR1 prints the table so far and counting goes on.
//! With `-r` it counts what inotifywatch misses: files made in a new
//! directory before its watch existed (found by listing it), and events
//! under a renamed directory, counted on its new path.
//!
//! Modules: [`args`] parses the command line, [`collect`] produces the
//! events, [`stats`] counts them and lays out the table, [`help`] is the
//! help text. The rest is shared with `zinotify`, [`shared`]
//! (`src/bin/shared/`): [`getopt`], [`paths`], [`path_filter`], [`prune`],
//! [`json_text`], [`wait`], and the only `unsafe`, [`shared::regex`],
//! [`signals`] and the process entry point, `entry`.

// The entry point is `entry::main` (see there), as `zinotify`'s.
#![cfg_attr(not(test), no_main)]

mod args;
mod collect;
mod help;
#[path = "../shared/mod.rs"]
mod shared;
mod stats;

use shared::{getopt, json_text, path_filter, paths, prune, signals, wait};

use args::{Command, Options};
use collect::Collect;
use libc::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use path_filter::PathFilter;
use paths::PathList;
use stats::Stats;
use std::io::{self, Write};
use std::time::Instant;
use wait::{Waiter, Woke};
use zinotify::{Error, ErrorKind};

/// In test builds (the harness is the entry point there) `main` stays
/// as std has it, so the command is still reachable code.
#[cfg(test)]
fn main() -> std::process::ExitCode {
    start().into()
}

/// Runs the command; its exit status.
fn start() -> u8 {
    match run() {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

fn run() -> Result<(), String> {
    let options = match args::parse(std::env::args_os().skip(1))? {
        Command::Help => {
            // A closed stdout is not worth an error here.
            let _ = io::stdout().write_all(help::HELP.as_bytes());
            return Ok(());
        }
        Command::Run(options) => options,
    };
    let mut filter = options
        .filter
        .as_ref()
        .map(|f| {
            PathFilter::new(&f.pattern, f.ignore_case, f.mode).map_err(|_| match f.mode {
                path_filter::Mode::Exclude => "Error in `exclude' regular expression.",
                path_filter::Mode::Include => "Error in `include' regular expression.",
            })
        })
        .transpose()?;
    let list = PathList::gather(options.fromfile.as_ref(), &options.paths)?;
    if list.watch.is_empty() {
        return Err("No files specified to watch!".into());
    }
    // Blocked from the start: a signal during set-up takes effect as soon
    // as the collection begins, instead of killing the command.
    let signals = signals::Signals::block(&[SIGINT, SIGTERM, SIGHUP, SIGUSR1])
        .map_err(|err| format!("cannot set up signal handling: {err}"))?;
    let notice = &mut |text: &str| eprintln!("zinotifywatch: {text}");

    eprintln!("Establishing watches...");
    let mut counter = Counter {
        filter: filter.as_mut(),
        stats: Stats::default(),
    };
    if options.recursive {
        return count_tree(&options, &list, &signals, &mut counter, notice);
    }
    let mut flat = collect::Flat::new(options.watch).map_err(|e| e.to_string())?;
    for path in &list.watch {
        flat.add(path).map_err(|err| failed(path, &err))?;
    }
    count_until_done(&options, &mut flat, &signals, &mut counter, notice)?;
    print(&options, &counter.now(&flat))
}

/// `-r`: watches the trees of `list` (pruned by its `@` paths), counts
/// until done, prints the table.
fn count_tree(
    options: &Options,
    list: &PathList,
    signals: &signals::Signals,
    counter: &mut Counter<'_>,
    notice: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let mut prune = prune::Prune::new(&list.exclude, None)?;
    let pruning = !prune.is_empty();
    let mut veto = |path: &[u8]| prune.watches(path);
    let veto: Option<zinotify::DirFilter<'_>> = pruning.then_some(&mut veto);
    let mut tree = collect::Tree::new(veto, options.watch).map_err(|e| e.to_string())?;
    for path in &list.watch {
        let shown = String::from_utf8_lossy(path);
        if options.verbose {
            eprintln!("Setting up watch(es) on {shown}");
        }
        tree.add(path).map_err(|err| failed(path, &err))?;
        if options.verbose {
            eprintln!("OK, {shown} is now being watched.");
        }
    }
    tree.establish(notice)
        .map_err(|err| failed(err.path().unwrap_or(&list.watch[0]), &err))?;
    count_until_done(options, &mut tree, signals, counter, notice)?;
    print(options, &counter.now(&tree))
}

/// The counts, and the filter that decides what is counted.
struct Counter<'f> {
    filter: Option<&'f mut PathFilter>,
    stats: Stats,
}

impl Counter<'_> {
    /// Counts one event of `source`, unless the filter drops it.
    fn count(&mut self, wd: i32, dir: &[u8], name: &[u8], mask: zinotify::EventMask) {
        if self.filter.as_mut().is_none_or(|f| f.passes(dir, name)) {
            self.stats.count(wd, dir, mask);
        }
    }

    /// The counts so far with every watch `source` holds now, under its
    /// path now (a row of zeros for `-z` where nothing was counted). A
    /// copy: a watch held now but gone by the end must not leave a row in
    /// the final table.
    fn now(&self, source: &dyn Collect) -> Stats {
        let mut stats = self.stats.clone();
        source.each_watch(&mut |wd, path| stats.watched(wd, path));
        stats
    }
}

/// inotifywatch's message for a path it cannot watch.
fn failed(path: &[u8], err: &Error) -> String {
    let shown = String::from_utf8_lossy(path);
    match err.kind() {
        ErrorKind::WatchLimit => format!(
            "Failed to watch {shown}; upper limit on inotify watches reached!\n\
             Please increase the amount of inotify watches allowed per user via \
             `/proc/sys/fs/inotify/max_user_watches'."
        ),
        ErrorKind::Os(errno) => {
            // The C library's text, without std's " (os error N)".
            let text = io::Error::from(errno).to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            format!("Failed to watch {shown}: {text}")
        }
        _ => format!("Failed to watch {shown}: {err}"),
    }
}

/// Says set-up is done, then counts events until `-t` passes or SIGINT,
/// SIGTERM or SIGHUP arrives (as inotifywatch, whose handler for the three
/// is the same). SIGUSR1 prints the table so far and a blank line, as
/// inotifywatch does, and counting goes on; zinotifywatch writes it at
/// once, where inotifywatch's buffered `printf` holds it until its exit
/// when standard output is not a terminal (the bytes are the same).
fn count_until_done(
    options: &Options,
    source: &mut dyn Collect,
    signals: &signals::Signals,
    counter: &mut Counter<'_>,
    notice: &mut dyn FnMut(&str),
) -> Result<(), String> {
    if options.verbose {
        eprintln!("Total of {} watches.", source.watches());
    }
    eprintln!("Finished establishing watches, now collecting statistics.");
    if let (true, Some(shown)) = (options.verbose, &options.timeout_shown) {
        eprintln!("Will listen for events for {shown} seconds.");
    }
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let waiter = Waiter::new(&source.fds(), Some(signals))?;
    loop {
        match waiter.wait(deadline)? {
            Woke::Signal(SIGUSR1) => {
                print(options, &counter.now(source))?;
                // Not in JSON Lines: each table is already one line.
                if !options.json {
                    write_out(b"\n")?;
                }
            }
            Woke::Timeout | Woke::Signal(_) => return Ok(()),
            Woke::Ready => source
                .drain(
                    &mut |wd, dir, name, mask| counter.count(wd, dir, name, mask),
                    notice,
                )
                .map_err(|err| err.to_string())?,
        }
    }
}

/// Prints the table (or its JSON object), or says no event occurred.
fn print(options: &Options, stats: &Stats) -> Result<(), String> {
    let table = stats.table(options.events, options.zero, options.sort);
    let mut out = Vec::new();
    if options.json {
        table.write_json(&mut out);
    } else if table.any {
        table.write_text(&mut out);
    }
    if !table.any {
        eprintln!("No events occurred.");
    }
    write_out(&out)
}

/// Writes `bytes` to standard output and flushes it.
fn write_out(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // A reader that went away (`| head -1`) is not an error.
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the table: {err}"))
        }
        _ => Ok(()),
    }
}

//! zinotifywatch against inotifywatch 3.22: each runs on its own copy of
//! the same tree (relative paths, so the outputs need no normalising), one
//! script changes both copies the same way, and the tables, standard error
//! and exit statuses must be the same byte for byte. Where zinotifywatch
//! differs on purpose (`-r`: files in new directories counted, renames
//! followed), the test checks zinotifywatch's documented behaviour.
//!
//! Runs when `inotifywatch` is installed; with `CI` set, a missing
//! inotifywatch fails the test.
#![cfg(feature = "cli")]
#![allow(unsafe_code)] // pidfd_getfd and FIONREAD, to see a watcher's queue

mod common;

use common::cli::{Output, Watcher, have_tool, zinotifywatch};
use common::{TempDir, append};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The line both print when they start counting.
const READY: &str = "Finished establishing watches, now collecting statistics.";

fn have_inotifywatch(test: &str) -> bool {
    have_tool("inotifywatch", test)
}

fn pause() {
    sleep(Duration::from_millis(30));
}

/// Bytes waiting in the inotify queues of process `pid`: its descriptors
/// are borrowed with `pidfd_getfd` (a child of ours, so allowed) and asked
/// with `FIONREAD`.
fn queued(pid: u32) -> usize {
    let mut total = 0;
    // SAFETY: plain system calls on descriptors this function owns and
    // closes; `n` outlives the ioctl writing it.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid as libc::c_int, 0) as libc::c_int;
        assert!(
            pidfd >= 0,
            "pidfd_open: {}",
            std::io::Error::last_os_error()
        );
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
            let fd = fd.unwrap();
            let is_inotify = std::fs::read_link(fd.path())
                .is_ok_and(|l| l.as_os_str().as_bytes() == b"anon_inode:inotify");
            let Some(number) = fd.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            if !is_inotify {
                continue;
            }
            let local = libc::syscall(libc::SYS_pidfd_getfd, pidfd, number, 0) as libc::c_int;
            assert!(
                local >= 0,
                "pidfd_getfd: {}",
                std::io::Error::last_os_error()
            );
            let mut n: libc::c_int = 0;
            assert_eq!(libc::ioctl(local, libc::FIONREAD, &mut n), 0);
            total += n as usize;
            libc::close(local);
        }
        libc::close(pidfd);
    }
    total
}

/// Waits (up to 20 s) until `watcher` has read every queued event and the
/// queue stayed empty for a while (a tree may list a new directory, making
/// more, after its queue first looks empty).
fn settle(watcher: &Watcher) {
    let start = Instant::now();
    let mut quiet = 0;
    while quiet < 3 {
        assert!(start.elapsed() < Duration::from_secs(20), "never settled");
        quiet = if queued(watcher.id()) == 0 {
            quiet + 1
        } else {
            0
        };
        sleep(Duration::from_millis(40));
    }
}

/// Builds a tree in `dir`: `d/` with files and subdirectories `a/` (with
/// `a/deep/`), `b/`, `c/`, a file `f` beside `d`, and `link` -> `d`.
fn tree(dir: &Path) {
    let d = dir.join("d");
    std::fs::create_dir_all(d.join("a/deep")).unwrap();
    std::fs::create_dir_all(d.join("b")).unwrap();
    std::fs::create_dir_all(d.join("c")).unwrap();
    std::fs::write(d.join("old"), b"x").unwrap();
    std::fs::write(d.join("skip.log"), b"x").unwrap();
    std::fs::write(dir.join("f"), b"x").unwrap();
    std::os::unix::fs::symlink("d", dir.join("link")).unwrap();
}

/// Changes the tree: every kind of event, a different number in each
/// directory (so the order of rows never depends on how watch descriptors
/// were handed out), including under a renamed directory. No two events
/// in a row are alike (the kernel may merge those).
fn script(dir: &Path) {
    let d = dir.join("d");
    std::fs::write(d.join("new"), b"one").unwrap();
    pause();
    append(&d.join("new"), b"two");
    pause();
    let _ = std::fs::read(d.join("old")).unwrap();
    pause();
    std::fs::set_permissions(
        d.join("old"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    pause();
    std::fs::write(d.join("SKIP.LOG"), b"x").unwrap();
    append(&d.join("skip.log"), b"y");
    pause();
    std::fs::rename(d.join("new"), d.join("renamed")).unwrap();
    pause();
    std::fs::remove_file(d.join("renamed")).unwrap();
    pause();
    for name in ["x", "y"] {
        std::fs::write(d.join("a").join(name), b"").unwrap();
        pause();
    }
    std::fs::write(d.join("a/deep/z"), b"").unwrap();
    pause();
    std::fs::write(d.join("b/one"), b"").unwrap();
    pause();
    std::fs::rename(d.join("b"), d.join("b2")).unwrap();
    pause();
    std::fs::write(d.join("b2/two"), b"").unwrap();
    pause();
    std::fs::remove_dir(d.join("c")).unwrap();
    pause();
    append(&dir.join("f"), b"changed");
    pause();
    std::fs::set_permissions(
        dir.join("f"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    pause();
}

/// Runs `tool` with `args` in a fresh copy of the tree, runs `script` on
/// it, then ends the collection with SIGINT once every event was read.
fn run(tool: Command, args: &[&str], script: &dyn Fn(&Path)) -> Output {
    let dir = TempDir::new("watch-vs");
    tree(dir.path());
    let mut cmd = tool;
    cmd.args(args).current_dir(dir.path());
    let watcher = Watcher::start_until(cmd, READY);
    script(dir.path());
    settle(&watcher);
    watcher.signal("INT");
    watcher.wait()
}

/// The column the rows are sorted by, for `args`.
fn sort_column<'a>(args: &[&'a str]) -> &'a str {
    match args.iter().position(|a| *a == "-a" || *a == "-d") {
        Some(at) if !(args[at] == "-d" && args[at + 1] == "access") => args[at + 1],
        _ => "total",
    }
}

/// What must differ under `-r`, made equal:
/// - rows with the same sort key come in watch-descriptor order, and the
///   two hand them out in different orders (inotifywatch watches a
///   directory's subdirectories before the directory, zinotifywatch the
///   directory first, as it must to miss nothing): such rows are sorted by
///   path;
/// - inotifywatch, watching no move events (`-e` without them), does not
///   see `d/b` renamed to `d/b2` and keeps the old path; zinotifywatch
///   always follows renames (the documented difference).
fn normalise_r(table: &[u8], args: &[&str], theirs: bool) -> String {
    let text = String::from_utf8_lossy(table);
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let at = header
        .split_whitespace()
        .position(|h| h == sort_column(args))
        .unwrap();
    let watches_moves = !args.contains(&"-e")
        || args
            .iter()
            .any(|a| a.contains("move") || a.contains("moved_"));
    let mut rows: Vec<String> = lines
        .map(
            |l| match (theirs && !watches_moves, l.strip_suffix("d/b/")) {
                (true, Some(rest)) => format!("{rest}d/b2/"),
                _ => l.to_owned(),
            },
        )
        .collect();
    let key = |l: &String| l.split_whitespace().nth(at).unwrap().to_owned();
    let mut out = format!("{header}\n");
    while !rows.is_empty() {
        let k = key(&rows[0]);
        let run = rows.iter().take_while(|l| key(l) == k).count();
        let mut group: Vec<String> = rows.drain(..run).collect();
        group.sort();
        for l in group {
            out += &l;
            out.push('\n');
        }
    }
    out
}

/// Runs both with `args` on the same script; returns zinotifywatch's
/// output after checking that it is inotifywatch's (under `-r`, after
/// [`normalise_r`]).
fn same(args: &[&str], script: &dyn Fn(&Path)) -> Output {
    let theirs = run(Command::new("inotifywatch"), args, script);
    let ours = run(zinotifywatch(), args, script);
    if args.contains(&"-r") {
        assert_eq!(
            normalise_r(&ours.stdout, args, false),
            normalise_r(&theirs.stdout, args, true),
            "stdout for {args:?}"
        );
    } else {
        assert_same_bytes(&ours.stdout, &theirs.stdout, "stdout", args);
    }
    assert_same_bytes(&ours.stderr, &theirs.stderr, "stderr", args);
    assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
    ours
}

/// `ours` and `theirs` (the output `what`) are the same bytes; shown
/// escaped when they are not.
fn assert_same_bytes(ours: &[u8], theirs: &[u8], what: &str, args: &[&str]) {
    assert_eq!(
        ours.escape_ascii().to_string(),
        theirs.escape_ascii().to_string(),
        "{what} for {args:?}"
    );
}

/// [`same`], for a script that makes events: the table is not empty.
fn same_table(args: &[&str], script: &dyn Fn(&Path)) {
    let ours = same(args, script);
    assert!(ours.stdout.starts_with(b"total  "), "{args:?}: no table");
}

/// Every option alone, then with `-r`.
const OPTIONS: &[&[&str]] = &[
    &[],
    &["-v"],
    &["-z"],
    &["-e", "modify,create", "-e", "delete"],
    &["-e", "close"],
    &["-a", "total"],
    &["-d", "create"],
    &["-a", "attrib"],
    // inotifywatch's key for `-d access` is -1: its default order.
    &["-d", "access"],
    &["--exclude", "skip"],
    &["--excludei", "SKIP"],
    &["--include", "(old|f)$"],
    &["--includei", "OLD$"],
];

#[test]
fn every_option_alone_prints_inotifywatchs_table() {
    if !have_inotifywatch("every_option_alone_prints_inotifywatchs_table") {
        return;
    }
    for args in OPTIONS {
        let mut args = args.to_vec();
        args.extend(["d", "f"]);
        same_table(&args, &script);
    }
}

#[test]
fn every_option_with_r_prints_inotifywatchs_table() {
    if !have_inotifywatch("every_option_with_r_prints_inotifywatchs_table") {
        return;
    }
    for args in OPTIONS {
        let mut args = args.to_vec();
        args.extend(["-r", "d", "f"]);
        same_table(&args, &script);
    }
}

#[test]
fn paths_fromfile_excludes_symlinks_and_repeats_match() {
    if !have_inotifywatch("paths_fromfile_excludes_symlinks_and_repeats_match") {
        return;
    }
    let list = TempDir::new("watch-list");
    let file = list.join("list");
    std::fs::write(&file, "d\n@d/a\n\nf\n").unwrap();
    let file = file.to_str().unwrap();
    for args in [
        &["-r", "--fromfile", file][..],
        &["--fromfile", file, "-v"],
        &["-r", "d", "@d/b", "@d/a/"],
        // The same directory twice: one watch, under its first name.
        &["d", "./d", "f"],
        // A symlink to a directory is followed, unless -P.
        &["link"],
        &["-P", "link"],
        &["-r", "-v", "link"],
        &["-r", "-P", "-v", "link"],
    ] {
        same(args, &script);
    }
}

#[test]
fn r_watches_a_directory_given_twice_once() {
    if !have_inotifywatch("r_watches_a_directory_given_twice_once") {
        return;
    }
    // inotifywatch walks it again, and counts the events of its own second
    // walk; zinotifywatch watches it once: the table of `-r d f`.
    let args = ["-r", "d", "f"];
    let theirs = run(Command::new("inotifywatch"), &args, &script);
    let ours = run(zinotifywatch(), &["-r", "d", "d/", "f"], &script);
    assert_eq!(
        normalise_r(&ours.stdout, &args, false),
        normalise_r(&theirs.stdout, &args, true)
    );
}

#[test]
fn no_events_errors_and_exit_statuses_match() {
    if !have_inotifywatch("no_events_errors_and_exit_statuses_match") {
        return;
    }
    // Nothing happens: "No events occurred.", status 0, with and without -z.
    for args in [&["d"][..], &["-z", "-r", "d"], &["-e", "delete", "d", "f"]] {
        let quiet = &|dir: &Path| {
            // Only events outside what is watched.
            std::fs::write(dir.join("elsewhere"), b"").unwrap();
        };
        same(args, quiet);
    }
    // Refused before watching: same message, same status.
    for args in [
        &[][..],
        &["missing"],
        &["-r", "missing"],
        &["-e", "bogus", "d"],
        &["-t", "abc", "d"],
        &["-a", "move", "d"],
        &["-a", "close", "d"],
        &["-a", "bogus", "d"],
        &["-a", "total", "-d", "total", "d"],
        &["-e", "create", "-a", "delete", "d"],
        &["--exclude", "a", "--include", "b", "d"],
        &["--exclude", "a", "--excludei", "b", "d"],
        &["--include", "a", "--includei", "b", "d"],
        &["--exclude", "(", "d"],
        &["--fromfile", "x", "--fromfile", "y", "d"],
    ] {
        let dir = TempDir::new("watch-err");
        tree(dir.path());
        let out = |mut cmd: Command| cmd.args(args).current_dir(dir.path()).output().unwrap();
        let theirs = out(Command::new("inotifywatch"));
        let ours = out(zinotifywatch());
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr),
            "{args:?}"
        );
        assert!(ours.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn timeout_and_sigterm_end_the_collection_like_sigint() {
    if !have_inotifywatch("timeout_and_sigterm_end_the_collection_like_sigint") {
        return;
    }
    // -t: counts, then the table, status 0, for both.
    let dir = TempDir::new("watch-t");
    tree(dir.path());
    for tool in [Command::new("inotifywatch"), zinotifywatch()] {
        let mut cmd = tool;
        cmd.args(["-t", "2", "-e", "create", "d"])
            .current_dir(dir.path());
        let watcher = Watcher::start_until(cmd, READY);
        std::fs::write(dir.join("d/by-t"), b"").unwrap();
        let out = watcher.wait();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "total  create  filename\n1      1       d/\n"
        );
        std::fs::remove_file(dir.join("d/by-t")).unwrap();
    }
    // SIGTERM, as SIGINT.
    let mut cmd = zinotifywatch();
    cmd.args(["-e", "create", "d"]).current_dir(dir.path());
    let watcher = Watcher::start_until(cmd, READY);
    std::fs::write(dir.join("d/by-term"), b"").unwrap();
    settle(&watcher);
    let out = watcher.stop();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "total  create  filename\n1      1       d/\n"
    );
}

/// SIGUSR1's bit in the signal masks of `/proc/PID/status`.
const USR1_BIT: u64 = 1 << (libc::SIGUSR1 - 1);

/// Whether any of the signal masks `fields` (e.g. `SigPnd:`) in
/// `/proc/PID/status` of `watcher` has `bit`, and the status text.
fn signal_mask_has(watcher: &Watcher, fields: &[&str], bit: u64) -> (bool, String) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", watcher.id())).unwrap();
    let has = status
        .lines()
        .filter(|l| fields.iter().any(|f| l.starts_with(f)))
        .any(|l| u64::from_str_radix(l[7..].trim(), 16).unwrap() & bit != 0);
    (has, status)
}

/// Waits (up to 20 s) until `done` (which reads a status) says so; fails
/// with `what` and the status otherwise.
fn until_status(what: &str, done: &dyn Fn() -> (bool, String)) {
    let start = Instant::now();
    loop {
        let (ok, status) = done();
        if ok {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: {status}"
        );
        sleep(Duration::from_millis(5));
    }
}

/// Sends SIGUSR1 to `watcher` and waits until it is no longer pending:
/// inotifywatch's handler has started (and its main loop counts nothing
/// more until the handler has printed), or zinotifywatch has read it from
/// its signalfd (and prints before it reads any more events). So the
/// events made next are not in the table it prints. First it waits until
/// SIGUSR1 is caught (inotifywatch sets its handler only after it says
/// "Finished establishing watches"; the default action would kill it) or
/// blocked (zinotifywatch blocks it from the start).
fn usr1(watcher: &Watcher) {
    let bit = USR1_BIT;
    until_status("SIGUSR1 never handled", &|| {
        signal_mask_has(watcher, &["SigCgt:", "SigBlk:"], bit)
    });
    watcher.signal("USR1");
    until_status("SIGUSR1 never taken", &|| {
        let (pending, status) = signal_mask_has(watcher, &["SigPnd:", "ShdPnd:"], bit);
        (!pending, status)
    });
}

/// The second half of a signalled run: events on paths [`script`] left.
fn more(dir: &Path) {
    let d = dir.join("d");
    std::fs::write(d.join("a/late"), b"").unwrap();
    pause();
    append(&d.join("old"), b"late");
    pause();
    std::fs::write(d.join("b2/three"), b"").unwrap();
    pause();
    append(&dir.join("f"), b"late");
    pause();
}

/// Runs `tool` with `args` on a fresh tree: SIGUSR1 before any event,
/// [`script`], SIGUSR1, [`more`], SIGUSR1 twice, then `end` (HUP or INT).
fn run_signalled(tool: Command, args: &[&str], end: &str) -> Output {
    let dir = TempDir::new("watch-sig");
    tree(dir.path());
    let mut cmd = tool;
    cmd.args(args).current_dir(dir.path());
    let watcher = Watcher::start_until(cmd, READY);
    usr1(&watcher);
    script(dir.path());
    settle(&watcher);
    usr1(&watcher);
    more(dir.path());
    settle(&watcher);
    usr1(&watcher);
    usr1(&watcher);
    watcher.signal(end);
    watcher.wait()
}

/// Standard output cut into its tables: SIGUSR1's blank lines separate
/// them (a blank line alone is an empty table, "No events occurred.").
fn tables(stdout: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stdout);
    let mut tables = vec![String::new()];
    for line in text.lines() {
        if line.is_empty() {
            tables.push(String::new());
        } else {
            let last = tables.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    tables
}

#[test]
fn sigusr1_prints_the_table_so_far_and_sighup_ends_like_sigint() {
    if !have_inotifywatch("sigusr1_prints_the_table_so_far_and_sighup_ends_like_sigint") {
        return;
    }
    for (args, end) in [
        (&["d", "f"][..], "HUP"),
        (&["-z", "-v", "d", "f"], "HUP"),
        (&["-e", "create,modify", "-a", "modify", "d", "f"], "INT"),
        (&["-r", "d", "f"], "HUP"),
        (&["-r", "-z", "-e", "create", "d"], "INT"),
    ] {
        let theirs = run_signalled(Command::new("inotifywatch"), args, end);
        let ours = run_signalled(zinotifywatch(), args, end);
        let (our_tables, their_tables) = (tables(&ours.stdout), tables(&theirs.stdout));
        // Nothing yet, two tables, the last one twice, then the final one.
        assert_eq!(our_tables.len(), 5, "{args:?}: {our_tables:?}");
        assert_eq!(our_tables[0], "", "{args:?}");
        assert!(our_tables[1].starts_with("total  "), "{args:?}");
        assert_ne!(our_tables[1], our_tables[2], "{args:?}");
        assert_eq!(our_tables[2], our_tables[3], "{args:?}");
        assert_eq!(our_tables[3], our_tables[4], "{args:?}");
        if args.contains(&"-r") {
            let normalise = |tables: &[String], theirs| -> Vec<String> {
                let tables = tables.iter();
                tables
                    .map(|t| normalise_r(t.as_bytes(), args, theirs))
                    .collect()
            };
            assert_eq!(
                normalise(&our_tables, false),
                normalise(&their_tables, true),
                "stdout for {args:?}"
            );
        } else {
            assert_same_bytes(&ours.stdout, &theirs.stdout, "stdout", args);
        }
        assert_same_bytes(&ours.stderr, &theirs.stderr, "stderr", args);
        assert_eq!(ours.status.code(), Some(0), "{args:?}");
        assert_eq!(theirs.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn sigusr1_with_json_prints_one_object_per_table() {
    let out = run_signalled(zinotifywatch(), &["--json", "-e", "create", "d"], "HUP");
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let creates = |table: &serde_json::Value| -> Vec<u64> {
        let rows = table["rows"].as_array().unwrap().iter();
        rows.map(|r| r["events"]["create"].as_u64().unwrap())
            .collect()
    };
    // The script's `d/new` and `d/SKIP.LOG`, then [`more`] made nothing
    // directly in `d`.
    let seen: Vec<Vec<u64>> = lines.iter().map(creates).collect();
    assert_eq!(seen, [vec![], vec![2], vec![2], vec![2], vec![2]]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("No events occurred.").count(), 1, "{stderr}");
}

/// Runs zinotifywatch alone with `args` on `script` over the tree.
fn ours(args: &[&str], script: &dyn Fn(&Path)) -> String {
    let out = run(zinotifywatch(), args, script);
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The value of `column` in the row for `path` of a text table.
fn cell(table: &str, path: &str, column: &str) -> Option<u64> {
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let at = header.iter().position(|h| *h == column)?;
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.last() == Some(&path))
        .map(|cells| cells[at].parse().unwrap())
}

#[test]
fn r_counts_files_made_in_a_new_directory_before_its_watch() {
    // inotifywatch can miss these: they exist before its watch on the new
    // directory does. zinotifywatch lists the directory after watching it.
    let out = ours(&["-r", "-e", "create", "d"], &|dir| {
        let new = dir.join("d/new");
        std::fs::create_dir(&new).unwrap();
        for i in 0..50 {
            std::fs::write(new.join(i.to_string()), b"").unwrap();
        }
    });
    assert_eq!(cell(&out, "d/new/", "create"), Some(50), "{out}");
    assert_eq!(cell(&out, "d/", "create"), Some(1), "{out}");
}

#[test]
fn r_counts_under_renamed_directories_on_their_new_paths() {
    let out = ours(&["-r", "-e", "create", "d"], &|dir| {
        let d = dir.join("d");
        std::fs::rename(d.join("a"), d.join("a2")).unwrap();
        std::fs::rename(d.join("a2"), d.join("a3")).unwrap();
        std::fs::write(d.join("a3/deep/one"), b"").unwrap();
        std::fs::write(d.join("a3/two"), b"").unwrap();
        // Moved out of the tree: no longer counted.
        std::fs::rename(d.join("b"), dir.join("out")).unwrap();
        std::fs::write(dir.join("out/gone"), b"").unwrap();
    });
    assert_eq!(cell(&out, "d/a3/deep/", "create"), Some(1), "{out}");
    assert_eq!(cell(&out, "d/a3/", "create"), Some(1), "{out}");
    assert!(!out.contains("d/b/") && !out.contains("out"), "{out}");
}

#[test]
fn json_is_one_object_holding_the_table() {
    let script = &|dir: &Path| {
        std::fs::write(dir.join("d/a/x"), b"").unwrap();
        std::fs::write(dir.join("d/caf\u{e9}"), b"").unwrap();
    };
    let table = ours(&["-r", "-e", "create,close_write", "d"], script);
    let json = ours(&["--json", "-r", "-e", "create,close_write", "d"], script);
    assert_eq!(json.lines().count(), 1, "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["kind"], "table");
    let columns: Vec<&str> = value["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(columns, ["close_write", "create"]);
    // The same rows, in the same order, as the text table.
    let mut text = String::from("total  close_write  create  filename\n");
    for row in value["rows"].as_array().unwrap() {
        text += &format!(
            "{:<5}  {:<11}  {:<6}  {}\n",
            row["total"].as_u64().unwrap(),
            row["events"]["close_write"].as_u64().unwrap(),
            row["events"]["create"].as_u64().unwrap(),
            row["path"].as_str().unwrap()
        );
        assert!(row["wd"].as_i64().unwrap() > 0);
    }
    assert_eq!(text, table);

    // Nothing counted: an object with no rows (and the stderr line).
    let out = run(zinotifywatch(), &["--json", "d"], &|_| {});
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["rows"].as_array().unwrap().len(), 0);
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("No events occurred.\n"));
}

#[test]
fn json_paths_that_are_not_utf8_round_trip() {
    let dir = TempDir::new("watch-json");
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9\xff\nline");
    std::fs::create_dir(dir.path().join(odd)).unwrap();
    let mut cmd = zinotifywatch();
    cmd.arg("--json").arg(odd).current_dir(dir.path());
    let watcher = Watcher::start_until(cmd, READY);
    std::fs::write(dir.path().join(odd).join("x"), b"").unwrap();
    settle(&watcher);
    let out = watcher.stop();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &value["rows"][0];
    let bytes: Vec<u8> = row["path_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(bytes, b"caf\xe9\xff\nline/");
    assert_eq!(row["path"], "caf\u{fffd}\u{fffd}\nline/");
}

#[test]
fn help_lists_every_option() {
    let out = zinotifywatch().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--help",
        "--verbose",
        "--fromfile",
        "--exclude",
        "--excludei",
        "--include",
        "--includei",
        "--zero",
        "--recursive",
        "--no-dereference",
        "--timeout",
        "--event",
        "--ascending",
        "--descending",
        "--json",
        "@<file>",
    ] {
        assert!(help.contains(option), "{option} missing from --help");
    }
}

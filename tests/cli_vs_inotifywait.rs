//! zinotify against inotifywait 3.22, side by side: both watch the same
//! directory at the same time, one script changes it, and their outputs
//! must be the same line for line. Where zinotify differs on purpose, the
//! test says which difference it is and checks zinotify's behaviour.
//!
//! Runs when `inotifywait` is installed; with `CI` set, a missing
//! inotifywait fails the test.
#![cfg(feature = "cli")]

mod common;

// The pure formatting functions of the command, checked below against what
// inotifywait prints for the same kernel events.
#[allow(dead_code)]
#[path = "../src/bin/zinotify/format.rs"]
mod format;

use common::TempDir;
use common::cli::{Watcher, have_inotifywait, lines, show, zinotify};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

/// The events the comparison watches (all but access, open and
/// close_nowrite, which our own test harness would add noise to).
const EVENTS: &str =
    "create,delete,modify,attrib,close_write,moved_from,moved_to,delete_self,move_self";

/// Output formats compared, as extra arguments.
const FORMATS: [&[&str]; 3] = [&[], &["--format", "%w|%f|%e|%:e|%%|%0"], &["--csv"]];

fn pause() {
    sleep(Duration::from_millis(30));
}

/// Names that need care: spaces, commas, quotes, a newline, not UTF-8.
const ODD_NAMES: [&[u8]; 7] = [
    b"with space",
    b"comma,name",
    b"quote\"d",
    b" lead",
    b"trail ",
    b"new\nline",
    b"caf\xe9\xff",
];

/// Changes files directly in `dir`: every kind of event in [`EVENTS`].
fn flat_script(dir: &Path) {
    let plain = dir.join("plain");
    std::fs::write(&plain, b"one").unwrap();
    pause();
    common::append(&plain, b"two");
    pause();
    std::fs::set_permissions(&plain, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    pause();
    std::fs::rename(&plain, dir.join("renamed file")).unwrap();
    pause();
    std::fs::create_dir(dir.join("dir one")).unwrap();
    pause();
    std::fs::rename(dir.join("dir one"), dir.join("dir,two")).unwrap();
    pause();
    for name in ODD_NAMES {
        std::fs::write(dir.join(OsStr::from_bytes(name)), b"").unwrap();
        pause();
    }
    for name in ODD_NAMES {
        std::fs::remove_file(dir.join(OsStr::from_bytes(name))).unwrap();
        pause();
    }
    std::fs::remove_file(dir.join("renamed file")).unwrap();
    pause();
    std::fs::remove_dir(dir.join("dir,two")).unwrap();
    pause();
}

/// Starts `program` with `-m -e EVENTS`, `extra` and `path`.
fn start(program: Command, extra: &[&str], path: &Path) -> Watcher {
    let mut cmd = program;
    cmd.args(["-m", "-e", EVENTS]).args(extra).arg(path);
    Watcher::start(cmd)
}

/// Runs `script` once under one zinotify and one inotifywait per format,
/// all watching at once, and returns (zinotify lines, inotifywait lines)
/// per format.
/// Output lines of zinotify and of inotifywait, for one format.
type Pair = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn both(extra: &[&str], path: &Path, script: impl FnOnce()) -> Vec<Pair> {
    let watchers: Vec<(Watcher, Watcher)> = FORMATS
        .iter()
        .map(|format| {
            let args: Vec<&str> = extra.iter().chain(format.iter()).copied().collect();
            (
                start(zinotify(), &args, path),
                start(Command::new("inotifywait"), &args, path),
            )
        })
        .collect();
    script();
    sleep(Duration::from_millis(300));
    watchers
        .into_iter()
        .map(|(z, i)| {
            let (z, i) = (z.stop(), i.stop());
            assert_eq!(z.status.code(), Some(0), "zinotify ends with 0 on SIGTERM");
            (lines(&z.stdout), lines(&i.stdout))
        })
        .collect()
}

/// Asserts that zinotify printed what inotifywait printed, in every
/// format, and that inotifywait printed at least `min_lines` lines.
fn assert_same(results: &[Pair], min_lines: usize) {
    for ((z, i), format) in results.iter().zip(FORMATS) {
        assert!(
            i.len() >= min_lines,
            "inotifywait saw too little:\n{}",
            show(i)
        );
        assert_eq!(show(z), show(i), "format {format:?}");
    }
}

#[test]
fn flat_watch_prints_what_inotifywait_prints() {
    if !have_inotifywait("flat_watch_prints_what_inotifywait_prints") {
        return;
    }
    let tmp = TempDir::new("vs-flat");
    let watched = tmp.path().join("watched");
    std::fs::create_dir(&watched).unwrap();
    let results = both(&[], &watched, || {
        flat_script(&watched);
        // The watched directory itself goes last: DELETE_SELF.
        std::fs::remove_dir(&watched).unwrap();
    });
    assert_same(&results, 21);
}

#[test]
fn a_watched_file_prints_what_inotifywait_prints() {
    if !have_inotifywait("a_watched_file_prints_what_inotifywait_prints") {
        return;
    }
    let tmp = TempDir::new("vs-file");
    let file = tmp.path().join("file, watched");
    std::fs::write(&file, b"").unwrap();
    let results = both(&[], &file, || {
        common::append(&file, b"x");
        pause();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        pause();
        std::fs::rename(&file, tmp.path().join("moved")).unwrap();
        pause();
        std::fs::remove_file(tmp.path().join("moved")).unwrap();
    });
    assert_same(&results, 5);
}

/// `format::event_names` against inotifywait's `%e`, event by event, for
/// the masks the kernel really sends (zinotify's engine reads the same
/// directory in this process, so it sees the masks inotifywait formats).
#[test]
fn event_names_match_inotifywait_for_real_masks() {
    if !have_inotifywait("event_names_match_inotifywait_for_real_masks") {
        return;
    }
    use zinotify::{EventMask, Inotify, WatchMask};
    let tmp = TempDir::new("vs-names");
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    let inotify = Inotify::new().unwrap();
    inotify.add_watch(&dir, WatchMask::ALL_EVENTS).unwrap();
    let mut cmd = Command::new("inotifywait");
    cmd.args(["-m", "--format", "%e"]).arg(&dir);
    let watcher = Watcher::start(cmd);

    let mut ours = Vec::new();
    let mut buf = [0u8; 4096];
    let mut step = |op: &dyn Fn()| {
        op();
        // Drain after each step, as inotifywait does, so the kernel merges
        // the same events for both readers.
        while let Ok(batch) = inotify.wait_events(&mut buf, Some(Duration::from_millis(50))) {
            let mut any = false;
            for event in batch {
                let event = event.unwrap();
                any = true;
                if event.mask.intersects(EventMask::ALL_EVENTS) {
                    let mut line = Vec::new();
                    format::event_names(event.mask, b',', &mut line);
                    ours.push(line);
                }
            }
            if !any {
                break;
            }
        }
    };
    let f = dir.join("f");
    let sub = dir.join("sub");
    step(&|| std::fs::write(&f, b"data").unwrap());
    step(&|| drop(std::fs::read(&f).unwrap()));
    step(&|| {
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap()
    });
    step(&|| std::fs::create_dir(&sub).unwrap());
    step(&|| {
        std::fs::read_dir(&sub).unwrap().count();
    });
    step(&|| {
        std::fs::read_dir(&dir).unwrap().count();
    });
    step(&|| std::fs::rename(&sub, dir.join("sub2")).unwrap());
    step(&|| std::fs::rename(&f, dir.join("g")).unwrap());
    step(&|| std::fs::remove_file(dir.join("g")).unwrap());
    step(&|| std::fs::remove_dir(dir.join("sub2")).unwrap());
    sleep(Duration::from_millis(200));
    let mut theirs = lines(&watcher.stop().stdout);
    assert!(theirs.len() > 15, "{}", show(&theirs));
    // The kernel merges an event identical to the one still queued; the two
    // readers drain at different moments, so compare without repeats.
    ours.dedup();
    theirs.dedup();
    assert_eq!(show(&ours), show(&theirs));
    // The multi-bit masks really were there.
    for needle in [
        "CLOSE_WRITE,CLOSE",
        "CLOSE_NOWRITE,CLOSE,ISDIR",
        "CREATE,ISDIR",
        "MOVED_FROM,ISDIR",
    ] {
        assert!(
            theirs.iter().any(|l| l == needle.as_bytes()),
            "{needle} not seen"
        );
    }
}

fn slow_pause() {
    // Long enough for inotifywait to add the watch on a new directory.
    sleep(Duration::from_millis(200));
}

/// Changes a tree: nested directories made one by one, renamed (twice),
/// odd names deep down, a subtree deleted.
fn tree_script(root: &Path) {
    std::fs::create_dir(root.join("a")).unwrap();
    slow_pause();
    std::fs::create_dir(root.join("a/b")).unwrap();
    slow_pause();
    std::fs::write(root.join("a/b/f"), b"1").unwrap();
    pause();
    std::fs::rename(root.join("a"), root.join("a2")).unwrap();
    slow_pause();
    std::fs::write(root.join("a2/b/g"), b"2").unwrap();
    pause();
    std::fs::rename(root.join("a2"), root.join("a, 3")).unwrap();
    slow_pause();
    std::fs::rename(root.join("a, 3/b"), root.join("a, 3/c")).unwrap();
    slow_pause();
    for name in ODD_NAMES {
        std::fs::write(root.join("a, 3/c").join(OsStr::from_bytes(name)), b"").unwrap();
        pause();
    }
    std::fs::write(root.join("pre/deep/h"), b"3").unwrap();
    pause();
    std::fs::remove_dir_all(root.join("a, 3")).unwrap();
    slow_pause();
}

/// A tree with something in it before the watchers start.
fn make_tree(tmp: &TempDir) -> std::path::PathBuf {
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("pre/deep")).unwrap();
    std::fs::write(root.join("pre/file"), b"").unwrap();
    root
}

#[test]
fn recursive_watch_prints_what_inotifywait_prints() {
    if !have_inotifywait("recursive_watch_prints_what_inotifywait_prints") {
        return;
    }
    let tmp = TempDir::new("vs-tree");
    let root = make_tree(&tmp);
    let results = both(&["-r"], &root, || tree_script(&root));
    assert_same(&results, 26);
}

/// Difference on purpose: a directory moved out of the tree stops
/// producing events in zinotify; inotifywait keeps the watches of its
/// subdirectories and prints their events under the old path.
#[test]
fn recursive_a_directory_moved_out_goes_quiet() {
    if !have_inotifywait("recursive_a_directory_moved_out_goes_quiet") {
        return;
    }
    let tmp = TempDir::new("vs-moved-out");
    let root = make_tree(&tmp);
    let outside = tmp.path().join("outside");
    let results = both(&["-r"], &root, || {
        std::fs::rename(root.join("pre"), &outside).unwrap();
        slow_pause();
        std::fs::write(outside.join("deep/after"), b"").unwrap();
        slow_pause();
    });
    let (z, i) = &results[0];
    let after = |lines: &[Vec<u8>]| lines.iter().filter(|l| l.ends_with(b" after")).count();
    assert!(
        after(i) > 0,
        "inotifywait (the difference is gone?):\n{}",
        show(i)
    );
    assert_eq!(after(z), 0, "zinotify:\n{}", show(z));
    // Up to the move, both print the same.
    let root_shown = format!("{}/", root.display());
    let moved = [
        format!("{root_shown} MOVED_FROM,ISDIR pre"),
        format!("{root_shown}pre/ MOVE_SELF "),
    ];
    let expected: Vec<String> = moved.to_vec();
    let got: Vec<String> = z
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    assert_eq!(got, expected);
}

/// Difference on purpose: zinotify lists a new directory after watching
/// it, so what was made in it before the watch existed is printed too
/// (inotifywait may miss it; a duplicate CREATE is possible, a miss is not).
#[test]
fn recursive_files_made_before_the_watch_are_reported() {
    if !have_inotifywait("recursive_files_made_before_the_watch_are_reported") {
        return;
    }
    let tmp = TempDir::new("vs-race");
    let root = make_tree(&tmp);
    let results = both(&["-r"], &root, || {
        for n in 0..20 {
            let deep = root.join(format!("n{n}/x/y"));
            std::fs::create_dir_all(&deep).unwrap();
            std::fs::write(deep.join("f"), b"").unwrap();
        }
        slow_pause();
    });
    let (z, _) = &results[0];
    let root_shown = format!("{}/", root.display());
    for n in 0..20 {
        for line in [
            format!("{root_shown} CREATE,ISDIR n{n}"),
            format!("{root_shown}n{n}/ CREATE,ISDIR x"),
            format!("{root_shown}n{n}/x/ CREATE,ISDIR y"),
            format!("{root_shown}n{n}/x/y/ CREATE f"),
        ] {
            assert!(
                z.iter().any(|l| l == line.as_bytes()),
                "missing {line:?} in:\n{}",
                show(z)
            );
        }
    }
}

/// Starts zinotify and inotifywait with the same `args`, in `cwd` (so
/// relative paths print the same), runs `script`, and collects both:
/// after SIGTERM under `-m`, else once they exit on their own.
fn side_by_side(
    cwd: &Path,
    args: &[&str],
    script: impl FnOnce(),
) -> (common::cli::Output, common::cli::Output) {
    let monitor = args.contains(&"-m");
    let start = |mut cmd: Command| {
        cmd.current_dir(cwd).args(args);
        Watcher::start(cmd)
    };
    let (z, i) = (start(zinotify()), start(Command::new("inotifywait")));
    script();
    sleep(Duration::from_millis(300));
    if monitor {
        (z.stop(), i.stop())
    } else {
        (z.wait(), i.wait())
    }
}

/// Asserts both printed the same lines, and (without `-m`) ended with the
/// same status; returns zinotify's standard error.
fn assert_same_run((z, i): &(common::cli::Output, common::cli::Output), args: &[&str]) -> String {
    assert_eq!(
        show(&lines(&z.stdout)),
        show(&lines(&i.stdout)),
        "{args:?}\nzinotify stderr: {}\ninotifywait stderr: {}",
        z.stderr.escape_ascii(),
        i.stderr.escape_ascii()
    );
    if !args.contains(&"-m") {
        assert_eq!(z.status.code(), i.status.code(), "{args:?}");
    }
    String::from_utf8_lossy(&z.stderr).into_owned()
}

/// Runs a command that refuses its arguments, and returns (status, stderr).
fn refused(mut cmd: Command, cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = cmd.current_dir(cwd).args(args).output().unwrap();
    assert!(out.stdout.is_empty());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Events without the noise of the tests' own directory reads.
const QUIET_EVENTS: &str = "create,modify,close_write,moved_from,moved_to,delete,move_self";

#[test]
fn cookie_pairs_moves_as_in_inotifywait() {
    if !have_inotifywait("cookie_pairs_moves_as_in_inotifywait") {
        return;
    }
    let tmp = TempDir::new("vs-cookie");
    std::fs::create_dir(tmp.join("d")).unwrap();
    let args = [
        "-m",
        "-e",
        "create,moved_from,moved_to",
        "--format",
        "%c|%e|%f|%ce|%w",
        "d",
    ];
    let runs = side_by_side(tmp.path(), &args, || {
        std::fs::write(tmp.join("d/a"), b"").unwrap();
        pause();
        std::fs::rename(tmp.join("d/a"), tmp.join("d/b")).unwrap();
        pause();
        std::fs::create_dir(tmp.join("d/s")).unwrap();
        pause();
        std::fs::rename(tmp.join("d/s"), tmp.join("d/t")).unwrap();
    });
    assert_same_run(&runs, &args);
    let z = lines(&runs.0.stdout);
    assert_eq!(z.len(), 6, "{}", show(&z));
    assert!(z[0].starts_with(b"0|CREATE|a|0e|"), "{}", show(&z));
    // MOVED_FROM and MOVED_TO share one non-zero cookie.
    let cookie = |l: &[u8]| l.split(|&b| b == b'|').next().unwrap().to_vec();
    assert_ne!(cookie(&z[1]), b"0");
    assert_eq!(cookie(&z[1]), cookie(&z[2]));
}

#[test]
fn events_the_kernel_always_sends_can_be_asked_for_alone() {
    if !have_inotifywait("events_the_kernel_always_sends_can_be_asked_for_alone") {
        return;
    }
    let tmp = TempDir::new("vs-alone");
    for event in ["unmount", "q_overflow", "ignored", "isdir"] {
        std::fs::create_dir(tmp.join("gone")).unwrap();
        let args = ["-e", event, "gone"];
        let runs = side_by_side(tmp.path(), &args, || {
            std::fs::create_dir(tmp.join("gone/sub")).unwrap();
            pause();
            std::fs::remove_dir(tmp.join("gone/sub")).unwrap();
            std::fs::remove_dir(tmp.join("gone")).unwrap();
        });
        // IGNORED comes whatever the mask: printed (status 0) when asked
        // for, else status 1.
        assert_same_run(&runs, &args);
    }
}

#[test]
fn oneshot_alone_watches_for_nothing_as_in_inotifywait() {
    if !have_inotifywait("oneshot_alone_watches_for_nothing_as_in_inotifywait") {
        return;
    }
    let tmp = TempDir::new("vs-oneshot");
    std::fs::create_dir(tmp.join("d")).unwrap();
    for events in ["oneshot", "oneshot,create"] {
        let args = ["-t", "1", "-e", events, "d"];
        let runs = side_by_side(tmp.path(), &args, || {
            std::fs::write(tmp.join(&format!("d/{}", events.len())), b"").unwrap();
        });
        assert_same_run(&runs, &args);
    }
}

#[test]
fn a_symlinked_root_is_recursed_into() {
    if !have_inotifywait("a_symlinked_root_is_recursed_into") {
        return;
    }
    let tmp = TempDir::new("vs-symlink-root");
    std::fs::create_dir_all(tmp.join("real/sub")).unwrap();
    std::os::unix::fs::symlink("real", tmp.join("link")).unwrap();
    for root in ["link", "link/"] {
        let args = ["-m", "-r", "-e", QUIET_EVENTS, root];
        let runs = side_by_side(tmp.path(), &args, || {
            std::fs::write(tmp.join("link/sub/f"), b"x").unwrap();
            pause();
            std::fs::remove_file(tmp.join("real/sub/f")).unwrap();
            pause();
            std::fs::write(tmp.join("link/top"), b"").unwrap();
            pause();
            std::fs::remove_file(tmp.join("link/top")).unwrap();
            // A directory made later is watched too.
            std::fs::create_dir(tmp.join("link/new")).unwrap();
            slow_pause();
            std::fs::write(tmp.join("link/new/x"), b"x").unwrap();
            pause();
            std::fs::remove_dir_all(tmp.join("real/new")).unwrap();
        });
        assert_same_run(&runs, &args);
        assert!(lines(&runs.0.stdout).len() >= 10, "{root}");
    }
    // -P on a symlink to a file: the link itself is watched, so writing
    // its target prints nothing, in both.
    std::fs::write(tmp.join("target"), b"").unwrap();
    std::os::unix::fs::symlink("target", tmp.join("file link")).unwrap();
    for extra in [&["-P"][..], &[]] {
        let mut args = vec!["-m", "-r", "-e", QUIET_EVENTS, "file link"];
        args.extend_from_slice(extra);
        let runs = side_by_side(tmp.path(), &args, || {
            std::fs::write(tmp.join("target"), b"data").unwrap();
        });
        assert_same_run(&runs, &args);
        assert_eq!(lines(&runs.1.stdout).is_empty(), !extra.is_empty());
    }
}

#[test]
fn a_root_given_twice_or_overlapping_is_watched_once_without_a_warning() {
    if !have_inotifywait("a_root_given_twice_or_overlapping_is_watched_once_without_a_warning") {
        return;
    }
    let tmp = TempDir::new("vs-twice");
    std::fs::create_dir_all(tmp.join("d/sub/deep")).unwrap();
    let absolute = tmp.join("d");
    let absolute = absolute.to_str().unwrap();
    for roots in [
        &["d", "d"][..],
        &["d", "d/"],
        &["d", absolute],
        &["d/sub", "d"],
        &["d", "d/sub"],
        &["d", "@d"],
    ] {
        let mut args = vec!["-m", "-r", "-e", QUIET_EVENTS];
        args.extend_from_slice(roots);
        let runs = side_by_side(tmp.path(), &args, || {
            std::fs::write(tmp.join("d/sub/deep/f"), b"x").unwrap();
            pause();
            std::fs::write(tmp.join("d/g"), b"x").unwrap();
            pause();
            std::fs::remove_file(tmp.join("d/sub/deep/f")).unwrap();
            std::fs::remove_file(tmp.join("d/g")).unwrap();
        });
        let stderr = assert_same_run(&runs, &args);
        assert!(!lines(&runs.1.stdout).is_empty(), "{roots:?}");
        assert_eq!(
            stderr,
            "Setting up watches.  Beware: since -r was given, this may take a while!\n\
             Watches established.\n",
            "{roots:?}"
        );
    }
}

#[test]
fn an_empty_time_and_a_lone_final_percent_print_nothing() {
    if !have_inotifywait("an_empty_time_and_a_lone_final_percent_print_nothing") {
        return;
    }
    let tmp = TempDir::new("vs-empty-line");
    std::fs::create_dir(tmp.join("d")).unwrap();
    for (n, args) in [
        &[
            "-m",
            "-e",
            "create",
            "--timefmt",
            "",
            "--format",
            "x%T|%f",
            "d",
        ][..],
        &[
            "-m",
            "-e",
            "create",
            "--timefmt",
            "%H",
            "--format",
            "%f|%c",
            "d",
        ],
        &["-e", "create", "--no-newline", "--format", "%f%", "d"],
        &["-e", "create", "--no-newline", "--format", "%f %%", "d"],
        &["-m", "-e", "create", "--format", "%f%", "d"],
    ]
    .into_iter()
    .enumerate()
    {
        let runs = side_by_side(tmp.path(), args, || {
            std::fs::write(tmp.join(&format!("d/f{n}")), b"").unwrap();
        });
        assert_same_run(&runs, args);
    }
}

#[test]
fn arguments_inotifywait_refuses_are_refused() {
    if !have_inotifywait("arguments_inotifywait_refuses_are_refused") {
        return;
    }
    let tmp = TempDir::new("vs-refused");
    std::fs::create_dir(tmp.join("d")).unwrap();
    for (args, needle) in [
        (
            &["--no-newline", "--format", "%f", "d"][..],
            "format string",
        ),
        (&["--no-newline", "--format", "%w%f", "d"], "format string"),
        (&["--exclude", "a", "--excludei", "b", "d"], "cannot both"),
        (&["--include", "a", "--includei", "b", "d"], "cannot both"),
    ] {
        let (z_code, z_err) = refused(zinotify(), tmp.path(), args);
        let (i_code, i_err) = refused(Command::new("inotifywait"), tmp.path(), args);
        assert_eq!(z_code, i_code, "{args:?}: {z_err} / {i_err}");
        assert!(
            z_err.contains(needle) && i_err.contains(needle),
            "{args:?}: {z_err} / {i_err}"
        );
    }
}

/// Difference on purpose: once the root of `-m -r` is moved away (or
/// deleted) zinotify says so and exits 1; inotifywait goes on printing
/// the moved directory's events under its old path, which no longer
/// exists (and, when it is deleted, waits forever).
#[test]
fn recursive_root_moved_away_ends_with_1() {
    if !have_inotifywait("recursive_root_moved_away_ends_with_1") {
        return;
    }
    let tmp = TempDir::new("vs-root-moved");
    std::fs::create_dir_all(tmp.join("d/sub")).unwrap();
    let mut cmd = zinotify();
    cmd.current_dir(tmp.path())
        .args(["-m", "-r", "-e", QUIET_EVENTS, "d"]);
    let z = Watcher::start(cmd);
    let mut cmd = Command::new("inotifywait");
    cmd.current_dir(tmp.path())
        .args(["-m", "-r", "-e", QUIET_EVENTS, "d"]);
    let i = Watcher::start(cmd);
    std::fs::rename(tmp.join("d"), tmp.join("moved")).unwrap();
    slow_pause();
    std::fs::write(tmp.join("moved/sub/after"), b"").unwrap();
    let z = z.wait();
    slow_pause();
    let i = i.stop();
    assert_eq!(z.status.code(), Some(1));
    assert_eq!(show(&lines(&z.stdout)), "d/ MOVE_SELF \n");
    assert!(
        String::from_utf8_lossy(&z.stderr).contains("no watched path is left"),
        "{}",
        z.stderr.escape_ascii()
    );
    let theirs = show(&lines(&i.stdout));
    assert!(
        theirs.starts_with("d/ MOVE_SELF \n") && theirs.contains("d/sub/ CREATE after"),
        "inotifywait (the difference is gone?):\n{theirs}"
    );
}

/// A project with `node_modules` holding 100 packages of 2 directories
/// each, beside a small `src`.
fn project(tmp: &TempDir) -> std::path::PathBuf {
    let root = tmp.path().join("proj");
    std::fs::create_dir_all(root.join("src/lib")).unwrap();
    for n in 0..100 {
        std::fs::create_dir_all(root.join(format!("node_modules/p{n}/lib"))).unwrap();
    }
    root
}

/// `@path` leaves the subtree unwatched at watch time, as in inotifywait:
/// the same number of kernel watches; `--prune` (zinotify's own) gets
/// there by regular expression, and also for a directory made later.
#[test]
fn pruned_subtrees_hold_no_kernel_watch() {
    if !have_inotifywait("pruned_subtrees_hold_no_kernel_watch") {
        return;
    }
    let tmp = TempDir::new("vs-prune");
    let root = project(&tmp);
    let start = |mut cmd: Command, extra: &[&str]| {
        cmd.current_dir(tmp.path())
            .args(["-m", "-r", "-e", "create", "proj"])
            .args(extra);
        Watcher::start(cmd)
    };
    let theirs = start(Command::new("inotifywait"), &["@proj/node_modules"]);
    let at = start(zinotify(), &["@proj/node_modules/"]);
    let regex = start(zinotify(), &["--prune", "(^|/)node_modules$"]);
    let ignoring_case = start(zinotify(), &["--prunei", "/NODE_MODULES$"]);
    let everything = start(zinotify(), &[]);
    let expected = theirs.kernel_watches();
    // proj, proj/src, proj/src/lib.
    assert_eq!(expected, 3);
    for z in [&at, &regex, &ignoring_case] {
        assert_eq!(z.kernel_watches(), expected);
    }
    assert_eq!(everything.kernel_watches(), 3 + 1 + 200);

    // Later: a new node_modules is pruned by the regex (its parent's CREATE
    // is printed; nothing inside it is watched or listed).
    std::fs::create_dir_all(root.join("web/node_modules/q/lib")).unwrap();
    slow_pause();
    std::fs::write(root.join("node_modules/p1/lib/x"), b"").unwrap();
    std::fs::write(root.join("web/node_modules/q/lib/y"), b"").unwrap();
    slow_pause();
    assert_eq!(regex.kernel_watches(), expected + 1);
    assert_eq!(ignoring_case.kernel_watches(), expected + 1);
    let out = regex.stop();
    // `node_modules` made between web's watch and its listing is reported
    // by both (the tree's documented duplicate, never a miss).
    let mut printed = lines(&out.stdout);
    printed.dedup();
    assert_eq!(
        show(&printed),
        "proj/ CREATE,ISDIR web\nproj/web/ CREATE,ISDIR node_modules\n"
    );
    let out = at.stop();
    let printed = show(&lines(&out.stdout));
    assert!(!printed.contains(" x\n"), "{printed}");
    for w in [theirs, ignoring_case, everything] {
        w.stop();
    }
}

/// `-r` with a regular file among the paths: one inotify instance for
/// both, so the order of the file's events and the tree's is
/// inotifywait's, and so is the kernel's merging: in one queue a file's
/// MODIFY with a CREATE between them is never merged (in a second queue of
/// the file's own, they were: four came out as one).
#[test]
fn recursive_with_a_file_keeps_the_order_and_the_merging() {
    if !have_inotifywait("recursive_with_a_file_keeps_the_order_and_the_merging") {
        return;
    }
    use std::io::Write;
    let tmp = TempDir::new("vs-r-file");
    std::fs::create_dir_all(tmp.join("d/sub")).unwrap();
    std::fs::write(tmp.join("file"), b"").unwrap();
    let args = ["-m", "-r", "-e", "modify,create,move_self", "file", "d"];
    let runs = side_by_side(tmp.path(), &args, || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(tmp.join("file"))
            .unwrap();
        // No pause: the events queue up back to back.
        for n in 0..4 {
            f.write_all(b"x").unwrap();
            std::fs::write(tmp.join(&format!("d/sub/n{n}")), b"").unwrap();
        }
        pause();
        std::fs::rename(tmp.join("file"), tmp.join("moved")).unwrap();
        pause();
        f.write_all(b"after the move").unwrap();
    });
    assert_same_run(&runs, &args);
    assert_eq!(lines(&runs.1.stdout).len(), 10);
}

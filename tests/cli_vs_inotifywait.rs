//! zinotify against inotifywait 3.22, side by side: both watch the same
//! directory at the same time, one script changes it, and their outputs
//! must be the same line for line. Where zinotify differs on purpose, the
//! test says which difference it is and checks zinotify's behaviour.
//!
//! Runs when `inotifywait` is installed; with `CI` set, a missing
//! inotifywait fails the test.
#![cfg(feature = "cli")]

mod cli_common;

// The pure formatting functions of the command, checked below against what
// inotifywait prints for the same kernel events.
#[allow(dead_code)]
#[path = "../src/bin/zinotify/format.rs"]
mod format;

use cli_common::{TempDir, Watcher, have_inotifywait, lines, show, zinotify};
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
    use std::io::Write;
    let plain = dir.join("plain");
    std::fs::write(&plain, b"one").unwrap();
    pause();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&plain)
        .unwrap()
        .write_all(b"two")
        .unwrap();
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

#[test]
fn flat_watch_prints_what_inotifywait_prints() {
    if !have_inotifywait("flat_watch_prints_what_inotifywait_prints") {
        return;
    }
    let tmp = TempDir::new("vs-flat");
    let watched = tmp.join("watched");
    std::fs::create_dir(&watched).unwrap();
    let results = both(&[], &watched, || {
        flat_script(&watched);
        // The watched directory itself goes last: DELETE_SELF.
        std::fs::remove_dir(&watched).unwrap();
    });
    for ((z, i), format) in results.iter().zip(FORMATS) {
        assert!(i.len() > 20, "inotifywait saw too little:\n{}", show(i));
        assert_eq!(show(z), show(i), "format {format:?}");
    }
}

#[test]
fn a_watched_file_prints_what_inotifywait_prints() {
    if !have_inotifywait("a_watched_file_prints_what_inotifywait_prints") {
        return;
    }
    let tmp = TempDir::new("vs-file");
    let file = tmp.join("file, watched");
    std::fs::write(&file, b"").unwrap();
    let results = both(&[], &file, || {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .write_all(b"x")
            .unwrap();
        pause();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        pause();
        std::fs::rename(&file, tmp.join("moved")).unwrap();
        pause();
        std::fs::remove_file(tmp.join("moved")).unwrap();
    });
    for ((z, i), format) in results.iter().zip(FORMATS) {
        assert!(i.len() >= 5, "inotifywait saw too little:\n{}", show(i));
        assert_eq!(show(z), show(i), "format {format:?}");
    }
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
    let dir = tmp.join("d");
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

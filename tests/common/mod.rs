//! Helpers shared by the integration tests, one crate layout for all:
//! here, a temporary directory that cleans up after itself, a loop that
//! reads real kernel events until a condition holds or a timeout passes,
//! re-running one test in a child process (in a user namespace of its own,
//! to lower limits safely), and counting a descriptor's kernel watches;
//! in submodules, what one kind of test needs: [`engine`] (the flat
//! loop), [`tree`] (recursive trees), [`cli`] (the commands as child
//! processes), [`counting`] (a counting allocator), [`storms`] (the
//! storms of issue 10) and [`interrupt`] (a wait interrupted by a signal).
//!
//! Each test crate includes this with `mod common;` and uses only part of
//! it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod cli;
pub mod counting;
pub mod engine;
pub mod interrupt;
pub mod storms;
pub mod tree;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zinotify::{Event, EventMask, Inotify};

/// A fresh, empty directory under `std::env::temp_dir()`, removed with
/// everything in it when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `zinotify-<tag>-<pid>-<n>`; `tag` helps find leftovers of a
    /// crashed test.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("zinotify-{tag}-{}-{n}", std::process::id()));
        // A leftover from an earlier run with the same pid would hold stale
        // entries; start from nothing.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self { path }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as bytes: tests pass `&[u8]` so they also build without the
    /// library's `std` feature (no `PathBytes for Path` there).
    pub fn bytes(&self) -> &[u8] {
        self.path.as_os_str().as_bytes()
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The path of `rel` inside the directory (the directory itself for
    /// `""`) as a `String` ending in `/`, as a tree event's `dir` and
    /// inotifywait's `%w` spell a directory.
    pub fn dir(&self, rel: &str) -> String {
        if rel.is_empty() {
            format!("{}/", self.path.display())
        } else {
            format!("{}/{rel}/", self.path.display())
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// An [`Event`] (or a flat loop's `WatchEvent`, with its watch path) that
/// owns its name, so it outlives the read buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedEvent {
    pub wd: i32,
    pub mask: EventMask,
    pub cookie: u32,
    pub len: u32,
    pub name: Vec<u8>,
    /// The watch's path, for an event a `WatchTable` resolved.
    pub watch_path: Option<Vec<u8>>,
}

impl From<Event<'_>> for OwnedEvent {
    fn from(e: Event<'_>) -> Self {
        Self {
            wd: e.wd,
            mask: e.mask,
            cookie: e.cookie,
            len: e.len,
            name: e.name.to_vec(),
            watch_path: None,
        }
    }
}

impl From<&zinotify::WatchEvent<'_>> for OwnedEvent {
    fn from(e: &zinotify::WatchEvent<'_>) -> Self {
        Self {
            watch_path: e.watch_path.map(<[u8]>::to_vec),
            ..Self::from(e.event)
        }
    }
}

/// What [`read_until`] collected: the parsed events, and the raw bytes the
/// kernel returned (every read appended in order; each read holds whole
/// events, so `raw` is itself a valid event stream).
#[derive(Debug, Default)]
pub struct Recorded {
    pub events: Vec<OwnedEvent>,
    pub raw: Vec<u8>,
}

/// Reads events with [`Inotify::wait_events`] until `done(&events so far)`
/// holds or `timeout` passes, whichever is first. Panics on a read or parse
/// error: the kernel's bytes must always parse.
pub fn read_until(
    inotify: &Inotify,
    timeout: Duration,
    mut done: impl FnMut(&[OwnedEvent]) -> bool,
) -> Recorded {
    let deadline = Instant::now() + timeout;
    let mut recorded = Recorded::default();
    let mut buf = [0u8; 4096];
    while !done(&recorded.events) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let events = inotify
            .wait_events(&mut buf, Some(left))
            .expect("wait_events");
        recorded.raw.extend_from_slice(events.remaining());
        for event in events {
            recorded
                .events
                .push(event.expect("kernel bytes parse").into());
        }
    }
    recorded
}

/// Whether this runs under CI, where a test that needs an outside tool must
/// fail rather than skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Runs `test` of this test binary again in a new user namespace (`unshare
/// --user --map-root-user`) with `env` set, so that the child can lower the
/// namespace's own inotify limits (`/proc/sys/user/max_inotify_*`) without
/// touching the machine's. Returns `None`, after saying so, when user
/// namespaces are not available here (never under CI: there it fails).
pub fn rerun_in_user_namespace(
    test: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> Option<std::process::Output> {
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .output();
    match out {
        // The child started the test: whatever it says now is the test's.
        // unshare(1) words its own failures differently across versions
        // ("unshare failed", "write failed /proc/self/uid_map", ...).
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("running 1 test") => Some(out),
        other => {
            assert!(
                !in_ci(),
                "CI needs unshare(1) and user namespaces: {other:?}"
            );
            eprintln!("skipped: cannot create a user namespace here: {other:?}");
            None
        }
    }
}

/// Checks a child test process's output says its one test passed.
pub fn assert_passed(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How many watches the kernel holds on inotify descriptor `fd` of this
/// process: the `inotify wd:` lines of its `/proc/self/fdinfo` entry.
pub fn kernel_watch_count(fd: rustix::fd::BorrowedFd<'_>) -> usize {
    use rustix::fd::AsRawFd;
    watches_in_fdinfo(&format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
}

/// How many watches process `pid` holds, over all its descriptors.
pub fn process_watches(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .map(|fds| {
            fds.filter_map(Result::ok)
                .map(|fd| watches_in_fdinfo(&fd.path().to_string_lossy()))
                .sum()
        })
        .unwrap_or(0)
}

/// The `inotify wd:` lines of one fdinfo file (0 if it cannot be read:
/// the descriptor, or its process, is gone).
pub fn watches_in_fdinfo(path: &str) -> usize {
    std::fs::read_to_string(path)
        .map(|info| {
            info.lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .unwrap_or(0)
}

/// Appends `bytes` to the existing file `path`: one `MODIFY` (a
/// truncating write makes two in a row, which the kernel merges or not
/// depending on how fast the reader is).
pub fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

//! A `#![no_std]` program with no global allocator (nothing here or in
//! zinotify uses `alloc`): it watches a fresh directory under /tmp, creates
//! a file in it, and prints the event it got, all through rustix system
//! calls. Then it watches a directory tree recursively with a tree whose
//! fixed storage lives in a `static` ([`TREE`]), creates a file two levels
//! down, and prints that event with its full path.
//!
//! How it starts: `#![no_main]` with an `extern "C" fn main`, linked against
//! the C runtime's start files (`crt1.o`) and libc, which only set up the
//! process, call `main`, and exit with its return value. That works on stable
//! Rust on any Linux target with a C toolchain, with no assembly and no
//! nightly features; the `origin` crate could remove libc entirely, but adds
//! its own start-up code to trust, and what this program proves is about
//! zinotify, which uses no libc either way (rustix's linux_raw backend).
#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use rustix::fs::{Mode, OFlags};
use zinotify::{FixedTreeStorage, InotifyTree, TreeEventKind, tree_index_len_for, tree_name_bytes_for};
use zinotify::{FixedWatchTable, WatcherItem, WatchMask, Watcher, WatcherConfig};

/// A tree's fixed storage: 64 directories, their index and names, inside
/// the value (no heap), `const`-constructible.
type TreeStore = FixedTreeStorage<64, { tree_index_len_for(64) }, { tree_name_bytes_for(64) }>;
/// A recursive watch that owns its storage and its 4 KiB read buffer, so
/// it can live in a `static` for the whole run.
type Tree = InotifyTree<'static, TreeStore, [u8; 4096]>;

/// The tree, in static memory, not on the stack.
static TREE: Once<Option<Tree>> = Once::new(None);

/// A `static` cell handing out its value mutably once: what a `no_std`
/// program without a heap or a mutex keeps a large value in.
struct Once<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reachable only through `take`, which hands it out
// once, to one thread; it may move to that thread, hence `T: Send`.
unsafe impl<T: Send> Sync for Once<T> {}

impl<T> Once<T> {
    const fn new(value: T) -> Self {
        Self {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, the first time; `None` after.
    fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: `taken` was false, so no other reference was ever made.
        Some(unsafe { &mut *self.value.get() })
    }
}

// libc, for crt1.o's `__libc_start_main` and `abort`.
#[link(name = "c")]
unsafe extern "C" {
    fn abort() -> !;
}

/// The precompiled `core` refers to the unwinding personality routine even
/// though this program aborts on panic (`panic = "abort"`) and so never
/// unwinds; stable Rust has no other way to satisfy the linker for a
/// `no_std` binary. Never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut out = Out::new();
    let _ = writeln!(out, "panic: {info}");
    out.flush();
    // SAFETY: abort has no preconditions.
    unsafe { abort() }
}

/// A fixed buffer that `write!` fills and `flush` writes to stdout.
struct Out {
    buf: [u8; 1024],
    len: usize,
}

impl Out {
    fn new() -> Self {
        Self {
            buf: [0; 1024],
            len: 0,
        }
    }

    fn flush(&mut self) {
        // SAFETY: file descriptor 1 stays open for the life of the process.
        let stdout = unsafe { rustix::stdio::stdout() };
        let _ = rustix::io::write(stdout, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let dest = self
            .buf
            .get_mut(self.len..self.len + s.len())
            .ok_or(core::fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// A path written into a fixed buffer.
struct PathBuf {
    buf: [u8; 256],
    len: usize,
}

impl PathBuf {
    fn new(args: core::fmt::Arguments<'_>) -> Self {
        let mut out = Out::new();
        out.write_fmt(args).unwrap();
        let mut path = Self {
            buf: [0; 256],
            len: out.len,
        };
        path.buf[..out.len].copy_from_slice(&out.buf[..out.len]);
        path
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    let pid = rustix::process::getpid().as_raw_nonzero();
    let dir = PathBuf::new(format_args!("/tmp/zinotify-nostd-{pid}"));
    let file = PathBuf::new(format_args!("/tmp/zinotify-nostd-{pid}/hello-nostd.txt"));
    rustix::fs::mkdir(dir.bytes(), Mode::from_raw_mode(0o700)).unwrap();

    let mut watcher = Watcher::from_paths(
        [dir.bytes()],
        WatchMask::CREATE,
        FixedWatchTable::<4, 512>::fixed(),
        [0u8; 1024],
    )
    .unwrap()
    .config(WatcherConfig {
        timeout: Some(Duration::from_secs(5)),
        ..WatcherConfig::default()
    });

    touch(&file);

    let mut out = Out::new();
    let status = loop {
        match watcher.next() {
            Some(Ok(WatcherItem::Event(event))) => {
                let _ = writeln!(out, "{event}");
                break 0;
            }
            Some(Ok(WatcherItem::Idle)) => continue,
            other => {
                let _ = writeln!(out, "no event: {other:?}");
                break 1;
            }
        }
    };
    out.flush();
    drop(watcher);
    let status = status | watch_tree(&dir);
    let _ = rustix::fs::unlink(file.bytes());
    let _ = rustix::fs::rmdir(dir.bytes());
    status
}

/// Watches `dir/tree` (with `sub/deeper` below) through the static
/// [`TREE`], creates `sub/deeper/hello-tree.txt`, and prints the event as
/// `tree: PATH`. 0 if it came.
/// Creates (or opens) `file` and closes it: one `IN_CREATE` for a watch.
fn touch(file: &PathBuf) {
    let fd = rustix::fs::open(
        file.bytes(),
        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .unwrap();
    drop(fd);
}

fn watch_tree(dir: &PathBuf) -> c_int {
    let top = PathBuf::new(format_args!("{}/tree", Str(dir.bytes())));
    let sub = PathBuf::new(format_args!("{}/tree/sub", Str(dir.bytes())));
    let deeper = PathBuf::new(format_args!("{}/tree/sub/deeper", Str(dir.bytes())));
    let file = PathBuf::new(format_args!("{}/hello-tree.txt", Str(deeper.bytes())));
    for d in [&top, &sub, &deeper] {
        rustix::fs::mkdir(d.bytes(), Mode::from_raw_mode(0o700)).unwrap();
    }
    let tree = TREE.take().unwrap().insert(
        InotifyTree::new(
            TreeStore::fixed(),
            [0u8; 4096],
            top.bytes(),
            WatchMask::CREATE,
        )
        .unwrap(),
    );
    let wait = Some(Duration::from_secs(5));
    let mut out = Out::new();
    let mut status = 1;
    while let Some(Ok(event)) = tree.next_event(wait) {
        if event.kind == TreeEventKind::Ready {
            break;
        }
    }
    let _ = writeln!(out, "tree ready: {} directories watched", tree.len());
    touch(&file);
    while let Some(Ok(event)) = tree.next_event(wait) {
        if event.kind == TreeEventKind::Kernel && event.name == b"hello-tree.txt" {
            let _ = writeln!(out, "tree: {}{}", Str(event.dir), Str(event.name));
            status = 0;
            break;
        }
    }
    if status != 0 {
        let _ = writeln!(out, "tree: no event");
    }
    out.flush();
    let _ = rustix::fs::unlink(file.bytes());
    for d in [&deeper, &sub, &top] {
        let _ = rustix::fs::rmdir(d.bytes());
    }
    status
}

/// Bytes shown as UTF-8 (these paths are).
struct Str<'a>(&'a [u8]);

impl core::fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(core::str::from_utf8(self.0).unwrap_or("<not UTF-8>"))
    }
}

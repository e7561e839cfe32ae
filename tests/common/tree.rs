//! Helpers shared by the recursive-tree tests: temporary directories,
//! storage, draining events into owned values, counting kernel watches.
#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use zinotify::{
    DirEntry, InotifyTrees, TreeEventKind, TreeStorage, TreeStore, tree_index_len_for,
    tree_name_bytes_for,
};
use zinotify::{Error, EventMask};

// What the tree tests take from the parent too, so that one `use` does.
#[allow(unused_imports)] // each test file uses its own subset
pub use super::{TempDir, assert_passed, in_ci, rerun_in_user_namespace};

/// Storage for `dirs` directories, owned by the test.
pub struct Store {
    pub entries: Vec<DirEntry>,
    pub index: Vec<u32>,
    pub names: Vec<u8>,
    pub buf: Vec<u8>,
}

impl Store {
    pub fn new(dirs: usize) -> Self {
        Self {
            entries: vec![DirEntry::EMPTY; dirs],
            index: vec![0; tree_index_len_for(dirs)],
            names: vec![0; tree_name_bytes_for(dirs)],
            buf: vec![0; 64 * 1024],
        }
    }

    pub fn trees(&mut self, mask: zinotify::WatchMask) -> InotifyTrees<'_> {
        let storage =
            TreeStorage::new(&mut self.entries, &mut self.index, &mut self.names).unwrap();
        InotifyTrees::new(storage, &mut self.buf[..], mask).unwrap()
    }
}

/// An event copied out of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub kind: TreeEventKind,
    pub mask: EventMask,
    pub cookie: u32,
    pub dir: String,
    pub name: String,
}

impl Owned {
    pub fn path(&self) -> String {
        format!("{}{}", self.dir, self.name)
    }
}

/// The kinds of what the tree said of itself (everything but kernel
/// events), in order.
pub fn notices(events: &[Owned]) -> Vec<TreeEventKind> {
    events
        .iter()
        .map(|e| e.kind)
        .filter(|k| *k != TreeEventKind::Kernel)
        .collect()
}

/// Events until `quiet` passes with nothing, or `limit` passes.
pub fn drain<S: TreeStore, R: AsMut<[u8]>>(
    trees: &mut InotifyTrees<'_, S, R>,
    quiet: Duration,
) -> Vec<Result<Owned, Error>> {
    drain_until(trees, quiet, |_| false)
}

/// Events until `stop` returns true for one (included), or `quiet` passes
/// with nothing, or 30 s pass.
pub fn drain_until<S: TreeStore, R: AsMut<[u8]>>(
    trees: &mut InotifyTrees<'_, S, R>,
    quiet: Duration,
    mut stop: impl FnMut(&Owned) -> bool,
) -> Vec<Result<Owned, Error>> {
    let start = Instant::now();
    let mut out = Vec::new();
    while start.elapsed() < Duration::from_secs(30) {
        match trees.next_event(Some(quiet)) {
            None => break,
            Some(Ok(ev)) if ev.kind == TreeEventKind::Idle => break,
            Some(Err(e)) => out.push(Err(e)),
            Some(Ok(ev)) => {
                let owned = Owned {
                    kind: ev.kind,
                    mask: ev.mask,
                    cookie: ev.cookie,
                    dir: String::from_utf8_lossy(ev.dir).into_owned(),
                    name: String::from_utf8_lossy(ev.name).into_owned(),
                };
                let done = stop(&owned);
                out.push(Ok(owned));
                if done {
                    break;
                }
            }
        }
    }
    out
}

/// Runs the set-up: events until `Ready`, which must come.
pub fn ready<S: TreeStore, R: AsMut<[u8]>>(
    trees: &mut InotifyTrees<'_, S, R>,
) -> Vec<Result<Owned, Error>> {
    let evs = drain_until(trees, Duration::from_secs(5), |e| {
        e.kind == TreeEventKind::Ready
    });
    assert!(
        matches!(evs.last(), Some(Ok(e)) if e.kind == TreeEventKind::Ready),
        "no Ready after set-up: {evs:?}"
    );
    evs
}

/// The paths of every watched directory, ending in `/`.
pub fn watched<S: TreeStore, R: AsMut<[u8]>>(trees: &InotifyTrees<'_, S, R>) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    trees.machine().for_each_dir(|p, _| {
        set.insert(String::from_utf8_lossy(p).into_owned());
    });
    set
}

/// Every directory under `root` (itself included), found by walking it
/// without following symlinks, as paths ending in `/`.
pub fn walk(root: &Path) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_dir() {
            set.insert(format!("{}/", e.path().display()));
        }
    }
    set
}

/// How many watches the kernel holds for this inotify descriptor
/// (`inotify wd:` lines in `/proc/self/fdinfo`).
pub fn kernel_watches<S: TreeStore, R: AsMut<[u8]>>(trees: &InotifyTrees<'_, S, R>) -> usize {
    use rustix::fd::AsFd;
    super::kernel_watch_count(trees.inotify().as_fd())
}

/// Whether we can change uid / namespaces (we run as root here).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// The tree watches exactly the directories under `root`, the kernel holds
/// exactly the table's watches, and the table's invariants hold.
pub fn assert_consistent<S: TreeStore, R: AsMut<[u8]>>(
    trees: &InotifyTrees<'_, S, R>,
    root: &Path,
) {
    assert_eq!(watched(trees), walk(root));
    assert_eq!(kernel_watches(trees), trees.len());
    trees.machine().verify().unwrap();
}

/// A path's bytes, for calls that take them (`&Path` needs the `std`
/// feature; these tests also run without it).
pub fn bytes<P: AsRef<Path> + ?Sized>(path: &P) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_ref().as_os_str().as_bytes()
}

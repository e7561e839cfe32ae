//! Recursive watching allocates nothing: from `InotifyTrees::new` through
//! set-up, new directories (watched and listed), renames, removals and
//! events, to drop, a counting global allocator sees zero allocations.
//! The storage and every path the test uses are allocated before counting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use zinotify::WatchMask;
use zinotify::tree::{DirEntry, InotifyTrees, TreeEventKind, TreeStorage, TreeStore};

struct Counting;

thread_local! {
    /// Counting is on for this thread only: the test harness's own threads
    /// may allocate meanwhile; the tree runs entirely on the test's thread.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Reads events until `quiet` passes with none; counts them by kind.
fn drain<S: TreeStore, R: AsMut<[u8]>>(
    trees: &mut InotifyTrees<'_, S, R>,
    quiet: Duration,
) -> (usize, usize, bool) {
    let (mut kernel, mut synthetic, mut ready) = (0, 0, false);
    while let Some(ev) = trees.next_event(Some(quiet)) {
        let ev = ev.expect("no error expected");
        // Touch the borrowed path and name, as a user would.
        assert!(ev.dir.is_empty() || ev.dir.ends_with(b"/"));
        match ev.kind {
            TreeEventKind::Kernel => kernel += 1,
            TreeEventKind::Synthetic => synthetic += 1,
            TreeEventKind::Ready => ready = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    (kernel, synthetic, ready)
}

#[test]
fn recursive_watching_allocates_nothing() {
    let root =
        std::env::temp_dir().join(format!("zinotify-tree-zero-alloc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for d in ["a/b/c", "a/d", "e"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // Everything the counted section needs, made now.
    let new_dir = root.join("a/new");
    let middle = root.join("a/new/x");
    let deep = root.join("a/new/x/y");
    let file = root.join("a/new/x/y/f");
    let renamed = root.join("a/renamed");
    let moved_file = root.join("a/renamed/x/y/g");
    let mut entries = vec![DirEntry::EMPTY; 64];
    let mut index = vec![0u32; 129];
    let mut names = vec![0u8; 1024];
    let mut buf = vec![0u8; 4096];

    COUNTING.with(|c| c.set(true));
    let storage = TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
    let mut trees = InotifyTrees::new(storage, &mut buf[..], WatchMask::ALL_EVENTS).unwrap();
    trees
        .add_root(std::os::unix::ffi::OsStrExt::as_bytes(root.as_os_str()))
        .unwrap();
    let (_, _, ready) = drain(&mut trees, Duration::from_millis(100));
    assert!(ready);
    // std::fs with short paths uses a stack buffer: no allocation.
    std::fs::create_dir(&new_dir).unwrap();
    std::fs::create_dir(&middle).unwrap();
    std::fs::create_dir(&deep).unwrap();
    std::fs::write(&file, b"x").unwrap();
    let (k1, s1, _) = drain(&mut trees, Duration::from_millis(100));
    std::fs::rename(&new_dir, &renamed).unwrap();
    std::fs::write(&moved_file, b"y").unwrap();
    std::fs::remove_file(&moved_file).unwrap();
    let (k2, _, _) = drain(&mut trees, Duration::from_millis(100));
    let watched = trees.len();
    drop(trees);
    COUNTING.with(|c| c.set(false));

    let allocs = ALLOCS.load(Ordering::SeqCst);
    std::fs::remove_dir_all(&root).unwrap();
    assert!(k1 + s1 > 0 && k2 > 0, "events were seen: {k1} {s1} {k2}");
    assert_eq!(
        watched, 9,
        "root, a, a/b, a/b/c, a/d, e, renamed, renamed/x, renamed/x/y"
    );
    assert_eq!(allocs, 0, "allocations while watching recursively");
}

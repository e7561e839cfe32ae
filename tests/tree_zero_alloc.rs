//! Recursive watching allocates nothing: from `InotifyTrees::new` through
//! set-up, new directories (watched and listed), renames, removals and
//! events, to drop, a counting global allocator sees zero allocations with
//! borrowed and with fixed storage. Growing storage allocates only when it
//! grows: never in steady state, O(log n) times while a tree grows to n
//! directories. Every path the tests use is allocated before counting.

#[cfg(feature = "std")]
use std::path::PathBuf;
use std::time::Duration;
use zinotify::WatchMask;
use zinotify::{
    DirEntry, FixedTreeStorage, InotifyTrees, TreeEventKind, TreeStorage, TreeStore,
    tree_index_len_for, tree_name_bytes_for,
};

mod common;
use common::counting;
#[cfg(feature = "std")]
use common::{TempDir, in_ci};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

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
            TreeEventKind::Idle => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    (kernel, synthetic, ready)
}

#[test]
fn recursive_watching_allocates_nothing() {
    let mut entries = vec![DirEntry::EMPTY; 64];
    let mut index = vec![0u32; 129];
    let mut names = vec![0u8; 1024];
    let storage = TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
    assert_eq!(
        counted_scenario("borrowed", storage),
        0,
        "allocations with borrowed storage"
    );
}

#[test]
fn recursive_watching_in_fixed_storage_allocates_nothing() {
    let storage =
        FixedTreeStorage::<64, { tree_index_len_for(64) }, { tree_name_bytes_for(64) }>::fixed();
    assert_eq!(
        counted_scenario("fixed", storage),
        0,
        "allocations with fixed storage"
    );
}

/// Set-up, new directories, a rename, file events and drop, over
/// `storage`, counting allocations from `InotifyTrees::new` to drop.
fn counted_scenario<S: TreeStore>(tag: &str, storage: S) -> usize {
    let root = std::env::temp_dir().join(format!(
        "zinotify-tree-zero-alloc-{tag}-{}",
        std::process::id()
    ));
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
    let mut buf = vec![0u8; 4096];

    counting::start();
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
    let (allocs, _) = counting::stop();

    std::fs::remove_dir_all(&root).unwrap();
    assert!(k1 + s1 > 0 && k2 > 0, "events were seen: {k1} {s1} {k2}");
    assert_eq!(
        watched, 9,
        "root, a, a/b, a/b/c, a/d, e, renamed, renamed/x, renamed/x/y"
    );
    allocs
}

#[cfg(feature = "std")]
/// Growing storage allocates only when it grows: once the tree's
/// directories have been there, 100 000 events of directories created
/// and removed again (and files written in them) allocate nothing.
#[test]
fn growing_storage_allocates_nothing_in_steady_state() {
    let root = TempDir::new("zero-alloc-steady");
    for top in 0..10 {
        std::fs::create_dir(root.path().join(format!("top{top}"))).unwrap();
    }
    let dirs: Vec<PathBuf> = (0..40)
        .map(|i| {
            root.path()
                .join(format!("top{}/dir-with-a-longer-name-{i}", i % 10))
        })
        .collect();
    let files: Vec<PathBuf> = dirs.iter().map(|d| d.join("f")).collect();
    let mut buf = vec![0u8; 64 * 1024];
    let mut trees = InotifyTrees::new(
        zinotify::GrowingTreeStorage::growing(),
        &mut buf[..],
        WatchMask::ALL_EVENTS,
    )
    .unwrap();
    trees.add_root(root.bytes()).unwrap();
    assert!(drain(&mut trees, Duration::from_millis(100)).2);
    let cycle = |trees: &mut InotifyTrees<'_, zinotify::GrowingTreeStorage, &mut [u8]>| {
        for (dir, file) in dirs.iter().zip(&files) {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(file, b"x").unwrap();
        }
        let (k1, s1, _) = drain(trees, Duration::from_millis(5));
        for (dir, file) in dirs.iter().zip(&files) {
            std::fs::remove_file(file).unwrap();
            std::fs::remove_dir(dir).unwrap();
        }
        let (k2, s2, _) = drain(trees, Duration::from_millis(5));
        k1 + s1 + k2 + s2
    };
    // Warm-up: the storage grows to what the tree needs at its largest.
    for _ in 0..3 {
        cycle(&mut trees);
    }
    let allocated = trees.machine().allocated();
    let mut events = 0;
    counting::start();
    while events < 100_000 {
        events += cycle(&mut trees);
    }
    let (allocs, _) = counting::stop();
    assert_eq!(trees.len(), 11, "the root and its 10 directories");
    assert_eq!(
        trees.machine().allocated(),
        allocated,
        "the storage did not grow"
    );
    assert_eq!(allocs, 0, "allocations in {events} events");
}

#[cfg(feature = "std")]
/// While a tree grows from its root alone to 100 000 directories, created
/// after set-up, growing storage allocates O(log n) times: the directory
/// table, its index and the name storage each double, so at most
/// log2(100 000) + 1 growths each.
#[test]
fn growing_storage_grows_in_log_n_allocations() {
    const DIRS: usize = 100_000;
    if !enough_watches(DIRS + 1000, "growing_storage_grows_in_log_n_allocations") {
        return;
    }
    let root = TempDir::new("zero-alloc-growth");
    let tops: Vec<PathBuf> = (0..DIRS / 1000)
        .map(|t| root.path().join(format!("t{t}")))
        .collect();
    let dirs: Vec<PathBuf> = (0..DIRS - tops.len())
        .map(|i| tops[i % tops.len()].join(format!("d{i}")))
        .collect();
    let mut buf = vec![0u8; 64 * 1024];
    counting::start();
    let mut trees = InotifyTrees::new(
        zinotify::GrowingTreeStorage::growing(),
        &mut buf[..],
        WatchMask::CREATE,
    )
    .unwrap();
    trees.add_root(root.bytes()).unwrap();
    assert!(drain(&mut trees, Duration::from_millis(50)).2);
    for top in &tops {
        std::fs::create_dir(top).unwrap();
    }
    drain(&mut trees, Duration::from_millis(20));
    for chunk in dirs.chunks(2000) {
        for dir in chunk {
            std::fs::create_dir(dir).unwrap();
        }
        drain(&mut trees, Duration::from_millis(5));
    }
    drain(&mut trees, Duration::from_millis(100));
    let (allocs, _) = counting::stop();
    let watched = trees.len();
    let allocated = trees.machine().allocated();
    drop(trees);
    assert_eq!(watched, DIRS + 1, "every directory and the root");
    let growths = 3 * (DIRS.ilog2() as usize + 1);
    assert!(
        (3..=growths).contains(&allocs),
        "{allocs} allocations, at most {growths} expected; storage {allocated:?}"
    );
    eprintln!("{allocs} allocations for {DIRS} directories; storage {allocated:?}");
}

#[cfg(feature = "std")]
/// Whether the kernel lets this user add `watches` more watches; if not,
/// the test is skipped here and fails in CI.
fn enough_watches(watches: usize, test: &str) -> bool {
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if limit >= watches {
        return true;
    }
    let why =
        format!("{test}: needs {watches} inotify watches, fs.inotify.max_user_watches is {limit}");
    assert!(!in_ci(), "{why}");
    eprintln!("skipped: {why}");
    false
}

//! The tree over each storage kind, on the real kernel: a tree that owns
//! its storage and buffer is `'static + Send` and keeps working in another
//! thread; growing storage grows past its first sizes and stops, with a
//! typed error and a consistent tree, at the cap the user set.
#![cfg(feature = "std")]

mod common;

use common::tree::{TempDir, drain, ready, watched};
use std::sync::mpsc;
use std::time::Duration;
use zinotify::{ErrorKind, WatchMask};
use zinotify::{FixedTreeStorage, GrowingTreeStorage, InotifyTree, InotifyTrees, TreeEventKind};

fn assert_send_static<T: Send + 'static>(_: &T) {}

/// Runs `tree` in a thread of its own: set-up, then says so on `ready_tx`,
/// then returns the path of the first event.
fn run<S, R>(
    mut tree: InotifyTree<'static, S, R>,
    ready_tx: mpsc::Sender<()>,
) -> std::thread::JoinHandle<String>
where
    S: zinotify::TreeStore<Entries: Send, Index: Send, Names: Send> + 'static,
    R: AsMut<[u8]> + Send + 'static,
{
    std::thread::spawn(move || {
        while tree.next_event(None).unwrap().unwrap().kind != TreeEventKind::Ready {}
        ready_tx.send(()).unwrap();
        let ev = tree
            .next_event(Some(Duration::from_secs(10)))
            .unwrap()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(ev.dir),
            String::from_utf8_lossy(ev.name)
        )
    })
}

#[test]
fn a_tree_owning_its_storage_moves_into_a_thread() {
    let dir = TempDir::new("tree-thread");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    let growing = InotifyTree::new(
        GrowingTreeStorage::growing(),
        vec![0u8; 4096],
        dir.bytes(),
        WatchMask::CREATE,
    )
    .unwrap();
    let fixed = InotifyTree::new(
        FixedTreeStorage::<8, 17, 256>::fixed(),
        [0u8; 4096],
        dir.bytes(),
        WatchMask::CREATE,
    )
    .unwrap();
    assert_send_static(&growing);
    assert_send_static(&fixed);
    let (ready_tx, ready_rx) = mpsc::channel();
    let threads = [run(growing, ready_tx.clone()), run(fixed, ready_tx)];
    for _ in 0..2 {
        ready_rx.recv().unwrap();
    }
    std::fs::write(dir.join("a/b/f"), b"").unwrap();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), format!("{}f", dir.dir("a/b")));
    }
}

#[test]
fn growing_storage_stops_at_its_cap_with_a_typed_error() {
    let dir = TempDir::new("tree-cap");
    for i in 0..40 {
        std::fs::create_dir(dir.join(&format!("d{i:02}"))).unwrap();
    }
    let mut tree = InotifyTrees::new(
        GrowingTreeStorage::growing_up_to(25),
        vec![0u8; 65536],
        WatchMask::CREATE,
    )
    .unwrap();
    tree.add_root(dir.bytes()).unwrap();
    let events = ready(&mut tree);
    let full: Vec<_> = events.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(full.len(), 40 + 1 - 25, "one error per directory left out");
    for err in &full {
        assert_eq!(err.kind(), ErrorKind::TableFull { capacity: 25 });
    }
    assert_eq!(tree.len(), 25);
    assert_eq!(tree.machine().capacity(), 25);
    tree.machine().verify().unwrap();
    // Past the first sizes (16 directories), below the cap's.
    let (entries, index, _) = tree.machine().allocated();
    assert_eq!((entries, index), (25, 51));
    // A watched directory still reports its events.
    let some = watched_one(&tree);
    std::fs::write(format!("{some}f"), b"").unwrap();
    let after = drain(&mut tree, Duration::from_millis(200));
    assert!(
        after
            .iter()
            .any(|e| e.as_ref().is_ok_and(|e| e.path() == format!("{some}f"))),
        "{after:?}"
    );
}

/// A watched directory below the root, as a `dir/` string.
fn watched_one(tree: &InotifyTrees<'_, GrowingTreeStorage, Vec<u8>>) -> String {
    watched(tree)
        .into_iter()
        .find(|path| path.ends_with("0/"))
        .expect("a watched subdirectory")
}

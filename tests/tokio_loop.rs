//! The tokio drivers against real events: both runtimes, cancellation in
//! `tokio::select!`, a tree moved into `tokio::spawn`, and the same idle,
//! timeout and ending semantics as the blocking loops.

mod common;

use common::engine::{OwnedEvent, TempDir, bytes};
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use zinotify::runtime::tokio::{AsyncTrees, AsyncWatcher};
use zinotify::{
    Batching, FixedWatchTable, GrowingWatchTable, WatchMask, Watcher, WatcherConfig, WatcherItem,
};
use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind};

type Storage = (
    zinotify::storage::Growing<zinotify::WatchEntry>,
    zinotify::storage::Growing<u8>,
);
type TestWatcher = Watcher<Storage, Vec<u8>>;

fn runtimes() -> [(&'static str, Runtime); 2] {
    let current = Builder::new_current_thread().enable_all().build().unwrap();
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    [("current_thread", current), ("multi_thread", multi)]
}

fn watcher(dir: &TempDir, config: WatcherConfig) -> TestWatcher {
    Watcher::from_paths(
        [dir.path()],
        WatchMask::CREATE | WatchMask::DELETE,
        GrowingWatchTable::growing(),
        vec![0u8; 4096],
    )
    .unwrap()
    .config(config)
}

/// Until the loop ends: the events, and how it ended.
async fn collect(
    watcher: &mut AsyncWatcher<Storage, Vec<u8>>,
) -> (Vec<OwnedEvent>, usize, &'static str) {
    let (mut events, mut idle) = (Vec::new(), 0);
    while let Some(next) = watcher.next().await {
        match next.unwrap() {
            WatcherItem::Event(e) => events.push(OwnedEvent::from(&e)),
            WatcherItem::Idle => idle += 1,
            WatcherItem::TimedOut => return (events, idle, "timed out"),
            WatcherItem::Terminal(_) => return (events, idle, "terminal"),
            WatcherItem::Stopped(_) => return (events, idle, "stopped"),
        }
    }
    (events, idle, "None before an ending")
}

#[test]
fn events_in_order_on_both_runtimes() {
    for (name, rt) in runtimes() {
        let dir = TempDir::new(&format!("tokio-order-{name}"));
        for i in 0..50 {
            std::fs::write(dir.path().join(format!("f{i}")), b"").unwrap();
        }
        let blocking = watcher(&dir, common::engine::quiet_after(200));
        let (events, _, end) = rt.block_on(async {
            let mut w = AsyncWatcher::new(blocking).unwrap();
            // Deleted after the watch began: 50 events, then the timeout.
            for i in 0..50 {
                std::fs::remove_file(dir.path().join(format!("f{i}"))).unwrap();
            }
            let out = collect(&mut w).await;
            assert!(w.next().await.is_none(), "{name}: None after the ending");
            out
        });
        let names: Vec<_> = events.iter().map(|e| e.name.clone()).collect();
        let want: Vec<_> = (0..50).map(|i| format!("f{i}").into_bytes()).collect();
        assert_eq!(names, want, "{name}");
        assert_eq!(end, "timed out", "{name}");
    }
}

/// Idle markers, then the timeout, then `None`: the same sequence from the
/// blocking and the async loop over the same configuration.
#[test]
fn idle_and_timeout_as_in_the_blocking_loop() {
    let config = WatcherConfig {
        block: Duration::from_millis(20),
        timeout: Some(Duration::from_millis(100)),
        ..WatcherConfig::default()
    };
    let dir = TempDir::new("tokio-idle");
    let mut blocking = watcher(&dir, config);
    let (events, blocking_idle, end) = common::engine::collect(&mut blocking, usize::MAX);
    assert!(events.is_empty() && end == common::engine::End::TimedOut);
    assert!(blocking.next().is_none());
    for (name, rt) in runtimes() {
        let (events, idle, end) = rt.block_on(async {
            let mut w = AsyncWatcher::new(watcher(&dir, config)).unwrap();
            collect(&mut w).await
        });
        assert!(events.is_empty(), "{name}");
        assert_eq!(end, "timed out", "{name}");
        // 20 ms cycles in a 100 ms timeout: idle markers on both, as many
        // as the cycles that fully passed (a loaded machine passes fewer).
        assert!(
            idle > 0 && blocking_idle > 0,
            "{name}: {idle} {blocking_idle}"
        );
    }
}

/// A `select!` whose other branch keeps winning drops `next()`'s future at
/// its awaits (readiness, the batching sleep): no event is lost or repeated.
#[test]
fn cancelled_next_loses_no_event() {
    for (name, rt) in runtimes() {
        for batching in [Batching::Off, Batching::ADAPTIVE] {
            cancelled_next_loses_no_event_on(&rt, &format!("{name}, {batching:?}"), batching);
        }
    }
}

fn cancelled_next_loses_no_event_on(rt: &Runtime, name: &str, batching: Batching) {
    const FILES: usize = 2000;
    let dir = TempDir::new("tokio-cancel");
    let config = WatcherConfig {
        batching,
        ..common::engine::quiet_after(2000)
    };
    let blocking = watcher(&dir, config);
    let (names, cancelled) = rt.block_on(async {
        let mut w = AsyncWatcher::new(blocking).unwrap();
        let path = dir.path().to_path_buf();
        let writer = std::thread::spawn(move || {
            for i in 0..FILES {
                std::fs::write(path.join(i.to_string()), b"").unwrap();
                if i % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        let (mut names, mut cancelled) = (Vec::new(), 0usize);
        while names.len() < FILES {
            tokio::select! {
                next = w.next() => match next {
                    Some(Ok(WatcherItem::Event(e))) => names.push(e.name().to_vec()),
                    other => panic!("{name}: after {} events: {other:?}", names.len()),
                },
                () = tokio::time::sleep(Duration::from_micros(100)) => cancelled += 1,
            }
        }
        writer.join().unwrap();
        (names, cancelled)
    });
    let want: Vec<_> = (0..FILES).map(|i| i.to_string().into_bytes()).collect();
    assert!(
        names == want,
        "{name}: events lost, repeated or out of order"
    );
    assert!(cancelled > 0, "{name}: no future was ever dropped");
}

/// A tree with owned, growing storage is `Send + 'static`: it is moved into
/// a task on the multi-threaded runtime, set up there, and follows a new
/// directory there.
#[test]
fn a_tree_moves_into_a_spawned_task() {
    let t = TempDir::new("tokio-spawn");
    std::fs::create_dir(t.path().join("sub")).unwrap();
    let (_, rt) = runtimes().into_iter().nth(1).unwrap();
    let root = t.path().to_path_buf();
    let seen = rt.block_on(async move {
        let mut trees = InotifyTrees::new(
            GrowingTreeStorage::growing(),
            vec![0u8; 8192],
            WatchMask::CREATE,
        )
        .unwrap();
        trees.add_root(bytes(&root)).unwrap();
        let mut trees = AsyncTrees::new(trees).unwrap();
        let task = tokio::spawn(async move {
            let second = Some(Duration::from_secs(1));
            while trees.next_event(second).await.unwrap().unwrap().kind != TreeEventKind::Ready {}
            std::fs::create_dir_all(root.join("sub/new/deeper")).unwrap();
            std::fs::write(root.join("sub/new/deeper/file"), b"").unwrap();
            let mut seen = Vec::new();
            loop {
                let ev = trees
                    .next_event(Some(Duration::from_secs(5)))
                    .await
                    .unwrap()
                    .unwrap();
                match ev.kind {
                    TreeEventKind::Idle => break seen,
                    _ => seen.push(format!(
                        "{}{}",
                        ev.dir.escape_ascii(),
                        ev.name.escape_ascii()
                    )),
                }
                if seen.last().unwrap().ends_with("deeper/file") {
                    break seen;
                }
            }
        });
        task.await.unwrap()
    });
    let want = format!("{}/sub/new/deeper/file", t.path().display());
    assert!(seen.contains(&want), "{seen:?}");
}

/// The tree's loop on tokio: `Idle` when the time passes, events after it,
/// and `None` once the only root is gone, as in the blocking loop.
#[test]
fn tree_idle_then_events_then_none() {
    for (name, rt) in runtimes() {
        let t = TempDir::new(&format!("tokio-tree-{name}"));
        let root = t.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let kinds = rt.block_on(async {
            let mut trees = InotifyTrees::new(
                GrowingTreeStorage::growing(),
                vec![0u8; 4096],
                WatchMask::CREATE,
            )
            .unwrap();
            trees.add_root(bytes(&root)).unwrap();
            let mut trees = AsyncTrees::new(trees).unwrap();
            while trees.next_event(None).await.unwrap().unwrap().kind != TreeEventKind::Ready {}
            let idle = trees
                .next_event(Some(Duration::from_millis(20)))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(idle.kind, TreeEventKind::Idle, "{name}");
            std::fs::write(root.join("f"), b"").unwrap();
            let ev = trees
                .next_event(Some(Duration::from_secs(5)))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (ev.kind, ev.name),
                (TreeEventKind::Kernel, &b"f"[..]),
                "{name}"
            );
            std::fs::remove_file(root.join("f")).unwrap();
            std::fs::remove_dir(&root).unwrap();
            let mut kinds = Vec::new();
            while let Some(ev) = trees.next_event(Some(Duration::from_secs(5))).await {
                let kind = ev.unwrap().kind;
                assert_ne!(
                    kind,
                    TreeEventKind::Idle,
                    "{name}: the root's removal never came"
                );
                kinds.push(kind);
            }
            kinds
        });
        assert_eq!(
            kinds.last(),
            Some(&TreeEventKind::RootGone),
            "{name}: {kinds:?}"
        );
    }
}

/// The fixed-table watcher works too (any storage, any buffer).
#[test]
fn fixed_storage_and_an_array_buffer() {
    let dir = TempDir::new("tokio-fixed");
    let (_, rt) = runtimes().into_iter().next().unwrap();
    let name = rt.block_on(async {
        let w = Watcher::from_paths(
            [dir.path()],
            WatchMask::CREATE,
            FixedWatchTable::<2, 512>::fixed(),
            [0u8; 1024],
        )
        .unwrap()
        .config(common::engine::quiet_after(2000));
        let mut w = AsyncWatcher::new(w).unwrap();
        std::fs::write(dir.path().join("x"), b"").unwrap();
        match w.next().await {
            Some(Ok(WatcherItem::Event(e))) => e.name().to_vec(),
            other => panic!("{other:?}"),
        }
    });
    assert_eq!(name, b"x");
}

//! No heap allocation per event on tokio: 100 000 real events through
//! `AsyncWatcher::next` on a `current_thread` runtime, counted by a global
//! allocator that counts only on the thread that switched counting on (the
//! runtime's, which runs the reader), so the writer thread's own
//! allocations (paths, std::fs) are not counted. Counting starts after the
//! runtime and the watcher are set up (tokio allocates its reactor and the
//! descriptor's registration once) and the first event came out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zinotify::runtime::tokio::AsyncWatcher;
use zinotify::{Batching, FixedWatchTable, WatchMask, Watcher, WatcherConfig, WatcherItem};

mod common;
use common::counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

const EVENTS: usize = 100_000;

#[test]
fn async_watching_allocates_nothing_per_event() {
    let dir =
        std::env::temp_dir().join(format!("zinotify-tokio-zero-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let done = AtomicBool::new(false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let (received, overflows, counted) = std::thread::scope(|s| {
        let watcher = Watcher::from_paths(
            [&dir],
            WatchMask::CREATE | WatchMask::DELETE,
            FixedWatchTable::<2, 1024>::fixed(),
            [0u8; 16384],
        )
        .unwrap()
        // Adaptive batching (its sleeps) and a timeout: tokio's timer runs.
        .config(WatcherConfig {
            block: Duration::from_millis(100),
            timeout: Some(Duration::from_secs(60)),
            batching: Batching::ADAPTIVE,
            ..WatcherConfig::default()
        });
        // The writer: creates and deletes files until the reader is done.
        s.spawn(|| {
            let mut i = 0u64;
            while !done.load(Ordering::Relaxed) {
                let file = dir.join(i.to_string());
                std::fs::write(&file, b"").unwrap();
                std::fs::remove_file(&file).unwrap();
                i += 1;
            }
        });
        let counted = rt.block_on(async {
            let mut watcher = AsyncWatcher::new(watcher).unwrap();
            let first = watcher.next().await;
            assert!(
                matches!(first, Some(Ok(WatcherItem::Event(_)))),
                "{first:?}"
            );
            // Prove the counter counts on this thread, then start from zero.
            counting::start();
            let mut tally = counting::Tally {
                received: 1,
                overflows: 0,
            };
            while tally.received < EVENTS {
                if tally.take(watcher.next().await) {
                    watcher.get_mut().resume();
                }
            }
            (tally.received, tally.overflows, counting::stop())
        });
        done.store(true, Ordering::Relaxed);
        counted
    });
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(received, EVENTS);
    eprintln!("{received} events ({overflows} overflows)");
    assert_eq!(
        counted,
        (0, 0),
        "allocations, bytes on the runtime's thread after set-up"
    );
}

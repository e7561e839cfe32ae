//! Zero heap allocations on the reader, from `Inotify::new()` to drop,
//! across 100 000 real events: a counting global allocator counts only on
//! the thread that has counting switched on (the reader), so the writer
//! thread's own allocations (paths, std::fs) are not counted. Half the
//! events go through the coalescing window.

use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zinotify::{Batching, FixedWatchTable, WatchMask, Watcher, WatcherConfig};

mod common;
use common::counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

const EVENTS: usize = 100_000;

#[test]
fn flat_watching_allocates_nothing_from_new_to_drop() {
    let base = std::env::temp_dir().join(format!("zinotify-zero-alloc-{}", std::process::id()));
    let dirs: Vec<_> = (0..3).map(|i| base.join(i.to_string())).collect();
    for dir in &dirs {
        std::fs::create_dir_all(dir).unwrap();
    }
    let paths: Vec<&[u8]> = dirs.iter().map(|d| d.as_os_str().as_bytes()).collect();
    let done = AtomicBool::new(false);

    let (received, overflows, counted) = std::thread::scope(|s| {
        // The writer: creates and deletes files in every watched directory
        // until the reader has seen enough.
        s.spawn(|| {
            let mut i = 0u64;
            while !done.load(Ordering::Relaxed) {
                let file = dirs[i as usize % dirs.len()].join(i.to_string());
                std::fs::write(&file, b"").unwrap();
                std::fs::remove_file(&file).unwrap();
                i += 1;
            }
        });

        // The reader, counted from here to the end of the block. First prove
        // the counter counts, then start from zero.
        counting::start();
        let (received, overflows) = {
            let mut watcher = Watcher::from_paths(
                paths.iter().copied(),
                WatchMask::CREATE | WatchMask::DELETE | WatchMask::CLOSE_WRITE,
                FixedWatchTable::<8, 4096>::fixed(),
                [0u8; 16384],
            )
            .unwrap()
            .config(WatcherConfig {
                block: Duration::from_millis(100),
                timeout: Some(Duration::from_secs(60)),
                ..WatcherConfig::default()
            });
            let mut tally = counting::Tally::default();
            while tally.received < EVENTS {
                if tally.received == EVENTS / 2 {
                    // The second half with adaptive batching (its window
                    // under load), the first without.
                    watcher.config_mut().batching = Batching::ADAPTIVE;
                }
                if tally.take(watcher.next()) {
                    watcher.resume();
                }
            }
            (tally.received, tally.overflows)
            // The watcher (inotify, epoll, table, buffer) is dropped here.
        };
        let counted = counting::stop();
        done.store(true, Ordering::Relaxed);
        (received, overflows, counted)
    });
    std::fs::remove_dir_all(&base).unwrap();

    assert_eq!(received, EVENTS);
    eprintln!("{received} events ({overflows} overflows)");
    assert_eq!(counted, (0, 0), "allocations, bytes on the reader thread");
}

/// A `WaitSet` over an inotify instance and an eventfd, from `new()` to
/// drop: 10 000 wake-ups of each member, polls that find nothing, all
/// without an allocation.
#[test]
fn a_wait_set_allocates_nothing_from_new_to_drop() {
    use rustix::event::{EventfdFlags, eventfd};
    use zinotify::{Inotify, Readiness, WaitSet};

    let dir = std::env::temp_dir().join(format!("zinotify-zero-alloc-set-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f");
    std::fs::write(&file, b"").unwrap();
    let path = file.as_os_str().as_bytes();

    counting::start();
    {
        let inotify = Inotify::new().unwrap();
        inotify.add_watch(path, WatchMask::ATTRIB).unwrap();
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).unwrap();
        let set = WaitSet::new().unwrap();
        set.add(&inotify, 0).unwrap();
        set.add(&wake, 1).unwrap();
        let mut ready = Readiness::<2>::new();
        let (mut buf, mut count) = ([0u8; 1024], [0u8; 8]);
        for i in 0..10_000u64 {
            assert_eq!(set.wait(&mut ready, Some(Duration::ZERO)).unwrap(), 0);
            if i % 2 == 0 {
                rustix::io::write(&wake, &1u64.to_ne_bytes()).unwrap();
                assert_eq!(set.wait(&mut ready, None).unwrap(), 1);
                assert!(ready.contains(1));
                rustix::io::read(&wake, &mut count).unwrap();
            } else {
                // An event on the file, made on this thread with no
                // allocation: `utimensat` through rustix.
                let now = rustix::fs::Timestamps {
                    last_access: rustix::fs::Timespec {
                        tv_sec: 0,
                        tv_nsec: rustix::fs::UTIME_NOW,
                    },
                    last_modification: rustix::fs::Timespec {
                        tv_sec: 0,
                        tv_nsec: rustix::fs::UTIME_NOW,
                    },
                };
                rustix::fs::utimensat(rustix::fs::CWD, path, &now, rustix::fs::AtFlags::empty())
                    .unwrap();
                assert_eq!(
                    set.wait(&mut ready, Some(Duration::from_secs(5))).unwrap(),
                    1
                );
                assert!(ready.contains(0));
                assert_eq!(inotify.read_events(&mut buf).unwrap().count(), 1);
            }
        }
        // The set, the eventfd and the inotify instance are dropped here.
    }
    let counted = counting::stop();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(counted, (0, 0), "allocations, bytes");
}

//! The `Watcher` loop's timing and endings against the real kernel: block
//! duration and idle markers, the overall timeout, terminal events, the
//! filter, EINTR, and the coalescing window. Timing asserts are loose.

mod common;

use common::engine::{End, TempDir, collect, interrupted_late};
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zinotify::{
    Batching, EventMask, FilterVerdict, FixedWatchTable, Inotify, WatchMask, Watcher,
    WatcherConfig, WatcherItem,
};

type W<F = zinotify::KeepAll> = Watcher<zinotify::FixedWatchStorage<4, 1024>, [u8; 65536], F>;

fn watcher(dir: &TempDir, mask: WatchMask, config: WatcherConfig) -> W {
    Watcher::from_paths([dir.bytes()], mask, FixedWatchTable::fixed(), [0u8; 65536])
        .unwrap()
        .config(config)
}

/// Loose timing: at least 0.9 × `ms`, and well under 5 s.
fn assert_took_about(elapsed: Duration, ms: u64) {
    let min = Duration::from_millis(ms * 9 / 10);
    assert!(
        elapsed >= min && elapsed < Duration::from_secs(5),
        "{elapsed:?}, expected about {ms} ms"
    );
}

#[test]
fn idle_markers_every_block_then_the_timeout_counted_from_the_last_event() {
    let dir = TempDir::new("idle");
    let config = WatcherConfig {
        block: Duration::from_millis(200),
        timeout: Some(Duration::from_millis(700)),
        ..WatcherConfig::default()
    };
    let mut w = watcher(&dir, WatchMask::CREATE, config);
    fs::write(dir.join("a"), b"").unwrap();
    let start = Instant::now();
    let (events, idle, end) = collect(&mut w, usize::MAX);
    let elapsed = start.elapsed();
    assert_eq!(end, End::TimedOut);
    assert_eq!(events.len(), 1);
    // 700 ms after the event: three full 200 ms cycles, then the rest. A
    // busy machine can stretch a cycle, leaving room for fewer; never more.
    assert!((1..=3).contains(&idle), "{idle} idle markers");
    assert_took_about(elapsed, 700);
    assert!(w.next().is_none());
}

/// The caller is busy past the timeout while new events queue up: they come
/// out first, and the timeout then counts from the last of them.
#[test]
fn a_timeout_that_passed_while_the_caller_was_busy_hands_out_queued_events_first() {
    let dir = TempDir::new("busy");
    let config = WatcherConfig {
        block: Duration::from_millis(100),
        timeout: Some(Duration::from_millis(300)),
        ..WatcherConfig::default()
    };
    let mut w = watcher(&dir, WatchMask::CREATE, config);
    let busy = Duration::from_millis(600);

    // Busy after an event.
    fs::write(dir.join("a"), b"").unwrap();
    assert_eq!(collect(&mut w, 1).0[0].name, b"a");
    fs::write(dir.join("b"), b"").unwrap();
    std::thread::sleep(busy);
    assert_eq!(collect(&mut w, 1).0[0].name, b"b");

    // Busy after an idle marker.
    assert!(matches!(w.next(), Some(Ok(WatcherItem::Idle))));
    fs::write(dir.join("c"), b"").unwrap();
    std::thread::sleep(busy);
    assert_eq!(collect(&mut w, 1).0[0].name, b"c");

    let start = Instant::now();
    assert_eq!(collect(&mut w, usize::MAX).2, End::TimedOut);
    assert_took_about(start.elapsed(), 300);
}

#[test]
fn without_idle_markers_only_the_timeout_comes_out() {
    let dir = TempDir::new("no-idle");
    let config = WatcherConfig {
        block: Duration::from_millis(100),
        timeout: Some(Duration::from_millis(500)),
        yield_idle: false,
        ..WatcherConfig::default()
    };
    let mut w = watcher(&dir, WatchMask::CREATE, config);
    let start = Instant::now();
    assert!(matches!(w.next(), Some(Ok(WatcherItem::TimedOut))));
    let elapsed = start.elapsed();
    assert_took_about(elapsed, 500);
}

#[test]
fn engine_wait_times_out_polls_and_wakes() {
    let dir = TempDir::new("wait");
    let inotify = Inotify::new().unwrap();
    inotify.add_watch(dir.bytes(), WatchMask::CREATE).unwrap();

    let start = Instant::now();
    assert!(!inotify.wait(Some(Duration::from_millis(300))).unwrap());
    let elapsed = start.elapsed();
    assert_took_about(elapsed, 300);

    assert!(!inotify.wait(Some(Duration::ZERO)).unwrap());
    fs::write(dir.join("x"), b"").unwrap();
    assert!(inotify.wait(Some(Duration::ZERO)).unwrap());
    assert!(inotify.wait(None).unwrap());
    assert_eq!(inotify.queued_bytes().unwrap(), 32);
}

/// A signal caught by a handler makes `epoll_wait` fail with EINTR, even
/// with `SA_RESTART` (signal(7)); the wait resumes with what is left, not
/// with the whole timeout again.
#[test]
fn an_interrupted_wait_resumes_for_the_time_left() {
    let inotify = Inotify::new().unwrap();
    let (ready, took) = interrupted_late(BLOCK, || inotify.wait(Some(BLOCK)));
    took.assert_resumed();
    assert!(!ready.unwrap());
}

/// The same inside the `Watcher` loop with no timeout: the idle marker still
/// comes one block after the start.
#[test]
fn an_interrupted_cycle_still_ends_after_one_block() {
    let dir = TempDir::new("eintr-idle");
    let config = WatcherConfig {
        block: BLOCK,
        ..WatcherConfig::default()
    };
    let mut w = watcher(&dir, WatchMask::CREATE, config);
    let (idle, took) = interrupted_late(BLOCK, || matches!(w.next(), Some(Ok(WatcherItem::Idle))));
    took.assert_resumed();
    assert!(idle);
}

/// The wait the two tests above interrupt.
const BLOCK: Duration = Duration::from_secs(2);

#[test]
fn terminal_events_are_configurable() {
    let dir = TempDir::new("terminal");
    let config = WatcherConfig {
        terminal: EventMask::DELETE,
        ..common::engine::quiet_after(500)
    };
    let mut w = watcher(&dir, WatchMask::CREATE | WatchMask::DELETE, config);
    fs::write(dir.join("a"), b"").unwrap();
    fs::remove_file(dir.join("a")).unwrap();
    fs::write(dir.join("b"), b"").unwrap();
    let (events, _, end) = collect(&mut w, usize::MAX);
    assert_eq!(events.len(), 1);
    let End::Terminal(e) = end else {
        panic!("{end:?}")
    };
    assert_eq!((e.mask, &e.name[..]), (EventMask::DELETE, &b"a"[..]));
    // Nothing after it is lost: resume hands out the rest.
    w.resume();
    let (events, _, _) = collect(&mut w, 1);
    assert_eq!(events[0].name, b"b");
}

#[test]
fn the_filter_drops_events_and_can_stop_the_loop() {
    let dir = TempDir::new("filter");
    let mut w = watcher(&dir, WatchMask::CREATE, common::engine::quiet_after(500)).filter(|e| {
        match e.name() {
            b"stop" => FilterVerdict::Stop,
            name if name.ends_with(b".tmp") => FilterVerdict::Drop,
            _ => FilterVerdict::Keep,
        }
    });
    for name in ["a.tmp", "b", "c.tmp", "stop", "after"] {
        fs::write(dir.join(name), b"").unwrap();
    }
    let (events, _, end) = collect(&mut w, usize::MAX);
    let names: Vec<_> = events.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, [b"b".to_vec()]);
    let End::Stopped(e) = end else {
        panic!("{end:?}")
    };
    assert_eq!(e.name, b"stop");
    w.resume();
    let (events, _, _) = collect(&mut w, 1);
    assert_eq!(events[0].name, b"after");
}

/// With a fixed 1 ms batching window, a writer creating and deleting files
/// as fast as it can: every event arrives, in order, and no overflow.
#[test]
fn fixed_batching_loses_nothing() {
    batching_loses_nothing("fixed-batching", Batching::Fixed(Duration::from_millis(1)));
}

/// The same with adaptive batching, which switches its window on and off
/// as the rate changes.
#[test]
fn adaptive_batching_loses_nothing() {
    batching_loses_nothing("adaptive-batching", Batching::ADAPTIVE);
}

fn batching_loses_nothing(name: &str, batching: Batching) {
    const FILES: usize = 20_000;
    // The writer stays this many events ahead of the reader at most, well
    // below max_queued_events (16384): on a loaded machine the reader can be
    // descheduled for longer than the kernel's queue lasts, and an overflow
    // then would say nothing about coalescing.
    const AHEAD: usize = 8000;
    let dir = TempDir::new(name);
    let config = WatcherConfig {
        batching,
        ..common::engine::quiet_after(2000)
    };
    let mut w = watcher(&dir, WatchMask::CREATE | WatchMask::DELETE, config);
    let seen = AtomicUsize::new(0);
    let events = std::thread::scope(|s| {
        s.spawn(|| {
            let give_up = Instant::now() + Duration::from_secs(60);
            for i in 0..FILES {
                while 2 * i > seen.load(Ordering::Relaxed) + AHEAD && Instant::now() < give_up {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let file = dir.join(&i.to_string());
                fs::File::create(&file).unwrap();
                fs::remove_file(&file).unwrap();
            }
        });
        let mut events = Vec::with_capacity(2 * FILES);
        while events.len() < 2 * FILES {
            match w.next() {
                Some(Ok(WatcherItem::Event(e))) => {
                    events.push(common::engine::OwnedEvent::from(&e))
                }
                other => {
                    // Let the writer finish, then fail.
                    seen.store(usize::MAX / 2, Ordering::Relaxed);
                    panic!("after {} events: {other:?}", events.len());
                }
            }
            seen.store(events.len(), Ordering::Relaxed);
        }
        events
    });
    for (i, pair) in events.chunks(2).enumerate() {
        let name = i.to_string().into_bytes();
        assert_eq!((pair[0].mask, &pair[0].name), (EventMask::CREATE, &name));
        assert_eq!((pair[1].mask, &pair[1].name), (EventMask::DELETE, &name));
    }
}

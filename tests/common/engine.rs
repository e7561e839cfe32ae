//! Helpers shared by the engine tests: a loop that
//! collects what a `Watcher` hands out, and what the kernel says about its
//! limits. Temporary directories come from [`super`].
#![allow(dead_code)] // each test file uses a different part

// What the engine tests take from the parent too, so that one `use` does.
#[allow(unused_imports)] // each test file uses its own subset
pub use super::interrupt::interrupted_late;
#[allow(unused_imports)]
pub use super::{
    OwnedEvent, TempDir, assert_passed, in_ci, kernel_watch_count, rerun_in_user_namespace,
};

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;
use zinotify::{EventMask, WatchStorage, Watcher, WatcherItem};

/// The masks of the events queued on the bare engine: waits up to 2 s for
/// the first, then takes what one read returns (events the test caused
/// before the call are all queued by then).
pub fn queued_masks(inotify: &zinotify::Inotify) -> Vec<EventMask> {
    let mut buf = [0u8; 4096];
    inotify
        .wait_events(&mut buf, Some(Duration::from_secs(2)))
        .unwrap()
        .map(|e| e.unwrap().mask)
        .collect()
}

/// The bytes of a path.
pub fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// How a collected loop ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    TimedOut,
    Terminal(OwnedEvent),
    Stopped(OwnedEvent),
    /// `limit` events were collected.
    Limit,
}

/// Runs `watcher` until it ends or `limit` events came out; counts idle
/// markers. The caller sets the watcher's timeout so this cannot hang.
pub fn collect<T: WatchStorage, R: AsMut<[u8]>, F: zinotify::EventFilter>(
    watcher: &mut Watcher<T, R, F>,
    limit: usize,
) -> (Vec<OwnedEvent>, usize, End) {
    let (mut events, mut idle) = (Vec::new(), 0);
    while let Some(next) = watcher.next() {
        match next.unwrap() {
            WatcherItem::Event(e) => events.push(OwnedEvent::from(&e)),
            WatcherItem::Idle => idle += 1,
            WatcherItem::TimedOut => return (events, idle, End::TimedOut),
            WatcherItem::Terminal(e) => return (events, idle, End::Terminal(OwnedEvent::from(&e))),
            WatcherItem::Stopped(e) => return (events, idle, End::Stopped(OwnedEvent::from(&e))),
        }
        if events.len() == limit {
            return (events, idle, End::Limit);
        }
    }
    panic!("next() returned None on a loop that had not ended");
}

/// A loop configuration that ends `ms` milliseconds after the last event.
pub fn quiet_after(ms: u64) -> zinotify::WatcherConfig {
    zinotify::WatcherConfig {
        timeout: Some(Duration::from_millis(ms)),
        yield_idle: false,
        ..zinotify::WatcherConfig::default()
    }
}

/// The kernel's queue length, past which it reports `IN_Q_OVERFLOW`.
pub fn max_queued_events() -> usize {
    let text = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events").unwrap();
    text.trim().parse().unwrap()
}

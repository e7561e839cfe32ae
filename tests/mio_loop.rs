//! Another event loop over the same readiness interface: a driver for mio
//! (edge-triggered epoll) in a few lines, with `Watcher::poll`, `fill`,
//! `woke` and `hand_out`, and no code of its own for the cursor, the
//! timeout or idle markers.
#![cfg(feature = "std")]

mod common;

use common::engine::TempDir;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use rustix::fd::AsRawFd;
use std::time::Duration;
use zinotify::sans_io::WatcherStep;
use zinotify::{Error, FixedWatchTable, WatchMask, Watcher, WatcherConfig, WatcherItem};

type Flat = Watcher<zinotify::FixedWatchStorage<2, 512>, [u8; 4096]>;

/// The whole driver: mio's readiness is edge-triggered, so it reads until
/// the queue is empty before it waits.
struct MioWatcher {
    watcher: Flat,
    poll: Poll,
    events: Events,
    drained: bool,
}

impl MioWatcher {
    fn new(watcher: Flat) -> Self {
        let poll = Poll::new().unwrap();
        let fd = watcher.inotify().as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            .unwrap();
        let events = Events::with_capacity(4);
        // Events may be queued already: read before the first wait.
        let drained = false;
        Self {
            watcher,
            poll,
            events,
            drained,
        }
    }

    fn next(&mut self) -> Option<WatcherItem<'_>> {
        let step = loop {
            match self.watcher.poll().unwrap() {
                WatcherStep::Read => self.read(),
                WatcherStep::Wait { .. } if !self.drained => self.read(),
                WatcherStep::Wait { timeout, .. } => {
                    self.poll.poll(&mut self.events, Some(timeout)).unwrap();
                    self.watcher.woke(!self.events.is_empty());
                }
                // A mio loop that batches sleeps as the blocking one does.
                WatcherStep::Batch { window, full } => {
                    self.watcher.inotify().coalesce(full, window).unwrap()
                }
                handed_out => break handed_out,
            }
        };
        match step {
            WatcherStep::Event(found) => Some(self.watcher.hand_out(&found)),
            WatcherStep::Idle => Some(WatcherItem::Idle),
            WatcherStep::TimedOut => Some(WatcherItem::TimedOut),
            _ => None,
        }
    }

    fn read(&mut self) {
        let drained = &mut self.drained;
        self.watcher
            .fill(|inotify, buf| {
                let len = inotify.read_events(buf)?.remaining().len();
                *drained = len == 0;
                Ok::<_, Error>(len)
            })
            .unwrap();
    }
}

#[test]
fn a_mio_driver_hands_out_events_idles_and_times_out() {
    let dir = TempDir::new("mio");
    let watcher = Watcher::from_paths(
        [dir.path()],
        WatchMask::CREATE,
        FixedWatchTable::fixed(),
        [0u8; 4096],
    )
    .unwrap()
    .config(WatcherConfig {
        block: Duration::from_millis(20),
        timeout: Some(Duration::from_millis(200)),
        ..WatcherConfig::default()
    });
    let mut mio = MioWatcher::new(watcher);
    for i in 0..300 {
        std::fs::write(dir.path().join(format!("f{i}")), b"").unwrap();
    }
    let (mut names, mut idle) = (Vec::new(), 0);
    loop {
        match mio.next() {
            Some(WatcherItem::Event(e)) => names.push(e.name().to_vec()),
            Some(WatcherItem::Idle) => idle += 1,
            Some(WatcherItem::TimedOut) => break,
            other => panic!("{other:?}"),
        }
    }
    let want: Vec<_> = (0..300).map(|i| format!("f{i}").into_bytes()).collect();
    assert_eq!(names, want);
    assert!(idle > 0, "20 ms cycles in a 200 ms timeout, none idle");
    assert!(mio.next().is_none(), "None once the loop ended");
}

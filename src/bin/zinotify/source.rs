//! Where events come from: one small trait, so the main loop does not care
//! whether it watches a flat list of paths or whole trees.

use crate::format::Line;
use crate::paths::display_path;
use rustix::fd::BorrowedFd;
use std::ops::ControlFlow;
use std::time::Duration;
use zinotify::sans_io::WatcherStep;
use zinotify::{
    Batching, Error, EventMask, Inotify, WatchEntry, WatchMask, WatchTable, Watcher, WatcherConfig,
    WatcherItem,
};

/// One thing to tell the user.
pub enum Item<'a> {
    /// An event, kernel or synthetic, ready to print.
    Event(Line<'a>),
    /// A remark for standard error (a directory skipped).
    Notice(String),
    /// The tree was read again (after an overflow): a remark for standard
    /// error, and a `rescan` marker for `--json`.
    Rescan(String),
    /// Nothing is watched any more (every root of `-r` deleted or moved
    /// away): the remark to print, then the command ends with status 1.
    Gone(String),
}

/// An event source the main loop waits on.
pub trait Source {
    /// The descriptors that become readable when there is work.
    fn fds(&self) -> Vec<BorrowedFd<'_>>;

    /// Hands what is available now to `sink`, without blocking, until
    /// there is nothing left or `sink` breaks. It may stop after one read
    /// with more still queued: the descriptors stay readable (epoll is
    /// level-triggered here), so the loop comes straight back.
    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error>;

    /// Lets events pile up in the kernel for at most `window`, unless half
    /// a read buffer is already queued ([`Inotify::coalesce`]), so the
    /// next [`drain`](Self::drain) reads many at once.
    fn coalesce(&self, window: Duration) -> Result<(), Error>;
}

/// The read buffer: 64 KiB holds hundreds of events per `read`.
const BUF_LEN: usize = 64 * 1024;

/// Flat watches (no `-r`): each named path is one watch, in zinotify's
/// bounded watch table under the path inotifywait prints for it, driven
/// through the library's flat loop ([`Watcher::poll`]) from the main loop's
/// epoll set.
pub struct Flat {
    watcher: Watcher<(Vec<WatchEntry>, Vec<u8>), Vec<u8>>,
    mask: WatchMask,
}

impl Flat {
    /// A new instance that will watch `paths` for `mask`.
    pub fn new(mask: WatchMask, paths: &[Vec<u8>]) -> Result<Self, Error> {
        // Room for each path as displayed (at most one byte longer).
        let bytes = paths.iter().map(|p| p.len() + 1).sum();
        let table = WatchTable::new((vec![WatchEntry::EMPTY; paths.len()], vec![0; bytes]));
        let watcher =
            Watcher::new(Inotify::new()?, table, vec![0; BUF_LEN])?.config(WatcherConfig {
                // Every event is printed, overflow and unmount too, and the
                // loop goes on; the main loop keeps the timeout and batches.
                terminal: EventMask::empty(),
                batching: Batching::Off,
                ..WatcherConfig::default()
            });
        Ok(Self { watcher, mask })
    }
}

impl Flat {
    /// Watches `path`.
    pub fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        // Watched under the name it is printed with; the same inode named
        // twice is printed with its first name, as by inotifywait.
        self.watcher
            .add_watch(display_path(path).as_slice(), self.mask)
            .map(drop)
            .map_err(|err| err.with_path(path))
    }
}

impl Source for Flat {
    fn fds(&self) -> Vec<BorrowedFd<'_>> {
        vec![rustix::fd::AsFd::as_fd(self.watcher.inotify())]
    }

    fn coalesce(&self, window: Duration) -> Result<(), Error> {
        self.watcher.inotify().coalesce(BUF_LEN / 2, window)
    }

    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error> {
        // The main loop's epoll found the descriptor readable. The loop
        // reads again only after a read that filled the buffer: a second
        // one would mostly find the queue empty, a system call per wake-up
        // for nothing on a live stream.
        self.watcher.woke(true);
        loop {
            let found = match self.watcher.poll()? {
                WatcherStep::Event(found) => found,
                WatcherStep::Read => {
                    self.watcher.fill(|inotify, buf| {
                        inotify.read_events(buf).map(|e| e.remaining().len())
                    })?;
                    continue;
                }
                // Nothing left to read now: back to the main loop's wait.
                _ => break,
            };
            let (WatcherItem::Event(event)
            | WatcherItem::Terminal(event)
            | WatcherItem::Stopped(event)) = self.watcher.hand_out(&found)
            else {
                continue;
            };
            let flow = sink(Item::Event(Line {
                watch: event.watch_path.unwrap_or_default(),
                name: event.event.name,
                mask: event.event.mask,
                cookie: event.event.cookie,
                synthetic: false,
            }));
            if flow.is_break() {
                return Ok(flow);
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}

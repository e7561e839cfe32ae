//! The flat loop and trees on tokio: [`AsyncWatcher::next`] and
//! [`AsyncTrees::next_event`] are the blocking loops' `next` and
//! `next_event`, waiting on [`AsyncFd`] instead of `epoll_wait`.
//!
//! What is guaranteed, each with a test in `tests/tokio_loop.rs` or
//! `tests/tokio_zero_alloc.rs`:
//!
//! - **No allocation per event.** Events borrow the caller's read buffer,
//!   as in the blocking loops; the futures hold nothing on the heap.
//! - **Cancellation safety.** A future dropped at any point (a branch of
//!   `tokio::select!` that lost) loses no event: every read lands in the
//!   loop's state before the next `.await`, and the next call goes on from
//!   there.
//! - **The same steps and semantics as the blocking loops**: idle markers,
//!   the timeout, terminal events, `None` only once the loop ended;
//!   batching sleeps on tokio's timer rather than blocking the thread.
//! - **Both runtimes**: `current_thread` and `multi_thread`; with owned
//!   storage and buffer the loops are `Send + 'static` and can be moved
//!   into `tokio::spawn`.
//!
//! The runtime needs its I/O and time drivers (`enable_all`, or
//! `#[tokio::main]`). Tokio's readiness is edge-triggered, so the loops
//! wait on it again only once the queue is known to be empty: a read got
//! `WouldBlock`, or left room for the largest event (the kernel copies
//! every queued event that fits). A tree's set-up and listing work
//! (`getdents64`, `inotify_add_watch`) runs inside the call, as it does in
//! the blocking loop: short, non-blocking system calls.
//!
//! ```no_run
//! use std::time::Duration;
//! use zinotify::runtime::tokio::AsyncWatcher;
//! use zinotify::{FixedWatchTable, WatcherItem, WatchMask, Watcher, WatcherConfig};
//!
//! # async fn run() -> Result<(), zinotify::Error> {
//! let watcher = Watcher::from_paths(["/tmp"], WatchMask::CREATE,
//!         FixedWatchTable::<4, 256>::fixed(), vec![0u8; 16384])?
//!     .config(WatcherConfig { timeout: Some(Duration::from_secs(5)), ..WatcherConfig::default() });
//! let mut watcher = AsyncWatcher::new(watcher)?;
//! while let Some(next) = watcher.next().await {
//!     match next? {
//!         WatcherItem::Event(e) => println!("{}", e.name().escape_ascii()),
//!         WatcherItem::Idle => {}
//!         _ => break,
//!     }
//! }
//! # Ok(()) }
//! ```

use crate::error::{Error, ErrorKind, Operation};
use crate::event::MIN_BUFFER_LEN;
use crate::inotify::Inotify;
use crate::tree::{BorrowedTreeStorage, InotifyTrees, TreeEvent, TreeStep, TreeStore};
use crate::watch_table::WatchStorage;
use crate::watcher::{EventFilter, KeepAll, Watcher, WatcherItem, WatcherStep};
use ::tokio::io::unix::AsyncFd;
use core::time::Duration;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use std::io;

/// The readiness side both drivers share: an [`AsyncFd`] over a duplicate
/// of the inotify descriptor (same queue, same non-blocking flag), and
/// whether the last read found the queue empty.
#[derive(Debug)]
struct Readiness {
    fd: AsyncFd<OwnedFd>,
    /// The last read found the queue empty and tokio's readiness was
    /// cleared, so waiting on it means waiting for new events. Until then
    /// tokio still reports the descriptor ready, and a wait would return
    /// at once.
    drained: bool,
}

impl Readiness {
    /// Registers a duplicate of `inotify`'s descriptor with the current
    /// runtime (`fcntl(F_DUPFD_CLOEXEC)`, then `epoll_ctl` in tokio).
    fn new(inotify: &Inotify) -> Result<Self, Error> {
        let dup = rustix::io::fcntl_dupfd_cloexec(inotify, 0)
            .map_err(|errno| Error::from_errno(Operation::Init, errno))?;
        // The safe constructor, deprecated since tokio 1.54 in favour of an
        // `unsafe` one that this crate (`forbid(unsafe_code)`) cannot call.
        // What it cannot check holds here: `OwnedFd` owns its descriptor,
        // always returns the same one, and is closed only when dropped.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(dup, ::tokio::io::Interest::READABLE)
            .map_err(|err| io_error(Operation::Init, &err))?;
        Ok(Self { fd, drained: true })
    }

    /// Waits for tokio's readiness (at once unless the queue was found
    /// empty), then reads into `buf` with `fill`, under the readiness guard.
    ///
    /// Tokio's readiness is edge-triggered: it may be cleared only once the
    /// queue is known to be empty, or an event could wait forever. A read
    /// that got `WouldBlock` is such proof (`try_io` then clears exactly the
    /// readiness the guard saw), and so is a short read: the kernel copies
    /// every queued event that fits, so a read that left room for the
    /// largest event emptied the queue. Clearing then saves the `read` that
    /// would only get `WouldBlock`; the guard clears only the readiness it
    /// saw, so an event queued since makes the descriptor ready again.
    async fn read<E>(
        &mut self,
        fill: impl FnOnce(&mut dyn FnMut(&mut [u8]) -> Result<usize, Error>) -> Result<(), E>,
    ) -> Result<(), Error>
    where
        Error: From<E>,
    {
        let mut guard = self
            .fd
            .readable()
            .await
            .map_err(|err| io_error(Operation::Wait, &err))?;
        let mut emptied = false;
        let mut read = |buf: &mut [u8]| {
            let read = guard.try_io(|fd| {
                loop {
                    match rustix::io::read(fd.get_ref(), &mut *buf) {
                        Err(Errno::INTR) => continue,
                        other => return other.map_err(io::Error::from),
                    }
                }
            });
            match read {
                Ok(Ok(len)) => {
                    emptied = len + MIN_BUFFER_LEN <= buf.len();
                    Ok(len)
                }
                Ok(Err(err)) => Err(io_error(Operation::Read, &err)),
                Err(_would_block) => {
                    emptied = true;
                    Ok(0)
                }
            }
        };
        let filled = fill(&mut read);
        if emptied {
            guard.clear_ready();
        }
        self.drained = emptied;
        Ok(filled?)
    }

    /// Waits until the descriptor is readable or `timeout` passes (`None`:
    /// never); whether it is readable.
    async fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        let ready = self.fd.readable();
        let ready = match timeout {
            Some(timeout) => match ::tokio::time::timeout(timeout, ready).await {
                Ok(ready) => ready,
                Err(_elapsed) => return Ok(false),
            },
            None => ready.await,
        };
        ready
            .map(|_guard| true)
            .map_err(|err| io_error(Operation::Wait, &err))
    }
}

/// Lets events pile up for `window`, unless `full` bytes are queued: the
/// blocking loops' [`Inotify::coalesce`], on tokio's timer.
async fn batch(inotify: &Inotify, window: Duration, full: usize) -> Result<(), Error> {
    if inotify.queued_bytes()? < full {
        ::tokio::time::sleep(window).await;
    }
    Ok(())
}

/// An I/O error from tokio or a read, as this crate's [`Error`].
fn io_error(operation: Operation, err: &io::Error) -> Error {
    match Errno::from_io_error(err) {
        Some(errno) => Error::from_errno(operation, errno),
        None => Error::new(operation, ErrorKind::Os(Errno::IO)),
    }
}

/// A [`Watcher`] on tokio; see the [module docs](self).
#[derive(Debug)]
pub struct AsyncWatcher<T, R, F = KeepAll> {
    watcher: Watcher<T, R, F>,
    ready: Readiness,
}

impl<T: WatchStorage, R: AsMut<[u8]>, F: EventFilter> AsyncWatcher<T, R, F> {
    /// Drives `watcher` on the current tokio runtime: the descriptor is
    /// registered with its reactor, so this panics outside a runtime, as
    /// tokio's `AsyncFd` does.
    pub fn new(watcher: Watcher<T, R, F>) -> Result<Self, Error> {
        let ready = Readiness::new(watcher.inotify())?;
        Ok(Self { watcher, ready })
    }

    /// [`Watcher::next`], waiting on the runtime: the next event, idle
    /// marker or ending, borrowing the buffer; `None` once the loop ended.
    /// Cancellation-safe.
    pub async fn next(&mut self) -> Option<Result<WatcherItem<'_>, Error>> {
        match self.drive().await {
            Ok(WatcherStep::Event(found)) => Some(Ok(self.watcher.hand_out(&found))),
            Ok(WatcherStep::Idle) => Some(Ok(WatcherItem::Idle)),
            Ok(WatcherStep::TimedOut) => Some(Ok(WatcherItem::TimedOut)),
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        }
    }

    /// Does what the core asks until it has something to hand out.
    async fn drive(&mut self) -> Result<WatcherStep, Error> {
        loop {
            match self.watcher.poll()? {
                WatcherStep::Read => self.read().await?,
                WatcherStep::Batch { window, full } => {
                    batch(self.watcher.inotify(), window, full).await?
                }
                // Tokio still says "ready": read until WouldBlock first.
                WatcherStep::Wait { .. } if !self.ready.drained => self.read().await?,
                WatcherStep::Wait { timeout, .. } => {
                    let ready = self.ready.wait(Some(timeout)).await?;
                    self.watcher.woke(ready);
                }
                handed_out => return Ok(handed_out),
            }
        }
    }

    async fn read(&mut self) -> Result<(), Error> {
        let watcher = &mut self.watcher;
        self.ready
            .read(|read| watcher.fill(|_, buf| read(buf)))
            .await
    }

    /// The blocking loop inside, for its table and configuration.
    pub fn get_ref(&self) -> &Watcher<T, R, F> {
        &self.watcher
    }

    /// The blocking loop inside, to add or remove watches or change the
    /// configuration between calls.
    pub fn get_mut(&mut self) -> &mut Watcher<T, R, F> {
        &mut self.watcher
    }

    /// The blocking loop again, with its state (buffered events too).
    pub fn into_inner(self) -> Watcher<T, R, F> {
        self.watcher
    }
}

/// [`InotifyTrees`] on tokio; see the [module docs](self). For one tree,
/// give it an `InotifyTrees` with one root.
pub struct AsyncTrees<'s, S: TreeStore = BorrowedTreeStorage<'s>, R = &'s mut [u8]> {
    trees: InotifyTrees<'s, S, R>,
    ready: Readiness,
}

impl<'s, S: TreeStore, R: AsMut<[u8]>> AsyncTrees<'s, S, R> {
    /// Drives `trees` on the current tokio runtime: the descriptor is
    /// registered with its reactor, so this panics outside a runtime, as
    /// tokio's `AsyncFd` does.
    pub fn new(trees: InotifyTrees<'s, S, R>) -> Result<Self, Error> {
        let ready = Readiness::new(trees.inotify())?;
        Ok(Self { trees, ready })
    }

    /// [`InotifyTrees::next_event`], waiting on the runtime: the next
    /// event, [`TreeEventKind::Idle`](crate::TreeEventKind::Idle) when `timeout` (`None`: forever)
    /// passes with nothing to report, `None` once nothing is watched.
    /// Cancellation-safe.
    pub async fn next_event(
        &mut self,
        timeout: Option<Duration>,
    ) -> Option<Result<TreeEvent<'_>, Error>> {
        let mut waited = false;
        loop {
            match self.trees.poll() {
                TreeStep::Report(report) => return Some(Ok(self.trees.hand_out(&report))),
                TreeStep::Error(err) => return Some(Err(err)),
                TreeStep::Ended => return None,
                TreeStep::Read => {
                    if let Err(err) = self.read().await {
                        return Some(Err(err));
                    }
                }
                TreeStep::Batch { window, full } => {
                    if let Err(err) = batch(self.trees.inotify(), window, full).await {
                        return Some(Err(err));
                    }
                }
                // Tokio still says "ready": read until WouldBlock first.
                TreeStep::Wait if !self.ready.drained => {
                    if let Err(err) = self.read().await {
                        return Some(Err(err));
                    }
                }
                TreeStep::Wait if waited => return Some(Ok(crate::tree::IDLE)),
                TreeStep::Wait => match self.ready.wait(timeout).await {
                    Ok(true) => {
                        waited = timeout.is_some();
                        self.trees.woke(&mut crate::inotify::now);
                    }
                    Ok(false) => return Some(Ok(crate::tree::IDLE)),
                    Err(err) => return Some(Err(err)),
                },
            }
        }
    }

    async fn read(&mut self) -> Result<(), Error> {
        let trees = &mut self.trees;
        self.ready.read(|read| trees.fill(|_, buf| read(buf))).await
    }

    /// The trees inside, for their table and roots.
    pub fn get_ref(&self) -> &InotifyTrees<'s, S, R> {
        &self.trees
    }

    /// The trees inside, to add or remove roots between calls.
    pub fn get_mut(&mut self) -> &mut InotifyTrees<'s, S, R> {
        &mut self.trees
    }

    /// The blocking trees again, with their state.
    pub fn into_inner(self) -> InotifyTrees<'s, S, R> {
        self.trees
    }
}

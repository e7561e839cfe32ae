//! [`Watcher`]: the blocking driver of the flat loop's [`WatcherCore`].

use super::{
    EventFilter, FilterVerdict, FoundEvent, KeepAll, WatcherConfig, WatcherCore, WatcherItem,
    WatcherStep,
};
use crate::error::Error;
use crate::inotify::{Inotify, WatchDescriptor, check_buffer, now};
use crate::mask::WatchMask;
use crate::path::PathBytes;
use crate::watch_event::WatchEvent;
use crate::watch_table::{WatchStorage, WatchTable};

/// Flat watches with PyInotify's event loop: watch a list of paths, then
/// take events one at a time, with idle markers, an overall timeout,
/// terminal events and a filter.
///
/// The loop is sans-IO at heart: [`WatcherCore`] holds the cursor over the read
/// buffer, the `IN_IGNORED` hand-off, the idle, timeout and batching
/// bookkeeping, terminal events and the filter. It is fed bytes and time
/// and answers with a [`WatcherStep`]: hand out the event at an offset, read, wait
/// for readiness, let events pile up, or report idle, a timeout or the end.
/// A driver only does what the step says. [`Watcher`] is the blocking
/// driver (`epoll_wait`, `read`, `ppoll`); the `tokio` feature adds an
/// async one ([`crate::runtime`]), and any other event loop is a few lines
/// over the same core (see `tests/mio_loop.rs`).
///
/// [`Watcher`] owns an [`Inotify`], a
/// [`WatchTable`] table and a read buffer, all in storage the
/// caller chose (no heap). Its [`next`](Watcher::next) is a *lending*
/// iterator: each [`WatcherItem`] borrows the buffer, so it must be dropped before
/// the next call; write the loop as `while let`.
///
/// System calls per wake-up: `epoll_wait` then `read` (a read that fills
/// the buffer is followed by another `read` at once, without waiting);
/// `ioctl(FIONREAD)` and `ppoll` when [batching](crate::Batching) waits for a
/// fuller buffer; `clock_gettime(CLOCK_MONOTONIC)` (vDSO) to keep the
/// timeout, to resume an interrupted wait and to measure the event rate.
/// Watches cost `inotify_add_watch` and `inotify_rm_watch`.
///
/// | PyInotify | zinotify |
/// |---|---|
/// | `Inotify(paths=[...])` | [`Watcher::from_paths`] (watched in order) |
/// | `block_duration_s=1` | [`WatcherConfig::block`] (default 1 s) |
/// | `event_gen()` | `while let Some(next) = watcher.next()` |
/// | `None` after an empty cycle, `yield_nones` | [`WatcherItem::Idle`], [`WatcherConfig::yield_idle`] |
/// | `timeout_s` (since the last event) | [`WatcherConfig::timeout`], then [`WatcherItem::TimedOut`] |
/// | `terminal_events` (raise) | [`WatcherConfig::terminal`], then [`WatcherItem::Terminal`] |
/// | `filter_predicate` | [`Watcher::filter`], [`FilterVerdict`] (can also stop) |
/// | (none) | [`WatcherConfig::batching`]: fewer wake-ups under load |
/// | drops `IN_Q_OVERFLOW` with its `wd == -1` | always handed out, with no watch path |
///
/// ```
/// use std::time::Duration;
/// use zinotify::{WatcherConfig, FixedWatchTable, WatcherItem, Watcher, WatchMask};
///
/// let dir = std::env::temp_dir().join(format!("zinotify-watcher-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
///
/// let mut watcher = Watcher::from_paths(
///     [&dir],
///     WatchMask::CREATE,
///     FixedWatchTable::<8, 1024>::fixed(),
///     [0u8; 4096],
/// )?
/// .config(WatcherConfig { timeout: Some(Duration::from_millis(300)), ..WatcherConfig::default() });
/// std::fs::write(dir.join("hello.txt"), b"").unwrap();
///
/// let mut names = Vec::new();
/// while let Some(next) = watcher.next() {
///     match next? {
///         WatcherItem::Event(e) => names.push(e.name().to_vec()),
///         WatcherItem::Idle => {}
///         WatcherItem::TimedOut => break,
///         other => panic!("{other:?}"),
///     }
/// }
/// assert_eq!(names, [b"hello.txt".to_vec()]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), zinotify::Error>(())
/// ```
///
///
/// `T` is the table's [`WatchStorage`], `R` the read buffer (any
/// `AsMut<[u8]>` of at least [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN)
/// bytes; 4 to 64 KiB reads many events per system call), `F` the
/// [`EventFilter`].
#[doc(alias = "adapters.Inotify")]
#[derive(Debug)]
pub struct Watcher<T, R, F = KeepAll> {
    inotify: Inotify,
    watches: WatchTable<T>,
    buf: R,
    core: WatcherCore<F>,
}

impl<T: WatchStorage, R: AsMut<[u8]>> Watcher<T, R> {
    /// A loop over `inotify`, with the watches already in `watches` (added
    /// through the same `inotify`), reading into `buf`.
    ///
    /// `buf` shorter than [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN) is
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall).
    pub fn new(inotify: Inotify, watches: WatchTable<T>, mut buf: R) -> Result<Self, Error> {
        check_buffer(buf.as_mut())?;
        Ok(Self {
            inotify,
            watches,
            buf,
            core: WatcherCore::new(now()),
        })
    }

    /// A new instance watching each of `paths` with `mask`, in order
    /// (PyInotify's `Inotify(paths=[...])`). The first failure is returned
    /// and everything is closed again.
    pub fn from_paths<P: PathBytes>(
        paths: impl IntoIterator<Item = P>,
        mask: WatchMask,
        watches: WatchTable<T>,
        buf: R,
    ) -> Result<Self, Error> {
        let mut watcher = Self::new(Inotify::new()?, watches, buf)?;
        for path in paths {
            watcher.add_watch(&path, mask)?;
        }
        Ok(watcher)
    }
}

impl<T: WatchStorage, R: AsMut<[u8]>, F: EventFilter> Watcher<T, R, F> {
    /// Replaces the configuration.
    pub fn config(mut self, config: WatcherConfig) -> Self {
        *self.core.config_mut() = config;
        self
    }

    /// Sets the filter to a closure (PyInotify's `filter_predicate`, which
    /// can also end the loop here). The closure's argument type is inferred.
    ///
    /// ```no_run
    /// # use zinotify::{FixedWatchTable, FilterVerdict, Watcher, WatchMask};
    /// let watcher = Watcher::from_paths(["/tmp"], WatchMask::ALL_EVENTS,
    ///         FixedWatchTable::<4, 256>::fixed(), [0u8; 4096])?
    ///     .filter(|e| if e.name().ends_with(b".swp") { FilterVerdict::Drop } else { FilterVerdict::Keep });
    /// # Ok::<(), zinotify::Error>(())
    /// ```
    #[doc(alias = "filter_predicate")]
    pub fn filter<G>(self, filter: G) -> Watcher<T, R, G>
    where
        G: FnMut(&WatchEvent<'_>) -> FilterVerdict,
    {
        self.with_filter(filter)
    }

    /// Sets the filter to any [`EventFilter`], such as a type of your own.
    pub fn with_filter<G: EventFilter>(self, filter: G) -> Watcher<T, R, G> {
        Watcher {
            inotify: self.inotify,
            watches: self.watches,
            buf: self.buf,
            core: self.core.with_filter(filter),
        }
    }

    /// The configuration, to change between calls.
    pub fn config_mut(&mut self) -> &mut WatcherConfig {
        self.core.config_mut()
    }

    /// The engine, for [`AsFd`](rustix::fd::AsFd) or direct system calls.
    pub fn inotify(&self) -> &Inotify {
        &self.inotify
    }

    /// The watch table.
    pub fn watches(&self) -> &WatchTable<T> {
        &self.watches
    }

    /// Watches one more path: [`WatchTable::add`].
    pub fn add_watch<P: PathBytes + ?Sized>(
        &mut self,
        path: &P,
        mask: WatchMask,
    ) -> Result<WatchDescriptor, Error> {
        self.core.forget_pending(&mut self.watches);
        self.watches.add(&self.inotify, path, mask)
    }

    /// Stops watching a path: [`WatchTable::remove_path`]. Its `IN_IGNORED`
    /// comes out of the loop with the path, then the entry is dropped.
    pub fn remove_path<P: PathBytes + ?Sized>(
        &mut self,
        path: &P,
    ) -> Result<WatchDescriptor, Error> {
        self.core.forget_pending(&mut self.watches);
        self.watches.remove_path(&self.inotify, path)
    }

    /// Stops watching a descriptor: [`WatchTable::remove`].
    pub fn remove_watch(&mut self, wd: WatchDescriptor) -> Result<(), Error> {
        self.core.forget_pending(&mut self.watches);
        self.watches.remove(&self.inotify, wd)
    }

    /// Lets a loop that ended (terminal event, timeout, stop) go on, with
    /// the events that were still buffered; the timeout counts from now.
    pub fn resume(&mut self) {
        self.core.resume(now());
    }

    /// How many table entries stay once the `IN_IGNORED` just handed out
    /// (if any) is processed, on the next call to `next` or to a method that
    /// adds or removes a watch: 0 means nothing is watched any more, which
    /// is when inotifywait exits.
    pub fn remaining_watches(&self) -> usize {
        self.core.remaining_watches(&self.watches)
    }

    /// Whether the loop ended; see [`resume`](Self::resume).
    pub fn has_ended(&self) -> bool {
        self.core.has_ended()
    }

    /// The next step: an event, an idle marker, or an ending. `None` once the
    /// loop ended. Blocks for at most [`WatcherConfig::block`] per cycle.
    ///
    /// An error (a failed system call, or bytes the parser rejects, after
    /// which the rest of that read is dropped) does not end the loop: the
    /// caller decides whether to go on.
    #[doc(alias = "event_gen")]
    #[allow(clippy::should_implement_trait)] // a lending iterator cannot be an Iterator
    pub fn next(&mut self) -> Option<Result<WatcherItem<'_>, Error>> {
        let step = match self.drive() {
            Ok(step) => step,
            Err(err) => return Some(Err(err)),
        };
        Some(Ok(match step {
            WatcherStep::Event(found) => self.hand_out(&found),
            WatcherStep::Idle => WatcherItem::Idle,
            WatcherStep::TimedOut => WatcherItem::TimedOut,
            _ => return None,
        }))
    }

    /// Does what the core asks until it has something to hand out.
    fn drive(&mut self) -> Result<WatcherStep, Error> {
        loop {
            match self.poll()? {
                WatcherStep::Read => {
                    self.fill(|inotify, buf| inotify.read_events(buf).map(|e| e.remaining().len()))?
                }
                WatcherStep::Batch { window, full } => self.inotify.coalesce(full, window)?,
                WatcherStep::Wait { since, timeout } => {
                    let ready = self.inotify.wait_since(Some(since), Some(timeout))?;
                    self.woke(ready);
                }
                handed_out => return Ok(handed_out),
            }
        }
    }

    /// What to do next, without blocking: the [`WatcherCore`]'s [`WatcherStep`], for a
    /// driver of one's own (an async runtime, mio). [`next`](Self::next)
    /// is this loop: do what the step says ([`fill`](Self::fill),
    /// [`woke`](Self::woke), a sleep) until it is one to hand out
    /// ([`hand_out`](Self::hand_out)).
    pub fn poll(&mut self) -> Result<WatcherStep, Error> {
        self.core
            .poll(self.buf.as_mut(), &mut self.watches, &mut now)
    }

    /// Does the read [`WatcherStep::Read`] asks for: `read` fills the buffer (from
    /// the instance given, or a duplicate of its descriptor) without
    /// blocking and returns the bytes read, 0 when nothing is queued. Its
    /// error is returned as is, and the read is asked for again.
    pub fn fill<E>(
        &mut self,
        read: impl FnOnce(&Inotify, &mut [u8]) -> Result<usize, E>,
    ) -> Result<(), E> {
        let buf = self.buf.as_mut();
        let len = read(&self.inotify, buf)?;
        self.core.read_done(len, buf.len());
        Ok(())
    }

    /// The wait [`WatcherStep::Wait`] asked for ended: `ready` when the descriptor
    /// is readable, `false` when its time passed.
    pub fn woke(&mut self, ready: bool) {
        self.core.woke(ready, &mut now);
    }

    /// The event of a [`WatcherStep::Event`], borrowing the buffer and the table.
    pub fn hand_out(&mut self, found: &FoundEvent) -> WatcherItem<'_> {
        found.next(self.buf.as_mut(), &self.watches)
    }
}

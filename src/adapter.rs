//! PyInotify's `Inotify` adapter: watch a list of paths, then take events
//! one at a time, with idle markers, an overall timeout, terminal events and
//! a filter.
//!
//! [`Watcher`] owns an [`Inotify`], a [`Watches`] table and a read buffer,
//! all in storage the caller chose (no heap). Its [`next`](Watcher::next) is
//! a *lending* iterator: each [`Next`] borrows the buffer, so it must be
//! dropped before the next call; write the loop as `while let`.
//!
//! System calls: those of [`Inotify`] (`epoll_wait` and `read` per wake-up;
//! `ioctl(FIONREAD)` and `ppoll` with a coalescing window) and of
//! [`Watches`] (`inotify_add_watch`, `inotify_rm_watch`), plus
//! `clock_gettime(CLOCK_MONOTONIC)` (vDSO) once per wake-up to keep the
//! timeout and to resume an interrupted wait.
//!
//! | PyInotify | zinotify |
//! |---|---|
//! | `Inotify(paths=[...])` | [`Watcher::from_paths`] (watched in order) |
//! | `block_duration_s=1` | [`WatcherConfig::block`] (default 1 s) |
//! | `event_gen()` | `while let Some(next) = watcher.next()` |
//! | `None` after an empty cycle, `yield_nones` | [`Next::Idle`], [`WatcherConfig::yield_idle`] |
//! | `timeout_s` (since the last event) | [`WatcherConfig::timeout`], then [`Next::TimedOut`] |
//! | `terminal_events` (raise) | [`WatcherConfig::terminal`], then [`Next::Terminal`] |
//! | `filter_predicate` | [`Watcher::filter`], [`Verdict`] (can also stop) |
//! | drops `IN_Q_OVERFLOW` with its `wd == -1` | always handed out, with no watch path |
//!
//! ```
//! use std::time::Duration;
//! use zinotify::{WatcherConfig, FixedWatches, Next, Watcher, WatchMask};
//!
//! let dir = std::env::temp_dir().join(format!("zinotify-adapter-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//!
//! let mut watcher = Watcher::from_paths(
//!     [&dir],
//!     WatchMask::CREATE,
//!     FixedWatches::<8, 1024>::fixed(),
//!     [0u8; 4096],
//! )?
//! .config(WatcherConfig { timeout: Some(Duration::from_millis(300)), ..WatcherConfig::default() });
//! std::fs::write(dir.join("hello.txt"), b"").unwrap();
//!
//! let mut names = Vec::new();
//! while let Some(next) = watcher.next() {
//!     match next? {
//!         Next::Event(e) => names.push(e.name().to_vec()),
//!         Next::Idle => {}
//!         Next::TimedOut => break,
//!         other => panic!("{other:?}"),
//!     }
//! }
//! assert_eq!(names, [b"hello.txt".to_vec()]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), zinotify::Error>(())
//! ```

use crate::error::Error;
use crate::event::{Event, Events, HEADER_LEN, ParseError};
use crate::inotify::{Inotify, WatchDescriptor, add, check_buffer, now};
use crate::mask::{EventMask, WatchMask};
use crate::path::PathBytes;
use crate::watched::WatchedEvent;
use crate::watches::{WatchStorage, Watches};
use core::time::Duration;

/// How a [`Watcher`] loop waits and when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatcherConfig {
    /// How long one cycle blocks in `epoll_wait` (PyInotify's
    /// `block_duration_s`). Default: 1 s. Zero polls: with `yield_idle` off
    /// and no `timeout`, [`Watcher::next`] then spins until an event comes.
    pub block: Duration,
    /// Hand out [`Next::Idle`] when a cycle passes with no event (PyInotify's
    /// `yield_nones`). Default: `true`. Unlike PyInotify, which also yields
    /// `None` after each batch of events, the marker means only "a whole
    /// cycle passed with nothing", so a busy loop is not interrupted.
    pub yield_idle: bool,
    /// End the loop with [`Next::TimedOut`] when this long passes with no
    /// event: counted from when the last event was handed out (or the loop
    /// started or [resumed](Watcher::resume)), as PyInotify's `timeout_s`.
    /// Events the filter drops count as events. Events that are already
    /// queued when it passes (the caller was busy) are still handed out
    /// first. Default: `None`, never.
    pub timeout: Option<Duration>,
    /// Events whose mask has any of these bits end the loop after they are
    /// handed out, as [`Next::Terminal`] (PyInotify's `terminal_events`).
    /// Default: `Q_OVERFLOW | UNMOUNT`.
    pub terminal: EventMask,
    /// Opt-in coalescing window for high-rate loops: after each wake-up, let
    /// events pile up for this long unless a full buffer is already queued
    /// (see [`Inotify::coalesce`]). Adds up to this much latency per batch.
    /// Default: `None`.
    pub coalesce: Option<Duration>,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            block: Duration::from_secs(1),
            yield_idle: true,
            timeout: None,
            terminal: EventMask::Q_OVERFLOW | EventMask::UNMOUNT,
            coalesce: None,
        }
    }
}

/// One step of a [`Watcher`] loop. The last three end the loop: after them
/// [`Watcher::next`] returns `None` until [`Watcher::resume`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next<'a> {
    /// An event, with its watch path.
    Event(WatchedEvent<'a>),
    /// A cycle of [`WatcherConfig::block`] passed with no event (PyInotify's `None`).
    Idle,
    /// A [terminal](WatcherConfig::terminal) event: handed out, and the loop ended.
    Terminal(WatchedEvent<'a>),
    /// [`WatcherConfig::timeout`] passed with no event; the loop ended.
    TimedOut,
    /// The filter returned [`Verdict::Stop`] for this event: it is handed out
    /// (nothing is lost), and the loop ended.
    Stopped(WatchedEvent<'a>),
}

/// A filter's decision on one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the event out.
    Keep,
    /// Skip the event. Overflow and unmount events are never skipped: the
    /// filter is not asked about them.
    Drop,
    /// Hand the event out as [`Next::Stopped`] and end the loop.
    Stop,
}

/// Decides which events a [`Watcher`] hands out. Implemented for closures
/// `FnMut(&WatchedEvent) -> Verdict` and for [`KeepAll`].
pub trait Filter {
    /// The decision for `event`.
    fn check(&mut self, event: &WatchedEvent<'_>) -> Verdict;
}

impl<F: FnMut(&WatchedEvent<'_>) -> Verdict> Filter for F {
    fn check(&mut self, event: &WatchedEvent<'_>) -> Verdict {
        self(event)
    }
}

/// The default filter: keeps every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeepAll;

impl Filter for KeepAll {
    #[inline]
    fn check(&mut self, _: &WatchedEvent<'_>) -> Verdict {
        Verdict::Keep
    }
}

/// Where the next event lies in the buffer, with its fields: an event
/// without a borrow, so the loop can keep reading after dropping one.
#[derive(Clone, Copy)]
struct Found {
    wd: i32,
    mask: EventMask,
    cookie: u32,
    len: u32,
    name_at: usize,
    name_len: usize,
    /// The table slot holding the watch path, looked up once.
    slot: Option<usize>,
    ends: Option<Ending>,
}

/// Why a found event ends the loop.
#[derive(Clone, Copy)]
enum Ending {
    Terminal,
    Stopped,
}

/// Flat watches with PyInotify's event loop; see the [module docs](self).
///
/// `T` is the table's [`WatchStorage`], `R` the read buffer (any
/// `AsMut<[u8]>` of at least [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN)
/// bytes; 4 to 64 KiB reads many events per system call), `F` the
/// [`Filter`].
#[derive(Debug)]
pub struct Watcher<T, R, F = KeepAll> {
    inotify: Inotify,
    watches: Watches<T>,
    buf: R,
    /// Unread events: `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// The `IN_IGNORED` handed out last; its entry is dropped on the next
    /// call, once the caller is done with its watch path.
    forget: Option<WatchDescriptor>,
    ended: bool,
    /// A batch was read since `last_event` was last set.
    fresh_batch: bool,
    /// When the last event was handed out (or the loop started or resumed),
    /// on the monotonic clock; set lazily, when the timeout needs it.
    last_event: Duration,
    config: WatcherConfig,
    filter: F,
}

impl<T: WatchStorage, R: AsMut<[u8]>> Watcher<T, R> {
    /// A loop over `inotify`, with the watches already in `watches` (added
    /// through the same `inotify`), reading into `buf`.
    ///
    /// `buf` shorter than [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN) is
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall).
    pub fn new(inotify: Inotify, watches: Watches<T>, mut buf: R) -> Result<Self, Error> {
        check_buffer(buf.as_mut())?;
        Ok(Self {
            inotify,
            watches,
            buf,
            pos: 0,
            end: 0,
            forget: None,
            ended: false,
            fresh_batch: false,
            last_event: now(),
            config: WatcherConfig::default(),
            filter: KeepAll,
        })
    }

    /// A new instance watching each of `paths` with `mask`, in order
    /// (PyInotify's `Inotify(paths=[...])`). The first failure is returned
    /// and everything is closed again.
    pub fn from_paths<P: PathBytes>(
        paths: impl IntoIterator<Item = P>,
        mask: WatchMask,
        watches: Watches<T>,
        buf: R,
    ) -> Result<Self, Error> {
        let mut watcher = Self::new(Inotify::new()?, watches, buf)?;
        for path in paths {
            watcher.add_watch(&path, mask)?;
        }
        Ok(watcher)
    }
}

impl<T: WatchStorage, R: AsMut<[u8]>, F: Filter> Watcher<T, R, F> {
    /// Replaces the configuration.
    pub fn config(mut self, config: WatcherConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the filter to a closure (PyInotify's `filter_predicate`, which
    /// can also end the loop here). The closure's argument type is inferred.
    ///
    /// ```no_run
    /// # use zinotify::{FixedWatches, Verdict, Watcher, WatchMask};
    /// let watcher = Watcher::from_paths(["/tmp"], WatchMask::ALL_EVENTS,
    ///         FixedWatches::<4, 256>::fixed(), [0u8; 4096])?
    ///     .filter(|e| if e.name().ends_with(b".swp") { Verdict::Drop } else { Verdict::Keep });
    /// # Ok::<(), zinotify::Error>(())
    /// ```
    pub fn filter<G>(self, filter: G) -> Watcher<T, R, G>
    where
        G: FnMut(&WatchedEvent<'_>) -> Verdict,
    {
        self.with_filter(filter)
    }

    /// Sets the filter to any [`Filter`], such as a type of your own.
    pub fn with_filter<G: Filter>(self, filter: G) -> Watcher<T, R, G> {
        Watcher {
            inotify: self.inotify,
            watches: self.watches,
            buf: self.buf,
            pos: self.pos,
            end: self.end,
            forget: self.forget,
            ended: self.ended,
            fresh_batch: self.fresh_batch,
            last_event: self.last_event,
            config: self.config,
            filter,
        }
    }

    /// The configuration, to change between calls.
    pub fn config_mut(&mut self) -> &mut WatcherConfig {
        &mut self.config
    }

    /// The engine, for [`AsFd`](rustix::fd::AsFd) or direct system calls.
    pub fn inotify(&self) -> &Inotify {
        &self.inotify
    }

    /// The watch table.
    pub fn watches(&self) -> &Watches<T> {
        &self.watches
    }

    /// Watches one more path: [`Watches::add`].
    pub fn add_watch<P: PathBytes + ?Sized>(
        &mut self,
        path: &P,
        mask: WatchMask,
    ) -> Result<WatchDescriptor, Error> {
        self.forget_pending();
        self.watches.add(&self.inotify, path, mask)
    }

    /// Stops watching a path: [`Watches::remove_path`]. Its `IN_IGNORED`
    /// comes out of the loop with the path, then the entry is dropped.
    pub fn remove_path<P: PathBytes + ?Sized>(
        &mut self,
        path: &P,
    ) -> Result<WatchDescriptor, Error> {
        self.forget_pending();
        self.watches.remove_path(&self.inotify, path)
    }

    /// Stops watching a descriptor: [`Watches::remove`].
    pub fn remove_watch(&mut self, wd: WatchDescriptor) -> Result<(), Error> {
        self.forget_pending();
        self.watches.remove(&self.inotify, wd)
    }

    /// Drops the entries of the `IN_IGNORED` handed out last. It waits for
    /// a `&mut self` call because the event borrowed its watch path from the
    /// table; by now that borrow has ended. Until then the dead watch would
    /// still take a slot (a spurious [`TableFull`](crate::ErrorKind::TableFull))
    /// and its path would still be found.
    fn forget_pending(&mut self) {
        if let Some(wd) = self.forget.take() {
            self.watches.forget(wd);
        }
    }

    /// Lets a loop that ended (terminal event, timeout, stop) go on, with
    /// the events that were still buffered; the timeout counts from now.
    pub fn resume(&mut self) {
        self.ended = false;
        self.fresh_batch = false;
        self.last_event = now();
    }

    /// How many table entries stay once the `IN_IGNORED` just handed out
    /// (if any) is processed, on the next call to `next` or to a method that
    /// adds or removes a watch: 0 means nothing is watched any more, which
    /// is when inotifywait exits.
    pub fn remaining_watches(&self) -> usize {
        let leaving = self.forget.map_or(0, |wd| self.watches.aliases(wd).count());
        self.watches.len() - leaving
    }

    /// Whether the loop ended; see [`resume`](Self::resume).
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// The next step: an event, an idle marker, or an ending. `None` once the
    /// loop ended. Blocks for at most [`WatcherConfig::block`] per cycle.
    ///
    /// An error (a failed system call, or bytes the parser rejects, after
    /// which the rest of that read is dropped) does not end the loop: the
    /// caller decides whether to go on.
    #[allow(clippy::should_implement_trait)] // a lending iterator cannot be an Iterator
    pub fn next(&mut self) -> Option<Result<Next<'_>, Error>> {
        if self.ended {
            return None;
        }
        self.forget_pending();
        let found = match self.find() {
            Ok(Step::Found(found)) => found,
            Ok(Step::Idle) => return Some(Ok(Next::Idle)),
            Ok(Step::TimedOut) => {
                self.ended = true;
                return Some(Ok(Next::TimedOut));
            }
            Err(err) => return Some(Err(err)),
        };
        if found.mask.contains(EventMask::IGNORED) {
            self.forget = Some(WatchDescriptor::from_raw(found.wd));
        }
        self.ended = found.ends.is_some();
        let buf: &[u8] = self.buf.as_mut();
        let event = WatchedEvent {
            event: Event {
                wd: found.wd,
                mask: found.mask,
                cookie: found.cookie,
                len: found.len,
                name: &buf[found.name_at..found.name_at + found.name_len],
            },
            watch_path: found.slot.map(|i| self.watches.path_at(i)),
        };
        Some(Ok(match found.ends {
            None => Next::Event(event),
            Some(Ending::Terminal) => Next::Terminal(event),
            Some(Ending::Stopped) => Next::Stopped(event),
        }))
    }

    /// Reads and waits until there is an event to hand out, a cycle passed,
    /// or the timeout did.
    fn find(&mut self) -> Result<Step, Error> {
        loop {
            if self.pos < self.end {
                if let Some(found) = self.take_one()? {
                    return Ok(Step::Found(found));
                }
                continue;
            }
            let block = self.config.block;
            // The clock is read only when the timeout needs it, and then
            // also serves as the start of the wait (one read per wake-up).
            let (start, wait, times_out) = match self.config.timeout {
                Some(timeout) => {
                    let now = now();
                    if self.fresh_batch {
                        // The timeout counts from the last event handed out:
                        // the buffer is empty, so that was just now.
                        self.fresh_batch = false;
                        self.last_event = now;
                    }
                    let left = add(self.last_event, timeout).saturating_sub(now);
                    // Even when no time is left the wait runs, as a poll: a
                    // timeout that passed while the caller was busy still
                    // hands out what is queued before it ends the loop.
                    (Some(now), left.min(block), left <= block)
                }
                None => (None, block, false),
            };
            // Without a timeout, the clock is read only so that an
            // interrupted wait can resume for the time left.
            let start = start.or_else(|| (!wait.is_zero()).then(now));
            if self.inotify.wait_since(start, Some(wait))? {
                self.read()?;
            } else if times_out {
                return Ok(Step::TimedOut);
            } else if self.config.yield_idle {
                return Ok(Step::Idle);
            }
        }
    }

    /// Reads what is queued into the buffer, after the coalescing window if
    /// there is one.
    fn read(&mut self) -> Result<(), Error> {
        let buf = self.buf.as_mut();
        if let Some(window) = self.config.coalesce {
            self.inotify.coalesce(buf.len(), window)?;
        }
        self.end = self.inotify.read_events(buf)?.remaining().len();
        self.pos = 0;
        self.fresh_batch |= self.end > 0;
        Ok(())
    }

    /// Parses the event at `pos` and moves past it; `None` when the filter
    /// dropped it.
    #[inline]
    fn take_one(&mut self) -> Result<Option<Found>, Error> {
        let buf: &[u8] = self.buf.as_mut();
        let at = self.pos;
        let mut events = Events::new(&buf[at..self.end]);
        let event = match events.next() {
            Some(Ok(event)) => event,
            Some(Err(err)) => {
                // What follows a malformed record cannot be framed: drop it.
                self.pos = self.end;
                return Err(Error::from(ParseError {
                    offset: at + err.offset,
                    kind: err.kind,
                }));
            }
            None => {
                self.pos = self.end;
                return Ok(None);
            }
        };
        self.pos += events.offset();
        let always = event
            .mask
            .intersects(EventMask::Q_OVERFLOW | EventMask::UNMOUNT);
        let slot = self.watches.slot_of(event.wd);
        let verdict = if always {
            Verdict::Keep
        } else {
            let watch_path = slot.map(|i| self.watches.path_at(i));
            self.filter.check(&WatchedEvent { event, watch_path })
        };
        let terminal = event.mask.intersects(self.config.terminal);
        let ends = match verdict {
            Verdict::Drop => {
                if event.mask.contains(EventMask::IGNORED) {
                    self.watches.forget(WatchDescriptor::from_raw(event.wd));
                }
                return Ok(None);
            }
            Verdict::Stop => Some(Ending::Stopped),
            Verdict::Keep => terminal.then_some(Ending::Terminal),
        };
        Ok(Some(Found {
            wd: event.wd,
            mask: event.mask,
            cookie: event.cookie,
            len: event.len,
            name_at: at + HEADER_LEN,
            name_len: event.name.len(),
            slot,
            ends,
        }))
    }
}

/// What [`Watcher::find`] found.
enum Step {
    Found(Found),
    Idle,
    TimedOut,
}

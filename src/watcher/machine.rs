//! [`WatcherCore`]: the flat loop as a state machine, and the [`WatcherStep`]s it asks for.

use super::batch::Rate;
use super::{EventFilter, FilterVerdict, KeepAll, WatcherConfig, WatcherItem};
use crate::error::Error;
use crate::event::{Cursor, Event, HEADER_LEN, MIN_BUFFER_LEN};
use crate::inotify::WatchDescriptor;
use crate::mask::EventMask;
use crate::watch_event::WatchEvent;
use crate::watch_table::{WatchStorage, WatchTable};
use core::time::Duration;

/// What a driver does next, as [`WatcherCore::poll`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatcherStep {
    /// Hand this event out ([`FoundEvent::next`]).
    Event(FoundEvent),
    /// Read what is queued into the buffer without blocking, then
    /// [`WatcherCore::read_done`] with the byte count (0 for `EAGAIN`).
    Read,
    /// Let events pile up for `window` before the read, unless `full`
    /// bytes (the buffer's length) are already queued
    /// ([`Inotify::coalesce`](crate::Inotify::coalesce)), then poll again.
    Batch {
        /// How long to wait at most.
        window: Duration,
        /// How many queued bytes end the wait at once.
        full: usize,
    },
    /// Wait for the descriptor to become readable for at most `timeout`,
    /// then [`WatcherCore::woke`]. `since` is when `timeout` began on the monotonic
    /// clock, so that an interrupted wait resumes for the time left rather
    /// than starting over (a signal every few hundred milliseconds would
    /// otherwise hold off the idle marker for ever).
    Wait {
        /// When the wait began.
        since: Duration,
        /// How long it may take.
        timeout: Duration,
    },
    /// Hand out [`WatcherItem::Idle`].
    Idle,
    /// Hand out [`WatcherItem::TimedOut`]; the loop ended.
    TimedOut,
    /// The loop ended: hand out `None`.
    Ended,
}

/// An event the core decided to hand out: where it lies in the buffer and
/// its fields, without a borrow, so a driver can keep going between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundEvent {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Terminal,
    Stopped,
}

impl FoundEvent {
    /// The event as the user sees it, borrowing the buffer it was read into
    /// and the table (for its watch path).
    #[inline]
    pub fn next<'a, T: WatchStorage>(
        &self,
        buf: &'a [u8],
        watches: &'a WatchTable<T>,
    ) -> WatcherItem<'a> {
        let event = WatchEvent {
            event: Event {
                wd: self.wd,
                mask: self.mask,
                cookie: self.cookie,
                len: self.len,
                name: &buf[self.name_at..self.name_at + self.name_len],
            },
            watch_path: self.slot.map(|i| watches.path_at(i)),
        };
        match self.ends {
            None => WatcherItem::Event(event),
            Some(Ending::Terminal) => WatcherItem::Terminal(event),
            Some(Ending::Stopped) => WatcherItem::Stopped(event),
        }
    }
}

/// The flat loop as a state machine, fed bytes and time, making no system
/// call. Every driver (blocking, tokio, mio) runs it the same way:
///
/// ```text
/// loop {
///     match core.poll(buf, watches, clock)? {
///         WatcherStep::Event(found) => return found.next(buf, watches),
///         WatcherStep::Idle | WatcherStep::TimedOut => return that,
///         WatcherStep::Ended => return None,
///         WatcherStep::Read => core.read_done(read(buf)?, buf.len()),     // EAGAIN: 0
///         WatcherStep::Batch { window, full } => sleep(window) unless `full` bytes are queued,
///         WatcherStep::Wait { since, timeout } => core.woke(wait(timeout)?, clock),
///     }
/// }
/// ```
///
/// Between two steps the core holds everything the loop knows, and a driver
/// holds nothing: a driver that stops at any step (a dropped future) loses
/// no event, and the next call goes on from the same state.
#[derive(Debug)]
pub struct WatcherCore<F = KeepAll> {
    cursor: Cursor,
    /// The `IN_IGNORED` handed out last; its entry is dropped on the next
    /// poll, once the caller is done with its watch path.
    forget: Option<WatchDescriptor>,
    ended: bool,
    /// A batch was read since `last_event` was last set.
    fresh_batch: bool,
    /// When the last event was handed out (or the loop started or resumed),
    /// on the monotonic clock; set lazily, when the timeout needs it.
    last_event: Duration,
    /// Read before waiting: the descriptor woke up, or the last read filled
    /// the buffer, so more is likely queued.
    readable: bool,
    /// How long to let events pile up before the next read, decided when
    /// the descriptor woke up.
    window: Option<Duration>,
    /// The last wait passed with nothing.
    quiet: bool,
    /// That wait was the last one before the timeout.
    times_out: bool,
    rate: Rate,
    config: WatcherConfig,
    filter: F,
}

impl WatcherCore {
    /// A loop that starts at `now` (the monotonic clock, for the timeout),
    /// with the default configuration and no filter.
    pub fn new(now: Duration) -> Self {
        Self {
            cursor: Cursor::default(),
            forget: None,
            ended: false,
            fresh_batch: false,
            last_event: now,
            readable: false,
            window: None,
            quiet: false,
            times_out: false,
            rate: Rate::default(),
            config: WatcherConfig::default(),
            filter: KeepAll,
        }
    }
}

impl<F: EventFilter> WatcherCore<F> {
    /// The same state with another filter.
    pub fn with_filter<G: EventFilter>(self, filter: G) -> WatcherCore<G> {
        WatcherCore {
            cursor: self.cursor,
            forget: self.forget,
            ended: self.ended,
            fresh_batch: self.fresh_batch,
            last_event: self.last_event,
            readable: self.readable,
            window: self.window,
            quiet: self.quiet,
            times_out: self.times_out,
            rate: self.rate,
            config: self.config,
            filter,
        }
    }

    /// The configuration, to change between calls.
    pub fn config_mut(&mut self) -> &mut WatcherConfig {
        &mut self.config
    }

    /// Drops the entries of the `IN_IGNORED` handed out last. It waits for
    /// the next call because the event borrowed its watch path from the
    /// table; by now that borrow has ended. Until then the dead watch would
    /// still take an entry (a spurious [`TableFull`](crate::ErrorKind::TableFull))
    /// and its path would still be found. Drivers call it before changing
    /// the table.
    pub fn forget_pending<T: WatchStorage>(&mut self, watches: &mut WatchTable<T>) {
        if let Some(wd) = self.forget.take() {
            watches.forget(wd);
        }
    }

    /// How many table entries stay once the `IN_IGNORED` just handed out
    /// (if any) is processed.
    pub fn remaining_watches<T: WatchStorage>(&self, watches: &WatchTable<T>) -> usize {
        let leaving = self.forget.map_or(0, |wd| watches.aliases(wd).count());
        watches.len() - leaving
    }

    /// Lets a loop that ended go on, with the events still buffered; the
    /// timeout counts from `now`.
    pub fn resume(&mut self, now: Duration) {
        self.ended = false;
        self.fresh_batch = false;
        self.quiet = false;
        self.last_event = now;
    }

    /// Whether the loop ended.
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// What to do next, given the buffer the driver reads into and the
    /// table. `clock` reads the monotonic clock; it is called only when the
    /// timeout needs it or a wait may have to resume.
    ///
    /// An error (bytes the parser rejects, after which the rest of that
    /// read is dropped) does not end the loop.
    pub fn poll<T: WatchStorage>(
        &mut self,
        buf: &[u8],
        watches: &mut WatchTable<T>,
        clock: &mut impl FnMut() -> Duration,
    ) -> Result<WatcherStep, Error> {
        if self.ended {
            return Ok(WatcherStep::Ended);
        }
        self.forget_pending(watches);
        while let Some(parsed) = self.cursor.next(buf) {
            let (at, event) = parsed?;
            self.rate.took();
            if let Some(found) = self.check(at, &event, watches) {
                if found.mask.contains(EventMask::IGNORED) {
                    self.forget = Some(WatchDescriptor::from_raw(found.wd));
                }
                self.ended = found.ends.is_some();
                return Ok(WatcherStep::Event(found));
            }
        }
        if self.readable {
            return Ok(match self.window.take() {
                Some(window) => WatcherStep::Batch {
                    window,
                    full: buf.len(),
                },
                None => WatcherStep::Read,
            });
        }
        if core::mem::take(&mut self.quiet) {
            if self.times_out {
                self.ended = true;
                return Ok(WatcherStep::TimedOut);
            }
            if self.config.yield_idle {
                return Ok(WatcherStep::Idle);
            }
        }
        Ok(self.wait(clock))
    }

    /// How long to wait for the descriptor: a cycle of
    /// [`WatcherConfig::block`], cut short by the timeout.
    fn wait(&mut self, clock: &mut impl FnMut() -> Duration) -> WatcherStep {
        let block = self.config.block;
        // One clock read per wake-up: it is the start of the wait (which an
        // interrupted wait resumes from) and, with a timeout, the time the
        // cycle is cut to.
        let now = clock();
        let (timeout, times_out) = match self.config.timeout {
            Some(timeout) => {
                if self.fresh_batch {
                    // The timeout counts from the last event handed out:
                    // the buffer is empty, so that was just now.
                    self.fresh_batch = false;
                    self.last_event = now;
                }
                let left = self.last_event.saturating_add(timeout).saturating_sub(now);
                // Even when no time is left the wait runs, as a poll: a
                // timeout that passed while the caller was busy still hands
                // out what is queued before it ends the loop.
                (left.min(block), left <= block)
            }
            None => (block, false),
        };
        self.times_out = times_out;
        WatcherStep::Wait {
            since: now,
            timeout,
        }
    }

    /// The driver read `len` bytes into a buffer of `buf_len` bytes (0 when
    /// nothing was queued).
    #[inline]
    pub fn read_done(&mut self, len: usize, buf_len: usize) {
        self.cursor.filled(len);
        self.fresh_batch |= len > 0;
        // The kernel stops a read where the next event does not fit: a read
        // that left less room than the largest event may have left more
        // queued, so read again before waiting. Otherwise the queue was
        // empty a moment ago, and the wait costs no more than a read.
        self.readable = len > 0 && len + MIN_BUFFER_LEN > buf_len;
    }

    /// The driver's wait ended: `ready` when the descriptor is readable,
    /// `false` when the time passed. `clock` is called only by
    /// [`Batching::Adaptive`](super::Batching::Adaptive), to measure the rate.
    #[inline]
    pub fn woke(&mut self, ready: bool, clock: &mut impl FnMut() -> Duration) {
        if ready {
            self.readable = true;
            self.window = self.rate.window(self.config.batching, clock);
        } else {
            self.quiet = true;
        }
    }

    /// Runs the filter and the terminal check on the event at `at`; `None`
    /// when the filter dropped it.
    #[inline]
    fn check<T: WatchStorage>(
        &mut self,
        at: usize,
        event: &Event<'_>,
        watches: &mut WatchTable<T>,
    ) -> Option<FoundEvent> {
        let always = event
            .mask
            .intersects(EventMask::Q_OVERFLOW | EventMask::UNMOUNT);
        let slot = watches.slot_of(event.wd);
        let verdict = if always {
            FilterVerdict::Keep
        } else {
            let watch_path = slot.map(|i| watches.path_at(i));
            self.filter.check(&WatchEvent {
                event: *event,
                watch_path,
            })
        };
        let ends = match verdict {
            FilterVerdict::Drop => {
                if event.mask.contains(EventMask::IGNORED) {
                    watches.forget(WatchDescriptor::from_raw(event.wd));
                }
                return None;
            }
            FilterVerdict::Stop => Some(Ending::Stopped),
            FilterVerdict::Keep => event
                .mask
                .intersects(self.config.terminal)
                .then_some(Ending::Terminal),
        };
        Some(FoundEvent {
            wd: event.wd,
            mask: event.mask,
            cookie: event.cookie,
            len: event.len,
            name_at: at + HEADER_LEN,
            name_len: event.name.len(),
            slot,
            ends,
        })
    }
}

//! PyInotify's `Inotify` adapter: watch a list of paths, then take events
//! one at a time, with idle markers, an overall timeout, terminal events and
//! a filter.
//!
//! The loop is sans-IO at heart: [`Core`] holds the cursor over the read
//! buffer, the `IN_IGNORED` hand-off, the idle, timeout and batching
//! bookkeeping, terminal events and the filter. It is fed bytes and time
//! and answers with a [`Step`]: hand out the event at an offset, read, wait
//! for readiness, let events pile up, or report idle, a timeout or the end.
//! A driver only does what the step says. [`Watcher`] is the blocking
//! driver (`epoll_wait`, `read`, `ppoll`); the `tokio` feature adds an
//! async one ([`crate::runtime`]), and any other event loop is a few lines
//! over the same core (see `tests/mio_loop.rs`).
//!
//! [`Watcher`] owns an [`Inotify`](crate::Inotify), a
//! [`Watches`](crate::Watches) table and a read buffer, all in storage the
//! caller chose (no heap). Its [`next`](Watcher::next) is a *lending*
//! iterator: each [`Next`] borrows the buffer, so it must be dropped before
//! the next call; write the loop as `while let`.
//!
//! System calls per wake-up: `epoll_wait` then `read` (a read that fills
//! the buffer is followed by another `read` at once, without waiting);
//! `ioctl(FIONREAD)` and `ppoll` when [batching](Batching) waits for a
//! fuller buffer; `clock_gettime(CLOCK_MONOTONIC)` (vDSO) to keep the
//! timeout, to resume an interrupted wait and to measure the event rate.
//! Watches cost `inotify_add_watch` and `inotify_rm_watch`.
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
//! | (none) | [`WatcherConfig::batching`]: fewer wake-ups under load |
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

pub(crate) mod batch;
mod blocking;
mod machine;

pub use batch::Batching;
pub use blocking::Watcher;
pub use machine::{Core, Found, Step};

use crate::mask::EventMask;
use crate::watched::WatchedEvent;
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
    /// Whether a wake-up reads at once or first lets events pile up for a
    /// fuller buffer. Default: [`Batching::Off`]; [`Batching::ADAPTIVE`]
    /// for high-rate loops (see its docs for what it costs and saves).
    pub batching: Batching,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            block: Duration::from_secs(1),
            yield_idle: true,
            timeout: None,
            terminal: EventMask::Q_OVERFLOW | EventMask::UNMOUNT,
            batching: Batching::Off,
        }
    }
}

/// One step of a [`Watcher`] loop. The last three end the loop: after them
/// [`Watcher::next`] returns `None` until [`Watcher::resume`]: `None` always
/// means "the loop ended", as for a tree's `next_event`; time passing is
/// [`Next::Idle`].
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

#[cfg(test)]
mod tests;

//! The flat loop, PyInotify's `Inotify` adapter: watch a list of paths,
//! then take events one at a time, with idle markers, an overall timeout,
//! terminal events and a filter.
//!
//! The loop is documented on [`Watcher`].

pub(crate) mod batch;
mod blocking;
mod machine;

pub use batch::Batching;
pub use blocking::Watcher;
pub use machine::{FoundEvent, WatcherCore, WatcherStep};

use crate::mask::EventMask;
use crate::watch_event::WatchEvent;
use core::time::Duration;

/// How a [`Watcher`] loop waits and when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatcherConfig {
    /// How long one cycle blocks in `epoll_wait` (PyInotify's
    /// `block_duration_s`). Default: 1 s. Zero polls: with `yield_idle` off
    /// and no `timeout`, [`Watcher::next`] then spins until an event comes.
    #[doc(alias = "block_duration_s")]
    pub block: Duration,
    /// Hand out [`WatcherItem::Idle`] when a cycle passes with no event (PyInotify's
    /// `yield_nones`). Default: `true`. Unlike PyInotify, which also yields
    /// `None` after each batch of events, the marker means only "a whole
    /// cycle passed with nothing", so a busy loop is not interrupted.
    #[doc(alias = "yield_nones")]
    pub yield_idle: bool,
    /// End the loop with [`WatcherItem::TimedOut`] when this long passes with no
    /// event: counted from when the last event was handed out (or the loop
    /// started or [resumed](Watcher::resume)), as PyInotify's `timeout_s`.
    /// Events the filter drops count as events. Events that are already
    /// queued when it passes (the caller was busy) are still handed out
    /// first. Default: `None`, never.
    #[doc(alias = "timeout_s")]
    pub timeout: Option<Duration>,
    /// Events whose mask has any of these bits end the loop after they are
    /// handed out, as [`WatcherItem::Terminal`] (PyInotify's `terminal_events`).
    /// Default: `Q_OVERFLOW | UNMOUNT`.
    #[doc(alias = "terminal_events")]
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
/// [`WatcherItem::Idle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatcherItem<'a> {
    /// An event, with its watch path.
    Event(WatchEvent<'a>),
    /// A cycle of [`WatcherConfig::block`] passed with no event (PyInotify's `None`).
    Idle,
    /// A [terminal](WatcherConfig::terminal) event: handed out, and the loop ended.
    Terminal(WatchEvent<'a>),
    /// [`WatcherConfig::timeout`] passed with no event; the loop ended.
    TimedOut,
    /// The filter returned [`FilterVerdict::Stop`] for this event: it is handed out
    /// (nothing is lost), and the loop ended.
    Stopped(WatchEvent<'a>),
}

/// A filter's decision on one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterVerdict {
    /// Hand the event out.
    Keep,
    /// Skip the event. Overflow and unmount events are never skipped: the
    /// filter is not asked about them.
    Drop,
    /// Hand the event out as [`WatcherItem::Stopped`] and end the loop.
    Stop,
}

/// Decides which events a [`Watcher`] hands out. Implemented for closures
/// `FnMut(&WatchEvent) -> FilterVerdict` and for [`KeepAll`].
#[doc(alias = "filter_predicate")]
pub trait EventFilter {
    /// The decision for `event`.
    fn check(&mut self, event: &WatchEvent<'_>) -> FilterVerdict;
}

impl<F: FnMut(&WatchEvent<'_>) -> FilterVerdict> EventFilter for F {
    fn check(&mut self, event: &WatchEvent<'_>) -> FilterVerdict {
        self(event)
    }
}

/// The default filter: keeps every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeepAll;

impl EventFilter for KeepAll {
    #[inline]
    fn check(&mut self, _: &WatchEvent<'_>) -> FilterVerdict {
        FilterVerdict::Keep
    }
}

#[cfg(test)]
mod tests;

//! The commands' one wait: the library's [`WaitSet`] over the inotify
//! descriptors and the signal descriptor, with a deadline, so events,
//! signals and `-t` wake the same loop. What is left here is the commands'
//! policy: a deadline rather than a timeout, and a signal before events.

use super::signals::Signals;
use rustix::fd::BorrowedFd;
use std::time::Instant;
use zinotify::{Readiness, WaitSet};

/// Tokens in the set: every inotify descriptor shares one.
const SOURCE: u64 = 0;
const SIGNAL: u64 = 1;

/// What ended a [`Waiter::wait`].
#[derive(Debug, PartialEq, Eq)]
pub enum Woke {
    /// The deadline passed.
    Timeout,
    /// This signal arrived (and was read).
    Signal(libc::c_int),
    /// An inotify descriptor is readable.
    Ready,
}

/// A wait set over the sources and, if any, the signals.
pub struct Waiter<'a> {
    set: WaitSet,
    signals: Option<&'a Signals>,
}

/// The error for a failed wait, or a failed set-up of one ("cannot wait
/// on a set of descriptors: ...").
fn fail(err: zinotify::Error) -> String {
    err.to_string()
}

impl<'a> Waiter<'a> {
    /// Waits on `sources` (readable means there are events) and `signals`.
    pub fn new(sources: &[BorrowedFd<'_>], signals: Option<&'a Signals>) -> Result<Self, String> {
        let set = WaitSet::new().map_err(fail)?;
        for &fd in sources {
            set.add(fd, SOURCE).map_err(fail)?;
        }
        if let Some(signals) = signals {
            set.add(signals, SIGNAL).map_err(fail)?;
        }
        Ok(Self { set, signals })
    }

    /// Blocks until a source is readable, a signal arrives, or `deadline`
    /// (`None`: never) passes. A signal wins over events ready at the same
    /// time.
    pub fn wait(&self, deadline: Option<Instant>) -> Result<Woke, String> {
        // Room for every member: the commands have one or two sources and
        // the signals, so a ready signal is never left for a later wait.
        let mut ready = Readiness::<4>::new();
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if self.set.wait(&mut ready, left).map_err(fail)? == 0 {
                return Ok(Woke::Timeout);
            }
            let signal = self.signals.filter(|_| ready.contains(SIGNAL));
            if let Some(signal) = signal.and_then(Signals::take) {
                return Ok(Woke::Signal(signal));
            }
            if ready.contains(SOURCE) {
                return Ok(Woke::Ready);
            }
        }
    }
}

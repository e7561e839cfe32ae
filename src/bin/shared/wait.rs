//! The commands' one wait: epoll on the inotify descriptors and the signal
//! descriptor, with a deadline, so events, signals and `-t` wake the same
//! loop.

use crate::signals::Signals;
use rustix::event::epoll;
use rustix::fd::{BorrowedFd, OwnedFd};
use std::io;
use std::time::{Duration, Instant};

/// Epoll tokens.
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

/// An epoll set over the sources and, if any, the signals.
pub struct Waiter<'a> {
    epoll: OwnedFd,
    signals: Option<&'a Signals>,
}

/// The error for a failed epoll call.
fn fail(err: rustix::io::Errno) -> String {
    format!("cannot wait for events: {}", io::Error::from(err))
}

impl<'a> Waiter<'a> {
    /// Waits on `sources` (readable means there are events) and `signals`.
    pub fn new(sources: &[BorrowedFd<'_>], signals: Option<&'a Signals>) -> Result<Self, String> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(fail)?;
        let flags = epoll::EventFlags::IN;
        for &fd in sources {
            epoll::add(&epoll, fd, epoll::EventData::new_u64(SOURCE), flags).map_err(fail)?;
        }
        if let Some(signals) = signals {
            epoll::add(&epoll, signals, epoll::EventData::new_u64(SIGNAL), flags).map_err(fail)?;
        }
        Ok(Self { epoll, signals })
    }

    /// Blocks until a source is readable, a signal arrives, or `deadline`
    /// (`None`: never) passes. A signal wins over events ready at the same
    /// time.
    pub fn wait(&self, deadline: Option<Instant>) -> Result<Woke, String> {
        let mut ready = [std::mem::MaybeUninit::<epoll::Event>::uninit(); 4];
        loop {
            let left = deadline.map(|d| to_timespec(d.saturating_duration_since(Instant::now())));
            let events = match epoll::wait(&self.epoll, &mut ready, left.as_ref()) {
                Ok((events, _)) => events,
                Err(rustix::io::Errno::INTR) => continue,
                Err(err) => return Err(fail(err)),
            };
            if events.is_empty() {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(Woke::Timeout);
                }
                continue;
            }
            let ready_for = |token| events.iter().any(|e| e.data.u64() == token);
            if let Some(signal) = self
                .signals
                .filter(|_| ready_for(SIGNAL))
                .and_then(Signals::take)
            {
                return Ok(Woke::Signal(signal));
            }
            if ready_for(SOURCE) {
                return Ok(Woke::Ready);
            }
        }
    }
}

/// A wait as the kernel's `timespec`, capped where epoll_wait is happy.
fn to_timespec(d: Duration) -> rustix::time::Timespec {
    let d = d.min(Duration::from_secs(86_400));
    rustix::time::Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

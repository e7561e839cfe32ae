//! Waiting on several descriptors at once: an epoll set whose members the
//! caller registers with tokens of its choosing, and a fixed-capacity list
//! of the tokens that are ready after a wait.
//!
//! This is what a program needs when inotify is one of several things it
//! waits for (a `signalfd`, a pipe from another thread, an `eventfd`, a
//! second inotify instance): [`Inotify::wait`](crate::Inotify::wait) waits
//! on its own descriptor only. A [`WaitSet`] waits on any descriptors, for
//! at most a timeout, and says which are readable in a [`Readiness`] the
//! caller owns: no allocation, no `std`, one `epoll_wait` per wake-up. An
//! interrupted wait (`EINTR`) resumes for the time that is left, as
//! `Inotify::wait` does (the same loop serves both).
//!
//! ```
//! use std::time::Duration;
//! use rustix::event::{EventfdFlags, eventfd};
//! use zinotify::{Inotify, Readiness, WaitSet, WatchMask};
//!
//! const EVENTS: u64 = 0;
//! const WAKE: u64 = 1;
//!
//! let dir = std::env::temp_dir().join(format!("zinotify-wait-set-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let inotify = Inotify::new()?;
//! inotify.add_watch(&dir, WatchMask::CREATE)?;
//! // Another thread's way to wake this one.
//! let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).unwrap();
//!
//! let set = WaitSet::new()?;
//! set.add(&inotify, EVENTS)?;
//! set.add(&wake, WAKE)?;
//!
//! let mut ready = Readiness::<2>::new();
//! rustix::io::write(&wake, &1u64.to_ne_bytes()).unwrap();
//! assert_eq!(set.wait(&mut ready, Some(Duration::from_secs(1)))?, 1);
//! assert!(ready.contains(WAKE) && !ready.contains(EVENTS));
//!
//! std::fs::write(dir.join("new"), b"").unwrap();
//! set.wait(&mut ready, Some(Duration::from_secs(1)))?;
//! // Level-triggered: the eventfd was not read, so it is still ready.
//! assert_eq!(ready.tokens().collect::<Vec<_>>().len(), 2);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), zinotify::Error>(())
//! ```

use crate::error::{Error, ErrorKind, Operation};
use crate::inotify::{MAX_WAIT, now, to_timespec};
use core::fmt;
use core::time::Duration;
use rustix::event::epoll;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;

/// An epoll set: descriptors registered with a token each, waited on
/// together.
///
/// Members are level-triggered and watched for readability: a descriptor
/// stays ready, wait after wait, until it has been read (or, for a pipe or
/// socket, until its end of file or error has been seen by a read). The
/// set does not own its members: dropping one closes it, and the kernel
/// then removes it from the set by itself.
///
/// `WaitSet` implements [`AsFd`] (the epoll descriptor, readable when a
/// member is ready), so it can itself be registered in another event loop.
#[derive(Debug)]
pub struct WaitSet {
    epoll: OwnedFd,
}

impl WaitSet {
    /// An empty set: `epoll_create1(EPOLL_CLOEXEC)`.
    #[doc(alias = "epoll_create1")]
    pub fn new() -> Result<Self, Error> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(fail)?;
        Ok(Self { epoll })
    }

    /// Adds `fd`, reported as `token` when it is readable:
    /// `epoll_ctl(EPOLL_CTL_ADD)` with `EPOLLIN`, level-triggered.
    ///
    /// Tokens are the caller's: several descriptors may share one (then
    /// [`Readiness`] says only that one of them is ready). `EEXIST` means
    /// `fd` is already in the set; `EPERM`, that it is a regular file or a
    /// directory, which epoll cannot wait on (they are always readable).
    #[doc(alias = "epoll_ctl")]
    pub fn add(&self, fd: impl AsFd, token: u64) -> Result<(), Error> {
        epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::IN,
        )
        .map_err(fail)
    }

    /// Removes `fd` from the set: `epoll_ctl(EPOLL_CTL_DEL)`. `ENOENT`
    /// means it was not in the set.
    #[doc(alias = "epoll_ctl")]
    pub fn remove(&self, fd: impl AsFd) -> Result<(), Error> {
        epoll::delete(&self.epoll, fd).map_err(fail)
    }

    /// Waits until a member is readable or `timeout` passes, and puts the
    /// ready members' tokens in `ready` (at most `N`; the others stay
    /// ready for the next wait): `epoll_wait(2)` (`epoll_pwait2` where the
    /// kernel has it). Returns how many tokens it put there; `0` means the
    /// whole timeout passed.
    ///
    /// `None` waits forever; `Some(Duration::ZERO)` only polls. An
    /// interrupted wait (`EINTR`, a signal caught by a handler) resumes
    /// for the time that is left, measured on `CLOCK_MONOTONIC`; a timeout
    /// longer than one `epoll_wait` takes (about 24.8 days on kernels
    /// before 5.11) is waited out in several.
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait2")]
    pub fn wait<const N: usize>(
        &self,
        ready: &mut Readiness<N>,
        timeout: Option<Duration>,
    ) -> Result<usize, Error> {
        // Nothing stays from the last wait if this one fails.
        ready.len = 0;
        let start = timeout.filter(|t| !t.is_zero()).map(|_| now());
        ready.len =
            wait_for(self.epoll.as_fd(), &mut ready.events, start, timeout).map_err(fail)?;
        Ok(ready.len)
    }
}

impl AsFd for WaitSet {
    /// The epoll descriptor: readable when a member is ready.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// The error of an epoll call on a [`WaitSet`].
fn fail(errno: Errno) -> Error {
    Error::new(Operation::WaitSet, ErrorKind::Os(errno))
}

/// The tokens of up to `N` ready members, filled by [`WaitSet::wait`].
///
/// Plain data on the stack (16 bytes per entry) or in a `static`: make it
/// once and reuse it for every wait.
#[derive(Clone, Copy)]
pub struct Readiness<const N: usize> {
    events: [epoll::Event; N],
    len: usize,
}

impl<const N: usize> Readiness<N> {
    /// Room for `N` tokens, none ready yet. `N` must not be 0.
    pub const fn new() -> Self {
        const { assert!(N > 0, "a Readiness needs room for one token at least") };
        Self {
            events: [UNSET; N],
            len: 0,
        }
    }

    /// The tokens the last wait found ready, in the kernel's order (a
    /// token shared by several ready members comes once per member).
    pub fn tokens(&self) -> impl Iterator<Item = u64> + '_ {
        self.events[..self.len].iter().map(|e| e.data.u64())
    }

    /// Whether the last wait found a member with `token` ready.
    pub fn contains(&self, token: u64) -> bool {
        self.tokens().any(|t| t == token)
    }

    /// How many tokens the last wait put here.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the last wait found nothing ready (it timed out), or there
    /// was no wait yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> Default for Readiness<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for Readiness<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.tokens()).finish()
    }
}

/// An entry of an epoll buffer before `epoll_wait` fills it.
pub(crate) const UNSET: epoll::Event = epoll::Event {
    flags: epoll::EventFlags::empty(),
    data: epoll::EventData::new_u64(0),
};

/// `epoll_wait` on `epoll` into `ready` until something is ready or
/// `timeout` (begun at `start` on the monotonic clock; `None` when it
/// cannot matter: no timeout, or a zero one) has passed: how many entries
/// of `ready` it filled, `0` for a timeout. `EINTR` and a timeout longer
/// than one `epoll_wait` takes are waited out for the time left. The one
/// wait loop of the crate: [`WaitSet::wait`] and
/// [`Inotify::wait`](crate::Inotify::wait) both run it.
pub(crate) fn wait_for(
    epoll: BorrowedFd<'_>,
    ready: &mut [epoll::Event],
    start: Option<Duration>,
    timeout: Option<Duration>,
) -> Result<usize, Errno> {
    let mut left = timeout;
    loop {
        let spec = left.map(to_timespec);
        match epoll::wait(epoll, &mut *ready, spec.as_ref()) {
            Ok(n) if n > 0 => return Ok(n),
            // Timed out, unless the timeout was longer than one
            // `epoll_wait` can take: then wait for the rest.
            Ok(_) if left.is_none_or(|left| left <= MAX_WAIT) => return Ok(0),
            Ok(_) | Err(Errno::INTR) => {
                if let (Some(start), Some(timeout)) = (start, timeout) {
                    left = Some(timeout.saturating_sub(now().saturating_sub(start)));
                }
            }
            Err(errno) => return Err(errno),
        }
    }
}

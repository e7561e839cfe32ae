//! The engine: an inotify descriptor, an epoll descriptor to wait on it, and
//! reads into a buffer the caller owns.
//!
//! Every function here is one or two system calls through rustix (no libc,
//! no heap); each says which. The engine keeps no table: it hands out raw
//! [`WatchDescriptor`]s and parsed [`Events`]. Path bookkeeping lives one
//! layer up, in [`WatchTable`](crate::WatchTable) (flat watches) and `tree`
//! (recursive watches).
//!
//! ```no_run
//! use std::time::Duration;
//! use zinotify::{Inotify, WatchMask};
//!
//! let inotify = Inotify::new()?;
//! inotify.add_watch("/tmp", WatchMask::CREATE | WatchMask::DELETE)?;
//! let mut buf = [0u8; 4096];
//! for event in inotify.wait_events(&mut buf, Some(Duration::from_secs(1)))? {
//!     let event = event?;
//!     println!("{:?} {}", event.mask, event.name.escape_ascii());
//! }
//! # Ok::<(), zinotify::Error>(())
//! ```

use crate::error::{Error, ErrorKind, Operation};
use crate::event::{Events, MIN_BUFFER_LEN};
use crate::mask::WatchMask;
use crate::path::{PathBytes, with_c_path};
use crate::wait_set;
use core::time::Duration;
use rustix::event::epoll;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::inotify;
use rustix::io::Errno;
use rustix::time::{ClockId, Timespec, clock_gettime};

/// A watch, as the kernel numbers it (`inotify_add_watch`'s return value).
///
/// Events carry the same number in [`Event::wd`](crate::Event::wd); compare
/// with [`WatchDescriptor::raw`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchDescriptor(i32);

impl WatchDescriptor {
    /// Wraps a raw watch descriptor, as found in [`Event::wd`](crate::Event::wd).
    pub const fn from_raw(wd: i32) -> Self {
        Self(wd)
    }

    /// The kernel's number for this watch.
    pub const fn raw(self) -> i32 {
        self.0
    }
}

/// An inotify instance and the epoll instance that waits on it.
///
/// Both descriptors are close-on-exec; the inotify one is non-blocking, so
/// [`read_events`](Self::read_events) never blocks and
/// [`wait_events`](Self::wait_events) blocks only in `epoll_wait`, for at
/// most its timeout.
///
/// `Inotify` implements [`AsFd`] (the inotify descriptor), so it can be
/// registered in any event loop: wait for it to become readable there, then
/// call [`read_events`](Self::read_events).
///
/// ```
/// use rustix::event::epoll;
/// use rustix::fd::AsFd;
/// use zinotify::{Inotify, WatchMask};
///
/// let inotify = Inotify::new()?;
/// let dir = std::env::temp_dir().join(format!("zinotify-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// inotify.add_watch(&dir, WatchMask::CREATE)?;
///
/// // An event loop of our own (mio and tokio's AsyncFd work the same way).
/// let my_loop = epoll::create(epoll::CreateFlags::CLOEXEC).unwrap();
/// epoll::add(&my_loop, inotify.as_fd(), epoll::EventData::new_u64(7), epoll::EventFlags::IN)
///     .unwrap();
///
/// std::fs::write(dir.join("new.txt"), b"").unwrap();
/// let mut ready = Vec::with_capacity(4);
/// epoll::wait(&my_loop, rustix::buffer::spare_capacity(&mut ready), None).unwrap();
/// assert_eq!(ready[0].data.u64(), 7);
///
/// let mut buf = [0u8; 1024];
/// let event = inotify.read_events(&mut buf)?.next().unwrap()?;
/// assert_eq!(event.name, b"new.txt");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), zinotify::Error>(())
/// ```
#[derive(Debug)]
pub struct Inotify {
    inotify: OwnedFd,
    epoll: OwnedFd,
}

impl Inotify {
    /// Creates an instance: `inotify_init1(IN_CLOEXEC | IN_NONBLOCK)`, then
    /// `epoll_create1(EPOLL_CLOEXEC)` and `epoll_ctl(EPOLL_CTL_ADD)` for
    /// readability.
    ///
    /// `EMFILE` from `inotify_init1` is [`ErrorKind::InstanceLimit`], which
    /// names `/proc/sys/fs/inotify/max_user_instances` (and the descriptor
    /// limit, which gives the same errno). The epoll calls' errors are
    /// [`ErrorKind::Os`]: their `EMFILE` is only ever the descriptor limit.
    #[doc(alias = "inotify_init1")]
    #[doc(alias = "epoll_create1")]
    pub fn new() -> Result<Self, Error> {
        let inotify = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
            .map_err(|errno| Error::from_errno(Operation::Init, errno))?;
        let fail = |errno| Error::new(Operation::Init, ErrorKind::Os(errno));
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(fail)?;
        epoll::add(
            &epoll,
            &inotify,
            epoll::EventData::new_u64(0),
            epoll::EventFlags::IN,
        )
        .map_err(fail)?;
        Ok(Self { inotify, epoll })
    }

    /// Watches `path` for the events in `mask`: `inotify_add_watch(2)`.
    ///
    /// The path is copied into a fixed stack buffer to add its NUL, so this
    /// never allocates; a path that does not fit `PATH_MAX` is
    /// [`ErrorKind::PathTooLong`]. Watching an inode that is already watched
    /// returns its existing descriptor and *replaces* its mask, unless `mask`
    /// has [`WatchMask::MASK_ADD`]. `ENOSPC` is [`ErrorKind::WatchLimit`],
    /// which names `/proc/sys/fs/inotify/max_user_watches`.
    #[doc(alias = "inotify_add_watch")]
    pub fn add_watch<P: PathBytes + ?Sized>(
        &self,
        path: &P,
        mask: WatchMask,
    ) -> Result<WatchDescriptor, Error> {
        let path = path.path_bytes();
        let flags = inotify::WatchFlags::from_bits_retain(mask.bits());
        with_c_path(Operation::AddWatch, path, |c_path| {
            inotify::add_watch(&self.inotify, c_path, flags)
        })?
        .map(WatchDescriptor)
        .map_err(|errno| Error::from_errno(Operation::AddWatch, errno).with_path(path))
    }

    /// Stops watching: `inotify_rm_watch(2)`. The kernel then queues an
    /// `IN_IGNORED` event for `wd`. `EINVAL` means `wd` is not (or no
    /// longer) a watch of this instance.
    #[doc(alias = "inotify_rm_watch")]
    pub fn remove_watch(&self, wd: WatchDescriptor) -> Result<(), Error> {
        inotify::remove_watch(&self.inotify, wd.0)
            .map_err(|errno| Error::from_errno(Operation::RemoveWatch, errno))
    }

    /// Waits until events are queued or `timeout` passes: `epoll_wait(2)`.
    /// `None` waits forever; `Some(Duration::ZERO)` only polls. Returns
    /// whether events are ready. An interrupted wait (`EINTR`) is resumed
    /// with the time that is left, measured on `CLOCK_MONOTONIC`.
    #[doc(alias = "epoll_wait")]
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        // The clock is read once per call, and again only after an EINTR:
        // this sits on the hot path of every loop.
        let start = timeout.filter(|t| !t.is_zero()).map(|_| now());
        self.wait_since(start, timeout)
    }

    /// [`wait`](Self::wait) for a caller that has just read the clock:
    /// `start` is when `timeout` began (`None` when it cannot matter: no
    /// timeout, or a zero one).
    pub(crate) fn wait_since(
        &self,
        start: Option<Duration>,
        timeout: Option<Duration>,
    ) -> Result<bool, Error> {
        let mut ready = [wait_set::UNSET];
        wait_set::wait_for(self.epoll.as_fd(), &mut ready, start, timeout)
            .map(|n| n > 0)
            .map_err(|errno| Error::from_errno(Operation::Wait, errno))
    }

    /// Reads whatever events are queued into `buf` without blocking:
    /// `read(2)`. Returns an empty batch when nothing is queued.
    ///
    /// `buf` must hold at least [`MIN_BUFFER_LEN`] (272) bytes, so that any
    /// single event fits; a smaller buffer is [`ErrorKind::BufferTooSmall`]
    /// rather than a read that can never make progress. A larger buffer
    /// reads more events per system call.
    #[doc(alias = "read")]
    pub fn read_events<'b>(&self, buf: &'b mut [u8]) -> Result<Events<'b>, Error> {
        check_buffer(buf)?;
        loop {
            match rustix::io::read(&self.inotify, &mut *buf) {
                Ok(n) => return Ok(Events::new(&buf[..n])),
                Err(Errno::AGAIN) => return Ok(Events::new(&[])),
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(Error::from_errno(Operation::Read, errno)),
            }
        }
    }

    /// Waits for at most `timeout` (see [`wait`](Self::wait)), then reads
    /// what is queued (see [`read_events`](Self::read_events)). An empty
    /// batch means the time passed with nothing to report: PyInotify's
    /// `None`.
    pub fn wait_events<'b>(
        &self,
        buf: &'b mut [u8],
        timeout: Option<Duration>,
    ) -> Result<Events<'b>, Error> {
        self.wait_events_coalesced(buf, timeout, Duration::ZERO)
    }

    /// Lets events pile up for at most `window` before a read, unless at
    /// least `min_bytes` are already queued: `ioctl(FIONREAD)`, then, when
    /// fewer bytes are queued, one `ppoll(2)` on no descriptors as a sleep.
    ///
    /// For high-rate loops: each `read` then carries many events, so the
    /// per-event cost of the system calls falls. The cost is latency: when
    /// fewer than `min_bytes` are queued, the read happens `window` later
    /// (a sleep, not a wait on a condition, because a single `ppoll` is the
    /// cheapest way to let the kernel batch; re-checking `FIONREAD` in a loop
    /// would burn the CPU this is meant to save). Nothing is lost: events
    /// stay queued in the kernel meanwhile, up to `max_queued_events`
    /// (16384 by default), beyond which the kernel reports `IN_Q_OVERFLOW`.
    /// Choose `window` so that `window × rate` stays well below that.
    ///
    /// An interrupted sleep (`EINTR`) resumes with the time that is left.
    #[doc(alias = "ppoll")]
    pub fn coalesce(&self, min_bytes: usize, window: Duration) -> Result<(), Error> {
        if window.is_zero() || self.queued_bytes()? >= min_bytes {
            return Ok(());
        }
        let deadline = now().saturating_add(window);
        loop {
            let left = to_timespec(deadline.saturating_sub(now()));
            match rustix::event::poll(&mut [], Some(&left)) {
                Ok(_) => return Ok(()),
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(Error::from_errno(Operation::Wait, errno)),
            }
        }
    }

    /// [`wait_events`](Self::wait_events) with a coalescing window: after a
    /// wake-up, [`coalesce`](Self::coalesce) until a full buffer is queued or
    /// `window` passes, then read. Adds up to `window` of latency to each
    /// batch; in exchange a busy loop reads full buffers. A zero `window` is
    /// `wait_events`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zinotify::{Inotify, WatchMask};
    ///
    /// let dir = std::env::temp_dir().join(format!("zinotify-coalesce-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let inotify = Inotify::new()?;
    /// inotify.add_watch(&dir, WatchMask::CREATE)?;
    /// std::fs::write(dir.join("a"), b"").unwrap();
    ///
    /// let mut buf = [0u8; 65536];
    /// let window = Duration::from_millis(1);
    /// let events = inotify.wait_events_coalesced(&mut buf, Some(Duration::from_secs(1)), window)?;
    /// assert_eq!(events.count(), 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), zinotify::Error>(())
    /// ```
    pub fn wait_events_coalesced<'b>(
        &self,
        buf: &'b mut [u8],
        timeout: Option<Duration>,
        window: Duration,
    ) -> Result<Events<'b>, Error> {
        check_buffer(buf)?;
        if self.wait(timeout)? {
            self.coalesce(buf.len(), window)?;
            self.read_events(buf)
        } else {
            Ok(Events::new(&[]))
        }
    }

    /// How many bytes of events are queued right now: `ioctl(FIONREAD)`.
    #[doc(alias = "FIONREAD")]
    pub fn queued_bytes(&self) -> Result<usize, Error> {
        rustix::io::ioctl_fionread(&self.inotify)
            .map(|n| n as usize)
            .map_err(|errno| Error::from_errno(Operation::Read, errno))
    }
}

impl AsFd for Inotify {
    /// The inotify descriptor: readable when events are queued.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }
}

#[cfg(feature = "std")]
impl std::os::fd::AsRawFd for Inotify {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.inotify)
    }
}

/// Refuses a read buffer that cannot hold every possible event.
pub(crate) fn check_buffer(buf: &[u8]) -> Result<(), Error> {
    if buf.len() < MIN_BUFFER_LEN {
        return Err(Error::new(
            Operation::Read,
            ErrorKind::BufferTooSmall { len: buf.len() },
        ));
    }
    Ok(())
}

/// The monotonic clock, as a `Duration` since its (arbitrary) epoch.
pub(crate) fn now() -> Duration {
    let t = clock_gettime(ClockId::Monotonic);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The longest timeout one `epoll_wait` takes: before Linux 5.11 it counts
/// milliseconds in an `i32` (about 24.8 days). `wait` waits again for the
/// rest of a longer one (so does [`WaitSet::wait`](crate::WaitSet::wait)).
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(i32::MAX as u64);

/// A `Duration` as the kernel's `timespec`, clamped to [`MAX_WAIT`].
pub(crate) fn to_timespec(d: Duration) -> Timespec {
    let capped = d.min(MAX_WAIT);
    Timespec {
        tv_sec: capped.as_secs() as i64,
        tv_nsec: capped.subsec_nanos() as i64,
    }
}

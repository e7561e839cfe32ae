//! `SIGINT` and `SIGTERM` blocked and read from a `signalfd`, so they
//! arrive as readable data in the same `epoll` set as the inotify
//! descriptor: no handler, no extra thread, no async-signal rules, and the
//! output being written is always finished. One of the commands' few
//! `unsafe` modules (with [`crate::regex`]).
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

/// `SIGINT` and `SIGTERM`, blocked and delivered through a `signalfd`.
pub struct Signals {
    fd: OwnedFd,
}

impl Signals {
    /// Blocks `SIGINT` and `SIGTERM` for this (single-threaded) process and
    /// opens a non-blocking, close-on-exec `signalfd` for them.
    pub fn block() -> io::Result<Self> {
        // SAFETY: sigset_t is plain data initialised by sigemptyset;
        // sigprocmask and signalfd only read it. The returned descriptor is
        // new and owned by nobody else.
        unsafe {
            let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), libc::SIGINT);
            libc::sigaddset(set.as_mut_ptr(), libc::SIGTERM);
            if libc::sigprocmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = libc::signalfd(-1, set.as_ptr(), libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Self {
                fd: OwnedFd::from_raw_fd(fd),
            })
        }
    }

    /// Whether a blocked signal is pending (reads it from the descriptor).
    pub fn pending(&self) -> bool {
        // One `struct signalfd_siginfo` is 128 bytes.
        let mut info = [0u8; 128];
        matches!(rustix::io::read(&self.fd, &mut info), Ok(n) if n > 0)
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

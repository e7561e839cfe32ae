//! Signals blocked and read from a `signalfd`, so they arrive as readable
//! data in the same `epoll` set as the inotify descriptor: no handler, no
//! extra thread, no async-signal rules, and the output being written is
//! always finished. Each command chooses its signals (`zinotify`:
//! `SIGINT`, `SIGTERM`; `zinotifywatch` also `SIGHUP` and `SIGUSR1`). One
//! of the commands' few `unsafe` modules (with [`super::regex`]).
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

/// Some signals, blocked and delivered through a `signalfd`.
pub struct Signals {
    fd: OwnedFd,
}

impl Signals {
    /// Blocks `which` for this (single-threaded) process and opens a
    /// non-blocking, close-on-exec `signalfd` for them.
    pub fn block(which: &[libc::c_int]) -> io::Result<Self> {
        // SAFETY: sigset_t is plain data initialised by sigemptyset;
        // sigprocmask and signalfd only read it. The returned descriptor is
        // new and owned by nobody else.
        unsafe {
            let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
            libc::sigemptyset(set.as_mut_ptr());
            for &signal in which {
                libc::sigaddset(set.as_mut_ptr(), signal);
            }
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

    /// The next pending signal, taken from the descriptor: its number, or
    /// `None` when none is pending. Several pending signals come out one
    /// per call.
    pub fn take(&self) -> Option<libc::c_int> {
        // One `struct signalfd_siginfo` is 128 bytes; it starts with the
        // signal's number, `ssi_signo`, a `u32`.
        let mut info = [0u8; 128];
        match rustix::io::read(&self.fd, &mut info) {
            Ok(128) => {
                let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                libc::c_int::try_from(signo).ok()
            }
            _ => None,
        }
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

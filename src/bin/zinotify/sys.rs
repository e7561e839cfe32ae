//! The command's only `unsafe`: three C library facilities that std already
//! links, wrapped in safe types.
//!
//! - [`Regex`]: POSIX `regcomp`/`regexec` with `REG_EXTENDED`, the very
//!   engine inotifywait uses for `--exclude`/`--include`, so a pattern means
//!   exactly what it meant there (bracket classes, `\<`, back-references,
//!   leftmost-longest), and the binary carries no regex engine of its own.
//! - [`format_local_time`]: `time`, `localtime_r` and `strftime`, as
//!   inotifywait's `%T` does: local time zone (`TZ`, `/etc/localtime`), every
//!   conversion the C library knows, no time-zone database in the binary.
//! - [`Signals`]: `SIGINT` and `SIGTERM` blocked and read from a
//!   `signalfd`, so they arrive as readable data in the same `epoll` set as
//!   the inotify descriptor: no handler, no extra thread, no async-signal
//!   rules, and the output line being written is always finished.
//! - [`main`]: the process entry point, in place of std's.
//!
//! The library itself stays `#![forbid(unsafe_code)]` and libc-free; this
//! module is the binary's.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

/// A compiled POSIX extended regular expression.
pub struct Regex {
    // Boxed so the compiled state never moves; regfree'd on drop.
    raw: Box<libc::regex_t>,
}

impl Regex {
    /// Compiles `pattern` with `REG_EXTENDED | REG_NOSUB` (and `REG_ICASE`
    /// when `ignore_case`). The error is the C library's own message.
    pub fn new(pattern: &CStr, ignore_case: bool) -> Result<Self, String> {
        let mut flags = libc::REG_EXTENDED | libc::REG_NOSUB;
        if ignore_case {
            flags |= libc::REG_ICASE;
        }
        // SAFETY: an all-zero regex_t is a valid argument for regcomp, which
        // initialises it; `pattern` is NUL-terminated.
        let mut raw: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        let rc = unsafe { libc::regcomp(&mut *raw, pattern.as_ptr(), flags) };
        if rc == 0 {
            return Ok(Self { raw });
        }
        let mut msg = [0u8; 256];
        // SAFETY: regerror writes at most `msg.len()` bytes, NUL included,
        // about a regex_t that regcomp just failed on (allowed by POSIX).
        unsafe { libc::regerror(rc, &*raw, msg.as_mut_ptr().cast(), msg.len()) };
        // regcomp failed, so there is nothing to regfree.
        std::mem::forget(raw);
        let text = CStr::from_bytes_until_nul(&msg).unwrap_or(c"invalid regular expression");
        Err(text.to_string_lossy().into_owned())
    }

    /// Whether the expression matches anywhere in `text`.
    pub fn is_match(&self, text: &CStr) -> bool {
        // SAFETY: the regex was compiled by regcomp and not freed; `text` is
        // NUL-terminated; with REG_NOSUB no match array is written.
        unsafe { libc::regexec(&*self.raw, text.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

// SAFETY: the compiled expression is owned by this value alone, and POSIX
// makes regexec safe to call from any thread (the tree's directory filter
// must be Send + Sync).
unsafe impl Send for Regex {}
unsafe impl Sync for Regex {}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: compiled by a successful regcomp, freed exactly once.
        unsafe { libc::regfree(&mut *self.raw) }
    }
}

/// Appends the current local time formatted by `strftime(fmt)` to `out`.
/// Like inotifywait, output longer than 4 KiB is not produced (the
/// conversion then yields nothing).
pub fn format_local_time(fmt: &CStr, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4096];
    // SAFETY: `time(NULL)` only returns the time; localtime_r fills the
    // `tm` we own (and reads TZ once); strftime writes at most `buf.len()`
    // bytes into `buf` and returns how many, without the NUL.
    let len = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm = MaybeUninit::<libc::tm>::zeroed();
        if libc::localtime_r(&now, tm.as_mut_ptr()).is_null() {
            return;
        }
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            fmt.as_ptr(),
            tm.as_ptr(),
        )
    };
    out.extend_from_slice(&buf[..len.min(buf.len())]);
}

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

/// The process entry point (`main.rs` is `#![no_main]`), in place of std's
/// start-up. That start-up finds the main thread's stack guard by reading
/// `/proc/self/maps` through the C library's stdio and `sscanf`, which
/// faults in about 440 KiB of the C library's code and data (seen in
/// `/proc/PID/smaps`; `cargo bench --bench cli`, peak RSS at 100
/// directories) for a stack-overflow message the command never needs. What
/// else it does that the command relies on, this does: descriptors 0 to 2
/// are opened on `/dev/null` if closed (so that the inotify descriptor
/// never becomes standard output), and `SIGPIPE` is ignored (a closed pipe
/// is an `EPIPE` error on write, as under std). The arguments need nothing:
/// std reads them itself before `main` on glibc.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    for fd in 0..3 {
        // SAFETY: F_GETFD only asks about a descriptor number; open is given
        // a NUL-terminated path, and takes the lowest free number, `fd`.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN runs no code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    std::ffi::c_int::from(crate::start())
}

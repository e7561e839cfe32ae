//! The process entry point of both commands (their `main.rs` are
//! `#![no_main]` outside tests), in place of std's start-up.
//!
//! That start-up finds the main thread's stack guard by reading
//! `/proc/self/maps` through the C library's stdio and `sscanf`, which
//! faults in about 440 KiB of the C library's code and data (seen in
//! `/proc/PID/smaps`; `cargo bench --bench cli`, peak RSS at 100
//! directories) for a stack-overflow message the commands never need.
//! What else it does that the commands rely on, this does: descriptors 0
//! to 2 are opened on `/dev/null` if closed (so that an inotify descriptor
//! never becomes standard output), and `SIGPIPE` is ignored (a closed pipe
//! is an `EPIPE` error on write, as under std). The arguments need
//! nothing: std reads them itself before `main` on glibc.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int};

#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
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
    c_int::from(crate::start())
}

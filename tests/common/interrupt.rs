//! Interrupting a wait on purpose: a caught signal sent to the waiting
//! thread alone (so the tests running beside it are not disturbed) late in
//! the wait, so that a wait restarted from scratch would end far from one
//! resumed for the time left. Deterministic on any kernel: a caught signal
//! makes `epoll_wait` fail with `EINTR` even with `SA_RESTART`
//! (signal(7)).

use std::time::{Duration, Instant};

/// When an interrupted wait of `block` ended and when its signal was sent,
/// both from the wait's start.
pub struct Interrupted {
    pub block: Duration,
    pub ended: Duration,
    pub signalled: Duration,
}

impl Interrupted {
    /// A wait resumed for the time left ends at `block`; one started over
    /// ends a whole `block` after the signal. `signalled` is read after the
    /// signal was sent, so it is late if anything: the bound only loosens.
    pub fn assert_resumed(&self) {
        let block = self.block;
        let restarted = self.signalled + block;
        assert!(
            self.ended >= block * 9 / 10 && self.ended < restarted - block / 2,
            "ended after {:?}; resumed it would end about {block:?}, \
             restarted about {restarted:?}",
            self.ended
        );
    }
}

/// Runs `f` (a wait of `block`) on this thread while another sends it a
/// caught `SIGUSR1` three quarters of a `block` from now.
pub fn interrupted_late<T>(block: Duration, f: impl FnOnce() -> T) -> (T, Interrupted) {
    extern "C" fn caught(_: libc::c_int) {}
    // SAFETY: `caught` is async-signal-safe (it does nothing), and the
    // handler stays valid for the life of the process.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = caught as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    // SAFETY: pthread_self has no preconditions.
    let waiter = unsafe { libc::pthread_self() };
    let start = Instant::now();
    std::thread::scope(|scope| {
        let signalled = scope.spawn(move || {
            std::thread::sleep(block * 3 / 4);
            // SAFETY: the waiting thread outlives this scope.
            assert_eq!(unsafe { libc::pthread_kill(waiter, libc::SIGUSR1) }, 0);
            start.elapsed()
        });
        let out = f();
        let ended = start.elapsed();
        let signalled = signalled.join().unwrap();
        (
            out,
            Interrupted {
                block,
                ended,
                signalled,
            },
        )
    })
}

//! Drivers for event loops other than the blocking one.
//!
//! Both loops are sans-IO at heart, so a driver only waits and reads as it
//! is told: [`Watcher::poll`](crate::Watcher::poll) and
//! [`InotifyTrees::poll`](crate::InotifyTrees::poll) say what to do next
//! (hand out an event, read, let events pile up, wait for readiness), and
//! `fill`, `woke` and `hand_out` report back. The blocking loops
//! ([`Watcher::next`](crate::Watcher::next),
//! [`InotifyTrees::next_event`](crate::InotifyTrees::next_event)) are such
//! drivers over `epoll_wait`; `runtime::tokio` (feature `tokio`) is one
//! over `tokio::io::unix::AsyncFd`; `tests/mio_loop.rs` is one over
//! mio, in a few lines.

#[cfg(feature = "tokio")]
pub mod tokio;

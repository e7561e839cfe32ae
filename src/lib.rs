//! # zinotify
//!
//! Linux inotify, fast, small and trustworthy: a zero-allocation,
//! `no_std`-friendly event engine with a zero-copy parser, fuzzed, and no
//! `unsafe`.
//!
//! The layers, bottom up (each module's docs say more):
//!
//! - [`mask`]: [`EventMask`] and [`WatchMask`], the kernel's `IN_*` bits,
//!   and their names.
//! - [`event`]: the zero-copy parser ([`Events`] yields [`Event`]s that
//!   borrow the buffer) and the [`Encoder`] that writes events as the kernel
//!   does.
//! - [`error`]: [`Error`], one error type for everything that talks to the
//!   kernel.
//! - [`inotify`](mod@inotify): [`Inotify`], the inotify and epoll
//!   descriptors, reading into the caller's buffer with a timeout.
//! - [`wait_set`]: [`WaitSet`], waiting on several descriptors at once
//!   (inotify beside a signalfd, a pipe, an eventfd), ready tokens into a
//!   [`Readiness`] the caller owns.
//! - [`storage`]: table storage, one model for every table: fixed
//!   (`heapless`, `const`), borrowed slices, or growing (`std`).
//! - [`watches`]: [`Watches`], a wd ↔ path table in any such storage; [`watched`]: [`WatchedEvent`], an event with its watch path.
//! - [`adapter`]: [`Watcher`], PyInotify's event loop (one event at a time,
//!   idle markers, timeout, terminal events, filter).
//! - [`tree`]: [`InotifyTree`] and [`InotifyTrees`], whole directory trees
//!   watched recursively over storage the caller provides.
//! - [`runtime`]: drivers for other event loops (tokio, with the `tokio`
//!   feature), over the same steps as the blocking loops.
//!
//! ```
//! use std::time::Duration;
//! use zinotify::{EventMask, Inotify, WatchMask};
//!
//! let dir = std::env::temp_dir().join(format!("zinotify-crate-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//!
//! let inotify = Inotify::new()?;
//! inotify.add_watch(&dir, WatchMask::CREATE)?;
//! std::fs::write(dir.join("hello.txt"), b"hi").unwrap();
//!
//! let mut buf = [0u8; 4096];
//! let event = inotify.wait_events(&mut buf, Some(Duration::from_secs(1)))?.next().unwrap()?;
//! assert_eq!(event.mask, EventMask::CREATE);
//! assert_eq!(event.name, b"hello.txt");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), zinotify::Error>(())
//! ```
//!
//! ## Features
//!
//! - `std` (default): `std::error::Error` impls, `&Path` arguments, paths in
//!   errors. Without it the crate is `#![no_std]` and uses no `alloc`.
//! - `cli` (default): the `zinotify` command.
//! - `tokio`: [`runtime::tokio`](crate::runtime), async drivers for the
//!   flat loop and trees (no allocation per event, cancellation-safe).

#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod error;
pub mod event;
pub mod inotify;
pub mod mask;
pub mod path;
pub mod runtime;
pub mod storage;
pub mod tree;
pub mod wait_set;
pub mod watched;
pub mod watches;

pub use adapter::{Batching, Filter, KeepAll, Next, Verdict, Watcher, WatcherConfig};
pub use error::{Error, ErrorKind, Operation, PATH_MAX};
pub use event::{EncodeError, Encoder, Event, Events, MIN_BUFFER_LEN, ParseError, ParseErrorKind};
pub use inotify::{Inotify, WatchDescriptor};
pub use mask::{EventMask, UnknownEventName, WatchMask};
pub use path::PathBytes;
#[cfg(feature = "std")]
pub use tree::GrowingTreeStorage;
pub use tree::{
    BorrowedTreeStorage, FixedTreeStorage, InotifyTree, InotifyTrees, TreeEvent, TreeEventKind,
    TreeStorage,
};
pub use wait_set::{Readiness, WaitSet};
pub use watched::WatchedEvent;
#[cfg(feature = "std")]
pub use watches::GrowingWatches;
pub use watches::{FixedWatches, Slot, WatchStorage, Watches};

//! # zinotify
//!
//! Linux inotify, fast, small and trustworthy: a zero-allocation,
//! `no_std`-friendly event engine with a zero-copy parser, fuzzed, and no
//! `unsafe`.
//!
//! Everything a user names is re-exported here, at the crate root, once.
//! The modules are private except three namespaces: [`storage`] (the kinds
//! of table storage), [`runtime`] (drivers for other event loops:
//! `runtime::tokio`) and [`sans_io`] (the loops' state machines without
//! their system calls, for drivers, tests and fuzzing).
//!
//! The layers, bottom up (the module list below keeps this order):
//!
//! - `mask`: [`EventMask`] and [`WatchMask`], the kernel's `IN_*` bits,
//!   and their names ([`MaskNames`]).
//! - `event`: the zero-copy parser ([`Events`] yields [`Event`]s that
//!   borrow the buffer) and the [`Encoder`] that writes events as the kernel
//!   does.
//! - `error`: [`Error`], one error type for everything that talks to the
//!   kernel.
//! - `path`: [`PathBytes`], path arguments without allocation.
//! - `inotify`: [`Inotify`], the engine: the inotify and epoll
//!   descriptors, reading into the caller's buffer with a timeout.
//! - `wait_set`: [`WaitSet`], waiting on several descriptors at once
//!   (inotify beside a signalfd, a pipe, an eventfd), ready tokens into a
//!   [`Readiness`] the caller owns.
//! - [`storage`]: table storage, one model for every table: fixed
//!   (`heapless`, `const`), borrowed slices, or growing (`std`).
//! - `watch_table`: [`WatchTable`], the flat wd ↔ path table, in a
//!   [`WatchStorage`]; `watch_event`: [`WatchEvent`], an event with its
//!   watch path.
//! - `watcher`: [`Watcher`], the flat loop, PyInotify's (one event at a
//!   time, idle markers, timeout, terminal events, [`EventFilter`]).
//! - `tree`: [`InotifyTree`] and [`InotifyTrees`], whole directory trees
//!   watched recursively, in a [`TreeStorage`].
//! - [`runtime`]: drivers for other event loops (tokio, with the `tokio`
//!   feature), over the same steps as the blocking loops.
//! - [`sans_io`]: the state machines inside both loops.
//!
//! Names say what they belong to: `Watch*` is a kernel watch or the flat
//! table of them ([`WatchMask`], [`WatchDescriptor`], [`WatchTable`],
//! [`WatchEntry`], [`WatchStorage`], [`WatchEvent`]); `Watcher*` is the
//! flat loop ([`Watcher`], [`WatcherConfig`], [`WatcherItem`]); `Tree*`
//! and `Dir*` are the recursive loop and its table ([`TreeEvent`],
//! [`TreeStorage`], [`DirEntry`], [`DirFilter`]); a `*Storage` is the
//! memory a table lives in; a filter says what it filters
//! ([`EventFilter`]: events, [`DirFilter`]: directories).
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

// The layers, bottom up; a comment before each module keeps this order.
// The kernel's `IN_*` bits and their names.
mod mask;
// The zero-copy parser and the encoder.
mod event;
// One error type.
mod error;
// Path arguments without allocation.
mod path;
// The engine: inotify and epoll descriptors, reads into the caller's buffer.
mod inotify;
// Waiting on several descriptors at once, with the engine's wait loop.
mod wait_set;
// Table storage: fixed, borrowed, growing (a namespace).
pub mod storage;
// The flat table: watch descriptor <-> path.
mod watch_table;
// An event with its watch path, as the flat table resolves it.
mod watch_event;
// The flat loop, PyInotify's.
mod watcher;
// Recursive trees: their table, state machine and driver.
mod tree;
// Drivers for other event loops (a namespace: `runtime::tokio`).
pub mod runtime;
// Both loops' state machines without system calls (a namespace).
pub mod sans_io;

pub use error::{Error, ErrorKind, Operation, PATH_MAX};
pub use event::{
    EncodeError, Encoder, Event, Events, HEADER_LEN, MIN_BUFFER_LEN, NAME_MAX, ParseError,
    ParseErrorKind, padded_name_len,
};
pub use inotify::{Inotify, WatchDescriptor};
pub use mask::{EventMask, MaskNames, UnknownEventName, WatchMask};
pub use path::PathBytes;
#[cfg(feature = "std")]
pub use tree::GrowingTreeStorage;
pub use tree::{
    BorrowedTreeStorage, DirEntry, DirFilter, FixedTreeStorage, InotifyTree, InotifyTrees, RootId,
    TREE_BYTES_PER_DIR, TreeEvent, TreeEventKind, TreeStorage, TreeStore, tree_index_len_for,
    tree_name_bytes_for,
};
pub use wait_set::{Readiness, WaitSet};
pub use watch_event::WatchEvent;
#[cfg(feature = "std")]
pub use watch_table::GrowingWatchTable;
pub use watch_table::{FixedWatchStorage, FixedWatchTable, WatchEntry, WatchStorage, WatchTable};
pub use watcher::{
    Batching, EventFilter, FilterVerdict, KeepAll, Watcher, WatcherConfig, WatcherItem,
};

//! The loops without their system calls: the seam for drivers, tests and
//! fuzzing.
//!
//! Both loops are a sans-IO state machine plus a driver that makes the
//! system calls (the split of rustls and quinn-proto). [`Watcher`] and
//! [`InotifyTrees`] are the blocking drivers; `runtime::tokio` (feature
//! `tokio`) and `tests/mio_loop.rs` are others. This module holds the
//! machines and the steps they answer with.
//!
//! # What is stable
//!
//! - **The driver steps, for a loop of one's own**: [`WatcherStep`] and
//!   [`FoundEvent`] (what [`Watcher::poll`] answers and
//!   [`Watcher::hand_out`] takes), [`TreeStep`] and [`TreeReport`] (the
//!   same for [`InotifyTrees::poll`] and [`InotifyTrees::hand_out`]), and
//!   [`WatcherCore`], the flat loop's machine (fed bytes, readiness and
//!   time). These follow the crate's version.
//! - **Not stable: the tree machine's inside**, public so that the model
//!   tests (`tests/tree_model.rs`) and the fuzz target
//!   (`tests/fuzz_checks/tree.rs`) run the very machine the kernel driver
//!   does: [`TreeMachine`] (its methods, [`TreeMachine::verify`] and
//!   [`TreeMachine::backend_mut`] included, and what
//!   [`InotifyTrees::machine`] lends), [`TreeBackend`], [`KernelBackend`],
//!   [`Listing`], [`LISTING_LEN`] and [`OpenDir`]. They change whenever the
//!   tree's bookkeeping does, in any release; depend on [`InotifyTrees`]
//!   instead.
//!
//! They are documented rather than `#[doc(hidden)]`: a hidden item is
//! still public, and a reader of a model test or fuzz target should find
//! what it drives in the docs.
//!
//! [`Watcher`]: crate::Watcher
//! [`Watcher::poll`]: crate::Watcher::poll
//! [`Watcher::hand_out`]: crate::Watcher::hand_out
//! [`InotifyTrees`]: crate::InotifyTrees
//! [`InotifyTrees::poll`]: crate::InotifyTrees::poll
//! [`InotifyTrees::hand_out`]: crate::InotifyTrees::hand_out
//! [`InotifyTrees::machine`]: crate::InotifyTrees::machine

pub use crate::tree::{
    KernelBackend, LISTING_LEN, Listing, OpenDir, TreeBackend, TreeMachine, TreeReport, TreeStep,
};
pub use crate::watcher::{FoundEvent, WatcherCore, WatcherStep};

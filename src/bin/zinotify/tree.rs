//! `-r`: whole trees, on zinotify's recursive watcher
//! ([`zinotify::InotifyTrees`]).
//!
//! What this gives over inotifywait: a new directory is watched, then
//! listed, and what the listing finds is printed as `CREATE` (files made
//! before the watch existed are not missed); renames keep paths right; a
//! directory moved out stops producing events; after a queue overflow the
//! tree is read again.
//!
//! Storage grows with the tree ([`GrowingTreeStorage`]): it starts small
//! and doubles whenever the directories or their names need more room,
//! during set-up or later, so a tree of any size is watched up to the
//! kernel's `max_user_watches`.

use crate::format::Line;
use crate::paths::Roots;
use crate::source::{Item, Source};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use std::ops::ControlFlow;
use std::time::Duration;
use zinotify::{Batching, Error, ErrorKind, EventMask, WatchMask};
use zinotify::{DirFilter, GrowingTreeStorage, InotifyTrees, TreeEvent, TreeEventKind};

/// The read buffer for kernel events.
pub const BUF_LEN: usize = 64 * 1024;

/// Recursive watches over one inotify instance; a path that is not a
/// directory is watched alone in the same instance, as inotifywait `-r`
/// does (so the order of its events and the tree's is kept, and the kernel
/// merges repeated events as it does for inotifywait).
pub struct Tree<'s> {
    trees: InotifyTrees<'s, GrowingTreeStorage, Vec<u8>>,
    /// The roots added: a path named twice is watched once.
    roots: Roots,
    /// How many roots are still watched (deleted or moved-away ones end).
    live_roots: usize,
}

impl<'s> Tree<'s> {
    /// A tree on growing storage, reporting `mask`, leaving the
    /// directories `prune` vetoes (see [`Prune`](crate::prune::Prune))
    /// unwatched.
    pub fn new(prune: Option<DirFilter<'s>>, mask: WatchMask) -> Result<Self, Error> {
        let mut trees = InotifyTrees::new(GrowingTreeStorage::growing(), vec![0; BUF_LEN], mask)?;
        trees.set_dir_filter(prune);
        // The command's own loop batches its reads (main.rs).
        trees.set_batching(Batching::Off);
        Ok(Self {
            trees,
            roots: Roots::default(),
            live_roots: 0,
        })
    }

    /// Watches the tree at `path`, or just `path` if it is not a directory
    /// (a symlink given is followed, as by inotifywait).
    pub fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        if !self.roots.first_time(path) {
            return Ok(());
        }
        self.trees.add_root(path)?;
        self.live_roots += 1;
        Ok(())
    }

    /// Hands the tree's items to `sink` until there is nothing left (or,
    /// during `setup`, until set-up is done); `timeout` is how long to wait
    /// when there is nothing to do (`None`: forever).
    fn pump(
        &mut self,
        timeout: Option<Duration>,
        setup: bool,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<Pumped, Error> {
        loop {
            // `None`: no directory is left; the command's RootGone and
            // file-root bookkeeping decides when it ends.
            let Some(next) = self.trees.next_event(timeout) else {
                return Ok(Pumped::Idle);
            };
            let event = match next {
                Ok(event) => event,
                // The kernel's watch limit during set-up ends the command,
                // as it ends inotifywait.
                Err(err) if setup && err.kind() == ErrorKind::WatchLimit => return Err(err),
                // Limits reached later leave a directory unwatched and the
                // tree consistent: say so, go on.
                Err(err) if is_storage_full(err.kind()) || err.kind() == ErrorKind::WatchLimit => {
                    if sink(Item::Notice(err.to_string())).is_break() {
                        return Ok(Pumped::Stopped);
                    }
                    continue;
                }
                Err(err) => return Err(err),
            };
            let item = match judge(event, setup, &mut self.live_roots) {
                Judged::Out(item) => item,
                Judged::Skip => continue,
                Judged::End(pumped) => return Ok(pumped),
            };
            if sink(item).is_break() {
                return Ok(Pumped::Stopped);
            }
        }
    }
}

/// What one tree event comes to for the command.
enum Judged<'e> {
    /// A line or a notice to hand out.
    Out(Item<'e>),
    /// Nothing to say.
    Skip,
    /// The pump stops here.
    End(Pumped),
}

/// Turns one tree event into what the command says of it; `live_roots`
/// counts the roots not gone yet.
fn judge<'e>(event: TreeEvent<'e>, setup: bool, live_roots: &mut usize) -> Judged<'e> {
    let item = match event.kind {
        TreeEventKind::Kernel | TreeEventKind::Synthetic => Item::Event(Line {
            watch: event.dir,
            name: event.name,
            mask: event.mask,
            cookie: event.cookie,
            synthetic: event.kind == TreeEventKind::Synthetic,
        }),
        TreeEventKind::Overflow => Item::Event(Line {
            watch: b"",
            name: b"",
            mask: EventMask::Q_OVERFLOW,
            cookie: 0,
            synthetic: false,
        }),
        TreeEventKind::Rescanned => {
            Item::Rescan("the event queue overflowed; the tree was read again".into())
        }
        TreeEventKind::Relisted => Item::Notice(
            "a watched directory moved where no event said; \
             the directories around it were read again"
                .into(),
        ),
        TreeEventKind::Idle => return Judged::End(Pumped::Idle),
        TreeEventKind::Ready => {
            if setup {
                return Judged::End(Pumped::Ready);
            }
            return Judged::Skip;
        }
        // The kernel's own DELETE_SELF/MOVE_SELF already said so;
        // once no root (and no file) is left, nothing can come.
        TreeEventKind::RootGone => {
            *live_roots -= 1;
            if *live_roots > 0 {
                return Judged::Skip;
            }
            Item::Gone("no watched path is left".into())
        }
        // A directory already watched as (part of) another root:
        // watched once, as by inotifywait, which says nothing.
        TreeEventKind::Skipped {
            kind: ErrorKind::Os(Errno::EXIST),
            ..
        } => return Judged::Skip,
        TreeEventKind::Skipped { operation, kind } => {
            let err = Error::new(operation, kind);
            Item::Notice(format!(
                "not watching \"{}{}\": {err}",
                String::from_utf8_lossy(event.dir),
                String::from_utf8_lossy(event.name)
            ))
        }
    };
    Judged::Out(item)
}

/// How [`Tree::pump`] ended.
enum Pumped {
    /// Nothing more to do right now.
    Idle,
    /// Set-up is done.
    Ready,
    /// The sink asked to stop.
    Stopped,
}

/// What [`Tree::establish`] found.
pub enum Established {
    /// Every root is watched.
    Ready,
    /// The sink asked to stop while setting up.
    Stopped,
}

impl Tree<'_> {
    /// Runs set-up to its end, handing events that arrive meanwhile to
    /// `sink`.
    pub fn establish(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<Established, Error> {
        loop {
            match self.pump(None, true, sink)? {
                Pumped::Ready => return Ok(Established::Ready),
                Pumped::Stopped => return Ok(Established::Stopped),
                Pumped::Idle => {}
            }
        }
    }
}

impl Source for Tree<'_> {
    fn fds(&self) -> Vec<BorrowedFd<'_>> {
        vec![self.trees.inotify().as_fd()]
    }

    fn coalesce(&self, window: Duration) -> Result<(), Error> {
        self.trees.inotify().coalesce(BUF_LEN / 2, window)
    }

    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error> {
        Ok(match self.pump(Some(Duration::ZERO), false, sink)? {
            Pumped::Stopped => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        })
    }
}

/// Whether `kind` says the tree's storage is full: its directory table or
/// the bytes for their names (growing storage is, only when the allocator
/// refuses).
fn is_storage_full(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::TableFull { .. } | ErrorKind::PathStorageFull { .. }
    )
}

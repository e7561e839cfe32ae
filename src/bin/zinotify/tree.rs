//! `-r`: whole trees, on zinotify's recursive watcher
//! ([`zinotify::tree::InotifyTrees`]).
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
use crate::paths::PathList;
use crate::source::{Flat, Item, Source};
use rustix::fd::{AsFd, BorrowedFd};
use std::ops::ControlFlow;
use std::time::Duration;
use zinotify::tree::{GrowingTreeStorage, InotifyTrees, TreeEventKind};
use zinotify::{Error, ErrorKind, EventMask, WatchMask};

/// The read buffer for kernel events.
pub const BUF_LEN: usize = 64 * 1024;

/// Recursive watches over one inotify instance; a path that is not a
/// directory gets a flat watch beside it, as inotifywait `-r` does.
pub struct Tree<'s> {
    trees: InotifyTrees<'s, GrowingTreeStorage, Vec<u8>>,
    files: Option<Flat>,
    /// `@path` exclusions, as `dir/` prefixes of watch paths to drop.
    exclude: Vec<Vec<u8>>,
    mask: WatchMask,
    /// Every path given, to size the flat table of files.
    file_paths: Vec<Vec<u8>>,
    /// How many trees were added (set-up waits for them only).
    roots: usize,
}

impl<'s> Tree<'s> {
    /// A tree reporting `mask`; events in the `@path` exclusions of
    /// `paths` (and below them) are dropped.
    pub fn new(mask: WatchMask, paths: &PathList) -> Result<Self, Error> {
        let exclude = paths
            .exclude
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if !e.ends_with(b"/") {
                    e.push(b'/');
                }
                e
            })
            .collect();
        Ok(Self {
            trees: InotifyTrees::new(GrowingTreeStorage::growing(), vec![0; BUF_LEN], mask)?,
            files: None,
            exclude,
            mask,
            file_paths: paths.watch.clone(),
            roots: 0,
        })
    }

    /// Watches the tree at `path`, or just `path` if it is not a directory
    /// (symlinks followed, as opendir follows them).
    pub fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        use std::os::unix::ffi::OsStrExt;
        let meta = std::fs::metadata(std::ffi::OsStr::from_bytes(path));
        if meta.is_ok_and(|m| !m.is_dir()) {
            let files = match &mut self.files {
                Some(files) => files,
                None => self.files.insert(Flat::new(self.mask, &self.file_paths)?),
            };
            return files.add(path);
        }
        self.trees.add_root(path)?;
        self.roots += 1;
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
            let excluded = self.exclude.iter().any(|e| event.dir.starts_with(e));
            let item = match event.kind {
                TreeEventKind::Kernel | TreeEventKind::Synthetic if excluded => continue,
                TreeEventKind::Kernel | TreeEventKind::Synthetic => Item::Event(Line {
                    watch: event.dir,
                    name: event.name,
                    mask: event.mask,
                }),
                TreeEventKind::Overflow => Item::Event(Line {
                    watch: b"",
                    name: b"",
                    mask: EventMask::Q_OVERFLOW,
                }),
                TreeEventKind::Rescanned => {
                    Item::Notice("the event queue overflowed; the tree was read again".into())
                }
                TreeEventKind::Relisted => Item::Notice(
                    "a watched directory moved where no event said; \
                     the directories around it were read again"
                        .into(),
                ),
                TreeEventKind::Ready => {
                    if setup {
                        return Ok(Pumped::Ready);
                    }
                    continue;
                }
                // The kernel's own DELETE_SELF/MOVE_SELF already said so.
                TreeEventKind::RootGone => continue,
                TreeEventKind::Skipped { .. } if excluded => continue,
                TreeEventKind::Skipped { operation, kind } => {
                    let err = Error::new(operation, kind);
                    Item::Notice(format!(
                        "not watching \"{}{}\": {err}",
                        String::from_utf8_lossy(event.dir),
                        String::from_utf8_lossy(event.name)
                    ))
                }
            };
            if sink(item).is_break() {
                return Ok(Pumped::Stopped);
            }
        }
    }
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
        if self.roots == 0 {
            // Only files were given: nothing to walk.
            return Ok(Established::Ready);
        }
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
        let mut fds = vec![self.trees.inotify().as_fd()];
        if let Some(files) = &self.files {
            fds.extend(files.fds());
        }
        fds
    }

    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error> {
        if let Some(files) = &mut self.files {
            if files.drain(sink)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
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

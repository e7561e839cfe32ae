//! The walk: listing every unlisted directory (set-up, new directories,
//! rescans), raising the masks of what it listed, and sweeping what a
//! rescan did not find.

use super::*;

impl<B: TreeBackend, S: TreeStore> TreeMachine<'_, B, S> {
    /// After an overflow: every directory is listed again (watches lowered
    /// first, so the rescan does not flood the queue), new ones are watched
    /// and reported, vanished ones dropped, then [`TreeEventKind::Rescanned`].
    pub(super) fn start_rescan(&mut self) {
        self.ahead = true;
        self.renames.clear();
        self.listing.clear();
        self.walk.dir = None;
        for slot in self.table.slots() {
            if !self.table.used(slot) {
                continue;
            }
            if self.table.get(slot).is_file_root() {
                // Nothing to list, and it stays SEEN: a file root is kept.
                continue;
            }
            self.table
                .clear(slot, flag::SEEN | flag::FRESH | flag::UNLISTED);
            let e = *self.table.get(slot);
            // Lowered by replacing the mask: an event lost in the kernel's
            // moment without one (see `TreeBackend::add_watch`) is found by
            // the listing.
            let Some(answer) = self.rewatch(slot, self.masks.reduced) else {
                continue;
            };
            match answer {
                Ok(wd) if wd == e.wd => {
                    self.table.set(slot, flag::REDUCED | flag::UNLISTED);
                    if e.has(flag::ROOT) {
                        self.table.set(slot, flag::SEEN);
                    }
                }
                Ok(wd) => {
                    // Another directory lives there now; its parent's
                    // listing will find it.
                    if self.table.slot_of(wd).is_none() {
                        self.backend.remove_watch(wd);
                    }
                }
                Err(_) => {}
            }
        }
        self.walk.active = true;
        self.walk.phase = Phase::List;
        self.walk.cursor = 0;
        self.walk.lo = 0;
        self.walk.kind = WalkKind::Rescan;
    }

    /// Does the walk's next piece of work; `Some` is a report for the user,
    /// `None` means there is nothing to do until the next kernel event.
    pub fn step(&mut self) -> Option<Result<TreeReport, Error>> {
        loop {
            if let Some(d) = self.deferred.take() {
                return Some(self.run_deferred(d));
            }
            if !self.walk.active {
                return None;
            }
            match self.walk.phase {
                Phase::List => {
                    if let Some(r) = self.list_step() {
                        return Some(r);
                    }
                }
                Phase::Raise => self.raise(),
                Phase::Sweep(from) => {
                    if let Some(r) = self.sweep(from) {
                        return Some(Ok(r));
                    }
                }
                Phase::Finish => {
                    let kind = if core::mem::take(&mut self.walk.setup) {
                        TreeEventKind::Ready
                    } else {
                        match core::mem::replace(&mut self.walk.kind, WalkKind::Grow) {
                            WalkKind::Rescan => TreeEventKind::Rescanned,
                            WalkKind::Relist => TreeEventKind::Relisted,
                            WalkKind::Grow => {
                                self.walk.active = false;
                                continue;
                            }
                        }
                    };
                    return Some(Ok(self.notice(NONE, kind, NameAt::None)));
                }
            }
        }
    }

    pub(super) fn run_deferred(&mut self, d: Deferred) -> Result<TreeReport, Error> {
        match d {
            Deferred::Skipped {
                slot,
                operation,
                kind,
            } => Ok(self.notice(
                slot,
                TreeEventKind::Skipped { operation, kind },
                NameAt::Scratch,
            )),
            Deferred::Error(err) => Err(err),
            Deferred::RootGone(slot) => {
                let r = self.notice(slot, TreeEventKind::RootGone, NameAt::None);
                if self.table.used(slot) {
                    self.remove_subtree(slot, false);
                }
                Ok(r)
            }
        }
    }

    /// One piece of listing work; `None` when it produced nothing to report.
    pub(super) fn list_step(&mut self) -> Option<Result<TreeReport, Error>> {
        if let Some((start, len, is_dir)) = self.listing.pop() {
            return self.listed(start, len, is_dir);
        }
        if self.walk.dir.is_some() {
            return self.read_more();
        }
        if core::mem::take(&mut self.walk.verify) {
            self.verified(self.walk.slot);
        }
        let hi = self.table.hi();
        while self.walk.cursor < hi
            && !(self.table.used(self.walk.cursor)
                && self.table.get(self.walk.cursor).has(flag::UNLISTED))
        {
            self.walk.cursor += 1;
        }
        if self.walk.cursor >= hi {
            self.walk.phase = Phase::Raise;
            return None;
        }
        let slot = self.walk.cursor;
        self.table.clear(slot, flag::UNLISTED);
        self.open(slot)
    }

    /// Reads the next entries of the directory being listed into the
    /// listing buffer.
    fn read_more(&mut self) -> Option<Result<TreeReport, Error>> {
        let dir = self.walk.dir.as_mut()?;
        match self.backend.read_dir(dir, &mut self.listing) {
            Ok(false) => None,
            Ok(true) => {
                self.walk.dir = None;
                None
            }
            Err(e) => {
                self.walk.dir = None;
                if vanished(e) || !self.table.used(self.walk.slot) {
                    return None;
                }
                let kind = TreeEventKind::Skipped {
                    operation: Operation::ReadDir,
                    kind: ErrorKind::Os(e),
                };
                Some(Ok(self.notice(self.walk.slot, kind, NameAt::None)))
            }
        }
    }

    /// Opens `slot` to be listed next.
    fn open(&mut self, slot: u32) -> Option<Result<TreeReport, Error>> {
        let e = *self.table.get(slot);
        let Some(len) = self.sys_path(slot) else {
            let kind = TreeEventKind::Skipped {
                operation: Operation::OpenDir,
                kind: ErrorKind::PathTooLong { len: PATH_MAX },
            };
            return Some(Ok(self.notice(e.parent, kind, NameAt::None)));
        };
        // A root is the path the user named, followed if it is a symlink
        // (as its watch is): a trailing `/` makes the kernel follow it
        // despite O_NOFOLLOW. Nothing below a root is followed.
        let len = if e.has(flag::ROOT) && len > 1 && len + 1 < PATH_MAX {
            self.path[len] = b'/';
            self.path[len + 1] = 0;
            len + 1
        } else {
            len
        };
        match self.backend.open_dir(c_str(&self.path[..=len])) {
            Ok(dir) => {
                // A path can name another directory by the time it is
                // opened, or while it is listed (`mv logs logs.1; mkdir
                // logs` by another process meanwhile): once listed, it is
                // asked whether it is still at its path (see `verified`).
                // During the set-up, only while events are queued.
                self.walk.verify = !self.walk.setup || self.backend.events_pending();
                self.rechecks.retain(|r| r.slot != slot);
                self.walk.dir = Some(dir);
                self.walk.slot = slot;
                self.walk.report =
                    e.has(flag::FRESH) && self.masks.report.contains(EventMask::CREATE);
                self.walk.relist = e.has(flag::RELIST);
                self.table.clear(slot, flag::FRESH | flag::RELIST);
                None
            }
            Err(e) if vanished(e) => {
                self.recheck(slot);
                None
            }
            Err(e) => {
                let kind = TreeEventKind::Skipped {
                    operation: Operation::OpenDir,
                    kind: ErrorKind::Os(e),
                };
                Some(Ok(self.notice(slot, kind, NameAt::None)))
            }
        }
    }

    /// `slot` was just listed: if its path no longer leads to it, what
    /// the listing read, or watched through that path, may be another
    /// directory's. The directories it found new (not listed yet) are
    /// dropped again, and `slot` is listed again once its path is right.
    /// One path lookup per listing, whatever its size.
    fn verified(&mut self, slot: u32) {
        if !self.table.used(slot) || self.still_at(slot) {
            return;
        }
        for child in self.table.slots() {
            if self.table.used(child) {
                let e = *self.table.get(child);
                if e.parent == slot && e.has(flag::UNLISTED) {
                    self.remove_subtree(child, false);
                }
            }
        }
        self.recheck(slot);
    }

    /// One entry the listing found.
    pub(super) fn listed(
        &mut self,
        start: usize,
        len: usize,
        is_dir: bool,
    ) -> Option<Result<TreeReport, Error>> {
        let parent = self.walk.slot;
        if !self.table.used(parent) {
            return None;
        }
        let mut name = [0u8; NAME_MAX];
        name[..len].copy_from_slice(self.listing.name(start, len));
        let name = &name[..len];
        let mut report = self.walk.report;
        if is_dir {
            let new_dirs = self.walk.kind == WalkKind::Rescan || self.walk.relist;
            let fresh = self.walk.report || new_dirs;
            match self.watch_child(parent, name, fresh, Lookup::Listing) {
                Child::Watched => {
                    // A rescan or relisting reports the directories it did
                    // not know.
                    report |= new_dirs && self.masks.report.contains(EventMask::CREATE);
                }
                // (No parent check while listing: `verified` asks once for
                // the whole listing.)
                Child::Known | Child::Excluded | Child::ParentStale => {}
                Child::Vanished => self.vanished_from(parent),
                Child::Skipped(operation, kind) => {
                    if report {
                        self.defer_skip(parent, name, operation, kind);
                    } else {
                        let skip = TreeEventKind::Skipped { operation, kind };
                        return Some(Ok(self.notice(parent, skip, NameAt::Listing(start, len))));
                    }
                }
                Child::Failed(err) => {
                    if report {
                        self.deferred = Some(Deferred::Error(err));
                    } else {
                        return Some(Err(err));
                    }
                }
            }
        }
        if !report {
            return None;
        }
        let mask = if is_dir {
            EventMask::CREATE | EventMask::ISDIR
        } else {
            EventMask::CREATE
        };
        Some(Ok(self.report(
            parent,
            TreeEventKind::Synthetic,
            mask,
            NameAt::Listing(start, len),
        )))
    }

    /// Gives every watch this walk lowered its full mask back, now that its
    /// subtree is listed.
    pub(super) fn raise(&mut self) {
        let needed = self.masks.full != self.masks.reduced;
        for slot in self.walk.lo..self.table.hi() {
            if !self.table.used(slot) || !self.table.get(slot).has(flag::REDUCED) {
                continue;
            }
            self.table.clear(slot, flag::REDUCED);
            if !needed {
                continue;
            }
            let e = *self.table.get(slot);
            // Raised by OR-ing in: a replaced mask would drop events for a
            // moment, while others may be creating directories there.
            let raised = self.masks.full | WatchMask::MASK_ADD;
            if let Some(Ok(wd)) = self.rewatch(slot, raised)
                && wd != e.wd
                && self.table.slot_of(wd).is_none()
            {
                // The path now names another directory (renamed since):
                // its own events will bring it in.
                self.backend.remove_watch(wd);
            }
        }
        self.walk.phase = if self.walk.kind == WalkKind::Rescan {
            Phase::Sweep(0)
        } else {
            Phase::Finish
        };
    }

    /// After a rescan: drops what was not found again; a root not found is
    /// reported gone.
    pub(super) fn sweep(&mut self, from: u32) -> Option<TreeReport> {
        for slot in from..self.table.hi() {
            if !self.table.used(slot) || self.table.get(slot).has(flag::SEEN) {
                continue;
            }
            if self.table.get(slot).has(flag::ROOT) {
                self.walk.phase = Phase::Sweep(slot + 1);
                let r = self.notice(slot, TreeEventKind::RootGone, NameAt::None);
                self.remove_subtree(slot, false);
                return Some(r);
            }
            self.remove_subtree(slot, false);
        }
        self.walk.phase = Phase::Finish;
        None
    }
}

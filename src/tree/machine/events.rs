//! Kernel events: creations, renames (paired by cookie, settled by the
//! moved directory's `IN_MOVE_SELF`), removals and overflows, and the
//! bookkeeping between reads (expiring pairings, listing stale directories
//! again).

use super::*;

impl<B: Backend> Machine<'_, B> {
    pub(super) fn hint(&mut self, slot: u32, wd: i32, parent: u32, name: &[u8]) {
        let mut to_name = ArrayVec::new();
        let _ = to_name.try_extend_from_slice(name);
        let hint = Hint {
            slot,
            wd,
            parent,
            name: to_name,
        };
        if let Some(h) = self.hints.iter_mut().find(|h| h.slot == slot) {
            *h = hint;
        } else {
            // Kept until that directory's IN_MOVE_SELF (which may be far
            // behind in the queue); when full, the oldest goes.
            if self.hints.is_full() {
                self.hints.remove(0);
            }
            self.hints.push(hint);
        }
    }

    /// Schedules `slot` to be listed again at the end of the batch, and at
    /// the end of the next ones until a listing works (a rename queued
    /// behind will have fixed its path) or it is gone; after
    /// [`RECHECK_TRIES`] batches, or with too many at once: a rescan.
    pub(super) fn recheck(&mut self, slot: u32) {
        if !self.table.used(slot) || self.rechecks.iter().any(|r| r.slot == slot) {
            return;
        }
        let wd = self.table.get(slot).wd;
        if self
            .rechecks
            .try_push(Recheck { slot, wd, tries: 0 })
            .is_err()
        {
            self.rescan_due = true;
        }
    }

    /// Handles one kernel event; `Some` is a report for the user. Call it
    /// only when [`step`](Self::step) returned `None`.
    pub fn handle(&mut self, ev: &Event<'_>) -> Option<Result<Report, Error>> {
        let m = ev.mask;
        if ev.wd == -1 || m.contains(EventMask::Q_OVERFLOW) {
            self.start_rescan();
            return Some(Ok(self.report(
                NONE,
                TreeEventKind::Overflow,
                m,
                NameAt::None,
            )));
        }
        // A watch we no longer track (removed by us; its IN_IGNORED and
        // stragglers) has nothing to report.
        let slot = self.table.slot_of(ev.wd)?;
        let is_root = self.table.get(slot).has(flag::ROOT);
        if !ev.name.is_empty() && m.contains(EventMask::ISDIR) {
            if m.contains(EventMask::CREATE) {
                self.child_appeared(slot, ev.name);
            } else if m.contains(EventMask::MOVED_FROM) {
                self.moved_from(slot, ev.cookie, ev.name);
            } else if m.contains(EventMask::MOVED_TO) {
                self.moved_to(slot, ev.cookie, ev.name);
            }
        }
        let mut moved_out = false;
        // A file root renamed stays watched (nothing below it to follow).
        let file_root = self.table.get(slot).is_file_root();
        if ev.name.is_empty() && m.contains(EventMask::MOVE_SELF) && !file_root {
            moved_out = !self.moved_self(slot) || is_root;
        }
        let wanted = m.intersects(self.masks.report)
            || m.intersects(EventMask::IGNORED | EventMask::UNMOUNT);
        let report = wanted.then(|| {
            let mut r = self.report(slot, TreeEventKind::Kernel, m, NameAt::Kernel);
            r.cookie = ev.cookie;
            r
        });
        if ev.name.is_empty() && (moved_out || m.contains(EventMask::IGNORED)) {
            if is_root {
                self.deferred = Some(Deferred::RootGone(slot));
            } else {
                self.remove_subtree(slot, m.contains(EventMask::IGNORED));
            }
        }
        report.map(Ok)
    }

    pub(super) fn moved_from(&mut self, parent: u32, cookie: u32, name: &[u8]) {
        if self.moves.is_full() {
            // Too many renames in flight to pair them: a rescan finds where
            // everything went.
            self.start_rescan();
            return;
        }
        self.moves.push(Move {
            cookie,
            from_parent: parent,
            from_hash: hash(name),
            to_parent: NONE,
            to_name: ArrayVec::new(),
            batch: self.batch,
        });
    }

    pub(super) fn moved_to(&mut self, parent: u32, cookie: u32, name: &[u8]) {
        match self.moves.iter_mut().find(|m| m.cookie == cookie) {
            Some(m) => {
                m.to_parent = parent;
                m.to_name.clear();
                let _ = m.to_name.try_extend_from_slice(name);
            }
            // Moved in from outside the tree: like a new directory.
            None => self.child_appeared(parent, name),
        }
    }

    /// The directory watched by `slot` moved: re-parent it if its
    /// `IN_MOVED_TO` was seen. Returns whether it is still in the tree.
    pub(super) fn moved_self(&mut self, slot: u32) -> bool {
        let e = *self.table.get(slot);
        let h = hash(self.table.name(slot));
        // The latest rename away from where this directory was: an older
        // one from the same place was of another directory (unwatched).
        let Some(i) = self
            .moves
            .iter()
            .rposition(|m| m.from_parent == e.parent && m.from_hash == h)
        else {
            // Already where a rename put it (a rescan or a listing followed
            // it first): that rename is done.
            let name = self.table.name(slot);
            if let Some(i) = self
                .moves
                .iter()
                .position(|m| m.to_parent == e.parent && m.to_name.as_slice() == name)
            {
                self.moves.remove(i);
            }
            // No MOVED_FROM from a watched parent: a root moved (or the
            // pairing was lost, and then the rescan that followed fixes it).
            return !e.has(flag::ROOT);
        };
        let m = self.moves.remove(i);
        let (to_parent, to_name, hinted) = if m.to_parent != NONE {
            (m.to_parent, m.to_name.clone(), false)
        } else {
            // No IN_MOVED_TO: moved out, or into a directory not watched
            // yet, where a listing may have found it (a hint). A hint is
            // used once, and checked: it may predate a later move out.
            let Some(k) = self
                .hints
                .iter()
                .position(|h| h.slot == slot && h.wd == e.wd)
            else {
                // Moved out, says the pairing; the kernel has the last word
                // (a rescan may have put the entry where it is since).
                return self.still_at(slot);
            };
            let h = self.hints.remove(k);
            (h.parent, h.name, true)
        };
        if !self.table.used(to_parent) || self.table.is_within(to_parent, slot) {
            // The pairing cannot be this directory's (a stale one, from
            // before a rescan, of another directory that left the same
            // place under the same name): the kernel has the last word.
            // The rename is that other directory's: keep it, so that
            // where it landed is watched when it expires.
            if !hinted {
                self.moves.insert(i, m);
            }
            return self.still_at(slot);
        }
        let mut old_name = ArrayVec::<u8, NAME_MAX>::new();
        let _ = old_name.try_extend_from_slice(self.table.name(slot));
        if let Err(kind) = self.table.rename(slot, to_parent, &to_name) {
            // No room for the new name: stop watching it rather than report
            // wrong paths, and say so.
            self.deferred = Some(Deferred::Error(Error::new(Operation::AddWatch, kind)));
            return false;
        }
        if self.still_at(slot) {
            return true;
        }
        if hinted {
            return false;
        }
        // Not there: either a stale pairing (a rescan already placed it; it
        // is still where it was) or it moved on again (its next rename is
        // queued: keep following the events).
        if self.table.rename(slot, e.parent, &old_name).is_ok() && !self.still_at(slot) {
            let _ = self.table.rename(slot, to_parent, &to_name);
        } else {
            // The pairing was another directory's (it left the same place):
            // keep it for that one's IN_MOVE_SELF, or for the expiry that
            // watches where it went.
            let _ = self.moves.try_push(m);
        }
        true
    }

    /// Call before reading the next batch of kernel events. The kernel
    /// queues `IN_MOVED_FROM`, `IN_MOVED_TO` and `IN_MOVE_SELF` together, so
    /// a rename whose `IN_MOVE_SELF` has not come within two more batches was
    /// of a directory we do not watch (skipped earlier); if it landed in the
    /// tree, it is watched now as a new directory (see also
    /// [`queue_empty`](Self::queue_empty), which settles that sooner). Also
    /// lists again directories whose path was stale.
    pub fn end_batch(&mut self) {
        self.batch = self.batch.wrapping_add(1);
        let table = &self.table;
        self.rechecks
            .retain(|r| table.used(r.slot) && table.get(r.slot).wd == r.wd);
        if self.rechecks.iter().any(|r| r.tries >= RECHECK_TRIES) {
            // Still there, its path still stale: the rename that moved it
            // is further behind than we wait (small reads, long names), or
            // was never seen. Dropping it would leave a directory unlisted
            // (its new entries unwatched for good): a rescan settles it.
            self.rescan_due = true;
        }
        if core::mem::take(&mut self.rescan_due) {
            self.rechecks.clear();
            self.start_rescan();
        }
        for k in 0..self.rechecks.len() {
            let slot = self.rechecks[k].slot;
            self.rechecks[k].tries += 1;
            // Only where the path leads to the same directory again (a new
            // one may have taken the old name).
            if !self.still_at(slot) {
                continue;
            }
            let fresh = self.table.get(slot).has(flag::FRESH);
            self.table
                .set(slot, flag::UNLISTED | if fresh { 0 } else { flag::RELIST });
            self.start_walk(slot);
        }
        let batch = self.batch;
        self.expire_moves(|m| batch.wrapping_sub(m.batch) >= 3);
    }

    /// Whether renames are waiting for their `IN_MOVE_SELF` (see
    /// [`queue_empty`](Self::queue_empty)).
    pub fn has_pending_moves(&self) -> bool {
        !self.moves.is_empty()
    }

    /// Call when a read found the kernel's queue empty: a rename's three
    /// events are queued together, so any `IN_MOVE_SELF` still awaited
    /// will not come (the directory was not watched); where such a rename
    /// landed in the tree, the directory is watched now.
    pub fn queue_empty(&mut self) {
        self.expire_moves(|_| true);
    }

    pub(super) fn expire_moves(&mut self, expired: impl Fn(&Move) -> bool) {
        while let Some(i) = self.moves.iter().position(&expired) {
            let m = self.moves.remove(i);
            if m.to_parent != NONE && self.table.used(m.to_parent) {
                self.child_appeared(m.to_parent, &m.to_name);
            }
        }
    }
}

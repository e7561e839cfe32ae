//! Kernel events: creations, renames (paired by cookie, settled by the
//! moved directory's `IN_MOVE_SELF`), removals and overflows, and the
//! bookkeeping between reads (expiring pairings, listing stale directories
//! again).

use super::*;

impl<B: TreeBackend, S: TreeStore> TreeMachine<'_, B, S> {
    /// Schedules `slot` to be listed again at the end of the batch, and at
    /// the end of the next ones until its path is right again (the rename
    /// queued behind it is handled) or it is gone. With the list full, it
    /// is marked in the table instead. Never a rescan.
    pub(super) fn recheck(&mut self, slot: u32) {
        if !self.table.used(slot) || self.rechecks.iter().any(|r| r.slot == slot) {
            return;
        }
        let wd = self.table.get(slot).wd;
        let r = Recheck {
            slot,
            wd,
            climbed: 0,
        };
        if self.rechecks.try_push(r).is_err() && !self.table.get(slot).has(flag::UNLISTED) {
            self.table.set(slot, flag::RELIST);
            self.spilled = true;
        }
    }

    /// Moves rechecks marked in the table back into the list while it has
    /// room; one scan of the table, only while some are marked.
    fn unspill(&mut self) {
        self.spilled = false;
        for slot in self.table.slots() {
            if !self.table.used(slot) {
                continue;
            }
            let e = *self.table.get(slot);
            if !e.has(flag::RELIST) || e.has(flag::UNLISTED) {
                continue;
            }
            if self.rechecks.is_full() {
                self.spilled = true;
                return;
            }
            self.table.clear(slot, flag::RELIST);
            self.rechecks.push(Recheck {
                slot,
                wd: e.wd,
                climbed: 0,
            });
        }
    }

    /// Handles one kernel event; `Some` is a report for the user. Call it
    /// only when [`step`](Self::step) returned `None`.
    pub fn handle(&mut self, ev: &Event<'_>) -> Option<Result<TreeReport, Error>> {
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
                self.child_appeared(slot, ev.name, Lookup::Event);
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
        if self.renames.is_full() {
            self.make_room();
        }
        self.renames.moved_from(cookie, parent, name, self.batch);
    }

    pub(super) fn moved_to(&mut self, parent: u32, cookie: u32, name: &[u8]) {
        match self.renames.moved_to(cookie, parent, name) {
            Some(false) => {}
            // Settled before its IN_MOVED_TO came: the kernel queues a
            // rename's events one at a time, and the renaming process can
            // be preempted in between, for longer than the reads that
            // settled it. Where it landed is settled now.
            Some(true) => self.settle(parent, name),
            // Moved in from outside the tree: like a new directory.
            None => self.child_appeared(parent, name, Lookup::Event),
        }
    }

    /// The directory watched by `slot` moved: re-parent it if its
    /// `IN_MOVED_TO` was seen. Returns whether it is still in the tree.
    pub(super) fn moved_self(&mut self, slot: u32) -> bool {
        let e = *self.table.get(slot);
        // The latest rename away from where this directory was: an older
        // one from the same place was of another directory (unwatched).
        let Some(i) = self.renames.latest_from(e.parent, self.table.name(slot)) else {
            return self.moved_unpaired(slot);
        };
        let m = self.renames.take(i);
        let (to_parent, to_name, hinted) = if m.to_parent != NONE {
            (m.to_parent, m.to_name.clone(), false)
        } else {
            // No IN_MOVED_TO: moved out, or into a directory not watched
            // yet, where a listing may have found it (a hint). A hint is
            // used once, and checked: it may predate a later move out.
            let Some(h) = self.take_hint(slot, e.wd) else {
                // Moved out, says the pairing. Only when the table may be
                // ahead of the queue (a rescan may have put the entry where
                // it is since) does the kernel get the last word: otherwise
                // its path may lead to it again only because it came back
                // since, which its own queued events will say.
                return self.ahead && self.still_at(slot);
            };
            (h.parent, h.name, true)
        };
        if !self.table.used(to_parent) || self.table.is_within(to_parent, slot) {
            // The pairing cannot be this directory's (a stale one, from
            // before a rescan, of another directory that left the same
            // place under the same name): the kernel has the last word.
            // The rename is that other directory's: keep it, so that
            // where it landed is watched when it expires.
            if !hinted {
                self.renames.put_back(i, m);
            }
            return self.still_at(slot);
        }
        // The pairing is this directory's own rename when it is the latest
        // (its three events are queued together) and the table is not
        // ahead of the queue (no rescan since the queue was last empty):
        // follow it without asking the kernel. Otherwise the kernel has
        // the last word.
        let trusted = !hinted && !self.ahead && self.renames.was_latest(i);
        if trusted {
            return self.follow(slot, to_parent, &to_name);
        }
        self.follow_checked(slot, to_parent, &to_name, (!hinted).then_some(m))
    }

    /// Follows `slot` to `to_parent`/`to_name`, then asks the kernel
    /// whether it is there; `pairing` is the rename this came from (`None`
    /// for a hint). Returns whether it is still in the tree.
    fn follow_checked(
        &mut self,
        slot: u32,
        to_parent: u32,
        to_name: &[u8],
        pairing: Option<Move>,
    ) -> bool {
        let from_parent = self.table.get(slot).parent;
        let old_name = name_of(self.table.name(slot));
        if !self.follow(slot, to_parent, to_name) {
            return false;
        }
        if self.still_at(slot) {
            return true;
        }
        let Some(m) = pairing else {
            // A hint not borne out: the directory moved on since the
            // listing found it (its next rename is queued), or the path
            // through the hinted parent is stale (an ancestor's rename is
            // queued). Only a parent at its own path says which.
            return !self.still_at(to_parent);
        };
        // Not there: either a stale pairing (a rescan already placed it; it
        // is still where it was) or it moved on again (its next rename is
        // queued: keep following the events).
        if self.table.rename(slot, from_parent, &old_name).is_ok() && !self.still_at(slot) {
            let _ = self.table.rename(slot, to_parent, to_name);
        } else {
            // The pairing was another directory's (it left the same place):
            // keep it for that one's IN_MOVE_SELF, or for the expiry that
            // watches where it went.
            self.renames.keep(m);
        }
        true
    }

    /// Takes the hint about `slot` (watch `wd`), if a listing left one. A
    /// hint is where a listing found a directory in the filesystem as it
    /// is now: following it puts the table ahead of the queue, whose
    /// renames still to come may be of other directories that left the
    /// same place under the same name. So pairings are checked with the
    /// kernel until a read finds the queue empty.
    fn take_hint(&mut self, slot: u32, wd: i32) -> Option<Hint> {
        let hint = self.renames.take_hint(slot, wd)?;
        self.ahead = true;
        Some(hint)
    }

    /// `slot` moved with no rename from its place waiting: returns whether
    /// it is still in the tree.
    fn moved_unpaired(&mut self, slot: u32) -> bool {
        let e = *self.table.get(slot);
        // Already where a rename put it (a rescan, a listing or a settled
        // rename followed it first): that rename is done, and a hint about
        // it is older still (it would send it back where it was).
        if self.renames.done_at(e.parent, self.table.name(slot)) {
            let _ = self.renames.take_hint(slot, e.wd);
            return !e.has(flag::ROOT);
        }
        // A listing or an event found it elsewhere first (a hint): follow.
        if let Some(h) = self.take_hint(slot, e.wd)
            && self.table.used(h.parent)
            && !self.table.is_within(h.parent, slot)
        {
            return self.follow(slot, h.parent, &h.name);
        }
        // No MOVED_FROM from a watched parent: a root moved (or the
        // pairing was lost, and then the rescan that followed fixes it).
        !e.has(flag::ROOT)
    }

    /// Re-parents `slot` as `to_parent`/`name`; `false` (and an error
    /// reported) when the name storage has no room for the new name.
    fn follow(&mut self, slot: u32, to_parent: u32, name: &[u8]) -> bool {
        self.renames.landed(slot, to_parent, name);
        match self.table.rename(slot, to_parent, name) {
            Ok(()) => true,
            Err(kind) => {
                // Stop watching it rather than report wrong paths, and say so.
                self.deferred = Some(Deferred::Error(Error::new(Operation::AddWatch, kind)));
                false
            }
        }
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
        self.caught_up();
        let table = &self.table;
        self.rechecks
            .retain(|r| table.used(r.slot) && table.get(r.slot).wd == r.wd);
        if self.spilled && !self.rechecks.is_full() {
            self.unspill();
        }
        if self.rechecks.is_empty() {
            return self.expire_after_batches();
        }
        // Every event read so far is handled: with none queued, renames
        // still waiting for their IN_MOVE_SELF get none (settled first:
        // one may say where a stale directory went), and a path still
        // stale then was moved by a rename this tree never saw.
        let settled = !self.backend.events_pending();
        if settled {
            self.expire_moves(|_| true, |_| true);
        }
        let mut k = 0;
        while k < self.rechecks.len() {
            let slot = self.rechecks[k].slot;
            // Only where the path leads to the same directory again (a new
            // one may have taken the old name).
            if self.still_at(slot) {
                let fresh = self.table.get(slot).has(flag::FRESH);
                self.table
                    .set(slot, flag::UNLISTED | if fresh { 0 } else { flag::RELIST });
                self.start_walk(slot);
            } else if settled && !self.walk.active && !self.look_for(k) {
                continue;
            }
            k += 1;
        }
        self.expire_after_batches();
    }

    /// The bounded fallback for the directory of recheck `k`, whose path
    /// is stale with no event left to say where it went: the nearest
    /// ancestor still at its path, one level further up each time, is
    /// listed again, following any watched directory found there under
    /// another name ([`TreeEventKind::Relisted`] says so). Past its root,
    /// it is dropped (the kernel gave no way to find it). `false` when
    /// recheck `k` was removed.
    fn look_for(&mut self, k: usize) -> bool {
        let r = self.rechecks[k];
        let mut up = self.table.get(r.slot).parent;
        for _ in 0..r.climbed {
            if up == NONE {
                break;
            }
            up = self.table.get(up).parent;
        }
        while up != NONE && !self.still_at(up) {
            up = self.table.get(up).parent;
            self.rechecks[k].climbed = self.rechecks[k].climbed.saturating_add(1);
        }
        if up == NONE {
            self.rechecks.remove(k);
            self.remove_subtree(r.slot, false);
            return false;
        }
        self.rechecks[k].climbed = self.rechecks[k].climbed.saturating_add(1);
        self.table.set(up, flag::UNLISTED | flag::RELIST);
        self.walk.kind = WalkKind::Relist;
        self.start_walk(up);
        true
    }

    fn expire_after_batches(&mut self) {
        let batch = self.batch;
        self.expire_moves(
            |m| batch.wrapping_sub(m.batch) >= 3,
            |m| batch.wrapping_sub(m.batch) >= 3,
        );
    }

    /// Whether renames are waiting for their `IN_MOVE_SELF` (see
    /// [`queue_empty`](Self::queue_empty)).
    pub fn has_pending_moves(&self) -> bool {
        self.renames.any_waiting()
    }

    /// Call when a read found the kernel's queue empty: a rename's three
    /// events are queued together, so any `IN_MOVE_SELF` still awaited
    /// will not come (the directory was not watched); where such a rename
    /// landed in the tree, the directory is watched now.
    pub fn queue_empty(&mut self) {
        // Renames settled at an earlier empty read have had their chance.
        self.expire_moves(|_| true, |_| true);
        self.caught_up();
    }

    /// Every event read so far is handled; with none queued (and no rescan
    /// under way), the table is no longer ahead of the queue.
    fn caught_up(&mut self) {
        if self.ahead && self.walk.kind != WalkKind::Rescan && !self.backend.events_pending() {
            self.ahead = false;
        }
    }

    /// Frees one place in the pairing list, never by rescanning: the
    /// oldest settled rename goes; with none, the oldest rename still
    /// waiting is settled and goes. The kernel queues a rename's three
    /// events together, so a rename that several later ones overtook has
    /// no `IN_MOVE_SELF` coming: it moved a directory we did not watch,
    /// or one watched as it moved (see [`expire_moves`](Self::expire_moves)).
    /// Should its `IN_MOVE_SELF` come after all (another process's events
    /// in between), the directory is already where it went.
    fn make_room(&mut self) {
        let m = self.renames.evict();
        if !m.settled {
            self.settle(m.to_parent, &m.to_name);
        }
    }

    /// A rename settled without its `IN_MOVE_SELF`: if it landed in the
    /// tree, the directory there is watched as a new one, or followed
    /// there if it is already watched ([`Lookup::Landed`]).
    fn settle(&mut self, to_parent: u32, to_name: &[u8]) {
        if to_parent != NONE && self.table.used(to_parent) {
            self.child_appeared(to_parent, to_name, Lookup::Landed);
        }
    }

    /// Drops the settled renames `gone` picks, then settles (and keeps)
    /// the waiting ones `expired` picks: the queue was found empty since,
    /// or three batches went by, so their `IN_MOVE_SELF` is not coming (a
    /// rename's three events are queued together). A watched directory at
    /// such a rename's landing was watched as it moved, too late for its
    /// `IN_MOVE_SELF`, and is followed there.
    pub(super) fn expire_moves(
        &mut self,
        gone: impl Fn(&Move) -> bool,
        expired: impl Fn(&Move) -> bool,
    ) {
        self.renames.drop_settled(gone);
        while let Some((to_parent, to_name)) = self.renames.settle_next(&expired, self.batch) {
            self.settle(to_parent, &to_name);
        }
    }
}

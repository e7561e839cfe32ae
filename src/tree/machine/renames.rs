//! The rename bookkeeping, apart from the table and the kernel: renames
//! waiting for their `IN_MOVE_SELF` (paired by cookie), and hints (where a
//! listing found a watched directory whose rename is still queued). Plain
//! data with the questions the machine asks of it; every decision that
//! needs the table or the kernel stays in the machine
//! ([`events`](super::events)).

use super::{MOVES, NONE};
use crate::event::NAME_MAX;
use arrayvec::ArrayVec;

/// A directory name, held without allocation.
pub(super) type Name = ArrayVec<u8, NAME_MAX>;

/// `name` as a [`Name`] (a name from the kernel or the table always fits).
pub(super) fn name_of(name: &[u8]) -> Name {
    let mut out = Name::new();
    let _ = out.try_extend_from_slice(name);
    out
}

/// Tells a rename's source name from an entry's without keeping the name.
pub(super) fn hash(name: &[u8]) -> u32 {
    // FNV-1a: only compares a rename's source with an entry's name.
    name.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// A rename seen as `IN_MOVED_FROM` (and maybe `IN_MOVED_TO`), waiting for
/// the directory's own `IN_MOVE_SELF`, which names the watch that moved.
#[derive(Clone, Debug)]
pub(super) struct Move {
    pub cookie: u32,
    pub from_parent: u32,
    pub from_hash: u32,
    /// Where it landed (`NONE` until its `IN_MOVED_TO` is seen).
    pub to_parent: u32,
    pub to_name: Name,
    /// The batch it was seen in, or settled in.
    pub batch: u32,
    /// Settled as a rename of a directory we do not watch (its
    /// `IN_MOVE_SELF` did not come in time), and kept a while longer in
    /// case it comes after all: a read can fall between the kernel
    /// queueing a rename's `IN_MOVED_TO` and its `IN_MOVE_SELF`.
    pub settled: bool,
}

/// Where a listing found a watched directory whose rename is still queued.
#[derive(Clone, Debug)]
pub(super) struct Hint {
    pub slot: u32,
    pub wd: i32,
    pub parent: u32,
    pub name: Name,
}

/// The renames in flight and the hints, each list bounded by [`MOVES`].
#[derive(Debug, Default)]
pub(super) struct Renames {
    moves: ArrayVec<Move, MOVES>,
    hints: ArrayVec<Hint, MOVES>,
}

impl Renames {
    /// Forgets everything (a rescan lists the filesystem as it is).
    pub fn clear(&mut self) {
        self.moves.clear();
        self.hints.clear();
    }

    /// Whether renames are waiting for their `IN_MOVE_SELF`.
    pub fn any_waiting(&self) -> bool {
        !self.moves.is_empty()
    }

    /// Whether another `IN_MOVED_FROM` needs room made first
    /// ([`evict`](Self::evict)).
    pub fn is_full(&self) -> bool {
        self.moves.is_full()
    }

    /// An `IN_MOVED_FROM` of `name` from `parent`. Make room first when
    /// [`is_full`](Self::is_full); a full list drops it.
    pub fn moved_from(&mut self, cookie: u32, parent: u32, name: &[u8], batch: u32) {
        let _ = self.moves.try_push(Move {
            cookie,
            from_parent: parent,
            from_hash: hash(name),
            to_parent: NONE,
            to_name: Name::new(),
            batch,
            settled: false,
        });
    }

    /// An `IN_MOVED_TO` with `cookie`: records where its rename landed.
    /// `None` when no rename of that cookie is waiting (moved in from
    /// outside the tree); otherwise whether that rename was settled already.
    pub fn moved_to(&mut self, cookie: u32, parent: u32, name: &[u8]) -> Option<bool> {
        let m = self.moves.iter_mut().find(|m| m.cookie == cookie)?;
        m.to_parent = parent;
        m.to_name = name_of(name);
        Some(m.settled)
    }

    /// The latest rename away from `parent`/`name`: an older one from the
    /// same place was of another directory (one not watched).
    pub fn latest_from(&self, parent: u32, name: &[u8]) -> Option<usize> {
        let h = hash(name);
        self.moves
            .iter()
            .rposition(|m| m.from_parent == parent && m.from_hash == h)
    }

    /// Removes rename `i`.
    pub fn take(&mut self, i: usize) -> Move {
        self.moves.remove(i)
    }

    /// Whether a rename taken out at `i` was the latest one seen (its three
    /// events are queued together: the latest is the one in hand).
    pub fn was_latest(&self, i: usize) -> bool {
        i == self.moves.len()
    }

    /// Puts a rename taken out at `i` back where it was.
    pub fn put_back(&mut self, i: usize, m: Move) {
        if !self.moves.is_full() {
            self.moves.insert(i.min(self.moves.len()), m);
        }
    }

    /// Keeps `m` for another directory's `IN_MOVE_SELF`, or for its expiry,
    /// if there is room.
    pub fn keep(&mut self, m: Move) {
        let _ = self.moves.try_push(m);
    }

    /// Forgets the rename that landed at `parent`/`name`, if one did (the
    /// directory is already there): whether one did.
    pub fn done_at(&mut self, parent: u32, name: &[u8]) -> bool {
        let Some(i) = self
            .moves
            .iter()
            .position(|m| m.to_parent == parent && m.to_name.as_slice() == name)
        else {
            return false;
        };
        self.moves.remove(i);
        true
    }

    /// Frees a place: the oldest settled rename goes, or with none the
    /// oldest of all. Returns it.
    pub fn evict(&mut self) -> Move {
        let i = self.moves.iter().position(|m| m.settled).unwrap_or(0);
        self.moves.remove(i)
    }

    /// Drops the settled renames `gone` picks.
    pub fn drop_settled(&mut self, gone: impl Fn(&Move) -> bool) {
        self.moves.retain(|m| !(m.settled && gone(m)));
    }

    /// Settles the first waiting rename `expired` picks, stamped with
    /// `batch`, and returns where it landed (`NONE` if nowhere seen).
    pub fn settle_next(
        &mut self,
        expired: impl Fn(&Move) -> bool,
        batch: u32,
    ) -> Option<(u32, Name)> {
        let m = self.moves.iter_mut().find(|m| !m.settled && expired(m))?;
        m.settled = true;
        m.batch = batch;
        Some((m.to_parent, m.to_name.clone()))
    }

    /// Records that a listing found `slot` (watch `wd`) at `parent`/`name`
    /// while its rename is still queued. One hint a directory, the latest;
    /// when full, the oldest goes (a hint waits for that directory's
    /// `IN_MOVE_SELF`, which may be far behind in the queue).
    pub fn hint(&mut self, slot: u32, wd: i32, parent: u32, name: &[u8]) {
        let hint = Hint {
            slot,
            wd,
            parent,
            name: name_of(name),
        };
        if let Some(h) = self.hints.iter_mut().find(|h| h.slot == slot) {
            *h = hint;
            return;
        }
        if self.hints.is_full() {
            self.hints.remove(0);
        }
        self.hints.push(hint);
    }

    /// Takes the hint about `slot` while it still has watch `wd`.
    pub fn take_hint(&mut self, slot: u32, wd: i32) -> Option<Hint> {
        let k = self
            .hints
            .iter()
            .position(|h| h.slot == slot && h.wd == wd)?;
        Some(self.hints.remove(k))
    }

    /// `slot` landed at `parent`/`name`: a hint that said so has served
    /// (kept, it would send a later rename out of the tree back there).
    pub fn landed(&mut self, slot: u32, parent: u32, name: &[u8]) {
        self.hints
            .retain(|h| !(h.slot == slot && h.parent == parent && h.name.as_slice() == name));
    }

    /// Removes the hints `leaving` picks and returns the places they
    /// pointed at.
    pub fn drop_hints(&mut self, mut leaving: impl FnMut(&Hint) -> bool) -> ArrayVec<u32, MOVES> {
        let mut parents = ArrayVec::new();
        self.hints.retain(|h| {
            let go = leaving(h);
            if go {
                parents.push(h.parent);
            }
            !go
        });
        parents
    }

    /// The renames in flight, oldest first (for tracing and checks).
    #[cfg(test)]
    fn moves(&self) -> &[Move] {
        &self.moves
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_to_pairs_by_cookie_and_the_latest_source_wins() {
        let mut r = Renames::default();
        r.moved_from(7, 1, b"logs", 0);
        r.moved_from(8, 1, b"logs", 0);
        assert_eq!(r.moved_to(8, 1, b"logs.2"), Some(false));
        assert_eq!(r.moved_to(9, 1, b"x"), None, "moved in from outside");
        let i = r.latest_from(1, b"logs").unwrap();
        let m = r.take(i);
        assert_eq!(
            (m.cookie, m.to_parent, &m.to_name[..]),
            (8, 1, &b"logs.2"[..])
        );
        assert!(r.was_latest(i));
        assert_eq!(r.latest_from(1, b"other"), None);
        assert_eq!(r.latest_from(2, b"logs"), None);
    }

    #[test]
    fn settling_marks_each_once_and_eviction_prefers_settled() {
        let mut r = Renames::default();
        for cookie in 0..MOVES as u32 {
            r.moved_from(cookie, 1, b"d", 0);
        }
        assert!(r.is_full());
        r.moved_to(3, 2, b"e");
        // Settle the rename of cookie 3 only.
        assert_eq!(
            r.settle_next(|m| m.cookie == 3, 5),
            Some((2, name_of(b"e")))
        );
        assert_eq!(r.settle_next(|m| m.cookie == 3, 5), None, "settled once");
        // Its late IN_MOVED_TO says it was settled.
        assert_eq!(r.moved_to(3, 2, b"e"), Some(true));
        // The settled one goes first, then the oldest.
        assert_eq!(r.evict().cookie, 3);
        assert_eq!(r.evict().cookie, 0);
        r.drop_settled(|_| true);
        assert_eq!(r.moves().len(), MOVES - 2, "nothing else was settled");
    }

    #[test]
    fn a_landing_forgets_its_rename() {
        let mut r = Renames::default();
        r.moved_from(1, 1, b"a", 0);
        r.moved_to(1, 3, b"b");
        assert!(!r.done_at(3, b"c"));
        assert!(r.any_waiting());
        assert!(r.done_at(3, b"b"));
        assert!(!r.any_waiting());
    }

    #[test]
    fn hints_one_per_directory_oldest_dropped_when_full() {
        let mut r = Renames::default();
        r.hint(10, 100, 1, b"a");
        r.hint(10, 100, 2, b"b");
        let h = r.take_hint(10, 100).unwrap();
        assert_eq!((h.parent, &h.name[..]), (2, &b"b"[..]), "the latest");
        assert!(r.take_hint(10, 100).is_none(), "used once");
        for slot in 0..=MOVES as u32 {
            r.hint(slot, slot as i32, 1, b"x");
        }
        assert!(r.take_hint(0, 0).is_none(), "the oldest went");
        assert!(r.take_hint(1, 1).is_some());
        // A hint for another watch on the same slot is not this one's.
        r.hint(2, 99, 1, b"x");
        assert!(r.take_hint(2, 2).is_none());
    }

    #[test]
    fn a_hint_serves_once_its_directory_lands_there() {
        let mut r = Renames::default();
        r.hint(5, 50, 1, b"a");
        r.landed(5, 1, b"b");
        assert!(r.take_hint(5, 50).is_some(), "landed elsewhere: kept");
        r.hint(5, 50, 1, b"a");
        r.landed(5, 1, b"a");
        assert!(r.take_hint(5, 50).is_none());
    }

    #[test]
    fn dropped_hints_say_where_they_pointed() {
        let mut r = Renames::default();
        r.hint(1, 10, 7, b"a");
        r.hint(2, 20, 8, b"b");
        let parents = r.drop_hints(|h| h.slot == 2);
        assert_eq!(parents.as_slice(), &[8]);
        assert!(r.take_hint(1, 10).is_some());
        assert!(r.take_hint(2, 20).is_none());
    }
}

//! The compact directory table: one [`DirEntry`] per watched directory
//! (its watch descriptor, its parent's slot and its own name), a hash index
//! from watch descriptor to slot, and the [name arena](super::names).
//!
//! The three arrays are the caller's [`TreeStorage`](super::TreeStorage),
//! each a [`Storage`]: when one is full the table asks it to grow (by the
//! rule in [`crate::storage`], the index to [`tree_index_len_for`] of the
//! directories, with a rehash); fixed and borrowed storage say no, and the
//! table is then full. Nothing else allocates. A full path exists only
//! while an event needs one: [`Table::path`] writes it into a caller's
//! buffer by walking up the parents. Renaming a directory rewrites one
//! entry, whatever the size of its subtree.

use super::names::{Names, record_len};
use super::{TreeStore, tree_index_len_for};
use crate::error::{ErrorKind, PATH_MAX};
use crate::storage::{Storage, next_step};

/// "No slot": a root's parent, the end of the free list, an empty index cell.
pub(crate) const NONE: u32 = u32::MAX;

/// Entry flags.
pub(crate) mod flag {
    /// The slot holds a directory.
    pub const USED: u8 = 0x01;
    /// Watched, but not listed yet.
    pub const UNLISTED: u8 = 0x02;
    /// Its listing is reported as synthetic events (it appeared after
    /// set-up).
    pub const FRESH: u8 = 0x04;
    /// Its watch has the reduced mask (no OPEN/ACCESS/CLOSE_NOWRITE) until
    /// its subtree is listed.
    pub const REDUCED: u8 = 0x08;
    /// Found again during the current rescan.
    pub const SEEN: u8 = 0x10;
    /// A root: no parent; its "name" is its whole path.
    pub const ROOT: u8 = 0x20;
    /// Marked for removal with the subtree being removed.
    pub const DOOMED: u8 = 0x40;
    /// Listed again because a path through it went stale; its listing
    /// reports only the directories it did not know.
    pub const RELIST: u8 = 0x80;
}

/// [`DirEntry::name_len`] of a root that is not a directory (a root's
/// `name_len` is otherwise unused: its path's length is in the arena).
pub(crate) const FILE_ROOT: u8 = 1;

/// One watched directory: 16 bytes, plus its name in the arena and 2 index
/// cells (8 bytes) at the recommended index size.
///
/// Opaque: it is public only so callers can allocate storage for it
/// (`[DirEntry::EMPTY; N]` or `vec![DirEntry::EMPTY; n]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub(crate) wd: i32,
    /// The parent's slot, or [`NONE`] for a root; the next free slot for a
    /// free entry.
    pub(crate) parent: u32,
    pub(crate) name_off: u32,
    /// The name's length; for a root (whose arena record starts with the
    /// path's length instead) 0 for a directory and [`FILE_ROOT`] for a
    /// root that is not a directory.
    pub(crate) name_len: u8,
    pub(crate) flags: u8,
    /// How many entries name this one as parent, saturating at `u16::MAX`
    /// (then removal scans the table for children).
    pub(crate) children: u16,
}

impl DirEntry {
    /// An unused entry, to fill storage with.
    pub const EMPTY: Self = Self {
        wd: -1,
        parent: NONE,
        name_off: 0,
        name_len: 0,
        flags: 0,
        children: 0,
    };

    pub(crate) fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// Whether this is a root that is not a directory: watched alone,
    /// never listed, its path shown without a trailing `/`.
    pub(crate) fn is_file_root(&self) -> bool {
        self.has(flag::ROOT) && self.name_len == FILE_ROOT
    }

    /// The arena record's length; `first4` holds the record's first four
    /// bytes (for a root they start with the path's length).
    fn record_len(&self, first4: u32) -> usize {
        if self.has(flag::ROOT) {
            record_len(2 + (first4 & 0xffff) as usize)
        } else {
            record_len(self.name_len as usize)
        }
    }
}

/// Directories a growing table starts with.
const FIRST_DIRS: usize = 16;
/// The most directories a table holds: slots are `u32`s below `2^31`.
const MAX_DIRS: usize = (1 << 31) - 1;

/// The table. `entries[..hi]` have been used at some point; free ones are
/// chained through `parent` from `free`.
pub(crate) struct Table<S: TreeStore> {
    entries: S::Entries,
    index: S::Index,
    names: Names<S::Names>,
    hi: u32,
    free: u32,
    len: u32,
}

impl<S: TreeStore> Table<S> {
    /// A table over `storage`; whatever its cells held is overwritten.
    pub(crate) fn new(storage: S) -> Self {
        let (mut entries, mut index, names) = storage.into_parts();
        entries.cells_mut().fill(DirEntry::EMPTY);
        index.cells_mut().fill(NONE);
        Self {
            entries,
            index,
            names: Names::new(names),
            hi: 0,
            free: NONE,
            len: 0,
        }
    }

    /// Live entries.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// The most directories the table can hold: its entries' most, and one
    /// fewer than its index's most (an open-addressing index needs an
    /// empty cell).
    pub(crate) fn capacity(&self) -> usize {
        self.entries
            .max_len()
            .min(self.index.max_len().saturating_sub(1))
            .min(MAX_DIRS)
    }

    /// Entries, index cells and name bytes the storage holds now.
    pub(crate) fn allocated(&self) -> (usize, usize, usize) {
        (
            self.entries.cells().len(),
            self.index.cells().len(),
            self.names.capacity(),
        )
    }

    /// Name bytes in use and the arena's size.
    pub(crate) fn name_bytes(&self) -> (usize, usize) {
        (self.names.live(), self.names.capacity())
    }

    /// One past the highest slot ever used.
    pub(crate) fn hi(&self) -> u32 {
        self.hi
    }

    pub(crate) fn get(&self, slot: u32) -> &DirEntry {
        &self.entries.cells()[slot as usize]
    }

    pub(crate) fn used(&self, slot: u32) -> bool {
        self.entries
            .cells()
            .get(slot as usize)
            .is_some_and(|e| e.has(flag::USED))
    }

    pub(crate) fn set(&mut self, slot: u32, f: u8) {
        self.entries.cells_mut()[slot as usize].flags |= f;
    }

    pub(crate) fn clear(&mut self, slot: u32, f: u8) {
        self.entries.cells_mut()[slot as usize].flags &= !f;
    }

    /// The directory's own name (a root's: its whole path).
    pub(crate) fn name(&self, slot: u32) -> &[u8] {
        let e = &self.entries.cells()[slot as usize];
        if e.has(flag::ROOT) {
            let head = self.names.get(e.name_off, 2);
            let len = u16::from_le_bytes([head[0], head[1]]) as usize;
            self.names.get(e.name_off + 2, len)
        } else {
            self.names.get(e.name_off, e.name_len as usize)
        }
    }

    fn home(&self, wd: i32) -> usize {
        let h = (wd as u32).wrapping_mul(0x9e37_79b9);
        ((h as u64 * self.index.cells().len() as u64) >> 32) as usize
    }

    fn next(&self, i: usize) -> usize {
        if i + 1 == self.index.cells().len() {
            0
        } else {
            i + 1
        }
    }

    /// The index cell holding `wd`, or the empty cell where it would go
    /// (cell 0 of an index with no cells yet, which holds nothing).
    fn probe(&self, wd: i32) -> (usize, bool) {
        if self.index.cells().is_empty() {
            return (0, false);
        }
        let mut i = self.home(wd);
        loop {
            match self.index.cells()[i] {
                NONE => return (i, false),
                s if self.entries.cells()[s as usize].wd == wd => return (i, true),
                _ => i = self.next(i),
            }
        }
    }

    /// The slot watching `wd`.
    pub(crate) fn slot_of(&self, wd: i32) -> Option<u32> {
        match self.probe(wd) {
            (i, true) => Some(self.index.cells()[i]),
            _ => None,
        }
    }

    fn unindex(&mut self, wd: i32) {
        let (mut hole, found) = self.probe(wd);
        if !found {
            return;
        }
        // Backward-shift deletion keeps every probe chain unbroken.
        let len = self.index.cells().len();
        let dist = |from: usize, to: usize| (to + len - from) % len;
        let mut j = hole;
        loop {
            j = self.next(j);
            let s = self.index.cells()[j];
            if s == NONE {
                break;
            }
            let home = self.home(self.entries.cells()[s as usize].wd);
            if dist(home, j) >= dist(hole, j) {
                self.index.cells_mut()[hole] = s;
                hole = j;
            }
        }
        self.index.cells_mut()[hole] = NONE;
    }

    fn full(&self) -> ErrorKind {
        ErrorKind::TableFull {
            capacity: self.capacity(),
        }
    }

    /// No room left for a name: the capacity is in bytes, so it is not
    /// [`ErrorKind::TableFull`] (entries).
    fn names_full(&self) -> ErrorKind {
        ErrorKind::PathStorageFull {
            capacity: self.names.max_len(),
        }
    }

    /// Makes room for a record of `rec` bytes at the top of the arena:
    /// compacts when a quarter of the arena or more is dead (so growing
    /// storage does not grow for names already freed), else grows it, else
    /// compacts if that is enough.
    fn reserve_name(&mut self, rec: usize) -> Result<(), ErrorKind> {
        let capacity = self.names.capacity();
        if self.names.fits_now(rec) {
            return Ok(());
        }
        if self.names.live() + rec <= capacity - capacity / 4 {
            self.compact();
            return Ok(());
        }
        if self.names.grow_for(rec) {
            return Ok(());
        }
        if self.names.fits(rec) {
            self.compact();
            return Ok(());
        }
        Err(self.names_full())
    }

    /// Grows the entries by a step ([`next_step`]: an eighth, at least
    /// [`FIRST_DIRS`]), within [`capacity`](Self::capacity), and the index
    /// with them, rehashed, to twice as many cells ([`tree_index_len_for`]).
    /// Every entry and index cell grown to is written (resident memory), so
    /// small steps keep the cells never used under an eighth; a rehash per
    /// step costs about eight passes over the table in all, small beside
    /// the system calls that add the directories. `false` if the storage
    /// cannot grow, and nothing changed then.
    fn grow_entries(&mut self) -> bool {
        let len = self.entries.cells().len();
        let Some(dirs) = next_step(len, len + 1, FIRST_DIRS, self.capacity()) else {
            return false;
        };
        // Above `dirs` as `capacity()` is below the index's most.
        let cells = tree_index_len_for(dirs).min(self.index.max_len());
        if cells > self.index.cells().len() {
            if !self.index.grow_to(cells, NONE) {
                return false;
            }
            self.rehash();
        }
        self.entries.grow_to(dirs, DirEntry::EMPTY)
    }

    /// Rebuilds the index for its new length.
    fn rehash(&mut self) {
        self.index.cells_mut().fill(NONE);
        for slot in 0..self.hi {
            let e = self.entries.cells()[slot as usize];
            if e.has(flag::USED) {
                let (cell, _) = self.probe(e.wd);
                self.index.cells_mut()[cell] = slot;
            }
        }
    }

    /// Checks there is room for one more entry whose name record is `rec`
    /// bytes, growing the storage if it must.
    fn make_room(&mut self, rec: usize) -> Result<(), ErrorKind> {
        let no_slot = self.free == NONE && self.hi as usize == self.entries.cells().len();
        if self.len as usize >= self.capacity() || (no_slot && !self.grow_entries()) {
            return Err(self.full());
        }
        self.reserve_name(rec)
    }

    fn take_slot(&mut self) -> Result<u32, ErrorKind> {
        // Prefer fresh slots: walks then find new entries above their
        // cursor, in order.
        if (self.hi as usize) < self.entries.cells().len() {
            self.hi += 1;
            Ok(self.hi - 1)
        } else if self.free != NONE {
            let slot = self.free;
            self.free = self.entries.cells()[slot as usize].parent;
            Ok(slot)
        } else {
            Err(self.full())
        }
    }

    fn place(&mut self, slot: u32, entry: DirEntry) {
        self.entries.cells_mut()[slot as usize] = entry;
        let (cell, _) = self.probe(entry.wd);
        self.index.cells_mut()[cell] = slot;
        self.len += 1;
    }

    /// Records directory `name` under `parent`, watched as `wd`. The caller
    /// checked that `wd` is not in the table. A full table is
    /// [`ErrorKind::TableFull`] and changes nothing.
    pub(crate) fn insert(
        &mut self,
        parent: u32,
        name: &[u8],
        wd: i32,
        flags: u8,
    ) -> Result<u32, ErrorKind> {
        debug_assert!(!name.is_empty() && name.len() <= 255);
        self.make_room(record_len(name.len()))?;
        let slot = self.take_slot()?;
        let name_off = self.names.push(&[name]);
        self.place(
            slot,
            DirEntry {
                wd,
                parent,
                name_off,
                name_len: name.len() as u8,
                flags: flags | flag::USED,
                children: 0,
            },
        );
        self.adopt(parent);
        Ok(slot)
    }

    /// Records a root directory at `path` (shorter than [`PATH_MAX`]).
    /// Adds a root at `path` (a directory, or with `file` a root that is
    /// not one).
    pub(crate) fn insert_root(
        &mut self,
        path: &[u8],
        wd: i32,
        flags: u8,
        file: bool,
    ) -> Result<u32, ErrorKind> {
        debug_assert!(path.len() < PATH_MAX);
        self.make_room(record_len(2 + path.len()))?;
        let slot = self.take_slot()?;
        let len = (path.len() as u16).to_le_bytes();
        let name_off = self.names.push(&[&len, path]);
        self.place(
            slot,
            DirEntry {
                wd,
                parent: NONE,
                name_off,
                name_len: if file { FILE_ROOT } else { 0 },
                flags: flags | flag::USED | flag::ROOT,
                children: 0,
            },
        );
        Ok(slot)
    }

    fn adopt(&mut self, parent: u32) {
        if let Some(p) = self.entries.cells_mut().get_mut(parent as usize) {
            p.children = p.children.saturating_add(1);
        }
    }

    fn orphan(&mut self, parent: u32) {
        if let Some(p) = self.entries.cells_mut().get_mut(parent as usize) {
            // A saturated count is no longer exact: leave it saturated.
            if p.children != u16::MAX {
                p.children = p.children.saturating_sub(1);
            }
        }
    }

    /// The length of `slot`'s record in the arena.
    fn record_len_of(&self, slot: u32) -> usize {
        let e = self.entries.cells()[slot as usize];
        let first4 = if e.has(flag::ROOT) {
            self.name(slot).len() as u32
        } else {
            0
        };
        e.record_len(first4)
    }

    fn free_name(&mut self, slot: u32) {
        let rec = self.record_len_of(slot);
        self.names
            .free(self.entries.cells()[slot as usize].name_off, rec);
    }

    /// Forgets one entry (not its children: see
    /// [`mark_subtree`](Self::mark_subtree)).
    pub(crate) fn remove(&mut self, slot: u32) {
        let e = self.entries.cells()[slot as usize];
        if !e.has(flag::USED) {
            return;
        }
        self.unindex(e.wd);
        self.free_name(slot);
        if !e.has(flag::ROOT) && self.used(e.parent) {
            self.orphan(e.parent);
        }
        self.entries.cells_mut()[slot as usize] = DirEntry {
            parent: self.free,
            ..DirEntry::EMPTY
        };
        self.free = slot;
        self.len -= 1;
    }

    /// Moves `slot` under `parent` as `name`: O(1) whatever its subtree.
    /// On [`ErrorKind::PathStorageFull`] (no room for the new name) nothing
    /// changes.
    pub(crate) fn rename(&mut self, slot: u32, parent: u32, name: &[u8]) -> Result<(), ErrorKind> {
        let e = self.entries.cells()[slot as usize];
        if e.parent == parent && self.name(slot) == name {
            return Ok(());
        }
        let rec = record_len(name.len());
        if self.reserve_name(rec).is_ok() {
            self.free_name(slot);
        } else {
            // Only the old name's own room can hold the new one: free it
            // first, then compact. A failed check changes nothing.
            if !self
                .names
                .fits(rec.saturating_sub(self.record_len_of(slot)))
            {
                return Err(self.names_full());
            }
            self.free_name(slot);
            // The freed record is dead; compaction skips it, so point the
            // entry at nothing live while compacting.
            self.entries.cells_mut()[slot as usize].flags &= !flag::USED;
            self.compact();
            self.entries.cells_mut()[slot as usize].flags |= flag::USED;
        }
        let name_off = self.names.push(&[name]);
        self.orphan(e.parent);
        let entry = &mut self.entries.cells_mut()[slot as usize];
        entry.parent = parent;
        entry.name_off = name_off;
        entry.name_len = name.len() as u8;
        self.adopt(parent);
        Ok(())
    }

    /// Packs the live names together (see [`super::names`]).
    fn compact(&mut self) {
        for slot in 0..self.hi {
            let e = &mut self.entries.cells_mut()[slot as usize];
            if e.has(flag::USED) {
                e.name_off = self.names.thread(e.name_off, slot);
            }
        }
        let entries = self.entries.cells_mut();
        self.names.slide(|slot, new_off| {
            let e = &mut entries[slot as usize];
            match new_off {
                None => (e.record_len(e.name_off), e.name_off),
                Some(off) => {
                    e.name_off = off;
                    (0, 0)
                }
            }
        });
    }

    /// Whether `slot` is `ancestor` or below it.
    pub(crate) fn is_within(&self, mut slot: u32, ancestor: u32) -> bool {
        let mut steps = 0;
        while slot != NONE && steps <= self.entries.cells().len() {
            if slot == ancestor {
                return true;
            }
            let e = &self.entries.cells()[slot as usize];
            if !e.has(flag::USED) {
                return false;
            }
            slot = e.parent;
            steps += 1;
        }
        false
    }

    /// Marks `top` and every entry below it [`flag::DOOMED`]; returns how
    /// many. O(1) for a childless entry, else one scan of the table.
    pub(crate) fn mark_subtree(&mut self, top: u32) -> usize {
        self.set(top, flag::DOOMED);
        if self.entries.cells()[top as usize].children == 0 {
            return 1;
        }
        let mut marked = 1;
        for slot in 0..self.hi {
            if self.used(slot) && !self.get(slot).has(flag::DOOMED) && self.is_doomed_below(slot) {
                self.set(slot, flag::DOOMED);
                marked += 1;
            }
        }
        marked
    }

    /// Whether an ancestor of `slot` is doomed (ancestors found doomed on
    /// the way are marked too, which keeps the scan near linear).
    fn is_doomed_below(&self, slot: u32) -> bool {
        let mut p = self.entries.cells()[slot as usize].parent;
        let mut steps = 0;
        while p != NONE && steps <= self.entries.cells().len() {
            let e = &self.entries.cells()[p as usize];
            if !e.has(flag::USED) {
                return false;
            }
            if e.has(flag::DOOMED) {
                return true;
            }
            p = e.parent;
            steps += 1;
        }
        false
    }

    /// Whether `slot`'s path gets a `/` after its name: a directory's
    /// does, unless the name already ends in one (the root `/`).
    fn slash_after(&self, slot: u32) -> bool {
        !self.entries.cells()[slot as usize].is_file_root() && !self.name(slot).ends_with(b"/")
    }

    /// Writes the directory's path, ending in `/` (a file root's: without
    /// it), into `buf`; returns its length and the slot of its root. `None`
    /// if it does not fit.
    pub(crate) fn path(&self, slot: u32, buf: &mut [u8]) -> Option<(usize, u32)> {
        // First pass: the length; second: the bytes, from the end back.
        let mut len = 0usize;
        let mut s = slot;
        let mut root = slot;
        let mut steps = 0;
        while s != NONE {
            let e = &self.entries.cells()[s as usize];
            let name = self.name(s);
            len += name.len() + usize::from(self.slash_after(s));
            root = s;
            s = e.parent;
            steps += 1;
            if steps > self.entries.cells().len() || len > buf.len() {
                return None;
            }
        }
        let mut end = len;
        let mut s = slot;
        while s != NONE {
            let name = self.name(s);
            if self.slash_after(s) {
                end -= 1;
                buf[end] = b'/';
            }
            end -= name.len();
            buf[end..end + name.len()].copy_from_slice(name);
            s = self.entries.cells()[s as usize].parent;
        }
        Some((len, root))
    }

    /// Every slot that may hold an entry, for scans.
    pub(crate) fn slots(&self) -> core::ops::Range<u32> {
        0..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::super::FixedTreeStorage;
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    #[test]
    fn an_entry_and_its_index_cells_take_24_bytes() {
        assert_eq!(core::mem::size_of::<DirEntry>(), 16);
        assert_eq!(super::super::TREE_BYTES_PER_DIR, 24);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u8, u8),
        Remove(u8),
        Rename(u8, u8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), any::<u8>(), 1..40u8).prop_map(|(p, w, l)| Op::Insert(p, w, l)),
            2 => any::<u8>().prop_map(Op::Remove),
            2 => (any::<u8>(), any::<u8>(), 1..40u8).prop_map(|(s, p, l)| Op::Rename(s, p, l)),
        ]
    }

    proptest! {
        /// The table against a map, over each storage kind: names survive
        /// compaction and growth, the wd index survives backward-shift
        /// deletion and rehashing, full tables change nothing.
        #[test]
        fn the_table_matches_a_map(ops in proptest::collection::vec(op(), 1..200)) {
            let mut entries = [DirEntry::EMPTY; 12];
            let mut index = [0u32; 13];
            let mut names = [0u8; 160];
            let borrowed = super::super::TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
            check_against_a_map(Table::new(borrowed), &ops)?;
            check_against_a_map(Table::new(FixedTreeStorage::<12, 25, 160>::fixed()), &ops)?;
            #[cfg(feature = "std")]
            check_against_a_map(Table::new(super::super::GrowingTreeStorage::growing_up_to(40)), &ops)?;
        }
    }

    /// Runs `ops` on `t` and on a map, and compares them after each.
    fn check_against_a_map<S: TreeStore>(mut t: Table<S>, ops: &[Op]) -> Result<(), TestCaseError> {
        {
            // slot -> (wd, parent, name)
            let mut model: BTreeMap<u32, (i32, u32, Vec<u8>)> = BTreeMap::new();
            let root = t.insert_root(b"/r", 1, 0, false).unwrap();
            model.insert(root, (1, NONE, b"/r".to_vec()));
            let mut next_wd = 2;
            for op in ops.iter().cloned() {
                let slots: Vec<u32> = model.keys().copied().collect();
                let pick = |k: u8| slots[k as usize % slots.len()];
                match op {
                    Op::Insert(p, w, len) => {
                        let parent = pick(p);
                        let name = std::vec![b'a' + w % 26; len as usize];
                        match t.insert(parent, &name, next_wd, 0) {
                            Ok(slot) => {
                                prop_assert!(!model.contains_key(&slot));
                                model.insert(slot, (next_wd, parent, name));
                            }
                            // Full only when it is: every slot live, or no
                            // room for the name even after compaction and
                            // growth.
                            Err(ErrorKind::TableFull { capacity }) => {
                                prop_assert_eq!((t.len(), capacity), (t.capacity(), t.capacity()));
                            }
                            Err(ErrorKind::PathStorageFull { capacity }) => {
                                prop_assert_eq!(capacity, t.names.max_len());
                                prop_assert!(t.names.live() + record_len(name.len()) > capacity);
                            }
                            Err(e) => prop_assert!(false, "{e:?}"),
                        }
                        next_wd += 1;
                    }
                    Op::Remove(s) => {
                        let slot = pick(s);
                        // Only leaves: the machine removes subtrees leaf-safe.
                        if slot != root && !model.values().any(|v| v.1 == slot) {
                            t.remove(slot);
                            model.remove(&slot);
                        }
                    }
                    Op::Rename(s, p, len) => {
                        let (slot, parent) = (pick(s), pick(p));
                        if slot != root && !t.is_within(parent, slot) {
                            let name = std::vec![b'z'; len as usize];
                            if t.rename(slot, parent, &name).is_ok() {
                                let e = model.get_mut(&slot).unwrap();
                                e.1 = parent;
                                e.2 = name;
                            }
                        }
                    }
                }
                prop_assert_eq!(t.len(), model.len());
                for (&slot, (wd, parent, name)) in &model {
                    prop_assert_eq!(t.slot_of(*wd), Some(slot));
                    prop_assert_eq!(t.get(slot).parent, *parent);
                    prop_assert_eq!(t.name(slot), name.as_slice());
                    let kids = model.values().filter(|v| v.1 == slot).count();
                    prop_assert_eq!(t.get(slot).children as usize, kids);
                }
            }
        }
        Ok(())
    }

    /// Name storage never leaks: fixed storage sized for 64 directories
    /// (the recommended [`tree_name_bytes_for`](super::super::tree_name_bytes_for))
    /// holding 63, through 1 000 000 cycles of a directory created and
    /// removed and of one directory renamed to an ever-new 200-byte name.
    #[test]
    fn names_never_leak_in_fixed_storage() {
        const DIRS: usize = 64;
        let mut t = Table::new(FixedTreeStorage::<
            DIRS,
            { super::super::tree_index_len_for(DIRS) },
            { super::super::tree_name_bytes_for(DIRS) },
        >::fixed());
        let root = t.insert_root(b"/tmp/zinotify-names", 1, 0, false).unwrap();
        let mut wd = 2;
        let mut parents = std::vec![root];
        for i in 0..DIRS - 3 {
            let parent = parents[i / 8];
            parents.push(
                t.insert(parent, format!("dir{i:05}").as_bytes(), wd, 0)
                    .unwrap(),
            );
            wd += 1;
        }
        let mover = t.insert(root, b"mover", wd, 0).unwrap();
        wd += 1;
        let mut long = [b'n'; 200];
        for i in 0..1_000_000u32 {
            let made = t.insert(parents[1], format!("new{i}").as_bytes(), wd, 0);
            let made = made.unwrap_or_else(|e| panic!("mkdir in cycle {i}: {e:?}"));
            wd += 1;
            t.remove(made);
            long[..10].copy_from_slice(format!("{i:010}").as_bytes());
            let parent = parents[i as usize % parents.len()];
            if let Err(e) = t.rename(mover, parent, &long) {
                panic!("rename in cycle {i}: {e:?}");
            }
        }
        assert_eq!(t.len(), DIRS - 1);
        assert_eq!(t.name(mover), &long[..]);
        assert!(t.names.capacity() == super::super::tree_name_bytes_for(DIRS));
    }

    #[test]
    fn paths_are_built_from_the_parents() {
        let mut entries = [DirEntry::EMPTY; 4];
        let mut index = [0u32; 9];
        let mut names = [0u8; 64];
        let storage = super::super::TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
        let mut t = Table::new(storage);
        let r = t.insert_root(b"/", 1, 0, false).unwrap();
        let a = t.insert(r, b"a", 2, 0).unwrap();
        let b = t.insert(a, b"bc", 3, 0).unwrap();
        let mut buf = [0u8; 16];
        let (len, root) = t.path(b, &mut buf).unwrap();
        assert_eq!((&buf[..len], root), (&b"/a/bc/"[..], r));
        // Too small a buffer is None, not a panic.
        assert_eq!(t.path(b, &mut [0u8; 5]), None);
        t.rename(b, r, b"top").unwrap();
        let (len, _) = t.path(b, &mut buf).unwrap();
        assert_eq!(&buf[..len], b"/top/");
    }
}

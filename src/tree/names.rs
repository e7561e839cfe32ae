//! The name arena: every directory's own name, packed into the byte
//! [`Storage`] the caller provides (grown, when it can grow, by the rule in
//! [`crate::storage`]).
//!
//! A record is the name's bytes padded to at least [`MIN_RECORD`] bytes (a
//! root's record is its path's length as two little-endian bytes, then the
//! path). Freed records are marked in place with `DEAD | record_len`, so the
//! arena can be compacted in place with no extra memory, in two passes that
//! `Table` drives: [`Names::thread`] swaps the first four bytes of each live
//! record with its owner's slot number (the displaced bytes are kept in the
//! owner's `name_off`), then [`Names::slide`] slides the records down. Names only move during compaction,
//! which runs only when a record does not fit at the top: see
//! `Table::reserve_name` for when it compacts and when it grows.

use crate::storage::{Storage, next_step};

/// Every record is at least this long, so it can hold a 4-byte marker.
pub(crate) const MIN_RECORD: usize = 4;
/// Marks a freed record; the low bits hold its length.
const DEAD: u32 = 0x8000_0000;

/// A record's length in the arena for a name (or root path) of `len` bytes.
pub(crate) const fn record_len(len: usize) -> usize {
    if len < MIN_RECORD { MIN_RECORD } else { len }
}

/// Name bytes a growing arena starts with.
const FIRST_BYTES: usize = 256;

/// The arena: `bytes[..top]` holds records, `dead` of them are freed.
pub(crate) struct Names<N> {
    bytes: N,
    top: usize,
    dead: usize,
}

impl<N: Storage<u8>> Names<N> {
    pub(crate) fn new(bytes: N) -> Self {
        Self {
            bytes,
            top: 0,
            dead: 0,
        }
    }

    /// The arena's size in bytes now.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.cells().len()
    }

    /// The most bytes the arena can grow to: its storage's most, below
    /// 4 GiB (entries hold `u32` offsets).
    pub(crate) fn max_len(&self) -> usize {
        self.bytes.max_len().min(u32::MAX as usize)
    }

    /// Grows the arena so that a record of `len` bytes fits at its top;
    /// `false` if it cannot.
    pub(crate) fn grow_for(&mut self, len: usize) -> bool {
        let cells = self.capacity();
        next_step(cells, self.top + len, FIRST_BYTES, self.max_len())
            .is_some_and(|target| self.bytes.grow_to(target, 0))
    }

    /// Bytes held by live records.
    pub(crate) fn live(&self) -> usize {
        self.top - self.dead
    }

    /// Whether a record of `len` bytes fits, now or after compaction.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.live() + len <= self.capacity()
    }

    /// Whether a record of `len` bytes fits without compacting first.
    pub(crate) fn fits_now(&self, len: usize) -> bool {
        self.top + len <= self.capacity()
    }

    /// Appends a record holding `parts` concatenated (`len` bytes in all,
    /// padded to [`record_len`]). The caller checked [`fits_now`](Self::fits_now).
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> u32 {
        let at = self.top;
        let mut end = at;
        let bytes = self.bytes.cells_mut();
        for part in parts {
            bytes[end..end + part.len()].copy_from_slice(part);
            end += part.len();
        }
        let rec = record_len(end - at);
        bytes[end..at + rec].fill(0);
        self.top = at + rec;
        at as u32
    }

    /// The `len` bytes at `off`.
    pub(crate) fn get(&self, off: u32, len: usize) -> &[u8] {
        &self.bytes.cells()[off as usize..off as usize + len]
    }

    /// Frees the record at `off`, `rec` bytes long.
    pub(crate) fn free(&mut self, off: u32, rec: usize) {
        let off = off as usize;
        if off + rec == self.top {
            self.top = off;
        } else {
            self.write_u32(off, DEAD | rec as u32);
            self.dead += rec;
        }
    }

    fn read_u32(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes.cells()[at..at + 4]);
        u32::from_le_bytes(b)
    }

    fn write_u32(&mut self, at: usize, v: u32) {
        self.bytes.cells_mut()[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Phase one of compaction for one live record: puts `slot` where the
    /// record starts and returns the four bytes it displaced.
    pub(crate) fn thread(&mut self, off: u32, slot: u32) -> u32 {
        let saved = self.read_u32(off as usize);
        self.write_u32(off as usize, slot);
        saved
    }

    /// Phase two: walks the records in order; for each live one calls
    /// `owner(slot, saved)` which returns `(record_len, saved_bytes)` and is
    /// told the record's new offset through the returned closure value.
    /// Live records slide down over dead ones.
    pub(crate) fn slide(&mut self, mut owner: impl FnMut(u32, Option<u32>) -> (usize, u32)) {
        let (mut from, mut to) = (0usize, 0usize);
        while from < self.top {
            let head = self.read_u32(from);
            if head & DEAD != 0 {
                from += (head & !DEAD) as usize;
                continue;
            }
            // `owner` returns the record's length and the bytes to restore;
            // a second call hands it the new offset.
            let (rec, saved) = owner(head, None);
            self.bytes.cells_mut().copy_within(from..from + rec, to);
            self.write_u32(to, saved);
            owner(head, Some(to as u32));
            from += rec;
            to += rec;
        }
        self.top = to;
        self.dead = 0;
    }
}

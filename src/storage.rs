//! Table storage: one model for every table of the crate, in the spirit of
//! smoltcp's `ManagedSlice`.
//!
//! A table ([`WatchTable`](crate::WatchTable), and the tree's directory table with
//! its index and names, [`TreeStorage`](crate::TreeStorage)) keeps its
//! arrays in a [`Storage`]: cells the table uses now, and how many it may
//! ever use. The table asks for more cells when it is full; the storage
//! says yes or no. Three kinds:
//!
//! - **fixed**: [`Fixed<T, N>`], a [`heapless::Vec`] of capacity `N`.
//!   `const`, so it can live in a `static`; `no_std`; never allocates. It
//!   starts empty and grows inside its `N` cells, so a `static` table only
//!   writes the pages it uses.
//! - **borrowed** (or owned) slices: any `AsRef<[T]> + AsMut<[T]>`, such as
//!   `&mut [T]`, `[T; N]`, a `Vec<T>` or `Box<[T]>` the caller sized. The
//!   whole slice is used from the start and never grows; `no_std`.
//! - **growing** (feature `std`): [`Growing<T>`], a `Vec` that starts empty
//!   and grows when the table is full, at any time, up to an optional cap.
//!   Its capacity at least doubles each time it allocates, so it allocates
//!   O(log n) times, and only when it grows; the cells the table asks for
//!   are written, the capacity beyond them never is (so it is not resident
//!   memory).
//!
//! With fixed or borrowed storage, a full table is a typed error
//! ([`ErrorKind::TableFull`](crate::ErrorKind::TableFull) or
//! [`ErrorKind::PathStorageFull`](crate::ErrorKind::PathStorageFull)) and the
//! table stays as it was; growing storage reports the same errors only at
//! its cap (or when the allocator refuses).
//!
//! ```
//! use zinotify::storage::{Fixed, Growing, Storage};
//!
//! // Fixed: starts with no cells, grows inside its 8.
//! static EMPTY: Fixed<u32, 8> = Fixed::new();
//! assert_eq!((EMPTY.cells().len(), EMPTY.max_len()), (0, 8));
//!
//! // Borrowed: the caller's slice, all of it, never more.
//! let mut cells = [0u32; 4];
//! let borrowed = &mut cells[..];
//! assert_eq!((borrowed.cells().len(), borrowed.max_len()), (4, 4));
//!
//! // Growing: a Vec, capped here at 1000 cells.
//! let mut growing = Growing::<u32>::with_max_len(1000);
//! assert!(growing.grow_to(100, 0));
//! assert!(!growing.grow_to(1001, 0));
//! assert_eq!(growing.cells().len(), 100);
//! ```

/// Cells of `T` a table keeps its entries in: see the [module docs](self).
///
/// An implementation must keep the cells it hands out: growing may move
/// them in memory but keeps their values and order (tables keep indices
/// into them).
pub trait Storage<T: Copy> {
    /// The cells the table may use now.
    fn cells(&self) -> &[T];
    /// The cells the table may use now, to change.
    fn cells_mut(&mut self) -> &mut [T];
    /// The most cells this storage can ever hold.
    fn max_len(&self) -> usize;
    /// Makes [`cells`](Self::cells) `len` long, the new cells set to
    /// `fill`. `false` if it cannot (past [`max_len`](Self::max_len), or
    /// the allocator refused): nothing changed. Never shrinks.
    fn grow_to(&mut self, len: usize, fill: T) -> bool;
}

/// Borrowed or caller-owned slices: used whole, never grown.
impl<T: Copy, S: AsRef<[T]> + AsMut<[T]>> Storage<T> for S {
    fn cells(&self) -> &[T] {
        self.as_ref()
    }
    fn cells_mut(&mut self) -> &mut [T] {
        self.as_mut()
    }
    fn max_len(&self) -> usize {
        self.as_ref().len()
    }
    fn grow_to(&mut self, len: usize, _fill: T) -> bool {
        len <= self.as_ref().len()
    }
}

/// Fixed storage: up to `N` cells inside the value itself, on
/// [`heapless::Vec`]. Starts with none; [`new`](Self::new) is `const`.
///
/// ```
/// use std::sync::Mutex;
/// use zinotify::FixedWatchTable;
///
/// // A flat watch table in a static: 16 paths, 2 KiB of path bytes.
/// static TABLE: Mutex<FixedWatchTable<16, 2048>> = Mutex::new(FixedWatchTable::fixed());
/// assert_eq!(TABLE.lock().unwrap().capacity(), 16);
/// ```
#[derive(Clone, Debug)]
pub struct Fixed<T, const N: usize>(heapless::Vec<T, N>);

impl<T, const N: usize> Fixed<T, N> {
    /// Empty fixed storage for `N` cells.
    pub const fn new() -> Self {
        Self(heapless::Vec::new())
    }
}

impl<T, const N: usize> Default for Fixed<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy, const N: usize> Storage<T> for Fixed<T, N> {
    fn cells(&self) -> &[T] {
        self.0.as_slice()
    }
    fn cells_mut(&mut self) -> &mut [T] {
        self.0.as_mut_slice()
    }
    fn max_len(&self) -> usize {
        N
    }
    fn grow_to(&mut self, len: usize, fill: T) -> bool {
        len >= self.0.len() && self.0.resize(len, fill).is_ok()
    }
}

/// Growing storage (feature `std`): a `Vec` that the table grows when
/// full, up to an optional cap, with one allocation per growth.
///
/// ```
/// use zinotify::storage::{Growing, Storage};
///
/// let mut cells = Growing::<u8>::new();
/// assert_eq!(cells.cells().len(), 0); // nothing allocated yet
/// assert!(cells.grow_to(64, 0));
/// assert_eq!(cells.cells(), &[0; 64][..]);
/// ```
#[cfg(feature = "std")]
#[derive(Clone, Debug, Default)]
pub struct Growing<T> {
    cells: std::vec::Vec<T>,
    max_len: Option<usize>,
}

#[cfg(feature = "std")]
impl<T> Growing<T> {
    /// Empty storage that grows without a cap of its own.
    pub const fn new() -> Self {
        Self {
            cells: std::vec::Vec::new(),
            max_len: None,
        }
    }

    /// Empty storage that grows up to `max_len` cells.
    pub const fn with_max_len(max_len: usize) -> Self {
        Self {
            cells: std::vec::Vec::new(),
            max_len: Some(max_len),
        }
    }
}

#[cfg(feature = "std")]
impl<T: Copy> Storage<T> for Growing<T> {
    fn cells(&self) -> &[T] {
        &self.cells
    }
    fn cells_mut(&mut self) -> &mut [T] {
        &mut self.cells
    }
    fn max_len(&self) -> usize {
        self.max_len.unwrap_or(usize::MAX)
    }
    fn grow_to(&mut self, len: usize, fill: T) -> bool {
        let Some(more) = len.checked_sub(self.cells.len()) else {
            return false;
        };
        // `Vec` at least doubles its capacity (one allocation per doubling,
        // however small the tables' steps), but only the cells asked for
        // are written: the rest of the capacity is never touched, so it is
        // not resident memory (a large allocation is fresh pages, moved by
        // `mremap` when it grows again).
        if len > self.max_len() || self.cells.try_reserve(more).is_err() {
            return false;
        }
        self.cells.resize(len, fill);
        true
    }
}

/// The growth rule every table follows: the length to grow `len` cells to
/// so that they hold at least `needed`: twice `len` (at least `first`),
/// or `limit` if that is less. `None` if `needed` is past `limit`, or
/// already met.
pub(crate) fn next_len(len: usize, needed: usize, first: usize, limit: usize) -> Option<usize> {
    if needed <= len || needed > limit {
        return None;
    }
    Some(len.saturating_mul(2).max(first).max(needed).min(limit))
}

/// The length to grow `len` cells to, a step at a time, so that they hold
/// at least `needed`: an eighth more, at least `first` more, or `limit` if
/// that is less. For tables that write every cell they grow to (the tree's
/// entries and names): cells written but never used stay under an eighth,
/// where doubling leaves up to half. On growing storage the steps still
/// cost O(log n) allocations (see [`Growing`]'s `grow_to`). `None` as for
/// [`next_len`].
pub(crate) fn next_step(len: usize, needed: usize, first: usize, limit: usize) -> Option<usize> {
    if needed <= len || needed > limit {
        return None;
    }
    Some(
        len.saturating_add((len / 8).max(first))
            .max(needed)
            .min(limit),
    )
}

/// Grows `storage` by [`next_len`] so that it holds at least `needed`
/// cells, within its most. `false` if it cannot; nothing changed then.
pub(crate) fn grow<T: Copy>(
    storage: &mut impl Storage<T>,
    needed: usize,
    first: usize,
    fill: T,
) -> bool {
    let len = storage.cells().len();
    if needed <= len {
        return true;
    }
    next_len(len, needed, first, storage.max_len())
        .is_some_and(|target| storage.grow_to(target, fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "std")]
    #[test]
    fn growth_doubles_and_stops_at_the_cap() {
        let mut cells = Growing::<u8>::with_max_len(100);
        assert!(grow(&mut cells, 1, 16, 7));
        assert_eq!(cells.cells().len(), 16);
        assert!(grow(&mut cells, 17, 16, 7));
        assert_eq!(cells.cells().len(), 32);
        assert!(grow(&mut cells, 65, 16, 7));
        assert_eq!(cells.cells().len(), 65);
        assert!(grow(&mut cells, 66, 16, 7));
        assert_eq!(cells.cells().len(), 100);
        assert!(!grow(&mut cells, 101, 16, 7));
        assert_eq!(cells.cells().len(), 100);
        assert!(cells.cells().iter().all(|&c| c == 7));
    }

    #[test]
    fn steps_grow_by_an_eighth_at_least_first() {
        assert_eq!(next_step(0, 1, 16, 100), Some(16));
        assert_eq!(next_step(16, 17, 16, 100), Some(32));
        assert_eq!(next_step(32, 33, 16, 1000), Some(48));
        assert_eq!(next_step(800, 801, 16, 10_000), Some(900));
        assert_eq!(next_step(800, 1000, 16, 10_000), Some(1000));
        assert_eq!(next_step(96, 97, 16, 100), Some(100));
        assert_eq!(next_step(100, 101, 16, 100), None);
    }

    #[test]
    fn fixed_and_borrowed_refuse_past_their_size() {
        let mut fixed = Fixed::<u16, 4>::new();
        assert!(grow(&mut fixed, 3, 1, 9));
        assert_eq!(fixed.cells(), &[9, 9, 9]);
        assert!(grow(&mut fixed, 4, 1, 9));
        assert!(!grow(&mut fixed, 5, 1, 9));
        assert_eq!(fixed.cells().len(), 4);
        let mut array = [1u16; 3];
        let mut borrowed = &mut array[..];
        assert!(grow(&mut borrowed, 3, 8, 0));
        assert!(!grow(&mut borrowed, 4, 8, 0));
        assert_eq!(borrowed.cells(), &[1, 1, 1]);
    }
}

//! A bounded, heap-free table of flat watches: watch descriptor ↔ path.
//!
//! The table is documented on [`WatchTable`].

use crate::error::{Error, ErrorKind, Operation};
use crate::event::Event;
use crate::inotify::{Inotify, WatchDescriptor};
use crate::mask::WatchMask;
use crate::path::PathBytes;
#[cfg(feature = "std")]
use crate::storage::Growing;
use crate::storage::{Fixed, Storage, grow};
use crate::watch_event::WatchEvent;

/// One entry of a [`WatchTable`]: a descriptor and where its path lies in
/// the table's path bytes (12 bytes), as a [`DirEntry`](crate::DirEntry) is
/// one of a tree's table. Opaque; create storage with
/// [`WatchEntry::EMPTY`]. A table of `n` paths of average length `l` needs
/// `n` entries and `n × l` path bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchEntry {
    wd: i32,
    start: u32,
    len: u16,
    /// `inotify_rm_watch` succeeded; waiting for the `IN_IGNORED`.
    removing: bool,
}

impl WatchEntry {
    /// An unused entry, to fill storage with: `[WatchEntry::EMPTY; N]`.
    pub const EMPTY: Self = Self {
        wd: -1,
        start: 0,
        len: 0,
        removing: false,
    };
}

/// Storage for a [`WatchTable`]: entries and path bytes, each a
/// [`Storage`].
///
/// Implemented for every pair `(S, B)` of a [`Storage<WatchEntry>`] and a
/// [`Storage<u8>`]: [`Fixed`], `Growing`, arrays,
/// `Vec`s, boxed or borrowed slices.
pub trait WatchStorage {
    /// Where the entries are.
    type Entries: Storage<WatchEntry>;
    /// Where the path bytes are.
    type Bytes: Storage<u8>;
    /// The entries and the path bytes, to read.
    fn parts(&self) -> (&Self::Entries, &Self::Bytes);
    /// The entries and the path bytes, to change or grow.
    fn parts_mut(&mut self) -> (&mut Self::Entries, &mut Self::Bytes);
}

impl<S: Storage<WatchEntry>, B: Storage<u8>> WatchStorage for (S, B) {
    type Entries = S;
    type Bytes = B;
    fn parts(&self) -> (&S, &B) {
        (&self.0, &self.1)
    }
    fn parts_mut(&mut self) -> (&mut S, &mut B) {
        (&mut self.0, &mut self.1)
    }
}

/// Fixed storage for a [`WatchTable`] table: `N` paths, `BYTES` bytes of
/// paths (a `Watcher`'s first type parameter).
pub type FixedWatchStorage<const N: usize, const BYTES: usize> =
    (Fixed<WatchEntry, N>, Fixed<u8, BYTES>);

/// A [`WatchTable`] table in fixed storage: `N` paths, `BYTES` bytes of paths.
pub type FixedWatchTable<const N: usize, const BYTES: usize> =
    WatchTable<FixedWatchStorage<N, BYTES>>;

/// A [`WatchTable`] table in growing storage (feature `std`).
#[cfg(feature = "std")]
pub type GrowingWatchTable = WatchTable<(Growing<WatchEntry>, Growing<u8>)>;

/// Slots a growing table starts with.
const FIRST_SLOTS: usize = 8;
/// Path bytes a growing table starts with.
const FIRST_BYTES: usize = 512;

/// A bounded table of flat watches: descriptor → path and path →
/// descriptor, in storage the caller owns. The table's [rules](#rules) say
/// what it does with duplicates, aliases, removal and a full table.
///
/// Looking up a descriptor is a binary search (events are resolved with it);
/// looking up a path is a linear scan (only adds and removals do it).
///
/// The engine hands out bare [`WatchDescriptor`]s; [`WatchTable`] remembers which
/// path each one was added for, so an event comes out with its watch path
/// ([`WatchEvent`]), as PyInotify's `(header, type_names, watch_path,
/// filename)`.
///
/// ## Storage
///
/// The table keeps an array of [`WatchEntry`]s (one per watched path) and a byte
/// array that holds the paths back to back, each in a
/// [`Storage`](crate::storage) of the caller's choice:
///
/// - fixed, sized at build time, usable in a `static` (the constructor is
///   `const`): [`FixedWatchTable`];
/// - growing (feature `std`): [`GrowingWatchTable`], which starts empty and
///   doubles when full, up to an optional cap;
/// - borrowed `&mut [WatchEntry]` and `&mut [u8]`, or a `Vec`/`Box<[_]>` the
///   caller sized, used whole and never grown.
///
/// ```
/// use std::sync::Mutex;
/// use zinotify::{FixedWatchTable, GrowingWatchTable, Inotify, WatchEntry, WatchTable, WatchMask};
///
/// // Build-time capacity, in a static: 64 paths, 8 KiB of path bytes.
/// static TABLE: Mutex<FixedWatchTable<64, 8192>> = Mutex::new(FixedWatchTable::fixed());
///
/// // Grows as paths are added.
/// let mut growing = GrowingWatchTable::growing();
///
/// // The caller's slices, used as they are.
/// let (mut slots, mut bytes) = ([WatchEntry::EMPTY; 4], [0u8; 1024]);
/// let mut borrowed = WatchTable::new((&mut slots[..], &mut bytes[..]));
///
/// let inotify = Inotify::new()?;
/// let tmp = std::env::temp_dir();
/// let wd = TABLE.lock().unwrap().add(&inotify, &tmp, WatchMask::CREATE)?;
/// assert_eq!(growing.add(&inotify, &tmp, WatchMask::CREATE)?, wd);
/// assert_eq!(borrowed.add(&inotify, &tmp, WatchMask::CREATE)?, wd);
/// assert_eq!(growing.path(wd), Some(tmp.as_os_str().as_encoded_bytes()));
/// # Ok::<(), zinotify::Error>(())
/// ```
///
/// ## Rules
///
/// - **A path already in the table** gets no second entry: [`WatchTable::add`]
///   still calls `inotify_add_watch` (so, as with the bare system call, the
///   watch's mask is *replaced* by the new one unless
///   [`WatchMask::MASK_ADD`]), and returns the descriptor the kernel gives,
///   which is the existing one while the path names the same inode. If the
///   path now names another inode (the directory was replaced), that is a new
///   watch with a new entry. Adding costs one system call and a binary
///   search: the table is not scanned, so adding many paths stays fast.
/// - **Aliases**: two paths can reach the same inode (a hard link, a symlink,
///   `dir` and `dir/.`); the kernel then returns the same descriptor and
///   *replaces* the watch's mask with the new one (unless
///   [`WatchMask::MASK_ADD`]). The table **keeps every alias**: each path
///   stays findable with [`WatchTable::wd`], and [`WatchTable::aliases`] lists them.
///   Events are reported with the **first** path added for that descriptor
///   ([`WatchTable::path`]). Removing any alias removes the kernel's one watch,
///   hence all aliases.
/// - **Removal** takes two steps, like the kernel's: [`WatchTable::remove`] asks
///   the kernel to drop the watch, and the entry stays (so events still queued
///   for it keep their path) until its `IN_IGNORED` event is handed to
///   [`WatchTable::forget`]. The [`Watcher`](crate::Watcher) loop does that
///   itself, after the `IN_IGNORED` event was handed out. A removed path is
///   no longer found by [`WatchTable::wd`], so it can be added again at once.
/// - **Full**: a table whose storage cannot grow (fixed or borrowed, or
///   growing at its cap) refuses a path with [`ErrorKind::TableFull`] (no
///   entry left) or [`ErrorKind::PathStorageFull`] (no room for its bytes),
///   and leaves the table and the kernel as they were. A path that is not in
///   the table is refused before any system call. A path that is (found by a
///   scan, only when full) is re-added; if the kernel then hands out a *new*
///   watch (the path names another inode now), it cannot be recorded and is
///   removed again (`inotify_rm_watch`), so no watch leaks; its `IN_IGNORED`
///   then comes out with no watch path.
/// - **Descriptor reuse**: the kernel numbers watches cyclically, so a
///   number comes back only after about 2³¹ watches were added. Until then
///   an `IN_IGNORED` always belongs to the entries recorded under its
///   number; after a wrap-around, a watch removed and a new one given the
///   same number before the old `IN_IGNORED` was forgotten would share
///   entries, as they share the number in the kernel's events.
/// - **Costs**: resolving an event and adding are a binary search over the
///   entries; [`WatchTable::wd`], removal by path and [`WatchTable::forget`] are
///   linear in the table's size (they are rare).
#[derive(Clone, Debug)]
pub struct WatchTable<T> {
    storage: T,
    /// Slots in use: `slots[..len]`, sorted by descriptor, aliases of one
    /// descriptor in the order they were added.
    len: usize,
    /// Path bytes in use: `bytes[..used]`, packed with no gaps.
    used: usize,
}

impl<const N: usize, const BYTES: usize> FixedWatchTable<N, BYTES> {
    /// An empty table in fixed arrays; `const`, so it can initialise a
    /// `static`.
    pub const fn fixed() -> Self {
        Self::new((Fixed::new(), Fixed::new()))
    }
}

#[cfg(feature = "std")]
impl GrowingWatchTable {
    /// An empty table that grows as paths are added, without a cap of its
    /// own (the kernel's `max_user_watches` is one).
    pub const fn growing() -> Self {
        Self::new((Growing::new(), Growing::new()))
    }

    /// An empty growing table that holds at most `paths` paths and
    /// `bytes` bytes of them.
    pub const fn growing_up_to(paths: usize, bytes: usize) -> Self {
        Self::new((Growing::with_max_len(paths), Growing::with_max_len(bytes)))
    }
}

impl<T: WatchStorage> WatchTable<T> {
    /// An empty table over `storage`: `(entries, path_bytes)`. Whatever the
    /// storage held before is ignored.
    pub const fn new(storage: T) -> Self {
        Self {
            storage,
            len: 0,
            used: 0,
        }
    }

    /// How many paths the table can hold: its storage's most.
    pub fn capacity(&self) -> usize {
        self.storage.parts().0.max_len()
    }

    /// How many bytes of paths the table can hold: its storage's most, up
    /// to 4 GiB (an entry records a path's offset as a `u32`).
    pub fn byte_capacity(&self) -> usize {
        self.storage.parts().1.max_len().min(MAX_BYTES)
    }

    /// The slots in use.
    fn slots(&self) -> &[WatchEntry] {
        &self.storage.parts().0.cells()[..self.len]
    }

    /// How many paths (aliases included) are in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no path.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Watches `path` through `inotify` and records it: see
    /// [`Inotify::add_watch`] for the system call, and the table's
    /// [rules](Self#rules) for duplicates and aliases.
    ///
    /// Errors: whatever [`Inotify::add_watch`] returns, or
    /// [`ErrorKind::TableFull`] / [`ErrorKind::PathStorageFull`], with
    /// nothing left behind (see [rules](Self#rules)).
    pub fn add<P: PathBytes + ?Sized>(
        &mut self,
        inotify: &Inotify,
        path: &P,
        mask: WatchMask,
    ) -> Result<WatchDescriptor, Error> {
        let path = path.path_bytes();
        let full = self.make_room_for(path);
        let refuse = |kind| Err(Error::new(Operation::AddWatch, kind).with_path(path));
        if let Some(kind) = full
            && self.wd(path).is_none()
        {
            return refuse(kind);
        }
        let wd = inotify.add_watch(path, mask)?;
        if self.aliases(wd).any(|known| known == path) {
            return Ok(wd);
        }
        if let Some(kind) = full {
            // A new watch we cannot record: undo it. A descriptor the table
            // already has is an alias of recorded paths and must stay.
            if self.slot_of(wd.raw()).is_none() {
                inotify.remove_watch(wd)?;
            }
            return refuse(kind);
        }
        self.insert(wd.raw(), path);
        Ok(wd)
    }

    /// Grows the storage, if it can and must, to record `path`; why it
    /// cannot be recorded, if it cannot.
    fn make_room_for(&mut self, path: &[u8]) -> Option<ErrorKind> {
        let (slots, bytes) = self.storage.parts_mut();
        let needed = self.used + path.len();
        if !grow(slots, self.len + 1, FIRST_SLOTS, WatchEntry::EMPTY) {
            Some(ErrorKind::TableFull {
                capacity: self.capacity(),
            })
        } else if needed > MAX_BYTES || !grow(bytes, needed, FIRST_BYTES, 0) {
            Some(ErrorKind::PathStorageFull {
                capacity: self.byte_capacity(),
            })
        } else {
            None
        }
    }

    /// Asks the kernel to stop watching `path`'s watch ([`Inotify::remove_watch`])
    /// and returns its descriptor. The entry (and its aliases) stays until
    /// its `IN_IGNORED` is given to [`forget`](Self::forget), but `path` is
    /// no longer found by [`wd`](Self::wd).
    ///
    /// A path not in the table is [`ErrorKind::NotWatched`].
    pub fn remove_path<P: PathBytes + ?Sized>(
        &mut self,
        inotify: &Inotify,
        path: &P,
    ) -> Result<WatchDescriptor, Error> {
        let path = path.path_bytes();
        let Some(wd) = self.wd(path) else {
            return Err(Error::new(Operation::RemoveWatch, ErrorKind::NotWatched).with_path(path));
        };
        self.remove(inotify, wd)
            .map_err(|err| err.with_path(path))?;
        Ok(wd)
    }

    /// Asks the kernel to stop watching `wd` ([`Inotify::remove_watch`]); its
    /// entries stay until its `IN_IGNORED` is given to
    /// [`forget`](Self::forget). A descriptor not in the table is still passed
    /// to the kernel (it may be a watch added around the table).
    pub fn remove(&mut self, inotify: &Inotify, wd: WatchDescriptor) -> Result<(), Error> {
        inotify.remove_watch(wd)?;
        let range = self.range_of(wd.raw());
        for slot in &mut cells_mut(&mut self.storage).0[range] {
            slot.removing = true;
        }
        Ok(())
    }

    /// Drops every entry of `wd`: call it with the descriptor of each
    /// `IN_IGNORED` event, after using the event's watch path. Does nothing
    /// for a descriptor not in the table.
    pub fn forget(&mut self, wd: WatchDescriptor) {
        let range = self.range_of(wd.raw());
        if range.is_empty() {
            return;
        }
        let (slots, bytes) = cells_mut(&mut self.storage);
        for i in range.clone().rev() {
            let WatchEntry { start, len, .. } = slots[i];
            let (start, len) = (start as usize, usize::from(len));
            // Close the gap in the path bytes, then shift the offsets of the
            // paths that lay after it.
            bytes.copy_within(start + len..self.used, start);
            self.used -= len;
            for slot in &mut slots[..self.len] {
                if slot.start as usize > start {
                    slot.start -= len as u32;
                }
            }
        }
        slots.copy_within(range.end..self.len, range.start);
        self.len -= range.len();
    }

    /// The path events of `wd` are reported with: the first path added for
    /// it. `None` for a descriptor not in the table (and for `-1`, overflow).
    pub fn path(&self, wd: WatchDescriptor) -> Option<&[u8]> {
        self.slot_of(wd.raw()).map(|i| self.path_at(i))
    }

    /// The first slot of `wd`, whose path events are reported with.
    #[inline]
    pub(crate) fn slot_of(&self, wd: i32) -> Option<usize> {
        let range = self.range_of(wd);
        (!range.is_empty()).then_some(range.start)
    }

    /// Every path recorded for `wd`, first one first (see the [rules](Self#rules)
    /// on aliases).
    pub fn aliases(&self, wd: WatchDescriptor) -> impl Iterator<Item = &[u8]> + '_ {
        self.range_of(wd.raw()).map(|i| self.path_at(i))
    }

    /// The descriptor `path` is watched with, if it is in the table and not
    /// being removed. Compares bytes: `/tmp` and `/tmp/` are different paths.
    pub fn wd<P: PathBytes + ?Sized>(&self, path: &P) -> Option<WatchDescriptor> {
        let path = path.path_bytes();
        let slots = self.slots();
        // The last match: descriptors only grow, so that is the newest watch
        // when the path was re-added after its inode changed.
        (0..self.len)
            .rfind(|&i| !slots[i].removing && self.path_at(i) == path)
            .map(|i| WatchDescriptor::from_raw(slots[i].wd))
    }

    /// Every entry, by descriptor: `(wd, path)`, aliases included.
    pub fn iter(&self) -> impl Iterator<Item = (WatchDescriptor, &[u8])> + '_ {
        let slots = self.slots();
        (0..self.len).map(|i| (WatchDescriptor::from_raw(slots[i].wd), self.path_at(i)))
    }

    /// Pairs an event with its watch path (`None` for overflow and for
    /// descriptors not in the table). Pure lookup: an `IN_IGNORED` still
    /// needs [`forget`](Self::forget) afterwards.
    #[inline]
    pub fn resolve<'a>(&'a self, event: Event<'a>) -> WatchEvent<'a> {
        WatchEvent {
            watch_path: self.path(WatchDescriptor::from_raw(event.wd)),
            event,
        }
    }

    /// The slots of `wd`: a binary search for the first, then its aliases.
    #[inline]
    fn range_of(&self, wd: i32) -> core::ops::Range<usize> {
        let slots = self.slots();
        let start = slots.partition_point(|s| s.wd < wd);
        let end = start + slots[start..].iter().take_while(|s| s.wd == wd).count();
        start..end
    }

    /// The path in slot `i` (below `len`).
    pub(crate) fn path_at(&self, i: usize) -> &[u8] {
        let (slots, bytes) = self.storage.parts();
        let WatchEntry { start, len, .. } = slots.cells()[i];
        let bytes = bytes.cells();
        &bytes[start as usize..start as usize + usize::from(len)]
    }

    /// Records `path` for `wd`; the caller checked there is room.
    fn insert(&mut self, wd: i32, path: &[u8]) {
        let (slots, bytes) = cells_mut(&mut self.storage);
        let start = self.used;
        bytes[start..start + path.len()].copy_from_slice(path);
        self.used += path.len();
        // After the entries of `wd` already there: aliases keep their order.
        let at = slots[..self.len].partition_point(|s| s.wd <= wd);
        slots.copy_within(at..self.len, at + 1);
        slots[at] = WatchEntry {
            wd,
            start: start as u32,
            // `add_watch` refused paths of PATH_MAX (4096) bytes or more.
            len: path.len() as u16,
            removing: false,
        };
        self.len += 1;
    }
}

/// The most path bytes a table uses: offsets are `u32`s, so bytes past 4 GiB
/// could not be addressed.
const MAX_BYTES: usize = u32::MAX as usize;

/// The slots and the path bytes in use now, to change.
fn cells_mut<T: WatchStorage>(storage: &mut T) -> (&mut [WatchEntry], &mut [u8]) {
    let (slots, bytes) = storage.parts_mut();
    (slots.cells_mut(), bytes.cells_mut())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Steps on the table's bookkeeping (the kernel side is tested against
    /// the real kernel in tests/engine_table.rs).
    #[derive(Clone, Debug)]
    enum Op {
        /// Record a path of this length for this descriptor, if there is room.
        Insert { wd: i32, len: usize },
        /// Drop every entry of a descriptor, as an `IN_IGNORED` does.
        Forget { wd: i32 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1..8i32, 0..40usize).prop_map(|(wd, len)| Op::Insert { wd, len }),
            (1..8i32).prop_map(|wd| Op::Forget { wd }),
        ]
    }

    proptest! {
        /// After any sequence of inserts and forgets, the table holds exactly
        /// what a plain list would: same entries, aliases in insertion order,
        /// path bytes packed with no leak.
        #[test]
        fn bookkeeping_matches_a_simple_model(ops in proptest::collection::vec(op(), 0..60)) {
            let mut table = FixedWatchTable::<6, 128>::fixed();
            let mut model: Vec<(i32, Vec<u8>)> = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert { wd, len } => {
                        // A distinct, recognisable path per step.
                        let path: Vec<u8> = (0..len).map(|i| b'a' + ((n + i) % 26) as u8).collect();
                        if table.make_room_for(&path).is_none() {
                            table.insert(wd, &path);
                            let at = model.iter().filter(|(w, _)| *w <= wd).count();
                            model.insert(at, (wd, path));
                        } else {
                            let used: usize = model.iter().map(|(_, p)| p.len()).sum();
                            prop_assert!(model.len() == 6 || used + path.len() > 128);
                        }
                    }
                    Op::Forget { wd } => {
                        table.forget(WatchDescriptor::from_raw(wd));
                        model.retain(|(w, _)| *w != wd);
                    }
                }
                let got: Vec<_> = table.iter().map(|(wd, p)| (wd.raw(), p.to_vec())).collect();
                prop_assert_eq!(&got, &model);
                prop_assert_eq!(table.used, model.iter().map(|(_, p)| p.len()).sum::<usize>());
                for (wd, path) in &model {
                    let first = model.iter().find(|(w, _)| w == wd).map(|(_, p)| &p[..]);
                    prop_assert_eq!(table.path(WatchDescriptor::from_raw(*wd)), first);
                    prop_assert!(table.aliases(WatchDescriptor::from_raw(*wd)).any(|p| p == &path[..]));
                }
            }
        }
    }
}

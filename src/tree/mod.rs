//! Recursive watching: whole directory trees, with renames followed,
//! overflow recovered from, and no heap.
//!
//! [`InotifyTree`] watches one tree, [`InotifyTrees`] several through one
//! inotify instance. Both are a thin driver around [`Machine`], a sans-IO
//! state machine that is fed kernel events and directory listings and asks
//! a [`Backend`] to add and remove watches: the tests run the same machine
//! against a model filesystem, and the fuzz target feeds it arbitrary
//! events.
//!
//! # The rules
//!
//! - **Watch, then list.** A new directory (created, or moved in from
//!   outside) gets its watch first, then is listed with `getdents64`; what
//!   the listing finds is reported as [`TreeEventKind::Synthetic`]
//!   `IN_CREATE` events (`IN_ISDIR` for directories), and its
//!   subdirectories are watched and listed in turn. A file created before
//!   the watch existed is never missed; it may be reported twice (once
//!   from the listing, once from the kernel).
//! - **Compact table.** Each directory is (parent, own name): a 16-byte
//!   [`DirEntry`], its name in the name storage, and two `u32` index cells
//!   (24 bytes plus the name; see [Storage and sizing](#storage-and-sizing)). A full path is
//!   built, into a fixed `PATH_MAX` buffer, only when an event needs it.
//! - **Renames in O(1).** `IN_MOVED_FROM` and `IN_MOVED_TO` are paired by
//!   cookie in a small bounded list (8 renames; a pair split across two
//!   reads included); the moved directory's own `IN_MOVE_SELF`, which the
//!   kernel queues right after, names the watch, and that one entry is
//!   re-parented. Events inside the renamed directory, and its
//!   `IN_MOVE_SELF`, carry the new path. A directory moved out of the tree
//!   (no `IN_MOVED_TO` before its `IN_MOVE_SELF`) has its subtree's watches
//!   removed; one moved in from outside is watched and listed like a new
//!   one. More renames in flight than the list holds (a rename burst)
//!   never cost a rescan: the oldest waiting rename is settled (where it
//!   landed is watched as new, and a late `IN_MOVE_SELF` still follows it).
//! - **Paths can be stale; watches cannot.** Events are handled after the
//!   fact: by then a directory's path may name another directory
//!   (`mv logs logs.1; mkdir logs`). The tree asks the kernel whether a
//!   path still leads to the expected watch (`inotify_add_watch` returns
//!   the existing descriptor: one path lookup) only where the answer
//!   matters: before watching a new child an event names in a directory
//!   other than a root, when a child an event named has vanished, when a
//!   directory turns up at a second path, and for a rename pairing only
//!   while the table may be ahead of the queue (after a rescan, until a
//!   read finds the queue empty). Otherwise a pairing is trusted: the
//!   kernel queues a rename's three events together. A directory found
//!   stale is listed again once its path leads to it (the rename queued
//!   behind is applied), looked at after each batch while events are
//!   queued; a directory that a listing finds watched elsewhere follows
//!   its rename when that rename's `IN_MOVE_SELF` comes. Only when no
//!   event is left and a path is still stale (a rename the kernel never
//!   showed this tree, e.g. inside a directory not watched yet) comes the
//!   bounded fallback, [`TreeEventKind::Relisted`]: the nearest ancestor
//!   still at its path is listed again (one level further up each time it
//!   is needed, that subtree only, never the whole tree) and a watched
//!   directory found there under another name is followed; one not found
//!   even below its root is dropped. Log rotation and rename bursts, which
//!   the kernel's queue holds, cost neither a rescan nor a fallback.
//! - **Removal.** `IN_IGNORED` removes the entry (reported as a
//!   [`TreeEventKind::Kernel`] event with `IN_IGNORED`, whatever the mask).
//!   A root deleted, moved away, or unmounted is reported as
//!   [`TreeEventKind::RootGone`] and that root ends; the others go on.
//! - **Overflow.** [`TreeEventKind::Overflow`] is reported, then (the only
//!   time the whole tree is read again) every directory is listed again: directories that appeared are watched and
//!   reported (synthetic `IN_CREATE`, with their contents), renames lost in
//!   the overflow are followed (the watch descriptor says where a directory
//!   went), vanished directories are dropped, and
//!   [`TreeEventKind::Rescanned`] says it is done. Files created in known
//!   directories during the overflow cannot be told apart from old ones:
//!   re-examine what matters after `Rescanned`.
//! - **Symlinks are never followed** below the root: `d_type` (and
//!   `statat(AT_SYMLINK_NOFOLLOW)` for `DT_UNKNOWN`) decides what is a
//!   directory, watches are added with `IN_ONLYDIR | IN_DONT_FOLLOW` on
//!   paths without a trailing slash, listings opened with
//!   `O_DIRECTORY | O_NOFOLLOW`. The root itself is the path the user
//!   named and is followed if it is a symlink, as inotifywait does. A
//!   directory reached twice (a bind mount) is watched once: the second is
//!   reported as [`TreeEventKind::Skipped`] with `EEXIST`.
//! - **Our own listing does not flood the queue.** Listing a directory
//!   makes the kernel queue `IN_OPEN`, `IN_ACCESS` and `IN_CLOSE_NOWRITE`
//!   on its watch and its parent's. So a walk adds its watches without
//!   those three bits, and gives every watch its full mask again
//!   (`inotify_add_watch` once more) only when the walk has listed
//!   everything; a rescan first lowers every watch the same way. What the
//!   user still sees: for a directory created (or moved in) later, its
//!   parent's watch reports our opening and reading it (`OPEN`, `ACCESS`,
//!   `CLOSE_NOWRITE` with `ISDIR` and its name), as with inotifywait; and
//!   events of those three kinds inside a walked subtree are not reported
//!   while the walk runs.
//! - **Excluding directories.** [`InotifyTrees::set_dir_filter`] lets the
//!   caller veto a directory, by its full path, before it is watched
//!   (`inotifywait --exclude`): it is then neither watched nor listed, and
//!   nothing inside it is reported. The filter is asked when a directory
//!   is found (set-up, creation, move-in, a rescan's listing), not again
//!   when it or an ancestor is renamed inside the tree.
//! - **Masks.** The user's mask filters what is reported; `IN_CREATE`,
//!   `IN_MOVED_FROM`, `IN_MOVED_TO`, `IN_DELETE_SELF`, `IN_MOVE_SELF`,
//!   `IN_ONLYDIR` and `IN_DONT_FOLLOW` are added silently. `IN_IGNORED`,
//!   `IN_UNMOUNT` and overflows are always reported.
//! - **Errors mid-walk.** A directory that vanished is skipped silently
//!   (its parent's events say why). One that cannot be watched or listed
//!   (`EACCES`, a path longer than `PATH_MAX`) is reported as
//!   [`TreeEventKind::Skipped`] and left unwatched. The watch limit and a
//!   full table are `Err` items ([`ErrorKind::WatchLimit`] names the sysctl;
//!   [`ErrorKind::TableFull`] the capacity in directories,
//!   [`ErrorKind::PathStorageFull`] the name storage's in bytes); the
//!   directory is left unwatched and the walk goes on. The table is
//!   consistent after each.
//!
//! [`ErrorKind::WatchLimit`]: crate::ErrorKind::WatchLimit
//! [`ErrorKind::TableFull`]: crate::ErrorKind::TableFull
//! [`ErrorKind::PathStorageFull`]: crate::ErrorKind::PathStorageFull
//!
//! # Known limits
//!
//! - **Paths between unseen renames.** A rename inside a directory that is
//!   not watched yet (just created or moved in, its listing still queued
//!   behind the events) queues no event at all, so the paths a watched
//!   directory had between such renames are information the kernel never
//!   gives. Its events from that time, and those of its subdirectories
//!   deleted or moved out meanwhile, are reported under the path the tree
//!   finds it at: after `mv t/a/a t/b/sub/a; rm -r t/b/sub/a/a; mv t/b/sub t/b/x/a`
//!   (`t/a/a` watched, `t/b` moved in just before, all before the tree
//!   reads), the `rm`'s `IN_DELETE_SELF` is reported as `t/b/x/a/a/a/`, a
//!   path that never existed. The set of watched directories is still
//!   right once the events are read.
//! - **Files created during an overflow** in known directories cannot be
//!   told from older ones (see **Overflow** above).
//!
//! # Storage and sizing
//!
//! A tree keeps, per directory, a 16-byte [`DirEntry`] (watch descriptor,
//! parent, where its name is, flags, child count), two `u32` index cells
//! (a hash index from watch descriptor to entry, kept at least twice as
//! long as the entries), and its name's bytes (at least 4; a root's whole
//! path and 2). That is [`BYTES_PER_DIR`] = 24 bytes plus the name. The
//! storage is a [`TreeStorage`], of one of three kinds (see
//! [`crate::storage`]):
//!
//! - **growing** ([`GrowingTreeStorage`], `std`): starts empty and grows
//!   the entries (the index with them, rehashed, twice as long) or the
//!   names by an eighth (at least 16 entries or 256 bytes) whenever they
//!   are full, during set-up or hours later, up to an optional cap
//!   ([`TreeStorage::growing_up_to`]). Its allocations double, so it
//!   allocates O(log n) times; only the cells handed to the table are
//!   written, so resident memory follows the tree: what the directories
//!   use plus at most an eighth. The right choice unless there is no
//!   heap.
//! - **fixed** ([`FixedTreeStorage`]): capacities chosen at build time,
//!   inside the value, `const`, `no_std`; [`index_len_for`] and
//!   [`name_bytes_for`] give the sizes for a number of directories. It
//!   fills its cells as the tree grows and never allocates.
//! - **borrowed** ([`BorrowedTreeStorage`]): the caller's slices
//!   ([`TreeStorage::new`], [`TreeStorage::vecs`] for the recommended
//!   sizes), used whole from the start.
//!
//! With fixed or borrowed storage (or growing storage at its cap) a full
//! table is an `Err` item ([`ErrorKind::TableFull`],
//! [`ErrorKind::PathStorageFull`]) and the directory is left unwatched.
//!
//! A fixed tree in a `static` (here behind a `std` mutex; a `no_std`
//! program uses any cell it has: `tests/nostd`, built and run by CI with no
//! allocator, keeps one in a `static` cell of its own and watches a tree
//! with it):
//!
//! ```
//! use std::sync::Mutex;
//! use std::time::Duration;
//! use zinotify::tree::{FixedTreeStorage, InotifyTree, TreeEventKind, index_len_for, name_bytes_for};
//! use zinotify::WatchMask;
//!
//! type Storage = FixedTreeStorage<256, { index_len_for(256) }, { name_bytes_for(256) }>;
//! type Tree = InotifyTree<'static, Storage, [u8; 4096]>;
//! static TREE: Mutex<Option<Tree>> = Mutex::new(None);
//!
//! let dir = std::env::temp_dir().join(format!("zinotify-static-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("sub")).unwrap();
//! let mut slot = TREE.lock().unwrap();
//! let tree = slot.insert(InotifyTree::new(Storage::fixed(), [0; 4096], &dir, WatchMask::CREATE)?);
//! while tree.next_event(Some(Duration::ZERO)).unwrap()?.kind != TreeEventKind::Ready {}
//! assert_eq!(tree.len(), 2);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), zinotify::Error>(())
//! ```

mod driver;
mod list;
mod listing;
mod machine;
mod names;
mod table;

#[cfg(feature = "tokio")]
pub(crate) use driver::IDLE;
pub use driver::{InotifyTree, InotifyTrees, KernelBackend, TreeStep};
pub use list::OpenDir;
pub use listing::{LISTING_LEN, Listing};
pub use machine::{Backend, DirFilter, Machine, Report};
pub use table::DirEntry;

#[cfg(feature = "std")]
use crate::error::PATH_MAX;
use crate::error::{Error, ErrorKind, Operation};
use crate::inotify::WatchDescriptor;
use crate::mask::EventMask;
#[cfg(feature = "std")]
use crate::storage::Growing;
use crate::storage::{Fixed, Storage};

/// Which root an event belongs to, as returned by
/// [`InotifyTrees::add_root`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RootId(pub(crate) u32);

impl RootId {
    /// A number for this root, unique among the live roots of one tree.
    pub const fn index(self) -> u32 {
        self.0
    }
}

/// What a [`TreeEvent`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeEventKind {
    /// An event the kernel reported (`mask`, `cookie` as it gave them).
    Kernel,
    /// An entry found by listing a new directory, reported as `IN_CREATE`
    /// (with `IN_ISDIR` for a directory): it may have been created before
    /// the directory's watch was added.
    Synthetic,
    /// The kernel's queue overflowed (`IN_Q_OVERFLOW`): events were lost. A
    /// rescan follows. `dir` and `name` are empty, `root` is `None`.
    Overflow,
    /// The rescan after an overflow is done: the tree matches the
    /// filesystem again. It follows an [`Overflow`](Self::Overflow) only:
    /// storms the kernel's queue holds (log rotation, rename bursts, more
    /// renames in flight than the tree pairs at once) are followed event
    /// by event.
    Rescanned,
    /// The bounded fallback is done: a watched directory's path went
    /// stale and no queued event said where it went (a rename the kernel
    /// never reported to this tree, e.g. inside a directory not watched
    /// yet). Its nearest ancestor still at its path was listed again, and
    /// a watched directory found there under another name was followed;
    /// a directory not found even below its root is dropped. Only those
    /// directories were listed, not the tree. `dir` and `name` are empty,
    /// `root` is `None`.
    Relisted,
    /// The set-up of the roots added so far is done (inotifywait's
    /// "Watches established."). `root` is `None`.
    Ready,
    /// A root was deleted, moved away or unmounted; it is no longer
    /// watched. `dir` is its path.
    RootGone,
    /// The directory `dir` + `name` could not be watched or listed and is
    /// left out of the tree (`EACCES`, a path too long, `EEXIST` for a
    /// directory already watched elsewhere, ...).
    Skipped {
        /// What failed.
        operation: Operation,
        /// Why.
        kind: ErrorKind,
    },
    /// The wait ended with nothing to report (the time passed, or only
    /// events the tree handles itself came): PyInotify's `None`, the
    /// flat loop's [`Next::Idle`](crate::Next::Idle). `dir` and `name` are
    /// empty, `root` is `None`.
    Idle,
}

/// One event from a tree, borrowing the tree's buffers (so it must be
/// dropped before the next call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEvent<'a> {
    /// What kind of event this is.
    pub kind: TreeEventKind,
    /// The kernel's mask (`IN_CREATE` and maybe `IN_ISDIR` for synthetic
    /// events, empty for the tree's own reports).
    pub mask: EventMask,
    /// The kernel's cookie pairing `IN_MOVED_FROM` with `IN_MOVED_TO`; 0
    /// otherwise.
    pub cookie: u32,
    /// The watched directory's full path, ending in `/` (inotifywait's
    /// `%w`); empty for [`Overflow`](TreeEventKind::Overflow) and the like.
    pub dir: &'a [u8],
    /// The entry's name inside `dir` (inotifywait's `%f`); empty for an
    /// event on `dir` itself.
    pub name: &'a [u8],
    /// Which root `dir` is in.
    pub root: Option<RootId>,
    /// The kernel's watch on `dir` (one per directory, or per file root):
    /// what inotifywatch counts events by. `None` for reports about no
    /// directory ([`Overflow`](TreeEventKind::Overflow),
    /// [`Rescanned`](TreeEventKind::Rescanned) and the like).
    pub wd: Option<WatchDescriptor>,
}

/// A tree's storage: one [`DirEntry`] per directory, an index of `u32`
/// cells from watch descriptor to entry, and the bytes of the directories'
/// names, each a [`Storage`] (see [`crate::storage`] for the kinds, and
/// [the module docs](self#sizing) for the sizes).
#[derive(Clone, Debug)]
pub struct TreeStorage<E, I, N> {
    entries: E,
    index: I,
    names: N,
}

/// Storage for a tree in the caller's slices, used whole, never grown.
pub type BorrowedTreeStorage<'s> = TreeStorage<&'s mut [DirEntry], &'s mut [u32], &'s mut [u8]>;

/// Storage for a tree inside the value itself ([`Fixed`], on `heapless`):
/// `DIRS` directories, `INDEX` index cells (more than `DIRS`:
/// [`index_len_for`]`(DIRS)` is the rule), `NAMES` name bytes
/// ([`name_bytes_for`]`(DIRS)`). `const`, `no_std`, never allocates.
pub type FixedTreeStorage<const DIRS: usize, const INDEX: usize, const NAMES: usize> =
    TreeStorage<Fixed<DirEntry, DIRS>, Fixed<u32, INDEX>, Fixed<u8, NAMES>>;

/// Storage for a tree that grows as the tree does (feature `std`).
#[cfg(feature = "std")]
pub type GrowingTreeStorage = TreeStorage<Growing<DirEntry>, Growing<u32>, Growing<u8>>;

/// What a tree's storage is made of: implemented by every [`TreeStorage`]
/// whose parts are [`Storage`]s.
pub trait TreeStore {
    /// The directory entries.
    type Entries: Storage<DirEntry>;
    /// The index cells.
    type Index: Storage<u32>;
    /// The name bytes.
    type Names: Storage<u8>;
    /// The three parts.
    fn into_parts(self) -> (Self::Entries, Self::Index, Self::Names);
}

impl<E: Storage<DirEntry>, I: Storage<u32>, N: Storage<u8>> TreeStore for TreeStorage<E, I, N> {
    type Entries = E;
    type Index = I;
    type Names = N;
    fn into_parts(self) -> (E, I, N) {
        (self.entries, self.index, self.names)
    }
}

/// Index cells for `dirs` directories: twice as many, plus one (an index
/// must have more cells than entries; twice keeps lookups short).
pub const fn index_len_for(dirs: usize) -> usize {
    dirs.saturating_mul(2).saturating_add(1)
}

/// Name bytes for `dirs` directories of typical names: 16 each, for at
/// least 16 directories (each name takes at least 4; a root's, its whole
/// path and 2).
pub const fn name_bytes_for(dirs: usize) -> usize {
    16 * if dirs < 16 { 16 } else { dirs }
}

impl<E, I, N> TreeStorage<E, I, N> {
    /// Storage from its three parts, of any kinds. The table holds at most
    /// as many directories as `entries` does, and one fewer than `index`.
    pub const fn from_parts(entries: E, index: I, names: N) -> Self {
        Self {
            entries,
            index,
            names,
        }
    }
}

impl<'s> BorrowedTreeStorage<'s> {
    /// Room for `entries.len()` directories in the caller's slices. `index`
    /// must be longer than `entries` ([`index_len_for`] is the rule);
    /// `names` holds their names ([`name_bytes_for`]). The slices are
    /// overwritten.
    pub fn new(
        entries: &'s mut [DirEntry],
        index: &'s mut [u32],
        names: &'s mut [u8],
    ) -> Result<Self, Error> {
        let bad = |capacity| {
            Err(Error::new(
                Operation::AddWatch,
                ErrorKind::TableFull { capacity },
            ))
        };
        if entries.len() >= 1 << 31 {
            return bad(entries.len());
        }
        if index.len() <= entries.len() {
            return bad(index.len());
        }
        Ok(Self::from_parts(entries, index, names))
    }

    /// Storage vectors for `dirs` directories at the recommended sizes
    /// ([`index_len_for`], [`name_bytes_for`]), to pass to
    /// [`new`](Self::new).
    #[cfg(feature = "std")]
    pub fn vecs(
        dirs: usize,
    ) -> (
        std::vec::Vec<DirEntry>,
        std::vec::Vec<u32>,
        std::vec::Vec<u8>,
    ) {
        (
            std::vec![DirEntry::EMPTY; dirs],
            std::vec![0; index_len_for(dirs)],
            std::vec![0; name_bytes_for(dirs)],
        )
    }
}

impl<const DIRS: usize, const INDEX: usize, const NAMES: usize>
    FixedTreeStorage<DIRS, INDEX, NAMES>
{
    /// Empty fixed storage; `const`, so it can initialise a `static`.
    pub const fn fixed() -> Self {
        Self::from_parts(Fixed::new(), Fixed::new(), Fixed::new())
    }
}

#[cfg(feature = "std")]
impl GrowingTreeStorage {
    /// Storage that starts empty and grows with the tree, with no cap of
    /// its own (the kernel's `max_user_watches` is one).
    pub const fn growing() -> Self {
        Self::from_parts(Growing::new(), Growing::new(), Growing::new())
    }

    /// Storage that grows with the tree up to `dirs` directories (then a
    /// new directory is [`ErrorKind::TableFull`]); the names of that many
    /// directories always fit.
    pub const fn growing_up_to(dirs: usize) -> Self {
        Self::from_parts(
            Growing::with_max_len(dirs),
            Growing::with_max_len(index_len_for(dirs)),
            Growing::with_max_len(dirs.saturating_mul(PATH_MAX + 2)),
        )
    }
}

/// Bytes of storage per directory at the recommended sizes, not counting
/// its name: a [`DirEntry`] and two index cells.
pub const BYTES_PER_DIR: usize = core::mem::size_of::<DirEntry>() + 2 * core::mem::size_of::<u32>();

impl TreeEvent<'_> {
    /// Whether this came from the kernel or a listing (not one of the
    /// tree's own reports).
    pub fn is_file_event(&self) -> bool {
        matches!(self.kind, TreeEventKind::Kernel | TreeEventKind::Synthetic)
    }
}

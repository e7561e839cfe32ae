//! Recursive watching: whole directory trees, with renames followed,
//! overflow recovered from, and no heap.
//!
//! The rules, storage and sizing are documented on [`InotifyTrees`].

mod driver;
mod getdents;
mod listing;
mod machine;
mod names;
mod table;

#[cfg(feature = "tokio")]
pub(crate) use driver::IDLE;
pub use driver::{InotifyTree, InotifyTrees, KernelBackend, TreeStep};
pub use getdents::OpenDir;
pub use listing::{LISTING_LEN, Listing};
pub use machine::{DirFilter, TreeBackend, TreeMachine, TreeReport};
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
    /// flat loop's [`WatcherItem::Idle`](crate::WatcherItem::Idle). `dir` and `name` are
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
/// [`InotifyTrees`](InotifyTrees#storage-and-sizing) for the sizes).
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
/// [`tree_index_len_for`]`(DIRS)` is the rule), `NAMES` name bytes
/// ([`tree_name_bytes_for`]`(DIRS)`). `const`, `no_std`, never allocates.
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
pub const fn tree_index_len_for(dirs: usize) -> usize {
    dirs.saturating_mul(2).saturating_add(1)
}

/// Name bytes for `dirs` directories of typical names: 16 each, for at
/// least 16 directories (each name takes at least 4; a root's, its whole
/// path and 2).
pub const fn tree_name_bytes_for(dirs: usize) -> usize {
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
    /// must be longer than `entries` ([`tree_index_len_for`] is the rule);
    /// `names` holds their names ([`tree_name_bytes_for`]). The slices are
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
    /// ([`tree_index_len_for`], [`tree_name_bytes_for`]), to pass to
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
            std::vec![0; tree_index_len_for(dirs)],
            std::vec![0; tree_name_bytes_for(dirs)],
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
            Growing::with_max_len(tree_index_len_for(dirs)),
            Growing::with_max_len(dirs.saturating_mul(PATH_MAX + 2)),
        )
    }
}

/// Bytes of storage per directory at the recommended sizes, not counting
/// its name: a [`DirEntry`] and two index cells.
pub const TREE_BYTES_PER_DIR: usize =
    core::mem::size_of::<DirEntry>() + 2 * core::mem::size_of::<u32>();

impl TreeEvent<'_> {
    /// Whether this came from the kernel or a listing (not one of the
    /// tree's own reports).
    pub fn is_file_event(&self) -> bool {
        matches!(self.kind, TreeEventKind::Kernel | TreeEventKind::Synthetic)
    }
}

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
//!   (24 bytes plus the name, at the recommended sizes). A full path is
//!   built, into a fixed `PATH_MAX` buffer, only when an event needs it.
//! - **Renames in O(1).** `IN_MOVED_FROM` and `IN_MOVED_TO` are paired by
//!   cookie in a small bounded list (a pair split across two reads
//!   included); the moved directory's own `IN_MOVE_SELF`, which the kernel
//!   queues right after, names the watch, and that one entry is re-parented.
//!   Events inside the renamed directory, and its `IN_MOVE_SELF`, carry the
//!   new path. A directory moved out of the tree (no `IN_MOVED_TO` before
//!   its `IN_MOVE_SELF`) has its subtree's watches removed; one moved in
//!   from outside is watched and listed like a new one.
//! - **Paths can be stale; watches cannot.** Events are handled after the
//!   fact: by then a directory's path may name another directory
//!   (`mv logs logs.1; mkdir logs`). So before listing a directory while
//!   events are queued, before watching a child an event names, and before
//!   trusting a rename pairing, the tree asks the kernel whether the path
//!   still leads to the expected watch (`inotify_add_watch` returns the
//!   existing descriptor); if not, it looks again once the queued renames
//!   are applied. A directory that a listing finds watched elsewhere
//!   follows its rename when that rename's `IN_MOVE_SELF` comes.
//! - **Removal.** `IN_IGNORED` removes the entry (reported as a
//!   [`TreeEventKind::Kernel`] event with `IN_IGNORED`, whatever the mask).
//!   A root deleted, moved away, or unmounted is reported as
//!   [`TreeEventKind::RootGone`] and that root ends; the others go on.
//! - **Overflow.** [`TreeEventKind::Overflow`] is reported, then every
//!   directory is listed again: directories that appeared are watched and
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
//! # Sizing
//!
//! [`TreeStorage`] takes three slices: one [`DirEntry`] per directory, an
//! index of `u32` at least one longer (twice as long keeps lookups short),
//! and name bytes (about 16 per directory for typical names; each name takes
//! at least 4). A `std` program can size them at run time, e.g. from
//! `/proc/sys/fs/inotify/max_user_watches`, with [`TreeStorage::vecs`].

mod driver;
mod list;
mod listing;
mod machine;
mod names;
mod table;

pub use driver::{InotifyTree, InotifyTrees, KernelBackend};
pub use list::OpenDir;
pub use listing::{LISTING_LEN, Listing};
pub use machine::{Backend, DirFilter, Machine, Report};
pub use table::DirEntry;

use crate::error::{Error, ErrorKind, Operation};
use crate::mask::EventMask;

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
}

/// The caller's storage for a tree: directories, their index, their names.
#[derive(Debug)]
pub struct TreeStorage<'s> {
    entries: &'s mut [DirEntry],
    index: &'s mut [u32],
    names: &'s mut [u8],
}

impl<'s> TreeStorage<'s> {
    /// Room for `entries.len()` directories. `index` must be longer than
    /// `entries` (twice as long is recommended); `names` holds their names.
    /// The slices are overwritten.
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
        Ok(Self {
            entries,
            index,
            names,
        })
    }

    /// Storage vectors for `dirs` directories at the recommended sizes
    /// (index twice as long, 16 name bytes per directory), to pass to
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
            std::vec![0; 2 * dirs + 1],
            std::vec![0; 16 * dirs.max(16)],
        )
    }

    pub(crate) fn into_parts(self) -> (&'s mut [DirEntry], &'s mut [u32], &'s mut [u8]) {
        (self.entries, self.index, self.names)
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

//! The driver: [`InotifyTrees`] and [`InotifyTree`] run the
//! [`TreeMachine`] against the kernel, through an [`Inotify`], the tree's
//! storage and a read buffer, each owned or borrowed as the caller chose.

use super::TreeEventKind;
use super::getdents::{DIRENT_BUF, OpenDir, open_dir, read_dir};
use super::listing::Listing;
use super::machine::{DirFilter, TreeBackend, TreeMachine, TreeReport};
use super::{BorrowedTreeStorage, RootId, TreeEvent, TreeStore};
use crate::error::{Error, ErrorKind, Operation};
use crate::event::{Cursor, HEADER_LEN, MIN_BUFFER_LEN};
use crate::inotify::{Inotify, now};
use crate::mask::EventMask;
use crate::mask::WatchMask;
use crate::path::PathBytes;
use crate::watcher::Batching;
use crate::watcher::batch::Rate;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::time::Duration;
use rustix::fd::AsFd;
use rustix::fs::inotify;
use rustix::io::Errno;

/// The kernel as a [`TreeBackend`]: an [`Inotify`] for watches, `getdents64`
/// into a fixed 4 KiB buffer for listings.
pub struct KernelBackend {
    inotify: Inotify,
    dirent: [MaybeUninit<u8>; DIRENT_BUF],
}

impl KernelBackend {
    /// Wraps an inotify instance.
    pub fn new(inotify: Inotify) -> Self {
        Self {
            inotify,
            dirent: [MaybeUninit::uninit(); DIRENT_BUF],
        }
    }

    /// The inotify instance.
    pub fn inotify(&self) -> &Inotify {
        &self.inotify
    }
}

impl TreeBackend for KernelBackend {
    type Dir = OpenDir;

    fn add_watch(&mut self, path: &CStr, mask: WatchMask) -> Result<i32, Errno> {
        // Straight to the system call: the engine's `add_watch` would copy
        // the path again and, with `std`, allocate it into an error.
        let flags = inotify::WatchFlags::from_bits_retain(mask.bits());
        inotify::add_watch(self.inotify.as_fd(), path, flags)
    }

    fn remove_watch(&mut self, wd: i32) {
        let _ = inotify::remove_watch(self.inotify.as_fd(), wd);
    }

    fn open_dir(&mut self, path: &CStr) -> Result<OpenDir, Errno> {
        open_dir(path)
    }

    fn read_dir(&mut self, dir: &mut OpenDir, into: &mut Listing) -> Result<bool, Errno> {
        read_dir(dir, &mut self.dirent, into)
    }

    fn events_pending(&mut self) -> bool {
        // FIONREAD: one cheap ioctl, no path lookup.
        self.inotify.queued_bytes().map_or(true, |n| n > 0)
    }
}

/// Several directory trees watched recursively through one inotify
/// instance: PyInotify's `InotifyTrees`.
///
/// Storage is the caller's choice: `S` is the [`TreeStore`] (directories and their names: fixed,
/// borrowed or growing, see [`crate::storage`]), `R` the buffer events are
/// read into (an array, a `Vec`, or `&mut [u8]`). With owned storage and
/// buffer the tree is `'static` and can be moved into a thread.
///
/// [`InotifyTree`] watches one tree, [`InotifyTrees`] several through one
/// inotify instance. Both are a thin driver around [`TreeMachine`], a sans-IO
/// state machine that is fed kernel events and directory listings and asks
/// a [`TreeBackend`] to add and remove watches: the tests run the same machine
/// against a model filesystem, and the fuzz target feeds it arbitrary
/// events.
///
/// # The rules
///
/// - **Watch, then list.** A new directory (created, or moved in from
///   outside) gets its watch first, then is listed with `getdents64`; what
///   the listing finds is reported as [`TreeEventKind::Synthetic`]
///   `IN_CREATE` events (`IN_ISDIR` for directories), and its
///   subdirectories are watched and listed in turn. A file created before
///   the watch existed is never missed; it may be reported twice (once
///   from the listing, once from the kernel).
/// - **Compact table.** Each directory is (parent, own name): a 16-byte
///   [`DirEntry`], its name in the name storage, and two `u32` index cells
///   (24 bytes plus the name; see [Storage and sizing](#storage-and-sizing)). A full path is
///   built, into a fixed `PATH_MAX` buffer, only when an event needs it.
/// - **Renames in O(1).** `IN_MOVED_FROM` and `IN_MOVED_TO` are paired by
///   cookie in a small bounded list (8 renames; a pair split across two
///   reads included); the moved directory's own `IN_MOVE_SELF`, which the
///   kernel queues right after, names the watch, and that one entry is
///   re-parented. Events inside the renamed directory, and its
///   `IN_MOVE_SELF`, carry the new path. A directory moved out of the tree
///   (no `IN_MOVED_TO` before its `IN_MOVE_SELF`) has its subtree's watches
///   removed; one moved in from outside is watched and listed like a new
///   one. More renames in flight than the list holds (a rename burst)
///   never cost a rescan: the oldest waiting rename is settled (where it
///   landed is watched as new, and a late `IN_MOVE_SELF` still follows it).
/// - **Paths can be stale; watches cannot.** Events are handled after the
///   fact: by then a directory's path may name another directory
///   (`mv logs logs.1; mkdir logs`). The tree asks the kernel whether a
///   path still leads to the expected watch (`inotify_add_watch` returns
///   the existing descriptor: one path lookup) only where the answer
///   matters: before watching a new child an event names in a directory
///   other than a root, when a child an event named has vanished, when a
///   directory turns up at a second path, and for a rename pairing only
///   while the table may be ahead of the queue (after a rescan, until a
///   read finds the queue empty). Otherwise a pairing is trusted: the
///   kernel queues a rename's three events together. A directory found
///   stale is listed again once its path leads to it (the rename queued
///   behind is applied), looked at after each batch while events are
///   queued; a directory that a listing finds watched elsewhere follows
///   its rename when that rename's `IN_MOVE_SELF` comes. Only when no
///   event is left and a path is still stale (a rename the kernel never
///   showed this tree, e.g. inside a directory not watched yet) comes the
///   bounded fallback, [`TreeEventKind::Relisted`]: the nearest ancestor
///   still at its path is listed again (one level further up each time it
///   is needed, that subtree only, never the whole tree) and a watched
///   directory found there under another name is followed; one not found
///   even below its root is dropped. Log rotation and rename bursts, which
///   the kernel's queue holds, cost neither a rescan nor a fallback.
/// - **Removal.** `IN_IGNORED` removes the entry (reported as a
///   [`TreeEventKind::Kernel`] event with `IN_IGNORED`, whatever the mask).
///   A root deleted, moved away, or unmounted is reported as
///   [`TreeEventKind::RootGone`] and that root ends; the others go on.
/// - **Overflow.** [`TreeEventKind::Overflow`] is reported, then (the only
///   time the whole tree is read again) every directory is listed again: directories that appeared are watched and
///   reported (synthetic `IN_CREATE`, with their contents), renames lost in
///   the overflow are followed (the watch descriptor says where a directory
///   went), vanished directories are dropped, and
///   [`TreeEventKind::Rescanned`] says it is done. Files created in known
///   directories during the overflow cannot be told apart from old ones:
///   re-examine what matters after `Rescanned`.
/// - **Symlinks are never followed** below the root: `d_type` (and
///   `statat(AT_SYMLINK_NOFOLLOW)` for `DT_UNKNOWN`) decides what is a
///   directory, watches are added with `IN_ONLYDIR | IN_DONT_FOLLOW` on
///   paths without a trailing slash, listings opened with
///   `O_DIRECTORY | O_NOFOLLOW`. The root itself is the path the user
///   named and is followed if it is a symlink, as inotifywait does. A
///   directory reached twice (a bind mount) is watched once: the second is
///   reported as [`TreeEventKind::Skipped`] with `EEXIST`.
/// - **Our own listing does not flood the queue.** Listing a directory
///   makes the kernel queue `IN_OPEN`, `IN_ACCESS` and `IN_CLOSE_NOWRITE`
///   on its watch and its parent's. So a walk adds its watches without
///   those three bits, and gives every watch its full mask again
///   (`inotify_add_watch` once more) only when the walk has listed
///   everything; a rescan first lowers every watch the same way. What the
///   user still sees: for a directory created (or moved in) later, its
///   parent's watch reports our opening and reading it (`OPEN`, `ACCESS`,
///   `CLOSE_NOWRITE` with `ISDIR` and its name), as with inotifywait; and
///   events of those three kinds inside a walked subtree are not reported
///   while the walk runs.
/// - **Excluding directories.** [`InotifyTrees::set_dir_filter`] lets the
///   caller veto a directory, by its full path, before it is watched
///   (`inotifywait --exclude`): it is then neither watched nor listed, and
///   nothing inside it is reported. The filter is asked when a directory
///   is found (set-up, creation, move-in, a rescan's listing), not again
///   when it or an ancestor is renamed inside the tree.
/// - **Masks.** The user's mask filters what is reported; `IN_CREATE`,
///   `IN_MOVED_FROM`, `IN_MOVED_TO`, `IN_DELETE_SELF`, `IN_MOVE_SELF`,
///   `IN_ONLYDIR` and `IN_DONT_FOLLOW` are added silently. `IN_IGNORED`,
///   `IN_UNMOUNT` and overflows are always reported.
/// - **Errors mid-walk.** A directory that vanished is skipped silently
///   (its parent's events say why). One that cannot be watched or listed
///   (`EACCES`, a path longer than `PATH_MAX`) is reported as
///   [`TreeEventKind::Skipped`] and left unwatched. The watch limit and a
///   full table are `Err` items ([`ErrorKind::WatchLimit`] names the sysctl;
///   [`ErrorKind::TableFull`] the capacity in directories,
///   [`ErrorKind::PathStorageFull`] the name storage's in bytes); the
///   directory is left unwatched and the walk goes on. The table is
///   consistent after each.
///
/// [`ErrorKind::WatchLimit`]: crate::ErrorKind::WatchLimit
/// [`ErrorKind::TableFull`]: crate::ErrorKind::TableFull
/// [`ErrorKind::PathStorageFull`]: crate::ErrorKind::PathStorageFull
///
/// # Known limits
///
/// - **Paths between unseen renames.** A rename inside a directory that is
///   not watched yet (just created or moved in, its listing still queued
///   behind the events) queues no event at all, so the paths a watched
///   directory had between such renames are information the kernel never
///   gives. Its events from that time, and those of its subdirectories
///   deleted or moved out meanwhile, are reported under the path the tree
///   finds it at: after `mv t/a/a t/b/sub/a; rm -r t/b/sub/a/a; mv t/b/sub t/b/x/a`
///   (`t/a/a` watched, `t/b` moved in just before, all before the tree
///   reads), the `rm`'s `IN_DELETE_SELF` is reported as `t/b/x/a/a/a/`, a
///   path that never existed. The set of watched directories is still
///   right once the events are read.
/// - **Files created during an overflow** in known directories cannot be
///   told from older ones (see **Overflow** above).
///
/// # Storage and sizing
///
/// A tree keeps, per directory, a 16-byte [`DirEntry`] (watch descriptor,
/// parent, where its name is, flags, child count), two `u32` index cells
/// (a hash index from watch descriptor to entry, kept at least twice as
/// long as the entries), and its name's bytes (at least 4; a root's whole
/// path and 2). That is [`TREE_BYTES_PER_DIR`] = 24 bytes plus the name. The
/// storage is a [`TreeStorage`], of one of three kinds (see
/// [`crate::storage`]):
///
/// - **growing** ([`GrowingTreeStorage`], `std`): starts empty and grows
///   the entries (the index with them, rehashed, twice as long) or the
///   names by an eighth (at least 16 entries or 256 bytes) whenever they
///   are full, during set-up or hours later, up to an optional cap
///   ([`TreeStorage::growing_up_to`]). Its allocations double, so it
///   allocates O(log n) times; only the cells handed to the table are
///   written, so resident memory follows the tree: what the directories
///   use plus at most an eighth. The right choice unless there is no
///   heap.
/// - **fixed** ([`FixedTreeStorage`]): capacities chosen at build time,
///   inside the value, `const`, `no_std`; [`tree_index_len_for`] and
///   [`tree_name_bytes_for`] give the sizes for a number of directories. It
///   fills its cells as the tree grows and never allocates.
/// - **borrowed** ([`BorrowedTreeStorage`]): the caller's slices
///   ([`TreeStorage::new`], [`TreeStorage::vecs`] for the recommended
///   sizes), used whole from the start.
///
/// With fixed or borrowed storage (or growing storage at its cap) a full
/// table is an `Err` item ([`ErrorKind::TableFull`],
/// [`ErrorKind::PathStorageFull`]) and the directory is left unwatched.
///
/// A fixed tree in a `static` (here behind a `std` mutex; a `no_std`
/// program uses any cell it has: `tests/nostd`, built and run by CI with no
/// allocator, keeps one in a `static` cell of its own and watches a tree
/// with it):
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use zinotify::{FixedTreeStorage, InotifyTree, TreeEventKind, tree_index_len_for, tree_name_bytes_for};
/// use zinotify::WatchMask;
///
/// type Storage = FixedTreeStorage<256, { tree_index_len_for(256) }, { tree_name_bytes_for(256) }>;
/// type Tree = InotifyTree<'static, Storage, [u8; 4096]>;
/// static TREE: Mutex<Option<Tree>> = Mutex::new(None);
///
/// let dir = std::env::temp_dir().join(format!("zinotify-static-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("sub")).unwrap();
/// let mut slot = TREE.lock().unwrap();
/// let tree = slot.insert(InotifyTree::new(Storage::fixed(), [0; 4096], &dir, WatchMask::CREATE)?);
/// while tree.next_event(Some(Duration::ZERO)).unwrap()?.kind != TreeEventKind::Ready {}
/// assert_eq!(tree.len(), 2);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), zinotify::Error>(())
/// ```
///
/// ```
/// use std::time::Duration;
/// use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind};
/// use zinotify::WatchMask;
///
/// let a = std::env::temp_dir().join(format!("zinotify-trees-doc-a-{}", std::process::id()));
/// let b = std::env::temp_dir().join(format!("zinotify-trees-doc-b-{}", std::process::id()));
/// std::fs::create_dir_all(a.join("sub")).unwrap();
/// std::fs::create_dir_all(&b).unwrap();
///
/// // Growing storage: starts small, grows with the trees.
/// let storage = GrowingTreeStorage::growing();
/// let mut trees = InotifyTrees::new(storage, vec![0u8; 4096], WatchMask::CREATE)?;
/// let root_a = trees.add_root(&a)?;
/// trees.add_root(&b)?;
/// // Set-up runs inside next_event and ends with Ready.
/// while trees.next_event(Some(Duration::ZERO)).unwrap()?.kind != TreeEventKind::Ready {}
///
/// std::fs::write(a.join("sub/new.txt"), b"").unwrap();
/// let ev = trees.next_event(Some(Duration::from_secs(1))).unwrap()?;
/// assert_eq!(ev.root, Some(root_a));
/// assert_eq!(ev.dir, format!("{}/sub/", a.display()).as_bytes());
/// assert_eq!(ev.name, b"new.txt");
/// # std::fs::remove_dir_all(&a).unwrap();
/// # std::fs::remove_dir_all(&b).unwrap();
/// # Ok::<(), zinotify::Error>(())
/// ```
///
/// [`DirEntry`]: crate::DirEntry
/// [`TREE_BYTES_PER_DIR`]: crate::TREE_BYTES_PER_DIR
/// [`TreeStorage`]: crate::TreeStorage
/// [`GrowingTreeStorage`]: crate::GrowingTreeStorage
/// [`TreeStorage::growing_up_to`]: crate::TreeStorage::growing_up_to
/// [`FixedTreeStorage`]: crate::FixedTreeStorage
/// [`tree_index_len_for`]: crate::tree_index_len_for
/// [`tree_name_bytes_for`]: crate::tree_name_bytes_for
/// [`TreeStorage::new`]: crate::TreeStorage::new
/// [`TreeStorage::vecs`]: crate::TreeStorage::vecs
pub struct InotifyTrees<'s, S: TreeStore = BorrowedTreeStorage<'s>, R = &'s mut [u8]> {
    machine: TreeMachine<'s, KernelBackend, S>,
    buf: R,
    /// The unread part of the current batch.
    cursor: Cursor,
    /// The name of the kernel event last handled, in `buf`.
    name: (usize, usize),
    /// Read before waiting: the descriptor woke up, or the last read filled
    /// the buffer, so more is likely queued.
    readable: bool,
    /// The machine was told the current batch is done.
    batch_ended: bool,
    /// How long to let events pile up before the next read.
    window: Option<Duration>,
    rate: Rate,
    batching: Batching,
}

/// What [`InotifyTrees::poll`] asks its driver to do: the same steps as the
/// flat loop's [`WatcherStep`](crate::sans_io::WatcherStep), for a loop of one's own (a
/// runtime, mio): hand out a report, read, let events pile up, or wait.
#[derive(Debug)]
pub enum TreeStep {
    /// Hand this out with [`InotifyTrees::hand_out`].
    Report(TreeReport),
    /// Hand this error out; the tree stays consistent and goes on.
    Error(Error),
    /// Read what is queued without blocking: [`InotifyTrees::fill`].
    Read,
    /// Let events pile up for `window` before the read, unless `full`
    /// bytes (the buffer's length) are already queued
    /// ([`Inotify::coalesce`]), then poll again.
    Batch {
        /// How long to wait at most.
        window: Duration,
        /// How many queued bytes end the wait at once.
        full: usize,
    },
    /// Nothing to do until the descriptor is readable: wait for it (for as
    /// long as the caller likes), then [`InotifyTrees::woke`]. If the wait
    /// passes, hand out [`TreeEventKind::Idle`].
    Wait,
    /// Nothing is watched any more: the loop ended, hand out `None`.
    Ended,
}

impl<'s, S: TreeStore, R: AsMut<[u8]>> InotifyTrees<'s, S, R> {
    /// A new inotify instance watching no tree yet; `mask` is what to
    /// report (the bookkeeping bits are added silently). `buf` receives
    /// kernel events and must hold at least
    /// [`MIN_BUFFER_LEN`] bytes; 4 to 64 KiB is typical.
    pub fn new(storage: S, mut buf: R, mask: WatchMask) -> Result<Self, Error> {
        let len = buf.as_mut().len();
        if len < MIN_BUFFER_LEN {
            return Err(Error::new(
                Operation::Read,
                ErrorKind::BufferTooSmall { len },
            ));
        }
        let backend = KernelBackend::new(Inotify::new()?);
        Ok(Self {
            machine: TreeMachine::new(storage, backend, mask),
            buf,
            cursor: Cursor::default(),
            name: (0, 0),
            readable: false,
            batch_ended: false,
            window: None,
            rate: Rate::default(),
            batching: Batching::Off,
        })
    }

    /// Sets how a wake-up batches its read, as
    /// [`WatcherConfig::batching`](crate::WatcherConfig::batching) does for
    /// flat watches. Default: [`Batching::Off`].
    pub fn set_batching(&mut self, batching: Batching) {
        self.batching = batching;
    }

    /// Starts watching the tree at `path` (see [`TreeMachine::add_root`]): the
    /// root's watch is added now; it is listed, and its subdirectories
    /// watched, during the following [`next_event`](Self::next_event)
    /// calls, which report [`TreeEventKind::Ready`]
    /// when done.
    pub fn add_root<P: PathBytes + ?Sized>(&mut self, path: &P) -> Result<RootId, Error> {
        self.machine.add_root(path.path_bytes())
    }

    /// Lets the caller veto directories before they are watched, e.g. for
    /// `inotifywait --exclude`: `filter` gets each directory's full path
    /// (no trailing slash) before the tree watches it, and returns `false`
    /// to leave it, and its subtree, unwatched and unlisted. Not an error,
    /// no report; the parent's `IN_CREATE` (or synthetic `IN_CREATE`) for
    /// it is still reported, for the caller to filter. Roots are always
    /// watched. Call it before [`add_root`](Self::add_root). When the
    /// filter is asked, and why a rename does not ask it again: see
    /// [`TreeMachine::set_dir_filter`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind};
    /// use zinotify::WatchMask;
    ///
    /// let dir = std::env::temp_dir().join(format!("zinotify-filter-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("src")).unwrap();
    /// std::fs::create_dir_all(dir.join("target/debug")).unwrap();
    ///
    /// // Any matcher works (a regex, a glob): here, "not named target".
    /// let mut not_target = |path: &[u8]| !path.ends_with(b"/target");
    /// let storage = GrowingTreeStorage::growing();
    /// let mut trees = InotifyTrees::new(storage, [0u8; 4096], WatchMask::CREATE)?;
    /// trees.set_dir_filter(Some(&mut not_target));
    /// trees.add_root(&dir)?;
    /// while trees.next_event(Some(Duration::ZERO)).unwrap()?.kind != TreeEventKind::Ready {}
    /// assert_eq!(trees.len(), 2); // the root and src; not target, nor target/debug
    /// # drop(trees);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), zinotify::Error>(())
    /// ```
    pub fn set_dir_filter(&mut self, filter: Option<DirFilter<'s>>) {
        self.machine.set_dir_filter(filter);
    }

    /// Stops watching a root and its subtree.
    pub fn remove_root(&mut self, root: RootId) {
        self.machine.remove_root(root);
    }

    /// The next event: set-up and listing work first, then the kernel's
    /// events, waiting for at most `timeout` (`None`: forever) when there
    /// is nothing to do. When the wait ends with nothing to report (the
    /// time passed, or only events the tree handles itself came), the event
    /// is [`TreeEventKind::Idle`], PyInotify's `None`. `None` means the loop
    /// ended, as for [`Watcher::next`](crate::Watcher::next): nothing is
    /// watched any more (every root is gone or removed, or none was added),
    /// which is when inotifywait exits. An `Err` item does not end the
    /// stream: the tree stays consistent and the next call goes on.
    ///
    /// System calls per idle wake-up: `epoll_wait`, then `read`.
    pub fn next_event(
        &mut self,
        timeout: Option<Duration>,
    ) -> Option<Result<TreeEvent<'_>, Error>> {
        let mut waited = false;
        let report = loop {
            match self.poll() {
                TreeStep::Report(report) => break report,
                TreeStep::Error(err) => return Some(Err(err)),
                TreeStep::Ended => return None,
                TreeStep::Read => {
                    let read =
                        self.fill(|inotify, buf| Ok(inotify.read_events(buf)?.remaining().len()));
                    if let Err(err) = read {
                        return Some(Err(err));
                    }
                }
                TreeStep::Batch { window, full } => {
                    if let Err(err) = self.inotify().coalesce(full, window) {
                        return Some(Err(err));
                    }
                }
                TreeStep::Wait if waited => return Some(Ok(IDLE)),
                TreeStep::Wait => match self.inotify().wait(timeout) {
                    Ok(true) => {
                        // Waiting forever never ends idle: keep waiting.
                        waited = timeout.is_some();
                        self.woke(&mut now);
                    }
                    Ok(false) => return Some(Ok(IDLE)),
                    Err(err) => return Some(Err(err)),
                },
            }
        };
        Some(Ok(self.hand_out(&report)))
    }

    /// What to do next, without blocking: set-up and listing work, then
    /// the events already read; see [`TreeStep`]. The steps of
    /// [`next_event`](Self::next_event), for a driver of one's own.
    pub fn poll(&mut self) -> TreeStep {
        let buf = self.buf.as_mut();
        loop {
            if let Some(r) = self.machine.step() {
                // Work done since the batch ended: end it again before the
                // next read, as after every report.
                self.batch_ended = false;
                return match r {
                    Ok(r) => TreeStep::Report(r),
                    Err(e) => TreeStep::Error(e),
                };
            }
            if let Some(parsed) = self.cursor.next(buf) {
                let (at, ev) = match parsed {
                    Ok(parsed) => parsed,
                    Err(err) => return TreeStep::Error(err.into()),
                };
                self.rate.took();
                self.name = (at + HEADER_LEN, ev.name.len());
                match self.machine.handle(&ev) {
                    Some(Ok(r)) => return TreeStep::Report(r),
                    Some(Err(e)) => return TreeStep::Error(e),
                    None => continue,
                }
            }
            if !self.batch_ended {
                self.batch_ended = true;
                self.machine.end_batch();
                // end_batch may have started work (a relisting).
                continue;
            }
            if self.readable || self.machine.has_pending_moves() {
                // With renames awaiting their IN_MOVE_SELF, a read tells
                // whether the queue is empty (see `fill`).
                return match self.window.take() {
                    Some(window) => TreeStep::Batch {
                        window,
                        full: buf.len(),
                    },
                    None => TreeStep::Read,
                };
            }
            if self.machine.is_empty() {
                return TreeStep::Ended;
            }
            return TreeStep::Wait;
        }
    }

    /// Does the read [`TreeStep::Read`] asks for: `read` fills the buffer
    /// (from the instance given, or a duplicate of its descriptor) without
    /// blocking and returns the bytes read (0 when nothing is queued). Its error is returned as is, and the read is asked for
    /// again.
    pub fn fill<E>(
        &mut self,
        read: impl FnOnce(&Inotify, &mut [u8]) -> Result<usize, E>,
    ) -> Result<(), E> {
        let buf = self.buf.as_mut();
        let len = read(self.machine.backend().inotify(), buf)?;
        self.cursor.filled(len);
        if len == 0 {
            self.readable = false;
            if self.machine.has_pending_moves() {
                // Nothing queued: renames still waiting for their
                // IN_MOVE_SELF never get one; deal with them now.
                self.machine.queue_empty();
                // What that settled may need the end-of-batch work again.
                self.batch_ended = false;
            }
        } else {
            self.batch_ended = false;
            // As the flat loop: a read that left less room than the largest
            // event may have left more queued; otherwise wait, which costs
            // no more than a read that finds nothing.
            self.readable = len + MIN_BUFFER_LEN > buf.len();
        }
        Ok(())
    }

    /// The wait [`TreeStep::Wait`] asked for ended with the descriptor
    /// readable. `clock` reads the monotonic clock, for adaptive batching.
    pub fn woke(&mut self, clock: &mut impl FnMut() -> Duration) {
        self.readable = true;
        self.window = self.rate.window(self.batching, clock);
    }

    /// The event of a [`TreeStep::Report`], borrowing the tree's buffers.
    pub fn hand_out(&mut self, report: &TreeReport) -> TreeEvent<'_> {
        let (start, len) = self.name;
        let buf: &[u8] = self.buf.as_mut();
        self.machine.event(report, &buf[start..start + len])
    }

    /// How many directories are watched.
    pub fn len(&self) -> usize {
        self.machine.len()
    }

    /// Whether no directory is watched.
    pub fn is_empty(&self) -> bool {
        self.machine.is_empty()
    }

    /// The sans-IO machine inside (paths of every watched directory,
    /// invariants, capacities).
    pub fn machine(&self) -> &TreeMachine<'s, KernelBackend, S> {
        &self.machine
    }

    /// The inotify instance, e.g. to register it in an event loop (it
    /// implements `AsFd`); call [`next_event`](Self::next_event) with
    /// `Some(Duration::ZERO)` when it is readable.
    pub fn inotify(&self) -> &Inotify {
        self.machine.backend().inotify()
    }
}

/// One directory tree watched recursively: PyInotify's `InotifyTree`.
///
/// ```
/// use std::time::Duration;
/// use zinotify::{DirEntry, InotifyTree, TreeEventKind, TreeStorage};
/// use zinotify::{EventMask, WatchMask};
///
/// let dir = std::env::temp_dir().join(format!("zinotify-tree-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
///
/// // Room for 1000 directories in the caller's slices, with no heap.
/// let mut entries = [DirEntry::EMPTY; 1000];
/// let mut index = [0u32; 2001];
/// let mut names = [0u8; 16_000];
/// let storage = TreeStorage::new(&mut entries, &mut index, &mut names)?;
/// let mut buf = [0u8; 4096];
/// let mut tree = InotifyTree::new(storage, &mut buf[..], &dir, WatchMask::CREATE)?;
/// while tree.next_event(Some(Duration::ZERO)).unwrap()?.kind != TreeEventKind::Ready {}
///
/// // A directory and a file made in it at once: the file is seen, with
/// // its full path, from the new directory's listing or its watch.
/// std::fs::create_dir_all(dir.join("a/b")).unwrap();
/// std::fs::write(dir.join("a/b/f"), b"").unwrap();
/// let mut seen = Vec::new();
/// while let Some(ev) = tree.next_event(Some(Duration::from_millis(200))) {
///     let ev = ev?;
///     if ev.kind == TreeEventKind::Idle {
///         break; // 200 ms passed with nothing to report
///     }
///     seen.push(format!("{}{}", String::from_utf8_lossy(ev.dir), String::from_utf8_lossy(ev.name)));
/// }
/// assert!(seen.contains(&format!("{}/a/b/f", dir.display())));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), zinotify::Error>(())
/// ```
pub struct InotifyTree<'s, S: TreeStore = BorrowedTreeStorage<'s>, R = &'s mut [u8]> {
    trees: InotifyTrees<'s, S, R>,
    root: RootId,
}

impl<'s, S: TreeStore, R: AsMut<[u8]>> InotifyTree<'s, S, R> {
    /// Watches the tree at `root` recursively for the events in `mask`. A
    /// missing root is an error here; the rest of the set-up happens during
    /// the first [`next_event`](Self::next_event) calls and ends with
    /// [`TreeEventKind::Ready`].
    pub fn new<P: PathBytes + ?Sized>(
        storage: S,
        buf: R,
        root: &P,
        mask: WatchMask,
    ) -> Result<Self, Error> {
        let mut trees = InotifyTrees::new(storage, buf, mask)?;
        let root = trees.add_root(root)?;
        Ok(Self { trees, root })
    }

    /// The next event; see [`InotifyTrees::next_event`].
    pub fn next_event(
        &mut self,
        timeout: Option<Duration>,
    ) -> Option<Result<TreeEvent<'_>, Error>> {
        self.trees.next_event(timeout)
    }

    /// The root's id (every event of this tree carries it).
    pub fn root(&self) -> RootId {
        self.root
    }

    /// How many directories are watched.
    pub fn len(&self) -> usize {
        self.trees.len()
    }

    /// Whether no directory is watched (the root is gone).
    pub fn is_empty(&self) -> bool {
        self.trees.is_empty()
    }

    /// The sans-IO machine inside.
    pub fn machine(&self) -> &TreeMachine<'s, KernelBackend, S> {
        self.trees.machine()
    }

    /// The inotify instance.
    pub fn inotify(&self) -> &Inotify {
        self.trees.inotify()
    }
}

/// What a wait with nothing to report hands out (the blocking and the
/// async drivers alike).
pub(crate) const IDLE: TreeEvent<'static> = TreeEvent {
    kind: TreeEventKind::Idle,
    mask: EventMask::empty(),
    cookie: 0,
    dir: &[],
    name: &[],
    root: None,
    wd: None,
};

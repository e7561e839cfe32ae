//! The sans-IO state machine: the table, the pending renames, and the walk
//! that lists new directories. It never makes a system call itself: it asks
//! its [`TreeBackend`] (the kernel in [`InotifyTrees`](super::InotifyTrees), a
//! model filesystem in the tests and the fuzz target) to add and remove
//! watches and to list directories, and it is fed parsed kernel events.

use super::listing::Listing;
use super::table::{NONE, Table, flag};
use super::{BorrowedTreeStorage, RootId, TreeEvent, TreeEventKind, TreeStore};
use crate::error::{Error, ErrorKind, Operation, PATH_MAX};
use crate::event::{Event, NAME_MAX};
use crate::inotify::WatchDescriptor;
use crate::mask::{EventMask, WatchMask};
use arrayvec::ArrayVec;
use core::ffi::CStr;
use rustix::io::Errno;

mod events;
mod renames;
mod walk;

use renames::{Hint, Move, Renames, name_of};

/// What the machine needs from the outside world. The kernel
/// implementation is [`KernelBackend`](super::KernelBackend).
pub trait TreeBackend {
    /// An open directory being listed.
    type Dir;
    /// `inotify_add_watch(path, mask)`: the watch descriptor. On a path
    /// already watched, the mask replaces the watch's, or with
    /// `IN_MASK_ADD` is OR-ed into it, as the kernel does.
    ///
    /// The machine replaces a mask only to lower it (an overflow's rescan,
    /// which lists everything afterwards): Linux replaces a mask by
    /// clearing it and then setting the new one, and an event that comes
    /// in between is lost (`inotify_update_existing_watch`; seen as
    /// directories missed when another process creates them fast while a
    /// plain `inotify_add_watch` re-asked about their parent). Every other
    /// call, including the path checks, OR-s its mask in.
    fn add_watch(&mut self, path: &CStr, mask: WatchMask) -> Result<i32, Errno>;
    /// `inotify_rm_watch(wd)`; errors are of no interest (the watch is gone
    /// either way).
    fn remove_watch(&mut self, wd: i32);
    /// Opens a directory for listing, never following a symlink.
    fn open_dir(&mut self, path: &CStr) -> Result<Self::Dir, Errno>;
    /// Pushes entries (not `.` and `..`) into `into` until it is full
    /// (returns `Ok(false)`; the next call resumes there) or the directory
    /// ends (`Ok(true)`). `is_dir` must come from `d_type` or, when that is
    /// `DT_UNKNOWN`, from a `stat` that does not follow symlinks.
    fn read_dir(&mut self, dir: &mut Self::Dir, into: &mut Listing) -> Result<bool, Errno>;
    /// Whether events are waiting to be read. While none are, no rename is
    /// pending and every path in the table is current, so listings skip
    /// checking that their path still leads to their watch. `true` (the
    /// default) always checks.
    fn events_pending(&mut self) -> bool {
        true
    }
}

/// Bits every watch carries for the bookkeeping, whatever the user asked.
const BOOKKEEPING: WatchMask = WatchMask::CREATE
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF)
    .union(WatchMask::ONLYDIR);
/// What listing a directory makes the kernel queue on its own watch and on
/// its parent's: left out of a watch until its subtree is listed.
const LISTING_NOISE: WatchMask = WatchMask::OPEN
    .union(WatchMask::ACCESS)
    .union(WatchMask::CLOSE_NOWRITE);
/// How many renames can wait for their `IN_MOVE_SELF` at once.
const MOVES: usize = 8;
/// How many stale directories wait in a list to be listed again; more
/// are marked in the table (and found by a scan of it).
const RECHECKS: usize = 16;

/// A report the machine produced: turn it into a [`TreeEvent`] with
/// [`TreeMachine::event`]. Plain data, so a driver can leave its loop before
/// borrowing the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeReport {
    kind: TreeEventKind,
    mask: EventMask,
    cookie: u32,
    root: Option<RootId>,
    wd: Option<WatchDescriptor>,
    dir_len: usize,
    name: NameAt,
}

/// Where a report's file name lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameAt {
    None,
    /// In the kernel event being handled (the driver's buffer).
    Kernel,
    Listing(usize, usize),
    Scratch,
}

/// Work left over from one event, done at the next [`TreeMachine::step`].
#[derive(Debug)]
enum Deferred {
    /// A directory could not be watched or listed: report it.
    Skipped {
        slot: u32,
        operation: Operation,
        kind: ErrorKind,
    },
    Error(Error),
    /// A root was deleted or moved away: report, then drop its subtree.
    RootGone(u32),
}

/// A directory whose path went stale, to list again.
#[derive(Clone, Copy, Debug)]
struct Recheck {
    slot: u32,
    wd: i32,
    /// How many ancestors up the fallback listed, looking for it (see
    /// [`TreeMachine::end_batch`]).
    climbed: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    List,
    Raise,
    Sweep(u32),
    Finish,
}

/// The walk: lists every `UNLISTED` entry, lowest slot first, then raises
/// the masks of what it listed.
#[derive(Debug)]
struct Walk<D> {
    active: bool,
    phase: Phase,
    /// Why it runs: what it reports when it ends.
    kind: WalkKind,
    /// Roots were added: report `Ready` when it ends (before any other
    /// ending).
    setup: bool,
    /// No unlisted entry is below this slot.
    cursor: u32,
    /// No entry of this walk is below this slot.
    lo: u32,
    /// The directory being listed, and whether its entries are reported.
    dir: Option<D>,
    slot: u32,
    report: bool,
    /// Listing a directory again: report only directories not known.
    relist: bool,
    /// Ask whether the directory being listed is still at its path once
    /// it is listed.
    verify: bool,
}

/// Why a walk runs. A walk started for one reason takes in the
/// directories found for another until it ends; a rescan takes over
/// whatever was running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WalkKind {
    /// New directories (created, moved in, roots added): ends silently.
    Grow,
    /// Directories in doubt, the bounded fallback: a known watch found at
    /// another place moves there, as in a rescan. Ends with `Relisted`.
    Relist,
    /// Everything, after an overflow. Ends with `Rescanned`.
    Rescan,
}

/// The caller's veto on directories, see [`TreeMachine::set_dir_filter`]:
/// given a directory's full path (no trailing slash), `true` to watch it.
pub type DirFilter<'f> = &'f mut (dyn FnMut(&[u8]) -> bool + Send + Sync);

/// The masks derived from the user's.
#[derive(Clone, Copy, Debug)]
struct Masks {
    report: EventMask,
    full: WatchMask,
    reduced: WatchMask,
}

/// The recursive-watch state machine over the caller's [`TreeStore`]
/// (borrowed slices unless said otherwise).
///
/// Drive it like [`InotifyTrees`](super::InotifyTrees) does: call
/// [`step`](Self::step) until it returns `None`, then feed the next kernel
/// event to [`handle`](Self::handle); before reading a new batch of events
/// call [`end_batch`](Self::end_batch). Every `Some` is one report for the
/// user, to be turned into a [`TreeEvent`] with [`event`](Self::event).
pub struct TreeMachine<'s, B: TreeBackend, S: TreeStore = BorrowedTreeStorage<'s>> {
    backend: B,
    table: Table<S>,
    masks: Masks,
    /// Renames waiting for their `IN_MOVE_SELF`, and where listings found
    /// directories whose renames are still queued.
    renames: Renames,
    batch: u32,
    walk: Walk<B::Dir>,
    listing: Listing,
    deferred: Option<Deferred>,
    /// Entries to list again at the end of the batch.
    rechecks: ArrayVec<Recheck, RECHECKS>,
    /// More are marked `RELIST` (without `UNLISTED`) in the table.
    spilled: bool,
    /// A rescan listed the filesystem as it is now while older events were
    /// still queued: the table may be ahead of the queue, so rename
    /// pairings are checked with the kernel until a read finds the queue
    /// empty.
    ahead: bool,
    scratch: ArrayVec<u8, NAME_MAX>,
    path: [u8; PATH_MAX],
    filter: Option<DirFilter<'s>>,
}

/// Errors meaning "that directory is not there (any more)": skipped
/// silently, its parent's events say what happened.
fn vanished(errno: Errno) -> bool {
    matches!(errno, Errno::NOENT | Errno::NOTDIR | Errno::LOOP)
}

/// Why the machine looks for a directory at a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// A listing of its parent found it: the parent's path is right.
    Listing,
    /// An event of its parent (created, moved in from outside): the
    /// parent's path may be stale.
    Event,
    /// A rename landed there whose `IN_MOVE_SELF` is not coming (see
    /// `expire_moves`): a known directory found there is that rename's.
    Landed,
}

/// What a watch already in the table, found at a parent's path + a name,
/// is there ([`TreeMachine::classify`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// That parent's child of that name already.
    Same,
    /// Put under another parent by a listing that went through a stale
    /// path (another process renaming meanwhile): it belongs here.
    Misplaced,
    /// Moved here by a rename the tree will not hear of: lost in an
    /// overflow, or its `IN_MOVE_SELF` never came (the watch was added as
    /// the directory moved). Followed now.
    MovedUnheard,
    /// Moved here by a rename still queued: followed at its
    /// `IN_MOVE_SELF`.
    MovedQueued,
    /// The same directory reached a second way (a bind mount); or a root,
    /// a directory this rescan already found elsewhere, or one found below
    /// itself: kept where it is.
    SecondPath,
}

enum Child {
    Watched,
    /// The parent's path was stale: nothing done.
    ParentStale,
    /// Not there (any more): deleted, renamed, or a symlink.
    Vanished,
    Known,
    /// Vetoed by the caller's filter: left alone, silently.
    Excluded,
    Skipped(Operation, ErrorKind),
    Failed(Error),
}

impl<'s, B: TreeBackend, S: TreeStore> TreeMachine<'s, B, S> {
    /// A machine with no roots. `mask` is what the user wants reported;
    /// `IN_ONESHOT`, `IN_MASK_ADD` and `IN_MASK_CREATE` are ignored (they
    /// would break the bookkeeping), `IN_EXCL_UNLINK` is kept.
    /// `IN_DONT_FOLLOW` applies to a root that is not a directory (a
    /// symlink to a file is then watched itself, as `inotifywait -r -P`
    /// does); a directory root is always followed, nothing below a root
    /// ever is.
    pub fn new(storage: S, backend: B, mask: WatchMask) -> Self {
        let events = mask & WatchMask::ALL_EVENTS;
        let kept = WatchMask::EXCL_UNLINK | WatchMask::DONT_FOLLOW;
        let full = events | BOOKKEEPING | (mask & kept);
        Self {
            backend,
            table: Table::new(storage),
            masks: Masks {
                report: EventMask::from_bits_retain(events.bits()),
                full,
                reduced: full - LISTING_NOISE,
            },
            renames: Renames::default(),
            batch: 0,
            walk: Walk {
                active: false,
                phase: Phase::List,
                kind: WalkKind::Grow,
                setup: false,
                cursor: 0,
                lo: 0,
                dir: None,
                slot: NONE,
                report: false,
                relist: false,
                verify: false,
            },
            listing: Listing::new(),
            deferred: None,
            rechecks: ArrayVec::new(),
            spilled: false,
            ahead: false,
            scratch: ArrayVec::new(),
            path: [0; PATH_MAX],
            filter: None,
        }
    }

    /// Lets the caller veto directories before they are watched
    /// (`inotifywait --exclude`): `filter` gets the directory's full path,
    /// without a trailing slash, and returns `false` to leave it (and so
    /// everything below it) unwatched and unlisted. A vetoed directory is
    /// not an error and gets no report of its own; its parent's events
    /// about it (its `IN_CREATE`, or the synthetic one from a listing) are
    /// reported as usual, for the caller to filter. `None` watches every
    /// directory (the default). It allocates nothing and calls `filter`
    /// only on the caller's thread, from the tree's own calls.
    ///
    /// The filter is asked when the tree looks for a directory at a path:
    /// during set-up, when one is created or moved in from outside the
    /// tree, and when a rescan after an overflow lists its parent (a
    /// directory it now vetoes is then dropped). Roots are always watched.
    /// A directory already watched that is renamed inside the tree is
    /// followed, not asked about again, and neither is its subtree when an
    /// ancestor is renamed: re-deciding would cost a walk of the subtree,
    /// against the O(1) renames. Set it before [`add_root`](Self::add_root)
    /// so that the set-up uses it; it applies from the next directory on.
    pub fn set_dir_filter(&mut self, filter: Option<DirFilter<'s>>) {
        self.filter = filter;
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend, mutably (a model filesystem changes through it).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// How many directories are watched.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no directory is watched.
    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// The most directories that fit: the storage's most (growing storage
    /// holds fewer until it grows).
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Directory entries, index cells and name bytes the storage holds now
    /// (they grow with growing storage).
    pub fn allocated(&self) -> (usize, usize, usize) {
        self.table.allocated()
    }

    /// Name bytes in use, and the name storage's size now.
    pub fn name_bytes(&self) -> (usize, usize) {
        self.table.name_bytes()
    }

    /// Whether a walk (set-up, new directories, or a rescan) is unfinished:
    /// [`step`](Self::step) has work to do.
    pub fn is_walking(&self) -> bool {
        self.walk.active || self.deferred.is_some()
    }

    fn root_mask(&self, mask: WatchMask) -> WatchMask {
        // The root is the path the user named: follow it if it is a
        // symlink, as inotifywait does. Nothing below it is followed.
        mask - WatchMask::DONT_FOLLOW
    }

    /// A root that is not a directory: the user's full mask (nothing is
    /// listed, so nothing to keep quiet), not restricted to directories,
    /// following a symlink unless the user's mask says `IN_DONT_FOLLOW`.
    fn file_root_mask(&self) -> WatchMask {
        self.masks.full - WatchMask::ONLYDIR
    }

    /// The mask to watch `slot` with, from `base` (full or reduced).
    fn slot_mask(&self, slot: u32, base: WatchMask) -> WatchMask {
        let e = self.table.get(slot);
        if e.is_file_root() {
            self.file_root_mask()
        } else if e.has(flag::ROOT) {
            self.root_mask(base)
        } else {
            self.child_mask(base)
        }
    }

    fn child_mask(&self, mask: WatchMask) -> WatchMask {
        mask | WatchMask::DONT_FOLLOW
    }

    /// Starts watching the tree at `path`: adds its watch now (a missing
    /// root is an error here) and lists it during the next
    /// [`step`](Self::step)s, which end with a [`TreeEventKind::Ready`]
    /// report. Trailing slashes are dropped.
    ///
    /// A root that is not a directory (a file, a device, ...) is watched
    /// alone, as `inotifywait -r` watches such a path: its events have its
    /// path as [`TreeEvent::dir`](super::TreeEvent::dir), without a
    /// trailing `/` (a flat watch's path), and an empty name. It is never
    /// listed, and stays watched when it is renamed (its events keep the
    /// path it was given, as a flat watch's do); deleted, it ends with a
    /// [`TreeEventKind::RootGone`].
    pub fn add_root(&mut self, path: &[u8]) -> Result<RootId, Error> {
        let mut path = path;
        while path.len() > 1 && path.ends_with(b"/") {
            path = &path[..path.len() - 1];
        }
        let fail = |kind| Err(Error::new(Operation::AddWatch, kind).with_path(path));
        if path.contains(&0) {
            return fail(ErrorKind::PathContainsNul);
        }
        if path.is_empty() {
            return fail(ErrorKind::Os(Errno::NOENT));
        }
        if path.len() + 1 >= PATH_MAX {
            return fail(ErrorKind::PathTooLong { len: path.len() });
        }
        self.path[..path.len()].copy_from_slice(path);
        self.path[path.len()] = 0;
        let (wd, file) = self
            .watch_root(path.len())
            .map_err(|e| Error::from_errno(Operation::AddWatch, e).with_path(path))?;
        if self.table.slot_of(wd).is_some() {
            // Already inside a tree of ours (its mask was OR-ed into, so
            // left as it was).
            return fail(ErrorKind::Os(Errno::EXIST));
        }
        // A file root is never listed: only the directories' walk flags.
        let flags = if file {
            flag::SEEN
        } else {
            flag::UNLISTED | flag::REDUCED | flag::SEEN
        };
        match self.table.insert_root(path, wd, flags, file) {
            Ok(slot) => {
                self.walk.setup = true;
                self.start_walk(slot);
                Ok(RootId(slot))
            }
            Err(kind) => {
                self.backend.remove_watch(wd);
                fail(kind)
            }
        }
    }

    /// `inotify_add_watch` on the root path in `self.path` (`len` bytes):
    /// as a directory, or, if it is not one, as a file root. The watch
    /// descriptor, and whether it is a file. The mask is OR-ed in: a path
    /// already watched by one of our trees keeps its mask, with no moment
    /// without one (see [`TreeBackend::add_watch`]).
    fn watch_root(&mut self, len: usize) -> Result<(i32, bool), Errno> {
        let c_path = c_str(&self.path[..=len]);
        let dir = self.root_mask(self.masks.reduced) | WatchMask::MASK_ADD;
        match self.backend.add_watch(c_path, dir) {
            Ok(wd) => Ok((wd, false)),
            Err(Errno::NOTDIR) => {
                let file = self.file_root_mask() | WatchMask::MASK_ADD;
                let c_path = c_str(&self.path[..=len]);
                self.backend.add_watch(c_path, file).map(|wd| (wd, true))
            }
            Err(e) => Err(e),
        }
    }

    /// Stops watching a root and everything below it (no report).
    pub fn remove_root(&mut self, root: RootId) {
        if self.table.used(root.0) && self.table.get(root.0).has(flag::ROOT) {
            self.remove_subtree(root.0, false);
        }
    }

    /// The roots being watched, and their paths, through `f`.
    pub fn for_each_root(&self, mut f: impl FnMut(RootId, &[u8])) {
        for slot in self.table.slots() {
            if self.table.used(slot) && self.table.get(slot).has(flag::ROOT) {
                f(RootId(slot), self.table.name(slot));
            }
        }
    }

    /// Every watched directory's path (ending in `/`) and watch descriptor,
    /// through `f`, in no particular order.
    pub fn for_each_dir(&self, mut f: impl FnMut(&[u8], i32)) {
        let mut buf = [0u8; PATH_MAX];
        for slot in self.table.slots() {
            if self.table.used(slot)
                && let Some((len, _)) = self.table.path(slot, &mut buf)
            {
                f(&buf[..len], self.table.get(slot).wd);
            }
        }
    }

    /// Checks the table's invariants: every entry's parent is present,
    /// child counts match, every entry is found by its watch descriptor, the
    /// count of live entries is right, and every path fits. For tests and
    /// fuzzing; O(n · depth).
    pub fn verify(&self) -> Result<(), &'static str> {
        let mut live = 0;
        let mut buf = [0u8; PATH_MAX];
        for slot in self.table.slots() {
            if !self.table.used(slot) {
                continue;
            }
            live += 1;
            let e = *self.table.get(slot);
            if self.table.slot_of(e.wd) != Some(slot) {
                return Err("an entry is not found by its watch descriptor");
            }
            if e.has(flag::ROOT) != (e.parent == NONE) {
                return Err("only roots have no parent");
            }
            if !e.has(flag::ROOT) && !self.table.used(e.parent) {
                return Err("an entry's parent is missing");
            }
            if !e.has(flag::ROOT) && !self.table.is_within(slot, self.root_of(slot)) {
                return Err("an entry is not below a root");
            }
            if e.children != u16::MAX {
                let n = self
                    .table
                    .slots()
                    .filter(|&s| self.table.used(s) && self.table.get(s).parent == slot)
                    .count();
                if n != e.children as usize {
                    return Err("a child count is wrong");
                }
            }
            if self.table.path(slot, &mut buf).is_none() {
                return Err("a path does not fit PATH_MAX");
            }
            if !self.walk.active && e.has(flag::UNLISTED | flag::DOOMED) {
                return Err("an entry is left unlisted or doomed after a walk");
            }
        }
        if live != self.table.len() {
            return Err("the live count is wrong");
        }
        Ok(())
    }

    fn root_of(&self, mut slot: u32) -> u32 {
        while !self.table.get(slot).has(flag::ROOT) {
            slot = self.table.get(slot).parent;
        }
        slot
    }

    /// Turns a report into the event the user sees. `kernel_name` is the
    /// name of the kernel event the report came from (ignored otherwise).
    pub fn event<'a>(&'a self, report: &TreeReport, kernel_name: &'a [u8]) -> TreeEvent<'a> {
        let name = match report.name {
            NameAt::None => &[][..],
            NameAt::Kernel => kernel_name,
            NameAt::Listing(start, len) => self.listing.name(start, len),
            NameAt::Scratch => &self.scratch[..],
        };
        TreeEvent {
            kind: report.kind,
            mask: report.mask,
            cookie: report.cookie,
            dir: &self.path[..report.dir_len],
            name,
            root: report.root,
            wd: report.wd,
        }
    }

    /// Builds `slot`'s path into the path buffer: its length and root.
    fn dir_path(&mut self, slot: u32) -> (usize, Option<RootId>) {
        match self.table.path(slot, &mut self.path) {
            Some((len, root)) => (len, Some(RootId(root))),
            None => (0, None),
        }
    }

    /// A report of the tree's own (no kernel event, so no mask).
    fn notice(&mut self, slot: u32, kind: TreeEventKind, name: NameAt) -> TreeReport {
        self.report(slot, kind, EventMask::empty(), name)
    }

    fn report(
        &mut self,
        slot: u32,
        kind: TreeEventKind,
        mask: EventMask,
        name: NameAt,
    ) -> TreeReport {
        let (dir_len, root) = if slot == NONE {
            (0, None)
        } else {
            self.dir_path(slot)
        };
        let wd = (slot != NONE)
            .then(|| self.table.get(slot).wd)
            .filter(|&wd| wd >= 0)
            .map(WatchDescriptor::from_raw);
        TreeReport {
            kind,
            mask,
            cookie: 0,
            root,
            wd,
            dir_len,
            name,
        }
    }

    /// Builds `slot`'s path for a system call: no trailing slash (which
    /// would make the kernel follow a symlink), NUL-terminated. Its length.
    fn sys_path(&mut self, slot: u32) -> Option<usize> {
        let (mut len, _) = self.table.path(slot, &mut self.path)?;
        if len > 1 && self.path[len - 1] == b'/' {
            len -= 1;
        }
        self.path[len] = 0;
        Some(len)
    }

    /// `inotify_add_watch` again on `slot`'s path with `base` (as a root
    /// or a child; the reduced mask to lower it, the full one with
    /// `IN_MASK_ADD` to raise it: see [`TreeBackend::add_watch`]): the
    /// kernel's answer, or `None` if the path is too long.
    fn rewatch(&mut self, slot: u32, base: WatchMask) -> Option<Result<i32, Errno>> {
        let mask = self.slot_mask(slot, base);
        let len = self.sys_path(slot)?;
        Some(self.backend.add_watch(c_str(&self.path[..=len]), mask))
    }

    fn start_walk(&mut self, slot: u32) {
        if self.walk.active {
            self.walk.cursor = self.walk.cursor.min(slot);
            self.walk.lo = self.walk.lo.min(slot);
            if self.walk.phase != Phase::List {
                // Cannot happen (walks only insert while listing); stay safe.
                self.walk.phase = Phase::List;
            }
        } else {
            self.walk.active = true;
            self.walk.phase = Phase::List;
            self.walk.cursor = slot;
            self.walk.lo = slot;
        }
    }

    /// Watches directory `name` inside `parent`: the path is built, the
    /// watch added with the reduced mask, the entry recorded `UNLISTED`.
    /// Unless a listing of `parent` found it (`parent`'s path may be
    /// stale: an event about it is being handled), a directory found there
    /// that is not already `parent`'s child of that name costs one path
    /// lookup, to ask whether `parent` is still at its path.
    fn watch_child(&mut self, parent: u32, name: &[u8], fresh: bool, lookup: Lookup) -> Child {
        let total = match self.child_path(parent, name) {
            Ok(total) => total,
            Err(child) => return child,
        };
        // OR-ed in: a directory already watched (and raised) keeps its full
        // mask, with no moment without one (see `TreeBackend::add_watch`).
        let mask = self.child_mask(self.masks.reduced) | WatchMask::MASK_ADD;
        let wd = match self.backend.add_watch(c_str(&self.path[..=total]), mask) {
            Ok(wd) => wd,
            Err(e) if vanished(e) => return Child::Vanished,
            Err(Errno::NOSPC) => {
                return Child::Failed(
                    Error::new(Operation::AddWatch, ErrorKind::WatchLimit)
                        .with_path(&self.path[..total]),
                );
            }
            Err(e) => return Child::Skipped(Operation::AddWatch, ErrorKind::Os(e)),
        };
        let known = self.table.slot_of(wd);
        // The event may be older than a rename still queued: the parent's
        // path may lead elsewhere now. Asked only when the answer matters
        // (not for a child already known there, e.g. found by a listing),
        // and never for a root: a root that moved is gone (its
        // IN_MOVE_SELF, queued, ends it and drops what was watched below).
        let check_parent = lookup != Lookup::Listing && !self.table.get(parent).has(flag::ROOT);
        let same =
            known.is_some_and(|k| self.table.get(k).parent == parent && self.table.name(k) == name);
        if check_parent && !same && !self.still_at(parent) {
            // The parent's path leads elsewhere now (a rename still queued):
            // what is there is not its child. Undo, and look again once
            // the renames are applied.
            if known.is_none() {
                self.backend.remove_watch(wd);
            }
            return Child::ParentStale;
        }
        if let Some(known) = known {
            return self.found_known(known, parent, name, lookup, total);
        }
        let flags =
            flag::UNLISTED | flag::REDUCED | flag::SEEN | if fresh { flag::FRESH } else { 0 };
        match self.table.insert(parent, name, wd, flags) {
            Ok(slot) => {
                self.start_walk(slot);
                Child::Watched
            }
            Err(kind) => {
                self.backend.remove_watch(wd);
                Child::Failed(Error::new(Operation::AddWatch, kind).with_path(&self.path[..total]))
            }
        }
    }

    /// Builds `parent`'s path + `name` in `self.path` (NUL-terminated) and
    /// asks the caller's filter: the path's length, or what to answer.
    fn child_path(&mut self, parent: u32, name: &[u8]) -> Result<usize, Child> {
        let too_long = |len| Child::Skipped(Operation::AddWatch, ErrorKind::PathTooLong { len });
        let Some((len, _)) = self.table.path(parent, &mut self.path) else {
            return Err(too_long(PATH_MAX));
        };
        let total = len + name.len();
        if total + 1 > PATH_MAX {
            return Err(too_long(total));
        }
        self.path[len..total].copy_from_slice(name);
        self.path[total] = 0;
        if let Some(filter) = &mut self.filter
            && !filter(&self.path[..total])
        {
            return Err(Child::Excluded);
        }
        Ok(total)
    }

    /// What the watch of `known`, found at `parent`/`name`, is there. A
    /// known watch in a new place is either the same directory reached a
    /// second way (a bind mount), or a rename whose events are still
    /// queued (or that the tree will not hear of): asking the kernel about
    /// the old place tells which.
    fn classify(&mut self, known: u32, parent: u32, name: &[u8], lookup: Lookup) -> Found {
        let e = *self.table.get(known);
        if e.parent == parent && self.table.name(known) == name {
            return Found::Same;
        }
        let kept = e.has(flag::ROOT)
            || (self.walk.kind == WalkKind::Rescan && e.has(flag::SEEN))
            || self.table.is_within(parent, known);
        if kept {
            return Found::SecondPath;
        }
        if !self.still_at(known) {
            let unheard = self.walk.kind != WalkKind::Grow || lookup == Lookup::Landed;
            return if unheard {
                Found::MovedUnheard
            } else {
                Found::MovedQueued
            };
        }
        if self.misplaced(known) {
            Found::Misplaced
        } else {
            Found::SecondPath
        }
    }

    /// Acts on what [`classify`](Self::classify) says of `known`, found at
    /// `parent`/`name` (its path, `total` bytes, in `self.path`).
    ///
    /// Longer than most: one arm per case of [`Found`], each with the why of
    /// its action beside it, so that the decision reads as one table.
    fn found_known(
        &mut self,
        known: u32,
        parent: u32,
        name: &[u8],
        lookup: Lookup,
        total: usize,
    ) -> Child {
        let e = *self.table.get(known);
        match self.classify(known, parent, name, lookup) {
            Found::Same => {
                if self.walk.kind == WalkKind::Rescan && !e.has(flag::SEEN | flag::REDUCED) {
                    // Its old path failed the rescan's first pass (an
                    // ancestor moved): it is lowered now (a rescan lists it
                    // afterwards anyway), and must be listed too.
                    let reduced = self.child_mask(self.masks.reduced);
                    let _ = self.backend.add_watch(c_str(&self.path[..=total]), reduced);
                    self.table.set(known, flag::UNLISTED | flag::REDUCED);
                    self.start_walk(known);
                }
                self.table.set(known, flag::SEEN);
            }
            Found::Misplaced => {
                // It is here: move it here, and list the parent it had
                // again once that one's path is right.
                if self.table.rename(known, parent, name).is_ok() {
                    self.table.set(known, flag::SEEN);
                }
                self.recheck(e.parent);
            }
            Found::MovedUnheard => {
                // Follow it now. A rescan or a re-listing also lists it
                // (its listing may have failed on the path it had left). A
                // rename that landed needs no listing: what is below it is
                // in the table already, and a listing that failed on its
                // old path asked for a recheck, which now finds it. Listing
                // it anyway would race its next rename (a rename burst).
                if self.table.rename(known, parent, name).is_ok() {
                    self.table.set(known, flag::SEEN);
                    if self.walk.kind != WalkKind::Grow {
                        self.table.set(known, flag::UNLISTED | flag::REDUCED);
                        self.start_walk(known);
                    }
                }
            }
            Found::MovedQueued => {
                // Apply the rename in queue order (at its IN_MOVE_SELF), so
                // earlier events keep the old path. Its IN_MOVED_TO may
                // never come (the new parent was not watched yet): the hint
                // says where it went.
                self.renames.hint(known, e.wd, parent, name);
                self.table.set(known, flag::SEEN);
            }
            Found::SecondPath => {
                // Watched once, where it was found first.
                if self.walk.kind == WalkKind::Rescan {
                    // Or, after an overflow, a directory whose old place
                    // the table cannot drop yet: a stale ancestor makes its
                    // old path still lead to it, or it moved below one of
                    // its own descendants in the table. The sweep may then
                    // drop it as not seen: list this parent again after the
                    // rescan, when the table no longer holds the stale
                    // entries.
                    self.recheck(parent);
                }
                return Child::Skipped(Operation::AddWatch, ErrorKind::Os(Errno::EXIST));
            }
        }
        Child::Known
    }

    /// Whether `slot`'s parent (not a root) is not at its path: then
    /// `slot`'s path leading to it says nothing about where it belongs.
    /// Asked only when a directory turns up at a second path.
    fn misplaced(&mut self, slot: u32) -> bool {
        let parent = self.table.get(slot).parent;
        parent != NONE && !self.table.get(parent).has(flag::ROOT) && !self.still_at(parent)
    }

    /// Whether the watch of `slot` still is at the path the table gives it
    /// (`inotify_add_watch` there returns its descriptor; its mask is kept).
    fn still_at(&mut self, slot: u32) -> bool {
        let e = *self.table.get(slot);
        let mut buf = [0u8; PATH_MAX];
        let Some((mut len, _)) = self.table.path(slot, &mut buf) else {
            return false;
        };
        if len > 1 && buf[len - 1] == b'/' {
            len -= 1; // no trailing slash: never follow a symlink
        }
        buf[len] = 0;
        let mask = if e.has(flag::REDUCED) {
            self.masks.reduced
        } else {
            self.masks.full
        };
        // A root is followed (it is the path the user named). OR-ed in, so
        // the question changes nothing (see `TreeBackend::add_watch`).
        let mask = self.slot_mask(slot, mask) | WatchMask::MASK_ADD;
        match self.backend.add_watch(c_str(&buf[..=len]), mask) {
            Ok(wd) if wd == e.wd => true,
            Ok(wd) => {
                if self.table.slot_of(wd).is_none() {
                    self.backend.remove_watch(wd);
                }
                false
            }
            Err(_) => false,
        }
    }

    /// A directory appeared in `parent` (created, moved in from outside, or
    /// the landing of a rename seen without its `IN_MOVE_SELF`): watch it;
    /// what went wrong is reported after the kernel event.
    fn child_appeared(&mut self, parent: u32, name: &[u8], lookup: Lookup) {
        match self.watch_child(parent, name, true, lookup) {
            Child::Watched | Child::Known | Child::Excluded => {}
            Child::ParentStale => self.recheck(parent),
            // Gone from a parent whose path was right a moment ago: deleted
            // or renamed since, which the parent's queued events say.
            // Unless the parent itself moved in between (another process):
            // then look again once its rename is applied. Never a listing
            // of the parent for a child that simply went (a rotated `logs`
            // would cost a listing of everything beside it each time).
            Child::Vanished => self.vanished_from(parent),
            Child::Skipped(operation, kind) => self.defer_skip(parent, name, operation, kind),
            Child::Failed(err) => self.deferred = Some(Deferred::Error(err)),
        }
    }

    /// A child of `parent` was not at `parent`'s path + its name. Only if
    /// `parent` itself moved meanwhile (its rename still queued, or
    /// another process renaming it right now) is the child in doubt: list
    /// `parent` again once its path is right. One path lookup, and only
    /// when something vanished.
    pub(super) fn vanished_from(&mut self, parent: u32) {
        if !self.table.get(parent).has(flag::ROOT) && !self.still_at(parent) {
            self.recheck(parent);
        }
    }

    fn defer_skip(&mut self, slot: u32, name: &[u8], operation: Operation, kind: ErrorKind) {
        self.scratch.clear();
        let _ = self.scratch.try_extend_from_slice(name);
        self.deferred = Some(Deferred::Skipped {
            slot,
            operation,
            kind,
        });
    }

    /// Removes `top` and its subtree from the table and their watches from
    /// the kernel (except `top`'s when the kernel already dropped it).
    fn remove_subtree(&mut self, top: u32, dropped: bool) {
        // A directory in the subtree that a listing already found elsewhere
        // in the tree (its rename still queued, a hint) is not leaving with
        // it: it loses its watch here, so list the place it was found again
        // (a fresh watch there) once this batch's events are handled.
        let table = &self.table;
        let leaving = self.renames.drop_hints(|h| {
            let live = table.used(h.slot) && table.get(h.slot).wd == h.wd;
            live && table.is_within(h.slot, top)
        });
        for parent in leaving {
            if self.table.used(parent) && !self.table.is_within(parent, top) {
                self.recheck(parent);
            }
        }
        if self.table.get(top).children == 0 {
            if !dropped {
                self.backend.remove_watch(self.table.get(top).wd);
            }
            self.table.remove(top);
            return;
        }
        self.table.mark_subtree(top);
        for slot in self.table.slots() {
            if self.table.used(slot) && self.table.get(slot).has(flag::DOOMED) {
                if !(dropped && slot == top) {
                    self.backend.remove_watch(self.table.get(slot).wd);
                }
                self.table.remove(slot);
            }
        }
    }
}

/// `bytes` ends with its only NUL (the machine wrote it).
fn c_str(bytes: &[u8]) -> &CStr {
    CStr::from_bytes_with_nul(bytes).unwrap_or(c"")
}

//! The driver: [`InotifyTrees`] and [`InotifyTree`] run the
//! [`Machine`] against the kernel, through an [`Inotify`], the tree's
//! storage and a read buffer, each owned or borrowed as the caller chose.

use super::TreeEventKind;
use super::list::{DIRENT_BUF, OpenDir, open_dir, read_dir};
use super::listing::Listing;
use super::machine::{Backend, DirFilter, Machine, Report};
use super::{BorrowedTreeStorage, RootId, TreeEvent, TreeStore};
use crate::adapter::Batching;
use crate::adapter::batch::Rate;
use crate::error::{Error, ErrorKind, Operation};
use crate::event::{Cursor, HEADER_LEN, MIN_BUFFER_LEN};
use crate::inotify::{Inotify, now};
use crate::mask::EventMask;
use crate::mask::WatchMask;
use crate::path::PathBytes;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::time::Duration;
use rustix::fd::AsFd;
use rustix::fs::inotify;
use rustix::io::Errno;

/// The kernel as a [`Backend`]: an [`Inotify`] for watches, `getdents64`
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

impl Backend for KernelBackend {
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
/// See [the module docs](super) for the rules. Storage is the caller's
/// choice: `S` is the [`TreeStore`] (directories and their names: fixed,
/// borrowed or growing, see [`crate::storage`]), `R` the buffer events are
/// read into (an array, a `Vec`, or `&mut [u8]`). With owned storage and
/// buffer the tree is `'static` and can be moved into a thread.
///
/// ```
/// use std::time::Duration;
/// use zinotify::tree::{GrowingTreeStorage, InotifyTrees, TreeEventKind};
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
pub struct InotifyTrees<'s, S: TreeStore = BorrowedTreeStorage<'s>, R = &'s mut [u8]> {
    machine: Machine<'s, KernelBackend, S>,
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
/// flat loop's [`Step`](crate::adapter::Step), for a loop of one's own (a
/// runtime, mio): hand out a report, read, let events pile up, or wait.
#[derive(Debug)]
pub enum TreeStep {
    /// Hand this out with [`InotifyTrees::hand_out`].
    Report(Report),
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
            machine: Machine::new(storage, backend, mask),
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

    /// Starts watching the tree at `path` (see [`Machine::add_root`]): the
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
    /// [`Machine::set_dir_filter`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use zinotify::tree::{GrowingTreeStorage, InotifyTrees, TreeEventKind};
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
    pub fn hand_out(&mut self, report: &Report) -> TreeEvent<'_> {
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
    pub fn machine(&self) -> &Machine<'s, KernelBackend, S> {
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
/// use zinotify::tree::{DirEntry, InotifyTree, TreeEventKind, TreeStorage};
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
    pub fn machine(&self) -> &Machine<'s, KernelBackend, S> {
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

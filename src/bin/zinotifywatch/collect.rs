//! Where the counted events come from: the named paths alone ([`Flat`]),
//! or whole trees on zinotify's recursive watcher ([`Tree`], `-r`). Each
//! event reaches the sink as (watch descriptor, watched path, name, mask):
//! inotifywatch's rows are per watch.

use crate::paths::{Roots, display_path};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use std::time::Duration;
use zinotify::{DirFilter, GrowingTreeStorage, InotifyTrees, TreeEventKind};
use zinotify::{Error, ErrorKind, EventMask, Inotify, WatchMask};

/// Takes one event: watch descriptor, the watch's path as shown (a
/// directory ends in `/`), the name inside it, the kernel's mask.
pub type Sink<'a> = dyn FnMut(i32, &[u8], &[u8], EventMask) + 'a;

/// The read buffer: 64 KiB holds hundreds of events per `read`.
const BUF_LEN: usize = 64 * 1024;

/// An event source the collection loop waits on.
pub trait Collect {
    /// The descriptors that become readable when there are events.
    fn fds(&self) -> Vec<BorrowedFd<'_>>;

    /// Hands every event available now to `sink`, without blocking.
    /// Remarks (a directory that could not be watched, an overflow) go to
    /// `notice`.
    fn drain(&mut self, sink: &mut Sink<'_>, notice: &mut dyn FnMut(&str)) -> Result<(), Error>;

    /// How many kernel watches are held ("Total of N watches.").
    fn watches(&self) -> usize;

    /// Every watch held now, with its path now, through `f`.
    fn each_watch(&self, f: &mut dyn FnMut(i32, &[u8]));
}

/// The named paths, each one watch, as inotifywatch without `-r`.
pub struct Flat {
    inotify: Inotify,
    mask: WatchMask,
    /// Watch descriptor and path as shown; the same inode named twice is
    /// one watch under its first name.
    watched: Vec<(i32, Vec<u8>)>,
    buf: Vec<u8>,
}

impl Flat {
    /// A new instance that will watch for `mask`.
    pub fn new(mask: WatchMask) -> Result<Self, Error> {
        Ok(Self {
            inotify: Inotify::new()?,
            mask,
            watched: Vec::new(),
            buf: vec![0; BUF_LEN],
        })
    }

    /// Watches `path`.
    pub fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        let wd = self
            .inotify
            .add_watch(path, self.mask)
            .map_err(|err| err.with_path(path))?
            .raw();
        if !self.watched.iter().any(|(w, _)| *w == wd) {
            self.watched.push((wd, display_path(path)));
        }
        Ok(())
    }
}

impl Collect for Flat {
    fn fds(&self) -> Vec<BorrowedFd<'_>> {
        vec![self.inotify.as_fd()]
    }

    fn drain(&mut self, sink: &mut Sink<'_>, notice: &mut dyn FnMut(&str)) -> Result<(), Error> {
        for event in self.inotify.read_events(&mut self.buf)? {
            let event = event?;
            if event.mask.contains(EventMask::Q_OVERFLOW) {
                notice(OVERFLOW);
                continue;
            }
            if let Some((wd, path)) = self.watched.iter().find(|(w, _)| *w == event.wd) {
                sink(*wd, path, event.name, event.mask);
            }
        }
        Ok(())
    }

    fn watches(&self) -> usize {
        self.watched.len()
    }

    fn each_watch(&self, f: &mut dyn FnMut(i32, &[u8])) {
        for (wd, path) in &self.watched {
            f(*wd, path);
        }
    }
}

/// What an overflow means for the table.
const OVERFLOW: &str = "the event queue overflowed: some events were not counted";

/// Whole trees (`-r`) over one inotify instance; a path that is not a
/// directory is watched alone in it, as by inotifywatch.
pub struct Tree<'s> {
    trees: InotifyTrees<'s, GrowingTreeStorage, Vec<u8>>,
    roots: Roots,
    /// Directories moved into (or within) the tree since the tree was last
    /// idle, paths ending in `/`: what its listing finds below them was
    /// there before, not created, so it is not counted (nor by
    /// inotifywatch). The tree lists such a directory before it goes idle,
    /// so the list is emptied then.
    moved_in: Vec<Vec<u8>>,
    /// Files the listing found since the tree was last idle, as (watch,
    /// name): the kernel's `CREATE` for one of them, queued between the
    /// watch and the listing, is the same file, counted once. Such an
    /// event is read before the tree goes idle, so the list is emptied
    /// then.
    listed: Vec<(i32, Vec<u8>)>,
}

impl<'s> Tree<'s> {
    /// Trees on growing storage watching for `mask`, leaving the
    /// directories `prune` vetoes (the `@path`s) unwatched.
    pub fn new(prune: Option<DirFilter<'s>>, mask: WatchMask) -> Result<Self, Error> {
        let mut trees = InotifyTrees::new(GrowingTreeStorage::growing(), vec![0; BUF_LEN], mask)?;
        trees.set_dir_filter(prune);
        Ok(Self {
            trees,
            roots: Roots::default(),
            moved_in: Vec::new(),
            listed: Vec::new(),
        })
    }

    /// Watches the tree at `path` (or just `path`, if not a directory).
    pub fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        if self.roots.first_time(path) {
            self.trees.add_root(path)?;
        }
        Ok(())
    }

    /// Runs set-up to its end. Events meanwhile, and the ones the tree's
    /// own listing left queued, are not counted: inotifywatch counts from
    /// "Finished establishing watches" on, and its set-up makes none.
    pub fn establish(&mut self, notice: &mut dyn FnMut(&str)) -> Result<(), Error> {
        loop {
            match self.trees.next_event(None) {
                Some(Ok(event)) if event.kind == TreeEventKind::Ready => break,
                Some(Ok(event)) => skipped(&event, notice),
                // The kernel's watch limit during set-up ends the command.
                Some(Err(err)) if err.kind() == ErrorKind::WatchLimit => return Err(err),
                Some(Err(err)) => notice(&err.to_string()),
                // Nothing is watched any more (every root went meanwhile).
                None => break,
            }
        }
        self.drain(&mut |_, _, _, _| {}, notice)
    }
}

/// Says why a directory found in the tree is not watched, if that is what
/// `event` reports (a directory already watched as part of another root is
/// watched once, silently, as by inotifywatch).
fn skipped(event: &zinotify::TreeEvent<'_>, notice: &mut dyn FnMut(&str)) {
    if let TreeEventKind::Skipped { operation, kind } = event.kind
        && kind != ErrorKind::Os(Errno::EXIST)
    {
        notice(&format!(
            "not watching \"{}{}\": {}",
            String::from_utf8_lossy(event.dir),
            String::from_utf8_lossy(event.name),
            Error::new(operation, kind)
        ));
    }
}

impl Collect for Tree<'_> {
    fn fds(&self) -> Vec<BorrowedFd<'_>> {
        vec![self.trees.inotify().as_fd()]
    }

    fn drain(&mut self, sink: &mut Sink<'_>, notice: &mut dyn FnMut(&str)) -> Result<(), Error> {
        while let Some(next) = self.trees.next_event(Some(Duration::ZERO)) {
            let event = match next {
                // Nothing is queued: this drain is done.
                Ok(event) if event.kind == TreeEventKind::Idle => break,
                Ok(event) => event,
                // A limit reached after set-up leaves one directory
                // unwatched and the tree consistent: say so, go on.
                Err(err)
                    if matches!(
                        err.kind(),
                        ErrorKind::WatchLimit
                            | ErrorKind::TableFull { .. }
                            | ErrorKind::PathStorageFull { .. }
                    ) =>
                {
                    notice(&err.to_string());
                    continue;
                }
                Err(err) => return Err(err),
            };
            match (event.kind, event.wd) {
                (TreeEventKind::Kernel, Some(wd)) => {
                    let wd = wd.raw();
                    if event.mask.contains(EventMask::MOVED_TO | EventMask::ISDIR) {
                        self.moved_in.push([event.dir, event.name, b"/"].concat());
                    }
                    if event.mask.contains(EventMask::CREATE) {
                        let seen = self
                            .listed
                            .iter()
                            .position(|(w, n)| *w == wd && n == event.name);
                        if let Some(at) = seen {
                            self.listed.swap_remove(at);
                            continue;
                        }
                    }
                    sink(wd, event.dir, event.name, event.mask);
                }
                // A file made in a new directory before its watch existed.
                (TreeEventKind::Synthetic, Some(wd))
                    if !self.moved_in.iter().any(|m| event.dir.starts_with(m)) =>
                {
                    self.listed.push((wd.raw(), event.name.to_vec()));
                    sink(wd.raw(), event.dir, event.name, event.mask);
                }
                (TreeEventKind::Overflow, _) => notice(OVERFLOW),
                _ => skipped(&event, notice),
            }
        }
        self.moved_in.clear();
        self.listed.clear();
        Ok(())
    }

    fn watches(&self) -> usize {
        self.trees.len()
    }

    fn each_watch(&self, f: &mut dyn FnMut(i32, &[u8])) {
        self.trees.machine().for_each_dir(|path, wd| f(wd, path));
    }
}

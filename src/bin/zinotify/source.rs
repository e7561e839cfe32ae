//! Where events come from: one small trait, so the main loop does not care
//! whether it watches a flat list of paths or whole trees.

use crate::format::Line;
use rustix::fd::BorrowedFd;
use std::collections::HashMap;
use std::ops::ControlFlow;
use zinotify::{Error, EventMask, Inotify, WatchMask};

/// One thing to tell the user.
pub enum Item<'a> {
    /// An event, kernel or synthetic, ready to print.
    Event(Line<'a>),
    /// A remark for standard error (a directory skipped, a rescan done).
    #[allow(dead_code)] // for -r, which lands with the tree
    Notice(String),
}

/// An event source the main loop waits on.
pub trait Source {
    /// Watches `path`.
    fn add(&mut self, path: &[u8]) -> Result<(), Error>;

    /// The descriptor that becomes readable when there is work.
    fn fd(&self) -> BorrowedFd<'_>;

    /// Hands everything available now to `sink`, without blocking, until
    /// there is nothing left or `sink` breaks.
    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error>;
}

/// The read buffer: 64 KiB holds hundreds of events per `read`.
const BUF_LEN: usize = 64 * 1024;

/// Flat watches (no `-r`): each named path is one watch, remembered by its
/// watch descriptor with the path inotifywait prints for it.
pub struct Flat {
    inotify: Inotify,
    mask: WatchMask,
    paths: HashMap<i32, Vec<u8>>,
    buf: Vec<u8>,
}

impl Flat {
    /// A new instance that will watch paths for `mask`.
    pub fn new(mask: WatchMask) -> Result<Self, Error> {
        Ok(Self {
            inotify: Inotify::new()?,
            mask,
            paths: HashMap::new(),
            buf: vec![0; BUF_LEN],
        })
    }
}

/// The path as `%w` shows it: a directory (not a symlink to one, as
/// inotifywait decides with `lstat`) gets a trailing `/`.
pub fn display_path(path: &[u8]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut shown = path.to_vec();
    let is_dir =
        std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(path)).is_ok_and(|m| m.is_dir());
    if is_dir && !shown.ends_with(b"/") {
        shown.push(b'/');
    }
    shown
}

impl Source for Flat {
    fn add(&mut self, path: &[u8]) -> Result<(), Error> {
        let wd = self.inotify.add_watch(path, self.mask)?;
        // The same inode named twice keeps its first name, as inotifywait.
        self.paths
            .entry(wd.raw())
            .or_insert_with(|| display_path(path));
        Ok(())
    }

    fn fd(&self) -> BorrowedFd<'_> {
        rustix::fd::AsFd::as_fd(&self.inotify)
    }

    fn drain(
        &mut self,
        sink: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, Error> {
        loop {
            let events = self.inotify.read_events(&mut self.buf)?;
            if events.remaining().is_empty() {
                return Ok(ControlFlow::Continue(()));
            }
            for event in events {
                let event = event?;
                let watch = self.paths.get(&event.wd).map_or(&[][..], Vec::as_slice);
                let flow = sink(Item::Event(Line {
                    watch,
                    name: event.name,
                    mask: event.mask,
                }));
                if event.mask.contains(EventMask::IGNORED) {
                    self.paths.remove(&event.wd);
                }
                if flow.is_break() {
                    return Ok(flow);
                }
            }
        }
    }
}

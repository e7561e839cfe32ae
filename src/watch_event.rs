//! An event together with the path of the watch it came from: a pair of
//! borrows, formatted as PyInotify logs events. No system calls.

use crate::error::LossyBytes;
use crate::event::Event;
use crate::mask::{EventMask, MaskNames};
use core::fmt;

/// An [`Event`] and its watch path: PyInotify's `(header, type_names,
/// watch_path, filename)` as `(event, event.mask.names(), watch_path,
/// event.name)`, all borrowed, nothing copied.
///
/// ```
/// use zinotify::{Event, EventMask, WatchEvent};
///
/// let event = Event { wd: 1, mask: EventMask::CREATE, cookie: 0, len: 16, name: b"a.txt" };
/// let watched = WatchEvent { event, watch_path: Some(b"/tmp") };
/// let mut buf = [0u8; 64];
/// assert_eq!(watched.full_path(&mut buf), Some(&b"/tmp/a.txt"[..]));
/// assert_eq!(watched.type_names().collect::<Vec<_>>(), ["IN_CREATE"]);
/// assert_eq!(watched.to_string(),
///            "WD=(1) MASK=(256) COOKIE=(0) LEN=(16) MASK->NAMES=[IN_CREATE] \
///             WATCH-PATH=[/tmp] FILENAME=[a.txt]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchEvent<'a> {
    /// The event as the kernel reported it.
    pub event: Event<'a>,
    /// The path the watch was added with; `None` for a queue overflow
    /// (`wd == -1`, no watch) and for a descriptor the table does not know
    /// (for example the `IN_IGNORED` of a watch added around the table).
    pub watch_path: Option<&'a [u8]>,
}

impl<'a> WatchEvent<'a> {
    /// The names of the mask's bits, lowest bit first ([`EventMask::names`]):
    /// the names PyInotify's `type_names` holds, not its order (its lookup
    /// table's, `IN_MOVE_SELF` first), so compare the two as sets.
    pub fn type_names(&self) -> MaskNames {
        self.event.mask.names()
    }

    /// The file name within the watched directory; empty for an event on
    /// the watched object itself.
    pub fn name(&self) -> &'a [u8] {
        self.event.name
    }

    /// The kernel's queue overflowed (`IN_Q_OVERFLOW`, `wd == -1`): events
    /// were lost, and whatever state was built from them must be rebuilt.
    pub fn is_overflow(&self) -> bool {
        self.event.mask.contains(EventMask::Q_OVERFLOW)
    }

    /// The filesystem holding the watched object was unmounted
    /// (`IN_UNMOUNT`); an `IN_IGNORED` follows.
    pub fn is_unmount(&self) -> bool {
        self.event.mask.contains(EventMask::UNMOUNT)
    }

    /// The watch is gone (`IN_IGNORED`): removed, or its object deleted or
    /// unmounted. No event for this descriptor follows.
    pub fn is_ignored(&self) -> bool {
        self.event.mask.contains(EventMask::IGNORED)
    }

    /// The subject is a directory (`IN_ISDIR`).
    pub fn is_dir(&self) -> bool {
        self.event.mask.contains(EventMask::ISDIR)
    }

    /// Writes `watch_path/name` (or `watch_path` alone when the name is
    /// empty) into `buf` and returns it; no allocation. `None` when there is
    /// no watch path or `buf` is too small.
    pub fn full_path<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let dir = self.watch_path?;
        let name = self.event.name;
        let sep = usize::from(!name.is_empty());
        let len = dir.len() + sep + name.len();
        let out = buf.get_mut(..len)?;
        out[..dir.len()].copy_from_slice(dir);
        if sep == 1 {
            out[dir.len()] = b'/';
            out[dir.len() + 1..].copy_from_slice(name);
        }
        Some(out)
    }

    /// `watch_path/name` as a `PathBuf` (see [`full_path`](Self::full_path)).
    #[cfg(feature = "std")]
    pub fn path(&self) -> Option<std::path::PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::OsStr::from_bytes(self.watch_path?);
        let name = std::ffi::OsStr::from_bytes(self.event.name);
        Some(std::path::Path::new(dir).join(name))
    }
}

/// PyInotify's README log line: `WD=(1) MASK=(256) COOKIE=(0) LEN=(16)
/// MASK->NAMES=[IN_CREATE] WATCH-PATH=[/tmp] FILENAME=[a.txt]`; bytes that
/// are not UTF-8 are escaped (`\xff`), a missing watch path is empty.
impl fmt::Display for WatchEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.event;
        write!(
            f,
            "WD=({}) MASK=({}) COOKIE=({}) LEN=({}) MASK->NAMES=[",
            e.wd,
            e.mask.bits(),
            e.cookie,
            e.len
        )?;
        for (i, name) in self.type_names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        write!(
            f,
            "] WATCH-PATH=[{}] FILENAME=[{}]",
            LossyBytes(self.watch_path.unwrap_or_default()),
            LossyBytes(e.name)
        )
    }
}

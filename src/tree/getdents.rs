//! Listing a directory with `getdents64` into a fixed buffer (rustix
//! [`RawDir`]), never following a symlink.

use super::listing::Listing;
use core::mem::MaybeUninit;
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, SeekFrom, openat, seek, statat};
use rustix::io::Errno;

/// Bytes of `getdents64` output read per system call.
pub(crate) const DIRENT_BUF: usize = 4096;

/// A directory being listed: its descriptor, and where to resume when the
/// [`Listing`] filled up.
#[derive(Debug)]
pub struct OpenDir {
    fd: OwnedFd,
    resume: Option<u64>,
}

/// `open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)`: a symlink
/// is `ELOOP` (or `ENOTDIR`), never followed.
pub(crate) fn open_dir(path: &core::ffi::CStr) -> Result<OpenDir, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = openat(rustix::fs::CWD, path, flags, Mode::empty())?;
    Ok(OpenDir { fd, resume: None })
}

/// Pushes `dir`'s entries into `into` until it is full (`Ok(false)`) or the
/// directory ends (`Ok(true)`). `DT_UNKNOWN` (some filesystems) is resolved
/// with `statat(AT_SYMLINK_NOFOLLOW)`.
pub(crate) fn read_dir(
    dir: &mut OpenDir,
    buf: &mut [MaybeUninit<u8>; DIRENT_BUF],
    into: &mut Listing,
) -> Result<bool, Errno> {
    let start = dir.resume.take();
    if let Some(cookie) = start {
        seek(&dir.fd, SeekFrom::Start(cookie))?;
    }
    let mut raw = RawDir::new(&dir.fd, buf);
    // Where the entry being looked at starts: resume there if it does not fit.
    let mut here = start.unwrap_or(0);
    while let Some(entry) = raw.next() {
        let entry = entry?;
        let name = entry.file_name();
        let bytes = name.to_bytes();
        let next = entry.next_entry_cookie();
        if bytes == b"." || bytes == b".." {
            here = next;
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
                .unwrap_or(false),
            _ => false,
        };
        if !into.push(bytes, is_dir) {
            dir.resume = Some(here);
            return Ok(false);
        }
        here = next;
    }
    Ok(true)
}

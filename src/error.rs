//! The crate's one error type for everything that talks to the kernel.
//!
//! An [`Error`] says which [`Operation`] failed, why ([`ErrorKind`]: the
//! errno, or one of the limits this crate or the kernel enforces), and, with
//! the `std` feature, the path involved. Its `Display` is a sentence a person
//! can act on: the watch limit names the sysctl to raise.
//!
//! The parser's own error, [`ParseError`], stays in [`event`](crate::event)
//! because that module is pure; it converts into [`Error`].

use crate::event::{MIN_BUFFER_LEN, ParseError};
use core::fmt;
use rustix::io::Errno;

/// The longest path the kernel accepts, including its NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// The system call or step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `inotify_init1` or `epoll_create1` while creating an instance.
    Init,
    /// `inotify_add_watch`, or recording the new watch.
    AddWatch,
    /// `inotify_rm_watch`.
    RemoveWatch,
    /// `epoll_wait` on the inotify descriptor.
    Wait,
    /// `read` from the inotify descriptor, or parsing what it returned.
    Read,
    /// Opening a directory to list it (`openat`).
    OpenDir,
    /// Listing a directory (`getdents64`).
    ReadDir,
    /// `epoll_create1`, `epoll_ctl` or `epoll_wait` on a
    /// [`WaitSet`](crate::WaitSet).
    WaitSet,
}

impl Operation {
    /// A short verb phrase for messages: "add a watch".
    fn describe(self) -> &'static str {
        match self {
            Self::Init => "create an inotify instance",
            Self::AddWatch => "add a watch",
            Self::RemoveWatch => "remove a watch",
            Self::Wait => "wait for inotify events",
            Self::Read => "read inotify events",
            Self::OpenDir => "open a directory",
            Self::ReadDir => "list a directory",
            Self::WaitSet => "wait on a set of descriptors",
        }
    }
}

/// Why an [`Operation`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The kernel refused, with this errno (`ENOENT`, `ENOTDIR`, `EACCES`, ...).
    Os(Errno),
    /// `ENOSPC` from `inotify_add_watch`: the per-user watch limit,
    /// `/proc/sys/fs/inotify/max_user_watches`, is reached.
    WatchLimit,
    /// `EMFILE` from `inotify_init1`: the per-user instance limit,
    /// `/proc/sys/fs/inotify/max_user_instances`, is reached, or (the same
    /// errno) the process's open file limit, `RLIMIT_NOFILE`.
    InstanceLimit,
    /// A table this crate keeps is full; its capacity was chosen by the
    /// caller.
    TableFull {
        /// The table's capacity, in entries.
        capacity: usize,
    },
    /// The path, with its NUL, is longer than [`PATH_MAX`] bytes.
    PathTooLong {
        /// The path's length in bytes.
        len: usize,
    },
    /// The path contains a NUL byte, which no Linux path can.
    PathContainsNul,
    /// The read buffer is smaller than [`MIN_BUFFER_LEN`], so one large
    /// event might never fit.
    BufferTooSmall {
        /// The buffer's length.
        len: usize,
    },
    /// The kernel returned bytes the parser rejects.
    Malformed(ParseError),
    /// The byte storage for the watch table's paths (or a recursive tree's
    /// directory names) is full; its size was chosen by the caller.
    PathStorageFull {
        /// The storage's size, in bytes.
        capacity: usize,
    },
    /// The path is not watched through this table, so there is no watch to
    /// remove.
    NotWatched,
}

/// An error from an operation on the kernel, with the path involved where
/// there is one.
///
/// ```
/// use zinotify::{Inotify, WatchMask, ErrorKind};
/// use rustix::io::Errno;
///
/// let inotify = Inotify::new().unwrap();
/// let err = inotify.add_watch("/no/such/dir", WatchMask::CREATE).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Os(Errno::NOENT));
/// assert_eq!(err.to_string(),
///            "cannot add a watch on \"/no/such/dir\": No such file or directory (os error 2)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    operation: Operation,
    kind: ErrorKind,
    #[cfg(feature = "std")]
    path: Option<std::boxed::Box<[u8]>>,
}

impl Error {
    /// An error of `kind` while doing `operation`, with no path.
    pub fn new(operation: Operation, kind: ErrorKind) -> Self {
        Self {
            operation,
            kind,
            #[cfg(feature = "std")]
            path: None,
        }
    }

    /// Maps an errno from `operation` to the error a person should see:
    /// the limits get their own kinds.
    pub fn from_errno(operation: Operation, errno: Errno) -> Self {
        let kind = match (operation, errno) {
            (Operation::AddWatch, Errno::NOSPC) => ErrorKind::WatchLimit,
            (Operation::Init, Errno::MFILE) => ErrorKind::InstanceLimit,
            _ => ErrorKind::Os(errno),
        };
        Self::new(operation, kind)
    }

    /// Attaches the path the operation was about. Without the `std` feature
    /// the path is not kept (there is nowhere to keep it without a heap), and
    /// the caller, who passed it, still has it.
    #[cfg_attr(not(feature = "std"), allow(unused_variables, unused_mut))]
    pub fn with_path(mut self, path: &[u8]) -> Self {
        #[cfg(feature = "std")]
        {
            self.path = Some(path.into());
        }
        self
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Why it failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno behind this error, if the kernel gave one.
    pub fn errno(&self) -> Option<Errno> {
        match self.kind {
            ErrorKind::Os(errno) => Some(errno),
            ErrorKind::WatchLimit => Some(Errno::NOSPC),
            ErrorKind::InstanceLimit => Some(Errno::MFILE),
            ErrorKind::PathTooLong { .. } => Some(Errno::NAMETOOLONG),
            ErrorKind::PathContainsNul | ErrorKind::BufferTooSmall { .. } => Some(Errno::INVAL),
            ErrorKind::TableFull { .. } | ErrorKind::Malformed(_) => None,
            ErrorKind::PathStorageFull { .. } => None,
            ErrorKind::NotWatched => Some(Errno::INVAL),
        }
    }

    /// The path the operation was about, as raw bytes (only with `std`).
    #[cfg(feature = "std")]
    pub fn path(&self) -> Option<&[u8]> {
        self.path.as_deref()
    }
}

impl From<ParseError> for Error {
    fn from(err: ParseError) -> Self {
        Self::new(Operation::Read, ErrorKind::Malformed(err))
    }
}

/// Writes bytes as text: valid UTF-8 as is, anything else as `\xNN`.
pub(crate) struct LossyBytes<'a>(pub(crate) &'a [u8]);

impl fmt::Display for LossyBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {}", self.operation.describe())?;
        #[cfg(feature = "std")]
        if let Some(path) = &self.path {
            write!(f, " on \"{}\"", LossyBytes(path))?;
        }
        f.write_str(": ")?;
        match self.kind {
            ErrorKind::Os(errno) => {
                #[cfg(feature = "std")]
                {
                    write!(f, "{}", std::io::Error::from(errno))
                }
                #[cfg(not(feature = "std"))]
                {
                    write!(f, "os error {}", errno.raw_os_error())
                }
            }
            ErrorKind::WatchLimit => f.write_str(
                "the inotify watch limit is reached; raise /proc/sys/fs/inotify/max_user_watches \
                 (sysctl fs.inotify.max_user_watches)",
            ),
            ErrorKind::InstanceLimit => f.write_str(
                "the inotify instance limit is reached; raise /proc/sys/fs/inotify/max_user_instances \
                 (sysctl fs.inotify.max_user_instances), or the open file limit (ulimit -n) if this \
                 process has too many files open",
            ),
            ErrorKind::TableFull { capacity } => write!(
                f,
                "the watch table is full ({capacity} entries); create it with a larger capacity"
            ),
            ErrorKind::PathTooLong { len } => write!(
                f,
                "the path is {len} bytes long; with its NUL it must fit in PATH_MAX ({PATH_MAX}) bytes"
            ),
            ErrorKind::PathContainsNul => f.write_str("the path contains a NUL byte"),
            ErrorKind::BufferTooSmall { len } => write!(
                f,
                "the read buffer is {len} bytes; at least {MIN_BUFFER_LEN} are needed to hold any event"
            ),
            ErrorKind::Malformed(err) => write!(f, "{err}"),
            ErrorKind::PathStorageFull { capacity } => write!(
                f,
                "the watch table's path (or name) storage is full ({capacity} bytes); create it with more"
            ),
            ErrorKind::NotWatched => f.write_str("the path is not watched through this table"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("operation", &self.operation)
            .field("kind", &self.kind);
        #[cfg(feature = "std")]
        if let Some(path) = &self.path {
            s.field("path", &format_args!("\"{}\"", LossyBytes(path)));
        }
        s.finish()
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Malformed(err) => Some(err),
            _ => None,
        }
    }
}

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    /// Keeps the errno where there is one, so `?` into `io::Result` works.
    fn from(err: Error) -> Self {
        match err.errno() {
            Some(errno) => std::io::Error::new(std::io::Error::from(errno).kind(), err),
            None => std::io::Error::other(err),
        }
    }
}

//! Path arguments without allocation.
//!
//! The kernel wants NUL-terminated paths; callers have `&str`, `&[u8]`,
//! `&CStr` or (with `std`) `&Path`. [`PathBytes`] gives the bytes of any of
//! them, and `with_c_path` copies them into a fixed [`PATH_MAX`] buffer on
//! the stack, adds the NUL, and hands out a `&CStr`: no heap, and a clear
//! error for a path that is too long or holds a NUL. No system calls.

use crate::error::{Error, ErrorKind, Operation, PATH_MAX};
use core::ffi::CStr;

/// Anything that names a path as raw bytes (Linux paths need not be UTF-8).
///
/// Implemented for `str`, `[u8]`, `CStr` and byte arrays, and with `std` for
/// `Path`, `OsStr`, `String`, `PathBuf` and `OsString`.
///
/// ```
/// use zinotify::PathBytes;
///
/// assert_eq!("/tmp".path_bytes(), b"/tmp");
/// assert_eq!(c"/tmp".path_bytes(), b"/tmp");
/// ```
pub trait PathBytes {
    /// The path's bytes, without any NUL terminator.
    fn path_bytes(&self) -> &[u8];
}

impl PathBytes for [u8] {
    fn path_bytes(&self) -> &[u8] {
        self
    }
}

impl<const N: usize> PathBytes for [u8; N] {
    fn path_bytes(&self) -> &[u8] {
        self
    }
}

impl PathBytes for str {
    fn path_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PathBytes for CStr {
    fn path_bytes(&self) -> &[u8] {
        self.to_bytes()
    }
}

impl<T: PathBytes + ?Sized> PathBytes for &T {
    fn path_bytes(&self) -> &[u8] {
        (**self).path_bytes()
    }
}

#[cfg(feature = "std")]
mod std_impls {
    use super::PathBytes;
    use std::ffi::{OsStr, OsString};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};
    use std::string::String;

    impl PathBytes for OsStr {
        fn path_bytes(&self) -> &[u8] {
            self.as_bytes()
        }
    }
    impl PathBytes for Path {
        fn path_bytes(&self) -> &[u8] {
            self.as_os_str().as_bytes()
        }
    }
    impl PathBytes for OsString {
        fn path_bytes(&self) -> &[u8] {
            self.as_bytes()
        }
    }
    impl PathBytes for PathBuf {
        fn path_bytes(&self) -> &[u8] {
            self.as_os_str().as_bytes()
        }
    }
    impl PathBytes for String {
        fn path_bytes(&self) -> &[u8] {
            self.as_bytes()
        }
    }
}

/// Copies `path` into a stack buffer, NUL-terminates it and calls `f` with
/// it. Fails with [`ErrorKind::PathTooLong`] when the path and its NUL exceed
/// [`PATH_MAX`] and with [`ErrorKind::PathContainsNul`] for an embedded NUL;
/// both errors carry `operation` and the path.
pub(crate) fn with_c_path<R>(
    operation: Operation,
    path: &[u8],
    f: impl FnOnce(&CStr) -> R,
) -> Result<R, Error> {
    let mut buf = [0u8; PATH_MAX];
    let Some(dest) = buf.get_mut(..path.len()).filter(|_| path.len() < PATH_MAX) else {
        return Err(
            Error::new(operation, ErrorKind::PathTooLong { len: path.len() }).with_path(path),
        );
    };
    dest.copy_from_slice(path);
    // The byte after the path is already 0; the first NUL must be that one.
    match CStr::from_bytes_until_nul(&buf) {
        Ok(c_path) if c_path.to_bytes().len() == path.len() => Ok(f(c_path)),
        _ => Err(Error::new(operation, ErrorKind::PathContainsNul).with_path(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_path_is_accepted_and_one_more_byte_is_not() {
        let longest = [b'a'; PATH_MAX - 1];
        let len = with_c_path(Operation::AddWatch, &longest, |c| c.to_bytes().len()).unwrap();
        assert_eq!(len, PATH_MAX - 1);

        let too_long = [b'a'; PATH_MAX];
        let err = with_c_path(Operation::AddWatch, &too_long, |_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PathTooLong { len: PATH_MAX });
        assert!(err.to_string().contains("PATH_MAX (4096)"));
    }

    #[test]
    fn embedded_nul_is_rejected() {
        let err = with_c_path(Operation::AddWatch, b"/tmp\0/x", |_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PathContainsNul);
    }

    #[test]
    fn empty_path_passes_through_to_the_kernel() {
        // The kernel answers ENOENT for "", as it should; we do not guess.
        let len = with_c_path(Operation::AddWatch, b"", |c| c.to_bytes().len()).unwrap();
        assert_eq!(len, 0);
    }
}

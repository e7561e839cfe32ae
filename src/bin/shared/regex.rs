//! POSIX `regcomp`/`regexec` with `REG_EXTENDED`, the very engine
//! inotifywait and inotifywatch use for `--exclude`/`--include`, so a
//! pattern means exactly what it meant there (bracket classes, `\<`,
//! back-references, leftmost-longest), and the binaries carry no regex
//! engine of their own. One of the commands' few `unsafe` modules (with
//! [`super::signals`] and zinotify's `sys`); the library stays
//! `#![forbid(unsafe_code)]` and libc-free.
#![allow(unsafe_code)]

use std::ffi::CStr;

/// A compiled POSIX extended regular expression.
pub struct Regex {
    // Boxed so the compiled state never moves; regfree'd on drop.
    raw: Box<libc::regex_t>,
}

impl Regex {
    /// Compiles `pattern` with `REG_EXTENDED | REG_NOSUB` (and `REG_ICASE`
    /// when `ignore_case`). The error is the C library's own message.
    pub fn new(pattern: &CStr, ignore_case: bool) -> Result<Self, String> {
        let mut flags = libc::REG_EXTENDED | libc::REG_NOSUB;
        if ignore_case {
            flags |= libc::REG_ICASE;
        }
        // SAFETY: an all-zero regex_t is a valid argument for regcomp, which
        // initialises it; `pattern` is NUL-terminated.
        let mut raw: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        let rc = unsafe { libc::regcomp(&mut *raw, pattern.as_ptr(), flags) };
        if rc == 0 {
            return Ok(Self { raw });
        }
        let mut msg = [0u8; 256];
        // SAFETY: regerror writes at most `msg.len()` bytes, NUL included,
        // about a regex_t that regcomp just failed on (allowed by POSIX).
        unsafe { libc::regerror(rc, &*raw, msg.as_mut_ptr().cast(), msg.len()) };
        // regcomp failed, so there is nothing to regfree.
        std::mem::forget(raw);
        let text = CStr::from_bytes_until_nul(&msg).unwrap_or(c"invalid regular expression");
        Err(text.to_string_lossy().into_owned())
    }

    /// Whether the expression matches anywhere in `text`.
    pub fn is_match(&self, text: &CStr) -> bool {
        // SAFETY: the regex was compiled by regcomp and not freed; `text` is
        // NUL-terminated; with REG_NOSUB no match array is written.
        unsafe { libc::regexec(&*self.raw, text.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

// SAFETY: the compiled expression is owned by this value alone, and POSIX
// makes regexec safe to call from any thread (the tree's directory filter
// must be Send + Sync).
unsafe impl Send for Regex {}
unsafe impl Sync for Regex {}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: compiled by a successful regcomp, freed exactly once.
        unsafe { libc::regfree(&mut *self.raw) }
    }
}

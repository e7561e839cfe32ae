//! `--exclude`/`--excludei`/`--include`/`--includei`: a POSIX extended
//! regular expression tested against each event's full path (`%w%f`, the
//! watched path followed by the name), as inotifywait does.

use super::regex::Regex;
use std::ffi::CString;

/// Which way the expression filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--exclude[i]`: drop events whose path matches.
    Exclude,
    /// `--include[i]`: drop events whose path does not match.
    Include,
}

/// Events by their full path (`%w%f`) against one expression; without one,
/// every event passes.
pub struct PathFilter {
    regex: Regex,
    mode: Mode,
    // Reused for the NUL-terminated path, so filtering does not allocate.
    scratch: Vec<u8>,
}

impl PathFilter {
    /// Compiles `pattern`; the error is the C library's message.
    pub fn new(pattern: &[u8], ignore_case: bool, mode: Mode) -> Result<Self, String> {
        let pattern =
            CString::new(pattern).map_err(|_| "the pattern contains a NUL byte".to_owned())?;
        Ok(Self {
            regex: Regex::new(&pattern, ignore_case)?,
            mode,
            scratch: Vec::with_capacity(4096),
        })
    }

    /// Whether an event on `name` inside `watch` is to be reported.
    pub fn passes(&mut self, watch: &[u8], name: &[u8]) -> bool {
        self.scratch.clear();
        self.scratch.extend_from_slice(watch);
        self.scratch.extend_from_slice(name);
        // Paths and names never hold NUL (the kernel cannot store one).
        self.scratch.push(0);
        let matched = std::ffi::CStr::from_bytes_until_nul(&self.scratch)
            .map(|path| self.regex.is_match(path))
            .unwrap_or(false);
        matched == (self.mode == Mode::Include)
    }
}

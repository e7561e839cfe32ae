//! [`Listing`]: a fixed buffer of directory entries found by a listing and
//! not yet processed.
//!
//! A [`TreeBackend`](super::TreeBackend) fills it from `getdents`; the
//! [`TreeMachine`](super::TreeMachine) drains it, watching each subdirectory and
//! reporting each entry as a synthetic event whose name borrows this buffer.
//! When it is full the backend stops and resumes the same directory later,
//! so a directory of any size lists through 4 KiB.

/// Room for the names of one batch of entries.
pub const LISTING_LEN: usize = 4096;

/// Directory entries waiting to be processed: `[name_len][is_dir][name]`
/// records in `buf[head..tail]`.
#[derive(Debug)]
pub struct Listing {
    buf: [u8; LISTING_LEN],
    head: usize,
    tail: usize,
}

impl Default for Listing {
    fn default() -> Self {
        Self::new()
    }
}

impl Listing {
    /// An empty listing.
    pub const fn new() -> Self {
        Self {
            buf: [0; LISTING_LEN],
            head: 0,
            tail: 0,
        }
    }

    /// Adds an entry; `false` (and nothing added) when it does not fit, in
    /// which case the backend stops and resumes with this entry next time.
    /// `.` and `..` must not be pushed; `name` is at most 255 bytes.
    pub fn push(&mut self, name: &[u8], is_dir: bool) -> bool {
        if self.head == self.tail {
            self.head = 0;
            self.tail = 0;
        }
        let need = 2 + name.len();
        if name.is_empty() || name.len() > 255 || self.tail + need > LISTING_LEN {
            return false;
        }
        self.buf[self.tail] = name.len() as u8;
        self.buf[self.tail + 1] = u8::from(is_dir);
        self.buf[self.tail + 2..self.tail + need].copy_from_slice(name);
        self.tail += need;
        true
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    /// Takes the next entry: where its name is in the buffer, and whether it
    /// is a directory.
    pub(crate) fn pop(&mut self) -> Option<(usize, usize, bool)> {
        if self.head == self.tail {
            return None;
        }
        let len = self.buf[self.head] as usize;
        let is_dir = self.buf[self.head + 1] != 0;
        let start = self.head + 2;
        self.head = start + len;
        Some((start, len, is_dir))
    }

    /// The bytes of a name [`pop`](Self::pop) returned.
    pub(crate) fn name(&self, start: usize, len: usize) -> &[u8] {
        &self.buf[start..start + len]
    }

    /// Drops whatever is waiting.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.tail = 0;
    }
}

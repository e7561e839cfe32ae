//! The encoder: writes events into a buffer exactly as the kernel lays them
//! out, for tests, fuzzing, and callers testing their own code against
//! synthetic events.

use super::{HEADER_LEN, NAME_MAX};
use crate::mask::EventMask;
use core::fmt;

/// Why an event could not be encoded. Nothing is written when this is
/// returned: the buffer holds exactly the events pushed before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event needs `needed` bytes but only `available` are left.
    BufferTooSmall {
        /// Bytes the event takes, header and padded name.
        needed: usize,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// The name is longer than [`NAME_MAX`] (255) bytes; the kernel never
    /// reports such a name.
    NameTooLong {
        /// The name's length.
        len: usize,
    },
    /// The name contains a NUL byte, which would end it early when parsed.
    NameContainsNul {
        /// Index of the first NUL.
        at: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "event needs {needed} bytes but only {available} are left in the buffer"
            ),
            Self::NameTooLong { len } => {
                write!(f, "name is {len} bytes long; the limit is {NAME_MAX}")
            }
            Self::NameContainsNul { at } => write!(f, "name contains a NUL byte at index {at}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}

/// The kernel's padded name length for a name of `name_len` bytes: nothing
/// for an empty name, otherwise the name and its NUL rounded up to a multiple
/// of [`HEADER_LEN`] (`round_event_name_len` in `fs/notify/inotify`).
///
/// ```
/// use zinotify::padded_name_len;
///
/// assert_eq!(padded_name_len(0), 0);
/// assert_eq!(padded_name_len(1), 16);
/// assert_eq!(padded_name_len(15), 16);
/// assert_eq!(padded_name_len(16), 32);
/// assert_eq!(padded_name_len(255), 256);
/// ```
pub const fn padded_name_len(name_len: usize) -> usize {
    if name_len == 0 {
        0
    } else {
        (name_len + 1).div_ceil(HEADER_LEN) * HEADER_LEN
    }
}

/// Writes events one after another into a caller's buffer, in the kernel's
/// layout: native-endian header, then the name, a NUL, and NUL padding to a
/// multiple of 16.
///
/// ```
/// use zinotify::{Encoder, Events, EventMask};
///
/// let mut buf = [0u8; 256];
/// let mut enc = Encoder::new(&mut buf);
/// enc.push(3, EventMask::MOVED_FROM, 42, b"old").unwrap();
/// enc.push(3, EventMask::MOVED_TO, 42, b"new").unwrap();
/// let bytes = enc.as_bytes();
/// assert_eq!(bytes.len(), 64);
///
/// let names: Vec<_> = Events::new(bytes).map(|e| e.unwrap().name).collect();
/// assert_eq!(names, [b"old", b"new"]);
/// ```
pub struct Encoder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Debug for Encoder<'_> {
    /// How much is written and how much room is left, not the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .finish()
    }
}

impl<'b> Encoder<'b> {
    /// Starts writing at the beginning of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Appends one event. `len` is computed from `name` as the kernel does.
    ///
    /// On error nothing is written and the encoder is unchanged.
    pub fn push(
        &mut self,
        wd: i32,
        mask: EventMask,
        cookie: u32,
        name: &[u8],
    ) -> Result<(), EncodeError> {
        if name.len() > NAME_MAX {
            return Err(EncodeError::NameTooLong { len: name.len() });
        }
        if let Some(at) = name.iter().position(|&b| b == 0) {
            return Err(EncodeError::NameContainsNul { at });
        }
        let padded = padded_name_len(name.len());
        let needed = HEADER_LEN + padded;
        let available = self.buf.len() - self.len;
        let Some(out) = self.buf.get_mut(self.len..self.len + needed) else {
            return Err(EncodeError::BufferTooSmall { needed, available });
        };
        let (header, name_field) = out.split_at_mut(HEADER_LEN);
        // `padded` is at most 256, so the cast cannot truncate.
        let fields = [wd as u32, mask.bits(), cookie, padded as u32];
        for (slot, value) in header.chunks_exact_mut(4).zip(fields) {
            slot.copy_from_slice(&value.to_ne_bytes());
        }
        let (name_out, padding) = name_field.split_at_mut(name.len());
        name_out.copy_from_slice(name);
        padding.fill(0);
        self.len += needed;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The events written so far, ready for [`Events::new`](crate::Events::new).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

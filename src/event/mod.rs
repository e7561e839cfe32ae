//! The zero-copy event parser: `&[u8]` → [`Event<'a>`]. Pure: no system
//! calls, no allocation, fuzzed on its own.
//!
//! The record layout is documented on [`Events`].

mod cursor;
mod encode;
mod name_end;

pub(crate) use cursor::Cursor;
pub use encode::{EncodeError, Encoder, padded_name_len};

use crate::mask::EventMask;
use core::fmt;

/// Size of the fixed part of a kernel event (`sizeof(struct inotify_event)`).
pub const HEADER_LEN: usize = 16;

/// The longest file name the kernel reports (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// The smallest read buffer that always holds at least one event: a 16-byte
/// header plus a 255-byte name and its NUL (272 bytes). A `read` into a
/// smaller buffer can fail with `EINVAL` when the next event is large.
pub const MIN_BUFFER_LEN: usize = HEADER_LEN + NAME_MAX + 1;

/// One inotify event, borrowing its name from the buffer it was parsed from.
///
/// ```
/// use zinotify::{Event, EventMask};
///
/// let event = Event { wd: 1, mask: EventMask::CREATE, cookie: 0, len: 16, name: b"a.txt" };
/// assert_eq!(format!("{event:?}"),
///            r#"Event { wd: 1, mask: IN_CREATE, cookie: 0, len: 16, name: "a.txt" }"#);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    /// The watch descriptor the event belongs to; `-1` for
    /// [`EventMask::Q_OVERFLOW`].
    pub wd: i32,
    /// What happened.
    pub mask: EventMask,
    /// Ties an `IN_MOVED_FROM` to its `IN_MOVED_TO`; 0 otherwise.
    pub cookie: u32,
    /// The raw, padded name length from the header: what the kernel reports
    /// is 0 or a multiple of 16, but any `len` whose bytes are in the buffer
    /// and hold a NUL is accepted. Not the length of [`name`](Self::name);
    /// the record takes `16 + len` bytes.
    pub len: u32,
    /// The file name, without its NUL padding; empty for an event on the
    /// watched object itself. Raw bytes: Linux names need not be UTF-8.
    pub name: &'a [u8],
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names are bytes; show them escaped rather than as a list of numbers.
        struct EscapedName<'b>(&'b [u8]);
        impl fmt::Debug for EscapedName<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "\"{}\"", self.0.escape_ascii())
            }
        }
        f.debug_struct("Event")
            .field("wd", &self.wd)
            .field("mask", &self.mask)
            .field("cookie", &self.cookie)
            .field("len", &self.len)
            .field("name", &EscapedName(self.name))
            .finish()
    }
}

/// What is wrong with a malformed event buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Fewer than [`HEADER_LEN`] bytes are left where a header should start.
    TruncatedHeader {
        /// How many bytes were left.
        available: usize,
    },
    /// The header's `len` runs past the end of the buffer.
    NamePastEnd {
        /// The `len` the header claims.
        len: u32,
        /// How many bytes follow the header.
        available: usize,
    },
    /// The name field holds no NUL byte; the kernel always terminates names.
    NameNotTerminated {
        /// The `len` of the name field.
        len: u32,
    },
}

/// A malformed event: what is wrong, and the byte offset of the header of
/// the event where it was found.
///
/// ```
/// use zinotify::{Events, ParseErrorKind};
///
/// let err = Events::new(&[0u8; 10]).next().unwrap().unwrap_err();
/// assert_eq!(err.offset, 0);
/// assert_eq!(err.kind, ParseErrorKind::TruncatedHeader { available: 10 });
/// assert_eq!(err.to_string(), "truncated event header at byte 0: 10 bytes left, 16 needed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// Byte offset of the malformed event's header in the buffer.
    pub offset: usize,
    /// What is wrong with it.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = self.offset;
        match self.kind {
            ParseErrorKind::TruncatedHeader { available } => write!(
                f,
                "truncated event header at byte {offset}: {available} bytes left, {HEADER_LEN} needed"
            ),
            ParseErrorKind::NamePastEnd { len, available } => write!(
                f,
                "event at byte {offset} claims a {len}-byte name but only {available} bytes follow"
            ),
            ParseErrorKind::NameNotTerminated { len } => write!(
                f,
                "event at byte {offset} has a {len}-byte name with no NUL terminator"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}

/// An iterator over the events in a byte buffer, borrowing it.
///
/// Yields `Ok(Event)` for each well-formed record, then ends; or yields one
/// `Err(ParseError)` for the first malformed record, then ends. It never
/// panics and never reads outside the buffer, whatever the bytes.
///
/// The kernel hands out events as a packed sequence of `struct inotify_event`
/// records:
///
/// ```text
/// offset  size  field
///      0     4  wd      (i32)  watch descriptor, -1 for a queue overflow
///      4     4  mask    (u32)  IN_* bits
///      8     4  cookie  (u32)  pairs IN_MOVED_FROM with IN_MOVED_TO
///     12     4  len     (u32)  bytes of name that follow, NUL-padded
///     16   len  name           NUL-terminated, padded to a multiple of 16
/// ```
///
/// [`Events`] walks such a buffer and yields one [`Event`] per record, each
/// borrowing its name from the buffer. It trusts nothing: fields are read
/// with `from_ne_bytes` (so any alignment works), every length is checked
/// before it is used, and malformed input is a [`ParseError`] that says what
/// is wrong and at which byte offset. After an error the iterator is done.
///
/// ```
/// use zinotify::{EventMask, Events, Encoder};
///
/// let mut buf = [0u8; 64];
/// let mut enc = Encoder::new(&mut buf);
/// enc.push(1, EventMask::CREATE, 0, b"hello.txt").unwrap();
/// let len = enc.len();
///
/// let event = Events::new(&buf[..len]).next().unwrap().unwrap();
/// assert_eq!(event.name, b"hello.txt");
/// assert_eq!(event.len, 16); // "hello.txt" + NUL, padded to 16
/// ```
///
/// ```
/// use zinotify::{Events, Encoder, EventMask};
///
/// let mut buf = [0u8; 128];
/// let mut enc = Encoder::new(&mut buf);
/// enc.push(1, EventMask::CREATE, 0, b"a").unwrap();
/// enc.push(1, EventMask::DELETE, 0, b"a").unwrap();
/// let len = enc.len();
///
/// let masks: Vec<_> = Events::new(&buf[..len]).map(|e| e.unwrap().mask).collect();
/// assert_eq!(masks, [EventMask::CREATE, EventMask::DELETE]);
/// ```
#[derive(Clone)]
pub struct Events<'a> {
    /// The bytes not yet parsed: a suffix of the buffer, empty once done.
    rest: &'a [u8],
    /// The whole buffer's length, to turn `rest` back into an offset.
    len: usize,
}

impl<'a> Events<'a> {
    /// Iterates over the events in `buf`, which should hold whole events as
    /// `read(2)` on an inotify descriptor returns them.
    pub const fn new(buf: &'a [u8]) -> Self {
        Self {
            rest: buf,
            len: buf.len(),
        }
    }

    /// The byte offset of the next record to parse; after the iterator ends
    /// (cleanly or with an error) this is the buffer's length.
    pub const fn offset(&self) -> usize {
        self.len - self.rest.len()
    }

    /// The bytes not yet parsed.
    pub const fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// Ends the iteration with an error at the current offset. Out of line
    /// and returning only the error, so that `next` stays small and builds
    /// its events in registers.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, kind: ParseErrorKind) -> ParseError {
        let offset = self.offset();
        // Stop here: what follows a malformed record cannot be framed.
        self.rest = &[];
        ParseError { offset, kind }
    }
}

impl fmt::Debug for Events<'_> {
    /// Where it is and how much is left, not the bytes themselves (a
    /// read buffer is often 64 KiB).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("offset", &self.offset())
            .field("remaining", &self.rest.len())
            .finish()
    }
}

/// Reads the native-endian `u32` at `at` in a 16-byte header.
#[inline(always)]
fn field(header: &[u8; HEADER_LEN], at: usize) -> u32 {
    u32::from_ne_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
}

/// Parses the record at the start of `rest` (not empty): the event and the
/// bytes it takes, or what is wrong with it.
#[inline(always)]
fn record(rest: &[u8]) -> Result<(Event<'_>, usize), ParseErrorKind> {
    let Some((header, after)) = rest.split_first_chunk::<HEADER_LEN>() else {
        return Err(ParseErrorKind::TruncatedHeader {
            available: rest.len(),
        });
    };
    let len = field(header, 12);
    // A `u32` always fits a `usize` on the 32- and 64-bit targets Linux runs
    // on; if it did not, the name could not fit the buffer either.
    let Some(name_field) = usize::try_from(len).ok().and_then(|n| after.get(..n)) else {
        return Err(ParseErrorKind::NamePastEnd {
            len,
            available: after.len(),
        });
    };
    let name = if name_field.is_empty() {
        name_field
    } else {
        match name_end::first_nul(name_field).and_then(|end| name_field.get(..end)) {
            Some(name) => name,
            None => return Err(ParseErrorKind::NameNotTerminated { len }),
        }
    };
    let event = Event {
        wd: field(header, 0) as i32,
        mask: EventMask::from_bits_retain(field(header, 4)),
        cookie: field(header, 8),
        len,
        name,
    };
    Ok((event, HEADER_LEN + name_field.len()))
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event<'a>, ParseError>;

    // Always inlined: out of line, the 48-byte item goes back through memory
    // and the caller's reads of it can stall on store forwarding, which costs
    // more than the parsing. Errors and long names are handled out of line
    // to keep this small.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        Some(match record(self.rest) {
            Ok((event, used)) => {
                // `record` never reports more than it was given.
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                Ok(event)
            }
            Err(kind) => Err(self.fail(kind)),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Every item takes at least one byte (an event a whole header), and
        // a non-empty rest yields at least one item, an event or an error.
        let left = self.remaining().len();
        (usize::from(left > 0), Some(left.div_ceil(HEADER_LEN)))
    }
}

impl core::iter::FusedIterator for Events<'_> {}

#[cfg(test)]
mod tests;

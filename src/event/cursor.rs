//! [`Cursor`]: where a loop is in its read buffer, shared by the flat loop
//! (`watcher`) and the tree's driver, so that both frame events,
//! and drop what follows a malformed record, the same way.

use super::{Event, Events, ParseError};

/// The unread part of a read buffer, `buf[pos..end]`, as two offsets: no
/// borrow, so a loop can hold it across reads and hand out events that
/// borrow the buffer in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pos: usize,
    end: usize,
}

impl Cursor {
    /// A read just put `len` bytes at the start of the buffer.
    #[inline]
    pub(crate) fn filled(&mut self, len: usize) {
        self.pos = 0;
        self.end = len;
    }

    /// The next event in `buf` (the buffer the bytes were read into) and
    /// the offset of its header, or `None` when none is left. A malformed
    /// record is an error at its offset in `buf`, and the rest of the read
    /// is dropped: what follows it cannot be framed.
    #[inline]
    pub(crate) fn next<'b>(
        &mut self,
        buf: &'b [u8],
    ) -> Option<Result<(usize, Event<'b>), ParseError>> {
        let at = self.pos;
        let mut events = Events::new(buf.get(at..self.end)?);
        match events.next() {
            Some(Ok(event)) => {
                self.pos = at + events.offset();
                Some(Ok((at, event)))
            }
            Some(Err(err)) => {
                self.pos = self.end;
                Some(Err(ParseError {
                    offset: at + err.offset,
                    kind: err.kind,
                }))
            }
            None => {
                self.pos = self.end;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;
    use crate::{Encoder, EventMask};

    #[test]
    fn hands_out_each_event_once_with_its_offset() {
        let mut buf = [0u8; 64];
        let mut enc = Encoder::new(&mut buf);
        enc.push(1, EventMask::CREATE, 0, b"a").unwrap();
        enc.push(2, EventMask::DELETE, 0, b"bc").unwrap();
        let len = enc.len();

        let mut cursor = Cursor::default();
        cursor.filled(len);
        let (at, event) = cursor.next(&buf).unwrap().unwrap();
        assert_eq!((at, event.name), (0, &b"a"[..]));
        let (at, event) = cursor.next(&buf).unwrap().unwrap();
        assert_eq!((at, event.wd, event.name), (32, 2, &b"bc"[..]));
        assert!(cursor.next(&buf).is_none());
    }
}

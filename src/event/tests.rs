//! Unit tests of the parser and encoder; the property tests live in
//! `tests/parse_props.rs`, the real-kernel ones in `tests/parse_kernel.rs`.

use super::*;

/// One raw record: a header with the given `len`, then `name_field` verbatim.
fn raw(wd: i32, mask: u32, cookie: u32, len: u32, name_field: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [wd as u32, mask, cookie, len] {
        out.extend_from_slice(&v.to_ne_bytes());
    }
    out.extend_from_slice(name_field);
    out
}

#[test]
fn parses_a_nameless_event() {
    let buf = raw(7, EventMask::DELETE_SELF.bits(), 0, 0, &[]);
    let mut events = Events::new(&buf);
    let event = events.next().unwrap().unwrap();
    assert_eq!(event.wd, 7);
    assert_eq!(event.mask, EventMask::DELETE_SELF);
    assert_eq!(event.len, 0);
    assert!(event.name.is_empty());
    assert!(events.next().is_none());
    assert_eq!(events.offset(), 16);
}

#[test]
fn name_stops_at_the_first_nul_and_len_is_raw() {
    let buf = raw(
        1,
        EventMask::CREATE.bits(),
        0,
        16,
        b"abc\0\0\0\0\0\0\0\0\0\0\0\0\0",
    );
    let event = Events::new(&buf).next().unwrap().unwrap();
    assert_eq!(event.name, b"abc");
    assert_eq!(event.len, 16);
}

#[test]
fn overflow_event_has_wd_minus_one() {
    let buf = raw(-1, EventMask::Q_OVERFLOW.bits(), 0, 0, &[]);
    let event = Events::new(&buf).next().unwrap().unwrap();
    assert_eq!(event.wd, -1);
    assert_eq!(event.mask, EventMask::Q_OVERFLOW);
}

#[test]
fn empty_buffer_yields_nothing() {
    assert!(Events::new(&[]).next().is_none());
}

#[test]
fn truncated_header_is_an_error_with_offset() {
    let mut buf = raw(1, EventMask::CREATE.bits(), 0, 0, &[]);
    buf.extend_from_slice(&[1, 2, 3]);
    let mut events = Events::new(&buf);
    assert!(events.next().unwrap().is_ok());
    let err = events.next().unwrap().unwrap_err();
    assert_eq!(err.offset, 16);
    assert_eq!(err.kind, ParseErrorKind::TruncatedHeader { available: 3 });
    assert!(events.next().is_none(), "the iterator ends after an error");
}

#[test]
fn name_past_end_is_an_error() {
    let buf = raw(1, EventMask::CREATE.bits(), 0, 32, b"abc\0");
    let err = Events::new(&buf).next().unwrap().unwrap_err();
    assert_eq!(err.offset, 0);
    assert_eq!(
        err.kind,
        ParseErrorKind::NamePastEnd {
            len: 32,
            available: 4
        }
    );
    assert!(err.to_string().contains("32-byte name"));
}

#[test]
fn huge_len_is_an_error_not_an_overflow() {
    let buf = raw(1, 0, 0, u32::MAX, &[0; 16]);
    let err = Events::new(&buf).next().unwrap().unwrap_err();
    assert_eq!(
        err.kind,
        ParseErrorKind::NamePastEnd {
            len: u32::MAX,
            available: 16
        }
    );
}

#[test]
fn unterminated_name_is_an_error() {
    let buf = raw(1, EventMask::CREATE.bits(), 0, 4, b"abcd");
    let err = Events::new(&buf).next().unwrap().unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::NameNotTerminated { len: 4 });
    assert!(err.to_string().contains("no NUL"));
}

#[test]
fn error_after_good_events_carries_its_offset() {
    let mut buf = raw(
        1,
        EventMask::CREATE.bits(),
        0,
        16,
        b"x\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    );
    buf.extend(raw(2, 0, 0, 0, &[]));
    buf.extend(raw(3, 0, 0, 8, b"12345678"));
    let results: Vec<_> = Events::new(&buf).collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].unwrap_err().offset, 48);
}

#[test]
fn unknown_mask_bits_are_kept() {
    let buf = raw(1, 0x0000_1000 | EventMask::OPEN.bits(), 0, 0, &[]);
    let event = Events::new(&buf).next().unwrap().unwrap();
    assert_eq!(event.mask.bits(), 0x0000_1020);
}

#[test]
fn parses_at_an_odd_address() {
    let mut backing = vec![0u8; 1];
    let mut enc_buf = [0u8; 128];
    let mut enc = Encoder::new(&mut enc_buf);
    enc.push(5, EventMask::MODIFY, 9, b"odd").unwrap();
    enc.push(6, EventMask::ATTRIB, 0, b"").unwrap();
    backing.extend_from_slice(enc.as_bytes());
    let unaligned = &backing[1..];
    assert_eq!(
        unaligned.as_ptr() as usize % 2,
        (backing.as_ptr() as usize + 1) % 2
    );
    let events: Vec<_> = Events::new(unaligned).map(Result::unwrap).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0].wd, events[0].cookie, events[0].name),
        (5, 9, &b"odd"[..])
    );
    assert_eq!(events[1].mask, EventMask::ATTRIB);
}

#[test]
fn encoder_pads_like_the_kernel() {
    let mut buf = [0xAAu8; 64];
    let mut enc = Encoder::new(&mut buf);
    enc.push(1, EventMask::CREATE, 0, b"0123456789abcdef")
        .unwrap();
    assert_eq!(enc.len(), 16 + 32);
    let bytes = enc.as_bytes();
    assert_eq!(&bytes[12..16], &32u32.to_ne_bytes());
    assert_eq!(&bytes[16..32], b"0123456789abcdef");
    assert!(
        bytes[32..48].iter().all(|&b| b == 0),
        "NUL then NUL padding"
    );
}

#[test]
fn encoder_reports_a_full_buffer_and_writes_nothing() {
    let mut buf = [0u8; 40];
    let mut enc = Encoder::new(&mut buf);
    enc.push(1, EventMask::CREATE, 0, b"a").unwrap();
    let err = enc.push(1, EventMask::CREATE, 0, b"b").unwrap_err();
    assert_eq!(
        err,
        EncodeError::BufferTooSmall {
            needed: 32,
            available: 8
        }
    );
    assert_eq!(enc.len(), 32);
    assert!(err.to_string().contains("32 bytes"));
}

#[test]
fn encoder_rejects_bad_names() {
    let mut buf = [0u8; 1024];
    let mut enc = Encoder::new(&mut buf);
    assert_eq!(
        enc.push(1, EventMask::CREATE, 0, &[b'a'; 256]),
        Err(EncodeError::NameTooLong { len: 256 })
    );
    assert_eq!(
        enc.push(1, EventMask::CREATE, 0, b"a\0b"),
        Err(EncodeError::NameContainsNul { at: 1 })
    );
    assert!(enc.is_empty());
}

#[test]
fn longest_name_fits_the_minimum_buffer_exactly() {
    let mut buf = [0u8; MIN_BUFFER_LEN];
    let mut enc = Encoder::new(&mut buf);
    enc.push(1, EventMask::CREATE, 0, &[b'n'; NAME_MAX])
        .unwrap();
    assert_eq!(enc.len(), MIN_BUFFER_LEN);
    let event = Events::new(enc.as_bytes()).next().unwrap().unwrap();
    assert_eq!(event.name.len(), NAME_MAX);
    assert_eq!(event.len, 256);
}

#[test]
fn debug_escapes_non_utf8_names() {
    let event = Event {
        wd: 1,
        mask: EventMask::CREATE,
        cookie: 0,
        len: 16,
        name: b"\xffx",
    };
    assert!(format!("{event:?}").contains(r#"name: "\xffx""#));
}

#[test]
fn debug_shows_positions_not_bytes() {
    let mut buf = [0u8; 64];
    let mut enc = Encoder::new(&mut buf);
    enc.push(1, EventMask::CREATE, 0, b"a").unwrap();
    assert_eq!(format!("{enc:?}"), "Encoder { len: 32, capacity: 64 }");
    let mut events = Events::new(&buf[..48]);
    events.next().unwrap().unwrap();
    assert_eq!(
        format!("{events:?}"),
        "Events { offset: 32, remaining: 16 }"
    );
}

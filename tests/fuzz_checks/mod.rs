//! What the fuzz targets check, in one place.
//!
//! This file is the `zinotify_fuzz` library that the targets in
//! `fuzz/fuzz_targets/` call (`fuzz/Cargo.toml` takes it from here, so the
//! published crate, which leaves `fuzz/` out, still has it for its tests),
//! and the stable tests include it with `#[path]`:
//! `tests/fuzz_corpus.rs` replays every corpus file through the same entry
//! points, and `tests/parse_props.rs` drives the same checks from proptest.
//!
//! Each fuzz target `T` has an entry point `fn(data: &[u8])` here that
//! decodes the raw fuzz input and panics if an invariant breaks. A new target
//! adds its entry point (here, or in a module of its own: `pub mod t;` here
//! loads `tests/fuzz_checks/t.rs` both as the library and under `#[path]`),
//! a `fuzz/fuzz_targets/T.rs` that calls it, a `[[bin]]` in
//! `fuzz/Cargo.toml`, a `fuzz/corpus/T/` directory with seeds, and one line
//! in `tests/fuzz_corpus.rs` (whose tests fail if the corpus or that line is
//! missing).

// The tree target's model; tests that include this file for the parser's
// checks do not use it.
#[allow(dead_code)]
pub mod tree;

// The flat loop's core against a model; see the module.
#[allow(dead_code)]
pub mod flat;

use arbitrary::Unstructured;
use zinotify::{EncodeError, Encoder, Event, EventMask, Events, ParseError, ParseErrorKind};
use zinotify::{HEADER_LEN, NAME_MAX, padded_name_len};

/// Fuzz target `parse`: any bytes through the parser.
///
/// The first input byte picks a shift of 0 to 15; the rest is copied that
/// many bytes into a fresh buffer, so the parser sees every alignment.
pub fn parse(data: &[u8]) {
    let Some((&shift, bytes)) = data.split_first() else {
        return;
    };
    let shift = usize::from(shift % 16);
    let mut backing = vec![0u8; shift + bytes.len()];
    backing[shift..].copy_from_slice(bytes);
    check_stream(&backing[shift..]);
}

/// Fuzz target `roundtrip`: arbitrary events through the encoder, then the
/// parser; see [`check_encode`] and [`check_truncated`].
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (Ok(capacity), Ok(cut)) = (u.arbitrary::<Option<u16>>(), u.arbitrary::<u16>()) else {
        return;
    };
    let mut specs = Vec::new();
    while !u.is_empty() {
        match spec(&mut u) {
            Ok(spec) => specs.push(spec),
            Err(_) => break,
        }
    }
    let encoded = check_encode(&specs, capacity.map(usize::from));
    let cut = usize::from(cut) % (encoded.bytes.len() + 1);
    check_truncated(&encoded, cut);
}

/// One event to encode: what [`Encoder::push`] takes. The name may be
/// invalid (too long, or holding a NUL) to exercise the encoder's errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Watch descriptor.
    pub wd: i32,
    /// Raw mask bits, known or not.
    pub mask: u32,
    /// Rename cookie.
    pub cookie: u32,
    /// The name, without padding.
    pub name: Vec<u8>,
}

/// Draws one [`Spec`]. Names are 0 to 256 bytes (256 is one too many); NULs
/// are replaced in most names so that most events are valid.
fn spec(u: &mut Unstructured<'_>) -> arbitrary::Result<Spec> {
    let wd = u.arbitrary()?;
    let mask = u.arbitrary()?;
    let cookie = u.arbitrary()?;
    let len = u.int_in_range(0..=NAME_MAX + 1)?;
    let mut name = u.bytes(len)?.to_vec();
    if !u.ratio(1, 16)? {
        for b in name.iter_mut().filter(|b| **b == 0) {
            *b = b'0';
        }
    }
    Ok(Spec {
        wd,
        mask,
        cookie,
        name,
    })
}

/// What [`check_encode`] produced: the encoded bytes, the events the encoder
/// accepted, and where each accepted event starts (plus the end).
#[derive(Debug)]
pub struct Encoded {
    /// The encoder's output.
    pub bytes: Vec<u8>,
    /// The specs the encoder accepted, in order.
    pub accepted: Vec<Spec>,
    /// `bounds[i]` is where `accepted[i]` starts; the last entry is the end.
    pub bounds: Vec<usize>,
}

/// Encodes `specs` into a buffer of `capacity` bytes (`None`: exactly as
/// many as the valid specs need), checking each push's outcome against the
/// encoder's contract, then parses the output and checks that it gives back
/// exactly the accepted events, with the kernel's padded `len`.
pub fn check_encode(specs: &[Spec], capacity: Option<usize>) -> Encoded {
    let exact = specs
        .iter()
        .filter(|s| s.name.len() <= NAME_MAX && !s.name.contains(&0))
        .map(|s| HEADER_LEN + padded_name_len(s.name.len()))
        .sum();
    let mut buf = vec![0xA5u8; capacity.unwrap_or(exact)];
    let mut enc = Encoder::new(&mut buf);
    let mut accepted = Vec::new();
    let mut bounds = vec![0];
    for s in specs {
        let before = enc.len();
        let needed = HEADER_LEN + padded_name_len(s.name.len());
        let expected = if s.name.len() > NAME_MAX {
            Err(EncodeError::NameTooLong { len: s.name.len() })
        } else if let Some(at) = s.name.iter().position(|&b| b == 0) {
            Err(EncodeError::NameContainsNul { at })
        } else if needed > capacity.unwrap_or(exact) - before {
            Err(EncodeError::BufferTooSmall {
                needed,
                available: capacity.unwrap_or(exact) - before,
            })
        } else {
            Ok(())
        };
        let got = enc.push(s.wd, EventMask::from_bits_retain(s.mask), s.cookie, &s.name);
        assert_eq!(got, expected, "push {s:?}");
        if got.is_ok() {
            assert_eq!(enc.len(), before + needed);
            accepted.push(s.clone());
            bounds.push(enc.len());
        } else {
            assert_eq!(enc.len(), before, "a failed push writes nothing");
        }
    }
    if capacity.is_none() {
        assert_eq!(enc.len(), exact, "every valid spec fits an exact buffer");
    }
    let bytes = enc.as_bytes().to_vec();
    let items = check_stream(&bytes);
    assert_eq!(items.len(), accepted.len());
    for (item, s) in items.iter().zip(&accepted) {
        let event = item.expect("encoded events parse");
        assert_same(&event, s);
    }
    Encoded {
        bytes,
        accepted,
        bounds,
    }
}

/// Checks that `event` is what encoding `spec` must give back.
fn assert_same(event: &Event<'_>, spec: &Spec) {
    assert_eq!(event.wd, spec.wd);
    assert_eq!(event.mask.bits(), spec.mask);
    assert_eq!(event.cookie, spec.cookie);
    assert_eq!(event.name, &spec.name[..]);
    assert_eq!(event.len as usize, padded_name_len(spec.name.len()));
}

/// Cuts an encoded stream after `cut` bytes and checks that the parser
/// yields the events that end at or before the cut, then (unless the cut is
/// on an event boundary) exactly one `TruncatedHeader` or `NamePastEnd`
/// error at the start of the cut event, then nothing.
pub fn check_truncated(encoded: &Encoded, cut: usize) {
    let items = check_stream(&encoded.bytes[..cut]);
    // The events that end at or before the cut come back whole.
    let whole = encoded.bounds[1..]
        .iter()
        .filter(|&&end| end <= cut)
        .count();
    for (item, spec) in items.iter().zip(&encoded.accepted[..whole]) {
        assert_same(&item.expect("a whole event before the cut"), spec);
    }
    let start = encoded.bounds[whole];
    if start == cut {
        assert_eq!(items.len(), whole, "a cut on a boundary leaves no error");
        return;
    }
    assert_eq!(items.len(), whole + 1, "one error after the whole events");
    let left = cut - start;
    let kind = if left < HEADER_LEN {
        ParseErrorKind::TruncatedHeader { available: left }
    } else {
        ParseErrorKind::NamePastEnd {
            len: padded_name_len(encoded.accepted[whole].name.len()) as u32,
            available: left - HEADER_LEN,
        }
    };
    assert_eq!(
        items[whole],
        Err(ParseError {
            offset: start,
            kind
        })
    );
}

/// Parses all of `buf` and checks every promise [`Events`] makes for any
/// input; returns what it yielded.
///
/// - Each item starts where the previous one ended ([`Events::offset`]).
/// - An event's fields are its header's native-endian words; its name lies
///   inside `buf`, right after the header, and is the name field up to its
///   first NUL (empty if `len` is 0).
/// - An error is the one the bytes at its offset call for, and nothing
///   follows it: the iterator stays fused.
/// - Without an error the events consume `buf` exactly.
/// - `size_hint` brackets the number of items left.
pub fn check_stream(buf: &[u8]) -> Vec<Result<Event<'_>, ParseError>> {
    let mut events = Events::new(buf);
    let mut items = Vec::new();
    let mut hints = Vec::new();
    let mut at = 0;
    while let Some(item) = {
        assert_eq!(events.offset(), at, "offsets advance record by record");
        // The very bytes, not a copy: compare addresses, not contents.
        assert_eq!(events.remaining().as_ptr_range(), buf[at..].as_ptr_range());
        hints.push(events.size_hint());
        events.next()
    } {
        let rest = &buf[at..];
        let word = |i: usize| u32::from_ne_bytes(rest[i..i + 4].try_into().unwrap());
        match item {
            Ok(event) => {
                assert!(rest.len() >= HEADER_LEN, "an event needs a whole header");
                assert_eq!(event.wd, word(0) as i32);
                assert_eq!(event.mask.bits(), word(4));
                assert_eq!(event.cookie, word(8));
                assert_eq!(event.len, word(12));
                let field = &rest[HEADER_LEN..HEADER_LEN + event.len as usize];
                let (name, inside) = (event.name.as_ptr_range(), buf.as_ptr_range());
                assert!(inside.start <= name.start && name.end <= inside.end);
                assert_eq!(name.start, field.as_ptr(), "the name follows its header");
                assert!(!event.name.contains(&0));
                if !field.is_empty() {
                    assert_eq!(field[event.name.len()], 0, "the name ends at a NUL");
                }
                at += HEADER_LEN + field.len();
            }
            Err(err) => {
                assert_eq!(err.offset, at, "an error names its record's offset");
                let expected = if rest.len() < HEADER_LEN {
                    ParseErrorKind::TruncatedHeader {
                        available: rest.len(),
                    }
                } else if word(12) as usize > rest.len() - HEADER_LEN {
                    ParseErrorKind::NamePastEnd {
                        len: word(12),
                        available: rest.len() - HEADER_LEN,
                    }
                } else {
                    let field = &rest[HEADER_LEN..HEADER_LEN + word(12) as usize];
                    assert!(!field.is_empty() && !field.contains(&0));
                    ParseErrorKind::NameNotTerminated { len: word(12) }
                };
                assert_eq!(err.kind, expected);
                assert!(!err.to_string().is_empty());
            }
        }
        let failed = item.is_err();
        items.push(item);
        if failed {
            break;
        }
    }
    if !items.last().is_some_and(Result::is_err) {
        assert_eq!(at, buf.len(), "a clean parse consumes everything");
    }
    for _ in 0..2 {
        assert!(events.next().is_none(), "fused after the end or an error");
    }
    for (i, (low, high)) in hints.into_iter().enumerate() {
        let left = items.len() - i;
        assert!(low <= left && high.is_none_or(|h| left <= h), "size_hint");
    }
    if let Some(Ok(first)) = items.first() {
        // Debug names every mask bit and escapes the name; it must not panic.
        assert!(format!("{first:?}").starts_with("Event {"));
    }
    items
}

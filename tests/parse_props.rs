//! Property tests of the parser and encoder. The checks themselves live in
//! `tests/fuzz_checks/mod.rs`, shared with the fuzz targets; here proptest drives them
//! with inputs shaped to reach every branch.

#[path = "fuzz_checks/mod.rs"]
mod checks;

use checks::Spec;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use zinotify::NAME_MAX;
use zinotify::{Encoder, EventMask};

/// A valid event: any wd, mask bits and cookie, a 0..=255-byte name with no NUL.
fn valid_spec() -> impl Strategy<Value = Spec> {
    (
        any::<i32>(),
        any::<u32>(),
        any::<u32>(),
        vec(1u8..=255, 0..=NAME_MAX),
    )
        .prop_map(|(wd, mask, cookie, name)| Spec {
            wd,
            mask,
            cookie,
            name,
        })
}

/// A piece of an event buffer: a valid record, a header with a small `len`
/// over arbitrary name bytes (with or without a NUL, possibly short), a
/// header with any `len`, or noise.
fn chunk() -> impl Strategy<Value = Vec<u8>> {
    let header = |words: [u8; 12], len: u32| {
        let mut out = words.to_vec();
        out.extend_from_slice(&len.to_ne_bytes());
        out
    };
    prop_oneof![
        (
            any::<i32>(),
            any::<u32>(),
            any::<u32>(),
            vec(1u8..=255, 0..=40)
        )
            .prop_map(|(wd, mask, cookie, name)| {
                let mut buf = [0u8; 64];
                let mut enc = Encoder::new(&mut buf);
                enc.push(wd, EventMask::from_bits_retain(mask), cookie, &name)
                    .unwrap();
                enc.as_bytes().to_vec()
            }),
        (any::<[u8; 12]>(), 0u32..64, vec(any::<u8>(), 0..64)).prop_map(
            move |(words, len, field)| {
                let mut out = header(words, len);
                out.extend_from_slice(&field);
                out
            }
        ),
        (any::<[u8; 12]>(), any::<u32>()).prop_map(move |(words, len)| header(words, len)),
        vec(any::<u8>(), 0..32),
    ]
}

/// Bytes for the parser: pure noise up to 4 KiB, or a run of chunks.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..4096),
        vec(chunk(), 0..24).prop_map(|chunks| chunks.concat()),
    ]
}

proptest! {
    /// (a) Encoding then parsing gives back exactly the events, with the
    /// kernel's padded `len`.
    #[test]
    fn encode_then_parse_gives_back_the_events(specs in vec(valid_spec(), 0..16)) {
        let encoded = checks::check_encode(&specs, None);
        prop_assert_eq!(&encoded.accepted, &specs);
    }

    /// The encoder with too small a buffer or bad names: each push's error
    /// is the documented one, and what was accepted still round-trips.
    #[test]
    fn encoder_errors_leave_the_buffer_consistent(
        specs in vec(
            (valid_spec(), 0usize..4).prop_map(|(mut s, spoil)| {
                match spoil {
                    0 => s.name.resize(NAME_MAX + 1, b'x'),
                    1 if !s.name.is_empty() => {
                        let at = s.name.len() / 2;
                        s.name[at] = 0;
                    }
                    _ => {}
                }
                s
            }),
            0..16,
        ),
        capacity in 0usize..2048,
    ) {
        checks::check_encode(&specs, Some(capacity));
    }

    /// (b) Any bytes at any alignment: no panic, names inside the buffer,
    /// monotonic offsets, the right error, fused after it.
    #[test]
    fn parse_survives_any_bytes(shift in 0u8..16, bytes in hostile_bytes()) {
        let mut data = vec![shift];
        data.extend_from_slice(&bytes);
        checks::parse(&data);
    }

    /// (c) A stream cut at any byte: the whole events before the cut, then
    /// exactly one truncation error at the cut event's offset, or nothing
    /// if the cut is on a boundary.
    #[test]
    fn a_cut_stream_yields_whole_events_then_one_error(
        specs in vec(valid_spec(), 0..12),
        cut in any::<Index>(),
    ) {
        let encoded = checks::check_encode(&specs, None);
        checks::check_truncated(&encoded, cut.index(encoded.bytes.len() + 1));
    }

    /// The `roundtrip` fuzz target's own input decoding, fed random bytes.
    #[test]
    fn roundtrip_target_accepts_any_input(data in vec(any::<u8>(), 0..2048)) {
        checks::roundtrip(&data);
    }
}

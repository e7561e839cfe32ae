//! Finding the NUL that ends a name, sixteen bytes at a time.
//!
//! The kernel pads every name with NULs to a multiple of 16 bytes, so the
//! terminator is in the field's last 16 bytes. Hostile input need not be
//! padded, so the field is searched front to back for its *first* NUL, but
//! in 16-byte blocks tested as two words with one branch, instead of a
//! byte at a time: safe Rust, no `unsafe`, no SIMD intrinsics.
//!
//! `benches/parse.rs` measured the alternatives on realistic names (0 to 64
//! bytes): a byte loop ran at 0.11x the header-hop floor, 8-byte steps at
//! 0.43x, 16-byte steps at 0.58x; a branch-free version that tests the last
//! block and three overlapping windows before it was slower (0.40x) than
//! the loop, whose exit the branch predictor mostly gets right.

/// Each byte's low bit.
const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
/// Each byte's high bit.
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// A word with the high bit set in each byte of `word` that is zero, and
/// possibly in bytes *above* a zero byte (a borrow), never below the lowest
/// zero byte. With the word read little-endian, its lowest set bit marks
/// the first zero byte exactly.
#[inline(always)]
const fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(LOW) & !word & HIGH
}

/// The index of the first NUL in `field`, if it has one.
///
/// Always inlined into the parser's `next`, which is itself inlined.
#[inline(always)]
pub(super) fn first_nul(field: &[u8]) -> Option<usize> {
    let mut blocks = field.chunks_exact(16);
    let mut at = 0;
    for block in &mut blocks {
        // The conversions cannot fail: a 16-byte block splits into two 8s.
        let (lo, hi) = block.split_at(8);
        let lo = zero_bytes(u64::from_le_bytes(lo.try_into().ok()?));
        let hi = zero_bytes(u64::from_le_bytes(hi.try_into().ok()?));
        if lo | hi != 0 {
            let bit = if lo != 0 {
                lo.trailing_zeros()
            } else {
                64 + hi.trailing_zeros()
            };
            return Some(at + (bit / 8) as usize);
        }
        at += 16;
    }
    let rest = blocks.remainder();
    rest.iter().position(|&b| b == 0).map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::first_nul;
    use proptest::prelude::*;

    #[test]
    fn finds_the_first_of_several_nuls_in_every_position() {
        // A 0x01 just above a NUL is the case the borrow gets wrong in the
        // higher bytes; the lowest flagged byte must still be the NUL.
        for len in 0..100 {
            for nul in 0..len {
                let mut field = vec![0x01u8; len];
                field[nul] = 0;
                if nul + 2 < len {
                    field[nul + 2] = 0;
                }
                assert_eq!(first_nul(&field), Some(nul), "len {len}, nul at {nul}");
            }
            assert_eq!(first_nul(&vec![0x80u8; len]), None);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_byte_search(field in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(first_nul(&field), field.iter().position(|&b| b == 0));
        }

        #[test]
        fn agrees_on_sparse_nuls(field in proptest::collection::vec(
            prop_oneof![9 => 1u8..=255, 1 => Just(0u8)], 0..300)) {
            prop_assert_eq!(first_nul(&field), field.iter().position(|&b| b == 0));
        }
    }
}

//! Arbitrary events through the encoder and back: see `zinotify_fuzz::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zinotify_fuzz::roundtrip(data));

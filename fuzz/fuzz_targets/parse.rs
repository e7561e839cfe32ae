//! Any bytes, at any alignment, through the parser: see `zinotify_fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zinotify_fuzz::parse(data));

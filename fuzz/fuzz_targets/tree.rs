//! Arbitrary operations on a model filesystem, whose inotify events the
//! sans-IO tree machine follows: see `zinotify_fuzz::tree::fuzz_one`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zinotify_fuzz::tree::fuzz_one(data));

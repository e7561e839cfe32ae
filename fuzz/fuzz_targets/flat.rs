//! The flat loop's sans-IO core fed bytes, readiness and time, against a
//! model: see `zinotify_fuzz::flat::fuzz_one`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zinotify_fuzz::flat::fuzz_one(data));

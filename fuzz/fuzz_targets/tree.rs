//! Arbitrary event sequences for the sans-IO tree machine: the bytes are
//! decoded into filesystem operations on a model (mkdir, rename, move in
//! and out, rm -rf, lost events), whose inotify events the machine follows.
//! The check (no panic, invariants, no leaked watch, watched set equals the
//! model's tree) is shared with the model-based test.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/tree_support/model.rs"]
mod model;

fuzz_target!(|data: &[u8]| model::fuzz_one(data));

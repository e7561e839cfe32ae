//! Replays every file of every fuzz target's corpus (`fuzz/corpus/<target>/`)
//! through the target's checks on stable Rust, so `cargo test` covers what
//! the fuzzers found without nightly or cargo-fuzz.
//!
//! The published crate leaves `fuzz/` out (corpora are the repository's test
//! inputs, not the crate's): there these tests say they were skipped. Under
//! `CI` a missing `fuzz/` fails them.

#[path = "fuzz_checks/mod.rs"]
mod checks;
mod common;

use common::in_ci;
use std::path::{Path, PathBuf};

/// A fuzz target's entry point in `tests/fuzz_checks/`.
type Check = fn(&[u8]);

/// Every fuzz target and its entry point. A new target adds one entry here.
const TARGETS: &[(&str, Check)] = &[
    ("parse", checks::parse),
    ("roundtrip", checks::roundtrip),
    ("tree", checks::tree::fuzz_one),
    ("flat", checks::flat::fuzz_one),
];

/// The fuzz crate's directory, or `None` (after saying so) in a copy of the
/// crate without it, such as the published package; never `None` under CI.
fn fuzz_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    if dir.join("Cargo.toml").is_file() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "CI needs the fuzz crate and its corpora: {} is missing",
        dir.display()
    );
    eprintln!(
        "skipped: {} is missing (the published crate leaves the fuzz corpora out)",
        dir.display()
    );
    None
}

#[test]
fn every_target_has_a_corpus_and_every_file_passes() {
    let Some(fuzz) = fuzz_dir() else { return };
    let root = fuzz.join("corpus");
    for &(target, check) in TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(
            !files.is_empty(),
            "{target}: empty corpus {}",
            dir.display()
        );
        for file in files {
            let data = std::fs::read(&file).unwrap();
            // Name the file if its check panics.
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", file.display());
        }
    }
}

#[test]
fn every_fuzz_target_is_replayed() {
    // A target added to fuzz/Cargo.toml but not to TARGETS would silently go
    // unreplayed; catch that.
    let Some(fuzz) = fuzz_dir() else { return };
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|name| *name != "zinotify-fuzz")
        .collect();
    let replayed: Vec<&str> = TARGETS.iter().map(|&(t, _)| t).collect();
    assert_eq!(declared, replayed);
}

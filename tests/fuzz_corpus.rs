//! Replays every file of every fuzz target's corpus (`fuzz/corpus/<target>/`)
//! through the target's checks on stable Rust, so `cargo test` covers what
//! the fuzzers found without nightly or cargo-fuzz.

#[path = "fuzz_checks/mod.rs"]
mod checks;

use std::path::Path;

/// A fuzz target's entry point in `fuzz/checks.rs`.
type Check = fn(&[u8]);

/// Every fuzz target and its entry point. A new target adds one entry here.
const TARGETS: &[(&str, Check)] = &[
    ("parse", checks::parse),
    ("roundtrip", checks::roundtrip),
    ("tree", checks::tree::fuzz_one),
    ("flat", checks::flat::fuzz_one),
];

#[test]
fn every_target_has_a_corpus_and_every_file_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
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
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|name| *name != "zinotify-fuzz")
        .collect();
    let replayed: Vec<&str> = TARGETS.iter().map(|&(t, _)| t).collect();
    assert_eq!(declared, replayed);
}

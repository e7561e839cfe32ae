//! Real-filesystem property test: random storms of mkdir, rm -rf, mv
//! (within the tree, out of it, into it) and file creation run at full
//! speed while the tree is watched; afterwards the watched set equals a
//! fresh walk, the kernel holds exactly the table's watches, and every
//! directory an event named existed at some point.

mod common;

use common::tree::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zinotify::TreeEventKind;
use zinotify::WatchMask;

// The model's operations (the proptest of the sans-IO machine uses them
// too); this test runs the ones a real filesystem can, at full speed.
#[path = "fuzz_checks/tree.rs"]
#[allow(dead_code)] // the model itself runs in tree_model.rs
mod model;
use model::Op;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Mkdir(a, b)),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Touch(a, b)),
        1 => any::<u8>().prop_map(Op::Remove),
        3 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Op::Rename(a, b, c)),
        1 => any::<u8>().prop_map(Op::MoveOut),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::MoveIn(a, b)),
    ]
}

const NAMES: [&str; 4] = ["a", "b", "cc", "ddd"];

/// Directories under `root`, sorted (so picks are reproducible).
fn dirs(root: &Path) -> Vec<PathBuf> {
    walk(root)
        .into_iter()
        .map(|s| PathBuf::from(s.trim_end_matches('/')))
        .collect()
}

/// Applies `op`; records every directory path it makes.
fn apply(root: &Path, outside: &Path, n: &mut usize, op: Op, ever: &mut BTreeSet<String>) {
    let all = dirs(root);
    let pick = |k: u8| all[k as usize % all.len()].clone();
    let mut record = |p: &Path| {
        for d in walk(p) {
            ever.insert(d);
        }
    };
    match op {
        Op::Mkdir(d, k) => {
            let p = pick(d).join(NAMES[k as usize % 4]);
            if std::fs::create_dir(&p).is_ok() {
                record(&p);
            }
        }
        Op::Touch(d, k) => {
            let _ = std::fs::write(pick(d).join(format!("f{}", k % 4)), b"");
        }
        Op::Remove(d) => {
            let p = pick(d);
            if p != root {
                let _ = std::fs::remove_dir_all(p);
            }
        }
        Op::Rename(d, to, k) => {
            let (from, to) = (pick(d), pick(to).join(NAMES[k as usize % 4]));
            if from != root
                && !to.starts_with(&from)
                && !to.exists()
                && std::fs::rename(&from, &to).is_ok()
            {
                record(&to);
            }
        }
        Op::MoveOut(d) => {
            let p = pick(d);
            if p != root {
                *n += 1;
                let _ = std::fs::rename(p, outside.join(format!("gone{n}")));
            }
        }
        Op::MoveIn(to, k) => {
            *n += 1;
            let src = outside.join(format!("in{n}"));
            std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
            std::fs::write(src.join("sub/file"), b"").unwrap();
            let to = pick(to).join(NAMES[k as usize % 4]);
            if !to.exists() && std::fs::rename(&src, &to).is_ok() {
                record(&to);
            }
        }
        // Lost events, batch sizes and held events are the model's;
        // rotations and rename bursts have storm tests of their own below.
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0057_072d),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn after_a_storm_the_tree_matches_the_filesystem(ops in proptest::collection::vec(op(), 1..40)) {
        let t = TempDir::new("storm");
        let outside = TempDir::new("storm-out");
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        let mut ever: BTreeSet<String> = walk(t.path());
        let mut store = Store::new(1024);
        let mut trees = store.trees(WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVE | WatchMask::CLOSE_WRITE);
        trees.add_root(bytes(t.path())).unwrap();
        ready(&mut trees);
        let mut n = 0;
        let mut events = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            apply(t.path(), outside.path(), &mut n, *op, &mut ever);
            // Read now and then, mid-storm.
            if i % 7 == 6 {
                events.extend(drain(&mut trees, Duration::ZERO));
            }
        }
        events.extend(drain(&mut trees, Duration::from_millis(300)));
        for ev in &events {
            let ev = ev.as_ref().map_err(|e| TestCaseError::fail(e.to_string()))?;
            if matches!(ev.kind, TreeEventKind::Kernel | TreeEventKind::Synthetic) {
                prop_assert!(ever.contains(&ev.dir), "{:?} in {} which never existed", ev.mask, ev.dir);
            }
        }
        prop_assert_eq!(watched(&trees), walk(t.path()));
        prop_assert_eq!(kernel_watches(&trees), trees.len());
        trees.machine().verify().map_err(TestCaseError::fail)?;
    }
}

/// Found by the storm: directories renamed into directories not watched
/// yet, with a read in between.
#[test]
fn renames_into_directories_not_watched_yet() {
    use Op::*;
    let ops = [
        Mkdir(233, 0),
        Mkdir(1, 20),
        Rename(0, 0, 0),
        MoveIn(75, 41),
        Rename(29, 45, 21),
        Rename(62, 79, 228),
        Rename(22, 92, 3),
        Mkdir(225, 10),
        Rename(43, 176, 129),
    ];
    let t = TempDir::new("storm-regression");
    let outside = TempDir::new("storm-regression-out");
    std::fs::create_dir_all(t.path().join("a/b")).unwrap();
    let mut ever: BTreeSet<String> = walk(t.path());
    let mut store = Store::new(1024);
    let mut trees = store
        .trees(WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVE | WatchMask::CLOSE_WRITE);
    trees.add_root(bytes(t.path())).unwrap();
    ready(&mut trees);
    let mut n = 0;
    for (i, op) in ops.into_iter().enumerate() {
        if i == 7 {
            drain(&mut trees, Duration::ZERO);
        }
        apply(t.path(), outside.path(), &mut n, op, &mut ever);
    }
    drain(&mut trees, Duration::from_millis(300));
    assert_consistent(&trees, t.path());
}

use common::storms;

/// What watching one storm came to.
struct Outcome {
    /// Overflows, and rescans or bounded re-listings the tree reported.
    overflows: usize,
    rescans: usize,
    probe_seen: bool,
}

/// Runs `storm` in a thread while the tree follows it, then writes a probe
/// file in the deepest directory; checks the final state against a walk.
fn follow(storm: storms::Storm) -> Outcome {
    let t = TempDir::new("storm-kind");
    let outside = TempDir::new("storm-kind-out");
    storm.set_up(t.path(), outside.path());
    let mut store = Store::new(64 * 1024);
    let mut trees = store.trees(WatchMask::CREATE | WatchMask::CLOSE_WRITE);
    trees.add_root(bytes(t.path())).unwrap();
    ready(&mut trees);
    let (root, out) = (t.path().to_path_buf(), outside.path().to_path_buf());
    let worker = std::thread::spawn(move || storm.run(&root, &out));
    let mut events = Vec::new();
    while !worker.is_finished() {
        events.extend(drain(&mut trees, Duration::from_millis(5)));
    }
    worker.join().unwrap();
    events.extend(drain(&mut trees, Duration::from_millis(200)));
    let probe = storms::deepest(t.path()).join("probe");
    std::fs::write(&probe, b"").unwrap();
    let probe_path = probe.display().to_string();
    events.extend(drain_until(&mut trees, Duration::from_secs(2), |e| {
        e.path() == probe_path
    }));
    let events: Vec<Owned> = events.into_iter().map(|e| e.unwrap()).collect();
    let (got, want) = (watched(&trees), walk(t.path()));
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: unwatched {missing:?}, watched but gone {extra:?}",
        storm.name()
    );
    assert_consistent(&trees, t.path());
    Outcome {
        overflows: events
            .iter()
            .filter(|e| e.kind == TreeEventKind::Overflow)
            .count(),
        rescans: events
            .iter()
            .filter(|e| matches!(e.kind, TreeEventKind::Rescanned | TreeEventKind::Relisted))
            .count(),
        probe_seen: events.iter().any(|e| e.path() == probe_path),
    }
}

/// The storm ends with the right watches and the probe reported, and the
/// tree rescanned only after an overflow.
fn storm_is_followed(storm: storms::Storm) {
    let o = follow(storm);
    assert!(o.probe_seen, "{}: the probe was not reported", storm.name());
    assert!(
        o.rescans <= o.overflows,
        "{}: {} rescans after {} overflows",
        storm.name(),
        o.rescans,
        o.overflows
    );
}

#[test]
fn log_rotation() {
    storm_is_followed(storms::Storm::Rotation { n: 1000 });
}

#[test]
fn one_directory_renamed_again_and_again_in_a_big_tree() {
    storm_is_followed(storms::Storm::Renames {
        dirs: 2000,
        n: 3000,
        pause_every: 300,
    });
}

#[test]
fn one_directory_renamed_again_and_again_in_a_small_tree() {
    storm_is_followed(storms::Storm::Renames {
        dirs: 3,
        n: 6000,
        pause_every: 0,
    });
}

#[test]
fn a_subtree_moved_in_and_out() {
    storm_is_followed(storms::Storm::InAndOut { dirs: 100, n: 20 });
}

#[test]
fn mkdir_p_flood() {
    storm_is_followed(storms::Storm::MkdirP { n: 300 });
}

#[test]
fn make_and_remove_subtrees() {
    storm_is_followed(storms::Storm::MakeRemove { dirs: 50, n: 20 });
}

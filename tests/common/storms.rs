//! The storms of issue 10, as scripts on a real directory: shared by the
//! per-storm tests (`tests/tree_storm.rs`) and the benchmark
//! (`benches/storms.rs`), which run them at different sizes.
//!
//! Each storm has a set-up (run before anything watches the tree), the
//! storm itself (run while the tree and, in the benchmark, inotifywait
//! watch), and the directory the probe file is written to afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which storm, and its size.
#[derive(Clone, Copy, Debug)]
pub enum Storm {
    /// `mv logs logs.N; mkdir -p logs/day`, `n` times.
    Rotation { n: usize },
    /// One directory (with a subdirectory) renamed back and forth `n`
    /// times inside a tree of about `dirs` directories, pausing 20 ms
    /// every `pause_every` renames (0: never).
    Renames {
        dirs: usize,
        n: usize,
        pause_every: usize,
    },
    /// A subtree of about `dirs` directories moved in from outside and
    /// out again `n` times, and in once more.
    InAndOut { dirs: usize, n: usize },
    /// `mkdir -p pN/a/b/c/d && touch pN/a/b/c/d/f`, `n` times.
    MkdirP { n: usize },
    /// `n` times: make a subtree of about `dirs` directories, `rm -rf` it.
    MakeRemove { dirs: usize, n: usize },
}

impl Storm {
    /// A short name for tables.
    pub fn name(&self) -> String {
        match *self {
            Storm::Rotation { n } => format!("log rotation x{n}"),
            Storm::Renames { dirs, n, .. } => format!("1 dir renamed x{n} in {dirs} dirs"),
            Storm::InAndOut { dirs, n } => format!("{dirs}-dir subtree in/out x{n}"),
            Storm::MkdirP { n } => format!("mkdir -p a/b/c/d + touch x{n}"),
            Storm::MakeRemove { dirs, n } => format!("make {dirs} dirs + rm -rf x{n}"),
        }
    }

    /// Prepares `root` (watched later) and `outside` (never watched).
    pub fn set_up(&self, root: &Path, outside: &Path) {
        match *self {
            Storm::Rotation { .. } => fs::create_dir_all(root.join("logs/day")).unwrap(),
            Storm::Renames { dirs, .. } => {
                grow(root, dirs.saturating_sub(3));
                fs::create_dir_all(root.join("spin0/inner")).unwrap();
            }
            Storm::InAndOut { dirs, .. } => grow(&outside.join("sub"), dirs),
            Storm::MkdirP { .. } | Storm::MakeRemove { .. } => {}
        }
    }

    /// Runs the storm.
    pub fn run(&self, root: &Path, outside: &Path) {
        match *self {
            Storm::Rotation { n } => {
                for i in 1..=n {
                    fs::rename(root.join("logs"), root.join(format!("logs.{i}"))).unwrap();
                    fs::create_dir_all(root.join("logs/day")).unwrap();
                }
            }
            Storm::Renames { n, pause_every, .. } => {
                for i in 0..n {
                    let from = root.join(format!("spin{}", i % 2));
                    fs::rename(from, root.join(format!("spin{}", (i + 1) % 2))).unwrap();
                    if pause_every > 0 && (i + 1) % pause_every == 0 {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
            Storm::InAndOut { n, .. } => {
                let (out, inside) = (outside.join("sub"), root.join("sub"));
                for _ in 0..n {
                    fs::rename(&out, &inside).unwrap();
                    fs::rename(&inside, &out).unwrap();
                }
                fs::rename(&out, &inside).unwrap();
            }
            Storm::MkdirP { n } => {
                for i in 0..n {
                    let d = root.join(format!("p{i}/a/b/c/d"));
                    fs::create_dir_all(&d).unwrap();
                    fs::write(d.join("f"), b"").unwrap();
                }
            }
            Storm::MakeRemove { dirs, n } => {
                for _ in 0..n {
                    let s = root.join("s");
                    grow(&s, dirs);
                    fs::remove_dir_all(&s).unwrap();
                }
            }
        }
    }
}

/// Makes about `dirs` directories under `top` (itself included): 10 per
/// level, three levels deep, then more below the last.
pub fn grow(top: &Path, dirs: usize) {
    fs::create_dir_all(top).unwrap();
    let mut made = 1;
    let mut level = vec![top.to_path_buf()];
    while made < dirs {
        let mut next = Vec::new();
        for d in &level {
            for k in 0..10 {
                if made >= dirs {
                    break;
                }
                let c = d.join(format!("d{k}"));
                fs::create_dir(&c).unwrap();
                next.push(c);
                made += 1;
            }
        }
        level = next;
    }
}

/// The deepest directory under `root` (the first found at that depth).
pub fn deepest(root: &Path) -> PathBuf {
    let mut best = (0, root.to_path_buf());
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_dir() && e.depth() > best.0 {
            best = (e.depth(), e.path().to_path_buf());
        }
    }
    best.1
}

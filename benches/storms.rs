//! The storms of issue 10 (log rotation, rename bursts, subtrees moved in
//! and out, `mkdir -p` floods, make/`rm -rf`), each run once while both
//! the tree ([`InotifyTrees`], driven directly in this thread) and
//! `inotifywait -m -r -e create,close_write` watch it: the same operations
//! in the same run.
//!
//! For each storm and each run it measures the CPU each watcher spent
//! from the storm's start until it went quiet (ours: this thread's CPU
//! clock; inotifywait's: `utime + stime` in `/proc/PID/stat`), counts the
//! overflows, rescans and bounded re-listings the tree reported, writes a
//! probe file in the deepest directory afterwards and checks that each
//! reported it, and checks the final state: the tree's directories
//! against a real walk, inotifywait's kernel watches (`/proc/PID/fdinfo`)
//! against the walk's count. It prints the medians over the runs and the
//! ratio of medians.
//!
//! `cargo bench --bench storms`; `STORMS_RUNS=N` (default 3) runs,
//! `STORMS_SCALE=F` (default 1) scales every storm's size, and
//! `STORMS_ONLY=0,2` runs only those storms (counted from 0 in the order
//! printed). Without
//! inotifywait it runs the tree alone and says so.

#[path = "../tests/common/storms.rs"]
mod storms;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use storms::Storm;
use zinotify::WatchMask;
use zinotify::{DirEntry, InotifyTrees, TreeEventKind, TreeStorage};

/// What one watcher did during one storm.
#[derive(Clone, Debug, Default)]
struct Run {
    cpu: Duration,
    overflows: usize,
    rescans: usize,
    relisted: usize,
    right: bool,
    probe: bool,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("storms: benchmark");
        return;
    }
    let runs: usize = env_or("STORMS_RUNS", 3.0) as usize;
    let scale = env_or("STORMS_SCALE", 1.0);
    let n = |k: usize| ((k as f64 * scale) as usize).max(2);
    let storms = [
        Storm::Rotation { n: n(2000) },
        Storm::Renames {
            dirs: n(10_000),
            n: n(30_000),
            pause_every: 300,
        },
        Storm::Renames {
            dirs: 3,
            n: n(60_000),
            pause_every: 0,
        },
        Storm::InAndOut {
            dirs: n(500),
            n: n(100),
        },
        Storm::MkdirP { n: n(3000) },
        Storm::MakeRemove {
            dirs: n(200),
            n: n(100),
        },
    ];
    let have_peer = Command::new("inotifywait")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !have_peer {
        println!("inotifywait not found: the tree runs alone");
    }
    println!(
        "{runs} runs per storm, medians; CPU from the storm's start until quiet. \
         A shared, noisy 2-core machine: the storm's own process competes."
    );
    println!(
        "{:<34} {:>9} {:>10} {:>6} {:>5} {:>5} | {:>10} {:>9} {:>6} {:>5} | {:>6}",
        "storm",
        "ops",
        "zinotify",
        "us/op",
        "resc",
        "ok",
        "inotifywait",
        "us/op",
        "ok",
        "probe",
        "ratio"
    );
    let only = std::env::var("STORMS_ONLY").ok();
    for (k, storm) in storms.into_iter().enumerate() {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|x| x == k.to_string()))
        {
            continue;
        }
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..runs {
            let (o, t) = one(storm, have_peer);
            ours.push(o);
            theirs.extend(t);
        }
        print_row(storm, &ours, &theirs);
    }
}

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn print_row(storm: Storm, ours: &[Run], theirs: &[Run]) {
    let ops = op_count(&storm) as f64;
    let our = median(ours.iter().map(|r| r.cpu).collect());
    let per_op = |d: Duration| d.as_secs_f64() * 1e6 / ops;
    let all = |v: &[Run], f: fn(&Run) -> bool| {
        let k = v.iter().filter(|r| f(r)).count();
        format!("{k}/{}", v.len())
    };
    let rescans: usize = ours.iter().map(|r| r.rescans + r.relisted).sum();
    let overflows: usize = ours.iter().map(|r| r.overflows).sum();
    let ok = all(ours, |r| r.right && r.probe);
    print!(
        "{:<34} {:>9} {:>8.1}ms {:>6.2} {:>5} {:>5} |",
        storm.name(),
        op_count(&storm),
        our.as_secs_f64() * 1e3,
        per_op(our),
        format!("{rescans}/{overflows}"),
        ok,
    );
    if theirs.is_empty() {
        println!(" (inotifywait not run)");
        return;
    }
    let their = median(theirs.iter().map(|r| r.cpu).collect());
    println!(
        " {:>8.1}ms {:>9.2} {:>6} {:>5} | {:>5.2}x",
        their.as_secs_f64() * 1e3,
        per_op(their),
        all(theirs, |r| r.right),
        all(theirs, |r| r.probe),
        our.as_secs_f64() / their.as_secs_f64().max(1e-9),
    );
}

/// A fresh directory under the temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("zinotify-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One storm, watched by the tree and (if `peer`) by inotifywait.
fn one(storm: Storm, peer: bool) -> (Run, Option<Run>) {
    let root = Scratch::new("storm");
    let outside = Scratch::new("storm-out");
    storm.set_up(&root.0, &outside.0);
    let mut inotifywait = peer.then(|| Peer::start(&root.0));

    let dirs = 64 * 1024;
    let mut entries = vec![DirEntry::EMPTY; dirs];
    let mut index = vec![0u32; 2 * dirs + 1];
    let mut names = vec![0u8; 16 * dirs];
    let mut buf = vec![0u8; 64 * 1024];
    let storage = TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
    let mut trees = InotifyTrees::new(
        storage,
        buf.as_mut_slice(),
        WatchMask::CREATE | WatchMask::CLOSE_WRITE,
    )
    .unwrap();
    trees.add_root(root.0.as_path()).unwrap();
    let mut ours = Run::default();
    while pump(&mut trees, Duration::from_secs(5), &mut ours, |k| {
        k == TreeEventKind::Ready
    }) {}

    let their_start = inotifywait.as_mut().map(|p| p.cpu());
    let our_start = thread_cpu();
    let (r, o) = (root.0.clone(), outside.0.clone());
    let worker = std::thread::spawn(move || storm.run(&r, &o));
    while !worker.is_finished() {
        pump(&mut trees, Duration::from_millis(5), &mut ours, |_| false);
    }
    worker.join().unwrap();
    while pump(&mut trees, Duration::from_millis(300), &mut ours, |_| false) {}
    ours.cpu = thread_cpu() - our_start;
    let theirs = inotifywait.as_mut().map(|p| {
        p.quiet();
        Run {
            cpu: p.cpu() - their_start.unwrap_or_default(),
            ..Run::default()
        }
    });

    // The final check: the probe, the watched set against a walk.
    let probe = storms::deepest(&root.0).join("probe");
    std::fs::write(&probe, b"").unwrap();
    let probe_bytes = probe.as_os_str().as_bytes().to_vec();
    let deadline = Instant::now() + Duration::from_secs(3);
    while !ours.probe && Instant::now() < deadline {
        if let Some(Ok(ev)) = trees.next_event(Some(Duration::from_millis(100))) {
            let mut path = ev.dir.to_vec();
            path.extend_from_slice(ev.name);
            ours.probe |= path == probe_bytes;
        }
    }
    let walked = walk(&root.0);
    let mut watched = Vec::new();
    trees
        .machine()
        .for_each_dir(|p, _| watched.push(p.to_vec()));
    watched.sort();
    ours.right = watched == walked;
    let theirs = theirs.map(|mut t| {
        let p = inotifywait.as_mut().unwrap();
        t.probe = p.saw(&probe_bytes, deadline + Duration::from_secs(3));
        t.right = p.watches() == walked.len();
        t
    });
    (ours, theirs)
}

/// Handles events for up to `quiet` of silence; counts the tree's own
/// reports. `false` when the time passed with nothing, or `stop` said so.
fn pump(
    trees: &mut InotifyTrees<'_>,
    quiet: Duration,
    run: &mut Run,
    stop: impl Fn(TreeEventKind) -> bool,
) -> bool {
    match trees.next_event(Some(quiet)) {
        None => false,
        Some(Ok(ev)) if ev.kind == TreeEventKind::Idle => false,
        Some(Err(e)) => panic!("tree error: {e}"),
        Some(Ok(ev)) => {
            match ev.kind {
                TreeEventKind::Overflow => run.overflows += 1,
                TreeEventKind::Rescanned => run.rescans += 1,
                TreeEventKind::Relisted => run.relisted += 1,
                _ => {}
            }
            !stop(ev.kind)
        }
    }
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Every directory under `root` (itself included), sorted, as the tree
/// spells them (ending in `/`).
fn walk(root: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_dir())
        .map(|e| {
            let mut p = e.path().as_os_str().as_bytes().to_vec();
            p.push(b'/');
            p
        })
        .collect();
    v.sort();
    v
}

/// inotifywait watching the same tree; its output goes to a file.
struct Peer {
    child: Child,
    out: PathBuf,
}

impl Peer {
    fn start(root: &Path) -> Self {
        let out = std::env::temp_dir().join(format!(
            "zinotify-bench-inotifywait-{}.out",
            std::process::id()
        ));
        let file = std::fs::File::create(&out).unwrap();
        let mut child = Command::new("inotifywait")
            .args(["-m", "-r", "-e", "create,close_write", "--format", "%w%f"])
            .arg(root)
            .stdout(file)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while err.read_line(&mut line).unwrap() > 0 && !line.contains("Watches established") {
            line.clear();
        }
        // Keep draining its stderr so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = err.read_to_end(&mut sink);
        });
        Self { child, out }
    }

    /// `utime + stime` from `/proc/PID/stat`.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name, which is in parentheses.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = rest
            .split(' ')
            .skip(11)
            .take(2)
            .map(|x| x.parse().unwrap())
            .collect();
        Duration::from_secs_f64((f[0] + f[1]) as f64 / clock_ticks())
    }

    /// Waits until its CPU time stops growing (it has read the storm).
    fn quiet(&self) {
        let mut last = self.cpu();
        let mut still = 0;
        while still < 3 {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.cpu();
            still = if now == last { still + 1 } else { 0 };
            last = now;
        }
    }

    /// Whether its output has the line `path` by `deadline`.
    fn saw(&self, path: &[u8], deadline: Instant) -> bool {
        loop {
            let out = std::fs::read(&self.out).unwrap_or_default();
            if out.split(|&b| b == b'\n').any(|l| l == path) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its kernel watches: `inotify wd:` lines in the fdinfo of its
    /// inotify descriptor.
    fn watches(&self) -> usize {
        let pid = self.child.id();
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap();
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            if target.as_os_str().as_bytes() == b"anon_inode:inotify" {
                let info = std::fs::read_to_string(format!(
                    "/proc/{pid}/fdinfo/{}",
                    fd.file_name().to_string_lossy()
                ))
                .unwrap();
                return info
                    .lines()
                    .filter(|l| l.starts_with("inotify wd:"))
                    .count();
            }
        }
        0
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

/// Clock ticks per second for `/proc/PID/stat` (`getconf CLK_TCK`).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// How many operations (renames, `mkdir -p`s, ...) the storm makes.
fn op_count(storm: &Storm) -> usize {
    match *storm {
        Storm::Rotation { n }
        | Storm::Renames { n, .. }
        | Storm::MkdirP { n }
        | Storm::MakeRemove { n, .. } => n,
        Storm::InAndOut { n, .. } => 2 * n + 1,
    }
}

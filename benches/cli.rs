//! The `zinotify` command against `inotifywait`, side by side in one run:
//!
//! - set-up time of `-m -r DIR`, from start to "Watches established.", and
//!   peak memory (VmHWM) at that point, on a tiny tree (100 directories)
//!   and trees of 10 000 and 50 000 directories, with 10 files in each
//!   directory and, once, none; medians of several runs, alternating the
//!   two tools;
//! - the command's CPU time per event printed while it drains events (the
//!   lines go to a pipe this benchmark reads), both tools watching the same
//!   directory at once with `-m -e create,delete`: a live stream (files
//!   created and deleted one by one while they read) and full queues (both
//!   stopped while the queue fills, then let go); CPU from
//!   /proc/PID/stat, medians of several runs;
//! - the size of the command built for size (`release-small`: opt-level
//!   "s", LTO, one codegen unit, panic=abort, stripped) and with opt-level 3,
//!   against inotifywait plus libinotifytools.
//!
//! `cargo bench --bench cli` (add `-- quick` for 3 runs per size instead of
//! 7, and smaller drains; `-- drain` for the drain rows only). Without inotifywait the comparison columns are left out.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// One set-up measurement.
#[derive(Clone, Copy)]
struct Sample {
    setup: Duration,
    peak_kib: u64,
}

/// Builds `dirs` directories under `root`: 100 top-level directories
/// (fewer for a tiny tree), each with the rest shared out as
/// subdirectories, and `files` empty files in every directory. Ten files a
/// directory is the tree benchmark's shape (`benches/tree_setup.rs`); a
/// tree of directories alone shows the case where inotifywait, which
/// `lstat`s every entry, has nothing extra to do.
fn build_tree(root: &Path, dirs: usize, files: usize) {
    let _ = std::fs::remove_dir_all(root);
    let tops = dirs.min(100);
    let per_top = dirs / tops;
    let fill = |dir: &Path| {
        for file in 0..files {
            std::fs::write(dir.join(format!("f{file}")), b"").unwrap();
        }
    };
    for top in 0..tops {
        let top_dir = root.join(format!("top{top:03}"));
        std::fs::create_dir_all(&top_dir).unwrap();
        fill(&top_dir);
        for sub in 1..per_top {
            let sub_dir = top_dir.join(format!("d{sub:04}"));
            std::fs::create_dir(&sub_dir).unwrap();
            fill(&sub_dir);
        }
    }
}

/// Peak resident memory of a live process, from /proc (VmHWM, KiB).
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts `program -m -r [extra] root`, waits for "Watches established.",
/// reads its peak memory, and kills it.
fn measure(program: &Path, extra: &[&str], root: &Path) -> Sample {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(["-m", "-r"])
        .args(extra)
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(
            n > 0,
            "{} exited before establishing its watches",
            program.display()
        );
        if line == "Watches established.\n" {
            break;
        }
    }
    let setup = start.elapsed();
    let peak = peak_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    Sample {
        setup,
        peak_kib: peak,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Where inotifywait is, if it runs.
fn inotifywait() -> Option<PathBuf> {
    let ok = Command::new("inotifywait")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    ok.then(|| PathBuf::from("inotifywait"))
}

/// A tool draining events: `program -m -e create,delete dir`, its output
/// lines counted as they come through the pipe.
struct Drainer {
    child: Child,
    lines: Arc<AtomicU64>,
    reader: thread::JoinHandle<()>,
    /// CPU ticks used by set-up, not counted.
    setup_ticks: u64,
}

/// User plus system CPU time of a live process, in clock ticks (USER_HZ,
/// 100 a second on Linux), from /proc/PID/stat.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which may hold spaces: state is the
    // first, utime the 12th, stime the 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum()
}

impl Drainer {
    fn start(program: &Path, dir: &Path) -> Self {
        let mut child = Command::new(program)
            .args(["-m", "-e", "create,delete"])
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while line != "Watches established.\n" {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "no set-up");
        }
        let lines = Arc::new(AtomicU64::new(0));
        let mut out = child.stdout.take().unwrap();
        let counter = Arc::clone(&lines);
        let reader = thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count();
                counter.fetch_add(newlines as u64, Ordering::Relaxed);
            }
        });
        let setup_ticks = cpu_ticks(child.id());
        Self {
            child,
            lines,
            reader,
            setup_ticks,
        }
    }

    fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    fn signal(&self, signal: &str) {
        Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
    }

    /// Waits (up to 30 s) until `lines` lines came out; then returns the
    /// CPU ticks spent since set-up and the lines seen, and ends the tool.
    fn finish(mut self, lines: u64) -> (u64, u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.lines() < lines && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        // Nothing more is coming: let the last batch be counted.
        thread::sleep(Duration::from_millis(100));
        let ticks = cpu_ticks(self.child.id()) - self.setup_ticks;
        let seen = self.lines();
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.reader.join().unwrap();
        (ticks, seen)
    }
}

/// One drain measurement per tool: (CPU ticks, lines printed).
type Drained = Vec<(u64, u64)>;

/// Both tools watch `dir` while `files` files are created and deleted one
/// by one.
fn drain_live(programs: &[&Path], dir: &Path, files: usize) -> Drained {
    let drainers: Vec<Drainer> = programs.iter().map(|p| Drainer::start(p, dir)).collect();
    for n in 0..files {
        let path = dir.join(format!("f{n}"));
        std::fs::write(&path, b"").unwrap();
        std::fs::remove_file(&path).unwrap();
    }
    let expected = 2 * files as u64;
    drainers.into_iter().map(|d| d.finish(expected)).collect()
}

/// Both tools watch `dir`; `rounds` times, both are stopped while the queue
/// fills (creates and deletes up to just under `max_queued_events`), then
/// let go to drain it.
fn drain_full(programs: &[&Path], dir: &Path, rounds: usize) -> Drained {
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(16_384);
    let files = limit / 2 - 64;
    let drainers: Vec<Drainer> = programs.iter().map(|p| Drainer::start(p, dir)).collect();
    for round in 0..rounds {
        for d in &drainers {
            d.signal("STOP");
        }
        for n in 0..files {
            let path = dir.join(format!("f{n}"));
            std::fs::write(&path, b"").unwrap();
            std::fs::remove_file(&path).unwrap();
        }
        for d in &drainers {
            d.signal("CONT");
        }
        let expected = (2 * files * (round + 1)) as u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while drainers.iter().any(|d| d.lines() < expected) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
    }
    let expected = (2 * files * rounds) as u64;
    drainers.into_iter().map(|d| d.finish(expected)).collect()
}

/// Runs `drain` `runs` times and prints zinotify's and inotifywait's CPU
/// per event, medians, and their ratio.
fn drain_row(name: &str, runs: usize, mut drain: impl FnMut(&[&Path]) -> Drained) {
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_zinotify"));
    let theirs = inotifywait();
    let mut programs: Vec<&Path> = vec![&ours];
    programs.extend(theirs.as_deref());
    let mut per_event: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut seen = [0u64; 2];
    for _ in 0..runs {
        for (tool, (ticks, lines)) in drain(&programs).into_iter().enumerate() {
            // A tick is 10 ms: microseconds per event.
            per_event[tool].push(ticks as f64 * 10_000.0 / lines.max(1) as f64);
            seen[tool] = lines;
        }
    }
    let z = median(per_event[0].clone());
    if per_event[1].is_empty() {
        println!(
            "{name:>12} | {z:>9.3} us {:>12} {:>7} | {:>9}",
            "-", "-", seen[0]
        );
    } else {
        let i = median(per_event[1].clone());
        println!(
            "{name:>12} | {z:>9.3} us {i:>9.3} us {:>6.2}x | {:>9} {:>9}",
            z / i,
            seen[0],
            seen[1]
        );
    }
}

/// Size in bytes of the command built in a scratch target dir with the
/// `release-small` profile at `opt_level`.
fn built_size(opt_level: &str) -> Option<u64> {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let target = Path::new(manifest).join("target").join("size-bench");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--bin",
            "zinotify",
            "--profile",
            "release-small",
            "--config",
        ])
        // TOML: `"s"` is a string, `3` a number.
        .arg(format!("profile.release-small.opt-level={opt_level}"))
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(manifest)
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    std::fs::metadata(target.join("release-small").join("zinotify"))
        .ok()
        .map(|m| m.len())
}

/// inotifywait and the libinotifytools it loads, in bytes.
fn inotifywait_size() -> Option<(u64, u64)> {
    let bin = std::fs::metadata("/usr/bin/inotifywait").ok()?.len();
    let ldd = Command::new("ldd")
        .arg("/usr/bin/inotifywait")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&ldd.stdout).into_owned();
    let lib = text
        .lines()
        .find(|l| l.contains("libinotifytools"))
        .and_then(|l| l.split("=>").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|path| std::fs::metadata(std::fs::canonicalize(path).ok()?).ok())?
        .len();
    Some((bin, lib))
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let only_drain = std::env::args().any(|a| a == "drain");
    let runs = if quick { 3 } else { 7 };
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_zinotify"));
    let theirs = inotifywait();
    let scratch = std::env::temp_dir().join(format!("zinotify-bench-cli-{}", std::process::id()));

    println!("== set-up of `-m -r DIR` (median of {runs}; ratio = inotifywait / zinotify)");
    println!(
        "{:>8} {:>5} {:>16} | {:>14} {:>14} {:>7} | {:>12} {:>12} {:>7}",
        "dirs",
        "files",
        "-e",
        "zinotify",
        "inotifywait",
        "ratio",
        "zinotify",
        "inotifywait",
        "ratio"
    );
    // (directories, files per directory, extra arguments). The default
    // mask includes open/access/close_nowrite, which the tree keeps off
    // while it lists (its own listing would flood the queue) and puts back
    // afterwards: one more inotify_add_watch per directory. The `-e` row
    // leaves them out.
    let cases: [(usize, usize, &[&str]); 5] = [
        (100, 10, &[]),
        (10_000, 10, &[]),
        (50_000, 10, &[]),
        (50_000, 10, &["-e", "create,delete,move"]),
        (50_000, 0, &[]),
    ];
    let mut built = (0, 0);
    for (dirs, files, extra) in cases.into_iter().filter(|_| !only_drain) {
        if built != (dirs, files) {
            build_tree(&scratch, dirs, files);
            built = (dirs, files);
        }
        let mask = extra.get(1).copied().unwrap_or("all");
        let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for run in 0..runs {
            // Alternate who goes first, so neither always meets a warm cache.
            let order: &[usize] = if run % 2 == 0 { &[0, 1] } else { &[1, 0] };
            for &tool in order {
                let program = if tool == 0 {
                    Some(&ours)
                } else {
                    theirs.as_ref()
                };
                if let Some(program) = program {
                    samples[tool].push(measure(program, extra, &scratch));
                }
            }
        }
        let ms = |s: &[Sample]| median(s.iter().map(|x| x.setup.as_secs_f64() * 1e3).collect());
        let mib = |s: &[Sample]| median(s.iter().map(|x| x.peak_kib as f64 / 1024.0).collect());
        let (z_ms, z_mib) = (ms(&samples[0]), mib(&samples[0]));
        if samples[1].is_empty() {
            println!(
                "{dirs:>8} {files:>5} {mask:>16} | {z_ms:>11.1} ms {:>14} {:>7} | {z_mib:>8.2} MiB {:>12} {:>7}",
                "-", "-", "-", "-"
            );
        } else {
            let (i_ms, i_mib) = (ms(&samples[1]), mib(&samples[1]));
            println!(
                "{dirs:>8} {files:>5} {mask:>16} | {z_ms:>11.1} ms {i_ms:>11.1} ms {:>6.2}x | {z_mib:>8.2} MiB {i_mib:>8.2} MiB {:>6.2}x",
                i_ms / z_ms,
                i_mib / z_mib
            );
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!(
        "\n== CPU per event printed, `-m -e create,delete DIR` into a pipe (median of {runs}; ratio = zinotify / inotifywait)"
    );
    println!(
        "{:>12} | {:>12} {:>12} {:>7} | {:>9} {:>9}",
        "stream", "zinotify", "inotifywait", "ratio", "lines", "lines"
    );
    std::fs::create_dir_all(&scratch).unwrap();
    let (live_files, full_rounds) = if quick { (30_000, 10) } else { (100_000, 30) };
    drain_row("live", runs, |p| drain_live(p, &scratch, live_files));
    drain_row("full queue", runs, |p| drain_full(p, &scratch, full_rounds));
    let _ = std::fs::remove_dir_all(&scratch);
    if only_drain {
        return;
    }

    println!("\n== binary size (stripped)");
    for level in ["\"s\"", "3"] {
        match built_size(level) {
            Some(bytes) => println!(
                "zinotify, release-small, opt-level={level}: {bytes} bytes ({:.0} KiB)",
                bytes as f64 / 1024.0
            ),
            None => println!("zinotify, opt-level={level}: build failed"),
        }
    }
    if let Some((bin, lib)) = inotifywait_size() {
        println!(
            "inotifywait {bin} + libinotifytools {lib} = {} bytes ({:.0} KiB), plus libc",
            bin + lib,
            (bin + lib) as f64 / 1024.0
        );
    }
}

//! The `zinotify` command against `inotifywait`, side by side in one run:
//!
//! - set-up time of `-m -r DIR`, from start to "Watches established.", and
//!   peak memory (VmHWM) at that point, on a tiny tree (100 directories)
//!   and trees of 10 000 and 50 000 directories, with 10 files in each
//!   directory and, once, none; medians of several runs, alternating the
//!   two tools;
//! - the size of the command built for size (`release-small`: opt-level
//!   "s", LTO, one codegen unit, panic=abort, stripped) and with opt-level 3,
//!   against inotifywait plus libinotifytools.
//!
//! `cargo bench --bench cli` (add `-- quick` for 3 runs per size instead of
//! 7). Without inotifywait the comparison columns are left out.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
    for (dirs, files, extra) in cases {
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

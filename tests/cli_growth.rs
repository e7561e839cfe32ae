//! `zinotify -m -r` on a tree that grows after set-up far past its first
//! storage: from 10 directories to 70 010, more than the 65 536 the command
//! once stopped at. A file made in the last new directory is reported, and
//! the kernel holds a watch for every directory (`/proc/PID/fdinfo`).
#![cfg(feature = "cli")]

mod common;

use common::cli::{wait_established, zinotify};
use common::{TempDir, in_ci};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Top directories made after set-up, and directories in each.
const TOPS: usize = 700;
const PER_TOP: usize = 99;

#[test]
fn recursive_watch_follows_a_tree_growing_past_65536_directories() {
    let new_dirs = TOPS * (PER_TOP + 1);
    let watches = 1 + 10 + new_dirs;
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if limit < watches + 1000 {
        let why =
            format!("needs {watches} inotify watches, fs.inotify.max_user_watches is {limit}");
        assert!(!in_ci(), "{why}");
        eprintln!("recursive_watch_follows_a_tree_growing_past_65536_directories: skipped: {why}");
        return;
    }
    let dir = TempDir::new("cli-growth");
    for i in 0..10 {
        std::fs::create_dir(dir.join(&format!("first{i}"))).unwrap();
    }
    let mut child = zinotify()
        .args(["-m", "-r", "-e", "create"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    wait_established(&mut stderr);
    let (lines_tx, lines) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stdout.split(b'\n') {
            if lines_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });

    for t in 0..TOPS {
        let top = dir.join(&format!("t{t}"));
        std::fs::create_dir(&top).unwrap();
        for d in 0..PER_TOP {
            std::fs::create_dir(top.join(format!("d{d}"))).unwrap();
        }
    }
    let last = dir.join(&format!("t{}/d{}", TOPS - 1, PER_TOP - 1));
    std::fs::write(last.join("f"), b"").unwrap();
    let wanted = format!("{}/ CREATE f", last.display()).into_bytes();

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    let mut found = false;
    while !found && Instant::now() < deadline {
        match lines.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => {
                seen += 1;
                found = line == wanted;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // The probe's line can come out before the last watches are added (the
    // listing of a new directory goes on after its events): wait for them.
    let settle = Instant::now() + Duration::from_secs(30);
    let mut held = common::process_watches(child.id());
    while held < watches && Instant::now() < settle {
        std::thread::sleep(Duration::from_millis(100));
        held = common::process_watches(child.id());
    }
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    drop(lines);
    let _ = reader.join();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(
        found,
        "the file in the last directory was not reported ({seen} lines; stderr: {rest}; {status})"
    );
    assert_eq!(held, watches, "watches the kernel holds (stderr: {rest})");
    assert!(!rest.contains("full"), "no full table reported: {rest}");
}

//! Helpers shared by the command's tests: watchers run as child processes,
//! and finding inotifywait. (Temporary directories: [`super`].)
#![allow(dead_code)] // each test crate uses its own subset

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The `zinotify` binary Cargo built for these tests.
pub fn zinotify() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zinotify"))
}

/// The `zinotifywatch` binary Cargo built for these tests.
pub fn zinotifywatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zinotifywatch"))
}

/// Whether `inotifywait` can be run (see [`have_tool`]).
pub fn have_inotifywait(test: &str) -> bool {
    have_tool("inotifywait", test)
}

/// Whether `tool` (from inotify-tools) can be run. When it cannot: with
/// `CI` set this panics (CI must run the comparison), otherwise it says
/// the test is skipped and returns false.
pub fn have_tool(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {tool} is missing but CI is set (apt-get install inotify-tools)"
        );
        eprintln!("{test}: skipped, {tool} is not installed (apt-get install inotify-tools)");
    }
    found
}

/// A watcher running as a child process, its output collected.
pub struct Watcher {
    child: Child,
    stdout: thread::JoinHandle<Vec<u8>>,
    stderr: thread::JoinHandle<Vec<u8>>,
}

/// What a watcher printed, and how it ended.
pub struct Output {
    /// Standard output, raw bytes.
    pub stdout: Vec<u8>,
    /// Standard error, raw bytes.
    pub stderr: Vec<u8>,
    /// The exit status.
    pub status: ExitStatus,
}

impl Watcher {
    /// Starts `cmd` and waits (up to 20 s) until it has printed
    /// "Watches established." on standard error.
    pub fn start(cmd: Command) -> Self {
        Self::start_until(cmd, "Watches established.")
    }

    /// Starts `cmd` and waits (up to 20 s) until it has printed the line
    /// `ready` on standard error.
    pub fn start_until(mut cmd: Command, ready: &str) -> Self {
        let ready = format!("{ready}\n").into_bytes();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn watcher");
        let mut out = child.stdout.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut buf = Vec::new();
            out.read_to_end(&mut buf).unwrap();
            buf
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut reader = BufReader::new(err);
            let mut all = Vec::new();
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                if line == ready {
                    let _ = ready_tx.send(());
                }
                all.append(&mut line);
            }
            all
        });
        ready_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the watcher did not say it was ready");
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// The watcher's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// How many inotify watches the watcher holds, from
    /// `/proc/PID/fdinfo` (one `inotify wd:` line per watch).
    pub fn kernel_watches(&self) -> usize {
        super::process_watches(self.child.id())
    }

    /// Sends `signal` (a `kill` name such as `TERM`) to the watcher.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Stops the watcher with SIGTERM and collects its output.
    pub fn stop(self) -> Output {
        self.signal("TERM");
        self.wait()
    }

    /// Waits for the watcher to exit on its own and collects its output.
    pub fn wait(mut self) -> Output {
        let status = self.child.wait().unwrap();
        Output {
            stdout: self.stdout.join().unwrap(),
            stderr: self.stderr.join().unwrap(),
            status,
        }
    }
}

/// Reads `stderr` until "Watches established." (for a child spawned by
/// hand); returns what came before it.
pub fn wait_established(stderr: &mut impl Read) -> String {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"Watches established.\n") {
        let n = stderr.read(&mut byte).unwrap();
        assert!(
            n > 0,
            "stderr closed before \"Watches established.\": {}",
            seen.escape_ascii()
        );
        seen.push(byte[0]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Splits output into lines (without the newline).
pub fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Shows bytes readably in assertion messages.
pub fn show(lines: &[Vec<u8>]) -> String {
    lines
        .iter()
        .map(|l| format!("{}\n", l.escape_ascii()))
        .collect()
}

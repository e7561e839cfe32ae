//! The `zinotify` command as a script sees it: exit statuses, messages,
//! signals, pipes, `--fromfile`, `--exclude`. Real files, real kernel events.
#![cfg(feature = "cli")]

mod cli_common;

use cli_common::{TempDir, Watcher, lines, wait_established, zinotify};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Runs to completion with no stdin; returns (status code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn timeout_without_events_exits_2() {
    let dir = TempDir::new("cli-timeout");
    let start = Instant::now();
    let (code, stdout, stderr) = run(zinotify().args(["-t", "1"]).arg(&dir.0));
    assert_eq!(code, 2, "{stderr}");
    assert!(start.elapsed() >= Duration::from_millis(900));
    assert!(stdout.is_empty());
    assert_eq!(stderr, "Setting up watches.\nWatches established.\n");
}

#[test]
fn missing_path_exits_1_with_one_line_naming_it() {
    let dir = TempDir::new("cli-missing");
    let missing = dir.join("no-such-dir");
    let (code, stdout, stderr) = run(zinotify().arg("-q").arg(&missing));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
}

#[test]
fn bad_arguments_exit_1_with_one_line() {
    let dir = TempDir::new("cli-badargs");
    for args in [
        &["-e", "explode"][..],
        &["--exclude", "("],
        &["-t", "soon"],
        &["--nonsense"],
        &["-c", "--format", "%w"],
    ] {
        let (code, stdout, stderr) = run(zinotify().args(args).arg(&dir.0));
        assert_eq!(code, 1, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("zinotify: "), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = run(&mut zinotify());
    assert_eq!(
        (code, stderr.as_str()),
        (1, "zinotify: no files specified to watch\n")
    );
}

#[test]
fn help_goes_to_stdout_and_names_the_differences() {
    let (code, stdout, stderr) = run(zinotify().arg("--help"));
    assert_eq!(code, 0);
    assert!(stderr.is_empty());
    assert!(stdout.contains("--exclude") && stdout.contains("Better than inotifywait"));
}

#[test]
fn first_event_without_monitor_exits_0() {
    let dir = TempDir::new("cli-first");
    let mut cmd = zinotify();
    cmd.args(["-e", "create"]).arg(&dir.0);
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.join("new file"), b"x").unwrap();
    let out = watcher.wait();
    assert_eq!(out.status.code(), Some(0));
    let expected = format!("{}/ CREATE new file\n", dir.0.display());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn an_event_not_asked_for_exits_1() {
    // Deleting the watched directory queues IN_IGNORED, which nobody asked
    // for: inotifywait exits 1 then, without printing it.
    let dir = TempDir::new("cli-ignored");
    let watched = dir.join("w");
    std::fs::create_dir(&watched).unwrap();
    let mut cmd = zinotify();
    cmd.args(["-e", "create"]).arg(&watched);
    let watcher = Watcher::start(cmd);
    std::fs::remove_dir(&watched).unwrap();
    let out = watcher.wait();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn sigterm_and_sigint_end_monitor_mode_with_0() {
    for signal in ["TERM", "INT"] {
        let dir = TempDir::new("cli-signal");
        let mut cmd = zinotify();
        cmd.arg("-m").arg(&dir.0);
        let watcher = Watcher::start(cmd);
        std::fs::write(dir.join("a"), b"").unwrap();
        sleep(Duration::from_millis(200));
        watcher.signal(signal);
        let out = watcher.wait();
        assert_eq!(out.status.code(), Some(0), "SIG{signal}");
        // The event before the signal was printed whole.
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .starts_with(&format!("{}/ CREATE a\n", dir.0.display()))
        );
    }
}

#[test]
fn a_closed_pipe_ends_monitor_mode_quietly() {
    let dir = TempDir::new("cli-pipe");
    let mut child = zinotify()
        .args(["-m", "-e", "create"])
        .arg(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    wait_established(&mut stderr);
    // Read one line, then close our end, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    std::fs::write(dir.join("one"), b"").unwrap();
    let mut first = [0u8; 64];
    let n = std::io::Read::read(&mut stdout, &mut first).unwrap();
    assert!(first[..n].ends_with(b" CREATE one\n"));
    drop(stdout);
    // The next event's write fails with EPIPE: that ends it, quietly.
    std::fs::write(dir.join("two"), b"").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.is_empty(), "{rest}");
}

#[test]
fn fromfile_watches_its_paths_and_at_lines_exclude() {
    let dir = TempDir::new("cli-fromfile");
    for sub in ["a", "b"] {
        std::fs::create_dir(dir.join(sub)).unwrap();
    }
    let list = dir.join("list");
    let a = dir.join("a");
    std::fs::write(
        &list,
        format!("{}\n@{}\n\n", a.display(), dir.join("a/skipped").display()),
    )
    .unwrap();
    let mut cmd = zinotify();
    cmd.args(["-m", "-e", "create", "--fromfile"])
        .arg(&list)
        .arg(dir.join("b"));
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.join("a/x"), b"").unwrap();
    std::fs::write(dir.join("b/y"), b"").unwrap();
    sleep(Duration::from_millis(200));
    let out = watcher.stop();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        text,
        format!(
            "{}/ CREATE x\n{}/ CREATE y\n",
            a.display(),
            dir.join("b").display()
        )
    );
}

#[test]
fn fromfile_dash_reads_stdin_and_a_missing_one_is_an_error() {
    let dir = TempDir::new("cli-fromfile-stdin");
    let mut child = zinotify()
        .args(["-e", "create", "--fromfile", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", dir.0.display()).unwrap();
    }
    wait_established(child.stderr.as_mut().unwrap());
    std::fs::write(dir.join("via-stdin"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.ends_with(b"/ CREATE via-stdin\n"));

    let (code, _, stderr) = run(zinotify().arg("--fromfile").arg(dir.join("absent")));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("absent") && stderr.contains("No such file"),
        "{stderr}"
    );
}

#[test]
fn exclude_and_include_filter_on_the_full_path() {
    let dir = TempDir::new("cli-exclude");
    let run_with = |args: &[&str]| {
        let mut cmd = zinotify();
        cmd.args(["-m", "-e", "create"]).args(args).arg(&dir.0);
        let watcher = Watcher::start(cmd);
        for name in ["keep.txt", "drop.log", "DROP.LOG", "other"] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        sleep(Duration::from_millis(200));
        let out = watcher.stop();
        for name in ["keep.txt", "drop.log", "DROP.LOG", "other"] {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        lines(&out.stdout)
            .iter()
            .map(|l| {
                String::from_utf8_lossy(l)
                    .rsplit(' ')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run_with(&["--exclude", r"\.log$"]),
        ["keep.txt", "DROP.LOG", "other"]
    );
    assert_eq!(run_with(&["--excludei", r"\.log$"]), ["keep.txt", "other"]);
    assert_eq!(
        run_with(&["--include", r"\.(txt|log)$"]),
        ["keep.txt", "drop.log"]
    );
    assert_eq!(
        run_with(&["--includei", "[.]LOG$"]),
        ["drop.log", "DROP.LOG"]
    );
    // The expression sees the watched path too (%w%f), as in inotifywait.
    let base = dir.0.file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(
        run_with(&["--exclude", &format!("{base}/o")]),
        ["keep.txt", "drop.log", "DROP.LOG"]
    );
}

#[test]
fn outfile_appends_events() {
    let dir = TempDir::new("cli-outfile");
    let watched = dir.join("w");
    std::fs::create_dir(&watched).unwrap();
    let log = dir.join("events.log");
    std::fs::write(&log, b"earlier\n").unwrap();
    let mut cmd = zinotify();
    cmd.args(["-e", "create", "-o"]).arg(&log).arg(&watched);
    let watcher = Watcher::start(cmd);
    std::fs::write(watched.join("f"), b"").unwrap();
    let out = watcher.wait();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text, format!("earlier\n{}/ CREATE f\n", watched.display()));
}

#[test]
fn non_utf8_names_are_printed_as_raw_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("cli-bytes");
    let mut cmd = zinotify();
    cmd.args(["-e", "create", "--format", "%f"]).arg(&dir.0);
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9 \xff")), b"").unwrap();
    let out = watcher.wait();
    assert_eq!(out.stdout, b"caf\xe9 \xff\n");
}

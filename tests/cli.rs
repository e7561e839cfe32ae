//! The `zinotify` command as a script sees it: exit statuses, messages,
//! signals, pipes, `--fromfile`, `--exclude`. Real files, real kernel events.
#![cfg(feature = "cli")]

mod common;

use common::TempDir;
use common::cli::{Watcher, lines, wait_established, zinotify};
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
    let (code, stdout, stderr) = run(zinotify().args(["-t", "1"]).arg(dir.path()));
    assert_eq!(code, 2, "{stderr}");
    assert!(start.elapsed() >= Duration::from_millis(900));
    assert!(stdout.is_empty());
    assert_eq!(stderr, "Setting up watches.\nWatches established.\n");
}

#[test]
fn missing_path_exits_1_with_one_line_naming_it() {
    let dir = TempDir::new("cli-missing");
    let missing = dir.path().join("no-such-dir");
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
        let (code, stdout, stderr) = run(zinotify().args(args).arg(dir.path()));
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
    cmd.args(["-e", "create"]).arg(dir.path());
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.path().join("new file"), b"x").unwrap();
    let out = watcher.wait();
    assert_eq!(out.status.code(), Some(0));
    let expected = format!("{}/ CREATE new file\n", dir.path().display());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn an_event_not_asked_for_exits_1() {
    // Deleting the watched directory queues IN_IGNORED, which nobody asked
    // for: inotifywait exits 1 then, without printing it.
    let dir = TempDir::new("cli-ignored");
    let watched = dir.path().join("w");
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
        cmd.arg("-m").arg(dir.path());
        let watcher = Watcher::start(cmd);
        std::fs::write(dir.path().join("a"), b"").unwrap();
        sleep(Duration::from_millis(200));
        watcher.signal(signal);
        let out = watcher.wait();
        assert_eq!(out.status.code(), Some(0), "SIG{signal}");
        // The event before the signal was printed whole.
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .starts_with(&format!("{}/ CREATE a\n", dir.path().display()))
        );
    }
}

#[test]
fn a_closed_pipe_ends_monitor_mode_quietly() {
    let dir = TempDir::new("cli-pipe");
    let mut child = zinotify()
        .args(["-m", "-e", "create"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    wait_established(&mut stderr);
    // Read one line, then close our end, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    std::fs::write(dir.path().join("one"), b"").unwrap();
    let mut first = [0u8; 64];
    let n = std::io::Read::read(&mut stdout, &mut first).unwrap();
    assert!(first[..n].ends_with(b" CREATE one\n"));
    drop(stdout);
    // The next event's write fails with EPIPE: that ends it, quietly.
    std::fs::write(dir.path().join("two"), b"").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.is_empty(), "{rest}");
}

#[test]
fn fromfile_watches_its_paths_and_at_lines_exclude() {
    let dir = TempDir::new("cli-fromfile");
    for sub in ["a/skipped", "b"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    let list = dir.path().join("list");
    let a = dir.path().join("a");
    std::fs::write(
        &list,
        format!(
            "{}\n@{}\n\n",
            a.display(),
            dir.path().join("a/skipped").display()
        ),
    )
    .unwrap();
    let mut cmd = zinotify();
    cmd.args(["-m", "-r", "-e", "create", "--fromfile"])
        .arg(&list)
        .arg(dir.path().join("b"));
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.path().join("a/skipped/z"), b"").unwrap();
    std::fs::write(dir.path().join("a/x"), b"").unwrap();
    std::fs::write(dir.path().join("b/y"), b"").unwrap();
    sleep(Duration::from_millis(200));
    let out = watcher.stop();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        text,
        format!(
            "{}/ CREATE x\n{}/ CREATE y\n",
            a.display(),
            dir.path().join("b").display()
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
        writeln!(stdin, "{}", dir.path().display()).unwrap();
    }
    wait_established(child.stderr.as_mut().unwrap());
    std::fs::write(dir.path().join("via-stdin"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.ends_with(b"/ CREATE via-stdin\n"));

    let (code, _, stderr) = run(zinotify().arg("--fromfile").arg(dir.path().join("absent")));
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
        cmd.args(["-m", "-e", "create"]).args(args).arg(dir.path());
        let watcher = Watcher::start(cmd);
        for name in ["keep.txt", "drop.log", "DROP.LOG", "other"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        sleep(Duration::from_millis(200));
        let out = watcher.stop();
        for name in ["keep.txt", "drop.log", "DROP.LOG", "other"] {
            std::fs::remove_file(dir.path().join(name)).unwrap();
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
    let base = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(
        run_with(&["--exclude", &format!("{base}/o")]),
        ["keep.txt", "drop.log", "DROP.LOG"]
    );
}

#[test]
fn outfile_appends_events() {
    let dir = TempDir::new("cli-outfile");
    let watched = dir.path().join("w");
    std::fs::create_dir(&watched).unwrap();
    let log = dir.path().join("events.log");
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
    cmd.args(["-e", "create", "--format", "%f"]).arg(dir.path());
    let watcher = Watcher::start(cmd);
    std::fs::write(
        dir.path()
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9 \xff")),
        b"",
    )
    .unwrap();
    let out = watcher.wait();
    assert_eq!(out.stdout, b"caf\xe9 \xff\n");
}

/// Fills the kernel queue past `max_queued_events` with creates in `dir`
/// while the watcher is stopped, so it reads an overflow when it resumes;
/// then makes `dir/late/`, whose own CREATE is lost in the overflow.
fn overflow_while_stopped(watcher: &Watcher, dir: &std::path::Path) {
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    watcher.signal("STOP");
    for n in 0..=limit {
        std::fs::write(dir.join(n.to_string()), b"").unwrap();
    }
    std::fs::create_dir(dir.join("late")).unwrap();
    watcher.signal("CONT");
    sleep(Duration::from_millis(800));
}

#[test]
fn queue_overflow_is_always_printed() {
    // Every event is filtered out; the overflow is printed anyway.
    let dir = TempDir::new("cli-overflow");
    let mut cmd = zinotify();
    cmd.args(["-m", "-e", "create", "--exclude", "."])
        .arg(dir.path());
    let watcher = Watcher::start(cmd);
    overflow_while_stopped(&watcher, dir.path());
    let out = watcher.stop();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&out.stdout), [b" Q_OVERFLOW ".to_vec()]);
}

#[test]
fn recursive_overflow_is_printed_and_the_tree_read_again() {
    let dir = TempDir::new("cli-overflow-r");
    let mut cmd = zinotify();
    // Only close_write is asked for: the tree adds CREATE for itself, and
    // the overflow of those is printed though nobody asked.
    cmd.args(["-m", "-r", "-e", "close_write"]).arg(dir.path());
    let watcher = Watcher::start(cmd);
    overflow_while_stopped(&watcher, dir.path());
    // `late/` appeared during the overflow: the rescan watches it.
    std::fs::write(dir.path().join("late/after"), b"").unwrap();
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    let got = lines(&out.stdout);
    assert!(got.contains(&b" Q_OVERFLOW ".to_vec()), "no overflow line");
    let after = format!("{}/late/ CLOSE_WRITE,CLOSE after", dir.path().display());
    assert!(
        got.contains(&after.into_bytes()),
        "late/ not watched after the rescan"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("read again"));
}

#[test]
fn recursive_at_path_excludes_a_subtree() {
    let dir = TempDir::new("cli-r-exclude");
    for sub in ["keep/deep", "skip/deep"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    let mut cmd = zinotify();
    cmd.args(["-m", "-r", "-e", "create"])
        .arg(dir.path())
        .arg(format!("@{}", dir.path().join("skip").display()));
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.path().join("skip/deep/no"), b"").unwrap();
    std::fs::write(dir.path().join("keep/deep/yes"), b"").unwrap();
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        text,
        format!("{}/keep/deep/ CREATE yes\n", dir.path().display())
    );
}

#[test]
fn recursive_missing_root_exits_1_naming_it() {
    let dir = TempDir::new("cli-r-missing");
    let missing = dir.path().join("gone");
    let (code, stdout, stderr) = run(zinotify().arg("-r").arg(&missing));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.ends_with("No such file or directory (os error 2)\n"),
        "{stderr}"
    );
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
}

#[test]
fn recursive_watches_a_file_argument_as_a_file() {
    // inotifywait -r watches a path that is not a directory as a file.
    let dir = TempDir::new("cli-r-file");
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut cmd = zinotify();
    cmd.args(["-m", "-r", "-e", "attrib"])
        .arg(&file)
        .arg(dir.path().join("sub"));
    let watcher = Watcher::start(cmd);
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    sleep(Duration::from_millis(100));
    std::fs::write(dir.path().join("sub/x"), b"").unwrap();
    std::fs::set_permissions(
        dir.path().join("sub/x"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let sub = dir.path().join("sub");
    assert_eq!(
        text,
        format!("{} ATTRIB \n{}/ ATTRIB x\n", file.display(), sub.display())
    );
}

#[test]
fn recursive_with_only_files_is_ready_at_once() {
    let dir = TempDir::new("cli-r-only-file");
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let (code, _, stderr) = run(zinotify().args(["-r", "-t", "1"]).arg(&file));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.ends_with("Watches established.\n"), "{stderr}");
}

#[test]
fn timefmt_is_strftime_in_local_time() {
    // A POSIX TZ string three hours east of UTC: no zone database needed.
    let dir = TempDir::new("cli-timefmt");
    let mut cmd = zinotify();
    cmd.env("TZ", "XYZ-3")
        .args(["-e", "create", "--format", "%T|%f", "--timefmt", "%Z %z %Y"])
        .arg(dir.path());
    let watcher = Watcher::start(cmd);
    std::fs::write(dir.path().join("t"), b"").unwrap();
    let out = watcher.wait();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (stamp, name) = text.trim_end().split_once('|').unwrap();
    assert_eq!(name, "t");
    let parts: Vec<&str> = stamp.split(' ').collect();
    assert_eq!(parts[..2], ["XYZ", "+0300"]);
    assert!(parts[2].parse::<u32>().is_ok_and(|y| y >= 2024), "{stamp}");
}

#[test]
fn recursive_setup_outgrows_its_first_name_storage_and_misses_nothing() {
    // 1 200 directories with 254-byte names need about 300 KiB of name
    // storage, more than the first attempt's; set-up must start again with
    // more room, silently, and every directory must end up watched.
    let dir = TempDir::new("cli-r-long-names");
    let long = |i: usize| format!("{i:04}{}", "x".repeat(250));
    for i in 0..1200 {
        std::fs::create_dir(dir.path().join(long(i))).unwrap();
    }
    let mut cmd = zinotify();
    cmd.args(["-m", "-r", "-e", "create"]).arg(dir.path());
    let watcher = Watcher::start(cmd);
    for i in [0, 599, 1199] {
        std::fs::write(dir.path().join(long(i)).join("f"), b"").unwrap();
    }
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    let expected: String = [0, 599, 1199]
        .iter()
        .map(|&i| format!("{}/{}/ CREATE f\n", dir.path().display(), long(i)))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert!(
        out.stderr.ends_with(b"Watches established.\n"),
        "no error on stderr"
    );
}

/// Parses every line of `--json` output with a real JSON parser.
fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    assert!(out.is_empty() || out.ends_with(b"\n"));
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l).unwrap_or_else(|err| panic!("{err}: {}", l.escape_ascii()))
        })
        .collect()
}

/// A path field's exact bytes: `<key>_bytes` when present, else the string.
fn json_bytes(object: &serde_json::Value, key: &str) -> Vec<u8> {
    match object.get(format!("{key}_bytes")) {
        Some(bytes) => bytes
            .as_array()
            .unwrap()
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
            .collect(),
        None => object[key].as_str().unwrap().as_bytes().to_vec(),
    }
}

#[test]
fn json_lines_round_trip_odd_names_and_pair_moves() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("cli-json");
    let mut cmd = zinotify();
    cmd.args(["-m", "--json", "-e", "create,moved_from,moved_to"])
        .arg(dir.path());
    let watcher = Watcher::start(cmd);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let names: [&[u8]; 4] = [b"new\nline", b"caf\xe9\xff", b"q\"uote\\", b"tab\there"];
    for name in names {
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(name)), b"").unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::rename(dir.path().join("sub"), dir.path().join("sub2")).unwrap();
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    let objects = json_lines(&out.stdout);
    assert_eq!(objects.len(), 7, "{}", out.stdout.escape_ascii());
    let watch = format!("{}/", dir.path().display());
    for (object, name) in objects.iter().zip(names) {
        assert_eq!(object["kind"], "event");
        assert_eq!(object["events"], serde_json::json!(["CREATE"]));
        assert_eq!(json_bytes(object, "watch"), watch.as_bytes());
        assert_eq!(json_bytes(object, "name"), name);
        assert_eq!(
            json_bytes(object, "path"),
            [watch.as_bytes(), name].concat()
        );
        assert_eq!(object["cookie"], 0);
        assert_eq!(object["is_dir"], false);
        assert_eq!(object["synthetic"], false);
        let time = u128::from(object["time_ns"].as_u64().unwrap());
        assert!(time >= before && time < before + 60_000_000_000, "{time}");
    }
    // The non-UTF-8 name has a readable string beside its bytes.
    assert_eq!(objects[1]["name"], "caf\u{fffd}\u{fffd}");
    let (from, to) = (&objects[5], &objects[6]);
    assert_eq!(from["events"], serde_json::json!(["MOVED_FROM", "ISDIR"]));
    assert_eq!(to["events"], serde_json::json!(["MOVED_TO", "ISDIR"]));
    assert_eq!(from["is_dir"], true);
    assert_ne!(from["cookie"], 0);
    assert_eq!(from["cookie"], to["cookie"]);
}

#[test]
fn json_works_with_recursion_filters_and_outfile() {
    let dir = TempDir::new("cli-json-r");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("skip")).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("inner")).unwrap();
    std::fs::write(outside.join("inner/listed"), b"").unwrap();
    let outfile = dir.path().join("events.jsonl");
    let mut cmd = zinotify();
    cmd.args([
        "-m",
        "-r",
        "--json",
        "-e",
        "create,moved_to",
        "--exclude",
        "skip",
    ])
    .arg("-o")
    .arg(&outfile)
    .arg(&root);
    let watcher = Watcher::start(cmd);
    std::fs::write(root.join("skip/hidden"), b"").unwrap();
    // Moved in from outside: watched and listed, its contents synthetic.
    std::fs::rename(&outside, root.join("in")).unwrap();
    sleep(Duration::from_millis(300));
    let out = watcher.stop();
    assert!(out.stdout.is_empty());
    let objects = json_lines(&std::fs::read(&outfile).unwrap());
    let shown: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o["path"].as_str().unwrap(),
                o["events"],
                o["synthetic"]
            )
        })
        .collect();
    let r = root.display();
    assert_eq!(
        shown,
        [
            format!("{r}/in [\"MOVED_TO\",\"ISDIR\"] false"),
            format!("{r}/in/inner [\"CREATE\",\"ISDIR\"] true"),
            format!("{r}/in/inner/listed [\"CREATE\"] true"),
        ]
    );
}

#[test]
fn json_overflow_and_rescan_are_markers() {
    let dir = TempDir::new("cli-json-overflow");
    let mut cmd = zinotify();
    cmd.args(["-m", "-r", "--json", "-e", "delete"])
        .arg(dir.path());
    let watcher = Watcher::start(cmd);
    overflow_while_stopped(&watcher, dir.path());
    let out = watcher.stop();
    let kinds: Vec<&str> = json_lines(&out.stdout)
        .iter()
        .map(|o| {
            assert!(o["time_ns"].as_u64().unwrap() > 0);
            match o["kind"].as_str().unwrap() {
                "overflow" => "overflow",
                "rescan" => "rescan",
                other => panic!("{other}"),
            }
        })
        .collect();
    assert_eq!(kinds, ["overflow", "rescan"]);
}

/// The lines of one read batch go out in one write: 300 events queued
/// while the command is stopped cost it a handful of `write` calls, not 300
/// (`syscw` in /proc/PID/io counts them).
#[test]
fn one_write_per_read_batch() {
    let dir = TempDir::new("cli-batched");
    let mut cmd = zinotify();
    cmd.args(["-m", "-e", "create"]).arg(dir.path());
    let watcher = Watcher::start(cmd);
    let writes = || -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{}/io", watcher.id())).unwrap();
        io.lines()
            .find_map(|l| l.strip_prefix("syscw: "))
            .unwrap()
            .parse()
            .unwrap()
    };
    watcher.signal("STOP");
    let before = writes();
    for n in 0..300 {
        std::fs::write(dir.path().join(n.to_string()), b"").unwrap();
    }
    watcher.signal("CONT");
    sleep(Duration::from_millis(500));
    let during = writes() - before;
    let out = watcher.stop();
    assert_eq!(lines(&out.stdout).len(), 300);
    // 300 events of 32 bytes fit one 64 KiB read.
    assert!(during <= 2, "{during} writes for 300 events");
}

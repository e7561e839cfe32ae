//! Recursive set-up of synthetic trees (1 000, 10 000 and 100 000
//! directories, 10 files each), zinotify side by side with the floor (a raw
//! rustix walk + add_watch loop), the `inotify` crate + `walkdir`, `notify`
//! (recursive) and `inotifywait -r`; then the cost of delivering events with
//! full paths, zinotify vs notify.
//!
//! Every run happens in a fresh child process (this binary re-executed with
//! `--child`), which reports its set-up time and its peak RSS (`VmHWM`).
//! The table shows medians and ratios to the floor.
//!
//! `cargo bench --bench tree_setup` (env `TREE_BENCH_SIZES=1000,10000` to
//! choose sizes, `TREE_BENCH_RUNS` for runs per size).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zinotify::{EventMask, WatchMask};
use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind, TreeStorage, TreeStore};

/// What inotifywait -r users typically ask for (no OPEN/ACCESS).
const MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::MODIFY)
    .union(WatchMask::ATTRIB)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVE);
const MASK_NAMES: &str = "create,modify,attrib,close_write,delete,move";

fn tree_root(n: usize) -> PathBuf {
    PathBuf::from(format!("/tmp/zinotify-bench-tree-{n}"))
}

/// Directory `i`'s path: a tree of fan-out 10 (directory `i`'s parent is
/// `(i - 1) / 10`), so depth grows like log10(n).
fn dir_path(root: &Path, i: usize) -> PathBuf {
    let mut chain = Vec::new();
    let mut j = i;
    while j > 0 {
        chain.push(j);
        j = (j - 1) / 10;
    }
    let mut p = root.to_path_buf();
    for j in chain.into_iter().rev() {
        p.push(format!("d{j}"));
    }
    p
}

/// Creates the tree once; a marker file says it is complete.
fn ensure_tree(n: usize) -> PathBuf {
    let root = tree_root(n);
    let marker = root.join(".complete");
    if marker.exists() {
        return root;
    }
    eprintln!(
        "creating {} ({n} directories, 10 files each)...",
        root.display()
    );
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..n {
        let d = dir_path(&root, i);
        if i > 0 {
            std::fs::create_dir(&d).unwrap();
        }
        for f in 0..10 {
            std::fs::write(d.join(format!("f{f}")), b"").unwrap();
        }
    }
    std::fs::write(&marker, b"").unwrap();
    root
}

fn vm_hwm_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

// ---- the contenders, each run in a child process ----

/// zinotify in storage sized for this tree up front (slices the caller
/// allocated at the recommended sizes, as a user who knows the tree's size
/// would).
fn child_zinotify_sized(root: &Path, n: usize, mask: WatchMask) -> usize {
    let (mut entries, mut index, mut names) = TreeStorage::vecs(n + 64);
    let storage = TreeStorage::new(&mut entries, &mut index, &mut names).unwrap();
    zinotify_setup(
        InotifyTrees::new(storage, vec![0u8; 16 * 1024], mask).unwrap(),
        root,
    )
}

/// zinotify in growing storage: it starts small and doubles as set-up
/// finds directories.
fn child_zinotify_growing(root: &Path, mask: WatchMask) -> usize {
    let storage = GrowingTreeStorage::growing();
    zinotify_setup(
        InotifyTrees::new(storage, vec![0u8; 16 * 1024], mask).unwrap(),
        root,
    )
}

/// Sets `trees` up on `root`; how many directories it watches.
fn zinotify_setup<S: TreeStore>(mut trees: InotifyTrees<'_, S, Vec<u8>>, root: &Path) -> usize {
    trees.add_root(root).unwrap();
    loop {
        match trees.next_event(Some(Duration::ZERO)) {
            Some(Ok(ev)) if ev.kind == TreeEventKind::Ready => break,
            Some(Ok(ev)) if ev.kind == TreeEventKind::Idle => {}
            Some(Ok(ev)) => panic!("unexpected {:?}", ev.kind),
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    trees.len()
}

/// The floor: a depth-first walk with openat + getdents into one buffer,
/// add_watch on each directory's full path, nothing recorded.
fn child_floor(root: &Path, mask: WatchMask) -> usize {
    use rustix::fs::{FileType, Mode, OFlags, RawDir, openat};
    use std::mem::MaybeUninit;
    use std::os::unix::ffi::OsStrExt;
    let ino = rustix::fs::inotify::init(rustix::fs::inotify::CreateFlags::CLOEXEC).unwrap();
    let flags = rustix::fs::inotify::WatchFlags::from_bits_retain(
        (mask | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW).bits(),
    );
    let mut path = root.as_os_str().as_bytes().to_vec();
    let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
    fn walk(
        ino: &rustix::fd::OwnedFd,
        flags: rustix::fs::inotify::WatchFlags,
        dir: rustix::fd::OwnedFd,
        path: &mut Vec<u8>,
        buf: &mut [MaybeUninit<u8>; 8192],
        count: &mut usize,
    ) {
        path.push(0);
        let c = std::ffi::CStr::from_bytes_with_nul(path).unwrap();
        rustix::fs::inotify::add_watch(ino, c, flags).unwrap();
        path.pop();
        *count += 1;
        let mut subdirs: Vec<Vec<u8>> = Vec::new();
        let mut raw = RawDir::new(&dir, buf);
        while let Some(e) = raw.next() {
            let e = e.unwrap();
            let name = e.file_name().to_bytes();
            if e.file_type() == FileType::Directory && name != b"." && name != b".." {
                subdirs.push(name.to_vec());
            }
        }
        for name in subdirs {
            let sub = openat(
                &dir,
                name.as_slice(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
            let len = path.len();
            path.push(b'/');
            path.extend_from_slice(&name);
            walk(ino, flags, sub, path, buf, count);
            path.truncate(len);
        }
    }
    let dir = openat(
        rustix::fs::CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    let mut count = 0;
    walk(&ino, flags, dir, &mut path, &mut buf, &mut count);
    count
}

fn child_inotify_walkdir(root: &Path, mask: WatchMask) -> usize {
    let ino = inotify::Inotify::init().unwrap();
    let m = inotify::WatchMask::from_bits_retain(mask.bits())
        | inotify::WatchMask::ONLYDIR
        | inotify::WatchMask::DONT_FOLLOW;
    let mut count = 0;
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_dir() {
            ino.watches().add(e.path(), m).unwrap();
            count += 1;
        }
    }
    count
}

fn child_notify(root: &Path) -> usize {
    use notify::Watcher;
    let (tx, _rx) = std::sync::mpsc::channel();
    let mut w = notify::INotifyWatcher::new(tx, notify::Config::default()).unwrap();
    w.watch(root, notify::RecursiveMode::Recursive).unwrap();
    std::mem::forget(w); // report before tearing down
    0
}

/// Runs one contender in a child; returns (seconds, peak RSS kB).
fn run_child(which: &str, n: usize) -> (f64, u64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", which, &n.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{which}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    let secs: f64 = it.next().unwrap().parse().unwrap();
    let kb: u64 = it.next().unwrap().parse().unwrap();
    (secs, kb)
}

fn run_inotifywait(n: usize) -> Option<(f64, u64)> {
    let root = tree_root(n);
    let start = Instant::now();
    let mut child = Command::new("inotifywait")
        .args(["-m", "-r", "-e", MASK_NAMES])
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).ok()? > 0 {
        if line.contains("Watches established") {
            break;
        }
        line.clear();
    }
    let secs = start.elapsed().as_secs_f64();
    let kb = vm_hwm_kb(&child.id().to_string());
    let _ = child.kill();
    let _ = child.wait();
    line.contains("Watches established").then_some((secs, kb))
}

fn child_main(which: &str, n: usize) {
    let root = tree_root(n);
    let start = Instant::now();
    let count = match which {
        "zinotify-sized" => child_zinotify_sized(&root, n, MASK),
        "zinotify-growing" => child_zinotify_growing(&root, MASK),
        "zinotify-all" => child_zinotify_sized(&root, n, WatchMask::ALL_EVENTS),
        "floor" => child_floor(&root, MASK),
        "inotify+walkdir" => child_inotify_walkdir(&root, MASK),
        "notify" => child_notify(&root),
        "events-zinotify" => return events_zinotify(&root),
        "events-notify" => return events_notify(&root),
        _ => panic!("unknown contender {which}"),
    };
    let secs = start.elapsed().as_secs_f64();
    assert!(count == 0 || count == n, "{which} watched {count} of {n}");
    println!("{secs} {}", vm_hwm_kb("self"));
}

// ---- per-event cost with full paths ----

const EVENTS: usize = 10_000;

/// Files to write to, spread over the tree (deep ones included).
fn event_files(root: &Path, n: usize) -> Vec<PathBuf> {
    (0..EVENTS)
        .map(|k| dir_path(root, (k * 7919) % n).join(format!("f{}", k % 10)))
        .collect()
}

/// Writes EVENTS files (one CLOSE_WRITE each), then drains them with full
/// paths; prints the time from the first write to the last event.
fn events_zinotify(root: &Path) {
    let n = 1000;
    let files = event_files(root, n);
    let (mut e, mut i, mut nm) = TreeStorage::vecs(n + 64);
    let mut buf = vec![0u8; 64 * 1024];
    let mut trees = InotifyTrees::new(
        TreeStorage::new(&mut e, &mut i, &mut nm).unwrap(),
        &mut buf[..],
        WatchMask::CLOSE_WRITE,
    )
    .unwrap();
    trees.add_root(root).unwrap();
    while trees
        .next_event(Some(Duration::ZERO))
        .is_none_or(|e| e.unwrap().kind != TreeEventKind::Ready)
    {}
    let start = Instant::now();
    for f in &files {
        drop(std::fs::OpenOptions::new().write(true).open(f).unwrap());
    }
    let mut got = 0;
    let mut bytes = 0;
    while got < EVENTS {
        let ev = trees
            .next_event(Some(Duration::from_secs(5)))
            .unwrap()
            .unwrap();
        assert!(ev.mask.contains(EventMask::CLOSE_WRITE));
        bytes += ev.dir.len() + ev.name.len();
        got += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(bytes > 0);
    println!("{secs} {}", vm_hwm_kb("self"));
}

fn events_notify(root: &Path) {
    use notify::Watcher;
    let files = event_files(root, 1000);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut w = notify::INotifyWatcher::new(tx, notify::Config::default()).unwrap();
    w.watch(root, notify::RecursiveMode::Recursive).unwrap();
    let start = Instant::now();
    for f in &files {
        drop(std::fs::OpenOptions::new().write(true).open(f).unwrap());
    }
    let mut got = 0;
    while got < EVENTS {
        let ev = rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
        if matches!(
            ev.kind,
            notify::EventKind::Access(notify::event::AccessKind::Close(
                notify::event::AccessMode::Write
            ))
        ) {
            got += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{secs} {}", vm_hwm_kb("self"));
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child_main(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then one tiny smoke run is enough.
    let smoke = !args.iter().any(|a| a == "--bench");
    let sizes: Vec<usize> = std::env::var("TREE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or_else(|| {
            if smoke {
                vec![1000]
            } else {
                vec![1000, 10_000, 100_000]
            }
        });
    let runs: usize = std::env::var("TREE_BENCH_RUNS")
        .ok()
        .map(|s| s.parse().unwrap())
        .unwrap_or(if smoke { 1 } else { 5 });
    let have_inotifywait = Command::new("inotifywait").arg("--help").output().is_ok();
    let contenders = [
        "floor",
        "zinotify-sized",
        "zinotify-growing",
        "zinotify-all",
        "inotify+walkdir",
        "notify",
        "inotifywait",
    ];

    println!(
        "recursive set-up, warm cache, {runs} runs each, medians (time per directory; peak RSS)"
    );
    println!(
        "{:>8} {:<16} {:>12} {:>10} {:>8} {:>10} {:>8}",
        "dirs", "contender", "total", "us/dir", "xfloor", "peak RSS", "xfloor"
    );
    for &n in &sizes {
        ensure_tree(n);
        // Warm the cache.
        run_child("floor", n);
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
        let mut mems: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
        for _ in 0..runs {
            // Interleaved, so drift hits every contender alike.
            for (k, c) in contenders.iter().enumerate() {
                let r = if *c == "inotifywait" {
                    if !have_inotifywait {
                        continue;
                    }
                    run_inotifywait(n)
                } else {
                    Some(run_child(c, n))
                };
                if let Some((s, kb)) = r {
                    times[k].push(s);
                    mems[k].push(kb as f64);
                }
            }
        }
        let floor_t = median(times[0].clone());
        let floor_m = median(mems[0].clone());
        for (k, c) in contenders.iter().enumerate() {
            if times[k].is_empty() {
                println!("{n:>8} {c:<16} (not installed)");
                continue;
            }
            let t = median(times[k].clone());
            let m = median(mems[k].clone());
            println!(
                "{n:>8} {c:<16} {:>10.1}ms {:>10.2} {:>7.2}x {:>8.1}MB {:>7.2}x",
                t * 1e3,
                t * 1e6 / n as f64,
                t / floor_t,
                m / 1024.0,
                m / floor_m
            );
        }
    }

    let n = 1000;
    ensure_tree(n);
    println!(
        "\n{EVENTS} CLOSE_WRITE events in a {n}-directory tree, delivered with full paths (write + deliver), {runs} runs, medians"
    );
    let mut res = Vec::new();
    for c in ["events-zinotify", "events-notify"] {
        let t = median((0..runs).map(|_| run_child(c, n).0).collect());
        res.push(t);
        println!(
            "{c:<16} {:>8.1}ms {:>8.2} us/event {:>6.2}x",
            t * 1e3,
            t * 1e6 / EVENTS as f64,
            t / res[0]
        );
    }
}

//! Drain benchmark: how much CPU the *reader* spends per inotify event.
//!
//! A writer creates and deletes files in a watched directory (two events per
//! file, `IN_CREATE` and `IN_DELETE`), then creates a sentinel file; each
//! reader consumes events until it sees the sentinel. Measured per run:
//! events/s (wall clock, writer start to sentinel) and reader CPU per event
//! (`CLOCK_THREAD_CPUTIME_ID` of the reading thread). `notify` reads on its
//! own thread, so for it the cost is the process's CPU minus the writer
//! thread's, which includes notify's thread and the channel receiver.
//!
//! Two scenarios: *live* (writer and reader run at the same time; batch sizes
//! depend on the race) and *pre-filled* (about 16 000 events queued before
//! the reader starts, which measures a steadier per-event cost; `notify`
//! cannot take part, its thread starts reading at once).
//!
//! Each variant runs `DRAIN_RUNS` times live and three times as often
//! pre-filled, interleaved, and the tables show medians
//! and ratios to the raw `read(2)` loop, the floor.
//!
//! Then the latency of a single event on an idle watch (write to hand-out),
//! p50 and p99, for the `Watcher` without batching, with a fixed 1 ms
//! window and with adaptive batching.
//!
//! Run: `cargo bench --bench drain --features tokio` (about two minutes;
//! without the feature, the tokio row is left out). `DRAIN_RUNS` (7),
//! `DRAIN_FILES` (20 000) and `DRAIN_LATENCY_ROUNDS` (400) override the run
//! count, files per live run and latency rounds. The directory is made in
//! `/dev/shm` (tmpfs) when it exists.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags, inotify as rinotify};
use rustix::time::{ClockId, clock_gettime};
use std::ffi::CString;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};
#[cfg(feature = "tokio")]
use zinotify::runtime::tokio::AsyncWatcher;
use zinotify::{Batching, FixedWatchTable, WatchMask, Watcher, WatcherConfig, WatcherItem};
use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind};

const SENTINEL: &[u8] = b"zz-end";
const BUF: usize = 65536;
/// Files in a pre-filled run: 2 events each plus the sentinel stay below the
/// default `max_queued_events` (16384).
const PREFILL_FILES: usize = 8000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Raw,
    RawEpoll,
    RustixReader,
    InotifyCrate,
    Notify,
    ZinotifyEngine,
    ZinotifyWatcher,
    ZinotifyFixed,
    ZinotifyAdaptive,
    #[cfg(feature = "tokio")]
    ZinotifyAsync,
    ZinotifyTree,
}

impl Variant {
    const ALL: &[Variant] = &[
        Variant::Raw,
        Variant::RawEpoll,
        Variant::RustixReader,
        Variant::InotifyCrate,
        Variant::Notify,
        Variant::ZinotifyEngine,
        Variant::ZinotifyWatcher,
        Variant::ZinotifyFixed,
        Variant::ZinotifyAdaptive,
        #[cfg(feature = "tokio")]
        Variant::ZinotifyAsync,
        Variant::ZinotifyTree,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Raw => "raw read(2) loop (floor)",
            Variant::RawEpoll => "raw epoll_wait + read loop",
            Variant::RustixReader => "rustix inotify::Reader",
            Variant::InotifyCrate => "inotify crate 0.11",
            Variant::Notify => "notify crate 8",
            Variant::ZinotifyEngine => "zinotify Inotify::wait_events",
            Variant::ZinotifyWatcher => "zinotify Watcher::next, batching off",
            Variant::ZinotifyFixed => "zinotify Watcher, fixed 1 ms window",
            Variant::ZinotifyAdaptive => "zinotify Watcher, adaptive",
            #[cfg(feature = "tokio")]
            Variant::ZinotifyAsync => "zinotify AsyncWatcher (tokio), batching off",
            Variant::ZinotifyTree => "zinotify InotifyTrees::next_event, batching off",
        }
    }
}

/// One run's result.
#[derive(Clone, Copy)]
struct Sample {
    events: u64,
    wall: Duration,
    cpu: Duration,
}

fn thread_cpu() -> Duration {
    to_duration(clock_gettime(ClockId::ThreadCPUTime))
}

fn process_cpu() -> Duration {
    to_duration(clock_gettime(ClockId::ProcessCPUTime))
}

fn to_duration(t: rustix::time::Timespec) -> Duration {
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The writer's file names, made before the clock starts.
struct Names {
    files: Vec<CString>,
    sentinel: CString,
}

impl Names {
    fn new(dir: &Path) -> Self {
        let c = |p: PathBuf| CString::new(p.as_os_str().as_bytes()).unwrap();
        Self {
            files: (0..1000).map(|i| c(dir.join(format!("f{i}")))).collect(),
            sentinel: c(dir.join(std::str::from_utf8(SENTINEL).unwrap())),
        }
    }

    /// Creates and deletes `n` files, then the sentinel, through rustix
    /// (no allocation, the same system calls for every variant). Returns the
    /// writer thread's CPU time.
    fn write(&self, n: usize) -> Duration {
        let start = thread_cpu();
        for i in 0..n {
            let path = &self.files[i % self.files.len()];
            create(path);
            rustix::fs::unlinkat(CWD, path.as_c_str(), rustix::fs::AtFlags::empty()).unwrap();
        }
        create(&self.sentinel);
        thread_cpu() - start
    }
}

/// Creates an empty file (`openat`, then `close`).
fn create(path: &CString) {
    let fd = rustix::fs::openat(
        CWD,
        path.as_c_str(),
        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .unwrap();
    drop(fd);
}

/// The zinotify loop as benchmarked: a small fixed table, a 64 KiB buffer.
type BenchStorage = zinotify::FixedWatchStorage<4, 1024>;
type BenchWatcher = Watcher<BenchStorage, Box<[u8]>>;

/// The tokio row's reader: its runtime (on the reader's thread) and loop.
#[cfg(feature = "tokio")]
type AsyncReader = (
    tokio::runtime::Runtime,
    AsyncWatcher<BenchStorage, Box<[u8]>>,
);

/// The benchmarked `Watcher` with `batching`.
fn bench_watcher(dir: &Path, batching: Batching) -> BenchWatcher {
    Watcher::from_paths(
        [dir],
        WatchMask::CREATE | WatchMask::DELETE,
        FixedWatchTable::fixed(),
        vec![0u8; BUF].into_boxed_slice(),
    )
    .unwrap()
    .config(WatcherConfig {
        batching,
        ..WatcherConfig::default()
    })
}

/// A fixed 1 ms window, as in `Batching::ADAPTIVE`.
const WINDOW: Duration = Duration::from_millis(1);

/// A reader with its watch already added.
enum Reader {
    Raw(OwnedFd),
    /// A non-blocking inotify descriptor and an epoll descriptor: what any
    /// loop that can time out has to do, without zinotify.
    RawEpoll(OwnedFd, OwnedFd),
    Rustix(OwnedFd),
    InotifyCrate(inotify::Inotify),
    Notify(
        // Kept alive: dropping it stops notify's thread.
        #[allow(dead_code)] notify::RecommendedWatcher,
        std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    ),
    Engine(zinotify::Inotify),
    Watcher(Box<BenchWatcher>),
    #[cfg(feature = "tokio")]
    Async(Box<AsyncReader>),
    Tree(Box<InotifyTrees<'static, GrowingTreeStorage, Box<[u8]>>>),
}

fn blocking_fd(dir: &Path) -> OwnedFd {
    let fd = rinotify::init(rinotify::CreateFlags::CLOEXEC).unwrap();
    rinotify::add_watch(
        &fd,
        dir,
        rinotify::WatchFlags::CREATE | rinotify::WatchFlags::DELETE,
    )
    .unwrap();
    fd
}

impl Reader {
    fn new(variant: Variant, dir: &Path) -> Self {
        let mask = WatchMask::CREATE | WatchMask::DELETE;
        match variant {
            Variant::Raw => Reader::Raw(blocking_fd(dir)),
            Variant::RawEpoll => {
                use rustix::event::epoll;
                let flags = rinotify::CreateFlags::CLOEXEC | rinotify::CreateFlags::NONBLOCK;
                let fd = rinotify::init(flags).unwrap();
                let mask = rinotify::WatchFlags::CREATE | rinotify::WatchFlags::DELETE;
                rinotify::add_watch(&fd, dir, mask).unwrap();
                let ep = epoll::create(epoll::CreateFlags::CLOEXEC).unwrap();
                epoll::add(
                    &ep,
                    &fd,
                    epoll::EventData::new_u64(0),
                    epoll::EventFlags::IN,
                )
                .unwrap();
                Reader::RawEpoll(fd, ep)
            }
            Variant::RustixReader => Reader::Rustix(blocking_fd(dir)),
            Variant::InotifyCrate => {
                let inotify = inotify::Inotify::init().unwrap();
                inotify
                    .watches()
                    .add(dir, inotify::WatchMask::CREATE | inotify::WatchMask::DELETE)
                    .unwrap();
                Reader::InotifyCrate(inotify)
            }
            Variant::Notify => {
                use notify::Watcher as _;
                let (tx, rx) = std::sync::mpsc::channel();
                let mut watcher = notify::recommended_watcher(tx).unwrap();
                watcher
                    .watch(dir, notify::RecursiveMode::NonRecursive)
                    .unwrap();
                Reader::Notify(watcher, rx)
            }
            Variant::ZinotifyEngine => {
                let inotify = zinotify::Inotify::new().unwrap();
                inotify.add_watch(dir, mask).unwrap();
                Reader::Engine(inotify)
            }
            Variant::ZinotifyWatcher => {
                Reader::Watcher(Box::new(bench_watcher(dir, Batching::Off)))
            }
            Variant::ZinotifyFixed => {
                Reader::Watcher(Box::new(bench_watcher(dir, Batching::Fixed(WINDOW))))
            }
            Variant::ZinotifyAdaptive => {
                Reader::Watcher(Box::new(bench_watcher(dir, Batching::ADAPTIVE)))
            }
            #[cfg(feature = "tokio")]
            Variant::ZinotifyAsync => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let watcher = {
                    let _in_runtime = rt.enter();
                    AsyncWatcher::new(bench_watcher(dir, Batching::Off)).unwrap()
                };
                Reader::Async(Box::new((rt, watcher)))
            }
            Variant::ZinotifyTree => {
                let buf = vec![0u8; BUF].into_boxed_slice();
                let mut trees =
                    InotifyTrees::new(GrowingTreeStorage::growing(), buf, mask).unwrap();
                trees.set_batching(Batching::Off);
                trees.add_root(dir).unwrap();
                // Set-up first, outside the measurement.
                loop {
                    let ev = trees
                        .next_event(Some(Duration::from_secs(1)))
                        .unwrap()
                        .unwrap();
                    if ev.kind == TreeEventKind::Ready {
                        break;
                    }
                }
                Reader::Tree(Box::new(trees))
            }
        }
    }

    /// Reads until the sentinel; returns the events seen.
    fn drain(&mut self, buf: &mut [u8]) -> u64 {
        let mut events = 0u64;
        match self {
            Reader::Raw(fd) => loop {
                let n = rustix::io::read(fd.as_fd(), &mut *buf).unwrap();
                if raw_parse(&buf[..n], &mut events) {
                    return events;
                }
            },
            Reader::RawEpoll(fd, ep) => loop {
                let mut ready = [MaybeUninit::<rustix::event::epoll::Event>::uninit(); 1];
                let timeout = rustix::time::Timespec {
                    tv_sec: 1,
                    tv_nsec: 0,
                };
                rustix::event::epoll::wait(ep.as_fd(), &mut ready, Some(&timeout)).unwrap();
                let n = match rustix::io::read(fd.as_fd(), &mut *buf) {
                    Ok(n) => n,
                    Err(rustix::io::Errno::AGAIN) => 0,
                    Err(e) => panic!("{e}"),
                };
                if raw_parse(&buf[..n], &mut events) {
                    return events;
                }
            },
            Reader::Rustix(fd) => {
                let mut mbuf = [MaybeUninit::<u8>::uninit(); BUF];
                let mut reader = rinotify::Reader::new(fd.as_fd(), &mut mbuf);
                loop {
                    let event = reader.next().unwrap();
                    events += 1;
                    if event.file_name().is_some_and(|n| n.to_bytes() == SENTINEL) {
                        return events;
                    }
                }
            }
            Reader::InotifyCrate(inotify) => loop {
                for event in inotify.read_events_blocking(buf).unwrap() {
                    events += 1;
                    if event.name.is_some_and(|n| n.as_bytes() == SENTINEL) {
                        return events;
                    }
                }
            },
            Reader::Notify(_, rx) => loop {
                // notify can drop the sentinel (its queue overflowed and it
                // sent a rescan instead): end the run rather than hang.
                let Ok(event) = rx.recv_timeout(Duration::from_secs(5)) else {
                    eprintln!("notify: no sentinel after {events} events; run ended");
                    return events;
                };
                let Ok(event) = event else {
                    continue;
                };
                events += 1;
                if event.kind.is_create()
                    && event
                        .paths
                        .iter()
                        .any(|p| p.file_name().is_some_and(|n| n.as_bytes() == SENTINEL))
                {
                    return events;
                }
            },
            Reader::Engine(inotify) => loop {
                for event in inotify.wait_events(buf, None).unwrap() {
                    events += 1;
                    if event.unwrap().name == SENTINEL {
                        return events;
                    }
                }
            },
            Reader::Watcher(watcher) => loop {
                if counts_sentinel(watcher.next(), &mut events) {
                    return events;
                }
            },
            #[cfg(feature = "tokio")]
            Reader::Async(rt_watcher) => {
                let (rt, watcher) = &mut **rt_watcher;
                rt.block_on(async {
                    loop {
                        if counts_sentinel(watcher.next().await, &mut events) {
                            return events;
                        }
                    }
                })
            }
            Reader::Tree(trees) => loop {
                let ev = trees
                    .next_event(Some(Duration::from_secs(1)))
                    .unwrap()
                    .unwrap();
                match ev.kind {
                    TreeEventKind::Kernel => {
                        events += 1;
                        if ev.name == SENTINEL {
                            return events;
                        }
                    }
                    TreeEventKind::Idle => {}
                    other => panic!("unexpected {other:?}"),
                }
            },
        }
    }
}

/// Counts one step of a `Watcher` loop; whether it was the sentinel.
fn counts_sentinel(
    next: Option<Result<WatcherItem<'_>, zinotify::Error>>,
    events: &mut u64,
) -> bool {
    match next {
        Some(Ok(WatcherItem::Event(event))) => {
            *events += 1;
            event.name() == SENTINEL
        }
        Some(Ok(WatcherItem::Idle)) => false,
        other => panic!("unexpected {other:?}"),
    }
}

/// The raw loops' parser: counts events, and says whether the sentinel came.
fn raw_parse(buf: &[u8], events: &mut u64) -> bool {
    let mut at = 0;
    while at < buf.len() {
        let len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into().unwrap()) as usize;
        let name = &buf[at + 16..at + 16 + len];
        *events += 1;
        if name.starts_with(SENTINEL) && name.get(SENTINEL.len()) == Some(&0) {
            return true;
        }
        at += 16 + len;
    }
    false
}

fn run(variant: Variant, files: usize, prefill: bool) -> Sample {
    // tmpfs when there is one: file operations are cheap there, so events
    // come fast and the reader's share is what the numbers show.
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_owned()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("zinotify-drain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let names = Names::new(&dir);
    let mut reader = Reader::new(variant, &dir);
    let mut buf = vec![0u8; BUF];
    let expected = 2 * files as u64 + 1;

    let sample = if prefill {
        names.write(files);
        let (wall0, cpu0) = (Instant::now(), thread_cpu());
        let events = reader.drain(&mut buf);
        Sample {
            events,
            wall: wall0.elapsed(),
            cpu: thread_cpu() - cpu0,
        }
    } else {
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            let writer = s.spawn(|| {
                barrier.wait();
                names.write(files)
            });
            let (wall0, cpu0, proc0) = (Instant::now(), thread_cpu(), process_cpu());
            barrier.wait();
            let events = reader.drain(&mut buf);
            let (wall, cpu, proc) = (wall0.elapsed(), thread_cpu() - cpu0, process_cpu() - proc0);
            let writer_cpu = writer.join().unwrap();
            // notify reads on its own thread: charge it everything but the writer.
            let cpu = if variant == Variant::Notify {
                proc.saturating_sub(writer_cpu)
            } else {
                cpu
            };
            Sample { events, wall, cpu }
        })
    };
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
    // notify also reports CLOSE_WRITE; every other reader sees exactly these.
    if variant != Variant::Notify {
        assert_eq!(sample.events, expected, "{variant:?} lost events");
    }
    Sample {
        events: expected,
        ..sample
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scenario(title: &str, variants: &[Variant], files: usize, prefill: bool, runs: usize) {
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); variants.len()];
    run(Variant::Raw, files.min(2000), prefill); // warm up caches and the directory
    for _ in 0..runs {
        for (i, &v) in variants.iter().enumerate() {
            samples[i].push(run(v, files, prefill));
        }
    }
    let stats: Vec<(f64, f64)> = samples
        .iter()
        .map(|s| {
            let rate = median(
                s.iter()
                    .map(|x| x.events as f64 / x.wall.as_secs_f64())
                    .collect(),
            );
            let cpu = median(
                s.iter()
                    .map(|x| x.cpu.as_nanos() as f64 / x.events as f64)
                    .collect(),
            );
            (rate, cpu)
        })
        .collect();
    let floor = stats[0].1;
    println!(
        "\n{title}: {} events per run, median of {runs} runs",
        2 * files + 1
    );
    println!("| reader | events/s | reader CPU ns/event | ratio to raw |");
    println!("|---|---:|---:|---:|");
    for (v, (rate, cpu)) in variants.iter().zip(&stats) {
        println!(
            "| {} | {:.0} | {:.0} | {:.2}x |",
            v.name(),
            rate,
            cpu,
            cpu / floor
        );
    }
}

/// Latency of a single event on an idle watch, write to hand-out: each
/// variant's reader blocks in `Watcher::next` on a thread of its own; the
/// writer creates one file, waits for the reader's timestamp, then leaves
/// the watch idle for 5 ms. Rounds interleave the variants.
fn latency(rounds: usize) {
    let variants = [
        ("batching off", Batching::Off),
        ("fixed 1 ms window", Batching::Fixed(WINDOW)),
        ("adaptive", Batching::ADAPTIVE),
    ];
    let base = std::env::temp_dir().join(format!("zinotify-latency-{}", std::process::id()));
    let mut readers = Vec::new();
    for (i, &(_, batching)) in variants.iter().enumerate() {
        let dir = base.join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut watcher = Watcher::from_paths(
            [&dir],
            WatchMask::CREATE,
            FixedWatchTable::<4, 1024>::fixed(),
            vec![0u8; BUF],
        )
        .unwrap()
        .config(WatcherConfig {
            batching,
            ..WatcherConfig::default()
        });
        let (tx, rx) = std::sync::mpsc::channel::<Instant>();
        let thread = std::thread::spawn(move || {
            while let Some(next) = watcher.next() {
                match next.unwrap() {
                    WatcherItem::Event(e) if e.name() == SENTINEL => return,
                    WatcherItem::Event(_) => tx.send(Instant::now()).unwrap(),
                    _ => {}
                }
            }
        });
        readers.push((Names::new(&dir), rx, thread, Vec::with_capacity(rounds)));
    }
    for round in 0..rounds {
        for (names, rx, _, samples) in &mut readers {
            std::thread::sleep(Duration::from_millis(5));
            let path = &names.files[round % names.files.len()];
            let start = Instant::now();
            create(path);
            samples.push(rx.recv().unwrap() - start);
            rustix::fs::unlinkat(CWD, path.as_c_str(), rustix::fs::AtFlags::empty()).unwrap();
        }
    }
    println!("\nLatency of one event on an idle watch (write to hand-out), {rounds} rounds");
    println!("| Watcher | p50 µs | p99 µs | p50 ratio to off |");
    println!("|---|---:|---:|---:|");
    let mut off_p50 = 0.0;
    for ((name, _), (names, _, thread, mut samples)) in variants.iter().zip(readers) {
        create(&names.sentinel);
        thread.join().unwrap();
        samples.sort();
        let at =
            |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_nanos() as f64 / 1000.0;
        let (p50, p99) = (at(0.5), at(0.99));
        if off_p50 == 0.0 {
            off_p50 = p50;
        }
        println!("| {name} | {p50:.1} | {p99:.1} | {:.2}x |", p50 / off_p50);
    }
    std::fs::remove_dir_all(&base).unwrap();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and should only check that the benchmark runs: one tiny round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { env_or("DRAIN_RUNS", 7) };
    let files = if quick {
        500
    } else {
        env_or("DRAIN_FILES", 20_000)
    };
    scenario(
        "Live (writer and reader at once)",
        Variant::ALL,
        files,
        false,
        runs,
    );
    let prefilled: Vec<_> = Variant::ALL
        .iter()
        .copied()
        .filter(|&v| v != Variant::Notify)
        .collect();
    let prefill_files = if quick { 500 } else { PREFILL_FILES };
    // A pre-filled run reads for only a few milliseconds: take more of them.
    scenario(
        "Pre-filled queue",
        &prefilled,
        prefill_files,
        true,
        3 * runs,
    );
    latency(if quick {
        20
    } else {
        env_or("DRAIN_LATENCY_ROUNDS", 400)
    });
}

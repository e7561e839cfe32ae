//! `WaitSet` over real descriptors: an inotify instance, an eventfd and a
//! pipe, each ready on its own and together, a token shared by two
//! members, a `Readiness` smaller than what is ready, removal, the
//! kernel's refusals, the timeout, and an interrupted wait resumed for the
//! time left.

mod common;

use common::TempDir;
use common::interrupt::interrupted_late;
use rustix::event::{EventfdFlags, eventfd};
use rustix::fd::OwnedFd;
use std::io::Write;
use std::time::{Duration, Instant};
use zinotify::{ErrorKind, Inotify, Operation, Readiness, WaitSet, WatchMask};

const EVENTS: u64 = 10;
const WAKE: u64 = 20;
const PIPE: u64 = 30;

/// A non-blocking eventfd at zero: readable once written to.
fn wake_fd() -> OwnedFd {
    eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).unwrap()
}

fn wake(fd: &OwnedFd) {
    rustix::io::write(fd, &1u64.to_ne_bytes()).unwrap();
}

/// Reads the eventfd back to zero: no longer readable.
fn unwake(fd: &OwnedFd) {
    let mut count = [0u8; 8];
    rustix::io::read(fd, &mut count).unwrap();
}

/// The ready tokens, sorted.
fn tokens<const N: usize>(ready: &Readiness<N>) -> Vec<u64> {
    let mut tokens: Vec<u64> = ready.tokens().collect();
    tokens.sort_unstable();
    tokens
}

/// Polls `set` (a zero timeout): the ready tokens, sorted.
fn poll(set: &WaitSet) -> Vec<u64> {
    let mut ready = Readiness::<8>::new();
    let n = set.wait(&mut ready, Some(Duration::ZERO)).unwrap();
    assert_eq!(n, ready.len());
    tokens(&ready)
}

#[test]
fn each_member_is_ready_on_its_own_and_together() {
    let dir = TempDir::new("wait-set");
    let inotify = Inotify::new().unwrap();
    inotify.add_watch(dir.bytes(), WatchMask::CREATE).unwrap();
    let wake_fd = wake_fd();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let set = WaitSet::new().unwrap();
    set.add(&inotify, EVENTS).unwrap();
    set.add(&wake_fd, WAKE).unwrap();
    set.add(&reader, PIPE).unwrap();

    assert_eq!(poll(&set), []);
    wake(&wake_fd);
    assert_eq!(poll(&set), [WAKE]);
    std::fs::write(dir.join("new"), b"").unwrap();
    // Level-triggered: the eventfd was not read, so it is still ready.
    assert_eq!(poll(&set), [EVENTS, WAKE]);
    writer.write_all(b"x").unwrap();
    assert_eq!(poll(&set), [EVENTS, WAKE, PIPE]);

    unwake(&wake_fd);
    assert_eq!(poll(&set), [EVENTS, PIPE]);
    let mut buf = [0u8; 1024];
    assert_eq!(inotify.read_events(&mut buf).unwrap().count(), 1);
    assert_eq!(poll(&set), [PIPE]);
    let mut byte = [0u8; 1];
    assert_eq!(rustix::io::read(&reader, &mut byte).unwrap(), 1);
    assert_eq!(poll(&set), []);

    // A pipe whose writer is gone is readable: a read returns its end.
    drop(writer);
    assert_eq!(poll(&set), [PIPE]);

    // A blocking wait returns as soon as something is ready.
    let mut ready = Readiness::<8>::new();
    std::thread::scope(|s| {
        s.spawn(|| wake(&wake_fd));
        set.remove(&reader).unwrap();
        assert!(set.wait(&mut ready, None).unwrap() > 0);
    });
    assert_eq!(tokens(&ready), [WAKE]);
}

#[test]
fn members_can_share_a_token_and_a_small_readiness_takes_turns() {
    let (a, b) = (wake_fd(), wake_fd());
    let set = WaitSet::new().unwrap();
    set.add(&a, WAKE).unwrap();
    set.add(&b, WAKE).unwrap();
    wake(&a);
    wake(&b);
    // Shared: the token once per ready member.
    assert_eq!(poll(&set), [WAKE, WAKE]);

    // Room for one: the members left out come next time.
    set.remove(&b).unwrap();
    set.add(&b, PIPE).unwrap();
    let mut one = Readiness::<1>::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        assert_eq!(set.wait(&mut one, Some(Duration::ZERO)).unwrap(), 1);
        seen.extend(one.tokens());
    }
    seen.sort_unstable();
    assert_eq!(seen, [WAKE, PIPE]);
    assert_eq!(format!("{:?}", Readiness::<2>::new()), "[]");
}

#[test]
fn the_kernels_refusals_are_errors_of_the_wait_set() {
    let dir = TempDir::new("wait-set-refused");
    let set = WaitSet::new().unwrap();
    let fd = wake_fd();
    set.add(&fd, WAKE).unwrap();
    let errno = |err: zinotify::Error| {
        assert_eq!(err.operation(), Operation::WaitSet);
        match err.kind() {
            ErrorKind::Os(errno) => errno,
            other => panic!("{other:?}"),
        }
    };
    use rustix::io::Errno;
    assert_eq!(errno(set.add(&fd, PIPE).unwrap_err()), Errno::EXIST);
    set.remove(&fd).unwrap();
    assert_eq!(errno(set.remove(&fd).unwrap_err()), Errno::NOENT);
    // epoll cannot wait on a regular file: it is always readable.
    std::fs::write(dir.join("file"), b"").unwrap();
    let file = std::fs::File::open(dir.join("file")).unwrap();
    assert_eq!(errno(set.add(&file, PIPE).unwrap_err()), Errno::PERM);
    // The set itself is a descriptor another loop can wait on.
    let outer = WaitSet::new().unwrap();
    outer.add(&set, EVENTS).unwrap();
    set.add(&fd, WAKE).unwrap();
    assert_eq!(poll(&outer), []);
    wake(&fd);
    assert_eq!(poll(&outer), [EVENTS]);
}

#[test]
fn a_timeout_passes_with_nothing_ready() {
    let set = WaitSet::new().unwrap();
    let fd = wake_fd();
    set.add(&fd, WAKE).unwrap();
    let mut ready = Readiness::<2>::new();
    wake(&fd);
    assert_eq!(set.wait(&mut ready, Some(Duration::ZERO)).unwrap(), 1);
    unwake(&fd);
    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    assert_eq!(set.wait(&mut ready, Some(timeout)).unwrap(), 0);
    // What the last wait found is gone.
    assert!(ready.is_empty() && ready.tokens().next().is_none());
    let took = start.elapsed();
    assert!(
        took >= timeout && took < timeout * 10,
        "a {timeout:?} wait took {took:?}"
    );
}

#[test]
fn an_interrupted_wait_resumes_for_the_time_left() {
    let block = Duration::from_secs(2);
    let set = WaitSet::new().unwrap();
    let fd = wake_fd();
    set.add(&fd, WAKE).unwrap();
    let mut ready = Readiness::<2>::new();
    let (n, took) = interrupted_late(block, || set.wait(&mut ready, Some(block)));
    took.assert_resumed();
    assert_eq!(n.unwrap(), 0);
}

//! The parser against real kernel bytes: events from an inotify descriptor
//! watching a temporary directory.

mod common;

use common::{OwnedEvent, TempDir, read_until};
use std::time::Duration;
use zinotify::padded_name_len;
use zinotify::{EventMask, Events, Inotify, WatchMask};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Watches a fresh directory, then creates a file, deletes it, makes a
/// directory, creates a file and renames it; returns the six events.
fn record_a_session() -> (i32, common::Recorded) {
    let dir = TempDir::new("parse-kernel");
    let inotify = Inotify::new().unwrap();
    let wd = inotify
        .add_watch(
            dir.bytes(),
            WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVE,
        )
        .unwrap();
    let p = |name: &str| dir.path().join(name);
    std::fs::write(p("a.txt"), b"").unwrap();
    std::fs::remove_file(p("a.txt")).unwrap();
    std::fs::create_dir(p("sub")).unwrap();
    std::fs::write(p("before"), b"").unwrap();
    std::fs::rename(p("before"), p("after-a-longer-name")).unwrap();
    let recorded = read_until(&inotify, TIMEOUT, |events| events.len() >= 6);
    (wd.raw(), recorded)
}

#[test]
fn kernel_events_parse_to_what_happened() {
    let (wd, recorded) = record_a_session();
    let got: Vec<(EventMask, &[u8])> = recorded
        .events
        .iter()
        .map(|e| (e.mask, &e.name[..]))
        .collect();
    assert_eq!(
        got,
        [
            (EventMask::CREATE, &b"a.txt"[..]),
            (EventMask::DELETE, b"a.txt"),
            (EventMask::CREATE | EventMask::ISDIR, b"sub"),
            (EventMask::CREATE, b"before"),
            (EventMask::MOVED_FROM, b"before"),
            (EventMask::MOVED_TO, b"after-a-longer-name"),
        ]
    );
    let [.., from, to] = &recorded.events[..] else {
        unreachable!("six events checked above")
    };
    assert_ne!(from.cookie, 0, "a rename has a cookie");
    assert_eq!(from.cookie, to.cookie, "MOVED_FROM and MOVED_TO share it");
    for e in &recorded.events {
        assert_eq!(e.wd, wd);
        assert_eq!(e.len % 16, 0, "{e:?}");
        assert_eq!(e.len as usize, padded_name_len(e.name.len()), "{e:?}");
        if !e.mask.intersects(EventMask::MOVE) {
            assert_eq!(e.cookie, 0, "{e:?}");
        }
    }
    // The raw bytes are exactly the records: headers plus padded names.
    let total: usize = recorded.events.iter().map(|e| 16 + e.len as usize).sum();
    assert_eq!(recorded.raw.len(), total);
}

#[test]
fn kernel_bytes_parse_the_same_at_odd_addresses() {
    let (_, recorded) = record_a_session();
    assert_eq!(recorded.events.len(), 6);
    // Copy them so that they start at each odd address modulo 8: every
    // header field is then misaligned for a u32 or u64 read.
    for residue in [1, 3, 5, 7] {
        let mut backing = vec![0u8; recorded.raw.len() + 8];
        let shift = (residue + 8 - backing.as_ptr() as usize % 8) % 8;
        backing[shift..][..recorded.raw.len()].copy_from_slice(&recorded.raw);
        let moved = &backing[shift..][..recorded.raw.len()];
        assert_eq!(moved.as_ptr() as usize % 8, residue);
        let reparsed: Vec<OwnedEvent> = Events::new(moved)
            .map(|e| e.expect("same bytes, same parse").into())
            .collect();
        assert_eq!(reparsed, recorded.events, "address = {residue} mod 8");
    }
}

//! What the kernel reports comes out of the engine and the `Watcher` loop,
//! in order, with its watch path and its name byte for byte.

mod common;

use common::engine::{End, OwnedEvent, TempDir, bytes, collect, quiet_after};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use zinotify::{EventMask, FixedWatchTable, Inotify, WatchMask, Watcher, WatcherItem};

type Table = FixedWatchTable<16, 4096>;

fn watcher(
    paths: &[&[u8]],
    mask: WatchMask,
) -> Watcher<zinotify::FixedWatchStorage<16, 4096>, [u8; 8192]> {
    Watcher::from_paths(paths.iter().copied(), mask, Table::fixed(), [0u8; 8192])
        .unwrap()
        .config(quiet_after(300))
}

fn masks_and_names(events: &[OwnedEvent]) -> Vec<(EventMask, &[u8])> {
    events.iter().map(|e| (e.mask, &e.name[..])).collect()
}

/// PyInotify's README and test__cycle: touch, rm, mkdir, rmdir.
#[test]
fn pyinotify_cycle_in_order() {
    let dir = TempDir::new("cycle");
    let mut w = watcher(&[dir.bytes()], WatchMask::ALL_EVENTS);

    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join("f"))
        .unwrap();
    // touch(1) sets both times, which the kernel reports as ATTRIB.
    let now = std::time::SystemTime::now();
    file.set_times(fs::FileTimes::new().set_accessed(now).set_modified(now))
        .unwrap();
    drop(file);
    fs::remove_file(dir.join("f")).unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    fs::remove_dir(dir.join("d")).unwrap();

    let (events, _, end) = collect(&mut w, usize::MAX);
    assert_eq!(end, End::TimedOut);
    assert_eq!(
        masks_and_names(&events),
        [
            (EventMask::CREATE, &b"f"[..]),
            (EventMask::OPEN, b"f"),
            (EventMask::ATTRIB, b"f"),
            (EventMask::CLOSE_WRITE, b"f"),
            (EventMask::DELETE, b"f"),
            (EventMask::CREATE | EventMask::ISDIR, b"d"),
            (EventMask::DELETE | EventMask::ISDIR, b"d"),
        ]
    );
    for e in &events {
        assert_eq!(e.watch_path.as_deref(), Some(dir.bytes()));
        assert_eq!(e.wd, 1);
    }
}

#[test]
fn watching_a_file_reports_events_on_itself_with_an_empty_name() {
    let dir = TempDir::new("file");
    let path = dir.join("watched");
    fs::write(&path, b"").unwrap();
    let mut w = watcher(&[bytes(&path)], WatchMask::MODIFY | WatchMask::DELETE_SELF);

    fs::write(&path, b"more").unwrap();
    fs::remove_file(&path).unwrap();

    // Up to the IN_IGNORED, then a look at what is left before the next call.
    let (mut events, _, _) = collect(&mut w, 2);
    assert_eq!(w.remaining_watches(), 1);
    let (last, _, _) = collect(&mut w, 1);
    assert_eq!(w.remaining_watches(), 0);
    events.extend(last);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.mask, e.name.len(), e.watch_path.clone()))
        .collect();
    let watch = Some(bytes(&path).to_vec());
    assert_eq!(
        got,
        [
            (EventMask::MODIFY, 0, watch.clone()),
            (EventMask::DELETE_SELF, 0, watch.clone()),
            // The kernel dropped the watch: reported, with its path.
            (EventMask::IGNORED, 0, watch),
        ]
    );
    // ...and the table forgot it on the next call.
    let (_, _, end) = collect(&mut w, usize::MAX);
    assert_eq!(end, End::TimedOut);
    assert!(w.watches().is_empty());
}

#[test]
fn a_list_of_paths_is_watched_in_order_and_each_event_has_its_own_path() {
    let dirs = [
        TempDir::new("list-a"),
        TempDir::new("list-b"),
        TempDir::new("list-c"),
    ];
    let paths: Vec<&[u8]> = dirs.iter().map(TempDir::bytes).collect();
    let mut w = watcher(&paths, WatchMask::CREATE);
    let wds: Vec<_> = w
        .watches()
        .iter()
        .map(|(wd, p)| (wd.raw(), p.to_vec()))
        .collect();
    assert_eq!(
        wds,
        paths
            .iter()
            .enumerate()
            .map(|(i, p)| (i as i32 + 1, p.to_vec()))
            .collect::<Vec<_>>()
    );

    for (i, dir) in dirs.iter().enumerate().rev() {
        fs::write(dir.join(&format!("in-{i}")), b"").unwrap();
    }
    let (events, _, _) = collect(&mut w, 3);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.name.clone(), e.watch_path.clone().unwrap()))
        .collect();
    assert_eq!(
        got,
        (0..3)
            .rev()
            .map(|i| (format!("in-{i}").into_bytes(), paths[i].to_vec()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn removing_a_watch_stops_its_events_and_its_ignored_comes_out_with_the_path() {
    let (a, b) = (TempDir::new("rm-a"), TempDir::new("rm-b"));
    let mut w = watcher(&[a.bytes(), b.bytes()], WatchMask::CREATE);
    let wd = w.remove_path(a.bytes()).unwrap();
    assert_eq!(wd.raw(), 1);
    // Removed paths are not found any more, but still resolve until IN_IGNORED.
    assert_eq!(w.watches().wd(a.bytes()), None);
    assert_eq!(w.watches().path(wd), Some(a.bytes()));

    fs::write(a.join("unseen"), b"").unwrap();
    fs::write(b.join("seen"), b"").unwrap();

    let (events, _, _) = collect(&mut w, usize::MAX);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.wd, e.mask, e.name.clone(), e.watch_path.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (1, EventMask::IGNORED, vec![], Some(a.bytes().to_vec())),
            (
                2,
                EventMask::CREATE,
                b"seen".to_vec(),
                Some(b.bytes().to_vec())
            ),
        ]
    );
    assert_eq!(w.watches().len(), 1);
    assert_eq!(w.watches().path(wd), None);
    // Removing it again: the table no longer has it.
    let err = w.remove_path(a.bytes()).unwrap_err();
    assert_eq!(err.kind(), zinotify::ErrorKind::NotWatched);
}

#[test]
fn remove_by_descriptor_on_the_bare_engine() {
    let dir = TempDir::new("rm-wd");
    let inotify = Inotify::new().unwrap();
    let wd = inotify.add_watch(dir.bytes(), WatchMask::CREATE).unwrap();
    inotify.remove_watch(wd).unwrap();
    fs::write(dir.join("x"), b"").unwrap();
    assert_eq!(common::engine::queued_masks(&inotify), [EventMask::IGNORED]);
    // The kernel forgot it: a second removal is EINVAL.
    let err = inotify.remove_watch(wd).unwrap_err();
    assert_eq!(err.errno(), Some(rustix::io::Errno::INVAL));
}

#[test]
fn non_utf8_and_255_byte_names_come_through_byte_exact() {
    let dir = TempDir::new("names");
    let mut w = watcher(&[dir.bytes()], WatchMask::CREATE);
    let odd: &[u8] = b"caf\xe9-\xff\xfe";
    let long = vec![b'n'; 255];
    fs::write(dir.path().join(std::ffi::OsStr::from_bytes(odd)), b"").unwrap();
    fs::write(dir.path().join(std::ffi::OsStr::from_bytes(&long)), b"").unwrap();

    let (events, _, _) = collect(&mut w, 2);
    assert_eq!(events[0].name, odd);
    assert_eq!(events[1].name, long);
}

/// More events than `max_queued_events` without reading: the kernel drops
/// the rest and queues one IN_Q_OVERFLOW with wd -1; it comes out, ends the
/// loop (a default terminal event), and `resume` goes on.
#[test]
fn overflow_reaches_the_user_and_ends_the_loop() {
    let max = common::engine::max_queued_events();
    let dir = TempDir::new("overflow");
    let mut w = watcher(&[dir.bytes()], WatchMask::CREATE);
    for i in 0..max + 600 {
        fs::File::create(dir.join(&i.to_string())).unwrap();
    }
    w.resume(); // the quiet timeout counts from now, not from before the files
    let (events, _, end) = collect(&mut w, usize::MAX);
    // Every event the kernel kept came out, in order, then the overflow.
    assert_eq!(events.len(), max);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.name == i.to_string().as_bytes())
    );
    let End::Terminal(overflow) = end else {
        panic!("{end:?}")
    };
    assert_eq!(
        (overflow.wd, overflow.mask, overflow.watch_path),
        (-1, EventMask::Q_OVERFLOW, None)
    );
    assert!(w.has_ended());
    assert!(w.next().is_none());

    // The loop goes on after resume; the queue has room again.
    w.resume();
    fs::File::create(dir.join("after")).unwrap();
    let (events, _, _) = collect(&mut w, 1);
    assert_eq!(events[0].name, b"after");
}

#[test]
fn the_overflow_is_kept_even_when_not_terminal_and_the_filter_drops_everything() {
    let max = common::engine::max_queued_events();
    let dir = TempDir::new("overflow-filter");
    let mut w = watcher(&[dir.bytes()], WatchMask::CREATE)
        .config(zinotify::WatcherConfig {
            terminal: EventMask::empty(),
            ..quiet_after(300)
        })
        .filter(|_| zinotify::FilterVerdict::Drop);
    for i in 0..max + 10 {
        fs::File::create(dir.join(&i.to_string())).unwrap();
    }
    w.resume(); // the quiet timeout counts from now, not from before the files
    let mut seen = Vec::new();
    while let Some(next) = w.next() {
        match next.unwrap() {
            WatcherItem::Event(e) => seen.push(OwnedEvent::from(&e)),
            WatcherItem::TimedOut => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].wd, seen[0].mask), (-1, EventMask::Q_OVERFLOW));
}

/// Every path type names the same inode, so the kernel returns one
/// descriptor; none of them needs an allocation (a stack copy adds the NUL).
#[test]
fn add_watch_takes_bytes_str_cstr_and_path() {
    let dir = TempDir::new("types");
    let text = dir.path().to_str().unwrap();
    let c_path = std::ffi::CString::new(text).unwrap();
    let inotify = Inotify::new().unwrap();
    let wd = inotify.add_watch(dir.bytes(), WatchMask::CREATE).unwrap();
    assert_eq!(inotify.add_watch(text, WatchMask::CREATE).unwrap(), wd);
    assert_eq!(
        inotify
            .add_watch(c_path.as_c_str(), WatchMask::CREATE)
            .unwrap(),
        wd
    );
    #[cfg(feature = "std")]
    assert_eq!(
        inotify.add_watch(dir.path(), WatchMask::CREATE).unwrap(),
        wd
    );
}

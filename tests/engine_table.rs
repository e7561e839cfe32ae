//! The flat watch table against the real kernel: duplicates, aliases (two
//! paths, one inode, one descriptor), removal through `IN_IGNORED`, and
//! storage the caller sized at run time.

mod common;

use common::engine::{TempDir, bytes, collect, kernel_watch_count, quiet_after};
use rustix::fd::AsFd;
use std::fs;
use zinotify::{EventMask, Inotify, WatchDescriptor, WatchEntry, WatchMask, WatchTable, Watcher};

#[test]
fn adding_a_watched_path_again_returns_its_descriptor_without_a_new_entry() {
    let dir = TempDir::new("dup");
    let inotify = Inotify::new().unwrap();
    let mut table = WatchTable::new((vec![WatchEntry::EMPTY; 4], vec![0u8; 1024]));
    let wd = table.add(&inotify, dir.bytes(), WatchMask::CREATE).unwrap();
    assert_eq!(
        table.add(&inotify, dir.bytes(), WatchMask::DELETE).unwrap(),
        wd
    );
    assert_eq!(table.len(), 1);
    assert_eq!(table.wd(dir.bytes()), Some(wd));
    assert_eq!(table.path(wd), Some(dir.bytes()));

    // As with inotify_add_watch itself, the second mask replaced the first.
    fs::write(dir.join("f"), b"").unwrap();
    fs::remove_file(dir.join("f")).unwrap();
    assert_eq!(common::engine::queued_masks(&inotify), [EventMask::DELETE]);
}

/// A hard link and a symlink reach the same inode: the kernel returns the
/// same descriptor. Every alias is kept and findable; events carry the
/// first path; removing any alias removes them all.
#[test]
fn aliases_share_one_descriptor_report_the_first_path_and_go_together() {
    let dir = TempDir::new("alias");
    let (file, hard, soft) = (dir.join("file"), dir.join("hard"), dir.join("soft"));
    fs::write(&file, b"").unwrap();
    fs::hard_link(&file, &hard).unwrap();
    std::os::unix::fs::symlink(&file, &soft).unwrap();

    let mut w = Watcher::from_paths(
        [bytes(&file), bytes(&hard), bytes(&soft)],
        WatchMask::MODIFY,
        zinotify::FixedWatchTable::<8, 1024>::fixed(),
        [0u8; 4096],
    )
    .unwrap()
    .config(quiet_after(300));
    let wd = w.watches().wd(bytes(&file)).unwrap();
    assert_eq!(w.watches().wd(bytes(&hard)), Some(wd));
    assert_eq!(w.watches().wd(bytes(&soft)), Some(wd));
    let aliases: Vec<_> = w.watches().aliases(wd).collect();
    assert_eq!(aliases, [bytes(&file), bytes(&hard), bytes(&soft)]);
    assert_eq!(kernel_watch_count(w.inotify().as_fd()), 1);

    fs::write(&hard, b"through the link").unwrap();
    let (events, _, _) = collect(&mut w, 1);
    assert_eq!(events[0].mask, EventMask::MODIFY);
    assert_eq!(events[0].watch_path.as_deref(), Some(bytes(&file)));

    // Remove through the symlink: the one kernel watch goes, so all aliases do.
    assert_eq!(w.remove_path(bytes(&soft)).unwrap(), wd);
    assert_eq!(w.watches().wd(bytes(&file)), None);
    let (events, _, _) = collect(&mut w, 1);
    assert_eq!(
        (events[0].mask, events[0].watch_path.as_deref()),
        (EventMask::IGNORED, Some(bytes(&file)))
    );
    // The entries are dropped on the call after the IN_IGNORED came out.
    let _ = collect(&mut w, usize::MAX);
    assert!(w.watches().is_empty());
    assert_eq!(kernel_watch_count(w.inotify().as_fd()), 0);
}

#[test]
fn forgetting_compacts_paths_and_keeps_the_others_intact() {
    let dirs: Vec<_> = (0..5).map(|_| TempDir::new("compact")).collect();
    let inotify = Inotify::new().unwrap();
    let mut slots = [WatchEntry::EMPTY; 5];
    let mut path_bytes = [0u8; 1024];
    let mut table = WatchTable::new((&mut slots[..], &mut path_bytes[..]));
    let wds: Vec<_> = dirs
        .iter()
        .map(|d| table.add(&inotify, d.bytes(), WatchMask::CREATE).unwrap())
        .collect();

    for i in [1, 3] {
        table.remove(&inotify, wds[i]).unwrap();
        table.forget(wds[i]);
    }
    let left: Vec<_> = table.iter().map(|(wd, p)| (wd, p.to_vec())).collect();
    let expected: Vec<_> = [0, 2, 4]
        .iter()
        .map(|&i| (wds[i], dirs[i].bytes().to_vec()))
        .collect();
    assert_eq!(left, expected);
    // The freed room is usable again: refill to capacity.
    let more: Vec<_> = (0..2).map(|_| TempDir::new("compact-more")).collect();
    for d in &more {
        table.add(&inotify, d.bytes(), WatchMask::CREATE).unwrap();
    }
    assert_eq!(table.len(), table.capacity());
    assert_eq!(table.wd(more[1].bytes()).map(WatchDescriptor::raw), Some(7));
    assert_eq!(table.path(wds[4]), Some(dirs[4].bytes()));
}

/// A deleted directory: DELETE_SELF, then IN_IGNORED, which removes the entry.
#[test]
fn a_deleted_watch_is_dropped_from_the_table_by_its_ignored() {
    let parent = TempDir::new("gone");
    let sub = parent.join("sub");
    fs::create_dir(&sub).unwrap();
    let mut w = Watcher::from_paths(
        [bytes(&sub), parent.bytes()],
        WatchMask::DELETE_SELF | WatchMask::DELETE,
        zinotify::FixedWatchTable::<4, 1024>::fixed(),
        [0u8; 4096],
    )
    .unwrap()
    .config(quiet_after(300));
    fs::remove_dir(&sub).unwrap();
    let (events, _, _) = collect(&mut w, usize::MAX);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.mask, e.watch_path.clone().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (EventMask::DELETE_SELF, bytes(&sub).to_vec()),
            (EventMask::IGNORED, bytes(&sub).to_vec()),
            (
                EventMask::DELETE | EventMask::ISDIR,
                parent.bytes().to_vec()
            ),
        ]
    );
    let left: Vec<_> = w.watches().iter().map(|(_, p)| p.to_vec()).collect();
    assert_eq!(left, [parent.bytes().to_vec()]);
}

/// A watch the kernel ended (its file deleted) stops counting as soon as its
/// `IN_IGNORED` was handed out: removing it is `NotWatched`, not a kernel
/// `EINVAL`, and its entry takes the recreated file even in a full table.
#[test]
fn a_watch_the_kernel_ended_frees_its_entry_once_its_ignored_is_out() {
    let dir = TempDir::new("readd");
    let file = dir.join("f");
    fs::write(&file, b"").unwrap();
    let mut w = Watcher::from_paths(
        [bytes(&file)],
        WatchMask::DELETE_SELF,
        zinotify::FixedWatchTable::<1, 1024>::fixed(),
        [0u8; 4096],
    )
    .unwrap()
    .config(quiet_after(2000));
    fs::remove_file(&file).unwrap();
    let (events, _, _) = collect(&mut w, 2);
    let masks: Vec<_> = events.iter().map(|e| e.mask).collect();
    assert_eq!(masks, [EventMask::DELETE_SELF, EventMask::IGNORED]);

    let err = w.remove_path(bytes(&file)).unwrap_err();
    assert_eq!(err.kind(), zinotify::ErrorKind::NotWatched);
    fs::write(&file, b"").unwrap();
    let wd = w.add_watch(bytes(&file), WatchMask::DELETE_SELF).unwrap();
    let table: Vec<_> = w.watches().iter().map(|(wd, p)| (wd, p.to_vec())).collect();
    assert_eq!(table, [(wd, bytes(&file).to_vec())]);
    assert_eq!(w.remaining_watches(), 1);
}

//! Bad input and exhausted limits: each is a clear, typed error that names
//! the path or the limit, and leaves nothing behind.

mod common;

use common::engine::{TempDir, assert_passed, kernel_watch_count, rerun_in_user_namespace};
use rustix::fd::AsFd;
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use zinotify::{ErrorKind, FixedWatchTable, Inotify, Operation, PATH_MAX, WatchMask};

#[test]
fn missing_path_is_enoent_with_the_path() {
    let inotify = Inotify::new().unwrap();
    let err = inotify
        .add_watch(b"/no/such/zinotify/dir", WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(
        (err.operation(), err.kind()),
        (Operation::AddWatch, ErrorKind::Os(Errno::NOENT))
    );
    #[cfg(feature = "std")]
    {
        assert_eq!(err.path(), Some(&b"/no/such/zinotify/dir"[..]));
        assert!(
            err.to_string().contains("\"/no/such/zinotify/dir\""),
            "{err}"
        );
    }
}

#[test]
fn a_path_through_a_file_is_enotdir() {
    let inotify = Inotify::new().unwrap();
    let err = inotify
        .add_watch("/dev/null/foo", WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Os(Errno::NOTDIR));
    #[cfg(feature = "std")]
    assert_eq!(err.path(), Some(&b"/dev/null/foo"[..]));
}

#[test]
fn a_4096_byte_path_is_too_long_and_reaches_no_system_call() {
    let inotify = Inotify::new().unwrap();
    let path = [b'a'; PATH_MAX];
    let err = inotify.add_watch(&path[..], WatchMask::CREATE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PathTooLong { len: PATH_MAX });
    assert_eq!(kernel_watch_count(inotify.as_fd()), 0);
}

#[test]
fn a_read_buffer_below_272_bytes_is_an_error_not_a_hang() {
    let dir = TempDir::new("small-buf");
    let inotify = Inotify::new().unwrap();
    inotify.add_watch(dir.bytes(), WatchMask::CREATE).unwrap();
    std::fs::write(dir.join("x"), b"").unwrap();
    let mut buf = [0u8; 271];
    let err = inotify.read_events(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferTooSmall { len: 271 });
    let err = inotify.wait_events(&mut buf, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferTooSmall { len: 271 });
    // Nothing was consumed: a big enough buffer gets the event.
    let mut buf = [0u8; 272];
    assert_eq!(
        inotify
            .read_events(&mut buf)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .name,
        b"x"
    );
}

#[test]
fn a_full_table_refuses_and_leaves_no_kernel_watch_behind() {
    let dirs: Vec<_> = (0..3).map(|_| TempDir::new("full")).collect();
    let inotify = Inotify::new().unwrap();
    let mut table = FixedWatchTable::<2, 4096>::fixed();
    table
        .add(&inotify, dirs[0].bytes(), WatchMask::CREATE)
        .unwrap();
    let wd1 = table
        .add(&inotify, dirs[1].bytes(), WatchMask::CREATE)
        .unwrap();

    let err = table
        .add(&inotify, dirs[2].bytes(), WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TableFull { capacity: 2 });
    assert!(err.to_string().contains("full (2 entries)"), "{err}");
    assert_eq!(kernel_watch_count(inotify.as_fd()), 2);
    assert_eq!(table.len(), 2);
    // A path already in the table is still found: no entry needed.
    assert_eq!(
        table
            .add(&inotify, dirs[1].bytes(), WatchMask::CREATE)
            .unwrap(),
        wd1
    );
}

/// The one case where the kernel adds a watch before the table can refuse:
/// a path in the full table that now names another inode. The new watch is
/// removed again, and its IN_IGNORED comes out with no watch path.
#[test]
fn a_full_table_undoes_a_new_watch_for_a_replaced_path() {
    let parent = TempDir::new("replaced");
    let dir = parent.join("d");
    std::fs::create_dir(&dir).unwrap();
    let dir = common::engine::bytes(&dir);
    let mut w = zinotify::Watcher::from_paths(
        [dir],
        WatchMask::CREATE,
        FixedWatchTable::<1, 4096>::fixed(),
        [0u8; 4096],
    )
    .unwrap()
    .config(common::engine::quiet_after(300));
    let old = w.watches().wd(dir).unwrap();
    std::fs::remove_dir(std::ffi::OsStr::from_bytes(dir)).unwrap();
    std::fs::create_dir(std::ffi::OsStr::from_bytes(dir)).unwrap();

    let err = w.add_watch(dir, WatchMask::CREATE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TableFull { capacity: 1 });
    assert_eq!(kernel_watch_count(w.inotify().as_fd()), 0);
    assert_eq!(w.watches().wd(dir), Some(old));

    let (events, _, _) = common::engine::collect(&mut w, usize::MAX);
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.wd, e.mask, e.watch_path.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            (old.raw(), zinotify::EventMask::IGNORED, true),
            (old.raw() + 1, zinotify::EventMask::IGNORED, false),
        ]
    );
    assert!(w.watches().is_empty());
}

#[test]
fn full_path_storage_refuses_and_leaves_no_kernel_watch_behind() {
    let dir = TempDir::new("bytes");
    let inotify = Inotify::new().unwrap();
    let mut table = FixedWatchTable::<8, 16>::fixed();
    let err = table
        .add(&inotify, dir.bytes(), WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PathStorageFull { capacity: 16 });
    assert_eq!(kernel_watch_count(inotify.as_fd()), 0);
    assert!(table.is_empty());
}

/// In the child: lowers this namespace's limit `name` to `value`.
fn lower_limit(name: &str, value: usize) {
    std::fs::write(format!("/proc/sys/user/{name}"), value.to_string()).unwrap();
}

/// Checks the child ran the test and it passed.
fn assert_child_passed(test: &str) {
    let in_userns = std::ffi::OsStr::new("1");
    if let Some(out) = rerun_in_user_namespace(test, &[("ZINOTIFY_IN_USERNS", in_userns)]) {
        assert_passed(&out);
    }
}

/// Runs `test` of this binary again with at most 64 open files
/// (`ulimit -n` in sh(1), which every Linux has), so it can run out of
/// descriptors without disturbing the other tests.
fn assert_passes_with_few_files(test: &str) {
    let out = Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("ZINOTIFY_FEW_FILES", "1")
        .output()
        .unwrap();
    assert_passed(&out);
}

/// Opens `/dev/null` until the descriptor limit is reached, then closes
/// `free` of them again: exactly `free` descriptors are left.
fn use_up_descriptors(free: usize) -> Vec<std::fs::File> {
    let mut held = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => held.push(file),
            Err(err) => {
                assert_eq!(err.raw_os_error(), Some(Errno::MFILE.raw_os_error()));
                break;
            }
        }
    }
    held.truncate(held.len() - free);
    held
}

/// EMFILE is ambiguous from inotify_init1 (the instance limit or the
/// process's descriptor limit), so the message names both; from
/// epoll_create1 it can only be the descriptor limit, so it is a plain
/// `Os(EMFILE)`, not the inotify instance limit.
#[test]
fn running_out_of_descriptors_is_not_blamed_on_the_instance_limit_alone() {
    if std::env::var_os("ZINOTIFY_FEW_FILES").is_none() {
        return assert_passes_with_few_files(
            "running_out_of_descriptors_is_not_blamed_on_the_instance_limit_alone",
        );
    }
    let held = use_up_descriptors(0);
    let err = Inotify::new().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InstanceLimit);
    assert!(err.to_string().contains("ulimit -n"), "{err}");
    drop(held);

    // One descriptor left: inotify_init1 takes it, epoll_create1 fails.
    let _held = use_up_descriptors(1);
    let err = Inotify::new().unwrap_err();
    assert_eq!(
        (err.operation(), err.kind()),
        (Operation::Init, ErrorKind::Os(Errno::MFILE))
    );
}

/// ENOSPC from inotify_add_watch, for real: the watch limit of a fresh user
/// namespace lowered to 3, then a 4th distinct inode watched.
#[test]
fn the_watch_limit_is_watch_limit_naming_the_sysctl() {
    if std::env::var_os("ZINOTIFY_IN_USERNS").is_none() {
        return assert_child_passed("the_watch_limit_is_watch_limit_naming_the_sysctl");
    }
    lower_limit("max_inotify_watches", 3);
    let dirs: Vec<_> = (0..4).map(|_| TempDir::new("limit")).collect();
    let inotify = Inotify::new().unwrap();
    let mut table = FixedWatchTable::<8, 4096>::fixed();
    for dir in &dirs[..3] {
        table.add(&inotify, dir.bytes(), WatchMask::CREATE).unwrap();
    }
    let err = table
        .add(&inotify, dirs[3].bytes(), WatchMask::CREATE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WatchLimit);
    assert_eq!(err.errno(), Some(Errno::NOSPC));
    assert!(err.to_string().contains("max_user_watches"), "{err}");
    // The table is as it was.
    assert_eq!(table.len(), 3);
    assert_eq!(table.wd(dirs[3].bytes()), None);
}

/// EMFILE from inotify_init1, for real: the instance limit of a fresh user
/// namespace lowered to 1, then a 2nd instance created.
#[test]
fn the_instance_limit_is_instance_limit_naming_the_sysctl() {
    if std::env::var_os("ZINOTIFY_IN_USERNS").is_none() {
        return assert_child_passed("the_instance_limit_is_instance_limit_naming_the_sysctl");
    }
    lower_limit("max_inotify_instances", 1);
    let _first = Inotify::new().unwrap();
    let err = Inotify::new().unwrap_err();
    assert_eq!(
        (err.operation(), err.kind()),
        (Operation::Init, ErrorKind::InstanceLimit)
    );
    assert!(err.to_string().contains("max_user_instances"), "{err}");
}

//! PyInotify's README example, ported: watch a directory and log every event
//! with its header fields, type names, watch path and file name.
//!
//! `cargo run --example pyinotify_log -- /tmp` (default `/tmp`).

use zinotify::{FixedWatchTable, WatchMask, Watcher, WatcherItem};

fn main() -> Result<(), zinotify::Error> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp".into());
    // PyInotify: `i = inotify.adapters.Inotify(); i.add_watch(b'/tmp')`.
    // Here the table (16 paths, 4 KiB of path bytes) and the read buffer are
    // chosen up front, and live on the stack: nothing is allocated.
    let mut watcher = Watcher::from_paths(
        [dir.as_str()],
        WatchMask::ALL_EVENTS,
        FixedWatchTable::<16, 4096>::fixed(),
        [0u8; 4096],
    )?;
    // PyInotify: `for event in i.event_gen(): if event is not None: ...`.
    while let Some(next) = watcher.next() {
        match next? {
            // WatchEvent's Display is PyInotify's log line: `WD=(1)
            // MASK=(256) COOKIE=(0) LEN=(16) MASK->NAMES=[IN_CREATE]
            // WATCH-PATH=[/tmp] FILENAME=[a.txt]`, written with no allocation.
            WatcherItem::Event(e) => println!("{e}"),
            // A second passed with nothing: PyInotify's `None`.
            WatcherItem::Idle => {}
            // Overflow or unmount, which PyInotify would not show: say so,
            // and go on.
            WatcherItem::Terminal(e) => {
                eprintln!("terminal event: {e}");
                watcher.resume();
            }
            WatcherItem::TimedOut | WatcherItem::Stopped(_) => break,
        }
    }
    Ok(())
}

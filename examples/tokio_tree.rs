//! Watches a directory tree on tokio and prints its events, as
//! `inotifywait -m -r` would: `cargo run --example tokio_tree --features
//! tokio -- DIR` (default: the current directory). Ends after 10 s without
//! an event, or when the tree is gone.

use std::time::Duration;
use zinotify::WatchMask;
use zinotify::runtime::tokio::AsyncTrees;
use zinotify::{GrowingTreeStorage, InotifyTrees, TreeEventKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), zinotify::Error> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mask = WatchMask::CREATE | WatchMask::DELETE | WatchMask::MOVE | WatchMask::CLOSE_WRITE;
    // Owned storage and buffer: the tree is 'static and could be spawned.
    let mut trees = InotifyTrees::new(GrowingTreeStorage::growing(), vec![0u8; 65536], mask)?;
    trees.add_root(dir.as_str())?;
    let mut trees = AsyncTrees::new(trees)?;
    while let Some(ev) = trees.next_event(Some(Duration::from_secs(10))).await {
        let ev = ev?;
        match ev.kind {
            TreeEventKind::Ready => eprintln!("Watches established."),
            TreeEventKind::Idle => break,
            _ => println!(
                "{}{} {:?} {:?}",
                ev.dir.escape_ascii(),
                ev.name.escape_ascii(),
                ev.mask,
                ev.kind
            ),
        }
    }
    Ok(())
}

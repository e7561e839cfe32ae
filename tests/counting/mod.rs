//! A counting global allocator for the zero-allocation tests: it counts
//! only on a thread that switched [`COUNTING`] on, so other threads (a
//! writer, the test harness) do not count.
#![allow(dead_code)] // each test uses what it needs

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

/// Allocations and bytes counted so far.
pub static ALLOCS: AtomicUsize = AtomicUsize::new(0);
pub static BYTES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` initialisation: reading it never allocates.
    pub static COUNTING: Cell<bool> = const { Cell::new(false) };
}

/// Switches counting on for this thread, proves the counter counts (one
/// allocation of 100 bytes), then starts from zero.
pub fn start() {
    COUNTING.with(|c| c.set(true));
    drop(std::hint::black_box(vec![0u8; 100]));
    assert_eq!(
        (
            ALLOCS.swap(0, Ordering::Relaxed),
            BYTES.swap(0, Ordering::Relaxed)
        ),
        (1, 100)
    );
}

/// Switches counting off; what was counted: (allocations, bytes).
pub fn stop() -> (usize, usize) {
    COUNTING.with(|c| c.set(false));
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// What a counted flat loop took: events handed out, overflows among them.
#[derive(Debug, Default)]
pub struct Tally {
    pub received: usize,
    pub overflows: usize,
}

impl Tally {
    /// Takes one item of `Watcher::next` (blocking or async): an event
    /// counts, an overflow (the writer outran the reader) counts and
    /// returns `true`, for the caller to `resume`; an idle marker does not
    /// count; anything else fails the test.
    pub fn take<E: std::fmt::Debug>(
        &mut self,
        item: Option<Result<zinotify::WatcherItem<'_>, E>>,
    ) -> bool {
        match item {
            Some(Ok(zinotify::WatcherItem::Event(e))) => {
                self.received += 1;
                assert!(e.watch_path.is_some() && !e.name().is_empty());
                false
            }
            Some(Ok(zinotify::WatcherItem::Terminal(e))) => {
                assert_eq!(e.event.mask, zinotify::EventMask::Q_OVERFLOW);
                self.overflows += 1;
                self.received += 1;
                true
            }
            Some(Ok(zinotify::WatcherItem::Idle)) => false,
            other => panic!("unexpected: {other:?}"),
        }
    }
}

fn count(size: usize) {
    if COUNTING.with(Cell::get) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

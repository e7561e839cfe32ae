//! A counting global allocator for the zero-allocation tests. It counts on
//! the threads that switched counting on, each its own count, so other
//! threads (a writer, the test harness) and tests running in parallel do
//! not mix in. A test crate installs it with
//! `#[global_allocator] static A: counting::Counting = counting::Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    // `const` initialisation: reading them never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocations and bytes counted on this thread.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

/// Switches counting on for this thread, proves the counter counts (one
/// allocation of 100 bytes), then starts from zero.
pub fn start() {
    COUNTING.with(|c| c.set(true));
    drop(std::hint::black_box(vec![0u8; 100]));
    assert_eq!(
        (ALLOCS.with(|n| n.replace(0)), BYTES.with(|n| n.replace(0))),
        (1, 100)
    );
}

/// Switches counting off for this thread; what it counted since
/// [`start`]: (allocations, bytes).
pub fn stop() -> (usize, usize) {
    COUNTING.with(|c| c.set(false));
    (ALLOCS.with(Cell::get), BYTES.with(Cell::get))
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
    // `try_with`: a thread's own allocations while its locals are torn
    // down are not counted (and must not panic).
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        let _ = BYTES.try_with(|n| n.set(n.get() + size));
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

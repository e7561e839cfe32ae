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

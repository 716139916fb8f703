//! A global allocator that counts the bytes live on the threads that ask to
//! be tracked, so a client's memory can be told apart from the sandbox's in
//! one process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// [`System`], counting.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

fn tracked() -> bool {
    // During thread teardown the flag may be gone: count nothing then.
    TRACKED.try_with(Cell::get).unwrap_or(false)
}

/// A new block (or a grown one) of `bytes`.
fn allocated(bytes: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(bytes, Ordering::Relaxed);
}

fn add(bytes: isize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && tracked() {
            allocated(layout.size());
            add(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if tracked() {
            add(-(layout.size() as isize));
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() && tracked() {
            allocated(layout.size());
            add(layout.size() as isize);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && tracked() {
            allocated(new_size);
            add(new_size as isize - layout.size() as isize);
        }
        new
    }
}

/// Counts this thread's allocations from now on.
pub fn track_this_thread() {
    TRACKED.with(|t| t.set(true));
}

/// Starts a new peak at the bytes live now; returns them.
pub fn reset_peak() -> isize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// The most bytes live on tracked threads since [`reset_peak`].
pub fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

/// Allocations (reallocations included) and bytes allocated on tracked
/// threads so far.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    allocations: usize,
    bytes: usize,
}

impl Count {
    /// What was allocated between `before` and this count.
    pub fn since(self, before: Count) -> (usize, usize) {
        (self.allocations - before.allocations, self.bytes - before.bytes)
    }
}

pub fn count() -> Count {
    Count { allocations: ALLOCATIONS.load(Ordering::Relaxed), bytes: ALLOCATED.load(Ordering::Relaxed) }
}

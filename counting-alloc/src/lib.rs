//! A global allocator for tests that forwards every call to
//! [`std::alloc::System`] and counts, per thread, how many allocations
//! (`alloc`, `alloc_zeroed` and `realloc` calls) that thread made.
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: sealwire_counting_alloc::CountingAlloc = sealwire_counting_alloc::CountingAlloc;
//!
//! let ((), n) = sealwire_counting_alloc::count_allocations(|| { /* code under test */ });
//! assert_eq!(n, 0);
//! ```
//!
//! The counters are thread-local, so tests running in parallel on other
//! threads (the default test harness) do not disturb a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // `const`-initialised and without a destructor: reading it never
    // allocates nor registers anything, so it is safe to use inside the
    // allocator itself.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static ALLOCATED_BYTES: Cell<u64> = const { Cell::new(0) };
}

fn record(size: usize) {
    ALLOCATIONS.with(|c| c.set(c.get().wrapping_add(1)));
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    ALLOCATED_BYTES.with(|c| c.set(c.get().wrapping_add(size)));
}

/// The counting allocator: install it with `#[global_allocator]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds the `GlobalAlloc` contract; the counting touches only
// thread-local `Cell`s that never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size),
        // which is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by
        // `System`, with `layout` (the caller's contract).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr` was allocated by `System` with `layout`, and the
        // caller upholds `realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (`alloc`, `alloc_zeroed`, `realloc`) made by this thread so
/// far. Meaningful only with [`CountingAlloc`] installed as the global
/// allocator.
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Bytes requested by this thread's allocations so far.
pub fn allocated_bytes() -> u64 {
    ALLOCATED_BYTES.with(Cell::get)
}

/// Runs `f` and returns its result with the number of allocations this
/// thread made while it ran.
pub fn count_allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = allocations();
    let out = f();
    (out, allocations().wrapping_sub(before))
}

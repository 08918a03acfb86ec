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
//!
//! [`QuarantineAlloc`] counts the same way and adds a quarantine mode for
//! tests that look for secrets left in freed memory
//! (tests/adversary_freed_memory.rs): while it is on, every `realloc` moves
//! the block and no block is ever returned to the system; the test then
//! scans every freed block ([`quarantine_scan`]) and releases them. It can
//! also scan the blocks allocated since the quarantine started that are
//! still live ([`quarantine_scan_live`]).
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: sealwire_counting_alloc::QuarantineAlloc = sealwire_counting_alloc::QuarantineAlloc;
//!
//! sealwire_counting_alloc::quarantine_start();
//! /* code under test */
//! sealwire_counting_alloc::quarantine_scan(|freed_block: &[u8]| { /* look for secrets */ });
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

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

/// The counting allocator with a quarantine mode ([`quarantine_start`],
/// [`quarantine_scan`]): install it with `#[global_allocator]`.
///
/// Every block it hands out is zero-filled (so that every byte of every
/// block is initialised when a scan reads it, whenever the block was
/// allocated); outside quarantine mode it otherwise behaves as
/// [`CountingAlloc`].
#[derive(Debug, Clone, Copy, Default)]
pub struct QuarantineAlloc;

// SAFETY: every block comes from `System` with the caller's layout (or, for
// a moving `realloc`, with the layout of the new size and the same
// alignment, as `realloc` requires) and goes back to `System` with the
// layout it was allocated with, either at once or when the quarantine is
// released; a quarantined block is never handed out again nor written.
unsafe impl GlobalAlloc for QuarantineAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size).
        let ptr = unsafe { System.alloc_zeroed(layout) };
        log_allocation(ptr, layout);
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the same contract.
        unsafe { self.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (the
        // caller's contract) and is not used again.
        unsafe { release(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // The caller guarantees `new_size`, rounded up to the alignment,
        // fits `isize`.
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        if QUARANTINE_ON.load(Ordering::SeqCst) {
            // SAFETY: `new_layout` has a non-zero size (`realloc`'s contract).
            let new = unsafe { System.alloc_zeroed(new_layout) };
            log_allocation(new, new_layout);
            if !new.is_null() {
                // SAFETY: both blocks are valid for `min(old, new)` bytes and
                // distinct.
                unsafe {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                }
                // SAFETY: `ptr` was allocated by `System` with `layout`; the
                // caller no longer uses it once `realloc` succeeded.
                unsafe { release(ptr, layout) };
            }
            return new;
        }
        // SAFETY: `ptr` was allocated by `System` with `layout`, and the
        // caller upholds `realloc`'s contract for `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && new_size > layout.size() {
            let tail = new.wrapping_add(layout.size());
            // SAFETY: the block is `new_size` bytes long; the tail past the
            // old size is zero-filled like any fresh block.
            unsafe { tail.write_bytes(0, new_size - layout.size()) };
        }
        new
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

// ---------------------------------------------------------------------
// Quarantine mode (tests/adversary_freed_memory.rs).
// ---------------------------------------------------------------------

/// Whether freed blocks go to the quarantine instead of back to `System`
/// (and new blocks are logged).
static QUARANTINE_ON: AtomicBool = AtomicBool::new(false);

/// One block, freed (quarantined) or allocated during quarantine mode.
#[derive(Clone, Copy)]
struct Block {
    ptr: *mut u8,
    layout: Layout,
}

/// A list of blocks in an array allocated directly from `System` (never
/// through the global allocator, which is this one).
struct Blocks {
    blocks: *mut Block,
    len: usize,
    cap: usize,
}

// SAFETY: the array is owned by the list and only reached under its mutex;
// the blocks it names are not dereferenced through it except by the scans,
// whose contracts say when they may be.
unsafe impl Send for Blocks {}

impl Blocks {
    const EMPTY: Self = Self {
        blocks: core::ptr::null_mut(),
        len: 0,
        cap: 0,
    };

    /// Appends `block`; returns `false` if the array could not grow.
    fn push(&mut self, block: Block) -> bool {
        if self.len == self.cap {
            let new_cap = if self.cap == 0 { 1024 } else { self.cap * 2 };
            let Ok(new_layout) = Layout::array::<Block>(new_cap) else {
                return false;
            };
            let new = if self.blocks.is_null() {
                // SAFETY: `new_layout` has a non-zero size.
                unsafe { System.alloc(new_layout) }
            } else {
                let Ok(old_layout) = Layout::array::<Block>(self.cap) else {
                    return false;
                };
                // SAFETY: `blocks` was allocated by `System` with
                // `old_layout`; the new size is non-zero and fits `isize`
                // (checked by `Layout::array`).
                unsafe { System.realloc(self.blocks.cast(), old_layout, new_layout.size()) }
            };
            if new.is_null() {
                return false;
            }
            self.blocks = new.cast();
            self.cap = new_cap;
        }
        let slot = self.blocks.wrapping_add(self.len);
        // SAFETY: `len < cap`, so the slot is inside the array.
        unsafe { slot.write(block) };
        self.len += 1;
        true
    }

    fn as_mut_slice(&mut self) -> &mut [Block] {
        if self.blocks.is_null() {
            return &mut [];
        }
        // SAFETY: the first `len` slots of the array are initialised and
        // the array is borrowed mutably with the list.
        unsafe { core::slice::from_raw_parts_mut(self.blocks, self.len) }
    }

    /// Frees the array (not the blocks it names) and empties the list.
    fn free_array(&mut self) {
        if !self.blocks.is_null()
            && let Ok(layout) = Layout::array::<Block>(self.cap)
        {
            // SAFETY: the array was allocated by `System` with this layout.
            unsafe { System.dealloc(self.blocks.cast(), layout) };
        }
        *self = Self::EMPTY;
    }
}

/// Blocks freed during quarantine mode, still allocated.
static QUARANTINE: Mutex<Blocks> = Mutex::new(Blocks::EMPTY);
/// Blocks allocated during quarantine mode (live or quarantined since).
static LOG: Mutex<Blocks> = Mutex::new(Blocks::EMPTY);

fn lock(list: &'static Mutex<Blocks>) -> MutexGuard<'static, Blocks> {
    list.lock().unwrap_or_else(|e| e.into_inner())
}

/// Logs a block allocated in quarantine mode (a block the log cannot hold
/// is simply not scanned by [`quarantine_scan_live`]).
fn log_allocation(ptr: *mut u8, layout: Layout) {
    if !ptr.is_null() && QUARANTINE_ON.load(Ordering::SeqCst) {
        let _ = lock(&LOG).push(Block { ptr, layout });
    }
}

/// Frees `ptr` (allocated by `System` with `layout`), or quarantines it in
/// quarantine mode.
///
/// # Safety
/// `ptr` was allocated by `System` with `layout` and is not used again.
unsafe fn release(ptr: *mut u8, layout: Layout) {
    if QUARANTINE_ON.load(Ordering::SeqCst) {
        if !lock(&QUARANTINE).push(Block { ptr, layout }) {
            // A logged block freed behind the quarantine's back could be
            // read by a live scan: stop rather than break that.
            std::process::abort();
        }
        return;
    }
    // SAFETY: the caller's contract.
    unsafe { System.dealloc(ptr, layout) }
}

/// Starts quarantine mode, process-wide: from now on every `realloc` moves
/// (a new block is allocated, the contents copied, the old block
/// quarantined) and every `dealloc` quarantines the block instead of
/// freeing it, so that [`quarantine_scan`] can read every block freed
/// meanwhile; every block allocated meanwhile is logged, so that
/// [`quarantine_scan_live`] can read those still in use. Meaningful only
/// with [`QuarantineAlloc`] installed as the global allocator; the
/// per-thread counters keep counting.
pub fn quarantine_start() {
    QUARANTINE_ON.store(true, Ordering::SeqCst);
}

/// Calls `scan` once for the contents of each block allocated since
/// [`quarantine_start`] and not freed since (the live heap of the code
/// under test, without the blocks it held before the quarantine started).
/// Quarantine mode stays on. Returns the number of blocks scanned.
///
/// Call it only while no other thread runs code that allocated since
/// [`quarantine_start`] (the test harness's own threads are idle while a
/// test runs): the blocks are read while they are live.
pub fn quarantine_scan_live(mut scan: impl FnMut(&[u8])) -> usize {
    // The live blocks, in an array of our own: `scan` may allocate, which
    // logs and quarantines while the snapshot is read.
    let mut live = Blocks::EMPTY;
    {
        let mut freed = lock(&QUARANTINE);
        let mut log = lock(&LOG);
        let freed = freed.as_mut_slice();
        freed.sort_unstable_by_key(|b| b.ptr as usize);
        for b in log.as_mut_slice().iter() {
            // Addresses are unique among these: a quarantined block is never
            // handed out again.
            if freed
                .binary_search_by_key(&(b.ptr as usize), |f| f.ptr as usize)
                .is_err()
                && !live.push(*b)
            {
                break;
            }
        }
    }
    let n = live.len;
    for block in live.as_mut_slice().iter() {
        // SAFETY: the block was allocated during quarantine mode and has not
        // been freed (it is not in the quarantine, and every free in this
        // mode quarantines), so it is allocated, `layout.size()` bytes long
        // and initialised (zero-filled when allocated); no other thread
        // writes it meanwhile (this function's contract), and `scan` only
        // gets it for the duration of the call.
        let bytes = unsafe { core::slice::from_raw_parts(block.ptr, block.layout.size()) };
        scan(bytes);
    }
    live.free_array();
    n
}

/// Ends quarantine mode, calls `scan` once for the contents of each block
/// freed since [`quarantine_start`], then returns them all to the system.
/// Returns the number of blocks scanned. `scan` may allocate: those
/// allocations are ordinary ones.
pub fn quarantine_scan(mut scan: impl FnMut(&[u8])) -> usize {
    QUARANTINE_ON.store(false, Ordering::SeqCst);
    lock(&LOG).free_array();
    let mut taken = core::mem::replace(&mut *lock(&QUARANTINE), Blocks::EMPTY);
    for block in taken.as_mut_slice().iter() {
        // SAFETY: a quarantined block is still allocated (never freed, never
        // handed out again), `layout.size()` bytes long, and every byte of it
        // is initialised (`QuarantineAlloc` zero-fills what it hands out).
        // Nothing else references it.
        let bytes = unsafe { core::slice::from_raw_parts(block.ptr, block.layout.size()) };
        scan(bytes);
    }
    let n = taken.len;
    for block in taken.as_mut_slice().iter() {
        // SAFETY: the block was allocated by `System` with this layout and
        // is referenced by nobody.
        unsafe { System.dealloc(block.ptr, block.layout) };
    }
    taken.free_array();
    n
}

//! A `no_std` static library that links sealwire without its `std` feature.
//!
//! If anything in sealwire's dependency graph pulls in `std`, this crate
//! fails to build with a duplicate `panic_impl` lang item (ours below and
//! std's). The exported function runs a whole session so that the API is
//! actually linked, not just type-checked.

#![no_std]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::Message;
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    Session, Timestamp,
};

/// Size of the static heap.
const HEAP_SIZE: usize = 1 << 20;

/// The heap: a static byte array handed out front to back.
#[repr(C, align(16))]
struct Heap(UnsafeCell<[u8; HEAP_SIZE]>);

// SAFETY: the array is only reached through `BumpAllocator::alloc`, which
// hands out disjoint ranges of it (reserved with an atomic compare-exchange
// on `NEXT`), so sharing the static between threads never aliases memory.
unsafe impl Sync for Heap {}

static HEAP: Heap = Heap(UnsafeCell::new([0; HEAP_SIZE]));

/// Offset of the first free byte of `HEAP`.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A bump allocator over `HEAP` that never frees: enough for a check.
struct BumpAllocator;

// SAFETY: `alloc` returns either null or a pointer to `layout.size()` bytes
// inside `HEAP`, aligned to `layout.align()`, that no other allocation
// overlaps (each range is reserved exactly once by the compare-exchange);
// `dealloc` does nothing, which is always sound.
unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = HEAP.0.get().cast::<u8>();
        let mut next = NEXT.load(Ordering::Relaxed);
        loop {
            // Align the absolute address, then go back to an offset.
            let addr = (base as usize).wrapping_add(next);
            let Some(aligned) = addr
                .checked_add(layout.align() - 1)
                .map(|a| a & !(layout.align() - 1))
            else {
                return core::ptr::null_mut();
            };
            let start = aligned.wrapping_sub(base as usize);
            let Some(end) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            if end > HEAP_SIZE {
                return core::ptr::null_mut();
            }
            match NEXT.compare_exchange_weak(next, end, Ordering::Relaxed, Ordering::Relaxed) {
                // SAFETY: `start + size <= HEAP_SIZE`, so the offset stays
                // inside the `HEAP` array (and `start <= HEAP_SIZE`).
                Ok(_) => return unsafe { base.add(start) },
                Err(current) => next = current,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: BumpAllocator = BumpAllocator;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// Runs a whole session with keys drawn from `seed`: Bob publishes a bundle,
/// Alice parses it and opens a session, Bob accepts her prekey message,
/// replies, and Alice decrypts the reply. Returns 0 on success, or the
/// number of the step that failed.
// SAFETY: the symbol name is unique to this crate; nothing else in the link
// defines `sealwire_nostd_check`.
#[unsafe(no_mangle)]
pub extern "C" fn sealwire_nostd_check(seed: u64) -> u32 {
    match run(seed) {
        Ok(()) => 0,
        Err(step) => step,
    }
}

fn run(seed: u64) -> Result<(), u32> {
    let now = Timestamp::from_unix_millis(1_780_000_000_000);
    let mut rng = DangerDeterministicRng::from_u64(seed);

    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob_id, &mut rng);
    let opks = bob_prekeys.generate_one_time_prekeys(&mut rng, 1);
    let opk = opks.first().map(|o| o.id);
    let published = bob_prekeys.bundle(&bob_id, opk).map_err(|_| 1u32)?.to_vec();

    let bundle = PrekeyBundle::parse(&published).map_err(|_| 2u32)?;
    let mut alice = PendingSession::initiate(&mut rng, &alice_id, &bundle).map_err(|_| 3u32)?;
    let first = alice
        .encrypt(&mut rng, now, Outgoing::message(b"hello"))
        .map(|s| s.message)
        .map_err(|_| 4u32)?;
    if !matches!(Message::parse(&first), Ok(Message::Prekey(_))) {
        return Err(5);
    }

    let (mut bob, received) =
        Session::accept(&bob_id, &mut bob_prekeys, now, &first).map_err(|_| 6u32)?;
    if received.plaintext.as_slice() != b"hello" || bob_prekeys.one_time_prekey_count() != 0 {
        return Err(7);
    }

    let mut reply = [0u8; 256];
    let len = bob.encrypted_len(4, false);
    let n = bob
        .encrypt_into(
            &mut rng,
            now,
            Outgoing::new(ContentType::Receipt, b"read"),
            &mut reply,
        )
        .map(|s| s.len)
        .map_err(|_| 8u32)?;
    if n != len {
        return Err(9);
    }
    let reply = reply.get(..n).ok_or(10u32)?;

    let (mut alice, received) = alice.receive(now, reply).map_err(|_| 11u32)?;
    if received.plaintext.as_slice() != b"read" || received.content_type != ContentType::Receipt {
        return Err(12);
    }

    // Bob's state through a sealed blob and back (persistence is no_std).
    let key = StorageKey::from_bytes([0x42; 32]);
    let here = BlobAddress::local(*bob.their_identity());
    let sealed = bob.seal(&key, &here, &mut rng);
    let mut bob = Session::unseal(&key, &here, &sealed).map_err(|_| 16u32)?;

    let mut next = alice
        .encrypt(&mut rng, now, Outgoing::message(b"again"))
        .map(|s| s.message)
        .map_err(|_| 13u32)?;
    let received = bob.decrypt_in_place(now, &mut next).map_err(|_| 14u32)?;
    if received.body != b"again" {
        return Err(15);
    }
    Ok(())
}

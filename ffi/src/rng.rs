//! `sw_rng`: where randomness comes from. Every function that draws random
//! bytes takes an `sw_rng *rng`; NULL means the operating system's
//! generator, which is what production code should pass.

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
#[cfg(feature = "test-utils")]
use sealwire::testing::DangerDeterministicRng;
use sealwire::{OsRng, os_rng};

use crate::boundary::{
    Handle, Result, clear_handle, free_handle, guard, guard_void, handle_mut, new_handle,
};
use crate::result::sw_result;

/// A source of randomness: the operating system's generator, or (tests
/// only, in a library built with the `test-utils` feature) a deterministic
/// generator from a seed.
///
/// Ownership: made by `sw_rng_new_os` (or `sw_rng_danger_new_seeded`), freed
/// by the caller with `sw_rng_free`. Functions that take an `sw_rng *` only
/// borrow it.
///
/// Thread-safety: not internally synchronised; use it from one thread at a
/// time (a call that draws from it mutates it). NULL, the OS generator, may
/// be used from any number of threads.
pub struct sw_rng {
    _opaque: [u8; 0],
}

/// The generator behind an `sw_rng`.
#[derive(Debug)]
pub(crate) enum Rng {
    /// The operating system's generator.
    Os(OsRng),
    /// A deterministic generator (tests).
    #[cfg(feature = "test-utils")]
    Seeded(DangerDeterministicRng),
}

impl Handle for sw_rng {
    type Inner = Rng;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:rng__");
}

impl TryRng for Rng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Infallible> {
        match self {
            Self::Os(r) => r.try_next_u32(),
            #[cfg(feature = "test-utils")]
            Self::Seeded(r) => r.try_next_u32(),
        }
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Infallible> {
        match self {
            Self::Os(r) => r.try_next_u64(),
            #[cfg(feature = "test-utils")]
            Self::Seeded(r) => r.try_next_u64(),
        }
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Infallible> {
        match self {
            Self::Os(r) => r.try_fill_bytes(dst),
            #[cfg(feature = "test-utils")]
            Self::Seeded(r) => r.try_fill_bytes(dst),
        }
    }
}

impl TryCryptoRng for Rng {}

/// Runs `f` with the caller's generator, or the OS generator for NULL.
///
/// # Safety
///
/// A non-NULL `rng` must be a live handle that nothing else accesses during
/// the call.
pub(crate) unsafe fn with_rng<T>(
    rng: *mut sw_rng,
    f: impl FnOnce(&mut Rng) -> Result<T>,
) -> Result<T> {
    if rng.is_null() {
        f(&mut Rng::Os(os_rng()))
    } else {
        // SAFETY: the caller's contract.
        f(unsafe { handle_mut(rng) }?)
    }
}

/// Checks a non-NULL `rng` before any work is done, so that a bad handle is
/// refused before anything changes.
///
/// # Safety
///
/// As [`with_rng`].
pub(crate) unsafe fn check_rng(rng: *mut sw_rng) -> Result<()> {
    if rng.is_null() {
        Ok(())
    } else {
        // SAFETY: the caller's contract.
        unsafe { handle_mut(rng) }.map(|_| ())
    }
}

/// Makes a handle on the operating system's generator (the same as passing
/// NULL wherever an `sw_rng *` is taken).
///
/// Ownership: on `SW_OK`, `*out_rng` is a new handle the caller frees with
/// `sw_rng_free`; on error it is set to NULL.
///
/// NULL: `out_rng` must not be NULL.
///
/// # Safety
///
/// `out_rng` must be valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_rng_new_os(out_rng: *mut *mut sw_rng) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_rng = unsafe { out!(out_rng) }?;
        clear_handle(&mut out_rng);
        out_rng.set(new_handle::<sw_rng>(Rng::Os(os_rng())));
        Ok(())
    })
}

/// DANGER, tests only: makes a deterministic generator whose whole output is
/// fixed by the 32-byte `seed` (SHA-256 in counter mode). Keys drawn from it
/// are as secret as the seed: never use it for real keys. Only in a library
/// built with the `test-utils` cargo feature; the header declares it when
/// `SW_TEST_UTILS` is defined.
///
/// Ownership: `seed` is copied. On `SW_OK`, `*out_rng` is a new handle the
/// caller frees with `sw_rng_free`; on error it is set to NULL.
///
/// NULL: `seed` and `out_rng` must not be NULL. `seed_len` must be 32
/// (`SW_SEED_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `seed` must be valid for reads of `seed_len` bytes; `out_rng` valid for
/// one write.
#[cfg(feature = "test-utils")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_rng_danger_new_seeded(
    seed: *const u8,
    seed_len: usize,
    out_rng: *mut *mut sw_rng,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_rng = unsafe { out!(out_rng) }?;
        clear_handle(&mut out_rng);
        // SAFETY: the caller's contract.
        let seed = zeroize::Zeroizing::new(unsafe { input_array!(seed, seed_len) }?);
        let rng = DangerDeterministicRng::from_seed(*seed);
        out_rng.set(new_handle::<sw_rng>(Rng::Seeded(rng)));
        Ok(())
    })
}

/// Frees a generator. NULL is a no-op.
///
/// # Safety
///
/// `rng` must be NULL or a live `sw_rng` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_rng_free(rng: *mut sw_rng) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(rng) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng as _;

    /// Each draw comes from the generator behind the handle: the seeded one
    /// gives exactly its own sequence, the OS one fresh values.
    #[test]
    fn draws_come_from_the_generator_behind() {
        let mut ours = Rng::Seeded(DangerDeterministicRng::from_u64(42));
        let mut reference = DangerDeterministicRng::from_u64(42);
        assert_eq!(ours.next_u32(), reference.next_u32());
        assert_eq!(ours.next_u64(), reference.next_u64());
        let (mut a, mut b) = ([0u8; 24], [0u8; 24]);
        ours.fill_bytes(&mut a);
        reference.fill_bytes(&mut b);
        assert_eq!(a, b);
        let mut os = Rng::Os(os_rng());
        // Two equal draws have probability 2^-32 (u32) and 2^-64 (u64).
        assert_ne!(os.next_u64(), os.next_u64());
        assert_ne!(os.next_u32(), os.next_u32());
        let mut c = [0u8; 32];
        os.fill_bytes(&mut c);
        assert_ne!(c, [0u8; 32]);
    }
}

//! Randomness. The core takes any `rand_core::CryptoRng`; with the `std`
//! feature, [`OsRng`] reads the operating system's generator.

/// The operating system's random number generator (with `std`).
///
/// Failure of the OS generator is unrecoverable for a cryptographic library
/// and aborts the operation with a panic inside `getrandom`'s adapter;
/// every protocol object is left unchanged.
#[cfg(feature = "std")]
pub type OsRng = rand_core::UnwrapErr<getrandom::SysRng>;

/// A new handle on the operating system's generator (with `std`).
#[cfg(feature = "std")]
pub fn os_rng() -> OsRng {
    rand_core::UnwrapErr(getrandom::SysRng)
}

//! Hidden entry points for test vectors, fuzzing and benchmarks. Not part of
//! the stable API; everything here is `#[doc(hidden)]`.

pub mod fuzzing;
pub mod hazmat;
pub mod testing;

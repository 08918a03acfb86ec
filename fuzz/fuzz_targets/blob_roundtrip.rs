#![no_main]

//! Differential: every state blob kind, driven through a script of
//! operations, reloads to an equal value from its blob and from its sealed
//! blob, and re-encodes to the same bytes.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::BlobWorld;

static WORLD: OnceLock<BlobWorld> = OnceLock::new();

fuzz_target!(|data: &[u8]| WORLD.get_or_init(BlobWorld::new).blob_roundtrip(data));

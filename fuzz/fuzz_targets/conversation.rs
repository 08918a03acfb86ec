#![no_main]

//! Two established sessions run a script of sends, out-of-order, repeated
//! and tampered deliveries, raw frames and clock jumps (the skipped-key,
//! erasure and closed-chain paths no single message reaches).

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::Conversation;

static WORLD: OnceLock<Conversation> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    WORLD.get_or_init(Conversation::new).run(data);
});

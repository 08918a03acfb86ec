#![no_main]

//! Differential: the library's Padmé (`sealwire::wire::padme`) and the
//! lengths built on it against Padmé computed from its definition in the
//! fixtures; and the padded length a session and a group really write.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::{Fixture, GroupFixture};

static FIXTURE: OnceLock<(Fixture, GroupFixture)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    sealwire_fuzz_fixtures::padme(data);
    if data.first().is_some_and(|b| b & 0x06 == 0x06) {
        let (f, g) = FIXTURE.get_or_init(|| (Fixture::new(), GroupFixture::new()));
        sealwire_fuzz_fixtures::padme_sealed(f, g, data.get(1..).unwrap_or(&[]));
    }
});

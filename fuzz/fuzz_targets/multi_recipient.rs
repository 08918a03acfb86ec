#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::SealedFixture;

static FIXTURE: OnceLock<SealedFixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| FIXTURE
    .get_or_init(SealedFixture::new)
    .multi_recipient(data));

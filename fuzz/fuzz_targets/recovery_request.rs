#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::DevicesFixture;

static FIXTURE: OnceLock<DevicesFixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| FIXTURE
    .get_or_init(DevicesFixture::new)
    .recovery_request(data));

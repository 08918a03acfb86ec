#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire_fuzz_fixtures::GroupFixture;

static FIXTURE: OnceLock<GroupFixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| FIXTURE.get_or_init(GroupFixture::new).decrypt_post(data));

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwire::internal::fuzzing::Fixture;

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| FIXTURE.get_or_init(Fixture::new).receive_reply(data));

//! The benches' clock (included by `benches/session.rs` and
//! `benches/group.rs` with `#[path]`): criterion's measurement over the
//! time source of `common/time_source.rs`.

#[path = "time_source.rs"]
mod time_source;

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

use time_source::TimeSource;

/// Wall time, or with `SEALWIRE_BENCH_CLOCK=thread-cpu` the CPU time of the
/// bench thread. Values are nanoseconds either way (criterion's own
/// formatting and throughput).
pub(crate) struct Clock {
    source: TimeSource,
    wall: WallTime,
}

impl Clock {
    pub(crate) fn from_env() -> Self {
        Self {
            source: TimeSource::from_env(false),
            wall: WallTime,
        }
    }

    pub(crate) fn now(&self) -> Duration {
        self.source.now()
    }
}

impl Measurement for Clock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.now()
    }

    fn end(&self, start: Duration) -> Duration {
        self.now().saturating_sub(start)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

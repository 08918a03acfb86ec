//! The benches' clock (included by `benches/session.rs` and
//! `benches/group.rs` with `#[path]`).

use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Wall time, or with `SEALWIRE_BENCH_CLOCK=thread-cpu` the CPU time of the
/// bench thread. Values are nanoseconds either way (criterion's own
/// formatting and throughput).
pub(crate) struct Clock {
    thread_cpu: bool,
    origin: Instant,
    wall: WallTime,
}

impl Clock {
    pub(crate) fn from_env() -> Self {
        let thread_cpu = match std::env::var("SEALWIRE_BENCH_CLOCK").as_deref() {
            Ok("thread-cpu") if cfg!(unix) => true,
            Ok("thread-cpu") => {
                eprintln!("SEALWIRE_BENCH_CLOCK=thread-cpu needs Unix; using wall time");
                false
            }
            Ok("wall") | Err(_) => false,
            Ok(other) => {
                eprintln!(
                    "unknown SEALWIRE_BENCH_CLOCK={other:?} (wall, thread-cpu); using wall time"
                );
                false
            }
        };
        eprintln!(
            "clock: {}",
            if thread_cpu {
                "bench thread CPU time"
            } else {
                "wall time"
            }
        );
        Self {
            thread_cpu,
            origin: Instant::now(),
            wall: WallTime,
        }
    }

    pub(crate) fn now(&self) -> Duration {
        #[cfg(unix)]
        if self.thread_cpu {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            return Duration::new(
                u64::try_from(t.tv_sec).unwrap_or(0),
                u32::try_from(t.tv_nsec).unwrap_or(0),
            );
        }
        self.origin.elapsed()
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

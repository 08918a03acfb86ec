//! The benches' time source, without criterion: wall time or the calling
//! thread's CPU time. Included with `#[path]` by `common/clock.rs` (the
//! criterion measurement of `benches/*.rs`) and by `bench-peers/` (the
//! paired rounds against vodozemac), so both read the same clock.

use std::time::{Duration, Instant};

/// Wall time, or the CPU time of the calling thread (Unix). Values are
/// durations either way.
pub(crate) struct TimeSource {
    thread_cpu: bool,
    origin: Instant,
}

impl TimeSource {
    /// The clock `SEALWIRE_BENCH_CLOCK` names (`wall` or `thread-cpu`);
    /// without the variable, thread CPU time if `thread_cpu_by_default`
    /// (and Unix), else wall time. Prints the choice to stderr.
    pub(crate) fn from_env(thread_cpu_by_default: bool) -> Self {
        let thread_cpu = match std::env::var("SEALWIRE_BENCH_CLOCK").as_deref() {
            Ok("thread-cpu") if cfg!(unix) => true,
            Ok("thread-cpu") => {
                eprintln!("SEALWIRE_BENCH_CLOCK=thread-cpu needs Unix; using wall time");
                false
            }
            Ok("wall") => false,
            Err(_) => thread_cpu_by_default && cfg!(unix),
            Ok(other) => {
                eprintln!(
                    "unknown SEALWIRE_BENCH_CLOCK={other:?} (wall, thread-cpu); using wall time"
                );
                false
            }
        };
        let source = Self {
            thread_cpu,
            origin: Instant::now(),
        };
        eprintln!("clock: {}", source.describe());
        source
    }

    /// What the clock measures, for reports.
    pub(crate) fn describe(&self) -> &'static str {
        if self.thread_cpu {
            "bench thread CPU time"
        } else {
            "wall time"
        }
    }

    /// The current reading (comparable only with readings of the same
    /// thread and source).
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

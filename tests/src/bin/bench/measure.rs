//! What a run costs: thread CPU time, wall time, allocations, heap held, peak RSS.
//!
//! Thread CPU time is the first field of `/proc/thread-self/schedstat` (nanoseconds this
//! thread spent on a CPU), so no libc call is needed and time the thread waits for the CPU
//! (the machine runs other work) is left out. Allocations come from the counting global
//! allocator of the binary (`stats_alloc`; process-wide, but the benchmark runs one thread).
//! Peak RSS is `VmHWM` of `/proc/self/status`, reset through `/proc/self/clear_refs` before
//! each run where the kernel allows it, so it is the peak of the process during that run.

use std::alloc::System;
use std::time::{Duration, Instant};

use stats_alloc::{Region, StatsAlloc};

/// What one run of one case on one stack measured.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    /// Units of work done (messages, packets, frames, setups, peers).
    pub(crate) units: f64,
    /// Payload bytes delivered (0 where bytes are not the point).
    pub(crate) bytes: f64,
    /// Thread CPU time of the measured part.
    pub(crate) cpu: Duration,
    /// Wall time of the measured part.
    pub(crate) wall: Duration,
    /// Virtual time the measured part took.
    pub(crate) virt: Duration,
    /// Allocations and reallocations.
    pub(crate) allocs: u64,
    /// Bytes allocated (reallocations' growth included).
    pub(crate) alloc_bytes: u64,
    /// Heap bytes still held at the end (allocated less freed).
    pub(crate) held: i64,
    /// Peak resident set of the process during the run, KiB.
    pub(crate) rss_kib: u64,
    /// One-way flights to the first message (setup only).
    pub(crate) flights: u32,
}

/// A measurement in progress.
pub(crate) struct Meter {
    region: Region<'static, System>,
    cpu: Duration,
    wall: Instant,
}

impl Meter {
    /// Starts counting now.
    pub(crate) fn start(global: &'static StatsAlloc<System>) -> Self {
        Self {
            cpu: thread_cpu(),
            wall: Instant::now(),
            region: Region::new(global),
        }
    }

    /// Stops and fills the cost fields of a sample (`units`, `bytes` and `virt` are the
    /// caller's).
    pub(crate) fn stop(self) -> Sample {
        let change = self.region.change();
        let wall = self.wall.elapsed();
        let cpu = thread_cpu().saturating_sub(self.cpu);
        let grown = change.bytes_reallocated.max(0) as u64;
        Sample {
            cpu,
            wall,
            allocs: (change.allocations + change.reallocations) as u64,
            alloc_bytes: change.bytes_allocated as u64 + grown,
            held: change.bytes_allocated as i64 - change.bytes_deallocated as i64
                + change.bytes_reallocated as i64,
            ..Sample::default()
        }
    }
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (falls back to 0 where
/// the file is missing, which makes CPU figures read as 0).
pub(crate) fn thread_cpu() -> Duration {
    // The kernel brings a running thread's figure up to date only at a scheduler tick or a
    // switch; yielding passes through the scheduler, so the figure is current to the
    // nanosecond instead of to the last tick (4 ms).
    std::thread::yield_now();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Resets the peak RSS (`VmHWM`) to the current RSS, where the kernel allows it.
pub(crate) fn reset_peak_rss() {
    // "5" resets the peak resident set size (proc(5), clear_refs). Failure leaves the
    // process-lifetime peak, which is then what the figure shows.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak RSS of the process in KiB (`VmHWM`).
pub(crate) fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// The median and the extremes of `values` (all 0 when empty).
pub(crate) fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

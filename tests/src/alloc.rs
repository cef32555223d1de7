//! Counting allocations around a piece of work, for the zero-allocation tests.
//!
//! Each such test is its own binary with `stats_alloc`'s counting allocator as the global
//! allocator. The counter is process-wide, so an allocation on another thread (the test
//! harness's) would count too; an allocation made per packet shows in every trial, so the
//! fewest over a few trials is the honest figure.

use std::alloc::System;

use stats_alloc::{Region, Stats, StatsAlloc};

/// Runs `work` `trials` times and returns the counts of the trial that allocated least.
pub fn fewest_allocations(
    global: &'static StatsAlloc<System>,
    trials: u32,
    mut work: impl FnMut(u32),
) -> Stats {
    let mut best: Option<Stats> = None;
    for trial in 0..trials.max(1) {
        let region = Region::new(global);
        work(trial);
        let change = region.change();
        let total = |s: &Stats| s.allocations + s.reallocations;
        if best.as_ref().is_none_or(|b| total(&change) < total(b)) {
            best = Some(change);
        }
    }
    best.unwrap_or_default()
}

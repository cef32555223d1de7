//! The session's timers (STYLE section 1: one table, `poll_timeout` is the minimum), and the
//! randomised RTCP interval.

use std::time::{Duration, Instant};

/// The kinds of deadline the session keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The next regular RTCP report (RFC 3550 section 6.3.5).
    Report = 0,
    /// The next check of the receive streams' missing packets for NACKs (RFC 4585 section
    /// 6.2.1); armed only while some are missing.
    Nack = 1,
    /// The next transport-wide congestion control feedback; armed when an arrival is
    /// recorded and none is armed.
    Twcc = 2,
}

const COUNT: usize = 3;

/// A fixed array of optional deadlines, indexed by [`Timer`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }

    /// Whether `timer` is set and due at `now`.
    pub(crate) fn is_due(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

/// A counter-based generator for the RTCP interval's random factor: the `n`-th draw is a
/// hash of a key (drawn once from the owner's RNG at construction) and `n`, so the session
/// stores no RNG and replays exactly from the same key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntervalJitter {
    key: u64,
    n: u64,
}

impl IntervalJitter {
    pub(crate) const fn new(key: u64) -> Self {
        Self { key, n: 0 }
    }

    /// The next 64 pseudo-random bits (SplitMix64's finaliser over `key + n * golden`).
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.n = self.n.wrapping_add(1);
        let mut z = self
            .key
            .wrapping_add(self.n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `interval` times a factor drawn uniformly from 0.5 to 1.5 (RFC 3550 section 6.3.1),
    /// at least 1 ms.
    pub(crate) fn randomise(&mut self, interval: Duration) -> Duration {
        let nanos = interval.as_nanos().min(u128::from(u64::MAX / 2));
        let r = u128::from(self.next_u64() >> 32);
        let value = nanos / 2 + ((nanos * r) >> 32);
        Duration::from_nanos(u64::try_from(value).unwrap_or(u64::MAX)).max(Duration::from_millis(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtcp_timer_interval_within_half_to_one_and_a_half() {
        let mut j = IntervalJitter::new(7);
        let d = Duration::from_secs(1);
        let draws: Vec<_> = (0..1000).map(|_| j.randomise(d)).collect();
        assert!(draws.iter().all(|x| (d / 2..d * 3 / 2).contains(x)));
        let mean = draws.iter().sum::<Duration>() / 1000;
        assert!(mean.abs_diff(d) < Duration::from_millis(50), "{mean:?}");
        let mut again = IntervalJitter::new(7);
        assert_eq!(again.randomise(d), draws[0], "replays from the key");
        assert_eq!(
            IntervalJitter::new(1).randomise(Duration::ZERO),
            Duration::from_millis(1)
        );
    }
}

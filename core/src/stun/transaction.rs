//! Client transaction retransmission over UDP (RFC 8489 section 6.2.1).

use std::time::{Duration, Instant};

/// Rc: how many times a request is sent in all, by default (RFC 8489 section 6.2.1).
pub(crate) const DEFAULT_MAX_TRANSMITS: u32 = 7;
/// Rm: after the last send, wait this many RTOs for a response, by default (RFC 8489
/// section 6.2.1).
pub(crate) const DEFAULT_LAST_WAIT_FACTOR: u32 = 16;

/// What [`RetransmitTimer::handle_timeout`] tells the transaction's owner to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerOutcome {
    /// Nothing yet: the deadline has not passed.
    Wait,
    /// Send the request again now.
    Retransmit,
    /// Give up: the transaction failed with no response.
    TimedOut,
}

/// When to retransmit a STUN request over UDP, and when to give up (RFC 8489 section 6.2.1).
///
/// The request is sent when the timer is created, then again after RTO, 2 RTO, 4 RTO, ... until
/// it has been sent Rc times; after the last send the transaction waits Rm × RTO and then fails.
/// With RTO = 500 ms and the defaults (Rc = 7, Rm = 16) sends happen at 0, 0.5, 1.5, 3.5, 7.5,
/// 15.5 and 31.5 s and the transaction fails at 39.5 s.
///
/// The owner keeps the timer beside the request, calls [`RetransmitTimer::handle_timeout`] at
/// or after [`RetransmitTimer::deadline`] and drops the timer when a response arrives. The next
/// deadline is measured from the `now` of the retransmission, so a late call delays the
/// schedule rather than bunching sends.
#[derive(Debug, Clone)]
pub struct RetransmitTimer {
    deadline: Instant,
    interval: Duration,
    rto: Duration,
    max_interval: Duration,
    transmits: u32,
    max_transmits: u32,
    last_wait_factor: u32,
    timed_out: bool,
}

impl RetransmitTimer {
    /// A timer for a request first sent at `now`, with the RFC's defaults Rc = 7 and Rm = 16.
    pub fn new(now: Instant, rto: Duration) -> Self {
        Self::with_limits(now, rto, DEFAULT_MAX_TRANSMITS, DEFAULT_LAST_WAIT_FACTOR)
    }

    /// A timer for a request first sent at `now`, sent `max_transmits` times in all (Rc, at
    /// least 1), then failing `last_wait_factor` × `rto` (Rm) after the last send.
    pub fn with_limits(
        now: Instant,
        rto: Duration,
        max_transmits: u32,
        last_wait_factor: u32,
    ) -> Self {
        let mut timer = Self {
            deadline: now,
            interval: rto,
            rto,
            max_interval: Duration::MAX,
            transmits: 1,
            max_transmits: max_transmits.max(1),
            last_wait_factor,
            timed_out: false,
        };
        timer.deadline = timer.next_deadline(now);
        timer
    }

    /// Caps the doubling: no wait between two sends grows beyond `max_interval`. ICE uses
    /// this to keep checking a path often enough under loss without stretching the
    /// transaction (RFC 8445 section 14.3 leaves the schedule to the agent).
    pub fn with_max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// When [`RetransmitTimer::handle_timeout`] next has something to do. Changes only when
    /// `handle_timeout` retransmits.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How many times the request has been sent, the first send included.
    pub fn transmits(&self) -> u32 {
        self.transmits
    }

    /// Whether the transaction has failed.
    pub fn is_timed_out(&self) -> bool {
        self.timed_out
    }

    /// Advances the timer to `now`: tells the owner to wait, retransmit, or give up.
    ///
    /// Early calls return [`TimerOutcome::Wait`]; once timed out, every call returns
    /// [`TimerOutcome::TimedOut`].
    pub fn handle_timeout(&mut self, now: Instant) -> TimerOutcome {
        if self.timed_out {
            return TimerOutcome::TimedOut;
        }
        if now < self.deadline {
            return TimerOutcome::Wait;
        }
        if self.transmits >= self.max_transmits {
            self.timed_out = true;
            return TimerOutcome::TimedOut;
        }
        self.transmits += 1;
        self.interval = self.interval.saturating_mul(2).min(self.max_interval);
        self.deadline = self.next_deadline(now);
        TimerOutcome::Retransmit
    }

    /// The deadline after a send at `now`.
    fn next_deadline(&self, now: Instant) -> Instant {
        let wait = if self.transmits >= self.max_transmits {
            self.rto.saturating_mul(self.last_wait_factor)
        } else {
            self.interval
        };
        // Only an absurd RTO overflows an Instant; then the deadline is as late as we can say.
        now.checked_add(wait)
            .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
            .unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTO: Duration = Duration::from_millis(500);

    /// The one place the tests read the clock: an arbitrary origin for virtual time.
    use crate::test_support::epoch;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn stun_retransmit_rfc8489_schedule() {
        // RFC 8489 section 6.2.1: with RTO 500 ms, sends at 0, 500, 1500, 3500, 7500, 15500 and
        // 31500 ms; failure at 39500 ms (Rm = 16 RTOs after the last send).
        let start = epoch();
        let mut timer = RetransmitTimer::new(start, RTO);
        assert_eq!(timer.transmits(), 1);
        let mut sends = vec![0];
        let mut failed_at = None;
        for t in (0..=45_000).step_by(10) {
            match timer.handle_timeout(start + ms(t)) {
                TimerOutcome::Wait => {}
                TimerOutcome::Retransmit => sends.push(t),
                TimerOutcome::TimedOut => {
                    failed_at.get_or_insert(t);
                }
            }
        }
        assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(failed_at, Some(39_500));
        assert_eq!(timer.transmits(), 7);
        assert!(timer.is_timed_out());
    }

    #[test]
    fn stun_retransmit_deadlines() {
        let start = epoch();
        let mut timer = RetransmitTimer::new(start, RTO);
        let expected = [500, 1500, 3500, 7500, 15500, 31500, 39500];
        for (i, &at) in expected.iter().enumerate() {
            assert_eq!(timer.deadline(), start + ms(at), "deadline {i}");
            // Early and repeated calls do nothing.
            assert_eq!(timer.handle_timeout(start + ms(at - 1)), TimerOutcome::Wait);
            let outcome = timer.handle_timeout(start + ms(at));
            if i + 1 < expected.len() {
                assert_eq!(outcome, TimerOutcome::Retransmit);
            } else {
                assert_eq!(outcome, TimerOutcome::TimedOut);
            }
        }
        assert_eq!(
            timer.handle_timeout(start + ms(100_000)),
            TimerOutcome::TimedOut
        );
    }

    #[test]
    fn stun_retransmit_custom_limits() {
        let start = epoch();
        // Rc = 1: no retransmission, fail after Rm × RTO.
        let mut timer = RetransmitTimer::with_limits(start, ms(100), 1, 4);
        assert_eq!(timer.deadline(), start + ms(400));
        assert_eq!(
            timer.handle_timeout(start + ms(400)),
            TimerOutcome::TimedOut
        );
        // Rc = 0 is treated as 1.
        let timer = RetransmitTimer::with_limits(start, ms(100), 0, 4);
        assert_eq!(timer.transmits(), 1);
        // A late call measures the next interval from when the retransmission happened.
        let mut timer = RetransmitTimer::with_limits(start, ms(100), 3, 2);
        assert_eq!(
            timer.handle_timeout(start + ms(250)),
            TimerOutcome::Retransmit
        );
        assert_eq!(timer.deadline(), start + ms(450));
    }

    #[test]
    fn stun_retransmit_huge_rto_does_not_panic() {
        let start = epoch();
        let mut timer = RetransmitTimer::new(start, Duration::MAX);
        let _ = timer.handle_timeout(start + ms(1));
        let _ = timer.deadline();
    }

    #[test]
    fn stun_retransmit_capped_interval() {
        let t0 = epoch();
        let ms = Duration::from_millis;
        let mut timer = RetransmitTimer::with_limits(t0, ms(250), 8, 8).with_max_interval(ms(1000));
        let mut sends = vec![Duration::ZERO];
        loop {
            let at = timer.deadline();
            match timer.handle_timeout(at) {
                TimerOutcome::Retransmit => sends.push(at - t0),
                TimerOutcome::TimedOut => break,
                TimerOutcome::Wait => unreachable!("called at the deadline"),
            }
        }
        let expected: Vec<Duration> = [0, 250, 750, 1750, 2750, 3750, 4750, 5750].map(ms).to_vec();
        assert_eq!(sends, expected);
        assert_eq!(timer.deadline() - t0, ms(7750));
    }
}

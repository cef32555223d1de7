//! Receiver-side generic NACK generation (RFC 4585 section 6.2.1): which sequence numbers to
//! ask for again, bounded in memory and rate-limited per packet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::SeqNo;

/// One missing packet.
#[derive(Debug, Clone, Copy)]
struct Missing {
    seq: SeqNo,
    last_sent: Option<Instant>,
    tries: u8,
}

/// Tracks gaps in one incoming stream's sequence numbers and says which to NACK when.
///
/// Feed every packet of the stream (originals, and the originals recovered from RTX) to
/// [`handle_packet`](Self::handle_packet); call [`poll_nack`](Self::poll_nack) when
/// building RTCP. A missing packet is asked for at most `max_tries` times, no more often
/// than `resend_after` (about one RTT); at most `max_missing` are tracked, oldest evicted
/// first. Nothing allocates after construction.
#[derive(Debug, Clone)]
pub struct NackGenerator {
    highest: Option<SeqNo>,
    missing: VecDeque<Missing>,
    max_missing: usize,
    max_tries: u8,
    evicted: u64,
    given_up: u64,
}

impl NackGenerator {
    /// A generator tracking at most `max_missing` gaps, each asked for `max_tries` times.
    pub fn new(max_missing: usize, max_tries: u8) -> Self {
        Self {
            highest: None,
            missing: VecDeque::with_capacity(max_missing),
            max_missing,
            max_tries,
            evicted: 0,
            given_up: 0,
        }
    }

    /// Records that `seq` arrived.
    pub fn handle_packet(&mut self, seq: SeqNo) {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            return;
        };
        let ahead = highest.distance_to(seq);
        if ahead > 0 {
            let gap = ahead as usize - 1;
            let skip = gap.saturating_sub(self.max_missing);
            if skip > 0 {
                self.evicted += (self.missing.len() + skip) as u64;
                self.missing.clear();
            }
            let mut s = SeqNo(highest.0.wrapping_add(1 + skip as u16));
            while s != seq {
                if self.missing.len() == self.max_missing {
                    self.missing.pop_front();
                    self.evicted += 1;
                }
                self.missing.push_back(Missing {
                    seq: s,
                    last_sent: None,
                    tries: 0,
                });
                s = s.next();
            }
            self.highest = Some(seq);
        } else if let Some(i) = self.missing.iter().position(|m| m.seq == seq) {
            self.missing.remove(i);
        }
    }

    /// Writes into `out` the sequence numbers to NACK now, oldest first, and returns how
    /// many. Each one written counts as a try; a packet asked for `max_tries` times is
    /// given up.
    pub fn poll_nack(&mut self, now: Instant, resend_after: Duration, out: &mut [SeqNo]) -> usize {
        let mut n = 0;
        for m in &mut self.missing {
            if n == out.len() {
                break;
            }
            let due = m
                .last_sent
                .is_none_or(|t| now.saturating_duration_since(t) >= resend_after);
            if due && m.tries < self.max_tries {
                m.last_sent = Some(now);
                m.tries += 1;
                out[n] = m.seq;
                n += 1;
            }
        }
        let before = self.missing.len();
        let max_tries = self.max_tries;
        self.missing
            .retain(|m| m.tries < max_tries || m.last_sent.is_some_and(|t| t == now));
        self.given_up += (before - self.missing.len()) as u64;
        n
    }

    /// Whether [`poll_nack`](Self::poll_nack) at `now` would write anything: a tracked gap
    /// with tries left, never asked for or last asked for at least `resend_after` ago.
    pub fn has_due(&self, now: Instant, resend_after: Duration) -> bool {
        self.missing.iter().any(|m| {
            m.tries < self.max_tries
                && m.last_sent
                    .is_none_or(|t| now.saturating_duration_since(t) >= resend_after)
        })
    }

    /// Gaps currently tracked.
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    /// Gaps evicted unrecovered because more than `max_missing` were open.
    pub const fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Gaps given up after `max_tries` NACKs.
    pub const fn given_up(&self) -> u64 {
        self.given_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::epoch;

    #[test]
    fn nack_gaps_across_wrap_and_recovery() {
        let t0 = epoch();
        let mut g = NackGenerator::new(64, 3);
        for s in [65533u16, 65534, 1, 3] {
            g.handle_packet(SeqNo(s));
        }
        let mut out = [SeqNo(0); 16];
        let n = g.poll_nack(t0, Duration::from_millis(100), &mut out);
        assert_eq!(out[..n], [SeqNo(65535), SeqNo(0), SeqNo(2)]);
        // Rate-limited: nothing again before resend_after.
        assert_eq!(
            g.poll_nack(
                t0 + Duration::from_millis(50),
                Duration::from_millis(100),
                &mut out
            ),
            0
        );
        g.handle_packet(SeqNo(0));
        let n = g.poll_nack(
            t0 + Duration::from_millis(100),
            Duration::from_millis(100),
            &mut out,
        );
        assert_eq!(out[..n], [SeqNo(65535), SeqNo(2)]);
        // Third and last try, then given up.
        let n = g.poll_nack(
            t0 + Duration::from_millis(200),
            Duration::from_millis(100),
            &mut out,
        );
        assert_eq!(n, 2);
        assert_eq!(
            g.poll_nack(
                t0 + Duration::from_millis(300),
                Duration::from_millis(100),
                &mut out
            ),
            0
        );
        assert_eq!((g.missing(), g.given_up()), (0, 2));
    }

    #[test]
    fn nack_bounded_by_max_missing() {
        let t0 = epoch();
        let mut g = NackGenerator::new(8, 5);
        g.handle_packet(SeqNo(0));
        g.handle_packet(SeqNo(1000));
        assert_eq!(g.missing(), 8);
        assert_eq!(g.evicted(), 999 - 8);
        let mut out = [SeqNo(0); 4];
        assert_eq!(g.poll_nack(t0, Duration::ZERO, &mut out), 4);
        assert_eq!(out[0], SeqNo(992));
    }
}

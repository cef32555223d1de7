//! Reception statistics of one incoming RTP stream (RFC 3550 section 6.4.1 and appendix
//! A.3 and A.8), and the NTP time and round-trip arithmetic of SR/RR.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::wire::ReportBlock;
use super::{RtpTimestamp, SeqNo, Ssrc};

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Sequence numbers further ahead than this are a restart or a jump, not progress
/// (RFC 3550 appendix A.1's `MAX_DROPOUT`).
const MAX_DROPOUT: u16 = 3000;

/// A 64-bit NTP timestamp: 32.32 fixed-point seconds since 1900 (RFC 3550 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The NTP time of `now`, given that `epoch` was the wall-clock time `wall_epoch`:
    /// derived, never read from a clock. Instants before `epoch` map to `wall_epoch`.
    pub fn at(wall_epoch: SystemTime, epoch: Instant, now: Instant) -> Self {
        let wall = wall_epoch + now.saturating_duration_since(epoch);
        let since_unix = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since_unix.as_secs() + NTP_UNIX_OFFSET;
        let frac = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
        Self(secs << 32 | frac)
    }

    /// The middle 32 bits, as carried in LSR (RFC 3550 section 6.4.1).
    pub const fn middle(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// The round-trip time from a report block about our stream received at `now`: `A - LSR -
/// DLSR` in 1/65536 s (RFC 3550 section 6.4.1). `None` if the block carries no LSR.
pub fn round_trip_time(now: NtpTime, block: &ReportBlock) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = now
        .middle()
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    // A negative result (clock skew, a bogus report) wraps to a huge value: drop it.
    if rtt > 0x8000_0000 {
        return None;
    }
    Some(Duration::from_nanos((u64::from(rtt) * 1_000_000_000) >> 16))
}

/// Reception statistics of one source: extended highest sequence number, loss, jitter, and
/// the last SR, from which [`ReceiverStats::report_block`] makes an RR report block.
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    ssrc: Ssrc,
    clock_rate: u32,
    /// Set by the first packet: the extended sequence number base and arrival epoch.
    started: Option<Started>,
    max_seq: SeqNo,
    cycles: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Jitter times 16, in timestamp units (RFC 3550 appendix A.8).
    jitter_q4: u64,
    last_transit: Option<i64>,
    last_sr: Option<(NtpTime, Instant)>,
}

#[derive(Debug, Clone, Copy)]
struct Started {
    base_seq: u16,
    epoch: Instant,
}

impl ReceiverStats {
    /// Statistics for `ssrc`, whose RTP clock runs at `clock_rate` Hz.
    pub fn new(ssrc: Ssrc, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate: clock_rate.max(1),
            started: None,
            max_seq: SeqNo(0),
            cycles: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            jitter_q4: 0,
            last_transit: None,
            last_sr: None,
        }
    }

    /// Records a packet of this source that arrived at `now`.
    pub fn handle_packet(&mut self, now: Instant, seq: SeqNo, timestamp: RtpTimestamp) {
        let started = *self.started.get_or_insert(Started {
            base_seq: seq.0,
            epoch: now,
        });
        if self.received == 0 {
            self.max_seq = seq;
        } else {
            let delta = seq.0.wrapping_sub(self.max_seq.0);
            if delta != 0 && delta < MAX_DROPOUT {
                if seq.0 < self.max_seq.0 {
                    self.cycles = self.cycles.wrapping_add(1 << 16);
                }
                self.max_seq = seq;
            }
        }
        self.received += 1;
        // Jitter (appendix A.8): arrival in timestamp units minus the timestamp.
        let arrival = now.saturating_duration_since(started.epoch).as_nanos()
            * u128::from(self.clock_rate)
            / 1_000_000_000;
        let transit = (arrival as i64).wrapping_sub(i64::from(timestamp.0));
        if let Some(last) = self.last_transit {
            // |D| in timestamp units, kept times 16; a timestamp jump is clamped to the
            // 32-bit range the report can carry.
            let d = transit
                .wrapping_sub(last)
                .unsigned_abs()
                .min(u64::from(u32::MAX))
                << 4;
            // J += (|D| - J) / 16, kept times 16.
            self.jitter_q4 = (self.jitter_q4 * 15 + d) / 16;
        }
        self.last_transit = Some(transit);
    }

    /// Records a sender report from this source, received at `now`.
    pub fn handle_sender_report(&mut self, now: Instant, ntp: NtpTime) {
        self.last_sr = Some((ntp, now));
    }

    /// Packets received, duplicates included.
    pub const fn received(&self) -> u64 {
        self.received
    }

    /// The extended highest sequence number received.
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq.0))
    }

    fn expected(&self) -> u64 {
        match self.started {
            Some(s) => {
                (u64::from(self.extended_highest_seq()) + 1).saturating_sub(u64::from(s.base_seq))
            }
            None => 0,
        }
    }

    /// Packets lost since the start: expected minus received (negative with duplicates).
    pub fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// The interarrival jitter in timestamp units.
    pub const fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// The report block for an RR or SR sent at `now`. Starts a new interval for the
    /// fraction lost (RFC 3550 appendix A.3).
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((ntp, at)) => {
                let delay = now.saturating_duration_since(at);
                let units = (delay.as_nanos() << 16) / 1_000_000_000;
                (ntp.middle(), u32::try_from(units).unwrap_or(u32::MAX))
            }
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-(1 << 23), (1 << 23) - 1) as i32,
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::epoch;

    #[test]
    fn rtcp_report_loss_and_wrap() {
        let t0 = epoch();
        let mut s = ReceiverStats::new(Ssrc(1), 90_000);
        // 65530..=65535 then 0..10, with 65533 and 2, 3 lost, and 5 duplicated.
        let mut n = 0;
        for seq in (65530u16..=65535).chain(0..10) {
            if [65533, 2, 3].contains(&seq) {
                continue;
            }
            let now = t0 + Duration::from_millis(20 * n);
            s.handle_packet(now, SeqNo(seq), RtpTimestamp(1800 * n as u32));
            if seq == 5 {
                s.handle_packet(now, SeqNo(seq), RtpTimestamp(1800 * n as u32));
            }
            n += 1;
        }
        assert_eq!(s.extended_highest_seq(), 65536 + 9);
        // 16 expected, 13 distinct + 1 duplicate received.
        assert_eq!(s.cumulative_lost(), 2);
        let block = s.report_block(t0);
        assert_eq!(block.cumulative_lost, 2);
        assert_eq!(block.fraction_lost, (2 * 256 / 16) as u8);
        assert_eq!(block.jitter, 0, "perfectly paced");
        // A new interval with nothing lost.
        s.handle_packet(t0, SeqNo(10), RtpTimestamp(0));
        assert_eq!(s.report_block(t0).fraction_lost, 0);
    }

    #[test]
    fn rtcp_report_jitter_converges() {
        // Arrivals alternate 10 ms early and late around a 20 ms pacing: |D| = 20 ms each
        // time, so J converges to 20 ms = 1800 units at 90 kHz.
        let t0 = epoch();
        let mut s = ReceiverStats::new(Ssrc(1), 90_000);
        for n in 0..400u32 {
            let wobble = if n % 2 == 0 { 0 } else { 20 };
            let now = t0 + Duration::from_millis(u64::from(20 * n + wobble));
            s.handle_packet(now, SeqNo(n as u16), RtpTimestamp(1800 * n));
        }
        let j = s.jitter();
        assert!((1790..=1800).contains(&j), "{j}");
    }

    #[test]
    fn rtcp_report_rtt_from_lsr_dlsr() {
        let t0 = epoch();
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // The sender sends an SR at t0; the receiver gets it 40 ms later, reports 100 ms
        // after that; the RR arrives 40 ms later: RTT 80 ms.
        let sr_ntp = NtpTime::at(wall, t0, t0);
        let mut s = ReceiverStats::new(Ssrc(1), 48_000);
        s.handle_sender_report(t0 + Duration::from_millis(40), sr_ntp);
        let block = s.report_block(t0 + Duration::from_millis(140));
        let now = NtpTime::at(wall, t0, t0 + Duration::from_millis(180));
        let rtt = round_trip_time(now, &block).unwrap();
        assert!(
            rtt.abs_diff(Duration::from_millis(80)) < Duration::from_micros(50),
            "{rtt:?}"
        );
        assert_eq!(
            round_trip_time(now, &ReportBlock::default()),
            None,
            "no LSR, no RTT"
        );
    }

    #[test]
    fn ntp_time_of_unix_epoch() {
        let t0 = epoch();
        let ntp = NtpTime::at(UNIX_EPOCH, t0, t0 + Duration::from_millis(500));
        assert_eq!(ntp.0 >> 32, NTP_UNIX_OFFSET);
        assert_eq!(ntp.0 & 0xFFFF_FFFF, 1 << 31);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn rtcp_report_never_panics(
            packets in proptest::collection::vec(
                (proptest::prelude::any::<u16>(), proptest::prelude::any::<u32>(), 0u64..5_000_000),
                0..100,
            ),
        ) {
            let t0 = epoch();
            let mut s = ReceiverStats::new(Ssrc(1), 90_000);
            let mut nack = crate::rtp::NackGenerator::new(32, 3);
            let mut out = [SeqNo(0); 8];
            for (seq, ts, micros) in packets {
                let now = t0 + Duration::from_micros(micros);
                s.handle_packet(now, SeqNo(seq), RtpTimestamp(ts));
                nack.handle_packet(SeqNo(seq));
                let _ = nack.poll_nack(now, Duration::from_millis(10), &mut out);
                proptest::prop_assert!(nack.missing() <= 32);
                let _ = s.report_block(now);
            }
        }
    }
}

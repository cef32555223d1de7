//! Receiver-side transport-wide congestion control feedback generation
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3): arrival times by
//! transport-wide sequence number, turned into [`TwccBuilder`]s.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::wire::{DELTA_UNIT_MICROS, TwccBuilder, TwccStatus};
use super::{SeqNo, Ssrc};

/// The reference time unit (section 3.1): 64 ms.
const REFERENCE_UNIT_MICROS: i64 = 64_000;

/// Records when each transport-wide sequence number arrived and writes the feedback.
///
/// [`handle_packet`](Self::handle_packet) for every packet carrying the transport-wide
/// sequence number extension; [`feedback`](Self::feedback) when sending RTCP (typically
/// every 50 to 100 ms). At most `capacity` arrivals are kept; older unreported ones are
/// dropped first. Nothing allocates after construction.
#[derive(Debug, Clone)]
pub struct TwccRecorder {
    epoch: Option<Instant>,
    /// Extended sequence number and arrival, ordered by sequence number.
    arrivals: VecDeque<(u64, Instant)>,
    capacity: usize,
    highest: Option<u64>,
    /// The first sequence number not yet reported.
    next_base: Option<u64>,
    feedback_count: u8,
}

impl TwccRecorder {
    /// A recorder keeping at most `capacity` arrivals.
    pub fn new(capacity: usize) -> Self {
        Self {
            epoch: None,
            arrivals: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
            highest: None,
            next_base: None,
            feedback_count: 0,
        }
    }

    /// Records that the packet with transport-wide sequence number `seq` arrived at `now`.
    pub fn handle_packet(&mut self, now: Instant, seq: SeqNo) {
        self.epoch.get_or_insert(now);
        let ext = match self.highest {
            None => u64::from(seq.0) + (1 << 16),
            Some(h) => {
                let d = i64::from(SeqNo((h & 0xFFFF) as u16).distance_to(seq));
                h.saturating_add_signed(d)
            }
        };
        if self.next_base.is_some_and(|b| ext < b) {
            return; // Already reported as lost: too late.
        }
        self.highest = Some(self.highest.map_or(ext, |h| h.max(ext)));
        let at = self.arrivals.iter().rposition(|&(s, _)| s <= ext);
        // The index to insert at, after dropping the oldest arrival if full (so the deque
        // never grows past its initial capacity).
        let insert_at = match at {
            Some(i) if self.arrivals[i].0 == ext => return, // duplicate
            Some(i) if self.arrivals.len() >= self.capacity => {
                self.arrivals.pop_front();
                i
            }
            Some(i) => i + 1,
            // Older than everything kept, and no room: it would be the one dropped.
            None if self.arrivals.len() >= self.capacity => return,
            None => 0,
        };
        self.arrivals.insert(insert_at, (ext, now));
    }

    /// Arrivals recorded and not yet written in a feedback.
    pub fn unreported(&self) -> usize {
        self.arrivals.len()
    }

    /// Writes the statuses of every packet from the first unreported sequence number up to
    /// the highest received into `scratch` (at most its length) and returns the feedback to
    /// emit, or `None` when nothing new arrived.
    pub fn feedback<'a>(
        &mut self,
        sender_ssrc: Ssrc,
        media_ssrc: Ssrc,
        scratch: &'a mut [TwccStatus],
    ) -> Option<TwccBuilder<'a>> {
        let epoch = self.epoch?;
        let &(first_seq, first_at) = self.arrivals.front()?;
        let base = self.next_base.map_or(first_seq, |b| b.min(first_seq));
        let micros = |t: Instant| t.saturating_duration_since(epoch).as_micros() as i64;
        let reference = micros(first_at).div_euclid(REFERENCE_UNIT_MICROS);
        // Deltas are taken from the quantized previous time, so rounding does not drift.
        let mut prev = reference * REFERENCE_UNIT_MICROS;
        let mut n = 0usize;
        let mut used = 0usize;
        let mut seq = base;
        while let Some(&(s, at)) = self.arrivals.get(used) {
            if n == scratch.len() {
                break;
            }
            if s != seq {
                scratch[n] = TwccStatus::NotReceived;
            } else {
                let Some(status) = TwccStatus::received(micros(at) - prev) else {
                    break; // The rest goes in the next feedback.
                };
                prev += status.delta_micros().unwrap_or(0);
                scratch[n] = status;
                used += 1;
            }
            n += 1;
            seq += 1;
        }
        if used == 0 {
            return None;
        }
        self.arrivals.drain(..used);
        self.next_base = Some(seq);
        let count = self.feedback_count;
        self.feedback_count = count.wrapping_add(1);
        Some(TwccBuilder {
            sender_ssrc,
            media_ssrc,
            base_sequence_number: SeqNo((base & 0xFFFF) as u16),
            reference_time: (reference as u32) & 0x00FF_FFFF,
            feedback_count: count,
            statuses: &scratch[..n],
        })
    }
}

/// The arrival offsets, relative to the reference time's epoch, that a parsed feedback
/// describes: `reference_time * 64 ms` plus the running sum of deltas. Handy for a sender
/// matching feedback to its send times.
pub fn twcc_arrival_offset(reference_time: u32, deltas_micros: i64) -> Duration {
    let micros = i64::from(reference_time) * REFERENCE_UNIT_MICROS + deltas_micros;
    Duration::from_micros(micros.max(0) as u64)
}

const _: () = assert!(REFERENCE_UNIT_MICROS % DELTA_UNIT_MICROS == 0);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::wire::{Compound, Rtcp};

    use crate::test_support::epoch;

    #[test]
    fn twcc_feedback_reconstructs_arrivals() {
        let t0 = epoch();
        let mut rec = TwccRecorder::new(1000);
        // Sequence numbers across the wrap; 65534 and 2 lost, 1 arrives before 0.
        let arrivals: Vec<(u16, u64)> = vec![
            (65530, 100_000),
            (65531, 101_300),
            (65532, 103_000),
            (65533, 180_000),
            (65535, 180_250),
            (1, 181_000),
            (0, 181_100),
            (3, 150_000), // arrives "earlier" than its predecessors: a negative delta
        ];
        for &(seq, us) in &arrivals {
            rec.handle_packet(t0 + Duration::from_micros(us), SeqNo(seq));
        }
        let mut scratch = [TwccStatus::NotReceived; 64];
        let fb = rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).unwrap();
        let mut buf = [0u8; 128];
        let len = fb.emit(&mut buf).unwrap();
        let Some(Ok(packet)) = Compound::new(&buf[..len]).next() else {
            panic!()
        };
        let Ok(Rtcp::Twcc(t)) = packet.parse() else {
            panic!()
        };
        assert_eq!(t.base_sequence_number(), SeqNo(65530));
        assert_eq!(t.status_count(), 10);
        let mut sum = 0;
        let mut got = Vec::new();
        for (seq, status) in t.statuses() {
            if let Some(d) = status.delta_micros() {
                sum += d;
                got.push((seq.0, twcc_arrival_offset(t.reference_time(), sum)));
            }
        }
        let mut expected: Vec<(u16, u64)> = arrivals;
        expected.sort_by_key(|&(s, _)| s.wrapping_sub(65530));
        assert_eq!(got.len(), expected.len());
        for ((seq, at), (e_seq, e_us)) in got.iter().zip(&expected) {
            assert_eq!(seq, e_seq);
            // Offsets count from the recorder's epoch, the first arrival (at 100 ms).
            let err = at.as_micros() as i64 - (*e_us as i64 - 100_000);
            assert!(err.abs() <= 125, "seq {seq}: {at:?} vs {e_us} us");
        }
        // Everything reported: nothing new until more arrives; a late packet is ignored.
        assert!(rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).is_none());
        rec.handle_packet(t0 + Duration::from_millis(300), SeqNo(2));
        assert!(rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).is_none());
        rec.handle_packet(t0 + Duration::from_millis(301), SeqNo(4));
        let fb = rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).unwrap();
        assert_eq!(fb.base_sequence_number, SeqNo(4));
        assert_eq!(fb.feedback_count, 1);
    }

    #[test]
    fn twcc_feedback_bounded() {
        let t0 = epoch();
        let mut rec = TwccRecorder::new(16);
        for i in 0..100u16 {
            rec.handle_packet(t0 + Duration::from_millis(u64::from(i)), SeqNo(i));
        }
        let mut scratch = [TwccStatus::NotReceived; 8];
        let fb = rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).unwrap();
        assert_eq!(fb.base_sequence_number, SeqNo(84));
        assert_eq!(fb.statuses.len(), 8);
        let fb = rec.feedback(Ssrc(1), Ssrc(2), &mut scratch).unwrap();
        assert_eq!(fb.base_sequence_number, SeqNo(92));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn twcc_feedback_never_panics_and_parses(
            packets in proptest::collection::vec(
                (proptest::prelude::any::<u16>(), 0u64..100_000_000),
                1..80,
            ),
            every in 1usize..20,
        ) {
            let t0 = epoch();
            let mut rec = TwccRecorder::new(32);
            let mut scratch = [TwccStatus::NotReceived; 40];
            let mut buf = [0u8; 256];
            for (i, (seq, us)) in packets.into_iter().enumerate() {
                rec.handle_packet(t0 + Duration::from_micros(us), SeqNo(seq));
                proptest::prop_assert!(rec.arrivals.len() <= 32);
                if i % every == 0
                    && let Some(fb) = rec.feedback(Ssrc(1), Ssrc(2), &mut scratch)
                {
                    let len = fb.emit(&mut buf).unwrap();
                    let packet = Compound::new(&buf[..len]).next().unwrap().unwrap();
                    let Ok(Rtcp::Twcc(t)) = packet.parse() else { panic!() };
                    proptest::prop_assert_eq!(usize::from(t.status_count()), fb.statuses.len());
                }
            }
        }
    }
}

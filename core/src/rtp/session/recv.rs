//! One receive stream's state: reception statistics for the RR, duplicate detection, NACK
//! gaps, and the keyframe requests waiting to be sent.

use std::time::{Duration, Instant};

use super::config::{RecvStreamConfig, RtxConfig};
use super::event::Received;
use super::stats::RecvStats;
use crate::rtp::wire::{Packet, ReportBlock, SenderInfo};
use crate::rtp::{NackGenerator, NtpTime, ReceiverStats, SeqNo, Ssrc};

/// How far back [`SeqWindow`] remembers which sequence numbers arrived.
const WINDOW: u32 = 128;

/// A stream we receive.
#[derive(Debug, Clone)]
pub(crate) struct RecvStream {
    pub(crate) ssrc: Ssrc,
    clock_rate: u32,
    pub(crate) rtx: Option<RtxConfig>,
    /// Originals only: retransmissions would count late packets as arrivals and skew the
    /// jitter (libwebrtc does the same).
    reception: ReceiverStats,
    pub(crate) nack: Option<NackGenerator>,
    window: SeqWindow,
    /// A report block is owed in the next regular report.
    pub(crate) report_due: bool,
    /// The NACK timer found packets to ask for.
    pub(crate) nack_due: bool,
    pub(crate) pli_pending: bool,
    pub(crate) fir_pending: bool,
    fir_seq: u8,
    stats: RecvStats,
}

impl RecvStream {
    pub(crate) fn new(config: RecvStreamConfig, nack_max_missing: usize, nack_tries: u8) -> Self {
        Self {
            ssrc: config.ssrc,
            clock_rate: config.clock_rate,
            reception: ReceiverStats::new(config.ssrc, config.clock_rate),
            nack: config
                .nack
                .then(|| NackGenerator::new(nack_max_missing.max(1), nack_tries)),
            rtx: config.rtx,
            window: SeqWindow::default(),
            report_due: false,
            nack_due: false,
            pli_pending: false,
            fir_pending: false,
            fir_seq: 0,
            stats: RecvStats {
                ssrc: config.ssrc,
                ..RecvStats::default()
            },
        }
    }

    pub(crate) fn rtx_ssrc(&self) -> Option<Ssrc> {
        self.rtx.as_ref().map(|r| r.ssrc)
    }

    pub(crate) fn has_received(&self) -> bool {
        self.reception.received() > 0
    }

    pub(crate) fn nack_missing(&self) -> usize {
        self.nack.as_ref().map_or(0, NackGenerator::missing)
    }

    /// Takes in an original packet of this stream (`len` bytes) that arrived at `now`.
    pub(crate) fn handle_media(
        &mut self,
        now: Instant,
        packet: &Packet<&[u8]>,
        len: usize,
    ) -> Received {
        let seq = packet.sequence_number();
        if !self.window.insert(seq) {
            self.stats.packets_duplicated += 1;
            return Received::Duplicate {
                ssrc: self.ssrc,
                seq,
            };
        }
        self.reception.handle_packet(now, seq, packet.timestamp());
        if let Some(nack) = &mut self.nack {
            nack.handle_packet(seq);
        }
        let payload = packet.payload().len() as u64;
        self.stats.packets_received += 1;
        self.stats.bytes_received += payload;
        self.stats.header_bytes_received += len as u64 - payload;
        Received::Media {
            ssrc: self.ssrc,
            seq,
            len,
            repaired: false,
        }
    }

    /// Takes in an original recovered from an RTX packet, now `len` bytes in place.
    pub(crate) fn handle_repaired(&mut self, seq: SeqNo, len: usize) -> Received {
        self.stats.rtx_packets_received += 1;
        if !self.window.insert(seq) {
            self.stats.packets_duplicated += 1;
            return Received::Duplicate {
                ssrc: self.ssrc,
                seq,
            };
        }
        if let Some(nack) = &mut self.nack {
            nack.handle_packet(seq);
        }
        self.stats.packets_repaired += 1;
        Received::Media {
            ssrc: self.ssrc,
            seq,
            len,
            repaired: true,
        }
    }

    /// Counts an RTX packet with nothing to unwrap (padding for bandwidth probing).
    pub(crate) fn handle_rtx_padding(&mut self) {
        self.stats.rtx_packets_received += 1;
    }

    /// Takes in a sender report from this source.
    pub(crate) fn handle_sender_report(&mut self, now: Instant, info: &SenderInfo) {
        self.reception
            .handle_sender_report(now, NtpTime(info.ntp_time));
        self.stats.sender_reports_received += 1;
        self.stats.remote_packets_sent = info.packet_count;
        self.stats.remote_bytes_sent = info.octet_count;
    }

    pub(crate) fn handle_bye(&mut self) {
        self.stats.bye_received = true;
    }

    /// The report block for a report sent at `now`; starts a new loss interval.
    pub(crate) fn report_block(&mut self, now: Instant) -> ReportBlock {
        let block = self.reception.report_block(now);
        self.stats.fraction_lost = block.fraction_lost;
        block
    }

    /// Asks for a PLI, or a new FIR request, in the next RTCP packet.
    pub(crate) fn request_keyframe(&mut self, fir: bool) {
        if fir {
            if !self.fir_pending {
                self.fir_seq = self.fir_seq.wrapping_add(1);
            }
            self.fir_pending = true;
        } else {
            self.pli_pending = true;
        }
    }

    /// The FIR command sequence number of the pending request.
    pub(crate) const fn fir_seq(&self) -> u8 {
        self.fir_seq
    }

    pub(crate) fn has_nack_due(&self, now: Instant, resend_after: Duration) -> bool {
        self.nack_due
            && self
                .nack
                .as_ref()
                .is_some_and(|n| n.has_due(now, resend_after))
    }

    /// Writes into `out` the sequence numbers to NACK now and counts them as sent.
    pub(crate) fn poll_nack(
        &mut self,
        now: Instant,
        resend_after: Duration,
        out: &mut [SeqNo],
    ) -> usize {
        let Some(nack) = &mut self.nack else {
            return 0;
        };
        let n = nack.poll_nack(now, resend_after, out);
        self.nack_due = nack.has_due(now, resend_after);
        n
    }

    pub(crate) fn count_nack_sent(&mut self, lost: usize) {
        self.stats.nack_count += 1;
        self.stats.nacked_packets += lost as u64;
    }

    pub(crate) fn count_pli_sent(&mut self) {
        self.pli_pending = false;
        self.stats.pli_count += 1;
    }

    pub(crate) fn count_fir_sent(&mut self) {
        self.fir_pending = false;
        self.stats.fir_count += 1;
    }

    /// The figures now.
    pub(crate) fn stats(&self) -> RecvStats {
        let jitter = self.reception.jitter();
        let (missing, given_up, evicted) = self
            .nack
            .as_ref()
            .map_or((0, 0, 0), |n| (n.missing(), n.given_up(), n.evicted()));
        RecvStats {
            packets_lost: self.reception.cumulative_lost(),
            extended_highest_seq: self.reception.extended_highest_seq(),
            jitter,
            jitter_seconds: f64::from(jitter) / f64::from(self.clock_rate.max(1)),
            nack_missing: missing,
            nack_given_up: given_up,
            nack_evicted: evicted,
            ..self.stats
        }
    }
}

/// Which of the last [`WINDOW`] sequence numbers arrived, to tell duplicates.
#[derive(Debug, Clone, Copy, Default)]
struct SeqWindow {
    highest: Option<SeqNo>,
    /// Bit `i` is `highest - i`.
    bits: u128,
}

impl SeqWindow {
    /// Marks `seq` as arrived; `false` if it already had. Packets older than the window
    /// cannot be told apart and count as new.
    fn insert(&mut self, seq: SeqNo) -> bool {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            self.bits = 1;
            return true;
        };
        let ahead = i32::from(highest.distance_to(seq));
        if ahead > 0 {
            let shift = ahead as u32;
            self.bits = if shift >= WINDOW {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.highest = Some(seq);
            return true;
        }
        let back = (-ahead) as u32;
        if back >= WINDOW {
            return true;
        }
        let bit = 1u128 << back;
        let new = self.bits & bit == 0;
        self.bits |= bit;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_session_window_tells_duplicates() {
        let mut w = SeqWindow::default();
        assert!(w.insert(SeqNo(65535)));
        assert!(w.insert(SeqNo(1)));
        assert!(!w.insert(SeqNo(65535)));
        assert!(w.insert(SeqNo(0)));
        assert!(!w.insert(SeqNo(0)));
        assert!(w.insert(SeqNo(500)));
        assert!(w.insert(SeqNo(1)), "older than the window: cannot tell");
        assert!(!w.insert(SeqNo(500)));
    }
}

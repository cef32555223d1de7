//! One send stream's state: counters for the SR, the packet history answering NACKs, and the
//! queue of retransmissions waiting for `poll_retransmit`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::config::{RtxConfig, SendStreamConfig};
use super::stats::SendStats;
use crate::rtp::wire::{Packet, ReportBlock, SenderInfo};
use crate::rtp::{NtpTime, PacketHistory, RtpTimestamp, SeqNo, Ssrc, round_trip_time};

/// A stream we send.
#[derive(Debug, Clone)]
pub(crate) struct SendStream {
    pub(crate) ssrc: Ssrc,
    clock_rate: u32,
    rtx: Option<RtxConfig>,
    history: Option<PacketHistory>,
    rtx_seq: SeqNo,
    /// NACKed sequence numbers not yet retransmitted, oldest first; never grows past its
    /// initial capacity.
    pending: VecDeque<SeqNo>,
    /// When each packet of the history was last queued for retransmission, by the same
    /// slot as the history (sequence number modulo its length); allocated with it.
    resent: Vec<Option<(SeqNo, Instant)>>,
    max_pending: usize,
    /// The timestamp of the latest packet sent, and when, to extrapolate SR RTP times.
    last_sent: Option<(RtpTimestamp, Instant)>,
    /// The last FIR command sequence number seen (RFC 5104 section 4.3.1.2).
    last_fir_seq: Option<u8>,
    /// An SR is owed in the next regular report.
    pub(crate) sr_due: bool,
    pub(crate) stats: SendStats,
}

impl SendStream {
    pub(crate) fn new(
        config: SendStreamConfig,
        max_packet_len: usize,
        max_pending: usize,
        rtx_first_seq: SeqNo,
    ) -> Self {
        let history = config
            .nack
            .then(|| PacketHistory::new(config.history_len, max_packet_len));
        let max_pending = if config.nack { max_pending.max(1) } else { 0 };
        let resent = if config.nack {
            vec![None; config.history_len.max(1)]
        } else {
            Vec::new()
        };
        Self {
            ssrc: config.ssrc,
            clock_rate: config.clock_rate,
            rtx: config.rtx,
            history,
            rtx_seq: rtx_first_seq,
            pending: VecDeque::with_capacity(max_pending),
            resent,
            max_pending,
            last_sent: None,
            last_fir_seq: None,
            sr_due: false,
            stats: SendStats {
                ssrc: config.ssrc,
                ..SendStats::default()
            },
        }
    }

    pub(crate) fn rtx_ssrc(&self) -> Option<Ssrc> {
        self.rtx.as_ref().map(|r| r.ssrc)
    }

    pub(crate) fn has_sent(&self) -> bool {
        self.stats.packets_sent > 0
    }

    pub(crate) fn pending_retransmits(&self) -> usize {
        self.pending.len()
    }

    /// Records an original packet of this stream sent at `now`.
    pub(crate) fn on_sent(&mut self, now: Instant, bytes: &[u8], packet: &Packet<&[u8]>) {
        let payload = packet.payload().len() as u64;
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += payload;
        self.stats.header_bytes_sent += bytes.len() as u64 - payload;
        self.last_sent = Some((packet.timestamp(), now));
        if let Some(history) = &mut self.history {
            history.store(bytes);
        }
    }

    /// Queues the retransmission of each NACKed packet still in the history, unless it was
    /// queued less than `min_interval` (about a round trip) before `now`: the NACK crossed
    /// the retransmission on the way (RFC 4588 section 8.1 leaves the policy to the sender).
    pub(crate) fn handle_nack(
        &mut self,
        now: Instant,
        min_interval: Duration,
        lost: impl Iterator<Item = SeqNo>,
    ) {
        self.stats.nack_count += 1;
        for seq in lost {
            self.stats.nacked_packets += 1;
            let stored = self
                .history
                .as_ref()
                .is_some_and(|h| h.packet(seq).is_some());
            let i = usize::from(seq.0) % self.resent.len().max(1);
            let Some(slot) = self.resent.get_mut(i).filter(|_| stored) else {
                self.stats.retransmissions_missed += 1;
                continue;
            };
            let recent = slot.is_some_and(|(s, at)| {
                s == seq && now.saturating_duration_since(at) < min_interval
            });
            if recent || self.pending.contains(&seq) {
                self.stats.nacks_ignored += 1;
                continue;
            }
            if self.pending.len() < self.max_pending {
                self.pending.push_back(seq);
                *slot = Some((seq, now));
            } else {
                self.stats.retransmissions_missed += 1;
            }
        }
    }

    /// Whether a FIR with command sequence number `seq_nr` is a new request rather than a
    /// repeat of the last one (RFC 5104 section 4.3.1.2).
    pub(crate) fn handle_fir(&mut self, seq_nr: u8) -> bool {
        if self.last_fir_seq == Some(seq_nr) {
            return false;
        }
        self.last_fir_seq = Some(seq_nr);
        self.stats.fir_count += 1;
        true
    }

    /// Takes in a report block about this stream, received at NTP time `now`; returns the
    /// round-trip time it yields.
    pub(crate) fn handle_report_block(
        &mut self,
        now: NtpTime,
        block: &ReportBlock,
    ) -> Option<Duration> {
        self.stats.reports_received += 1;
        self.stats.remote_fraction_lost = block.fraction_lost;
        self.stats.remote_packets_lost = i64::from(block.cumulative_lost);
        self.stats.remote_jitter = block.jitter;
        let rtt = round_trip_time(now, block)?;
        self.stats.round_trip_time = Some(rtt);
        self.stats.round_trip_time_measurements += 1;
        Some(rtt)
    }

    /// The sender information of an SR sent at `now` (NTP time `ntp`): the RTP time is the
    /// latest packet's timestamp advanced by the time since it was sent.
    pub(crate) fn sender_info(&self, now: Instant, ntp: NtpTime) -> SenderInfo {
        let rtp_time = self.last_sent.map_or(RtpTimestamp(0), |(ts, at)| {
            let elapsed = now.saturating_duration_since(at).as_nanos();
            let ticks = elapsed * u128::from(self.clock_rate) / 1_000_000_000;
            RtpTimestamp(ts.0.wrapping_add(ticks as u32))
        });
        SenderInfo {
            ntp_time: ntp.0,
            rtp_time,
            // The fields are 32 bits and wrap (RFC 3550 section 6.4.1).
            packet_count: self.stats.packets_sent as u32,
            octet_count: self.stats.bytes_sent as u32,
        }
    }

    /// Writes the next queued retransmission into `buf`: RTX if configured for the
    /// original's payload type, the original as it was otherwise.
    pub(crate) fn poll_retransmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        while let Some(seq) = self.pending.pop_front() {
            let Some(history) = &self.history else {
                break;
            };
            let Some(stored) = history.packet(seq) else {
                self.stats.retransmissions_missed += 1;
                continue;
            };
            let Ok(original) = Packet::new_checked(stored) else {
                continue;
            };
            let payload = original.payload().len() as u64;
            let rtx = self
                .rtx
                .as_ref()
                .and_then(|r| Some((r.ssrc, r.rtx_pt_of(original.payload_type())?)));
            let written = match rtx {
                Some((rtx_ssrc, rtx_pt)) => {
                    let n = history.write_rtx(seq, rtx_ssrc, rtx_pt, self.rtx_seq, buf);
                    if n.is_some() {
                        self.rtx_seq = self.rtx_seq.next();
                    }
                    n
                }
                None => buf.get_mut(..stored.len()).map(|out| {
                    out.copy_from_slice(stored);
                    stored.len()
                }),
            };
            match written {
                Some(n) => {
                    self.stats.retransmitted_packets_sent += 1;
                    self.stats.retransmitted_bytes_sent += payload;
                    return Some(n);
                }
                None => self.stats.retransmissions_missed += 1,
            }
        }
        None
    }
}

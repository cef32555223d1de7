//! Output: compound RTCP (reports, SDES, feedback) and retransmissions answering NACKs.

use std::time::{Duration, Instant};

use super::RtpSession;
use super::recv::RecvStream;
use crate::rtp::wire::{
    ByeBuilder, FirBuilder, FirEntry, NackBuilder, Pli, ReceiverReportBuilder, ReportBlock,
    SdesBuilder, SdesItem, SenderReportBuilder, TwccStatus,
};
use crate::rtp::{NtpTime, SeqNo, Ssrc};

/// The smallest buffer [`RtpSession::poll_rtcp`] is sure to write into: an SR with one report
/// block (52 bytes), an SDES with a 255-byte CNAME (268 bytes), a PLI and a FIR (32 bytes),
/// rounded up. With less, a report that does not fit stays pending and `poll_rtcp` returns
/// `None`.
pub const MIN_RTCP_BUFFER: usize = 400;

/// The most report blocks in one SR or RR: its count field has 5 bits.
const MAX_BLOCKS: usize = 31;

/// The most sequence numbers one NACK packet asks for; the rest wait for the next packet.
/// Bounds the stack buffer they are gathered in.
const MAX_NACKS_PER_PACKET: usize = 64;

/// The most packet statuses in one transport-wide feedback; the rest wait for the next.
/// Bounds the stack buffer they are gathered in.
const MAX_TWCC_STATUSES: usize = 512;
/// A transport-wide feedback's headers before its chunks.
const TWCC_FIXED_LEN: usize = 20;
/// The RTCP common header.
const RTCP_HEADER_LEN: usize = 4;
/// An SR without report blocks.
const SR_LEN: usize = 28;
/// An RR without report blocks.
const RR_LEN: usize = 8;
/// One report block.
const BLOCK_LEN: usize = 24;
/// A generic NACK's headers before its first (PID, BLP) pair.
const NACK_HEADER_LEN: usize = 12;

impl RtpSession {
    /// Writes the next RTCP packet due at `now` into `buf` and returns its length, or `None`
    /// when nothing is due. The caller SRTCP-protects it, so `buf` must leave room for the
    /// SRTCP trailer in the datagram: pass `&mut datagram[..mtu - overhead]` with `overhead`
    /// from [`Profile::rtcp_overhead`](crate::srtp::Profile::rtcp_overhead) (at most 20
    /// bytes), and at least [`MIN_RTCP_BUFFER`] bytes.
    ///
    /// A regular report is a compound packet (RFC 3550 section 6.1): an SR for each send
    /// stream that has sent, or an RR, carrying a report block for each receive stream that
    /// has received (more RRs when they do not fit one packet), then SDES with the CNAME,
    /// then any feedback due: PLI, FIR and generic NACK per receive stream, and last a BYE
    /// for send streams removed since the previous packet. Feedback due
    /// between reports goes at once (RFC 4585 section 3.5.2), after an RR without report
    /// blocks and SDES, or alone with [reduced-size RTCP](super::SessionConfig::reduced_size).
    /// Feedback that does not fit `buf` waits for the next call; report blocks and SRs that
    /// do not fit wait for the next regular report.
    pub fn poll_rtcp(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let now = self.clamp(now);
        let resend_after = self.nack_resend_after();
        let feedback = self.twcc_due
            || !self.bye_pending.is_empty()
            || self
                .recv
                .iter()
                .any(|r| r.pli_pending || r.fir_pending || r.has_nack_due(now, resend_after));
        if !self.report_pending && !feedback {
            return None;
        }
        let full = self.report_pending;
        let mut head = 0;
        if full || !self.config.reduced_size {
            head = self.write_reports(now, buf)?;
        }
        let at = self.write_feedback(now, resend_after, buf, head);
        let at = self.write_twcc(buf, at);
        let at = self.write_bye(buf, at);
        // Without a regular report, a packet is worth sending only for its feedback; this
        // also ends the caller's drain loop when the feedback does not fit `buf`.
        if !full && at == head {
            return None;
        }
        self.stats.rtcp_packets_sent += 1;
        Some(at)
    }

    /// Writes the next retransmission answering a NACK into `buf` and returns its length:
    /// an RTX packet (RFC 4588) if the stream has RTX for the original's payload type, the
    /// original packet as it was otherwise. `None` when none is queued. The caller
    /// SRTP-protects it, so pass `&mut datagram[..mtu - overhead]` with `overhead` from
    /// [`Profile::rtp_overhead`](crate::srtp::Profile::rtp_overhead). An RTX packet is its
    /// original plus 2 bytes: a sender that fills the MTU should keep its media packets 2
    /// bytes short of it. A retransmission that does not fit `buf` is dropped and counted in
    /// [`SendStats::retransmissions_missed`](super::SendStats::retransmissions_missed).
    pub fn poll_retransmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.clamp(now);
        for stream in &mut self.send {
            if let Some(len) = stream.poll_retransmit(buf) {
                return Some(len);
            }
        }
        None
    }

    /// Writes the report packets and SDES: the whole regular report if one is pending,
    /// otherwise the minimal compound head for feedback. `None` if the head does not fit.
    ///
    /// The SDES has a CNAME chunk for the reporting SSRC and for each other SSRC that sent
    /// an SR in the packet (RFC 3550 section 6.5.1: receivers bind SSRCs to a participant by
    /// CNAME, for lip sync).
    fn write_reports(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let full = self.report_pending;
        let reporter = self.reporter_ssrc();
        let item = [SdesItem {
            kind: SdesItem::CNAME,
            value: self.config.cname.as_bytes(),
        }];
        let mut chunks = [(reporter, &item[..]); MAX_BLOCKS];
        // One chunk, and the SDES header once.
        let chunk_len = SdesBuilder {
            chunks: &chunks[..1],
        }
        .buffer_len()
            - RTCP_HEADER_LEN;
        let first_sr = full && self.send.first().is_some_and(|s| s.sr_due);
        let head_len = if first_sr { SR_LEN } else { RR_LEN };
        let mut sdes_len = RTCP_HEADER_LEN + chunk_len;
        if buf.len() < head_len + sdes_len {
            return None;
        }
        let ntp = NtpTime::at(self.config.wall_epoch, self.config.epoch, now);
        let mut blocks = [ReportBlock::default(); MAX_BLOCKS];
        let room = (buf.len() - head_len - sdes_len) / BLOCK_LEN;
        let n = if full {
            take_blocks(&mut self.recv, now, &mut blocks[..room.min(MAX_BLOCKS)])
        } else {
            0
        };
        let mut at = match self.send.first_mut().filter(|_| first_sr) {
            Some(s) => {
                s.sr_due = false;
                s.stats.sender_reports_sent += 1;
                SenderReportBuilder {
                    ssrc: reporter,
                    info: s.sender_info(now, ntp),
                    reports: &blocks[..n],
                }
                .emit(buf)
                .ok()?
            }
            None => ReceiverReportBuilder {
                ssrc: reporter,
                reports: &blocks[..n],
            }
            .emit(buf)
            .ok()?,
        };
        let mut n_chunks = 1;
        if full {
            // More receive streams than one packet's blocks: continue in RRs.
            while self.recv.iter().any(|r| r.report_due) {
                let room = buf.len().saturating_sub(at + sdes_len + RR_LEN) / BLOCK_LEN;
                if room == 0 {
                    break;
                }
                let n = take_blocks(&mut self.recv, now, &mut blocks[..room.min(MAX_BLOCKS)]);
                at += ReceiverReportBuilder {
                    ssrc: reporter,
                    reports: &blocks[..n],
                }
                .emit(&mut buf[at..])
                .ok()?;
            }
            for s in self.send.iter_mut().filter(|s| s.sr_due) {
                if buf.len() < at + SR_LEN + sdes_len + chunk_len || n_chunks == MAX_BLOCKS {
                    break;
                }
                s.sr_due = false;
                s.stats.sender_reports_sent += 1;
                at += SenderReportBuilder {
                    ssrc: s.ssrc,
                    info: s.sender_info(now, ntp),
                    reports: &[],
                }
                .emit(&mut buf[at..])
                .ok()?;
                chunks[n_chunks].0 = s.ssrc;
                n_chunks += 1;
                sdes_len += chunk_len;
            }
            // What did not fit waits for the next regular report, so that every call
            // makes progress and the caller's drain loop ends.
            for s in &mut self.send {
                s.sr_due = false;
            }
            for r in &mut self.recv {
                r.report_due = false;
            }
            self.report_pending = false;
        }
        at += SdesBuilder {
            chunks: &chunks[..n_chunks],
        }
        .emit(&mut buf[at..])
        .ok()?;
        Some(at)
    }

    /// Appends a transport-wide feedback to `buf[..at]` if one is due, with as many statuses
    /// as fit (the rest go in the next call), and returns the new length.
    fn write_twcc(&mut self, buf: &mut [u8], at: usize) -> usize {
        let sender = self.reporter_ssrc();
        let media = self.recv.first().map_or(Ssrc(0), |r| r.ssrc);
        let Some(twcc) = self.twcc.as_mut().filter(|_| self.twcc_due) else {
            return at;
        };
        // At most 2 bytes of delta per status plus a 2-byte chunk per 7 statuses, and at
        // most two shorter chunks and 3 bytes of padding.
        let room = buf.len().saturating_sub(at + TWCC_FIXED_LEN + 7);
        let n = (room * 7 / 16).min(MAX_TWCC_STATUSES);
        let mut scratch = [TwccStatus::NotReceived; MAX_TWCC_STATUSES];
        let mut at = at;
        if n > 0
            && let Some(feedback) = twcc.feedback(sender, media, &mut scratch[..n])
            && let Ok(len) = feedback.emit(&mut buf[at..])
        {
            at += len;
            self.stats.twcc_sent += 1;
        }
        self.twcc_due = twcc.unreported() > 0;
        at
    }

    /// Appends a BYE for the removed send streams to `buf[..at]` as far as it fits (RFC 3550
    /// section 6.6: the last packet of the compound) and returns the new length.
    fn write_bye(&mut self, buf: &mut [u8], at: usize) -> usize {
        let room = buf.len().saturating_sub(at + RTCP_HEADER_LEN) / 4;
        let n = self.bye_pending.len().min(room).min(MAX_BLOCKS);
        if n == 0 {
            return at;
        }
        let bye = ByeBuilder {
            ssrcs: &self.bye_pending[..n],
            reason: &[],
        };
        match bye.emit(&mut buf[at..]) {
            Ok(len) => {
                self.bye_pending.drain(..n);
                at + len
            }
            Err(_) => at,
        }
    }

    /// Appends the feedback due to `buf[..at]` as far as it fits and returns the new length.
    fn write_feedback(
        &mut self,
        now: Instant,
        resend_after: Duration,
        buf: &mut [u8],
        mut at: usize,
    ) -> usize {
        let sender = self.reporter_ssrc();
        let mut lost = [SeqNo(0); MAX_NACKS_PER_PACKET];
        for r in &mut self.recv {
            if r.pli_pending {
                let pli = Pli {
                    sender_ssrc: sender,
                    media_ssrc: r.ssrc,
                };
                if let Ok(n) = pli.emit(&mut buf[at..]) {
                    at += n;
                    r.count_pli_sent();
                }
            }
            if r.fir_pending {
                let entries = [FirEntry {
                    ssrc: r.ssrc,
                    seq_nr: r.fir_seq(),
                }];
                let fir = FirBuilder {
                    sender_ssrc: sender,
                    entries: &entries,
                };
                if let Ok(n) = fir.emit(&mut buf[at..]) {
                    at += n;
                    r.count_fir_sent();
                }
            }
            if r.has_nack_due(now, resend_after) {
                // Each sequence number needs at most one 4-byte (PID, BLP) pair.
                let room = buf.len().saturating_sub(at + NACK_HEADER_LEN) / 4;
                let max = room.min(MAX_NACKS_PER_PACKET);
                if max == 0 {
                    continue;
                }
                let n = r.poll_nack(now, resend_after, &mut lost[..max]);
                if n == 0 {
                    continue;
                }
                let nack = NackBuilder {
                    sender_ssrc: sender,
                    media_ssrc: r.ssrc,
                    lost: &lost[..n],
                };
                if let Ok(len) = nack.emit(&mut buf[at..]) {
                    at += len;
                    r.count_nack_sent(n);
                }
            }
        }
        at
    }
}

/// Moves the report blocks of receive streams with one due into `out`, as many as fit, and
/// returns how many.
fn take_blocks(recv: &mut [RecvStream], now: Instant, out: &mut [ReportBlock]) -> usize {
    let mut n = 0;
    for r in recv.iter_mut().filter(|r| r.report_due) {
        let Some(slot) = out.get_mut(n) else {
            break;
        };
        r.report_due = false;
        *slot = r.report_block(now);
        n += 1;
    }
    n
}

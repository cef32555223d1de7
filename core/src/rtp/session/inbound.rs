//! Input: RTP packets of receive streams (RTX unwrapped in place) and compound RTCP.

use std::time::Instant;

use super::RtpSession;
use super::event::{KeyframeRequestKind, Received, RtpEvent};
use crate::rtp::wire::{Compound, Packet, ReportBlock, Rtcp};
use crate::rtp::{NtpTime, unwrap_rtx};

impl RtpSession {
    /// Takes in an RTP packet (decrypted, in place) that arrived at `now`, and says what it
    /// is. A packet of a receive stream updates its statistics and NACK state; an RTX packet
    /// is unwrapped in place into the original it carries (RFC 4588 section 4) and counts
    /// as a repair, not in the loss and jitter figures. Bad input is counted, never a panic.
    pub fn handle_rtp(&mut self, now: Instant, packet: &mut [u8]) -> Received {
        let now = self.clamp(now);
        let len = packet.len();
        let Ok(view) = Packet::new_checked(&*packet) else {
            self.stats.rtp_malformed += 1;
            return Received::Malformed;
        };
        self.record_twcc(now, &view);
        let ssrc = view.ssrc();
        if let Some(i) = self.recv_index(ssrc) {
            let received = self.recv[i].handle_media(now, &view, len);
            self.arm_nack_timer(now);
            return received;
        }
        let Some(i) = self.recv.iter().position(|r| r.rtx_ssrc() == Some(ssrc)) else {
            self.stats.rtp_unknown_ssrc += 1;
            return Received::UnknownSsrc(ssrc);
        };
        let stream = &mut self.recv[i];
        if view.payload().is_empty() {
            stream.handle_rtx_padding();
            return Received::Padding(ssrc);
        }
        let media_pt = stream
            .rtx
            .as_ref()
            .and_then(|rtx| rtx.media_pt_of(view.payload_type()));
        let (media_ssrc, Some(media_pt)) = (stream.ssrc, media_pt) else {
            self.stats.rtp_malformed += 1;
            return Received::Malformed;
        };
        let Some((seq, len)) = unwrap_rtx(packet, media_ssrc, media_pt) else {
            self.stats.rtp_malformed += 1;
            return Received::Malformed;
        };
        let received = self.recv[i].handle_repaired(seq, len);
        self.arm_nack_timer(now);
        received
    }

    /// Takes in a compound (or reduced-size) RTCP datagram, decrypted, that arrived at
    /// `now`: SRs are noted for the LSR of our reports; report blocks about our streams give
    /// round-trip times and the remote's loss; NACKs queue retransmissions for
    /// [`poll_retransmit`](Self::poll_retransmit) (a packet queued less than a measured
    /// round trip ago is not queued again); PLI and FIR become
    /// [`RtpEvent::KeyframeRequest`]; BYE becomes [`RtpEvent::RemoteBye`]; REMB and TWCC are
    /// counted. Unknown types are skipped; a malformed packet is counted and, if its framing
    /// is broken, ends the datagram. Never panics.
    pub fn handle_rtcp(&mut self, now: Instant, compound: &[u8]) {
        let now = self.clamp(now);
        self.stats.rtcp_packets_received += 1;
        for packet in Compound::new(compound) {
            let Ok(packet) = packet else {
                self.stats.rtcp_malformed += 1;
                break;
            };
            match packet.parse() {
                Err(_) => self.stats.rtcp_malformed += 1,
                Ok(Rtcp::SenderReport(sr)) => {
                    match self.recv_index(sr.ssrc()) {
                        Some(i) => self.recv[i].handle_sender_report(now, &sr.sender_info()),
                        // Browsers send SRs for RTX streams too: nothing to keep.
                        None if self.recv_ssrc_in_use(sr.ssrc()) => {}
                        None => self.stats.rtcp_unknown_ssrc += 1,
                    }
                    for block in sr.report_blocks() {
                        self.handle_report_block(now, &block);
                    }
                }
                Ok(Rtcp::ReceiverReport(rr)) => {
                    for block in rr.report_blocks() {
                        self.handle_report_block(now, &block);
                    }
                }
                Ok(Rtcp::Sdes(_)) => {}
                Ok(Rtcp::Bye(bye)) => {
                    for ssrc in bye.ssrcs() {
                        if let Some(i) = self.recv_index(ssrc) {
                            self.recv[i].handle_bye();
                            self.events.push(RtpEvent::RemoteBye { ssrc });
                        }
                    }
                }
                Ok(Rtcp::Nack(nack)) => match self.send_index(nack.media_ssrc()) {
                    Some(i) => {
                        let min_interval = self.rtt.unwrap_or_default();
                        self.send[i].handle_nack(now, min_interval, nack.lost());
                    }
                    None => self.stats.rtcp_unknown_ssrc += 1,
                },
                Ok(Rtcp::Pli(pli)) => match self.send_index(pli.media_ssrc) {
                    Some(i) => {
                        self.send[i].stats.pli_count += 1;
                        self.events.push(RtpEvent::KeyframeRequest {
                            ssrc: pli.media_ssrc,
                            kind: KeyframeRequestKind::Pli,
                        });
                    }
                    None => self.stats.rtcp_unknown_ssrc += 1,
                },
                Ok(Rtcp::Fir(fir)) => {
                    for entry in fir.entries() {
                        let Some(i) = self.send_index(entry.ssrc) else {
                            continue;
                        };
                        if self.send[i].handle_fir(entry.seq_nr) {
                            self.events.push(RtpEvent::KeyframeRequest {
                                ssrc: entry.ssrc,
                                kind: KeyframeRequestKind::Fir,
                            });
                        }
                    }
                }
                Ok(Rtcp::Remb(remb)) => {
                    self.stats.remb_received += 1;
                    self.stats.remb_bitrate = Some(remb.bitrate());
                }
                Ok(Rtcp::Twcc(_)) => self.stats.twcc_received += 1,
                Ok(_) => self.stats.rtcp_skipped += 1,
            }
        }
    }

    /// A report block from the remote: about one of our send streams, or ignored.
    fn handle_report_block(&mut self, now: Instant, block: &ReportBlock) {
        let Some(i) = self.send_index(block.ssrc) else {
            return;
        };
        let ntp = NtpTime::at(self.config.wall_epoch, self.config.epoch, now);
        if let Some(rtt) = self.send[i].handle_report_block(ntp, block) {
            self.rtt = Some(rtt);
        }
    }
}

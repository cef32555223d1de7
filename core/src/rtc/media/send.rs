//! Sending: frames packetized, packets built with our SSRC and the mid extension, recorded
//! by the RTP session (for sender reports and NACK answers), protected and queued; the
//! session's retransmissions and RTCP are protected as `poll_srtp` asks for them.

use std::time::Instant;

use super::{Media, MediaError, PLI_INTERVAL, RtpHeader};
use crate::rtp::payload::{AnyPacketizer, Packetizer};
use crate::rtp::session::KeyframeRequestKind;
use crate::rtp::wire::{Extension, PacketBuilder};
use crate::rtp::{Pt, RtpTimestamp, SeqNo};
use crate::sdp::Mid;

/// Room kept for SRTP's tag or SRTCP's trailer when the profile is not known yet.
const MAX_SRTP_OVERHEAD: usize = 32;

impl Media {
    fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| vec![0; self.mtu + MAX_SRTP_OVERHEAD])
    }

    fn enqueue(&mut self, buf: Vec<u8>, len: usize) {
        if self.queue.len() >= self.max_queued {
            if let Some((old, _)) = self.queue.pop_front() {
                self.spare.push(old);
            }
            self.queue_overflows += 1;
        }
        self.queue.push_back((buf, len));
    }

    fn sendable(&self, mid: &Mid) -> Result<usize, MediaError> {
        let i = self.track(mid).ok_or(MediaError::UnknownTrack)?;
        if !self.tracks[i].sends() || self.tracks[i].ssrc.is_none() {
            return Err(MediaError::Direction);
        }
        if self.srtp_tx.is_none() {
            return Err(MediaError::NotConnected);
        }
        Ok(i)
    }

    /// Builds, records, protects and queues one RTP packet of track `i`.
    fn send_packet(
        &mut self,
        now: Instant,
        i: usize,
        header: RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        let mut buf = self.buffer();
        let t = &mut self.tracks[i];
        let ssrc = t.ssrc.ok_or(MediaError::Direction)?;
        let mid = t.info.mid.as_str().as_bytes();
        let ext = [Extension {
            id: self.mid_ext.unwrap_or(0),
            value: mid,
        }];
        let extensions: &[Extension<'_>] = if self.mid_ext.is_some() { &ext } else { &[] };
        let builder = PacketBuilder {
            marker: header.marker,
            payload_type: header.pt,
            sequence_number: header.seq,
            timestamp: header.timestamp,
            ssrc,
            extensions,
            ..PacketBuilder::default()
        };
        let room = buf.len() - MAX_SRTP_OVERHEAD;
        let protected = builder
            .emit(&mut buf[..room], payload)
            .map_err(|_| MediaError::TooLarge)
            .and_then(|len| {
                if let Some(session) = &mut self.session {
                    session.on_rtp_sent(now, &buf[..len]);
                }
                let tx = self.srtp_tx.as_mut().ok_or(MediaError::NotConnected)?;
                tx.protect_rtp(&mut buf, len)
                    .map_err(|_| MediaError::NotConnected)
            });
        let len = match protected {
            Ok(len) => len,
            Err(e) => {
                self.spare.push(buf);
                return Err(e);
            }
        };
        t.stats.packets_sent += 1;
        t.stats.bytes_sent += payload.len() as u64;
        self.enqueue(buf, len);
        Ok(())
    }

    pub(crate) fn write_frame(
        &mut self,
        now: Instant,
        mid: &Mid,
        pt: Option<Pt>,
        rtp_time: RtpTimestamp,
        frame: &[u8],
    ) -> Result<(), MediaError> {
        let i = self.sendable(mid)?;
        let t = &mut self.tracks[i];
        let pt = pt
            .or_else(|| t.info.codecs.first().map(|&(p, _)| p))
            .ok_or(MediaError::UnknownPt)?;
        let codec = t.codec(pt).ok_or(MediaError::UnknownPt)?;
        let mut packetizer = match t.packetizer.take() {
            Some((p, packetizer)) if p == pt => packetizer,
            _ => codec.packetizer(t.next_seq),
        };
        let seq = t.next_seq;
        // RTP header (12), the mid extension (4 + 1 + mid, padded) and SRTP's tag.
        let overhead = MAX_SRTP_OVERHEAD + 12 + 8 + mid.as_str().len();
        let budget = self.mtu.saturating_sub(overhead);
        let mut payload = std::mem::take(&mut self.payload);
        payload.resize(budget, 0);
        let sent = self.packetize_into(
            now,
            i,
            pt,
            &mut packetizer,
            &mut payload,
            frame,
            rtp_time,
            seq,
        );
        self.payload = payload;
        self.tracks[i].packetizer = Some((pt, packetizer));
        let next = sent?;
        self.tracks[i].next_seq = next;
        self.tracks[i].stats.frames_sent += 1;
        Ok(())
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one frame's pieces, borrowed apart"
    )]
    fn packetize_into(
        &mut self,
        now: Instant,
        i: usize,
        pt: Pt,
        packetizer: &mut AnyPacketizer,
        payload: &mut [u8],
        frame: &[u8],
        rtp_time: RtpTimestamp,
        seq: u16,
    ) -> Result<u16, MediaError> {
        let mut packets = packetizer.packetize(frame, rtp_time.0, seq)?;
        while let Some(w) = packets.next_into(payload)? {
            let header = RtpHeader {
                pt,
                seq: SeqNo(w.meta.seq),
                timestamp: RtpTimestamp(w.meta.timestamp),
                marker: w.meta.marker,
            };
            self.send_packet(now, i, header, payload.get(..w.len).unwrap_or_default())?;
        }
        Ok(packets.next_seq())
    }

    pub(crate) fn write_rtp(
        &mut self,
        now: Instant,
        mid: &Mid,
        header: RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        let i = self.sendable(mid)?;
        if self.tracks[i].codec(header.pt).is_none() {
            return Err(MediaError::UnknownPt);
        }
        self.send_packet(now, i, header, payload)?;
        self.tracks[i].next_seq = header.seq.0.wrapping_add(1);
        Ok(())
    }

    /// Asks the sender of track `mid` for a keyframe (PLI), at most every [`PLI_INTERVAL`].
    pub(crate) fn request_keyframe(&mut self, now: Instant, mid: &Mid) -> Result<(), MediaError> {
        let i = self.track(mid).ok_or(MediaError::UnknownTrack)?;
        if self.srtp_tx.is_none() {
            return Err(MediaError::NotConnected);
        }
        self.tracks[i].pli_due = true;
        self.send_due_pli(now, i);
        Ok(())
    }

    /// Hands the session the PLI track `i` owes, unless one went out less than
    /// [`PLI_INTERVAL`] ago.
    pub(super) fn send_due_pli(&mut self, now: Instant, i: usize) {
        let t = &mut self.tracks[i];
        if !t.pli_due || t.last_pli.is_some_and(|at| now < at + PLI_INTERVAL) {
            return;
        }
        let (Some(&media_ssrc), Some(session)) = (t.remote_ssrcs.first(), &mut self.session) else {
            return;
        };
        if session
            .request_keyframe(now, media_ssrc, KeyframeRequestKind::Pli)
            .is_ok()
        {
            t.pli_due = false;
            t.last_pli = Some(now);
            t.stats.keyframe_requests_sent += 1;
        }
    }

    /// The next protected datagram: queued media first, then the session's retransmissions
    /// and RTCP.
    pub(crate) fn poll_srtp(&mut self, now: Instant, out: &mut [u8]) -> Option<usize> {
        if let Some((buf, len)) = self.queue.pop_front() {
            let n = len.min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            self.spare.push(buf);
            return Some(n);
        }
        let (profile, session, tx) = (
            self.profile?,
            self.session.as_mut()?,
            self.srtp_tx.as_mut()?,
        );
        let room = self.mtu.min(out.len());
        let rtp_room = room.saturating_sub(profile.rtp_overhead());
        if let Some(len) = session.poll_retransmit(now, &mut out[..rtp_room]) {
            return tx.protect_rtp(out, len).ok();
        }
        let rtcp_room = room.saturating_sub(profile.rtcp_overhead());
        while let Some(len) = session.poll_rtcp(now, &mut out[..rtcp_room]) {
            if let Ok(len) = tx.protect_rtcp(out, len) {
                return Some(len);
            }
        }
        None
    }
}

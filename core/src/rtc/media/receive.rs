//! Receiving: SRTP and SRTCP unprotected in place, RTP through the session (RTX unwrapped,
//! duplicates dropped) to the depacketizers, RTCP to the session.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::pool::PayloadPool;
use super::track::{MAX_REMOTE_SSRCS, Track};
use super::{Media, MediaFrame, RtpHeader, RtpPacketEvent};
use crate::rtc::event::Event;
use crate::rtp::payload::{Depacketizer, DepacketizerConfig, DepacketizerEvent, PacketMeta};
use crate::rtp::session::{Received, RtpEvent};
use crate::rtp::wire::Packet;
use crate::rtp::{Pt, RtpTimestamp};
use crate::sdp::Mid;

/// How long a video depacketizer waits for a missing packet before it reports a gap.
const VIDEO_MAX_WAIT: Duration = Duration::from_millis(500);

impl Media {
    /// An SRTP or SRTCP datagram: decrypted in place and handled. Returns whether it was
    /// taken.
    pub(crate) fn handle_srtp(&mut self, now: Instant, buf: &mut [u8]) -> bool {
        let Some(rx) = &mut self.srtp_rx else {
            self.dropped += 1;
            return false;
        };
        // RFC 5761 section 4: RTCP packet types 192..=223 sit where RTP's marker and PT are.
        let is_rtcp = buf.get(1).is_some_and(|b| (192..=223).contains(b));
        let unprotected = if is_rtcp {
            rx.unprotect_rtcp(buf)
        } else {
            rx.unprotect_rtp(buf)
        };
        let Ok(len) = unprotected else {
            self.unprotect_failures += 1;
            return false;
        };
        let Some(plain) = buf.get_mut(..len) else {
            return false;
        };
        if is_rtcp {
            if let Some(session) = &mut self.session {
                session.handle_rtcp(now, plain);
            }
            self.drain_session();
            true
        } else {
            self.handle_rtp(now, plain)
        }
    }

    /// Keyframe requests from the session become events on the track we send.
    pub(super) fn drain_session(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        while let Some(event) = session.poll_event() {
            if let RtpEvent::KeyframeRequest { ssrc, .. } = event
                && let Some(t) = self.tracks.iter_mut().find(|t| t.ssrc == Some(ssrc))
            {
                t.stats.keyframe_requests_received += 1;
                self.events.push_back(Event::KeyframeRequest(t.info.mid));
            }
        }
    }

    fn handle_rtp(&mut self, now: Instant, buf: &mut [u8]) -> bool {
        let Ok(packet) = Packet::new_checked(&*buf) else {
            self.dropped += 1;
            return false;
        };
        let ssrc = packet.ssrc();
        if !self.by_ssrc.contains_key(&ssrc) && !self.learn_ssrc(&packet) {
            self.dropped += 1;
            return false;
        }
        let len = match self.session.as_mut().map(|s| s.handle_rtp(now, buf)) {
            Some(Received::Media { len, .. }) => len,
            // No session (a peer sending before the first exchange completed): as it is.
            None => buf.len(),
            Some(_) => return true,
        };
        let Some(bytes) = buf.get(..len) else {
            return false;
        };
        let Ok(packet) = Packet::new_checked(bytes) else {
            self.dropped += 1;
            return false;
        };
        let Some(&i) = self.by_ssrc.get(&packet.ssrc()) else {
            self.dropped += 1;
            return false;
        };
        self.deliver(now, i, &packet);
        self.send_due_pli(now, i);
        true
    }

    /// Finds the track of a packet from an SSRC not signalled: by its mid extension, or the
    /// only track with its payload type. Registers the SSRC with the session.
    fn learn_ssrc(&mut self, packet: &Packet<&[u8]>) -> bool {
        let mid = self
            .mid_ext
            .and_then(|id| packet.extension(id))
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(Mid::new);
        let found = mid.and_then(|mid| self.track(&mid));
        let Some(i) = found.or_else(|| self.sole_track_for(packet.payload_type())) else {
            return false;
        };
        if self.tracks[i].remote_ssrcs.len() >= MAX_REMOTE_SSRCS {
            return false;
        }
        // A learned SSRC gets NACKs but no RTX pairing: RTX needs the signalled FID group.
        self.add_remote_ssrc(i, packet.ssrc(), true, None);
        true
    }

    /// The only track with `pt` among its codecs, for a peer that signals neither SSRCs nor
    /// mids.
    fn sole_track_for(&self, pt: Pt) -> Option<usize> {
        let mut it = self
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.codec(pt).is_some());
        let (i, _) = it.next()?;
        it.next().is_none().then_some(i)
    }

    /// A media packet of track `i`: to the application as a packet, when asked, and to the
    /// depacketizer.
    fn deliver(&mut self, now: Instant, i: usize, packet: &Packet<&[u8]>) {
        let t = &mut self.tracks[i];
        let pt = packet.payload_type();
        t.stats.packets_received += 1;
        t.stats.bytes_received += packet.payload().len() as u64;
        let Some(codec) = t.codec(pt) else {
            t.stats.packets_discarded += 1;
            return;
        };
        let header = RtpHeader {
            pt,
            seq: packet.sequence_number(),
            timestamp: packet.timestamp(),
            marker: packet.marker(),
        };
        if t.delivery.packets() {
            self.events.push_back(Event::Rtp(RtpPacketEvent {
                mid: t.info.mid,
                ssrc: packet.ssrc(),
                header,
                payload: self.received.copy(packet.payload()),
            }));
        }
        if !t.delivery.frames() {
            return;
        }
        if t.depacketizer.as_ref().is_none_or(|(p, _, _)| *p != pt) {
            let mut config = DepacketizerConfig::default();
            if !codec.is_audio() {
                // Room for a NACK and its retransmission to be lost once and tried again.
                config.max_wait = VIDEO_MAX_WAIT;
            }
            t.depacketizer = Some((pt, codec, Depacketizer::new(codec.format(), config)));
        }
        if let Some((_, _, d)) = &mut t.depacketizer {
            let meta = PacketMeta {
                seq: header.seq.0,
                timestamp: header.timestamp.0,
                marker: header.marker,
            };
            d.handle_packet(now, meta, packet.payload());
        }
        Self::drain_depacketizer(t, &mut self.received, &mut self.events);
    }

    pub(super) fn drain_depacketizer(
        t: &mut Track,
        pool: &mut PayloadPool,
        events: &mut VecDeque<Event>,
    ) {
        let Some((pt, codec, d)) = &mut t.depacketizer else {
            return;
        };
        while let Some(event) = d.poll_event() {
            match event {
                DepacketizerEvent::Frame(f) => {
                    t.stats.frames_received += 1;
                    if f.is_keyframe {
                        t.stats.keyframes_received += 1;
                    }
                    events.push_back(Event::Frame(MediaFrame {
                        mid: t.info.mid,
                        pt: *pt,
                        codec: *codec,
                        rtp_time: RtpTimestamp(f.timestamp),
                        keyframe: f.is_keyframe,
                        data: pool.copy(f.data),
                    }));
                }
                DepacketizerEvent::Gap(g) => {
                    t.stats.packets_lost += g.packets;
                    if g.keyframe_needed {
                        t.pli_due = true;
                    }
                }
            }
        }
    }
}

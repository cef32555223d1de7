//! Media through the peer connection: one track per audio/video m-section, SRTP on the
//! bundled transport, the frame-level API (frames packetized and depacketized with the
//! payload formats of [`crate::rtp::payload`]) and the packet-level API (RTP forwarded as it
//! is, as an SFU does), usable together.
//!
//! Received packets find their track by SSRC (signalled with `a=ssrc`, or learned from the
//! BUNDLE `mid` header extension on the first packet, RFC 8843 section 9.2). PLI and FIR from
//! the peer become [`Event::KeyframeRequest`]; a depacketizer that lost a reference asks the
//! sender for a keyframe with a PLI.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::CryptoRng;

use crate::rtc::config::RtcConfig;
use crate::rtc::event::Event;
use crate::rtc::peer::Rtc;
use crate::rtc::stats::{RtcStats, TrackStats};
use crate::rtp::payload::{
    AnyFormat, AnyPacketizer, Codec, Depacketizer, DepacketizerConfig, DepacketizerEvent,
    PacketMeta, PacketizeError, Packetizer,
};
use crate::rtp::wire::{
    Compound, Extension, Packet, PacketBuilder, Pli, ReceiverReportBuilder, Rtcp,
};
use crate::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};
use crate::sdp::{Direction, EXT_MID, MediaKind, MediaRequest, Mid, SendTrack, SessionDescription};
use crate::srtp::{Context, SrtpKeys};

/// SRTP's largest addition to a packet (a 16-byte GCM tag or the SRTCP trailer).
const SRTP_OVERHEAD: usize = 32;
/// The shortest time between two PLIs for one track, so a burst of gaps asks once.
const PLI_INTERVAL: Duration = Duration::from_millis(300);

/// A negotiated media track, as [`Event::Track`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The m-section's mid, which names the track in every media call.
    pub mid: Mid,
    /// Audio or video.
    pub kind: MediaKind,
    /// Our direction: whether we may send ([`Direction::SendRecv`], [`Direction::SendOnly`])
    /// and receive.
    pub direction: Direction,
    /// The negotiated codecs and their payload types, in order of preference; frames are
    /// written with the first.
    pub codecs: Vec<(Pt, Codec)>,
}

/// A whole frame that arrived on a track (frame-level API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFrame {
    /// The track.
    pub mid: Mid,
    /// The payload type it came with.
    pub pt: Pt,
    /// Its codec.
    pub codec: Codec,
    /// The RTP timestamp.
    pub rtp_time: RtpTimestamp,
    /// Whether it decodes without earlier frames.
    pub keyframe: bool,
    /// The frame in the codec's own form (see [`crate::rtp::payload`]).
    pub data: Bytes,
}

/// An RTP packet that arrived on a track (packet-level API, see
/// [`Rtc::set_rtp_events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacketEvent {
    /// The track.
    pub mid: Mid,
    /// The sender's SSRC.
    pub ssrc: Ssrc,
    /// The header fields to forward with.
    pub header: RtpHeader,
    /// The payload, without padding.
    pub payload: Bytes,
}

/// The RTP header fields the packet-level API carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// The payload type.
    pub pt: Pt,
    /// The sequence number.
    pub seq: SeqNo,
    /// The timestamp.
    pub timestamp: RtpTimestamp,
    /// The marker bit.
    pub marker: bool,
}

/// Why a media command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// No negotiated track with that mid.
    #[error("no such track")]
    UnknownTrack,
    /// The track's direction does not let us send (or receive, for keyframe requests).
    #[error("track direction does not allow it")]
    Direction,
    /// DTLS is not up yet, so there are no SRTP keys.
    #[error("not connected yet")]
    NotConnected,
    /// The payload type is not negotiated on the track, or its codec has no packetizer.
    #[error("payload type not negotiated")]
    UnknownPt,
    /// The frame could not be packetized.
    #[error("packetize: {0}")]
    Packetize(#[from] PacketizeError),
    /// The packet does not fit in a datagram.
    #[error("packet too large")]
    TooLarge,
}

#[derive(Debug)]
struct Track {
    info: TrackInfo,
    /// Our SSRC, when we send.
    ssrc: Option<Ssrc>,
    next_seq: u16,
    packetizer: Option<(Pt, AnyPacketizer)>,
    /// The peer's SSRCs on this track (learned or signalled).
    remote_ssrcs: Vec<Ssrc>,
    depacketizer: Option<(Pt, Codec, Depacketizer<AnyFormat>)>,
    rtp_events: bool,
    pli_due: bool,
    last_pli: Option<Instant>,
    stats: TrackStats,
    announced: bool,
}

impl Track {
    fn sends(&self) -> bool {
        matches!(
            self.info.direction,
            Direction::SendRecv | Direction::SendOnly
        )
    }

    fn codec(&self, pt: Pt) -> Option<Codec> {
        self.info
            .codecs
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|&(_, c)| c)
    }
}

/// Every track and the SRTP contexts of the transport.
#[derive(Debug)]
pub(crate) struct Media {
    tracks: Vec<Track>,
    by_ssrc: HashMap<Ssrc, usize>,
    /// The negotiated id of the BUNDLE mid header extension.
    mid_ext: Option<u8>,
    srtp_tx: Option<Context>,
    srtp_rx: Option<Context>,
    /// Protected datagrams waiting for `poll_srtp`, and spare buffers.
    queue: VecDeque<(Vec<u8>, usize)>,
    spare: Vec<Vec<u8>>,
    max_queued: usize,
    mtu: usize,
    payload: Vec<u8>,
    events: VecDeque<Event>,
    /// Our SSRC for RTCP from receive-only peers.
    rtcp_ssrc: Ssrc,
    pub(crate) dropped: u64,
    pub(crate) queue_overflows: u64,
    pub(crate) unprotect_failures: u64,
}

impl Media {
    pub(crate) fn new(config: &RtcConfig, _now: Instant, rng: &mut dyn CryptoRng) -> Self {
        Self {
            tracks: Vec::new(),
            by_ssrc: HashMap::new(),
            mid_ext: None,
            srtp_tx: None,
            srtp_rx: None,
            queue: VecDeque::new(),
            spare: Vec::new(),
            max_queued: config.max_queued_media,
            mtu: config.mtu,
            payload: Vec::new(),
            events: VecDeque::new(),
            rtcp_ssrc: Ssrc(rng.next_u32()),
            dropped: 0,
            queue_overflows: 0,
            unprotect_failures: 0,
        }
    }

    pub(crate) fn set_keys(&mut self, keys: &SrtpKeys) {
        self.srtp_tx = Some(Context::new(&keys.local));
        self.srtp_rx = Some(Context::new(&keys.remote));
    }

    fn track(&self, mid: &Mid) -> Option<usize> {
        self.tracks.iter().position(|t| &t.info.mid == mid)
    }

    /// Requests for the audio/video sections of `offer` we have none for: we answer each
    /// sending back (the answer limits it to what the offer allows), with a fresh SSRC.
    pub(crate) fn requests_for_offer(
        &self,
        offer: &SessionDescription,
        local: &crate::sdp::LocalConfig,
        rng: &mut dyn CryptoRng,
    ) -> Vec<MediaRequest> {
        let mut out = Vec::new();
        for m in &offer.media {
            let Some(mid) = m.mid() else { continue };
            if m.is_rejected() || local.request(mid).is_some() {
                continue;
            }
            let request = match m.kind {
                MediaKind::Audio if local.accept_audio => {
                    MediaRequest::audio(mid.clone(), Direction::SendRecv)
                }
                MediaKind::Video if local.accept_video => {
                    MediaRequest::video(mid.clone(), Direction::SendRecv)
                }
                _ => continue,
            };
            out.push(request.with_track(send_track(&m.kind, mid, rng)));
        }
        out
    }

    /// Takes in a completed exchange: tracks for every accepted audio/video section, their
    /// codecs (from the answer), our SSRCs (from our description), the peer's (from theirs).
    pub(crate) fn apply(
        &mut self,
        local: &SessionDescription,
        remote: &SessionDescription,
        _rng: &mut dyn CryptoRng,
    ) {
        // In an exchange both sides end with the answer's payload types and extension ids;
        // they are the same in both descriptions for accepted sections.
        for m in &local.media {
            let Some(mid) = m.mid() else { continue };
            if !matches!(m.kind, MediaKind::Audio | MediaKind::Video) {
                continue;
            }
            let existing = self.track(mid);
            if m.is_rejected() {
                if let Some(i) = existing {
                    self.tracks[i].info.direction = Direction::Inactive;
                }
                continue;
            }
            let Some(theirs) = remote.media_by_mid(mid) else {
                continue;
            };
            if theirs.is_rejected() {
                continue;
            }
            let codecs: Vec<(Pt, Codec)> = m
                .codecs()
                .iter()
                .filter_map(|c| {
                    Some((
                        Pt(c.pt().get()),
                        Codec::from_encoding_name(&c.rtpmap.encoding)?,
                    ))
                })
                .collect();
            for e in m.extmaps() {
                if e.uri == EXT_MID {
                    self.mid_ext = u8::try_from(e.id).ok();
                }
            }
            let direction = local.direction(m);
            let ssrc = m.ssrcs().next().map(|s| Ssrc(s.ssrc.0));
            let info = TrackInfo {
                mid: mid.clone(),
                kind: m.kind.clone(),
                direction,
                codecs,
            };
            let i = match existing {
                Some(i) => {
                    let t = &mut self.tracks[i];
                    if t.info != info {
                        t.announced = false;
                    }
                    t.info = info;
                    t.ssrc = ssrc.or(t.ssrc);
                    i
                }
                None => {
                    self.tracks.push(Track {
                        info,
                        ssrc,
                        next_seq: 0,
                        packetizer: None,
                        remote_ssrcs: Vec::new(),
                        depacketizer: None,
                        rtp_events: false,
                        pli_due: false,
                        last_pli: None,
                        stats: TrackStats::default(),
                        announced: false,
                    });
                    self.tracks.len() - 1
                }
            };
            for s in theirs.ssrcs() {
                let ssrc = Ssrc(s.ssrc.0);
                if !self.tracks[i].remote_ssrcs.contains(&ssrc) {
                    self.tracks[i].remote_ssrcs.push(ssrc);
                }
                self.by_ssrc.insert(ssrc, i);
            }
        }
        for t in &mut self.tracks {
            if !t.announced {
                t.announced = true;
                self.events.push_back(Event::Track(t.info.clone()));
            }
        }
    }

    pub(crate) fn tracks(&self) -> impl Iterator<Item = &TrackInfo> {
        self.tracks.iter().map(|t| &t.info)
    }

    // ---- receiving ----

    /// An SRTP or SRTCP datagram: decrypted in place and handled.
    pub(crate) fn handle_srtp(&mut self, now: Instant, buf: &mut [u8]) -> bool {
        let Some(rx) = &mut self.srtp_rx else {
            self.dropped += 1;
            return false;
        };
        // RFC 5761 section 4: RTCP packet types 192..=223 sit where RTP's marker and PT are.
        let is_rtcp = buf.get(1).is_some_and(|b| (192..=223).contains(b));
        if is_rtcp {
            match rx.unprotect_rtcp(buf) {
                Ok(len) => {
                    self.handle_rtcp(buf.get(..len).unwrap_or_default());
                    true
                }
                Err(_) => {
                    self.unprotect_failures += 1;
                    false
                }
            }
        } else {
            match rx.unprotect_rtp(buf) {
                Ok(len) => self.handle_rtp(now, buf.get(..len).unwrap_or_default()),
                Err(_) => {
                    self.unprotect_failures += 1;
                    false
                }
            }
        }
    }

    fn handle_rtcp(&mut self, compound: &[u8]) {
        for packet in Compound::new(compound) {
            let Ok(packet) = packet else { break };
            let media_ssrc = match packet.parse() {
                Ok(Rtcp::Pli(pli)) => Some(pli.media_ssrc),
                Ok(Rtcp::Fir(fir)) => fir.entries().next().map(|e| e.ssrc),
                _ => None,
            };
            if let Some(ssrc) = media_ssrc
                && let Some(t) = self.tracks.iter_mut().find(|t| t.ssrc == Some(ssrc))
            {
                t.stats.keyframe_requests_received += 1;
                self.events
                    .push_back(Event::KeyframeRequest(t.info.mid.clone()));
            }
        }
    }

    fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) -> bool {
        let Ok(packet) = Packet::new_checked(bytes) else {
            self.dropped += 1;
            return false;
        };
        let ssrc = packet.ssrc();
        let i = match self.by_ssrc.get(&ssrc) {
            Some(&i) => i,
            None => {
                let mid = self
                    .mid_ext
                    .and_then(|id| packet.extension(id))
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(Mid::new);
                let found = mid.and_then(|mid| self.track(&mid));
                let Some(i) = found.or_else(|| self.sole_track_for(packet.payload_type())) else {
                    self.dropped += 1;
                    return false;
                };
                // Bounded: at most a few SSRCs per track.
                if self.tracks[i].remote_ssrcs.len() >= 8 {
                    self.dropped += 1;
                    return false;
                }
                self.tracks[i].remote_ssrcs.push(ssrc);
                self.by_ssrc.insert(ssrc, i);
                i
            }
        };
        let t = &mut self.tracks[i];
        let pt = packet.payload_type();
        t.stats.packets_received += 1;
        t.stats.bytes_received += packet.payload().len() as u64;
        let Some(codec) = t.codec(pt) else {
            // RTX or an unknown payload type: counted, not delivered.
            t.stats.packets_discarded += 1;
            return true;
        };
        let header = RtpHeader {
            pt,
            seq: packet.sequence_number(),
            timestamp: packet.timestamp(),
            marker: packet.marker(),
        };
        if t.rtp_events {
            self.events.push_back(Event::Rtp(RtpPacketEvent {
                mid: t.info.mid.clone(),
                ssrc,
                header,
                payload: Bytes::copy_from_slice(packet.payload()),
            }));
        }
        if t.depacketizer.as_ref().is_none_or(|(p, _, _)| *p != pt) {
            let config = DepacketizerConfig::default();
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
        Self::drain_depacketizer(t, &mut self.events);
        self.send_due_pli(now, i);
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

    fn drain_depacketizer(t: &mut Track, events: &mut VecDeque<Event>) {
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
                        mid: t.info.mid.clone(),
                        pt: *pt,
                        codec: *codec,
                        rtp_time: RtpTimestamp(f.timestamp),
                        keyframe: f.is_keyframe,
                        data: Bytes::copy_from_slice(f.data),
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

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.tracks.len() {
            let t = &mut self.tracks[i];
            if let Some((_, _, d)) = &mut t.depacketizer
                && d.poll_timeout().is_some_and(|at| at <= now)
            {
                d.handle_timeout(now);
            }
            Self::drain_depacketizer(t, &mut self.events);
            self.send_due_pli(now, i);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let depacketizers = self.tracks.iter().filter_map(|t| {
            t.depacketizer
                .as_ref()
                .and_then(|(_, _, d)| d.poll_timeout())
        });
        let pli = self
            .tracks
            .iter()
            .filter(|t| t.pli_due && !t.remote_ssrcs.is_empty())
            .filter_map(|t| t.last_pli.map(|at| at + PLI_INTERVAL));
        depacketizers.chain(pli).min()
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- sending ----

    fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| vec![0; self.mtu + SRTP_OVERHEAD])
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

    /// Builds, protects and queues one RTP packet of track `i`.
    fn send_packet(
        &mut self,
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
        let room = buf.len() - SRTP_OVERHEAD;
        let protected = builder
            .emit(&mut buf[..room], payload)
            .map_err(|_| MediaError::TooLarge)
            .and_then(|len| {
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

    pub(crate) fn write_frame(
        &mut self,
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
        let budget = self
            .mtu
            .saturating_sub(SRTP_OVERHEAD + 12 + 8 + mid.as_str().len());
        let mut payload = std::mem::take(&mut self.payload);
        payload.resize(budget, 0);
        let result =
            self.packetize_into(i, pt, &mut packetizer, &mut payload, frame, rtp_time, seq);
        self.payload = payload;
        self.tracks[i].packetizer = Some((pt, packetizer));
        if let Ok(next) = result {
            self.tracks[i].next_seq = next;
            self.tracks[i].stats.frames_sent += 1;
        }
        result.map(|_| ())
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one frame's pieces, borrowed apart"
    )]
    fn packetize_into(
        &mut self,
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
            self.send_packet(i, header, payload.get(..w.len).unwrap_or_default())?;
        }
        Ok(packets.next_seq())
    }

    pub(crate) fn write_rtp(
        &mut self,
        mid: &Mid,
        header: RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        let i = self.sendable(mid)?;
        if self.tracks[i].codec(header.pt).is_none() {
            return Err(MediaError::UnknownPt);
        }
        self.send_packet(i, header, payload)?;
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

    /// Sends the PLI track `i` owes, unless one went out less than [`PLI_INTERVAL`] ago.
    fn send_due_pli(&mut self, now: Instant, i: usize) {
        let t = &self.tracks[i];
        if !t.pli_due || t.last_pli.is_some_and(|at| now < at + PLI_INTERVAL) {
            return;
        }
        let Some(&media_ssrc) = t.remote_ssrcs.first() else {
            return;
        };
        let sender = t.ssrc.unwrap_or(self.rtcp_ssrc);
        let mut buf = self.buffer();
        let rr = ReceiverReportBuilder {
            ssrc: sender,
            reports: &[],
        };
        let pli = Pli {
            sender_ssrc: sender,
            media_ssrc,
        };
        let written = rr
            .emit(&mut buf)
            .and_then(|a| Ok(a + pli.emit(&mut buf[a..])?));
        let (Ok(len), Some(tx)) = (written, self.srtp_tx.as_mut()) else {
            self.spare.push(buf);
            return;
        };
        match tx.protect_rtcp(&mut buf, len) {
            Ok(len) => {
                let t = &mut self.tracks[i];
                t.pli_due = false;
                t.last_pli = Some(now);
                t.stats.keyframe_requests_sent += 1;
                self.enqueue(buf, len);
            }
            Err(_) => self.spare.push(buf),
        }
    }

    pub(crate) fn poll_srtp(&mut self, _now: Instant, out: &mut [u8]) -> Option<usize> {
        let (buf, len) = self.queue.pop_front()?;
        let n = len.min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.spare.push(buf);
        Some(n)
    }

    pub(crate) fn fill_stats(&self, stats: &mut RtcStats) {
        stats.tracks = self
            .tracks
            .iter()
            .map(|t| (t.info.mid.clone(), t.stats.clone()))
            .collect();
        stats.srtp_unprotect_failures = self.unprotect_failures;
        stats.media_dropped = self.dropped;
    }
}

fn send_track(kind: &MediaKind, mid: &Mid, rng: &mut dyn CryptoRng) -> SendTrack {
    SendTrack {
        stream_id: "sansrtc".to_owned(),
        track_id: format!("{}-{mid}", kind.as_str()),
        ssrc: crate::sdp::Ssrc(rng.next_u32()),
        rtx_ssrc: None,
    }
}

impl Rtc {
    /// Adds a media section with a track we send (when `direction` sends) and returns its
    /// mid; the next [`Rtc::create_offer`] carries it, and [`Event::Track`] reports it once
    /// negotiated.
    pub fn add_track(&mut self, kind: MediaKind, direction: Direction) -> Mid {
        let mid = self.negotiation.next_mid();
        let request = match kind {
            MediaKind::Audio => MediaRequest::audio(mid.clone(), direction),
            _ => MediaRequest::video(mid.clone(), direction),
        };
        let request = if matches!(direction, Direction::SendRecv | Direction::SendOnly) {
            request.with_track(send_track(&kind, &mid, &mut *self.rng))
        } else {
            request
        };
        self.negotiation.local.media.push(request);
        mid
    }

    /// The negotiated tracks.
    pub fn tracks(&self) -> impl Iterator<Item = &TrackInfo> {
        self.media.tracks()
    }

    /// Sends one frame on track `mid` with payload type `pt` (the track's first negotiated
    /// codec when `None`): packetized, protected and queued for [`Rtc::poll_transmit`].
    pub fn write_frame(
        &mut self,
        now: Instant,
        mid: &Mid,
        pt: Option<Pt>,
        rtp_time: RtpTimestamp,
        frame: &[u8],
    ) -> Result<(), MediaError> {
        self.clamp(now);
        self.media.write_frame(mid, pt, rtp_time, frame)
    }

    /// Sends one RTP packet on track `mid` as it is (packet-level API): our SSRC and mid
    /// extension, the caller's payload type, sequence number, timestamp and marker.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        mid: &Mid,
        header: RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        self.clamp(now);
        self.media.write_rtp(mid, header, payload)
    }

    /// Asks the peer for a keyframe on track `mid`, which we receive (a PLI, at most every
    /// 300 ms).
    pub fn request_keyframe(&mut self, now: Instant, mid: &Mid) -> Result<(), MediaError> {
        let now = self.clamp(now);
        self.media.request_keyframe(now, mid)
    }

    /// Reports every RTP packet received on track `mid` as [`Event::Rtp`] (packet-level
    /// API), besides the frames. Off by default.
    pub fn set_rtp_events(&mut self, mid: &Mid, on: bool) -> Result<(), MediaError> {
        let i = self.media.track(mid).ok_or(MediaError::UnknownTrack)?;
        self.media.tracks[i].rtp_events = on;
        Ok(())
    }
}

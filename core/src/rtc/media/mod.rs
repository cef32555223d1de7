//! Media through the peer connection: one track per audio/video m-section, SRTP on the
//! bundled transport, RTCP through an [`RtpSession`], the frame-level API (frames packetized
//! and depacketized with the payload formats of [`crate::rtp::payload`]) and the packet-level
//! API (RTP forwarded as it is, as an SFU does), usable together.
//!
//! Received packets find their track by SSRC (signalled with `a=ssrc`, or learned from the
//! BUNDLE `mid` header extension on the first packet, RFC 8843 section 9.2). The session
//! sends sender and receiver reports, NACKs lost packets and answers the peer's NACKs from
//! its history (RTX when negotiated, RFC 4588), and sends transport-wide congestion control
//! feedback when negotiated. PLI and FIR from the peer become [`Event::KeyframeRequest`]; a
//! depacketizer that lost a reference asks the sender for a keyframe with a PLI.

mod api;
mod negotiate;
mod pool;
mod receive;
mod send;
mod track;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use self::pool::PayloadPool;
use self::track::Track;
use crate::rtc::config::RtcConfig;
use crate::rtc::event::Event;
use crate::rtc::stats::RtcStats;
use crate::rtp::payload::{Codec, PacketizeError};
use crate::rtp::session::RtpSession;
use crate::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};
use crate::sdp::{Direction, MediaKind, Mid};
use crate::srtp::{Context, Profile, SrtpKeys};

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

/// What a track reports of the media it receives (see
/// [`Rtc::set_delivery`](crate::Rtc::set_delivery)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Whole frames, depacketized ([`Event::Frame`]); a frame that lost a packet for good
    /// makes us ask the sender for a keyframe. The default.
    #[default]
    Frames,
    /// Every RTP packet as it arrived ([`Event::Rtp`]), as an SFU forwards them: no
    /// depacketizing, and keyframe requests are the application's to make (NACK and RTX
    /// still repair losses).
    Packets,
    /// Both frames and packets.
    FramesAndPackets,
}

impl Delivery {
    const fn frames(self) -> bool {
        matches!(self, Self::Frames | Self::FramesAndPackets)
    }

    const fn packets(self) -> bool {
        matches!(self, Self::Packets | Self::FramesAndPackets)
    }
}

/// An RTP packet that arrived on a track (packet-level API, see
/// [`Rtc::set_delivery`](crate::Rtc::set_delivery)).
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

/// Every track, the RTP session and the SRTP contexts of the transport.
#[derive(Debug)]
pub(crate) struct Media {
    tracks: Vec<Track>,
    by_ssrc: HashMap<Ssrc, usize>,
    /// The negotiated id of the BUNDLE mid header extension.
    mid_ext: Option<u8>,
    /// RTCP and retransmissions; made at the first negotiation, which decides its
    /// transport-wide feedback extension.
    session: Option<RtpSession>,
    cname: String,
    wall_clock: SystemTime,
    epoch: Instant,
    srtp_tx: Option<Context>,
    srtp_rx: Option<Context>,
    profile: Option<Profile>,
    /// Protected datagrams waiting for `poll_srtp`, and spare buffers.
    queue: VecDeque<(Vec<u8>, usize)>,
    spare: Vec<Vec<u8>>,
    max_queued: usize,
    mtu: usize,
    payload: Vec<u8>,
    /// Where received payloads and frames are copied for their events.
    received: PayloadPool,
    events: VecDeque<Event>,
    pub(crate) dropped: u64,
    pub(crate) queue_overflows: u64,
    pub(crate) unprotect_failures: u64,
}

impl Media {
    pub(crate) fn new(config: &RtcConfig, cname: &str, now: Instant) -> Self {
        Self {
            tracks: Vec::new(),
            by_ssrc: HashMap::new(),
            mid_ext: None,
            session: None,
            cname: cname.to_owned(),
            wall_clock: config.wall_clock,
            epoch: now,
            srtp_tx: None,
            srtp_rx: None,
            profile: None,
            queue: VecDeque::new(),
            spare: Vec::new(),
            max_queued: config.max_queued_media,
            mtu: config.mtu,
            payload: Vec::new(),
            received: PayloadPool::default(),
            events: VecDeque::new(),
            dropped: 0,
            queue_overflows: 0,
            unprotect_failures: 0,
        }
    }

    pub(crate) fn set_keys(&mut self, keys: &SrtpKeys) {
        self.profile = Some(keys.local.profile());
        self.srtp_tx = Some(Context::new(&keys.local));
        self.srtp_rx = Some(Context::new(&keys.remote));
    }

    fn track(&self, mid: &Mid) -> Option<usize> {
        self.tracks.iter().position(|t| &t.info.mid == mid)
    }

    pub(crate) fn tracks(&self) -> impl Iterator<Item = &TrackInfo> {
        self.tracks.iter().map(|t| &t.info)
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Some(session) = &mut self.session
            && session.poll_timeout().is_some_and(|at| at <= now)
        {
            session.handle_timeout(now);
        }
        self.drain_session();
        for i in 0..self.tracks.len() {
            let t = &mut self.tracks[i];
            if let Some((_, _, d)) = &mut t.depacketizer
                && d.poll_timeout().is_some_and(|at| at <= now)
            {
                d.handle_timeout(now);
            }
            Self::drain_depacketizer(t, &mut self.received, &mut self.events);
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
        // RTCP only once there are keys to protect it.
        let session = self
            .session
            .as_ref()
            .filter(|_| self.srtp_tx.is_some())
            .and_then(RtpSession::poll_timeout);
        depacketizers.chain(pli).chain(session).min()
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub(crate) fn fill_stats(&self, stats: &mut RtcStats) {
        stats.tracks = self
            .tracks
            .iter()
            .map(|t| {
                let mut s = t.stats.clone();
                if let Some(session) = &self.session {
                    if let Some(send) = t.ssrc.and_then(|ssrc| session.send_stats(ssrc)) {
                        s.retransmitted_packets_sent = send.retransmitted_packets_sent;
                        s.nacks_received = send.nack_count;
                        s.round_trip_time = send.round_trip_time;
                        s.remote_packets_lost = send.remote_packets_lost;
                    }
                    for recv in t.remote_ssrcs.iter().filter_map(|&r| session.recv_stats(r)) {
                        s.packets_lost_reported = recv.packets_lost;
                        s.jitter = recv.jitter_seconds;
                        s.nacks_sent = recv.nack_count;
                        s.packets_repaired = recv.packets_repaired;
                    }
                }
                (t.info.mid, s)
            })
            .collect();
        stats.srtp_unprotect_failures = self.unprotect_failures;
        stats.media_dropped = self.dropped;
    }
}

impl Media {
    /// Stops track `mid` here: inactive until the next exchange removes it.
    fn stop(&mut self, mid: &Mid) {
        if let Some(i) = self.track(mid) {
            self.tracks[i].info.direction = Direction::Inactive;
        }
    }

    fn set_delivery(&mut self, mid: &Mid, delivery: Delivery) -> Result<(), MediaError> {
        let i = self.track(mid).ok_or(MediaError::UnknownTrack)?;
        let t = &mut self.tracks[i];
        t.delivery = delivery;
        if !delivery.frames() {
            // A frame half assembled will never be finished or reported.
            t.depacketizer = None;
            t.pli_due = false;
        }
        Ok(())
    }
}

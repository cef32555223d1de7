//! [`RtcPeer`]: one webrtc-rs `rtc::peer_connection::RTCPeerConnection` (0.21, ring crypto) as
//! a simulator peer.
//!
//! `rtc` follows the `sansio::Protocol` shape: `handle_read` / `handle_timeout` in,
//! `poll_write` / `poll_event` / `poll_read` / `poll_timeout` out. Its `poll_timeout` takes
//! `&mut self`, so the adapter caches the deadline after every call. Frames: the sender splits
//! each frame with `rtc`'s payloaders (`OpusPayloader`, `Vp8Payloader`) into RTP packets for
//! `RTCRtpSender::write_rtp`; the receiver feeds RTP packets into `rtc`'s `SampleBuilder` with
//! the matching depacketizer, which hands back whole frames. A `SampleBuilder` emits a frame
//! once the next one begins, so the last frame sent on a track stays buffered; and it gives
//! up on a frame with a missing packet only when later packets push it out.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtc::data_channel::RTCDataChannelId;
use rtc::interceptor::Registry;
use rtc::media::io::sample_builder::SampleBuilder;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::{
    configure_nack, configure_rtcp_reports,
};
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::event::{RTCDataChannelEvent, RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{CandidateConfig, CandidateHostConfig, RTCIceCandidate};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp::codec::opus::{OpusPacket, OpusPayloader};
use rtc::rtp::codec::vp8::{Vp8Packet, Vp8Payloader};
use rtc::rtp::packetizer::Payloader;
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use sansrtc::net::{Receive, Transmit, Transport};

use super::{ECHO_LABEL, InteropPeer, MediaKind, PeerConfig, PeerState};
use crate::sim::Peer;

/// Keep at most this much outstanding in the data channel before queueing locally.
const HIGH_WATER: usize = 256 * 1024;
/// RTP payload size for the payloaders (a 1200-byte packet budget less headers).
const RTP_MTU: usize = 1100;
/// How many packets `SampleBuilder` waits for a missing one before giving up on its frame:
/// 100 ms of audio; a few video frames, time for a NACK round trip.
const AUDIO_MAX_LATE: u16 = 5;
const VIDEO_MAX_LATE: u16 = 100;
/// Payload types both sides register (str0m offers the same numbers by default).
const PT_OPUS: u8 = 111;
const PT_VP8: u8 = 96;
/// The payload type registered for each [`MediaKind`], by discriminant.
const PT_OF: [u8; 2] = [PT_OPUS, PT_VP8];

/// One sending track: its sender, payloader and RTP numbering.
struct SendTrack {
    sender: RTCRtpSenderId,
    ssrc: u32,
    seq: u16,
    payloader: Box<dyn Payloader>,
    /// The negotiated payload type, once looked up.
    pt: Option<u8>,
}

/// One receiving track: the frame reassembly of its kind.
enum RecvTrack {
    Audio(SampleBuilder<OpusPacket>),
    Video(SampleBuilder<Vp8Packet>),
}

/// A webrtc-rs `rtc` peer connection on a simulated host. See the [module docs](self).
pub struct RtcPeer {
    pc: RTCPeerConnection,
    addr: SocketAddr,
    state: PeerState,
    media: bool,
    timeout: Option<Instant>,
    channel: Option<RTCDataChannelId>,
    connected: bool,
    audio: Option<SendTrack>,
    video: Option<SendTrack>,
    /// Receiving tracks by track id (`rtc`'s `MediaStreamTrackId`, a string).
    receivers: HashMap<String, RecvTrack>,
}

impl RtcPeer {
    /// A peer at `now` with a host candidate at `config.addr`.
    ///
    /// # Panics
    ///
    /// If `rtc` refuses its own configuration or the candidate.
    pub fn new(now: Instant, config: &PeerConfig) -> Self {
        let mut engine = MediaEngine::default();
        engine
            .register_codec(codec(MediaKind::Audio), RtpCodecKind::Audio)
            .expect("rtc registers Opus");
        engine
            .register_codec(codec(MediaKind::Video), RtpCodecKind::Video)
            .expect("rtc registers VP8");
        // NACK (video) and RTCP reports, as a browser would run them.
        let registry = configure_nack(Registry::new(), &mut engine);
        let registry = configure_rtcp_reports(registry);
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .build(now)
            .expect("rtc peer connection");
        let candidate = CandidateHostConfig {
            base_config: CandidateConfig {
                network: "udp".to_owned(),
                address: config.addr.ip().to_string(),
                port: config.addr.port(),
                component: 1,
                ..Default::default()
            },
            ..Default::default()
        }
        .new_candidate_host()
        .expect("rtc host candidate");
        let init = RTCIceCandidate::from(&candidate)
            .to_json()
            .expect("rtc candidate init");
        pc.add_local_candidate(init)
            .expect("rtc takes the candidate");
        let mut peer = Self {
            pc,
            addr: config.addr,
            state: PeerState::new(config),
            media: config.media,
            timeout: None,
            channel: None,
            connected: false,
            audio: None,
            video: None,
            receivers: HashMap::new(),
        };
        peer.drain(now);
        peer
    }

    /// The wrapped `RTCPeerConnection`, for what the adapter does not cover. Call
    /// [`RtcPeer::drain`] after mutating it.
    pub fn pc_mut(&mut self) -> &mut RTCPeerConnection {
        &mut self.pc
    }

    /// Takes events and received messages, hands queued messages to the channel, and caches
    /// the next deadline. Datagrams stay in `rtc` until `poll_transmit` asks.
    pub fn drain(&mut self, now: Instant) {
        loop {
            self.drain_events(now);
            self.drain_reads(now);
            if !self.flush_messages(now) {
                break;
            }
        }
        self.timeout = self.pc.poll_timeout();
    }

    fn drain_events(&mut self, now: Instant) {
        while let Some(event) = self.pc.poll_event() {
            match event {
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(
                    RTCPeerConnectionState::Connected,
                ) => {
                    self.connected = true;
                    self.state.connected_at.get_or_insert(now);
                }
                RTCPeerConnectionEvent::OnDataChannel(RTCDataChannelEvent::OnOpen(id)) => {
                    let label = self.pc.data_channel(id).map(|dc| dc.label().to_owned());
                    if label.as_deref() == Some(ECHO_LABEL) {
                        self.channel = Some(id);
                        self.state.channel_open_at.get_or_insert(now);
                    }
                }
                RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                    let kind = self
                        .pc
                        .rtp_receiver(init.receiver_id)
                        .map(|r| r.track().kind());
                    let track = match kind {
                        Some(RtpCodecKind::Audio) => {
                            RecvTrack::Audio(SampleBuilder::new(AUDIO_MAX_LATE, OpusPacket, 48_000))
                        }
                        Some(RtpCodecKind::Video) => RecvTrack::Video(SampleBuilder::new(
                            VIDEO_MAX_LATE,
                            Vp8Packet::default(),
                            90_000,
                        )),
                        _ => continue,
                    };
                    self.receivers.insert(init.track_id, track);
                }
                _ => {}
            }
        }
    }

    fn drain_reads(&mut self, now: Instant) {
        while let Some(TaggedRTCMessage { message, .. }) = self.pc.poll_read() {
            match message {
                RTCMessage::DataChannelMessage(id, m) if Some(id) == self.channel => {
                    self.state.on_message(now, &m.data);
                }
                RTCMessage::RtpPacket(_, _) if self.state.packets() => {
                    self.state.counters.packets_received += 1;
                }
                RTCMessage::RtpPacket(track, packet) => {
                    let Some(rx) = self.receivers.get_mut(&track) else {
                        continue;
                    };
                    match rx {
                        RecvTrack::Audio(b) => {
                            b.push(now, packet);
                            while let Some(s) = b.pop(now) {
                                self.state
                                    .on_frame(MediaKind::Audio, s.packet_timestamp, &s.data);
                            }
                        }
                        RecvTrack::Video(b) => {
                            b.push(now, packet);
                            while let Some(s) = b.pop(now) {
                                self.state
                                    .on_frame(MediaKind::Video, s.packet_timestamp, &s.data);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Hands queued messages to the channel while it has room; whether it took any.
    fn flush_messages(&mut self, now: Instant) -> bool {
        let Some(id) = self.channel else {
            return false;
        };
        let mut took = false;
        while let Some(data) = self.state.next_outgoing() {
            match write_message(&mut self.pc, now, id, data) {
                Ok(true) => {
                    self.state.sent();
                    took = true;
                }
                Ok(false) => break,
                Err(e) => {
                    self.state.on_error(now, e);
                    break;
                }
            }
        }
        took
    }

    fn add_track(&mut self, kind: MediaKind) -> SendTrack {
        let (rtc_kind, name, payloader): (_, _, Box<dyn Payloader>) = match kind {
            MediaKind::Audio => (RtpCodecKind::Audio, "audio", Box::new(OpusPayloader)),
            MediaKind::Video => (
                RtpCodecKind::Video,
                "video",
                Box::new(Vp8Payloader::default()),
            ),
        };
        // SSRCs: fixed per kind and address, so a run's SSRCs do not depend on `rtc`'s RNG.
        let ssrc = 0x5500_0000 | (u32::from(self.addr.port()) << 4) | kind as u32;
        let coding = RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: codec(kind).rtp_codec,
            ..Default::default()
        };
        let track = MediaStreamTrack::new(
            "interop".to_owned(),
            format!("{name}-{}", self.addr.port()),
            name.to_owned(),
            rtc_kind,
            vec![coding],
        );
        let sender = self.pc.add_track(track).expect("rtc adds the track");
        SendTrack {
            sender,
            ssrc,
            seq: 0,
            payloader,
            pt: None,
        }
    }

    fn add_tracks(&mut self) {
        if self.media && self.audio.is_none() {
            self.audio = Some(self.add_track(MediaKind::Audio));
            self.video = Some(self.add_track(MediaKind::Video));
        }
    }
}

/// The codec `rtc` registers and sends for `kind`.
fn codec(kind: MediaKind) -> RTCRtpCodecParameters {
    let (mime, clock_rate, channels, fmtp, pt) = match kind {
        MediaKind::Audio => (
            MIME_TYPE_OPUS,
            48_000,
            2,
            "minptime=10;useinbandfec=1",
            PT_OPUS,
        ),
        MediaKind::Video => (MIME_TYPE_VP8, 90_000, 0, "", PT_VP8),
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: pt,
    }
}

/// Sends one message on channel `id` if fewer than [`HIGH_WATER`] bytes are outstanding (or
/// none are): `Ok(false)` when not. `rtc` copies the bytes into its own `BytesMut`.
fn write_message(
    pc: &mut RTCPeerConnection,
    now: Instant,
    id: RTCDataChannelId,
    data: &[u8],
) -> Result<bool, String> {
    let Some(mut dc) = pc.data_channel(id) else {
        return Err("channel gone".to_owned());
    };
    let outstanding = dc.outstanding_bytes();
    if outstanding > 0 && outstanding + data.len() > HIGH_WATER {
        return Ok(false);
    }
    dc.send(now, BytesMut::from(data))
        .map(|()| true)
        .map_err(|e| format!("channel send: {e}"))
}

impl Peer for RtcPeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.state.on_receive(rx.contents);
        let msg = TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr: rx.destination,
                peer_addr: rx.source,
                ecn: None,
                transport_protocol: TransportProtocol::UDP,
            },
            message: BytesMut::from(&rx.contents[..]),
        };
        if let Err(e) = self.pc.handle_read(msg) {
            self.state.on_error(now, format_args!("handle_read: {e}"));
        }
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Err(e) = self.pc.handle_timeout(now) {
            self.state
                .on_error(now, format_args!("handle_timeout: {e}"));
        }
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.state.queued() > 0 {
            self.drain(now);
        }
        let Some(msg) = self.pc.poll_write() else {
            self.timeout = self.pc.poll_timeout();
            return None;
        };
        self.state.on_send(&msg.message);
        let len = msg.message.len();
        buf[..len].copy_from_slice(&msg.message);
        Some(Transmit {
            source: msg.transport.local_addr,
            destination: msg.transport.peer_addr,
            transport: Transport::Udp,
            len,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }
}

impl InteropPeer for RtcPeer {
    fn build(now: Instant, config: &PeerConfig) -> Self {
        Self::new(now, config)
    }

    fn stack(&self) -> &'static str {
        "rtc"
    }

    fn create_offer(&mut self, now: Instant) -> String {
        self.pc
            .create_data_channel(ECHO_LABEL, None)
            .expect("rtc creates the channel");
        self.add_tracks();
        let offer = self.pc.create_offer(None).expect("rtc creates the offer");
        let sdp = offer.sdp.clone();
        self.pc
            .set_local_description(now, offer)
            .expect("rtc sets its offer");
        self.drain(now);
        sdp
    }

    fn accept_offer(&mut self, now: Instant, offer: &str) -> String {
        self.add_tracks();
        let offer = RTCSessionDescription::offer(offer.to_owned()).expect("rtc parses the offer");
        self.pc
            .set_remote_description(now, offer)
            .expect("rtc accepts the offer");
        let answer = self.pc.create_answer(None).expect("rtc creates the answer");
        let sdp = answer.sdp.clone();
        self.pc
            .set_local_description(now, answer)
            .expect("rtc sets its answer");
        self.drain(now);
        sdp
    }

    fn accept_answer(&mut self, now: Instant, answer: &str) {
        let answer =
            RTCSessionDescription::answer(answer.to_owned()).expect("rtc parses the answer");
        self.pc
            .set_remote_description(now, answer)
            .expect("rtc accepts the answer");
        self.drain(now);
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn is_channel_open(&self) -> bool {
        self.channel.is_some()
    }

    fn send_message(&mut self, now: Instant, data: &[u8]) {
        // Straight to rtc when nothing waits before it (no copy of ours), else queued.
        let direct = match self.channel {
            Some(id) if self.state.queued() == 0 => write_message(&mut self.pc, now, id, data),
            _ => Ok(false),
        };
        match direct {
            Ok(true) => self.state.sent_direct(),
            Ok(false) => self.state.queue(data),
            Err(e) => self.state.on_error(now, e),
        }
        self.drain(now);
    }

    fn can_send_media(&self, kind: MediaKind) -> bool {
        let track = match kind {
            MediaKind::Audio => &self.audio,
            MediaKind::Video => &self.video,
        };
        self.connected && track.is_some()
    }

    fn write_frame(&mut self, now: Instant, kind: MediaKind, rtp_time: u32, data: &[u8]) -> bool {
        let track = match kind {
            MediaKind::Audio => self.audio.as_mut(),
            MediaKind::Video => self.video.as_mut(),
        };
        let Some(track) = track else {
            self.state.on_error(now, format_args!("no {kind:?} track"));
            return false;
        };
        let payloads = match track
            .payloader
            .payload(RTP_MTU, &Bytes::copy_from_slice(data))
        {
            Ok(p) => p,
            Err(e) => {
                self.state
                    .on_error(now, format_args!("payload {kind:?}: {e}"));
                return false;
            }
        };
        let Some(mut sender) = self.pc.rtp_sender(track.sender) else {
            self.state
                .on_error(now, format_args!("no sender for {kind:?}"));
            return false;
        };
        // The payload type the sender negotiated (the answer may renumber), looked up once:
        // `get_parameters` clones the parameters.
        let pt = *track.pt.get_or_insert_with(|| {
            sender
                .get_parameters()
                .rtp_parameters
                .codecs
                .first()
                .map_or(PT_OF[kind as usize], |c| c.payload_type)
        });
        let last = payloads.len().saturating_sub(1);
        let mut ok = true;
        for (i, payload) in payloads.into_iter().enumerate() {
            let packet = rtc::rtp::Packet {
                header: rtc::rtp::header::Header {
                    version: 2,
                    marker: i == last,
                    payload_type: pt,
                    sequence_number: track.seq,
                    timestamp: rtp_time,
                    ssrc: track.ssrc,
                    ..Default::default()
                },
                payload,
            };
            track.seq = track.seq.wrapping_add(1);
            if let Err(e) = sender.write_rtp(now, packet) {
                self.state
                    .on_error(now, format_args!("write_rtp {kind:?}: {e}"));
                ok = false;
                break;
            }
        }
        if ok {
            self.state.counters.frames_sent += 1;
        }
        self.drain(now);
        ok
    }

    fn buffered_amount(&mut self) -> usize {
        let Some(id) = self.channel else { return 0 };
        self.pc
            .data_channel(id)
            .map_or(0, |dc| dc.outstanding_bytes())
    }

    fn write_rtp(
        &mut self,
        now: Instant,
        kind: MediaKind,
        seq: u16,
        rtp_time: u32,
        marker: bool,
        payload: &[u8],
    ) -> bool {
        let track = match kind {
            MediaKind::Audio => self.audio.as_mut(),
            MediaKind::Video => self.video.as_mut(),
        };
        let Some(track) = track else {
            self.state.on_error(now, format_args!("no {kind:?} track"));
            return false;
        };
        let Some(mut sender) = self.pc.rtp_sender(track.sender) else {
            self.state
                .on_error(now, format_args!("no sender for {kind:?}"));
            return false;
        };
        let pt = *track.pt.get_or_insert_with(|| {
            sender
                .get_parameters()
                .rtp_parameters
                .codecs
                .first()
                .map_or(PT_OF[kind as usize], |c| c.payload_type)
        });
        let packet = rtc::rtp::Packet {
            header: rtc::rtp::header::Header {
                version: 2,
                marker,
                payload_type: pt,
                sequence_number: seq,
                timestamp: rtp_time,
                ssrc: track.ssrc,
                ..Default::default()
            },
            // `rtc` takes the payload as `Bytes`: one allocation and copy per packet.
            payload: Bytes::copy_from_slice(payload),
        };
        let ok = match sender.write_rtp(now, packet) {
            Ok(()) => {
                self.state.counters.packets_sent += 1;
                true
            }
            Err(e) => {
                self.state
                    .on_error(now, format_args!("write_rtp {kind:?}: {e}"));
                false
            }
        };
        self.drain(now);
        ok
    }

    fn state(&self) -> &PeerState {
        &self.state
    }
}

impl std::fmt::Debug for RtcPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtcPeer")
            .field("addr", &self.addr)
            .field("connected", &self.connected)
            .field("channel", &self.channel)
            .field("counters", &self.state.counters)
            .finish_non_exhaustive()
    }
}

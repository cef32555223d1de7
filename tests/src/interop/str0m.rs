//! [`Str0mPeer`]: one `str0m::Rtc` (0.25, aws-lc-rs crypto) as a simulator peer.
//!
//! str0m has one output call, `poll_output`, and asks that every mutation be followed by a
//! full drain to `Output::Timeout` before the next one. The adapter drains after each
//! mutation into a queue of datagrams (handed to the simulator one per `poll_transmit`), its
//! [`PeerState`] and the next timeout. Frames use str0m's frame API: `Writer::write`
//! packetizes, `Event::MediaData` delivers depacketized frames.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use sansrtc::net::{Receive, Transmit, Transport};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaTime, Mid, Pt};
use str0m::net::Protocol;
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

use super::{ECHO_LABEL, InteropPeer, MediaKind, PeerConfig, PeerState};
use crate::sim::Peer;

/// str0m's send buffer for the data channel is bounded; keep this much queued in it at most.
const HIGH_WATER: usize = 256 * 1024;

/// A str0m peer connection on a simulated host. See the [module docs](self).
pub struct Str0mPeer {
    rtc: Rtc,
    addr: SocketAddr,
    state: PeerState,
    media: bool,
    out: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    timeout: Option<Instant>,
    pending: Option<SdpPendingOffer>,
    channel: Option<ChannelId>,
    audio: Option<Mid>,
    video: Option<Mid>,
    connected: bool,
    /// The last extended RTP sequence number written per [`MediaKind`] (discriminant).
    seq_ext: [u64; 2],
}

impl Str0mPeer {
    /// A peer at `now` with a host candidate at `config.addr`.
    ///
    /// # Panics
    ///
    /// If str0m rejects the candidate.
    pub fn new(now: Instant, config: &PeerConfig) -> Self {
        let rtc_config = Self::rtc_config().set_rtp_mode(config.packets);
        Self::with_rtc_config(now, config, rtc_config)
    }

    /// The str0m configuration [`Str0mPeer::new`] uses: str0m's defaults with only Opus and
    /// VP8 among the codecs.
    pub fn rtc_config() -> RtcConfig {
        Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
    }

    /// A peer like [`Str0mPeer::new`] built from `rtc_config` (start from
    /// [`Str0mPeer::rtc_config`] to keep the codecs), e.g. with SNAP turned on.
    ///
    /// # Panics
    ///
    /// If str0m rejects the candidate.
    pub fn with_rtc_config(now: Instant, config: &PeerConfig, rtc_config: RtcConfig) -> Self {
        let mut rtc = rtc_config.build(now);
        let candidate = Candidate::host(config.addr, "udp").expect("str0m host candidate");
        rtc.add_local_candidate(candidate);
        let mut peer = Self {
            rtc,
            addr: config.addr,
            state: PeerState::new(config),
            media: config.media,
            out: VecDeque::new(),
            timeout: None,
            pending: None,
            channel: None,
            audio: None,
            video: None,
            connected: false,
            seq_ext: [0; 2],
        };
        peer.drain(now);
        peer
    }

    /// The wrapped `str0m::Rtc`, for what the adapter does not cover. Drain with
    /// [`Str0mPeer::drain`] after mutating it.
    pub fn rtc_mut(&mut self) -> &mut Rtc {
        &mut self.rtc
    }

    /// Drains `poll_output` to its timeout, then hands queued messages to the channel (and
    /// drains again while it takes any).
    pub fn drain(&mut self, now: Instant) {
        loop {
            self.drain_output(now);
            if !self.flush_messages(now) {
                break;
            }
        }
    }

    fn drain_output(&mut self, now: Instant) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = Some(t);
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    let bytes: Vec<u8> = t.contents.into();
                    self.out.push_back((t.source, t.destination, bytes));
                }
                Ok(Output::Event(e)) => self.handle_event(now, e),
                Err(e) => {
                    self.state.on_error(now, format_args!("poll_output: {e}"));
                    self.timeout = None;
                    return;
                }
            }
        }
    }

    fn handle_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Connected => {
                self.connected = true;
                self.state.connected_at.get_or_insert(now);
            }
            Event::ChannelOpen(id, label) if label == ECHO_LABEL => {
                self.channel = Some(id);
                self.state.channel_open_at.get_or_insert(now);
            }
            Event::ChannelData(d) if Some(d.id) == self.channel => {
                self.state.on_message(now, &d.data);
            }
            Event::MediaAdded(m) => match m.kind {
                str0m::media::MediaKind::Audio => self.audio = Some(m.mid),
                str0m::media::MediaKind::Video => self.video = Some(m.mid),
            },
            Event::RtpPacket(_) => self.state.counters.packets_received += 1,
            Event::MediaData(d) => {
                let kind = if Some(d.mid) == self.audio {
                    MediaKind::Audio
                } else if Some(d.mid) == self.video {
                    MediaKind::Video
                } else {
                    return;
                };
                self.state.on_frame(kind, d.time.numer() as u32, &d.data);
            }
            _ => {}
        }
    }

    /// Hands queued messages to the channel while it has room; whether it took any.
    fn flush_messages(&mut self, now: Instant) -> bool {
        let Some(id) = self.channel else {
            return false;
        };
        let mut took = false;
        while let Some(data) = self.state.next_outgoing() {
            match write_message(&mut self.rtc, id, data) {
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

    fn mid(&self, kind: MediaKind) -> Option<Mid> {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
        }
    }
}

/// Writes one message on channel `id` if str0m has room for it (it always has when nothing
/// is buffered): `Ok(false)` when it has not.
fn write_message(rtc: &mut Rtc, id: ChannelId, data: &[u8]) -> Result<bool, String> {
    let Some(mut channel) = rtc.channel(id) else {
        return Err("channel gone".to_owned());
    };
    let buffered = channel.buffered_amount();
    if buffered > 0 && buffered + data.len() > HIGH_WATER {
        return Ok(false);
    }
    channel
        .write(true, data)
        .map_err(|e| format!("channel write: {e}"))
}

impl Peer for Str0mPeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.state.on_receive(rx.contents);
        let proto = match rx.transport {
            Transport::Udp => Protocol::Udp,
            _ => Protocol::Tcp,
        };
        match str0m::net::Receive::new(proto, rx.source, rx.destination, rx.contents) {
            Ok(r) => {
                if let Err(e) = self.rtc.handle_input(Input::Receive(now, r)) {
                    self.state.on_error(now, format_args!("handle_input: {e}"));
                }
            }
            // Not STUN, DTLS, RTP or RTCP: str0m would not take it either.
            Err(_) => return,
        }
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            self.state.on_error(now, format_args!("timeout: {e}"));
        }
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.out.is_empty() && self.state.queued() > 0 {
            self.drain(now);
        }
        let (source, destination, bytes) = self.out.pop_front()?;
        self.state.on_send(&bytes);
        buf[..bytes.len()].copy_from_slice(&bytes);
        Some(Transmit {
            source,
            destination,
            transport: Transport::Udp,
            len: bytes.len(),
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }
}

impl InteropPeer for Str0mPeer {
    fn build(now: Instant, config: &PeerConfig) -> Self {
        Self::new(now, config)
    }

    fn stack(&self) -> &'static str {
        "str0m"
    }

    fn create_offer(&mut self, now: Instant) -> String {
        let mut api = self.rtc.sdp_api();
        api.add_channel(ECHO_LABEL.to_string());
        if self.media {
            let audio = str0m::media::MediaKind::Audio;
            let video = str0m::media::MediaKind::Video;
            self.audio = Some(api.add_media(audio, Direction::SendRecv, None, None, None));
            self.video = Some(api.add_media(video, Direction::SendRecv, None, None, None));
        }
        let (offer, pending) = api.apply().expect("str0m: changes to offer");
        self.pending = Some(pending);
        self.drain(now);
        offer.to_sdp_string()
    }

    fn accept_offer(&mut self, now: Instant, offer: &str) -> String {
        let offer = SdpOffer::from_sdp_string(offer).expect("str0m parses the offer");
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .expect("str0m accepts the offer");
        self.drain(now);
        answer.to_sdp_string()
    }

    fn accept_answer(&mut self, now: Instant, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("str0m parses the answer");
        let pending = self
            .pending
            .take()
            .expect("accept_answer after create_offer");
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("str0m accepts the answer");
        self.drain(now);
    }

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn is_channel_open(&self) -> bool {
        self.channel.is_some()
    }

    fn send_message(&mut self, now: Instant, data: &[u8]) {
        // Straight to str0m when nothing waits before it (no copy of ours), else queued.
        let direct = match self.channel {
            Some(id) if self.state.queued() == 0 => write_message(&mut self.rtc, id, data),
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
        self.connected && self.mid(kind).is_some()
    }

    fn write_frame(&mut self, now: Instant, kind: MediaKind, rtp_time: u32, data: &[u8]) -> bool {
        let (codec, rate) = match kind {
            MediaKind::Audio => (Codec::Opus, Frequency::FORTY_EIGHT_KHZ),
            MediaKind::Video => (Codec::Vp8, Frequency::NINETY_KHZ),
        };
        let Some(mid) = self.mid(kind) else {
            self.state.on_error(now, format_args!("no {kind:?} track"));
            return false;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            self.state
                .on_error(now, format_args!("no writer for {kind:?}"));
            return false;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
        else {
            self.state
                .on_error(now, format_args!("{codec:?} not negotiated"));
            return false;
        };
        let time = MediaTime::new(u64::from(rtp_time), rate);
        let result = writer.write(pt, now, time, data.to_vec());
        let ok = match result {
            Ok(()) => {
                self.state.counters.frames_sent += 1;
                true
            }
            Err(e) => {
                self.state
                    .on_error(now, format_args!("write {kind:?}: {e}"));
                false
            }
        };
        self.drain(now);
        ok
    }

    fn buffered_amount(&mut self) -> usize {
        let Some(id) = self.channel else { return 0 };
        self.rtc.channel(id).map_or(0, |mut c| c.buffered_amount())
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
        let Some(mid) = self.mid(kind) else {
            self.state.on_error(now, format_args!("no {kind:?} track"));
            return false;
        };
        let pt: Option<Pt> = self
            .rtc
            .media(mid)
            .and_then(|m| m.remote_pts().first().copied());
        let Some(pt) = pt else {
            self.state
                .on_error(now, format_args!("no payload type for {kind:?}"));
            return false;
        };
        // str0m wants the extended sequence number (it carries the SRTP rollover counter).
        let ext = &mut self.seq_ext[kind as usize];
        *ext = extend_seq(*ext, seq);
        let seq_no = SeqNo::from(*ext);
        let mut api = self.rtc.direct_api();
        let Some(tx) = api.stream_tx_by_mid(mid, None) else {
            self.state
                .on_error(now, format_args!("no send stream for {kind:?}"));
            return false;
        };
        // str0m takes the payload as an `Arc<[u8]>`: one allocation and copy per packet.
        let payload: Arc<[u8]> = Arc::from(payload);
        tx.write_rtp(RtpWrite::new(pt, seq_no, rtp_time, now, payload).marker(marker));
        self.state.counters.packets_sent += 1;
        self.drain(now);
        true
    }

    fn state(&self) -> &PeerState {
        &self.state
    }
}

/// The extended sequence number nearest `last` with low bits `seq`, never before 0.
fn extend_seq(last: u64, seq: u16) -> u64 {
    let candidate = (last & !0xffff) | u64::from(seq);
    if candidate + 0x8000 < last {
        candidate + 0x1_0000
    } else if candidate > last + 0x8000 && candidate >= 0x1_0000 {
        candidate - 0x1_0000
    } else {
        candidate
    }
}

impl std::fmt::Debug for Str0mPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Str0mPeer")
            .field("addr", &self.addr)
            .field("connected", &self.connected)
            .field("channel", &self.channel)
            .field("counters", &self.state.counters)
            .finish_non_exhaustive()
    }
}

//! [`SansrtcPeer`]: our own [`Rtc`] behind the same [`InteropPeer`] trait as the
//! other stacks, so every interop scenario runs with our peer on either side.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::datachannel::ChannelConfig;
use sansrtc::net::{Receive, Transmit};
use sansrtc::rtc::{ChannelId, Event, PeerState as State};
use sansrtc::rtc::{Delivery, RtpHeader};
use sansrtc::rtp::payload::Codec;
use sansrtc::rtp::{Pt, RtpTimestamp, SeqNo};
use sansrtc::sdp::{Direction, Mid};
use sansrtc::{Rtc, RtcConfig};

use super::{ECHO_LABEL, InteropPeer, MediaKind, PeerConfig, PeerState};
use crate::rtc::certificates;
use crate::sim::Peer;

/// Keep at most this much queued in a channel before holding messages back.
const HIGH_WATER: usize = 256 * 1024;

/// Our peer connection on a simulated host.
pub struct SansrtcPeer {
    rtc: Rtc,
    state: PeerState,
    media: bool,
    channel: Option<ChannelId>,
    audio: Option<Mid>,
    video: Option<Mid>,
    rx: Vec<u8>,
    /// Each kind's track and payload type, once looked up (by [`MediaKind`] discriminant), so
    /// per-packet calls do not clone the mid.
    sending: [Option<(Mid, Pt)>; 2],
}

impl SansrtcPeer {
    /// The wrapped peer connection.
    pub fn rtc(&self) -> &Rtc {
        &self.rtc
    }

    /// The wrapped peer connection, to command.
    pub fn rtc_mut(&mut self) -> &mut Rtc {
        &mut self.rtc
    }

    fn drain(&mut self, now: Instant) {
        while let Some(event) = self.rtc.poll_event() {
            match event {
                Event::Connected => {
                    self.state.connected_at.get_or_insert(now);
                }
                Event::ChannelOpen { id, label } if label == ECHO_LABEL => {
                    self.channel = Some(id);
                    self.state.channel_open_at.get_or_insert(now);
                }
                Event::ChannelMessage { id, data, .. } if Some(id) == self.channel => {
                    self.state.on_message(now, &data);
                }
                Event::Track(t) => {
                    if self.state.packets()
                        && let Err(e) = self.rtc.set_delivery(&t.mid, Delivery::Packets)
                    {
                        self.state.on_error(now, format_args!("set_delivery: {e}"));
                    }
                    match t.kind {
                        sansrtc::sdp::MediaKind::Audio => self.audio = Some(t.mid),
                        sansrtc::sdp::MediaKind::Video => self.video = Some(t.mid),
                        _ => {}
                    }
                }
                Event::Rtp(_) => self.state.counters.packets_received += 1,
                Event::Frame(f) => {
                    let kind = if Some(&f.mid) == self.audio.as_ref() {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    self.state.on_frame(kind, f.rtp_time.0, &f.data);
                }
                _ => {}
            }
        }
        self.flush(now);
    }

    /// Hands queued messages to the channel while it has room.
    fn flush(&mut self, now: Instant) {
        let Some(id) = self.channel else { return };
        while let Some(data) = self.state.next_outgoing() {
            if self.rtc.buffered_amount(id) + data.len() > HIGH_WATER {
                break;
            }
            match self.rtc.send(now, id, data, true) {
                Ok(()) => self.state.sent(),
                Err(e) => {
                    self.state.on_error(now, format_args!("send: {e}"));
                    break;
                }
            }
        }
    }

    /// The track of `kind` and the payload type its codec was negotiated with.
    fn track_pt(&mut self, now: Instant, kind: MediaKind) -> Option<(Mid, Pt)> {
        let codec = match kind {
            MediaKind::Audio => Codec::Opus,
            MediaKind::Video => Codec::Vp8,
        };
        let Some(mid) = self.mid(kind).cloned() else {
            self.state.on_error(now, format_args!("no {kind:?} track"));
            return None;
        };
        let pt = self.rtc.tracks().find(|t| t.mid == mid).and_then(|t| {
            t.codecs
                .iter()
                .find(|(_, c)| *c == codec)
                .map(|(pt, _)| *pt)
        });
        let Some(pt) = pt else {
            self.state
                .on_error(now, format_args!("{codec:?} not negotiated"));
            return None;
        };
        Some((mid, pt))
    }

    fn mid(&self, kind: MediaKind) -> Option<&Mid> {
        match kind {
            MediaKind::Audio => self.audio.as_ref(),
            MediaKind::Video => self.video.as_ref(),
        }
    }
}

/// A seed from the peer's address: distinct peers, repeatable runs.
fn seed_of(addr: SocketAddr) -> u64 {
    let mut h = DefaultHasher::new();
    addr.hash(&mut h);
    h.finish()
}

impl Peer for SansrtcPeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.state.on_receive(rx.contents);
        let mut buf = std::mem::take(&mut self.rx);
        buf.clear();
        buf.extend_from_slice(rx.contents);
        self.rtc
            .handle_datagram(now, Receive::udp(rx.source, rx.destination, &mut buf));
        self.rx = buf;
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.rtc.handle_timeout(now);
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.flush(now);
        let t = self.rtc.poll_transmit(now, buf)?;
        self.state.on_send(&buf[..t.len]);
        self.drain(now);
        Some(t)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.rtc.poll_timeout()
    }
}

impl SansrtcPeer {
    /// As [`InteropPeer::build`], with the configuration adjusted by `tweak` (TURN servers,
    /// relay-only ICE, ...).
    pub fn build_with(
        now: Instant,
        config: &PeerConfig,
        tweak: impl FnOnce(&mut RtcConfig),
    ) -> Self {
        let (cert, _) = certificates();
        let rng = ChaCha20Rng::seed_from_u64(seed_of(config.addr));
        let mut rtc_config = RtcConfig::new(cert);
        if let Some(mtu) = config.mtu {
            rtc_config.mtu = mtu;
        }
        tweak(&mut rtc_config);
        let mut rtc = Rtc::new(rtc_config, now, Box::new(rng));
        rtc.add_host_address(now, config.addr)
            .expect("a usable host address");
        Self {
            rtc,
            state: PeerState::new(config),
            media: config.media,
            channel: None,
            audio: None,
            video: None,
            rx: Vec::with_capacity(2048),
            sending: [None, None],
        }
    }
}

impl InteropPeer for SansrtcPeer {
    fn build(now: Instant, config: &PeerConfig) -> Self {
        Self::build_with(now, config, |_| {})
    }

    fn stack(&self) -> &'static str {
        "sansrtc"
    }

    fn create_offer(&mut self, now: Instant) -> String {
        self.rtc
            .open_channel(now, ChannelConfig::new(ECHO_LABEL))
            .expect("open the echo channel");
        if self.media {
            use sansrtc::sdp::MediaKind as Kind;
            self.audio = Some(self.rtc.add_track(Kind::Audio, Direction::SendRecv));
            self.video = Some(self.rtc.add_track(Kind::Video, Direction::SendRecv));
        }
        let offer = self.rtc.create_offer(now).expect("our offer");
        self.drain(now);
        offer
    }

    fn accept_offer(&mut self, now: Instant, offer: &str) -> String {
        let answer = self.rtc.accept_offer(now, offer).expect("our answer");
        self.drain(now);
        answer
    }

    fn accept_answer(&mut self, now: Instant, answer: &str) {
        self.rtc
            .accept_answer(now, answer)
            .expect("we accept the answer");
        self.drain(now);
    }

    fn is_connected(&self) -> bool {
        self.rtc.state() == State::Connected
    }

    fn is_channel_open(&self) -> bool {
        self.channel.is_some()
    }

    fn send_message(&mut self, now: Instant, data: &[u8]) {
        let direct = match self.channel {
            Some(id)
                if self.state.queued() == 0
                    && self.rtc.buffered_amount(id) + data.len() <= HIGH_WATER =>
            {
                Some(self.rtc.send(now, id, data, true))
            }
            _ => None,
        };
        match direct {
            Some(Ok(())) => self.state.sent_direct(),
            Some(Err(e)) => self.state.on_error(now, format_args!("send: {e}")),
            None => self.state.queue(data),
        }
        self.drain(now);
    }

    fn can_send_media(&self, kind: MediaKind) -> bool {
        self.is_connected() && self.mid(kind).is_some()
    }

    fn write_frame(&mut self, now: Instant, kind: MediaKind, rtp_time: u32, data: &[u8]) -> bool {
        if self.sending[kind as usize].is_none() {
            self.sending[kind as usize] = self.track_pt(now, kind);
        }
        let Some((mid, pt)) = &self.sending[kind as usize] else {
            return false;
        };
        let result = self
            .rtc
            .write_frame(now, mid, Some(*pt), RtpTimestamp(rtp_time), data);
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
        self.channel.map_or(0, |id| self.rtc.buffered_amount(id))
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
        if self.sending[kind as usize].is_none() {
            self.sending[kind as usize] = self.track_pt(now, kind);
        }
        let Some((mid, pt)) = &self.sending[kind as usize] else {
            return false;
        };
        let pt = *pt;
        let header = RtpHeader {
            pt,
            seq: SeqNo(seq),
            timestamp: RtpTimestamp(rtp_time),
            marker,
        };
        let ok = match self.rtc.write_rtp(now, mid, header, payload) {
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

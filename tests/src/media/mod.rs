//! A media sender and receiver for the simulator: SRTP-protected RTP at a fixed pace over
//! [`RtpSession`]s, which schedule sender and receiver reports, NACK missing packets and
//! answer with RTX (RFC 4588). Scenario tests check loss recovery and report figures against
//! what the simulated links did.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::net::{Receive, Transmit, Transport};
use sansrtc::rtp::session::{
    Received, RecvStats, RecvStreamConfig, RtpSession, RtxConfig, SendStats, SendStreamConfig,
    SessionConfig,
};
use sansrtc::rtp::wire::{Compound, PacketBuilder, ReportBlock, Rtcp};
use sansrtc::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};
use sansrtc::srtp::{Context, MasterKey, Profile};

use crate::sim::Peer;

/// The media stream's SSRC.
pub const MEDIA_SSRC: Ssrc = Ssrc(0x1111_1111);
/// The RTX stream's SSRC.
pub const RTX_SSRC: Ssrc = Ssrc(0x2222_2222);
/// The receiver's SSRC (for its RTCP).
pub const RECEIVER_SSRC: Ssrc = Ssrc(0x3333_3333);
/// The RTP clock rate: 90 kHz video.
pub const CLOCK_RATE: u32 = 90_000;
/// Time between packets.
pub const PACKET_INTERVAL: Duration = Duration::from_millis(20);
/// The media payload type.
const MEDIA_PT: Pt = Pt(96);
/// The RTX payload type (`apt=96`).
const RTX_PT: Pt = Pt(97);
/// Payload bytes per packet.
const PAYLOAD_LEN: usize = 300;
/// Room left in an RTCP buffer for the SRTCP trailer.
const RTCP_BUF_LEN: usize = 1200;

/// The two directions' SRTP master keys: sender to receiver, receiver to sender.
fn keys() -> (MasterKey, MasterKey) {
    let p = Profile::AeadAes128Gcm;
    let a = MasterKey::new(p, &[1; 16], &[2; 12]).expect("valid lengths");
    let b = MasterKey::new(p, &[3; 16], &[4; 12]).expect("valid lengths");
    (a, b)
}

fn is_rtcp(bytes: &[u8]) -> bool {
    // RFC 5761 section 4: RTCP packet types 192..=223 sit where the RTP marker and PT are.
    bytes.get(1).is_some_and(|b| (192..=223).contains(b))
}

fn rtx() -> RtxConfig {
    RtxConfig::new(RTX_SSRC, MEDIA_PT, RTX_PT)
}

/// SRTP(CP)-protected datagrams waiting for `poll_transmit`.
#[derive(Debug)]
struct Outbox {
    local: SocketAddr,
    remote: SocketAddr,
    srtp: Context,
    queue: VecDeque<Vec<u8>>,
}

impl Outbox {
    fn new(local: SocketAddr, remote: SocketAddr, key: &MasterKey) -> Self {
        Self {
            local,
            remote,
            srtp: Context::new(key),
            queue: VecDeque::new(),
        }
    }

    fn push_rtp(&mut self, packet: &[u8]) {
        let mut buf = packet.to_vec();
        buf.resize(packet.len() + Profile::AeadAes128Gcm.rtp_overhead(), 0);
        let len = self
            .srtp
            .protect_rtp(&mut buf, packet.len())
            .expect("protect");
        buf.truncate(len);
        self.queue.push_back(buf);
    }

    fn push_rtcp(&mut self, packet: &[u8]) {
        let mut buf = packet.to_vec();
        buf.resize(packet.len() + Profile::AeadAes128Gcm.rtcp_overhead(), 0);
        let len = self
            .srtp
            .protect_rtcp(&mut buf, packet.len())
            .expect("protect");
        buf.truncate(len);
        self.queue.push_back(buf);
    }

    /// Drains the session's RTCP and retransmissions into the queue; returns the report
    /// blocks it sent.
    fn drain(&mut self, now: Instant, session: &mut RtpSession, blocks: &mut Vec<ReportBlock>) {
        let mut buf = [0u8; RTCP_BUF_LEN];
        while let Some(len) = session.poll_rtcp(now, &mut buf) {
            for packet in Compound::new(&buf[..len]).flatten() {
                if let Ok(Rtcp::ReceiverReport(rr)) = packet.parse() {
                    blocks.extend(rr.report_blocks());
                }
            }
            self.push_rtcp(&buf[..len]);
        }
        let mut buf = [0u8; 1500];
        while let Some(len) = session.poll_retransmit(now, &mut buf) {
            self.push_rtp(&buf[..len]);
        }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        let datagram = self.queue.pop_front()?;
        buf[..datagram.len()].copy_from_slice(&datagram);
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len: datagram.len(),
        })
    }
}

/// Sends `count` packets every [`PACKET_INTERVAL`]; its [`RtpSession`] sends SRs and answers
/// NACKs with RTX.
#[derive(Debug)]
pub struct MediaSender {
    session: RtpSession,
    out: Outbox,
    srtp_rx: Context,
    count: u32,
    first_seq: u16,
    sent: u32,
    next_send: Instant,
    /// Round-trip times computed from receiver reports, in order.
    pub rtts: Vec<Duration>,
}

impl MediaSender {
    /// A sender from `local` to `remote` that starts at `epoch` (wall clock `wall_epoch`)
    /// and sends `count` packets, the first with sequence number `first_seq`.
    pub fn new(
        local: SocketAddr,
        remote: SocketAddr,
        epoch: Instant,
        wall_epoch: SystemTime,
        count: u32,
        first_seq: u16,
    ) -> Self {
        let (to_receiver, to_sender) = keys();
        let config = SessionConfig::new("sender@sim", wall_epoch, epoch);
        let mut session = RtpSession::new(config, epoch, &mut ChaCha20Rng::seed_from_u64(1));
        session
            .add_send_stream(SendStreamConfig::new(MEDIA_SSRC, CLOCK_RATE).with_rtx(rtx()))
            .expect("first stream");
        Self {
            session,
            out: Outbox::new(local, remote, &to_receiver),
            srtp_rx: Context::new(&to_sender),
            count,
            first_seq,
            sent: 0,
            next_send: epoch,
            rtts: Vec::new(),
        }
    }

    /// Packets sent so far (originals).
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// The media stream's figures.
    pub fn stats(&self) -> SendStats {
        self.session.send_stats(MEDIA_SSRC).expect("the stream")
    }

    /// Sequence numbers NACKed by the receiver (with repeats).
    pub fn nacked(&self) -> u64 {
        self.stats().nacked_packets
    }

    /// RTX packets sent.
    pub fn rtx_sent(&self) -> u64 {
        self.stats().retransmitted_packets_sent
    }

    fn send_media(&mut self, now: Instant) {
        let n = self.sent;
        let mut buf = [0u8; 1500];
        let len = PacketBuilder {
            payload_type: MEDIA_PT,
            sequence_number: SeqNo(self.first_seq.wrapping_add(n as u16)),
            timestamp: RtpTimestamp(n * (CLOCK_RATE / 50)),
            ssrc: MEDIA_SSRC,
            ..Default::default()
        }
        .emit(&mut buf, &[n as u8; PAYLOAD_LEN])
        .expect("fits");
        assert!(self.session.on_rtp_sent(now, &buf[..len]));
        self.out.push_rtp(&buf[..len]);
        self.sent += 1;
    }
}

impl Peer for MediaSender {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if let Ok(len) = self.srtp_rx.unprotect_rtcp(rx.contents) {
            let measured = self.stats().round_trip_time_measurements;
            self.session.handle_rtcp(now, &rx.contents[..len]);
            let stats = self.stats();
            if stats.round_trip_time_measurements > measured {
                self.rtts.extend(stats.round_trip_time);
            }
            self.out.drain(now, &mut self.session, &mut Vec::new());
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        while self.sent < self.count && self.next_send <= now {
            self.send_media(now);
            self.next_send += PACKET_INTERVAL;
        }
        self.session.handle_timeout(now);
        self.out.drain(now, &mut self.session, &mut Vec::new());
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.out.poll_transmit(buf)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let send = (self.sent < self.count).then_some(self.next_send);
        [send, self.session.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }
}

/// Receives the media stream and its RTX stream; its [`RtpSession`] sends NACKs when packets
/// are missing and receiver reports.
#[derive(Debug)]
pub struct MediaReceiver {
    session: RtpSession,
    out: Outbox,
    srtp_rx: Context,
    /// Originals that arrived directly.
    pub received: BTreeSet<u16>,
    /// Originals recovered through RTX.
    pub recovered: BTreeSet<u16>,
    /// Every report block sent, in order.
    pub reports: Vec<ReportBlock>,
}

impl MediaReceiver {
    /// A receiver at `local` sending RTCP to `remote`, NACKing each missing packet again
    /// after `resend_after`.
    pub fn new(
        local: SocketAddr,
        remote: SocketAddr,
        epoch: Instant,
        resend_after: Duration,
    ) -> Self {
        let (to_receiver, to_sender) = keys();
        // The receiver's NTP times only feed DLSR, which is relative: any epoch does.
        let mut config = SessionConfig::new("receiver@sim", SystemTime::UNIX_EPOCH, epoch);
        config.receive_only_ssrc = RECEIVER_SSRC;
        config.nack_resend_after = resend_after;
        let mut session = RtpSession::new(config, epoch, &mut ChaCha20Rng::seed_from_u64(2));
        session
            .add_recv_stream(RecvStreamConfig::new(MEDIA_SSRC, CLOCK_RATE).with_rtx(rtx()))
            .expect("first stream");
        Self {
            session,
            out: Outbox::new(local, remote, &to_sender),
            srtp_rx: Context::new(&to_receiver),
            received: BTreeSet::new(),
            recovered: BTreeSet::new(),
            reports: Vec::new(),
        }
    }

    /// The media stream's figures.
    pub fn stats(&self) -> RecvStats {
        self.session.recv_stats(MEDIA_SSRC).expect("the stream")
    }

    /// The last report block sent.
    pub fn last_report(&self) -> Option<ReportBlock> {
        self.reports.last().copied()
    }
}

impl Peer for MediaReceiver {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if is_rtcp(rx.contents) {
            if let Ok(len) = self.srtp_rx.unprotect_rtcp(rx.contents) {
                self.session.handle_rtcp(now, &rx.contents[..len]);
            }
        } else if let Ok(len) = self.srtp_rx.unprotect_rtp(rx.contents) {
            match self.session.handle_rtp(now, &mut rx.contents[..len]) {
                Received::Media {
                    seq,
                    repaired: false,
                    ..
                } => {
                    self.received.insert(seq.0);
                }
                Received::Media {
                    seq,
                    repaired: true,
                    ..
                } if !self.received.contains(&seq.0) => {
                    self.recovered.insert(seq.0);
                }
                _ => {}
            }
        }
        self.out.drain(now, &mut self.session, &mut self.reports);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.session.handle_timeout(now);
        self.out.drain(now, &mut self.session, &mut self.reports);
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.out.poll_transmit(buf)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }
}

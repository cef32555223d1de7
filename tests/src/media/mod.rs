//! A media sender and receiver for the simulator: SRTP-protected RTP at a fixed pace, sender
//! reports, receiver reports, generic NACK and RTX (RFC 4588), built from the core's RTP and
//! SRTP pieces. Scenario tests check loss recovery and report figures against what the
//! simulated links did.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use sansrtc::net::{Receive, Transmit, Transport};
use sansrtc::rtp::wire::{
    Compound, NackBuilder, Packet, PacketBuilder, ReceiverReportBuilder, Rtcp, SenderInfo,
    SenderReportBuilder,
};
use sansrtc::rtp::{
    NackGenerator, NtpTime, PacketHistory, Pt, ReceiverStats, RtpTimestamp, SeqNo, Ssrc,
    parse_rtx_payload, round_trip_time,
};
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
/// Payload bytes per packet.
const PAYLOAD_LEN: usize = 300;
/// Time between RTCP reports.
const REPORT_INTERVAL: Duration = Duration::from_secs(1);

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

/// Sends `count` packets every [`PACKET_INTERVAL`], an SR every second, and answers NACKs
/// with RTX from its packet history.
#[derive(Debug)]
pub struct MediaSender {
    local: SocketAddr,
    remote: SocketAddr,
    wall_epoch: SystemTime,
    epoch: Instant,
    count: u32,
    first_seq: u16,
    sent: u32,
    next_send: Instant,
    next_report: Instant,
    history: PacketHistory,
    rtx_seq: SeqNo,
    srtp_tx: Context,
    srtp_rx: Context,
    queue: VecDeque<Vec<u8>>,
    /// Round-trip times computed from receiver reports, in order.
    pub rtts: Vec<Duration>,
    /// Sequence numbers NACKed by the receiver (with repeats).
    pub nacked: u64,
    /// RTX packets sent.
    pub rtx_sent: u64,
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
        Self {
            local,
            remote,
            wall_epoch,
            epoch,
            count,
            first_seq,
            sent: 0,
            next_send: epoch,
            next_report: epoch + REPORT_INTERVAL,
            history: PacketHistory::new(512, 1500),
            rtx_seq: SeqNo(first_seq.wrapping_add(0x8000)),
            srtp_tx: Context::new(&to_receiver),
            srtp_rx: Context::new(&to_sender),
            queue: VecDeque::new(),
            rtts: Vec::new(),
            nacked: 0,
            rtx_sent: 0,
        }
    }

    fn seq_of(&self, n: u32) -> SeqNo {
        SeqNo(self.first_seq.wrapping_add(n as u16))
    }

    /// Packets sent so far (originals).
    pub fn sent(&self) -> u32 {
        self.sent
    }

    fn push_protected_rtp(&mut self, mut buf: Vec<u8>, len: usize) {
        buf.resize(len + Profile::AeadAes128Gcm.rtp_overhead(), 0);
        let len = self.srtp_tx.protect_rtp(&mut buf, len).expect("protect");
        buf.truncate(len);
        self.queue.push_back(buf);
    }

    fn send_media(&mut self) {
        let n = self.sent;
        let mut buf = vec![0u8; 1500];
        let len = PacketBuilder {
            payload_type: Pt(96),
            sequence_number: self.seq_of(n),
            timestamp: RtpTimestamp(n * (CLOCK_RATE / 50)),
            ssrc: MEDIA_SSRC,
            ..Default::default()
        }
        .emit(&mut buf, &[n as u8; PAYLOAD_LEN])
        .expect("fits");
        assert!(self.history.store(&buf[..len]));
        self.push_protected_rtp(buf, len);
        self.sent += 1;
    }

    fn send_report(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.epoch);
        let info = SenderInfo {
            ntp_time: NtpTime::at(self.wall_epoch, self.epoch, now).0,
            rtp_time: RtpTimestamp(
                (elapsed.as_nanos() * u128::from(CLOCK_RATE) / 1_000_000_000) as u32,
            ),
            packet_count: self.sent,
            octet_count: self.sent * PAYLOAD_LEN as u32,
        };
        let mut buf = vec![0u8; 200];
        let len = SenderReportBuilder {
            ssrc: MEDIA_SSRC,
            info,
            reports: &[],
        }
        .emit(&mut buf)
        .expect("fits");
        let len = self.srtp_tx.protect_rtcp(&mut buf, len).expect("protect");
        buf.truncate(len);
        self.queue.push_back(buf);
    }

    fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        for packet in Compound::new(bytes).flatten() {
            match packet.parse() {
                Ok(Rtcp::ReceiverReport(rr)) => {
                    for block in rr.report_blocks().filter(|b| b.ssrc == MEDIA_SSRC) {
                        let now_ntp = NtpTime::at(self.wall_epoch, self.epoch, now);
                        if let Some(rtt) = round_trip_time(now_ntp, &block) {
                            self.rtts.push(rtt);
                        }
                    }
                }
                Ok(Rtcp::Nack(nack)) if nack.media_ssrc() == MEDIA_SSRC => {
                    for seq in nack.lost() {
                        self.nacked += 1;
                        let mut buf = vec![0u8; 1500];
                        let rtx_seq = self.rtx_seq;
                        if let Some(len) =
                            self.history
                                .write_rtx(seq, RTX_SSRC, Pt(97), rtx_seq, &mut buf)
                        {
                            self.rtx_seq = rtx_seq.next();
                            self.rtx_sent += 1;
                            self.push_protected_rtp(buf, len);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Peer for MediaSender {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if let Ok(len) = self.srtp_rx.unprotect_rtcp(rx.contents) {
            let bytes = rx.contents[..len].to_vec();
            self.handle_rtcp(now, &bytes);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        while self.sent < self.count && self.next_send <= now {
            self.send_media();
            self.next_send += PACKET_INTERVAL;
        }
        while self.next_report <= now {
            self.send_report(now);
            self.next_report += REPORT_INTERVAL;
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let datagram = self.queue.pop_front()?;
        buf[..datagram.len()].copy_from_slice(&datagram);
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len: datagram.len(),
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let send = (self.sent < self.count).then_some(self.next_send);
        Some(send.map_or(self.next_report, |s| s.min(self.next_report)))
    }
}

/// Receives the media stream and its RTX stream, sends NACKs every [`PACKET_INTERVAL`]
/// when packets are missing, and an RR every second.
#[derive(Debug)]
pub struct MediaReceiver {
    local: SocketAddr,
    remote: SocketAddr,
    srtp_rx: Context,
    srtp_tx: Context,
    /// Reception statistics of the media stream (originals only).
    pub stats: ReceiverStats,
    /// NACK state.
    pub nack: NackGenerator,
    /// Originals that arrived directly.
    pub received: BTreeSet<u16>,
    /// Originals recovered through RTX.
    pub recovered: BTreeSet<u16>,
    /// The last report block sent.
    pub last_report: Option<sansrtc::rtp::wire::ReportBlock>,
    next_nack: Instant,
    next_report: Instant,
    resend_after: Duration,
    queue: VecDeque<Vec<u8>>,
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
        Self {
            local,
            remote,
            srtp_rx: Context::new(&to_receiver),
            srtp_tx: Context::new(&to_sender),
            stats: ReceiverStats::new(MEDIA_SSRC, CLOCK_RATE),
            nack: NackGenerator::new(256, 10),
            received: BTreeSet::new(),
            recovered: BTreeSet::new(),
            last_report: None,
            next_nack: epoch + PACKET_INTERVAL,
            next_report: epoch + REPORT_INTERVAL + Duration::from_millis(500),
            resend_after,
            queue: VecDeque::new(),
        }
    }

    fn push_rtcp(&mut self, mut buf: Vec<u8>, len: usize) {
        buf.resize(len + Profile::AeadAes128Gcm.rtcp_overhead(), 0);
        let len = self.srtp_tx.protect_rtcp(&mut buf, len).expect("protect");
        buf.truncate(len);
        self.queue.push_back(buf);
    }

    fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = Packet::new_checked(bytes) else {
            return;
        };
        if packet.ssrc() == MEDIA_SSRC {
            let seq = packet.sequence_number();
            self.stats.handle_packet(now, seq, packet.timestamp());
            self.nack.handle_packet(seq);
            self.received.insert(seq.0);
        } else if packet.ssrc() == RTX_SSRC
            && let Some((osn, _payload)) = parse_rtx_payload(packet.payload())
        {
            self.nack.handle_packet(osn);
            if !self.received.contains(&osn.0) {
                self.recovered.insert(osn.0);
            }
        }
    }
}

impl Peer for MediaReceiver {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if is_rtcp(rx.contents) {
            let Ok(len) = self.srtp_rx.unprotect_rtcp(rx.contents) else {
                return;
            };
            for packet in Compound::new(&rx.contents[..len]).flatten() {
                if let Ok(Rtcp::SenderReport(sr)) = packet.parse() {
                    self.stats
                        .handle_sender_report(now, NtpTime(sr.sender_info().ntp_time));
                }
            }
        } else if let Ok(len) = self.srtp_rx.unprotect_rtp(rx.contents) {
            let bytes = rx.contents[..len].to_vec();
            self.handle_rtp(now, &bytes);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.next_nack <= now {
            let mut lost = [SeqNo(0); 64];
            let n = self.nack.poll_nack(now, self.resend_after, &mut lost);
            if n > 0 {
                let mut buf = vec![0u8; 400];
                let len = NackBuilder {
                    sender_ssrc: RECEIVER_SSRC,
                    media_ssrc: MEDIA_SSRC,
                    lost: &lost[..n],
                }
                .emit(&mut buf)
                .expect("fits");
                self.push_rtcp(buf, len);
            }
            self.next_nack += PACKET_INTERVAL;
        }
        if self.next_report <= now {
            let block = self.stats.report_block(now);
            self.last_report = Some(block);
            let mut buf = vec![0u8; 200];
            let len = ReceiverReportBuilder {
                ssrc: RECEIVER_SSRC,
                reports: &[block],
            }
            .emit(&mut buf)
            .expect("fits");
            self.push_rtcp(buf, len);
            self.next_report += REPORT_INTERVAL;
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let datagram = self.queue.pop_front()?;
        buf[..datagram.len()].copy_from_slice(&datagram);
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len: datagram.len(),
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_nack.min(self.next_report))
    }
}

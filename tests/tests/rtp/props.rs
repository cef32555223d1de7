//! `RtpSession` under arbitrary input: random bytes and well-formed RTCP of every type into
//! `handle_rtcp` and `handle_rtp`, media with loss, keyframe requests, time jumps forwards
//! and backwards, and small output buffers. Invariants: no panic, every drain loop ends,
//! queues stay within their bounds, and `poll_timeout` is never before the latest `now`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::session::{
    KeyframeRequestKind, RecvStreamConfig, RtpSession, RtxConfig, SendStreamConfig, SessionConfig,
};
use sansrtc::rtp::wire::{
    ByeBuilder, Extension, FirBuilder, FirEntry, NackBuilder, PacketBuilder, Pli,
    ReceiverReportBuilder, RembBuilder, ReportBlock, SenderInfo, SenderReportBuilder,
};
use sansrtc::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};

const MEDIA: Ssrc = Ssrc(0x1111);
const RTX: Ssrc = Ssrc(0x2222);
/// Bounds the session is configured with, checked after every step.
const MAX_PENDING_RETRANSMITS: usize = 32;
const MAX_EVENTS: usize = 8;
const NACK_MAX_MISSING: usize = 64;

#[derive(Debug, Clone)]
enum Op {
    /// Arbitrary bytes as RTP, to the sender (`false`) or the receiver (`true`).
    RawRtp(bool, Vec<u8>),
    /// Arbitrary bytes as RTCP, to either side.
    RawRtcp(bool, Vec<u8>),
    /// Well-formed RTCP to either side.
    Rtcp(bool, Feedback),
    /// Media packet `seq` from the sender, lost on the way if the flag is set.
    Media(u16, bool),
    /// The same as RTX, built by hand with payload type `pt`.
    Rtx(u16, u8),
    Keyframe(bool),
    Advance(u64),
    Back(u64),
    /// The buffer size `poll_rtcp` and `poll_retransmit` get from now on.
    Buffer(usize),
    /// Removes the stream on the sender (`false`) or the receiver (`true`) side and adds it
    /// again.
    Readd(bool),
}

#[derive(Debug, Clone)]
enum Feedback {
    Sr(u32, u64, u32, u32),
    Rr(u32, u32, u32, u32),
    Nack(u32, Vec<u16>),
    Pli(u32),
    Fir(u32, u8),
    Bye(u32),
    Remb(u64),
}

fn ssrc() -> impl Strategy<Value = u32> {
    prop_oneof![Just(MEDIA.0), Just(RTX.0), Just(1), any::<u32>()]
}

fn feedback() -> impl Strategy<Value = Feedback> {
    prop_oneof![
        (ssrc(), any::<u64>(), any::<u32>(), any::<u32>())
            .prop_map(|(s, n, p, o)| Feedback::Sr(s, n, p, o)),
        (ssrc(), any::<u32>(), any::<u32>(), any::<u32>())
            .prop_map(|(s, l, lsr, dlsr)| Feedback::Rr(s, l, lsr, dlsr)),
        (ssrc(), proptest::collection::vec(any::<u16>(), 0..80))
            .prop_map(|(s, lost)| Feedback::Nack(s, lost)),
        ssrc().prop_map(Feedback::Pli),
        (ssrc(), any::<u8>()).prop_map(|(s, n)| Feedback::Fir(s, n)),
        ssrc().prop_map(Feedback::Bye),
        any::<u64>().prop_map(Feedback::Remb),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..120);
    prop_oneof![
        1 => (any::<bool>(), bytes.clone()).prop_map(|(to_rx, b)| Op::RawRtp(to_rx, b)),
        1 => (any::<bool>(), bytes).prop_map(|(to_rx, b)| Op::RawRtcp(to_rx, b)),
        1 => (any::<bool>(), feedback()).prop_map(|(to_rx, f)| Op::Rtcp(to_rx, f)),
        4 => (0u16..400, proptest::bool::weighted(0.2)).prop_map(|(s, l)| Op::Media(s, l)),
        1 => (0u16..400, prop_oneof![Just(97u8), any::<u8>()]).prop_map(|(s, pt)| Op::Rtx(s, pt)),
        1 => any::<bool>().prop_map(Op::Keyframe),
        2 => prop_oneof![0u64..100, 0u64..20_000].prop_map(Op::Advance),
        1 => (0u64..5_000).prop_map(Op::Back),
        1 => prop_oneof![0usize..64, 64usize..1500].prop_map(Op::Buffer),
        1 => any::<bool>().prop_map(Op::Readd),
    ]
}

fn build(f: &Feedback, buf: &mut [u8]) -> usize {
    let block = |s: u32, lost: u32, lsr: u32, dlsr: u32| ReportBlock {
        ssrc: Ssrc(s),
        fraction_lost: lost as u8,
        cumulative_lost: (lost >> 8) as i32 - (1 << 23),
        extended_highest_seq: lost,
        jitter: lost,
        last_sr: lsr,
        delay_since_last_sr: dlsr,
    };
    let written = match f {
        Feedback::Sr(s, ntp, packets, octets) => SenderReportBuilder {
            ssrc: Ssrc(*s),
            info: SenderInfo {
                ntp_time: *ntp,
                rtp_time: RtpTimestamp(*packets),
                packet_count: *packets,
                octet_count: *octets,
            },
            reports: &[block(MEDIA.0, *packets, *octets, *packets)],
        }
        .emit(buf),
        Feedback::Rr(s, lost, lsr, dlsr) => ReceiverReportBuilder {
            ssrc: Ssrc(1),
            reports: &[block(*s, *lost, *lsr, *dlsr)],
        }
        .emit(buf),
        Feedback::Nack(s, lost) => {
            let lost: Vec<_> = lost.iter().map(|&q| SeqNo(q)).collect();
            NackBuilder {
                sender_ssrc: Ssrc(1),
                media_ssrc: Ssrc(*s),
                lost: &lost,
            }
            .emit(buf)
        }
        Feedback::Pli(s) => Pli {
            sender_ssrc: Ssrc(1),
            media_ssrc: Ssrc(*s),
        }
        .emit(buf),
        Feedback::Fir(s, n) => FirBuilder {
            sender_ssrc: Ssrc(1),
            entries: &[FirEntry {
                ssrc: Ssrc(*s),
                seq_nr: *n,
            }],
        }
        .emit(buf),
        Feedback::Bye(s) => ByeBuilder {
            ssrcs: &[Ssrc(*s)],
            reason: b"bye",
        }
        .emit(buf),
        Feedback::Remb(bitrate) => RembBuilder {
            sender_ssrc: Ssrc(1),
            bitrate: *bitrate,
            ssrcs: &[MEDIA],
        }
        .emit(buf),
    };
    written.unwrap_or(0)
}

fn media(seq: u16, buf: &mut [u8]) -> usize {
    // The transport-wide sequence number jumps about with the media one.
    let tw = seq.wrapping_mul(7).to_be_bytes();
    let ext = [Extension { id: 5, value: &tw }];
    PacketBuilder {
        payload_type: Pt(96),
        sequence_number: SeqNo(seq),
        timestamp: RtpTimestamp(u32::from(seq) * 3000),
        ssrc: MEDIA,
        extensions: &ext,
        ..Default::default()
    }
    .emit(buf, &[seq as u8; 40])
    .unwrap()
}

fn send_config() -> SendStreamConfig {
    let mut send =
        SendStreamConfig::new(MEDIA, 90_000).with_rtx(RtxConfig::new(RTX, Pt(96), Pt(97)));
    send.history_len = 64;
    send
}

fn recv_config() -> RecvStreamConfig {
    RecvStreamConfig::new(MEDIA, 90_000).with_rtx(RtxConfig::new(RTX, Pt(96), Pt(97)))
}

struct Harness {
    tx: RtpSession,
    rx: RtpSession,
    now: Instant,
    latest: Instant,
    buf_len: usize,
}

impl Harness {
    fn new() -> Self {
        #[allow(clippy::disallowed_methods, reason = "the test's one epoch")]
        let now = Instant::now();
        let wall: SystemTime = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let config = |name: &str| {
            let mut c = SessionConfig::new(name, wall, now);
            c.max_pending_retransmits = MAX_PENDING_RETRANSMITS;
            c.max_events = MAX_EVENTS;
            c.nack_max_missing = NACK_MAX_MISSING;
            c
        };
        let mut tx = RtpSession::new(config("tx"), now, &mut ChaCha20Rng::seed_from_u64(1));
        tx.add_send_stream(send_config()).unwrap();
        let mut rx_config = config("rx");
        rx_config.reduced_size = true;
        rx_config.twcc_extension_id = Some(5);
        rx_config.twcc_max_arrivals = 64;
        let mut rx = RtpSession::new(rx_config, now, &mut ChaCha20Rng::seed_from_u64(2));
        rx.add_recv_stream(recv_config()).unwrap();
        Self {
            tx,
            rx,
            now,
            latest: now,
            buf_len: 1200,
        }
    }

    fn side(&mut self, to_rx: bool) -> &mut RtpSession {
        if to_rx { &mut self.rx } else { &mut self.tx }
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        let mut buf = [0u8; 1500];
        match op {
            Op::RawRtp(to_rx, bytes) => {
                let mut bytes = bytes.clone();
                let _ = self.side(*to_rx).handle_rtp(now, &mut bytes);
            }
            Op::RawRtcp(to_rx, bytes) => self.side(*to_rx).handle_rtcp(now, bytes),
            Op::Rtcp(to_rx, f) => {
                let len = build(f, &mut buf);
                self.side(*to_rx).handle_rtcp(now, &buf[..len]);
            }
            Op::Media(seq, lost) => {
                let len = media(*seq, &mut buf);
                assert!(self.tx.on_rtp_sent(now, &buf[..len]));
                if !lost {
                    let _ = self.rx.handle_rtp(now, &mut buf[..len]);
                }
            }
            Op::Rtx(seq, pt) => {
                let mut payload = [0u8; 42];
                payload[..2].copy_from_slice(&seq.to_be_bytes());
                let len = PacketBuilder {
                    payload_type: Pt(*pt & 0x7F),
                    sequence_number: SeqNo(seq.wrapping_add(1000)),
                    ssrc: RTX,
                    ..Default::default()
                }
                .emit(&mut buf, &payload)
                .unwrap();
                let _ = self.rx.handle_rtp(now, &mut buf[..len]);
            }
            Op::Keyframe(fir) => {
                let kind = if *fir {
                    KeyframeRequestKind::Fir
                } else {
                    KeyframeRequestKind::Pli
                };
                self.rx.request_keyframe(now, MEDIA, kind).unwrap();
            }
            Op::Advance(ms) => self.now += Duration::from_millis(*ms),
            Op::Back(ms) => {
                self.now = self
                    .now
                    .checked_sub(Duration::from_millis(*ms))
                    .unwrap_or(self.now)
            }
            Op::Buffer(len) => self.buf_len = *len,
            Op::Readd(false) => {
                self.tx.remove_send_stream(now, MEDIA).unwrap();
                self.tx.add_send_stream(send_config()).unwrap();
            }
            Op::Readd(true) => {
                self.rx.remove_recv_stream(MEDIA).unwrap();
                self.rx.add_recv_stream(recv_config()).unwrap();
            }
        }
        self.latest = self.latest.max(self.now);
    }

    /// Runs both sides' timers and drains them, feeding each one's output to the other.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        let now = self.now;
        let mut buf = [0u8; 1500];
        let len = self.buf_len;
        for _ in 0..4 {
            self.tx.handle_timeout(now);
            self.rx.handle_timeout(now);
            let mut rounds = 0;
            while let Some(n) = self.rx.poll_rtcp(now, &mut buf[..len]) {
                prop_assert!(n <= len);
                self.tx.handle_rtcp(now, &buf[..n]);
                rounds += 1;
                prop_assert!(rounds < 1000, "poll_rtcp never ends");
            }
            while let Some(n) = self.tx.poll_rtcp(now, &mut buf[..len]) {
                prop_assert!(n <= len);
                self.rx.handle_rtcp(now, &buf[..n]);
                rounds += 1;
                prop_assert!(rounds < 2000, "poll_rtcp never ends");
            }
            while let Some(n) = self.tx.poll_retransmit(now, &mut buf[..len]) {
                prop_assert!(n <= len);
                let _ = self.rx.handle_rtp(now, &mut buf[..n]);
                rounds += 1;
                prop_assert!(rounds < 3000, "poll_retransmit never ends");
            }
        }
        for s in [&self.tx, &self.rx] {
            prop_assert!(s.pending_retransmits() <= MAX_PENDING_RETRANSMITS);
            prop_assert!(s.pending_events() <= MAX_EVENTS);
            let t = s.poll_timeout();
            prop_assert!(t.is_some_and(|t| t >= self.latest), "{t:?} before now");
        }
        let rx = self.rx.recv_stats(MEDIA).unwrap();
        prop_assert!(rx.nack_missing <= NACK_MAX_MISSING);
        while self.tx.poll_event().is_some() {}
        while self.rx.poll_event().is_some() {}
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rtcp_session_props_hold_under_arbitrary_input(
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut h = Harness::new();
        for op in &ops {
            h.apply(op);
            h.drain()?;
        }
    }
}

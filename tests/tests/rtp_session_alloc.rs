//! An `RtpSession` pair allocates nothing per packet: a sender and a receiver exchange media
//! with 5% loss, SR/RR/SDES, NACKs and RTX retransmissions, PLIs and transport-wide feedback,
//! counted by the global allocator after a warm-up.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::session::{
    KeyframeRequestKind, Received, RecvStreamConfig, RtpSession, RtxConfig, SendStreamConfig,
    SessionConfig,
};
use sansrtc::rtp::wire::{Extension, PacketBuilder};
use sansrtc::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};
use sansrtc_tests::alloc::fewest_allocations;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const PACKETS: u32 = 2_000;
const MEDIA: Ssrc = Ssrc(0x1111);
const RTX: Ssrc = Ssrc(0x2222);

struct Pair {
    tx: RtpSession,
    rx: RtpSession,
    now: Instant,
    packet: Vec<u8>,
    rtcp: Vec<u8>,
    repaired: u64,
}

impl Pair {
    fn new() -> Self {
        #[allow(clippy::disallowed_methods, reason = "the test's one epoch")]
        let now = Instant::now();
        let wall: SystemTime = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let rtx = RtxConfig::new(RTX, Pt(96), Pt(97));
        let mut tx = RtpSession::new(
            SessionConfig::new("tx", wall, now),
            now,
            &mut ChaCha20Rng::seed_from_u64(1),
        );
        tx.add_send_stream(SendStreamConfig::new(MEDIA, 90_000).with_rtx(rtx.clone()))
            .unwrap();
        let mut rx_config = SessionConfig::new("rx", wall, now);
        rx_config.twcc_extension_id = Some(3);
        let mut rx = RtpSession::new(rx_config, now, &mut ChaCha20Rng::seed_from_u64(2));
        rx.add_recv_stream(RecvStreamConfig::new(MEDIA, 90_000).with_rtx(rtx))
            .unwrap();
        Self {
            tx,
            rx,
            now,
            packet: vec![0; 1500],
            rtcp: vec![0; 1200],
            repaired: 0,
        }
    }

    /// One packet interval: send packet `i` (every 20th lost), run both timers, exchange
    /// RTCP and retransmissions without delay.
    fn step(&mut self, i: u32) {
        self.now += Duration::from_millis(20);
        let now = self.now;
        let tw = (i as u16).to_be_bytes();
        let ext = [Extension { id: 3, value: &tw }];
        let len = PacketBuilder {
            payload_type: Pt(96),
            sequence_number: SeqNo(i as u16),
            timestamp: RtpTimestamp(i * 1800),
            ssrc: MEDIA,
            extensions: &ext,
            ..Default::default()
        }
        .emit(&mut self.packet, &[i as u8; 1000])
        .unwrap();
        assert!(self.tx.on_rtp_sent(now, &self.packet[..len]));
        if i % 20 != 7 {
            let received = self.rx.handle_rtp(now, &mut self.packet[..len]);
            assert!(matches!(received, Received::Media { .. }), "{received:?}");
        }
        if i.is_multiple_of(500) {
            self.rx
                .request_keyframe(now, MEDIA, KeyframeRequestKind::Pli)
                .unwrap();
        }
        self.tx.handle_timeout(now);
        self.rx.handle_timeout(now);
        while let Some(len) = self.rx.poll_rtcp(now, &mut self.rtcp) {
            self.tx.handle_rtcp(now, &self.rtcp[..len]);
        }
        while let Some(len) = self.tx.poll_rtcp(now, &mut self.rtcp) {
            self.rx.handle_rtcp(now, &self.rtcp[..len]);
        }
        while let Some(len) = self.tx.poll_retransmit(now, &mut self.packet) {
            if let Received::Media { repaired: true, .. } =
                self.rx.handle_rtp(now, &mut self.packet[..len])
            {
                self.repaired += 1;
            }
        }
        while self.tx.poll_event().is_some() {}
    }
}

#[test]
fn rtp_session_allocates_nothing_per_packet() {
    let mut pair = Pair::new();
    // Warm-up: the first packets and reports fill what is filled once.
    for i in 0..200 {
        pair.step(i);
    }
    let change = fewest_allocations(GLOBAL, 3, |trial| {
        let start = 200 + trial * PACKETS;
        for i in start..start + PACKETS {
            pair.step(i);
        }
    });
    let tx = pair.tx.send_stats(MEDIA).unwrap();
    let twcc = (pair.rx.stats().twcc_sent, pair.tx.stats().twcc_received);
    let rx = pair.rx.recv_stats(MEDIA).unwrap();
    println!(
        "{PACKETS} packets per trial through an RtpSession pair: {} allocations, {} \
         reallocations; over the run {} SRs, {} NACKs, {} RTX, {} repaired, {} PLIs, {} TWCC \
         feedbacks, rtt {:?}",
        change.allocations,
        change.reallocations,
        tx.sender_reports_sent,
        rx.nack_count,
        tx.retransmitted_packets_sent,
        pair.repaired,
        tx.pli_count,
        twcc.0,
        tx.round_trip_time,
    );
    assert!(twcc.0 > 100 && twcc.1 == twcc.0);
    assert!(tx.sender_reports_sent > 100 && rx.nack_count > 100 && pair.repaired > 100);
    assert!(tx.pli_count >= 10 && tx.round_trip_time.is_some());
    assert_eq!(rx.nack_missing, 0);
    assert_eq!((change.allocations, change.reallocations), (0, 0));
}

//! Media through `Rtc` allocates nothing per packet once warm (issue 9's RTP-forward goal):
//! 1200-byte payloads written with the packet-level API on one peer, reported as
//! `Event::Rtp` on the other and dropped, as a forwarding loop does; and 12 KB video frames
//! written and reported whole. Both peers in memory, datagrams handed across directly.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use sansrtc::rtc::{Delivery, Event};
use sansrtc::rtp::{Pt, RtpTimestamp};
use sansrtc::sdp::{Direction, MediaKind, Mid};
use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::rtc_memory::MemoryPair;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const PAYLOAD: usize = 1200;
/// Packets per measured trial.
const PACKETS: u32 = 5000;
/// Frames per measured trial.
const FRAMES: u32 = 300;
const FRAME: usize = 12_000;

/// Two connected peers and a video track from `a` to `b`.
struct Pair {
    p: MemoryPair,
    mid: Mid,
    pt: Pt,
}

impl Pair {
    fn new() -> Self {
        // A 1500-byte path, as the benchmark's: 1200-byte payloads plus headers fit.
        let mut p = MemoryPair::new(|c| c.mtu = 1500);
        let mid = p.a.add_track(MediaKind::Video, Direction::SendOnly);
        p.negotiate();
        let pt =
            p.a.tracks()
                .find(|t| t.mid == mid)
                .and_then(|t| t.codecs.first())
                .map(|&(pt, _)| pt)
                .expect("a negotiated codec");
        p.connect();
        Self { p, mid, pt }
    }
}

/// Writes `count` packets, 20 a millisecond; returns how many `b` reported.
fn forward(p: &mut Pair, seq: &mut u16, count: u32) -> u32 {
    let payload = [0x10u8; PAYLOAD];
    p.p.forward_rtp(p.mid, p.pt, &payload, seq, count)
}

/// Writes `count` 12 KB keyframes, one a millisecond; returns how many `b` reported.
fn frames(p: &mut Pair, frame: &[u8], at: &mut u32, count: u32) -> u32 {
    let (mut sent, mut got) = (0u32, 0u32);
    while got < count {
        if sent < count {
            let now = p.p.now;
            let ts = RtpTimestamp(at.wrapping_mul(3000));
            p.p.a
                .write_frame(now, &p.mid, None, ts, frame)
                .expect("frame");
            *at += 1;
            sent += 1;
        }
        p.p.step(|_, e| {
            if let Event::Frame(f) = e {
                assert_eq!(f.data.len(), FRAME);
                got += 1;
            }
        });
        assert!(sent - got < 100, "frames lost: sent {sent}, got {got}");
    }
    got
}

#[test]
fn rtc_media_alloc_forward_and_frames_steady_state() {
    let mut p = Pair::new();
    let mid = p.mid;

    // Packets: b reports packets only, as a forwarding server asks.
    p.p.b.set_delivery(&mid, Delivery::Packets).expect("track");
    let mut seq = 0u16;
    forward(&mut p, &mut seq, 2 * PACKETS);
    let change = fewest_allocations(GLOBAL, 3, |_| {
        assert_eq!(forward(&mut p, &mut seq, PACKETS), PACKETS);
    });
    let per_packet = (change.allocations + change.reallocations) as f64 / f64::from(PACKETS);
    println!(
        "{PACKETS} RTP packets of {PAYLOAD} bytes through Rtc: {} allocations, {} \
         reallocations ({per_packet:.4} per packet, fewest of 3 trials)",
        change.allocations, change.reallocations
    );
    // Issue 9: zero per packet. RTCP reports come a few times a trial; they may not allocate
    // either, but the bound leaves them room.
    assert!(per_packet <= 0.001, "{per_packet} allocations per packet");

    // Frames: b depacketizes.
    p.p.b.set_delivery(&mid, Delivery::Frames).expect("track");
    let mut frame = vec![0u8; FRAME];
    for (k, b) in frame.iter_mut().enumerate() {
        *b = (k * 7) as u8;
    }
    // A VP8 keyframe: S bit in the descriptor is the packetizer's; P bit 0 in the header.
    frame[0] &= 0xFE;
    let mut at = 0u32;
    frames(&mut p, &frame, &mut at, 2 * FRAMES);
    let change = fewest_allocations(GLOBAL, 3, |_| {
        assert_eq!(frames(&mut p, &frame, &mut at, FRAMES), FRAMES);
    });
    let per_frame = (change.allocations + change.reallocations) as f64 / f64::from(FRAMES);
    println!(
        "{FRAMES} video frames of {FRAME} bytes through Rtc: {} allocations, {} reallocations \
         ({per_frame:.4} per frame, fewest of 3 trials)",
        change.allocations, change.reallocations
    );
    assert!(per_frame <= 0.01, "{per_frame} allocations per frame");
}

//! The relayed path allocates nothing per packet once warm: two relay-only peers in memory
//! with a TURN server between them, RTP from one to the other framed as ChannelData, and
//! data-channel messages through the same relay. The count covers the server too (a pool of
//! buffers), so zero is zero for all three.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use sansrtc::datachannel::ChannelConfig;
use sansrtc::ice::CandidateKind;
use sansrtc::rtc::{ChannelId, Delivery, Event};
use sansrtc::rtp::Pt;
use sansrtc::sdp::{Direction, MediaKind, Mid};
use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::rtc_memory::MemoryPair;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const PAYLOAD: usize = 1200;
const PACKETS: u32 = 3000;
const MESSAGES: u32 = 500;
const MESSAGE: usize = 1000;

/// Writes `count` packets, 20 a millisecond; returns how many `b` reported.
fn forward(p: &mut MemoryPair, mid: Mid, pt: Pt, seq: &mut u16, count: u32) -> u32 {
    p.forward_rtp(mid, pt, &[0x10u8; PAYLOAD], seq, count)
}

/// Sends `count` messages from `a`, 10 a millisecond; returns how many `b` received.
fn messages(p: &mut MemoryPair, id: ChannelId, count: u32) -> u32 {
    let message = [0x61u8; MESSAGE];
    let (mut sent, mut got) = (0u32, 0u32);
    while got < count {
        for _ in 0..10 {
            let now = p.now;
            if sent < count && p.a.send(now, id, &message, true).is_ok() {
                sent += 1;
            }
        }
        p.step(|to_b, e| {
            if let (true, Event::ChannelMessage { data, .. }) = (to_b, e) {
                assert_eq!(data.len(), MESSAGE);
                got += 1;
            }
        });
    }
    got
}

#[test]
fn turn_alloc_relayed_media_and_messages_steady_state() {
    let mut p = MemoryPair::relayed(|c| c.mtu = 1500);
    let mid = p.a.add_track(MediaKind::Video, Direction::SendOnly);
    let id =
        p.a.open_channel(p.now, ChannelConfig::new("relay"))
            .expect("channel");
    p.negotiate();
    p.connect();
    // DTLS may connect on a valid pair before the nomination selects it.
    for _ in 0..1000 {
        if p.a.selected_pair().is_some() && p.b.selected_pair().is_some() {
            break;
        }
        p.step(|_, _| {});
    }
    for rtc in [&p.a, &p.b] {
        let (local, _) = rtc.selected_pair().expect("a selected pair");
        let kind = rtc
            .direct_parameters()
            .candidates
            .iter()
            .find(|c| c.addr() == local)
            .map(|c| c.kind());
        assert_eq!(kind, Some(CandidateKind::Relayed), "the path is relayed");
    }
    let pt =
        p.a.tracks()
            .find(|t| t.mid == mid)
            .and_then(|t| t.codecs.first())
            .map(|&(pt, _)| pt)
            .expect("a negotiated codec");
    p.b.set_delivery(&mid, Delivery::Packets).expect("track");

    let mut seq = 0u16;
    forward(&mut p, mid, pt, &mut seq, 2 * PACKETS);
    let change = fewest_allocations(GLOBAL, 3, |_| {
        assert_eq!(forward(&mut p, mid, pt, &mut seq, PACKETS), PACKETS);
    });
    let per_packet = (change.allocations + change.reallocations) as f64 / f64::from(PACKETS);
    println!(
        "{PACKETS} relayed RTP packets of {PAYLOAD} bytes: {} allocations, {} reallocations \
         ({per_packet:.4} per packet, fewest of 3 trials)",
        change.allocations, change.reallocations
    );
    assert!(per_packet <= 0.001, "{per_packet} allocations per packet");

    messages(&mut p, id, 2 * MESSAGES);
    let change = fewest_allocations(GLOBAL, 3, |_| {
        assert_eq!(messages(&mut p, id, MESSAGES), MESSAGES);
    });
    let per_message = (change.allocations + change.reallocations) as f64 / f64::from(MESSAGES);
    println!(
        "{MESSAGES} relayed data-channel messages of {MESSAGE} bytes: {} allocations, {} \
         reallocations ({per_message:.4} per message, fewest of 3 trials)",
        change.allocations, change.reallocations
    );
    assert!(per_message <= 0.01, "{per_message} allocations per message");

    let turn = p.a.stats().ice.turn;
    assert!(turn.relayed_sent > u64::from(PACKETS), "{turn:?}");
    let server = &p.relay.as_ref().expect("relay").stats;
    assert!(server.channel_data_to_client > 0, "{server:?}");
}

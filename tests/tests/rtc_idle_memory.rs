//! A connected, idle peer holds little heap (issue 9: under 64 KiB per peer). Pairs of peer
//! connections are negotiated by SDP in the simulator, open one data channel, exchange a
//! few messages of up to 16 KiB each way, then sit idle for 40 s of virtual time (timers
//! still fire: consent checks, heartbeats). The figure is the heap the connected peer
//! connections hold, measured by a counting global allocator as what dropping them gives
//! back (the simulator's buffers and the test's records apart). The net growth including
//! the simulator is printed beside it.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::datachannel::ChannelConfig;
use sansrtc::{Rtc, RtcConfig};
use sansrtc_tests::rtc::{RtcPair, RtcPeer, certificates};
use sansrtc_tests::sim::LinkConfig;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Pairs measured together (the figure is their average).
const PAIRS: u64 = 4;
/// The goal per connected idle peer.
const LIMIT: usize = 64 * 1024;
/// Idle time after the exchange.
const IDLE: Duration = Duration::from_secs(40);

/// Bytes currently allocated.
fn heap() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated)
}

fn message(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

/// Lets go of what the test side recorded (the application has consumed it).
fn forget(peer: &mut RtcPeer) {
    peer.events = Vec::new();
    peer.messages = Vec::new();
    peer.frames = Vec::new();
}

/// A connected pair with one open channel that exchanged a few messages, then idled.
fn idle_pair(seed: u64) -> RtcPair {
    let mut pair = RtcPair::new(seed, LinkConfig::default());
    let now = pair.sim.now();
    let id = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("idle"))
        .expect("open");
    pair.b().echo_messages = true;
    pair.negotiate();
    assert!(
        pair.connect(Duration::from_secs(30)),
        "not connected: {}",
        pair.sim.replay_hint()
    );
    let a = pair.a;
    let opened = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<RtcPeer>(a).open_channel_labelled("idle").is_some()
    });
    assert!(opened, "channel did not open: {}", pair.sim.replay_hint());
    let sizes = [1, 100, 1200, 4000, 16 * 1024, 16 * 1024, 7, 9000];
    for (i, &len) in sizes.iter().enumerate() {
        let now = pair.sim.now();
        pair.a()
            .rtc
            .send(now, id, &message(i, len), true)
            .expect("send");
    }
    let done = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<RtcPeer>(a).messages.len() >= sizes.len()
    });
    assert!(done, "echoes did not come back: {}", pair.sim.replay_hint());
    for (i, (_, data)) in pair.a().messages.iter().enumerate() {
        assert_eq!(data, &message(i, sizes[i]), "message {i}");
    }
    forget(pair.a());
    forget(pair.b());
    pair.sim.run_for(IDLE);
    assert!(pair.a().is_connected() && pair.b().is_connected());
    forget(pair.a());
    forget(pair.b());
    pair
}

#[test]
fn connected_idle_peer_heap_under_64k() {
    // Made once per process and shared: not the peers' memory.
    let (cert, _) = certificates();
    let before = heap();
    let calls_before = GLOBAL.stats();
    let mut pairs: Vec<RtcPair> = (0..PAIRS).map(|k| idle_pair(40 + k)).collect();
    let growth = heap().saturating_sub(before);
    let calls = GLOBAL.stats();
    let allocations = (calls.allocations + calls.reallocations)
        - (calls_before.allocations + calls_before.reallocations);
    // Take the connected peer connections out of the simulator (never-connected stand-ins
    // made beforehand go in their place), then drop them: the heap that goes is what they
    // held, simulator and test bookkeeping apart.
    let now = pairs[0].sim.now();
    let mut stand_ins: Vec<Rtc> = (0..2 * PAIRS)
        .map(|k| Rtc::new(RtcConfig::new(cert.clone()), now, Box::new(rng(k))))
        .collect();
    let mut taken = Vec::new();
    for pair in &mut pairs {
        for side in [pair.a, pair.b] {
            let stand_in = stand_ins.pop().expect("one per peer");
            let peer = pair.sim.peer_mut::<RtcPeer>(side);
            taken.push(std::mem::replace(&mut peer.rtc, stand_in));
        }
    }
    let with = heap();
    drop(taken);
    let held = with.saturating_sub(heap());
    let peers = 2 * PAIRS as usize;
    let per_peer = held / peers;
    println!(
        "connected idle peer: {per_peer} bytes ({:.1} KiB) of heap per peer after {} s idle \
         ({peers} peers; {:.1} KiB per peer with the simulator's own buffers; {} allocations \
         and reallocations per peer from construction to the end of the idle time, simulator \
         and test included)",
        per_peer as f64 / 1024.0,
        IDLE.as_secs(),
        growth as f64 / peers as f64 / 1024.0,
        allocations / peers,
    );
    assert!(
        per_peer < LIMIT,
        "{per_peer} bytes per idle peer, goal under {LIMIT}"
    );
    drop(pairs);
}

fn rng(k: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(k)
}

//! Congestion control on a 10 Mbit/s, 50 ms link.

use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::sctp::SctpConfig;
use sansrtc_tests::sctp::ChannelPeer;
use sansrtc_tests::sim::{LinkConfig, LinkDirection, Sim, seed_from_env};

use super::loss::{Session, session};

const RATE: u64 = 10_000_000;

/// One reliable ordered channel of `bytes` from a to b; returns the session.
fn transfer(seed: u64, loss: f64, bytes: usize) -> (Session, bool) {
    // One-way 50 ms; a's uplink is the 10 Mbit/s bottleneck with a one-BDP queue.
    let up = LinkDirection::default()
        .with_latency(Duration::from_millis(50))
        .with_rate(RATE, 125_000)
        .with_loss(loss);
    let down = LinkDirection::default().with_latency(Duration::from_millis(50));
    let mut config = SctpConfig::default();
    config.receive_window = 4 * 1024 * 1024;
    let mut s = session(seed, LinkConfig::new(up, down), config);
    let now = s.sim.now();
    let peer = s.sim.peer_mut::<ChannelPeer>(s.a);
    peer.trace_cwnd = true;
    let id = peer.dc.open(now, ChannelConfig::new("bulk")).unwrap();
    peer.send_workload(id, bytes);
    let a = s.a;
    let done = s.sim.run_until_cond(Duration::from_secs(600), |sim: &Sim| {
        let p = sim.peer::<ChannelPeer>(a);
        p.all_queued() && p.idle()
    });
    (s, done)
}

#[test]
fn sctp_cc_reaches_80_percent_of_link_rate() {
    let bytes = 8 * 1024 * 1024;
    let (s, done) = transfer(seed_from_env(700), 0.0, bytes);
    assert!(done, "{}", s.sim.replay_hint());
    let secs = s.sim.elapsed().as_secs_f64();
    let rate = bytes as f64 * 8.0 / secs;
    let p = s.sim.peer::<ChannelPeer>(s.a);
    let max_cwnd = p.cwnd_trace.iter().map(|t| t.1).max().unwrap_or(0);
    println!(
        "{bytes} bytes in {secs:.2} s of virtual time: {:.2} Mbit/s ({:.0}% of the link), \
         max cwnd {max_cwnd}, {:?}",
        rate / 1e6,
        100.0 * rate / RATE as f64,
        p.dc.sctp_stats()
    );
    assert!(rate >= 0.8 * RATE as f64, "{}", s.sim.replay_hint());
    // Slow start grew the window well past its initial 4380 bytes.
    assert!(max_cwnd > 100_000, "max cwnd {max_cwnd}");
}

#[test]
fn sctp_cc_backs_off_under_loss() {
    let (s, done) = transfer(seed_from_env(701), 0.02, 2 * 1024 * 1024);
    assert!(done, "{}", s.sim.replay_hint());
    let p = s.sim.peer::<ChannelPeer>(s.a);
    let stats = p.dc.sctp_stats();
    assert!(stats.fast_recoveries > 0, "{stats:?}");
    // Every fast recovery or timeout shows in the trace as cwnd falling to at most half
    // (plus an MTU) of its value just before, with ssthresh following.
    let mtu = p.dc.association().config().mtu;
    let cuts = p
        .cwnd_trace
        .windows(2)
        .filter(|w| w[1].1 < w[0].1)
        .inspect(|w| {
            assert!(
                w[1].1 <= w[0].1 / 2 + mtu || w[1].1 == mtu * 4,
                "cut {:?} -> {:?}",
                w[0],
                w[1]
            );
            assert!(w[1].2 <= w[0].1.max(4 * mtu), "ssthresh follows the cut");
        })
        .count();
    assert!(cuts > 0);
    let max_cwnd = p.cwnd_trace.iter().map(|t| t.1).max().unwrap_or(0);
    println!(
        "2% loss: {:.2} s, {cuts} cwnd cuts, max cwnd {max_cwnd}, {stats:?}",
        s.sim.elapsed().as_secs_f64()
    );
}

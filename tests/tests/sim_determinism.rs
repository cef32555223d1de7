//! Same seed, same run: the trace hash and the recorded trace of a scenario with every kind of
//! randomness (loss, jitter, reordering, duplication, random NAT ports) replay exactly.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sansrtc_tests::sim::testing::{Echo, Pinger};
use sansrtc_tests::sim::{
    LinkConfig, LinkDirection, LossModel, NatConfig, PortAllocation, Realm, Sim, TraceEntry,
    seed_from_env,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Two pingers behind a symmetric NAT with random ports, over bad links, to a public echo.
fn scenario(seed: u64, record: bool) -> (u64, Vec<TraceEntry>, Sim) {
    let mut sim = Sim::new(seed);
    sim.record_trace(record);
    let bad = LinkDirection::default()
        .with_latency(Duration::from_millis(20))
        .with_jitter(Duration::from_millis(15))
        .with_loss(0.05)
        .with_duplicate(0.02)
        .with_reorder(0.05, Duration::from_millis(30));
    let bursty = bad.with_loss_model(LossModel::GilbertElliott {
        good_to_bad: 0.05,
        bad_to_good: 0.3,
        loss_good: 0.01,
        loss_bad: 0.8,
    });
    let mut nat = NatConfig::symmetric();
    nat.ports = PortAllocation::Random;
    let n = sim.add_nat("nat", Realm::Public, ip("198.51.100.1"), nat);
    let server = addr("203.0.113.1:7");
    let echo = LinkConfig::new(bad.with_rate(2_000_000, 8_000), bursty);
    sim.add_host("echo", &[server.ip()], Realm::Public, echo, Echo::new());
    for (name, local) in [("p1", "10.0.0.2:5000"), ("p2", "10.0.0.3:5000")] {
        let p = Pinger::new(addr(local), server, sim.epoch(), Duration::from_millis(3))
            .with_size(400)
            .with_count(1_000);
        let link = LinkConfig::symmetric(bad);
        sim.add_host(name, &[addr(local).ip()], Realm::Behind(n), link, p);
    }
    sim.run_for(Duration::from_secs(10));
    assert!(sim.stats().delivered > 1_000, "{:?}", sim.stats());
    (sim.trace_hash(), sim.trace().to_vec(), sim)
}

#[test]
fn sim_determinism_same_seed_same_trace() {
    let seed = seed_from_env(11);
    let (h1, t1, sim) = scenario(seed, true);
    let (h2, t2, _) = scenario(seed, true);
    assert_eq!(h1, h2, "{}", sim.replay_hint());
    assert_eq!(t1.len(), t2.len());
    if let Some(i) = (0..t1.len()).find(|&i| t1[i] != t2[i]) {
        panic!("traces differ at entry {i}: {} vs {}", t1[i], t2[i]);
    }
    let d = sim.stats().dropped;
    assert!(d.loss > 0 && d.queue + d.nat_filter + d.loss > 0 && sim.stats().duplicated > 0);
}

#[test]
fn sim_determinism_recording_does_not_change_hash() {
    let seed = seed_from_env(11);
    let (on, trace, _) = scenario(seed, true);
    let (off, empty, _) = scenario(seed, false);
    assert_eq!(on, off);
    assert!(empty.is_empty() && !trace.is_empty());
}

#[test]
fn sim_determinism_different_seed_different_trace() {
    let seed = seed_from_env(11);
    let (a, _, _) = scenario(seed, false);
    let (b, _, _) = scenario(seed.wrapping_add(1), false);
    assert_ne!(a, b);
}

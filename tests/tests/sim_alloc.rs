//! The simulator allocates nothing per datagram in steady state: a pinger and an echo run
//! through lossy, jittery, duplicating, rate-limited links and a NAT, and after a warm-up the
//! global allocator counts zero allocations while tens of thousands of datagrams go through.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::net::SocketAddr;
use std::time::Duration;

use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::sim::testing::{Echo, Pinger};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, NatConfig, Realm, Sim, seed_from_env};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn sim_steady_state_allocates_nothing_per_datagram() {
    let mut sim = Sim::new(seed_from_env(1));
    let dir = LinkDirection::default()
        .with_latency(Duration::from_millis(25))
        .with_jitter(Duration::from_millis(10))
        .with_loss(0.02)
        .with_duplicate(0.01)
        .with_reorder(0.02, Duration::from_millis(20))
        .with_rate(10_000_000, 64 * 1024);
    let link = LinkConfig::symmetric(dir);
    let echo = addr("203.0.113.1:7");
    let local = addr("10.0.0.2:5000");
    let nat = sim.add_nat(
        "nat",
        Realm::Public,
        "198.51.100.1".parse().unwrap(),
        NatConfig::symmetric(),
    );
    sim.add_host("echo", &[echo.ip()], Realm::Public, link, Echo::new());
    let pinger = Pinger::new(local, echo, sim.epoch(), Duration::from_millis(1)).with_size(1000);
    sim.add_host("pinger", &[local.ip()], Realm::Behind(nat), link, pinger);

    // The counter works: one allocation is seen as one.
    let probe = Region::new(GLOBAL);
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(probe.change().allocations, 1);

    sim.run_for(Duration::from_secs(2)); // warm-up: pools, queues and the NAT mapping grow
    let before = *sim.stats();
    let change = fewest_allocations(GLOBAL, 3, |_| sim.run_for(Duration::from_secs(7)));
    let after = *sim.stats();

    let datagrams = (after.sent - before.sent) + (after.duplicated - before.duplicated);
    let per_datagram = change.allocations as f64 / datagrams as f64;
    println!(
        "{datagrams} datagrams after warm-up: {} allocations, {} reallocations \
         ({per_datagram} per datagram)",
        change.allocations, change.reallocations
    );
    assert!(datagrams > 30_000, "{after:?}");
    assert_eq!(
        (change.allocations, change.reallocations),
        (0, 0),
        "{}",
        sim.replay_hint()
    );
}

//! A connected ICE session allocates nothing per datagram: consent checks and their answers
//! (RFC 7675), both directions, through the simulator and a NAT, counted by the global
//! allocator after a warm-up.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::Duration;

use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, is_connected};
use sansrtc_tests::sim::seed_from_env;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[test]
fn ice_consent_steady_state_allocates_nothing_per_datagram() {
    let config =
        ScenarioConfig::new(seed_from_env(9000)).nats(NatKind::PortRestricted, NatKind::None);
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    // Warm-up: checks finish, queues reach their working size.
    s.run_for(Duration::from_secs(60));

    let before = *s.sim.stats();
    let change = fewest_allocations(GLOBAL, 3, |_| s.run_for(Duration::from_secs(200)));
    let after = *s.sim.stats();

    let datagrams = after.sent - before.sent;
    println!(
        "{datagrams} datagrams in 600 s of a connected ICE session, fewest in a 200 s trial: \
         {} allocations, {} reallocations ({} per datagram)",
        change.allocations,
        change.reallocations,
        change.allocations as f64 / datagrams as f64
    );
    assert!(
        is_connected(s.state(s.a)) && is_connected(s.state(s.b)),
        "{}",
        s.replay_hint()
    );
    assert!(datagrams > 400, "consent traffic flowed: {datagrams}");
    assert_eq!(
        (change.allocations, change.reallocations),
        (0, 0),
        "{}",
        s.replay_hint()
    );
}

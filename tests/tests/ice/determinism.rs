//! A whole ICE session replays bit for bit from its seed: the same seed gives the same trace
//! hash (every datagram's time, addresses, size, verdict and bytes), another seed another one.

use std::time::Duration;

use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

fn session(seed: u64) -> (u64, u64) {
    let link = LinkConfig::symmetric(
        LinkDirection::default()
            .with_latency(Duration::from_millis(25))
            .with_jitter(Duration::from_millis(10))
            .with_loss(0.1),
    );
    let config = ScenarioConfig::new(seed)
        .nats(NatKind::PortRestricted, NatKind::EndpointIndependent)
        .links(link);
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(15)),
        "{}",
        s.replay_hint()
    );
    s.run_for(Duration::from_secs(30));
    (s.sim.trace_hash(), s.sim.stats().sent)
}

#[test]
fn sim_determinism_ice_session_same_seed_same_trace() {
    let seed = seed_from_env(8000);
    assert_eq!(session(seed), session(seed));
}

#[test]
fn sim_determinism_ice_session_other_seed_other_trace() {
    let seed = seed_from_env(8000);
    assert_ne!(session(seed).0, session(seed + 1).0);
}

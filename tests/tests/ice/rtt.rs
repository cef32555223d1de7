//! The round-trip time the agent measures on its checks, which the peer connection uses to
//! start DTLS's retransmission timer.

use std::time::Duration;

use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig};
use sansrtc_tests::sim::{LinkConfig, seed_from_env};

/// The agent measures the round-trip time of its checks (from the first send of a transaction
/// answered without a retransmission, also when a triggered check replaced it): 25 ms on each
/// of four access-link crossings.
#[test]
fn ice_measures_the_round_trip_time() {
    let config = ScenarioConfig::new(seed_from_env(9101))
        .nats(NatKind::None, NatKind::None)
        .links(LinkConfig::with_latency(Duration::from_millis(25)));
    let mut s = IceScenario::new(config);
    assert_eq!(s.agent(s.a).rtt(), None);
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "{}",
        s.replay_hint()
    );
    let rtts = [s.agent(s.a).rtt(), s.agent(s.b).rtt()];
    assert_eq!(
        rtts,
        [Some(Duration::from_millis(100)); 2],
        "{}",
        s.replay_hint()
    );
}

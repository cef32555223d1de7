//! Trickle ICE (RFC 8838): candidates arrive at any time; end-of-candidates lets an agent fail
//! early; without it, failure waits for the trickle timeout.

use std::time::Duration;

use sansrtc::ice::IceConnectionState;
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, Signalling, is_connected};
use sansrtc_tests::sim::seed_from_env;

#[test]
fn ice_trickle_connects_without_end_of_candidates() {
    let mut config = ScenarioConfig::new(seed_from_env(6000))
        .nats(NatKind::PortRestricted, NatKind::EndpointIndependent);
    config.signalling = Signalling::TrickleNoEnd;
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    // Without end-of-candidates the agents stay connected, never completed.
    s.run_for(Duration::from_secs(5));
    assert_eq!(
        s.state(s.a),
        IceConnectionState::Connected,
        "{}",
        s.replay_hint()
    );
}

#[test]
fn ice_trickle_all_at_once_after_gathering() {
    let mut config = ScenarioConfig::new(seed_from_env(6100))
        .nats(NatKind::PortRestricted, NatKind::EndpointIndependent);
    config.signalling = Signalling::AfterGathering;
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    assert!(
        s.run_until(Duration::from_secs(20), |s| s.state(s.a)
            == IceConnectionState::Completed),
        "completed once end-of-candidates and all checks are done; {}",
        s.replay_hint()
    );
}

#[test]
fn ice_trickle_late_candidates_still_connect() {
    // Agent b's candidates reach a only after 3 s; a's checks to them start then, and b's
    // checks to a (whose candidates it has) are answered meanwhile.
    let mut config = ScenarioConfig::new(seed_from_env(6200))
        .nats(NatKind::PortRestricted, NatKind::PortRestricted);
    config.signalling = Signalling::TrickleNoEnd;
    let mut s = IceScenario::new(config);
    let b = s.b;
    // Hold b's candidates back.
    s.run_until(Duration::from_millis(10), |_| false);
    let mut held = s.peer_mut(b).take_candidates();
    let t0 = s.elapsed();
    while s.elapsed() < t0 + Duration::from_secs(3) {
        if !s.sim.step() {
            break;
        }
        held.extend(s.peer_mut(b).take_candidates());
        s.peer_mut(b).take_gathering_done();
        // a's candidates still trickle to b.
        let now = s.sim.now();
        let from_a = s.peer_mut(s.a).take_candidates();
        for c in from_a {
            let _ = s.agent_mut(b).add_remote_candidate(now, c);
        }
    }
    let now = s.sim.now();
    let a = s.a;
    for c in held {
        s.agent_mut(a).add_remote_candidate(now, c).unwrap();
    }
    s.settle();
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
}

#[test]
fn ice_trickle_end_of_candidates_with_nothing_fails_fast() {
    // b has no usable candidate (symmetric NAT against a port-restricted one) and says so;
    // both agents fail once every check has run out, well before the trickle timeout.
    let config = ScenarioConfig::new(seed_from_env(6300))
        .nats(NatKind::PortRestricted, NatKind::AddressAndPortDependent);
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_settled(Duration::from_secs(25)),
        "{}",
        s.replay_hint()
    );
    assert_eq!(s.state(s.a), IceConnectionState::Failed);
}

#[test]
fn ice_trickle_no_candidates_and_no_end_fails_after_trickle_timeout() {
    let mut config = ScenarioConfig::new(seed_from_env(6400))
        .nats(NatKind::PortRestricted, NatKind::AddressAndPortDependent);
    config.signalling = Signalling::TrickleNoEnd;
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_settled(Duration::from_secs(90)),
        "{}",
        s.replay_hint()
    );
    assert_eq!(
        s.state(s.a),
        IceConnectionState::Failed,
        "{}",
        s.replay_hint()
    );
    let failed = s.time_to(s.a, IceConnectionState::Failed).unwrap();
    assert!(
        failed >= Duration::from_secs(30),
        "failed before the trickle timeout: {failed:?}"
    );
    assert!(!is_connected(s.state(s.b)));
}

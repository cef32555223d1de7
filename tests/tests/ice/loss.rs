//! Connectivity checks under heavy loss: retransmissions and triggered checks get through.

use std::time::Duration;

use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

fn lossy(p: f64) -> LinkConfig {
    LinkConfig::symmetric(
        LinkDirection::default()
            .with_latency(Duration::from_millis(25))
            .with_jitter(Duration::from_millis(5))
            .with_loss(p),
    )
}

#[test]
fn ice_loss_20_percent_each_way_connects() {
    for offset in 0..4 {
        let seed = seed_from_env(2000 + offset);
        let config = ScenarioConfig::new(seed)
            .nats(NatKind::PortRestricted, NatKind::None)
            .links(lossy(0.2));
        let mut s = IceScenario::new(config);
        let ok = s.run_until_connected(Duration::from_secs(15));
        if !ok {
            for h in [s.a, s.b] {
                for (t, e) in s.peer(h).events() {
                    eprintln!("{h:?} {:?} {e:?}", *t - s.sim.epoch());
                }
                eprintln!("{:?}", s.agent(h).stats());
            }
        }
        assert!(ok, "no connection with 20% loss; {}", s.replay_hint());
        // Consent survives the same loss for a minute: a few lost checks are not a failure.
        s.run_for(Duration::from_secs(60));
        assert!(
            sansrtc_tests::ice::is_connected(s.state(s.a))
                && sansrtc_tests::ice::is_connected(s.state(s.b)),
            "lost consent under 20% loss; {}",
            s.replay_hint()
        );
    }
}

#[test]
fn ice_loss_20_percent_behind_two_nats_connects() {
    for offset in 0..3 {
        let seed = seed_from_env(2100 + offset);
        let config = ScenarioConfig::new(seed)
            .nats(NatKind::PortRestricted, NatKind::EndpointIndependent)
            .links(lossy(0.2));
        let mut s = IceScenario::new(config);
        assert!(
            s.run_until_connected(Duration::from_secs(15)),
            "no connection with 20% loss; {}",
            s.replay_hint()
        );
    }
}

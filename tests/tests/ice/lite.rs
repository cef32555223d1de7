//! ice-lite (RFC 8445 section 2.5): a server with a public address answers checks and uses
//! the pair the full agent nominates; the full agent is always controlling.

use std::time::Duration;

use sansrtc::ice::{IceConfig, Role};
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, is_connected};
use sansrtc_tests::sim::seed_from_env;

fn lite_config(seed: u64, a: NatKind) -> ScenarioConfig {
    let mut config = ScenarioConfig::new(seed).nats(a, NatKind::None);
    config.ice_b = IceConfig::default().lite(true);
    config
}

#[test]
fn ice_lite_server_behind_nat_clients() {
    for (i, nat) in [
        NatKind::None,
        NatKind::PortRestricted,
        NatKind::AddressAndPortDependent,
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = IceScenario::new(lite_config(seed_from_env(7000 + i as u64), nat));
        assert!(s.agent(s.b).is_lite());
        assert!(
            s.run_until_connected(Duration::from_secs(5)),
            "{nat:?}: {}",
            s.replay_hint()
        );
        // The lite agent sent no checks of its own: it only answered. (It gathers nothing.)
        assert_eq!(s.agent(s.b).stats().checks_sent, 0, "{}", s.replay_hint());
        s.run_for(Duration::from_secs(60));
        assert!(
            is_connected(s.state(s.a)) && is_connected(s.state(s.b)),
            "{}",
            s.replay_hint()
        );
    }
}

#[test]
fn ice_lite_full_agent_takes_control() {
    // Misconfigured: the full agent starts controlled. The lite agent is always controlled,
    // so the full agent must switch on the conflict and nominate.
    let mut config = lite_config(seed_from_env(7100), NatKind::PortRestricted);
    config.role_a = Role::Controlled;
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "{}",
        s.replay_hint()
    );
    assert_eq!(s.agent(s.a).role(), Role::Controlling);
    assert_eq!(s.agent(s.b).role(), Role::Controlled);
}

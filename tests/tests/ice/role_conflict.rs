//! Role conflicts (RFC 8445 section 7.3.1.1): both agents start with the same role; the
//! tie-breakers decide, one switches (directly or after a 487), and they connect.

use std::time::Duration;

use sansrtc::ice::{IceEvent, Role};
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig};
use sansrtc_tests::sim::seed_from_env;

fn run(role: Role, seed: u64) {
    let mut config = ScenarioConfig::new(seed).nats(NatKind::PortRestricted, NatKind::None);
    config.role_a = role;
    config.role_b = role;
    let mut s = IceScenario::new(config);
    let hint = s.replay_hint();
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "{role:?}/{role:?}: {hint}"
    );
    let (ra, rb) = (s.agent(s.a).role(), s.agent(s.b).role());
    assert_ne!(ra, rb, "roles still in conflict; {hint}");
    let switched = [s.a, s.b]
        .iter()
        .filter(|&&h| {
            s.peer(h)
                .events()
                .iter()
                .any(|(_, e)| matches!(e, IceEvent::RoleChanged(_)))
        })
        .count();
    assert_eq!(switched, 1, "exactly one agent changes role; {hint}");
    assert_eq!(
        s.agent(s.a).selected_pair().is_some(),
        s.agent(s.b).selected_pair().is_some()
    );
}

#[test]
fn ice_role_conflict_both_controlling() {
    for offset in 0..3 {
        run(Role::Controlling, seed_from_env(5000 + offset));
    }
}

#[test]
fn ice_role_conflict_both_controlled() {
    for offset in 0..3 {
        run(Role::Controlled, seed_from_env(5100 + offset));
    }
}

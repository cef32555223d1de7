//! Two agents across every combination of NAT kinds, with a STUN server on the public side.
//!
//! Without a relay, a pair can only work when a check from one side passes the other side's
//! NAT. With the simulator's per-mapping filtering (RFC 4787) that holds exactly when one side
//! has no NAT, or one side filters endpoint-independently (full cone), or both map
//! endpoint-independently (so each side's server-reflexive address is also the address its
//! checks come from, and each side's own checks open its filter for the other). Every other
//! combination must end in `failed`, within the check timers, not hang.

use std::time::Duration;

use sansrtc::ice::IceConnectionState;
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, is_connected};
use sansrtc_tests::sim::seed_from_env;

/// Whether a direct path exists between agents behind these NATs (see the module docs).
fn can_connect(a: NatKind, b: NatKind) -> bool {
    use NatKind::*;
    let eim = |k| matches!(k, EndpointIndependent | PortRestricted);
    a == None
        || b == None
        || a == EndpointIndependent
        || b == EndpointIndependent
        || eim(a) && eim(b)
}

fn run(a: NatKind, b: NatKind) {
    let seed = seed_from_env(0x1ce0 + a as u64 * 8 + b as u64);
    let mut s = IceScenario::new(ScenarioConfig::new(seed).nats(a, b));
    let settled = s.run_until_settled(Duration::from_secs(60));
    let hint = s.replay_hint();
    assert!(
        settled,
        "{a:?} vs {b:?}: no final state within 60 s; {hint}"
    );
    let (sa, sb) = (s.state(s.a), s.state(s.b));
    if can_connect(a, b) {
        assert!(
            is_connected(sa) && is_connected(sb),
            "{a:?} vs {b:?} should connect, got {sa:?}/{sb:?}; {hint}"
        );
        let ta = s.time_to(s.a, IceConnectionState::Connected).unwrap();
        let tb = s.time_to(s.b, IceConnectionState::Connected).unwrap();
        assert!(
            ta.max(tb) < Duration::from_secs(5),
            "slow: {ta:?}/{tb:?}; {hint}"
        );
        // The two agents agree on the path: what a sends to is where b's traffic comes from.
        let (a_local, a_remote) = s.agent(s.a).selected_pair().unwrap();
        let (b_local, b_remote) = s.agent(s.b).selected_pair().unwrap();
        assert_eq!(a_local.port(), 5000);
        assert_eq!(b_local.port(), 5000);
        assert!(a_remote.port() != 0 && b_remote.port() != 0, "{hint}");
        // Media can flow a while: consent keeps the pair alive.
        s.run_for(Duration::from_secs(40));
        assert!(
            is_connected(s.state(s.a)) && is_connected(s.state(s.b)),
            "{hint}"
        );
    } else {
        assert_eq!(
            (sa, sb),
            (IceConnectionState::Failed, IceConnectionState::Failed),
            "{a:?} vs {b:?} cannot connect without a relay; {hint}"
        );
        // Within the RFC's timers: every check gives up after its retransmissions.
        let fa = s.time_to(s.a, IceConnectionState::Failed).unwrap();
        let fb = s.time_to(s.b, IceConnectionState::Failed).unwrap();
        assert!(
            fa.max(fb) < Duration::from_secs(40),
            "failed late: {fa:?}/{fb:?}; {hint}"
        );
        // And nothing more goes out after failing.
        let sent = s.sim.stats().sent;
        s.run_for(Duration::from_secs(30));
        assert_eq!(
            s.sim.stats().sent,
            sent,
            "datagrams sent after failed; {hint}"
        );
    }
}

#[test]
fn ice_nat_none_none() {
    run(NatKind::None, NatKind::None);
}

#[test]
fn ice_nat_none_full_cone() {
    run(NatKind::None, NatKind::EndpointIndependent);
}

#[test]
fn ice_nat_none_port_restricted() {
    run(NatKind::None, NatKind::PortRestricted);
}

#[test]
fn ice_nat_none_address_dependent() {
    run(NatKind::None, NatKind::AddressDependent);
}

#[test]
fn ice_nat_none_symmetric() {
    run(NatKind::None, NatKind::AddressAndPortDependent);
}

#[test]
fn ice_nat_full_cone_none() {
    run(NatKind::EndpointIndependent, NatKind::None);
}

#[test]
fn ice_nat_full_cone_full_cone() {
    run(NatKind::EndpointIndependent, NatKind::EndpointIndependent);
}

#[test]
fn ice_nat_full_cone_port_restricted() {
    run(NatKind::EndpointIndependent, NatKind::PortRestricted);
}

#[test]
fn ice_nat_full_cone_address_dependent() {
    run(NatKind::EndpointIndependent, NatKind::AddressDependent);
}

#[test]
fn ice_nat_full_cone_symmetric() {
    run(
        NatKind::EndpointIndependent,
        NatKind::AddressAndPortDependent,
    );
}

#[test]
fn ice_nat_port_restricted_none() {
    run(NatKind::PortRestricted, NatKind::None);
}

#[test]
fn ice_nat_port_restricted_full_cone() {
    run(NatKind::PortRestricted, NatKind::EndpointIndependent);
}

#[test]
fn ice_nat_port_restricted_port_restricted() {
    run(NatKind::PortRestricted, NatKind::PortRestricted);
}

#[test]
fn ice_nat_port_restricted_address_dependent() {
    run(NatKind::PortRestricted, NatKind::AddressDependent);
}

#[test]
fn ice_nat_port_restricted_symmetric() {
    run(NatKind::PortRestricted, NatKind::AddressAndPortDependent);
}

#[test]
fn ice_nat_address_dependent_none() {
    run(NatKind::AddressDependent, NatKind::None);
}

#[test]
fn ice_nat_address_dependent_full_cone() {
    run(NatKind::AddressDependent, NatKind::EndpointIndependent);
}

#[test]
fn ice_nat_address_dependent_port_restricted() {
    run(NatKind::AddressDependent, NatKind::PortRestricted);
}

#[test]
fn ice_nat_address_dependent_address_dependent() {
    run(NatKind::AddressDependent, NatKind::AddressDependent);
}

#[test]
fn ice_nat_address_dependent_symmetric() {
    run(NatKind::AddressDependent, NatKind::AddressAndPortDependent);
}

#[test]
fn ice_nat_symmetric_none() {
    run(NatKind::AddressAndPortDependent, NatKind::None);
}

#[test]
fn ice_nat_symmetric_full_cone() {
    run(
        NatKind::AddressAndPortDependent,
        NatKind::EndpointIndependent,
    );
}

#[test]
fn ice_nat_symmetric_port_restricted() {
    run(NatKind::AddressAndPortDependent, NatKind::PortRestricted);
}

#[test]
fn ice_nat_symmetric_address_dependent() {
    run(NatKind::AddressAndPortDependent, NatKind::AddressDependent);
}

#[test]
fn ice_nat_symmetric_symmetric() {
    run(
        NatKind::AddressAndPortDependent,
        NatKind::AddressAndPortDependent,
    );
}

/// Both agents behind NATs whose private realms use the same address: each side's host
/// candidate points at itself, and the checks it sends there must not confuse it.
#[test]
fn ice_nat_same_private_addresses() {
    let seed = seed_from_env(77);
    let mut config =
        ScenarioConfig::new(seed).nats(NatKind::PortRestricted, NatKind::PortRestricted);
    config.private_ips = ["192.168.1.2", "192.168.1.2"];
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "{}",
        s.replay_hint()
    );
}

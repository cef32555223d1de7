//! ICE restart (RFC 8445 section 9): new credentials and a new check list, while the working
//! pair carries on until a pair of the new generation is selected.

use std::time::Duration;

use sansrtc::ice::{IceConnectionState, IceEvent};
use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, is_connected};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

fn selected_changes(s: &IceScenario, host: sansrtc_tests::sim::HostId) -> usize {
    s.peer(host)
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, IceEvent::SelectedPairChanged { .. }))
        .count()
}

#[test]
fn ice_restart_keeps_the_working_pair_until_a_new_one_is_selected() {
    let seed = seed_from_env(4000);
    let config = ScenarioConfig::new(seed).nats(NatKind::PortRestricted, NatKind::None);
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    s.run_for(Duration::from_secs(3));
    let (a, b) = (s.a, s.b);
    let old_creds = s.agent(a).local_credentials().clone();
    let before = (selected_changes(&s, a), selected_changes(&s, b));
    let events_before = s.peer(a).events().len();

    s.restart_both();
    assert_ne!(
        s.agent(a).local_credentials(),
        &old_creds,
        "restart made new credentials"
    );
    // The selected pair stays usable while the new generation checks.
    assert!(s.agent(a).selected_pair().is_some());
    let hint = s.replay_hint();
    assert!(
        s.run_until(Duration::from_secs(10), |s| {
            selected_changes(s, a) > before.0 && selected_changes(s, b) > before.1
        }),
        "no new pair selected after restart; {hint}"
    );
    s.run_for(Duration::from_secs(10));
    assert!(
        is_connected(s.state(a)) && is_connected(s.state(b)),
        "{hint}"
    );
    // At no point after the restart did either side drop to a state without a usable pair.
    for host in [a, b] {
        let start = if host == a { events_before } else { 0 };
        for (_, e) in &s.peer(host).events()[start..] {
            if let IceEvent::StateChanged(st) = e {
                assert!(
                    !matches!(
                        st,
                        IceConnectionState::Failed | IceConnectionState::Disconnected
                    ),
                    "state {st:?} during restart; {hint}"
                );
            }
        }
    }
}

#[test]
fn ice_restart_after_failure_reconnects() {
    let seed = seed_from_env(4100);
    let mut s = IceScenario::new(ScenarioConfig::new(seed));
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    let good = LinkConfig::with_latency(Duration::from_millis(25));
    s.set_link(
        s.b,
        LinkConfig::symmetric(LinkDirection::default().with_loss(1.0)),
    );
    let a = s.a;
    assert!(
        s.run_until(Duration::from_secs(40), |s| s.state(a)
            == IceConnectionState::Failed),
        "{}",
        s.replay_hint()
    );
    s.set_link(s.b, good);
    s.restart_both();
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "no reconnect after restart; {}",
        s.replay_hint()
    );
}

//! Consent freshness (RFC 7675): a peer that goes silent is reported disconnected, then failed
//! when consent expires 30 s after the last response; sending stops then. A short outage
//! recovers.

use std::time::Duration;

use sansrtc::ice::{IceConnectionState, IceEvent};
use sansrtc_tests::ice::{IceScenario, ScenarioConfig, is_connected};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

const LATENCY: Duration = Duration::from_millis(25);

fn dead() -> LinkConfig {
    LinkConfig::symmetric(LinkDirection::default().with_loss(1.0))
}

#[test]
fn ice_consent_silent_peer_disconnected_then_failed() {
    let seed = seed_from_env(3000);
    let mut s = IceScenario::new(ScenarioConfig::new(seed));
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    s.run_for(Duration::from_secs(20));
    let cut = s.elapsed();
    s.set_link(s.b, dead());

    let a = s.a;
    assert!(
        s.run_until(Duration::from_secs(40), |s| s.state(a)
            == IceConnectionState::Failed),
        "never failed; {}",
        s.replay_hint()
    );
    let disconnected = s
        .time_to(a, IceConnectionState::Disconnected)
        .expect("disconnected first");
    let failed = s.time_to(a, IceConnectionState::Failed).unwrap();
    let hint = s.replay_hint();
    // The last consent response came at most one consent interval (5 s * 1.2) before the cut.
    assert!(disconnected > cut, "{hint}");
    assert!(
        disconnected <= cut + Duration::from_secs(6),
        "disconnected late: {disconnected:?} after cut {cut:?}; {hint}"
    );
    assert!(
        failed >= cut + Duration::from_secs(30) - Duration::from_secs(6) - LATENCY * 2,
        "failed early: {failed:?}, cut {cut:?}; {hint}"
    );
    assert!(
        failed <= cut + Duration::from_secs(31),
        "failed late: {failed:?}, cut {cut:?}; {hint}"
    );

    // RFC 7675 section 5.1: no more sending once consent has expired (b, cut off, loses
    // consent too).
    let b = s.b;
    assert!(
        s.run_until(Duration::from_secs(40), |s| s.state(b)
            == IceConnectionState::Failed),
        "{hint}"
    );
    let sent = s.sim.stats().sent;
    s.run_for(Duration::from_secs(60));
    assert_eq!(
        s.sim.stats().sent,
        sent,
        "sent after consent was lost; {hint}"
    );
}

#[test]
fn ice_consent_short_outage_recovers() {
    let seed = seed_from_env(3100);
    let mut s = IceScenario::new(ScenarioConfig::new(seed));
    let link = LinkConfig::with_latency(LATENCY);
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    s.run_for(Duration::from_secs(10));
    s.set_link(s.b, dead());
    let a = s.a;
    assert!(
        s.run_until(Duration::from_secs(15), |s| s.state(a)
            == IceConnectionState::Disconnected),
        "not disconnected; {}",
        s.replay_hint()
    );
    s.set_link(s.b, link);
    assert!(
        s.run_until(Duration::from_secs(5), |s| is_connected(s.state(a))),
        "did not recover; {}",
        s.replay_hint()
    );
    assert!(
        !s.peer(a)
            .events()
            .iter()
            .any(|(_, e)| *e == IceEvent::StateChanged(IceConnectionState::Failed))
    );
}

#[test]
fn ice_consent_checks_keep_a_quiet_session_alive() {
    let seed = seed_from_env(3200);
    let mut s = IceScenario::new(ScenarioConfig::new(seed));
    assert!(
        s.run_until_connected(Duration::from_secs(5)),
        "{}",
        s.replay_hint()
    );
    let sent = s.sim.stats().sent;
    s.run_for(Duration::from_secs(300));
    assert!(
        is_connected(s.state(s.a)) && is_connected(s.state(s.b)),
        "{}",
        s.replay_hint()
    );
    // Consent checks every 4 to 6 s from each side, each answered: about 2 * 2 * 60 in 300 s.
    let per_side = (s.sim.stats().sent - sent) / 4;
    assert!(
        (45..=80).contains(&per_side),
        "consent traffic {per_side} per side and direction; {}",
        s.replay_hint()
    );
}

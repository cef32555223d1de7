//! Our peer relay-only through a TURN server (the simulator's `TurnRelay`) against str0m and
//! webrtc-rs `rtc`, each side offering: the other stack sees our relayed address as the peer
//! and a data channel echoes 50 messages each way. Our SDP carries no candidate (relay-only,
//! negotiated before the allocation): the other stack learns our relayed address from our
//! checks, as a peer-reflexive candidate.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansrtc::ice::IceConfig;
use sansrtc::rtc::PeerState;
use sansrtc_tests::interop::{InteropPeer, PeerConfig, RtcPeer, SansrtcPeer, Scenario, Str0mPeer};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, Realm, TurnRelay, seed_from_env};

const MESSAGES: u32 = 50;

fn turn_addr() -> SocketAddr {
    "10.0.0.50:3478".parse().expect("addr")
}

fn link() -> LinkConfig {
    LinkConfig::symmetric(LinkDirection::default().with_latency(Duration::from_millis(10)))
}

fn relayed(now: Instant, config: &PeerConfig) -> SansrtcPeer {
    let server = TurnRelay::new(turn_addr(), "interop", "user", "pass").client_config();
    SansrtcPeer::build_with(now, config, |c| {
        c.ice = IceConfig::default().relay_only(true);
        c.turn_servers = vec![server];
    })
}

/// Runs the echo; `ours_offers` says which side we are. Returns our selected pair.
fn echo<O: InteropPeer, A: InteropPeer>(
    seed: u64,
    build_o: impl FnOnce(Instant, &PeerConfig) -> O,
    build_a: impl FnOnce(Instant, &PeerConfig) -> A,
    ours: fn(&Scenario) -> &SansrtcPeer,
) {
    let mut sc = Scenario::with_builders(seed_from_env(seed), link(), false, build_o, build_a);
    let relay = TurnRelay::new(turn_addr(), "interop", "user", "pass");
    let turn = sc
        .sim
        .add_host("turn", &[turn_addr().ip()], Realm::Public, link(), relay);
    let hint = sc.sim.replay_hint();
    assert!(
        sc.run_until_open::<O, A>(Duration::from_secs(20)),
        "channel not open within 20 s; {hint}"
    );
    sc.queue_messages::<O, A>(MESSAGES);
    assert!(
        sc.run_until_echoed::<O, A>(MESSAGES, Duration::from_secs(60)),
        "echo not done; {hint}"
    );
    if let Err(e) = sc.check_echo::<O, A>(MESSAGES) {
        panic!("{e}; {hint}");
    }
    let us = ours(&sc);
    assert_eq!(us.rtc().state(), PeerState::Connected);
    let (local, _) = us.rtc().selected_pair().expect("a selected pair");
    assert_eq!(
        local.ip(),
        turn_addr().ip(),
        "our side of the path is the relay"
    );
    let server = &sc.sim.peer::<TurnRelay>(turn).stats;
    assert!(
        server.relayed_to_peer > 0 && server.relayed_to_client > 0,
        "{server:?}"
    );
}

#[test]
fn interop_str0m_relayed_sansrtc_offers() {
    echo::<SansrtcPeer, Str0mPeer>(7300, relayed, Str0mPeer::build, |sc| sc.offerer());
}

#[test]
fn interop_str0m_relayed_sansrtc_answers() {
    echo::<Str0mPeer, SansrtcPeer>(7301, Str0mPeer::build, relayed, |sc| sc.answerer());
}

#[test]
fn interop_rtc_relayed_sansrtc_offers() {
    echo::<SansrtcPeer, RtcPeer>(7302, relayed, RtcPeer::build, |sc| sc.offerer());
}

#[test]
fn interop_rtc_relayed_sansrtc_answers() {
    echo::<RtcPeer, SansrtcPeer>(7303, RtcPeer::build, relayed, |sc| sc.answerer());
}

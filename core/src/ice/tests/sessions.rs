//! Whole sessions between two agents in virtual time.

use std::time::Duration;

use super::harness::Net;
use super::{A_ADDR, B_ADDR, NAT_ADDR, STUN_ADDR, addr};
use crate::ice::{
    Candidate, CandidateError, CandidateKind, IceConfig, IceConnectionState, IceEvent, Role,
};
use crate::stun::{Responder, ResponderConfig};

#[test]
fn connect_perfect_link() {
    let mut net = Net::pair();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    assert!(
        net.elapsed() < Duration::from_secs(2),
        "{:?}",
        net.elapsed()
    );
    net.assert_same_pair();
    assert_eq!(net.a.agent.role(), Role::Controlling);
    assert_eq!(net.b.agent.role(), Role::Controlled);
    // Both sent end-of-candidates (GatheringComplete) and the checks finish: Completed.
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.a.agent.state() == IceConnectionState::Completed
            && n.b.agent.state() == IceConnectionState::Completed
    }));
    for p in [&net.a, &net.b] {
        assert_eq!(
            p.states(),
            [
                IceConnectionState::Checking,
                IceConnectionState::Connected,
                IceConnectionState::Completed
            ]
        );
        assert!(
            p.events
                .iter()
                .any(|e| matches!(e, IceEvent::SelectedPairChanged { .. }))
        );
        assert!(p.events.contains(&IceEvent::GatheringComplete));
    }
    // Consent keeps it up for a long while, without errors.
    net.run_for(Duration::from_secs(120));
    assert_eq!(net.a.agent.state(), IceConnectionState::Completed);
    assert_eq!(net.b.agent.state(), IceConnectionState::Completed);
    let sa = net.a.agent.stats();
    assert!(sa.consent_checks_sent >= 20, "{sa:?}");
    assert!(
        sa.consent_checks_sent - sa.consent_responses_received <= 1,
        "{sa:?}"
    );
    assert_eq!(sa.stun_unauthenticated + sa.stun_malformed, 0);
    // Consent checks every 4 to 6 s: about 20 to 30 in 120 s, not more.
    assert!(sa.consent_checks_sent <= 32, "{sa:?}");
}

#[test]
fn connect_dual_stack_prefers_ipv6() {
    let mut net = Net::pair();
    for (p, a6) in [
        (&mut net.a, "[2001:db8::1]:5000"),
        (&mut net.b, "[2001:db8::2]:6000"),
    ] {
        p.agent.add_host_address(net.now, addr(a6)).unwrap();
        p.addrs.push(addr(a6));
    }
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.assert_same_pair();
    let (local, remote) = net.a.agent.selected_pair().unwrap();
    assert!(local.is_ipv6() && remote.is_ipv6());
    // Candidates pair only within their address family: one IPv4 and one IPv6 pair.
    assert_eq!(net.a.agent.pair_count(), 2);
}

#[test]
fn ice_role_conflict_both_controlling() {
    let mut net = Net::new(
        IceConfig::default(),
        Role::Controlling,
        IceConfig::default(),
        Role::Controlling,
    );
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    let roles = [net.a.agent.role(), net.b.agent.role()];
    assert!(roles.contains(&Role::Controlling) && roles.contains(&Role::Controlled));
    let switched = [&net.a, &net.b]
        .iter()
        .filter(|p| {
            p.events
                .iter()
                .any(|e| matches!(e, IceEvent::RoleChanged(_)))
        })
        .count();
    assert_eq!(switched, 1);
    assert!(net.a.agent.stats().role_conflicts + net.b.agent.stats().role_conflicts >= 1);
    net.assert_same_pair();
}

#[test]
fn ice_role_conflict_both_controlled() {
    let mut net = Net::new(
        IceConfig::default(),
        Role::Controlled,
        IceConfig::default(),
        Role::Controlled,
    );
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    let roles = [net.a.agent.role(), net.b.agent.role()];
    assert!(roles.contains(&Role::Controlling) && roles.contains(&Role::Controlled));
    net.assert_same_pair();
}

#[test]
fn ice_role_conflict_by_487_response() {
    // b has no remote credentials yet, so it only answers: it wins the tie and answers 487,
    // and a switches role on the response (section 7.2.5.1).
    let mut net = Net::new(
        IceConfig::default(),
        Role::Controlling,
        IceConfig::default(),
        Role::Controlling,
    );
    net.a.agent.tie_breaker = 1;
    net.b.agent.tie_breaker = u64::MAX;
    let cb = net.b.agent.local_credentials().clone();
    net.a.agent.set_remote_credentials(net.now, cb);
    net.run_for(Duration::from_millis(200));
    assert_eq!(net.a.agent.role(), Role::Controlled);
    assert!(
        net.a
            .events
            .contains(&IceEvent::RoleChanged(Role::Controlled))
    );
    assert!(net.b.agent.stats().error_responses_sent >= 1);
    assert_eq!(net.b.agent.role(), Role::Controlling);
    let ca = net.a.agent.local_credentials().clone();
    net.b.agent.set_remote_credentials(net.now, ca);
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    assert_eq!(net.b.agent.role(), Role::Controlling);
    net.assert_same_pair();
}

#[test]
fn lite_against_full() {
    let mut net = Net::new(
        IceConfig::default(),
        Role::Controlled, // corrected by role conflict: the lite peer is always controlled
        IceConfig::default().lite(true),
        Role::Controlling,
    );
    assert!(net.b.agent.is_lite());
    assert_eq!(net.b.agent.role(), Role::Controlled);
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    assert_eq!(net.a.agent.role(), Role::Controlling);
    assert_eq!(net.b.agent.role(), Role::Controlled);
    net.assert_same_pair();
    assert_eq!(net.b.agent.stats().checks_sent, 0);
    assert_eq!(net.b.agent.stats().consent_checks_sent, 0);
    // The full agent's consent checks keep the lite agent up.
    net.run_for(Duration::from_secs(90));
    assert!(net.both_connected());
    assert!(net.b.agent.stats().keepalives_sent >= 1);
    assert_eq!(net.b.agent.stats().checks_sent, 0);
}

#[test]
fn lite_loses_consent_when_checks_stop() {
    let mut net = Net::new(
        IceConfig::default(),
        Role::Controlling,
        IceConfig::default().lite(true),
        Role::Controlled,
    );
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.a.mute = true;
    let t0 = net.elapsed();
    assert!(net.run_until(Duration::from_secs(60), |n| {
        n.b.agent.state() == IceConnectionState::Failed
    }));
    let took = net.elapsed() - t0;
    assert!(took <= Duration::from_secs(31), "{took:?}");
    assert_eq!(net.b.agent.selected_pair(), None);
}

#[test]
fn trickle_candidates_after_checks_started() {
    let mut net = Net::pair();
    net.signal = false;
    net.exchange_credentials();
    // a starts checking a candidate that never answers.
    let dead = Candidate::host(addr("10.0.0.99:7"));
    net.a.agent.add_remote_candidate(net.now, dead).unwrap();
    net.run_for(Duration::from_millis(300));
    assert!(net.a.agent.stats().checks_sent > 0);
    assert_eq!(net.a.agent.state(), IceConnectionState::Checking);
    // b's candidate trickles in after checks started; b learns a as peer-reflexive.
    let cb = Candidate::host(addr(B_ADDR));
    net.a.agent.add_remote_candidate(net.now, cb).unwrap();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.assert_same_pair();
    assert_eq!(net.b.agent.stats().remote_peer_reflexive, 1);
    // Without end-of-candidates the session stays Connected, not Completed.
    net.run_for(Duration::from_secs(8));
    assert_eq!(net.a.agent.state(), IceConnectionState::Connected);
    net.a.agent.end_of_remote_candidates(net.now);
    net.b.agent.end_of_remote_candidates(net.now);
    let done = net.run_until(Duration::from_secs(1), |n| {
        n.a.agent.state() == IceConnectionState::Completed
            && n.b.agent.state() == IceConnectionState::Completed
    });
    assert!(done, "{:?} {:#?}", net.a.agent.state(), net.b.agent);
}

#[test]
fn server_reflexive_and_peer_reflexive_behind_nat() {
    let mut net = Net::pair();
    net.nat_a = true;
    net.server = Some(Responder::new(ResponderConfig::default()));
    net.a
        .agent
        .add_stun_server(net.now, addr(STUN_ADDR))
        .unwrap();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    let srflx: Vec<_> = net
        .a
        .agent
        .local_candidates()
        .filter(|c| c.kind() == CandidateKind::ServerReflexive)
        .collect();
    assert_eq!(srflx.len(), 1);
    assert_eq!(srflx[0].addr(), addr(NAT_ADDR));
    assert_eq!(srflx[0].base(), addr(A_ADDR));
    assert!(
        net.a
            .events
            .contains(&IceEvent::LocalCandidate(srflx[0].clone()))
    );
    assert!(net.a.agent.stats().gather_requests_sent >= 1);
    // a sees its mapped address in the check responses: a local peer-reflexive candidate
    // with the same address as the srflx one is not added twice.
    let (_, remote_of_b) = net.b.agent.selected_pair().unwrap();
    assert_eq!(remote_of_b, addr(NAT_ADDR));
    assert_eq!(
        net.a.agent.selected_pair(),
        Some((addr(A_ADDR), addr(B_ADDR)))
    );
}

#[test]
fn gathering_completes_without_stun_server_answer() {
    let mut net = Net::pair();
    // Nothing answers at STUN_ADDR: gathering gives up after the check schedule.
    net.a
        .agent
        .add_stun_server(net.now, addr(STUN_ADDR))
        .unwrap();
    net.signal = false;
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.a.events.contains(&IceEvent::GatheringComplete)
    }));
    assert!(
        net.elapsed() >= Duration::from_secs(5),
        "{:?}",
        net.elapsed()
    );
    assert_eq!(net.a.agent.stats().gather_requests_sent, 8);
}

#[test]
fn restart_keeps_old_pair_until_new_one_selected() {
    let mut net = Net::pair();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.run_for(Duration::from_millis(100));
    let old = net.a.agent.local_credentials().clone();
    let selected_before = net.a.agent.selected_pair();

    net.a.agent.restart(net.now, &mut net.a.rng);
    net.b.agent.restart(net.now, &mut net.b.rng);
    assert_ne!(*net.a.agent.local_credentials(), old);
    // Before new credentials are exchanged, the old pair keeps working through consent.
    net.a.events.clear();
    net.b.events.clear();
    net.signal = false;
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.a.agent.selected_pair(), selected_before);
    assert!(
        net.both_connected(),
        "{:?} {:?}",
        net.a.agent.state(),
        net.b.agent.state()
    );
    assert!(
        !net.a
            .events
            .iter()
            .any(|e| matches!(e, IceEvent::SelectedPairChanged { .. })),
        "{:?}",
        net.a.events
    );
    // Host candidates were reported again for the new session.
    assert!(
        net.a
            .events
            .iter()
            .any(|e| matches!(e, IceEvent::LocalCandidate(_)))
    );

    // New credentials and candidates: a pair of the new session is selected.
    net.exchange_credentials();
    net.a
        .agent
        .add_remote_candidate(net.now, Candidate::host(addr(B_ADDR)))
        .unwrap();
    net.b
        .agent
        .add_remote_candidate(net.now, Candidate::host(addr(A_ADDR)))
        .unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.a.events
            .iter()
            .any(|e| matches!(e, IceEvent::SelectedPairChanged { .. }))
            && n.b
                .events
                .iter()
                .any(|e| matches!(e, IceEvent::SelectedPairChanged { .. }))
    }));
    assert!(net.both_connected());
    // The new session's pair runs consent with the new credentials.
    net.run_for(Duration::from_secs(60));
    assert!(net.both_connected());
    assert_eq!(net.a.agent.stats().stun_unauthenticated, 0);
    assert_eq!(net.b.agent.stats().stun_unauthenticated, 0);
}

#[test]
fn consent_silent_peer_disconnected_then_failed() {
    let mut net = Net::pair();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    let t0 = net.now;
    net.b.mute = true;
    assert!(net.run_until(Duration::from_secs(20), |n| {
        n.a.agent.state() == IceConnectionState::Disconnected
    }));
    let disconnected = net.now - t0;
    // The next consent check goes out within 6 s, then 5 s unanswered.
    assert!(disconnected >= Duration::from_secs(5), "{disconnected:?}");
    assert!(disconnected <= Duration::from_secs(12), "{disconnected:?}");
    assert!(net.run_until(Duration::from_secs(40), |n| {
        n.a.agent.state() == IceConnectionState::Failed
    }));
    let failed = net.now - t0;
    // RFC 7675: 30 s after the last response.
    assert!(failed >= Duration::from_secs(29), "{failed:?}");
    assert!(failed <= Duration::from_secs(31), "{failed:?}");
    assert_eq!(net.a.agent.selected_pair(), None);
    assert_eq!(net.a.agent.poll_timeout(), None);
    // Failed: nothing more is sent.
    let sent = net.a.agent.stats().consent_checks_sent;
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.a.agent.stats().consent_checks_sent, sent);
    assert_eq!(
        &net.a.states()[net.a.states().len() - 2..],
        [IceConnectionState::Disconnected, IceConnectionState::Failed]
    );
}

#[test]
fn consent_recovers_from_disconnected() {
    let mut net = Net::pair();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.b.mute = true;
    assert!(net.run_until(Duration::from_secs(20), |n| {
        n.a.agent.state() == IceConnectionState::Disconnected
    }));
    net.b.mute = false;
    // Checks go out every second while unanswered: recovery is quick.
    assert!(net.run_until(Duration::from_millis(1500), |n| {
        n.a.agent.state() == IceConnectionState::Completed
    }));
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.a.agent.state(), IceConnectionState::Completed);
}

#[test]
fn fails_when_all_pairs_fail_after_end_of_candidates() {
    let mut net = Net::pair();
    net.b.deaf = true;
    net.b.mute = true;
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(20), |n| {
        n.a.agent.state() == IceConnectionState::Failed
    }));
    // One pair: sent at 0, .25, .75, 1.75, 2.75, 3.75, 4.75, 5.75 s, failing 2 s later.
    assert!(
        net.elapsed() < Duration::from_secs(9),
        "{:?}",
        net.elapsed()
    );
    assert_eq!(net.a.agent.stats().checks_sent, 8);
    assert_eq!(net.a.agent.poll_timeout(), None);
}

#[test]
fn fails_with_no_remote_candidates_and_end_of_candidates() {
    let mut net = Net::pair();
    net.signal = false;
    net.exchange_credentials();
    net.a.agent.end_of_remote_candidates(net.now);
    assert!(net.run_until(Duration::from_millis(1), |n| {
        n.a.agent.state() == IceConnectionState::Failed
    }));
}

#[test]
fn fails_after_trickle_timeout_without_end_of_candidates() {
    let mut net = Net::pair();
    net.signal = false;
    net.exchange_credentials();
    assert!(!net.run_until(Duration::from_secs(29), |n| {
        n.a.agent.state() == IceConnectionState::Failed
    }));
    assert!(net.run_until(Duration::from_secs(2), |n| {
        n.a.agent.state() == IceConnectionState::Failed
    }));
    // Restart brings a failed agent back to New.
    net.a.agent.restart(net.now, &mut net.a.rng);
    assert_eq!(net.a.agent.state(), IceConnectionState::New);
}

#[test]
fn close_sends_nothing() {
    let mut net = Net::pair();
    net.exchange_credentials();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    net.a.agent.close(net.now);
    assert_eq!(net.a.agent.state(), IceConnectionState::Closed);
    assert_eq!(net.a.agent.poll_timeout(), None);
    assert_eq!(net.a.agent.selected_pair(), None);
    let mut buf = [0; 1500];
    assert!(net.a.agent.poll_transmit(net.now, &mut buf).is_none());
    let before = net.a.agent.stats();
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.a.agent.stats().checks_sent, before.checks_sent);
    assert_eq!(net.a.agent.stats().responses_sent, before.responses_sent);
    assert!(net.a.agent.stats().stun_dropped_state > 0);
    assert_eq!(
        net.a
            .agent
            .add_remote_candidate(net.now, Candidate::host(addr(B_ADDR))),
        Err(CandidateError::Closed)
    );
}

#[test]
fn switches_to_a_better_pair() {
    let mut net = Net::pair();
    net.signal = false;
    net.exchange_credentials();
    let now = net.now;
    net.a
        .agent
        .add_remote_candidate(now, Candidate::host(addr(B_ADDR)))
        .unwrap();
    net.b
        .agent
        .add_remote_candidate(now, Candidate::host(addr(A_ADDR)))
        .unwrap();
    assert!(net.run_until(Duration::from_secs(5), Net::both_connected));
    assert!(net.a.agent.selected_pair().unwrap().0.is_ipv4());
    // IPv6 comes up on both sides later and trickles: its pair ranks higher.
    let (a6, b6) = (addr("[2001:db8::1]:5000"), addr("[2001:db8::2]:6000"));
    let now = net.now;
    net.a.agent.add_host_address(now, a6).unwrap();
    net.a.addrs.push(a6);
    net.b.agent.add_host_address(now, b6).unwrap();
    net.b.addrs.push(b6);
    net.a
        .agent
        .add_remote_candidate(now, Candidate::host(b6))
        .unwrap();
    net.b
        .agent
        .add_remote_candidate(now, Candidate::host(a6))
        .unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.a.agent.selected_pair() == Some((a6, b6)) && n.b.agent.selected_pair() == Some((b6, a6))
    }));
    let switches = |p: &super::harness::Peer| {
        p.events
            .iter()
            .filter(|e| matches!(e, IceEvent::SelectedPairChanged { .. }))
            .count()
    };
    net.drain();
    assert_eq!(switches(&net.a), 2);
    assert_eq!(switches(&net.b), 2);
    assert!(net.both_connected());
}

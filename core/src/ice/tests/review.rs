//! Regression tests for defects found in review: bounded events, 420 answers, interop details.

use std::net::SocketAddr;

use super::{A_ADDR, B_ADDR, addr, lone_agent};
use crate::Receive;
use crate::ice::event::EVENT_LIMIT;
use crate::ice::{Credentials, IceConfig, IceEvent, Role};
use crate::stun::{AttributeType, Class, Message, MessageBuilder, Method, TransactionId};

/// An authenticated check to the agent with `target` credentials, claiming `controlling` with
/// tie-breaker `tie`, plus any `extra` attributes before MESSAGE-INTEGRITY.
fn check(
    target: &Credentials,
    tid: TransactionId,
    controlling: bool,
    tie: u64,
    extra: &[(AttributeType, &[u8])],
    buf: &mut [u8],
) -> usize {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add_username(format!("{}:peer", target.ufrag).as_bytes())
        .unwrap();
    b.add_priority(1_862_270_975).unwrap();
    if controlling {
        b.add_ice_controlling(tie).unwrap();
    } else {
        b.add_ice_controlled(tie).unwrap();
    }
    for (kind, value) in extra {
        b.add_raw(*kind, value).unwrap();
    }
    b.add_message_integrity(target.pwd.as_bytes()).unwrap();
    b.finish_with_fingerprint().unwrap()
}

fn tid(i: u32) -> TransactionId {
    let mut bytes = [0; 12];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    TransactionId::new(bytes)
}

/// A peer that flips the agent's role back and forth (RFC 8445 section 7.3.1.1) while the
/// application never drains events must not make the event queue grow without bound.
#[test]
fn undrained_events_are_bounded() {
    let (mut agent, mut rng, now) = lone_agent(IceConfig::default(), Role::Controlling, 21);
    let creds = agent.local_credentials().clone();
    let src: SocketAddr = addr(B_ADDR);
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 1500];
    for i in 0..2_000u32 {
        // Controlling with the largest tie-breaker: we yield and become controlled. Then
        // controlled with the smallest: we take the controlling role back.
        let (controlling, tie) = if i % 2 == 0 {
            (true, u64::MAX)
        } else {
            (false, 0)
        };
        let len = check(&creds, tid(i), controlling, tie, &[], &mut buf);
        let rx = Receive::udp(src, addr(A_ADDR), &mut buf[..len]);
        assert!(agent.handle_stun(now, &rx, &mut rng));
        while agent.poll_transmit(now, &mut out).is_some() {}
    }
    assert_eq!(agent.stats().role_conflicts, 2_000);
    assert!(agent.events.len() <= EVENT_LIMIT, "{}", agent.events.len());
    let events: Vec<_> = std::iter::from_fn(|| agent.poll_event()).collect();
    // Nothing that matters is lost: the host candidate and the latest role are still there.
    assert!(matches!(events.first(), Some(IceEvent::LocalCandidate(_))));
    let last_role = events.iter().rev().find_map(|e| match e {
        IceEvent::RoleChanged(r) => Some(*r),
        _ => None,
    });
    assert_eq!(last_role, Some(agent.role()));
}

/// RFC 8489 section 6.3.1: an authenticated check with an unknown comprehension-required
/// attribute is answered with a 420 listing it (with MESSAGE-INTEGRITY and FINGERPRINT), and
/// changes nothing else. Comprehension-optional attributes Chrome sends (GOOG-NETWORK-INFO,
/// 0xC057) are ignored and the check is answered normally.
#[test]
fn unknown_comprehension_required_gets_420() {
    let (mut agent, mut rng, now) = lone_agent(IceConfig::default(), Role::Controlled, 22);
    let creds = agent.local_credentials().clone();
    let src = addr(B_ADDR);
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 1500];
    let extra: &[(AttributeType, &[u8])] = &[(AttributeType(0x7001), b"x")];
    let len = check(&creds, tid(1), true, 7, extra, &mut buf);
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    let t = agent.poll_transmit(now, &mut out).expect("a 420 answer");
    assert_eq!((t.source, t.destination), (addr(A_ADDR), src));
    let msg = Message::new_checked(&out[..t.len]).unwrap();
    assert_eq!(msg.class(), Class::Error);
    assert_eq!(msg.transaction_id(), tid(1));
    assert_eq!(msg.error_code().map(|e| e.code), Some(420));
    let listed: Vec<_> = msg.unknown_attributes().collect();
    assert_eq!(listed, [AttributeType(0x7001)]);
    msg.check_integrity(creds.pwd.as_bytes()).unwrap();
    msg.check_fingerprint().unwrap();
    assert!(agent.poll_transmit(now, &mut out).is_none());
    assert_eq!(agent.remote_candidate_count(), 0, "no state change");
    assert_eq!(agent.stats().error_responses_sent, 1);

    // Unauthenticated: still silence.
    let wrong = Credentials::new(creds.ufrag.clone(), "x".repeat(24));
    let len = check(&wrong, tid(2), true, 7, extra, &mut buf);
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    assert!(agent.poll_transmit(now, &mut out).is_none());

    // Comprehension-optional attributes are ignored.
    let goog: &[(AttributeType, &[u8])] = &[(AttributeType(0xC057), &[0, 1, 0, 10])];
    let len = check(&creds, tid(3), true, 7, goog, &mut buf);
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    let t = agent.poll_transmit(now, &mut out).unwrap();
    let msg = Message::new_checked(&out[..t.len]).unwrap();
    assert_eq!(msg.class(), Class::Success);
    assert_eq!(msg.xor_mapped_address(), Some(src));
}

/// A nominating check (USE-CANDIDATE) from a controlling peer with candidate priority
/// `priority`.
fn nominating_check(
    target: &Credentials,
    tid: TransactionId,
    priority: u32,
    buf: &mut [u8],
) -> usize {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add_username(format!("{}:peer", target.ufrag).as_bytes())
        .unwrap();
    b.add_priority(priority).unwrap();
    b.add_ice_controlling(7).unwrap();
    b.add_use_candidate().unwrap();
    b.add_message_integrity(target.pwd.as_bytes()).unwrap();
    b.finish_with_fingerprint().unwrap()
}

/// Runs the agent's timers at `now` and drains its output; checks sent to an address in
/// `answering` get a success response from there, signed with `remote_pwd`.
fn drive(
    agent: &mut crate::ice::Agent,
    rng: &mut rand_chacha::ChaCha20Rng,
    now: std::time::Instant,
    remote_pwd: &str,
    answering: &[SocketAddr],
) {
    agent.handle_timeout(now, rng);
    let mut out = [0u8; 1500];
    let mut answers = Vec::new();
    while let Some(t) = agent.poll_transmit(now, &mut out) {
        let msg = Message::new_checked(&out[..t.len]).unwrap();
        if msg.class() == Class::Request && answering.contains(&t.destination) {
            answers.push((msg.transaction_id(), t.source, t.destination));
        }
    }
    for (tid, local, remote) in answers {
        let mut buf = [0u8; 1500];
        let mut b = MessageBuilder::new(&mut buf, Class::Success, Method::BINDING, tid).unwrap();
        b.add_xor_mapped_address(local).unwrap();
        b.add_message_integrity(remote_pwd.as_bytes()).unwrap();
        let len = b.finish_with_fingerprint().unwrap();
        let rx = Receive::udp(remote, local, &mut buf[..len]);
        assert!(agent.handle_stun(now, &rx, rng));
        while agent.poll_transmit(now, &mut out).is_some() {}
    }
}

/// A controlling peer (Chrome, say) that loses its selected path nominates another one, of
/// lower priority. The controlled agent, whose own selected pair has stopped answering
/// consent checks (Disconnected), must follow; refusing it kept the dead pair until consent
/// expired and the session failed while the peer was happily using the new pair.
#[test]
fn controlled_follows_nomination_away_from_a_disconnected_pair() {
    use std::time::Duration;

    use crate::ice::IceConnectionState;

    let config = IceConfig::default()
        .consent_interval(Duration::from_secs(1))
        .disconnected_timeout(Duration::from_secs(2));
    let (mut agent, mut rng, start) = lone_agent(config, Role::Controlled, 23);
    let local = agent.local_credentials().clone();
    let remote = Credentials::new("peer", "r".repeat(24));
    agent.set_remote_credentials(start, remote.clone());
    let (b1, b2): (SocketAddr, SocketAddr) = (addr(B_ADDR), addr("10.0.0.3:7000"));
    let ms = |n: u64| start + Duration::from_millis(n);
    let mut buf = [0u8; 1500];

    // The peer nominates b1; our triggered check on it succeeds: b1 is selected.
    let len = nominating_check(&local, tid(1), 2_000_000_000, &mut buf);
    assert!(agent.handle_stun(
        start,
        &Receive::udp(b1, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    for t in 0..20 {
        drive(&mut agent, &mut rng, ms(t * 50), &remote.pwd, &[b1]);
    }
    assert_eq!(agent.selected_pair(), Some((addr(A_ADDR), b1)));

    // b1 goes dark: consent checks go unanswered until the agent reports Disconnected.
    let mut t = 1_000;
    while agent.state() != IceConnectionState::Disconnected {
        t += 100;
        assert!(t < 10_000, "never disconnected");
        drive(&mut agent, &mut rng, ms(t), &remote.pwd, &[]);
    }

    // The peer nominates b2, a lower-priority (peer-reflexive) path that works.
    let len = nominating_check(&local, tid(2), 1_000, &mut buf);
    assert!(agent.handle_stun(
        ms(t),
        &Receive::udp(b2, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    for k in 0..20 {
        drive(&mut agent, &mut rng, ms(t + k * 50), &remote.pwd, &[b2]);
    }
    assert_eq!(agent.selected_pair(), Some((addr(A_ADDR), b2)));
    assert_eq!(agent.state(), IceConnectionState::Connected);
}

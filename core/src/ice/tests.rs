//! Unit tests of the ICE agent: formulas, SDP, limits and hostile input here; whole sessions
//! between two agents over an in-memory link in virtual time in `sessions.rs` (loop in
//! `harness.rs`); the state-machine property test in `props.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::candidate::local_preference;
use super::pair::pair_priority;
use super::*;
use crate::Receive;
use crate::stun::{Class, MessageBuilder, Method, TransactionId};

mod harness;
mod props;
mod relay;
mod review;
mod sessions;

/// The one epoch of a test run; after it time only moves by adding durations.
use crate::test_support::epoch;

// ---- formulas ----

#[test]
fn priority_formula() {
    // RFC 8445 section 5.1.2.1 with the maximum local preference: the classic values.
    let p = |kind, lp, comp| Candidate::compute_priority(kind, lp, comp);
    assert_eq!(p(CandidateKind::Host, 65535, 1), 2_130_706_431);
    assert_eq!(p(CandidateKind::Host, 65535, 2), 2_130_706_430);
    assert_eq!(p(CandidateKind::PeerReflexive, 65535, 1), 1_862_270_975);
    assert_eq!(p(CandidateKind::ServerReflexive, 65535, 1), 1_694_498_815);
    assert_eq!(p(CandidateKind::Relayed, 65535, 1), 16_777_215);
    assert_eq!(p(CandidateKind::Relayed, 0, 256), 0);
}

#[test]
fn local_preference_favours_ipv6() {
    let v4: SocketAddr = "192.0.2.1:1".parse().unwrap();
    let v6: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
    assert_eq!(local_preference(&v6, 0), 0xFFFF);
    assert_eq!(local_preference(&v4, 0), 0xFEFF);
    assert_eq!(local_preference(&v4, 1), 0xFEFE);
    assert!(Candidate::host(v6).priority() > Candidate::host(v4).priority());
    // Any host outranks any peer-reflexive, which outranks any server-reflexive.
    let prflx = Candidate::compute_priority(CandidateKind::PeerReflexive, 0xFFFF, 1);
    assert!(Candidate::host(v4).priority() > prflx);
}

#[test]
fn pair_priority_formula() {
    // RFC 8445 section 6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0).
    assert_eq!(pair_priority(1, 1), (1 << 32) + 2);
    assert_eq!(pair_priority(2, 1), (1 << 32) + 4 + 1);
    assert_eq!(pair_priority(1, 2), (1 << 32) + 4);
    assert_eq!(pair_priority(0, 0), 0);
    let max = u32::MAX;
    // Out-of-range PRIORITY values from a peer saturate instead of overflowing.
    assert_eq!(pair_priority(max, max), u64::MAX);
    // The same pair seen from both sides has the same priority.
    assert_eq!(
        pair_priority(2_130_706_431, 1_694_498_815),
        7_277_816_997_797_167_103
    );
    assert!(pair_priority(10, 5) > pair_priority(5, 10));
}

// ---- SDP ----

#[test]
fn parse_candidate() {
    let s = "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr \
             192.168.1.5 rport 61665 generation 0 ufrag EsAw network-cost 999";
    let c: Candidate = s.parse().unwrap();
    assert_eq!(c.foundation(), "842163049");
    assert_eq!(c.component(), 1);
    assert_eq!(c.transport(), crate::Transport::Udp);
    assert_eq!(c.priority(), 1_677_729_535);
    assert_eq!(c.addr(), "203.0.113.7:61665".parse().unwrap());
    assert_eq!(c.kind(), CandidateKind::ServerReflexive);
    assert_eq!(
        c.related_address(),
        Some("192.168.1.5:61665".parse().unwrap())
    );

    let v6: Candidate = "a=candidate:1 1 UDP 2122262783 2001:db8::1 5000 typ host"
        .parse()
        .unwrap();
    assert_eq!(v6.addr(), "[2001:db8::1]:5000".parse().unwrap());
    let prefixless: Candidate = "1 1 udp 1 192.0.2.1 9 typ relay".parse().unwrap();
    assert_eq!(prefixless.kind(), CandidateKind::Relayed);
    let tcp: Candidate = "candidate:2 1 TCP 1 192.0.2.1 9 typ host tcptype active"
        .parse()
        .unwrap();
    assert_eq!(tcp.transport(), crate::Transport::Tcp);
}

#[test]
fn emit_candidate() {
    let host = Candidate::host("192.0.2.1:5000".parse().unwrap());
    let s = host.to_string();
    assert!(s.starts_with("candidate:"), "{s}");
    assert!(
        s.ends_with(" 1 udp 2130640895 192.0.2.1 5000 typ host"),
        "{s}"
    );
    let srflx: Candidate =
        "candidate:7 1 udp 100 198.51.100.1 40000 typ srflx raddr 10.0.0.1 rport 5000"
            .parse()
            .unwrap();
    assert_eq!(
        srflx.to_string(),
        "candidate:7 1 udp 100 198.51.100.1 40000 typ srflx raddr 10.0.0.1 rport 5000"
    );
}

#[test]
fn parse_candidate_errors() {
    use CandidateError::*;
    let cases: &[(&str, CandidateError)] = &[
        ("", Malformed("foundation")),
        ("candidate:", Malformed("foundation")),
        (
            "candidate:a-b 1 udp 1 192.0.2.1 9 typ host",
            Malformed("foundation"),
        ),
        (
            "candidate:1 0 udp 1 192.0.2.1 9 typ host",
            Malformed("component-id"),
        ),
        (
            "candidate:1 x udp 1 192.0.2.1 9 typ host",
            Malformed("component-id"),
        ),
        (
            "candidate:1 1 sctp 1 192.0.2.1 9 typ host",
            UnsupportedTransport,
        ),
        (
            "candidate:1 1 udp -1 192.0.2.1 9 typ host",
            Malformed("priority"),
        ),
        (
            "candidate:1 1 udp 4294967296 192.0.2.1 9 typ host",
            Malformed("priority"),
        ),
        ("candidate:1 1 udp 1 abc.local 9 typ host", BadAddress),
        (
            "candidate:1 1 udp 1 192.0.2.1 65536 typ host",
            Malformed("port"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 type host",
            Malformed("typ"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 typ",
            Malformed("cand-type"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 typ best",
            Malformed("cand-type"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr",
            Malformed("extension"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr 10.0.0.1",
            Malformed("raddr"),
        ),
        (
            "candidate:1 1 udp 1 192.0.2.1 9 typ srflx rport 1 x y",
            Malformed("raddr"),
        ),
    ];
    for (s, err) in cases {
        assert_eq!(s.parse::<Candidate>().unwrap_err(), *err, "{s:?}");
    }
    let long = format!("candidate:{} 1 udp 1 192.0.2.1 9 typ host", "a".repeat(33));
    assert_eq!(
        long.parse::<Candidate>().unwrap_err(),
        Malformed("foundation")
    );
}

fn arb_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parse_candidate_arbitrary_never_panics(s in ".{0,120}") {
        let _ = s.parse::<Candidate>();
        let _ = format!("candidate:{s}").parse::<Candidate>();
    }

    #[test]
    fn parse_candidate_tokens_never_panics(
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("candidate:1".to_owned()), Just("1".to_owned()), Just("udp".to_owned()),
                Just("typ".to_owned()), Just("host".to_owned()), Just("raddr".to_owned()),
                Just("rport".to_owned()), Just("192.0.2.1".to_owned()), Just("::1".to_owned()),
                "[0-9]{1,12}", "[a-z+/]{1,40}",
            ],
            0..14,
        )
    ) {
        let _ = tokens.join(" ").parse::<Candidate>();
    }

    #[test]
    fn candidate_roundtrip(
        foundation in "[a-zA-Z0-9+/]{1,32}",
        component in 1u16..=256,
        priority in any::<u32>(),
        ip in arb_ip(),
        port in any::<u16>(),
        kind in 0u8..4,
        related in proptest::option::of((arb_ip(), any::<u16>())),
    ) {
        let kind = ["host", "srflx", "prflx", "relay"][usize::from(kind)];
        let mut s = format!("candidate:{foundation} {component} udp {priority} {ip} {port} typ {kind}");
        if let Some((rip, rport)) = related {
            s.push_str(&format!(" raddr {rip} rport {rport}"));
        }
        let c: Candidate = s.parse().unwrap();
        prop_assert_eq!(c.to_string(), s.clone());
        let again: Candidate = c.to_string().parse().unwrap();
        prop_assert_eq!(again, c);
    }
}
// ---- addresses of the test networks ----

const A_ADDR: &str = "10.0.0.1:5000";
const B_ADDR: &str = "10.0.0.2:6000";
const STUN_ADDR: &str = "192.0.2.100:3478";
const NAT_ADDR: &str = "203.0.113.1:40000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

// ---- limits and hostile input ----

fn check_from(
    target: &Credentials,
    ufrag: &str,
    tid: TransactionId,
    controlling: bool,
    use_candidate: bool,
    buf: &mut [u8],
) -> usize {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add_username(format!("{}:{ufrag}", target.ufrag).as_bytes())
        .unwrap();
    b.add_priority(1_862_270_975).unwrap();
    if controlling {
        b.add_ice_controlling(7).unwrap();
        if use_candidate {
            b.add_use_candidate().unwrap();
        }
    } else {
        b.add_ice_controlled(7).unwrap();
    }
    b.add_message_integrity(target.pwd.as_bytes()).unwrap();
    b.finish_with_fingerprint().unwrap()
}

fn lone_agent(config: IceConfig, role: Role, seed: u64) -> (Agent, ChaCha20Rng, Instant) {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut agent = Agent::new(config, role, now, &mut rng);
    agent.add_host_address(now, addr(A_ADDR)).unwrap();
    (agent, rng, now)
}

#[test]
fn remote_candidate_limit() {
    let config = IceConfig::default().max_remote_candidates(5).max_pairs(3);
    let (mut agent, _, now) = lone_agent(config, Role::Controlling, 3);
    for port in 1..=5 {
        let c = Candidate::host(SocketAddr::new("10.9.0.1".parse().unwrap(), port));
        agent.add_remote_candidate(now, c).unwrap();
    }
    // Same address again: accepted, no new candidate.
    let dup = Candidate::host(SocketAddr::new("10.9.0.1".parse().unwrap(), 1));
    assert_eq!(agent.add_remote_candidate(now, dup), Ok(()));
    let extra = Candidate::host(SocketAddr::new("10.9.0.1".parse().unwrap(), 6));
    assert_eq!(
        agent.add_remote_candidate(now, extra),
        Err(CandidateError::TooManyCandidates)
    );
    assert_eq!(agent.remote_candidate_count(), 5);
    assert_eq!(agent.pair_count(), 3);
    assert_eq!(agent.stats().pairs_dropped, 2);
    // Other refusals.
    let zero = Candidate::host("10.9.0.1:0".parse().unwrap());
    assert_eq!(
        agent.add_remote_candidate(now, zero),
        Err(CandidateError::BadAddress)
    );
    let tcp: Candidate = "candidate:1 1 tcp 1 10.9.0.2 9 typ host".parse().unwrap();
    assert_eq!(
        agent.add_remote_candidate(now, tcp),
        Err(CandidateError::UnsupportedTransport)
    );
    let rtcp: Candidate = "candidate:1 2 udp 1 10.9.0.2 9 typ host".parse().unwrap();
    assert_eq!(
        agent.add_remote_candidate(now, rtcp),
        Err(CandidateError::UnsupportedComponent)
    );
    agent.end_of_remote_candidates(now);
    let late = Candidate::host("10.9.0.3:1".parse().unwrap());
    assert_eq!(
        agent.add_remote_candidate(now, late),
        Err(CandidateError::AfterEndOfCandidates)
    );
    assert_eq!(
        agent.add_host_address(now, "0.0.0.0:1".parse().unwrap()),
        Err(CandidateError::BadAddress)
    );
}

#[test]
fn peer_reflexive_flood_is_bounded() {
    let config = IceConfig::default().max_remote_candidates(10).max_pairs(8);
    let (mut agent, mut rng, now) = lone_agent(config, Role::Controlled, 4);
    let creds = agent.local_credentials().clone();
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 1500];
    let mut answered = 0;
    for i in 0..200u16 {
        let tid = TransactionId::new([i as u8; 12]);
        let len = check_from(&creds, "peer", tid, true, false, &mut buf);
        let src = SocketAddr::new("198.51.100.7".parse().unwrap(), 10_000 + i);
        let rx = Receive::udp(src, addr(A_ADDR), &mut buf[..len]);
        assert!(agent.handle_stun(now, &rx, &mut rng));
        while agent.poll_transmit(now, &mut out).is_some() {
            answered += 1;
        }
    }
    assert_eq!(agent.remote_candidate_count(), 10);
    assert!(agent.pair_count() <= 8);
    assert_eq!(agent.stats().remote_peer_reflexive, 10);
    assert_eq!(answered, 10);
    assert_eq!(agent.stats().stun_dropped_limit, 190);
    assert_eq!(agent.stats().stun_received, 200);
}

#[test]
fn unauthenticated_requests_are_dropped() {
    let (mut agent, mut rng, now) = lone_agent(IceConfig::default(), Role::Controlled, 5);
    let creds = agent.local_credentials().clone();
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 1500];
    let src = addr(B_ADDR);
    // Wrong password.
    let wrong = Credentials::new(creds.ufrag.clone(), "x".repeat(24));
    let len = check_from(
        &wrong,
        "peer",
        TransactionId::new([1; 12]),
        true,
        false,
        &mut buf,
    );
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    // Wrong ufrag.
    let other = Credentials::new("nope", creds.pwd.clone());
    let len = check_from(
        &other,
        "peer",
        TransactionId::new([2; 12]),
        true,
        false,
        &mut buf,
    );
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    // Broken fingerprint.
    let len = check_from(
        &creds,
        "peer",
        TransactionId::new([3; 12]),
        true,
        false,
        &mut buf,
    );
    buf[len - 1] ^= 1;
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    // Not STUN at all.
    let mut rtp = [0x80u8; 40];
    assert!(!agent.handle_stun(now, &Receive::udp(src, addr(A_ADDR), &mut rtp), &mut rng));
    assert!(agent.poll_transmit(now, &mut out).is_none());
    let s = agent.stats();
    assert_eq!(s.stun_unauthenticated, 2);
    assert_eq!(s.stun_malformed, 1);
    assert_eq!(agent.remote_candidate_count(), 0);
    assert_eq!(agent.state(), IceConnectionState::New);
    // A good one is answered, from the host it arrived on, with the source as mapped address.
    let len = check_from(
        &creds,
        "peer",
        TransactionId::new([4; 12]),
        true,
        false,
        &mut buf,
    );
    assert!(agent.handle_stun(
        now,
        &Receive::udp(src, addr(A_ADDR), &mut buf[..len]),
        &mut rng
    ));
    let t = agent.poll_transmit(now, &mut out).unwrap();
    assert_eq!((t.source, t.destination), (addr(A_ADDR), src));
    let msg = crate::stun::Message::new_checked(&out[..t.len]).unwrap();
    assert_eq!(msg.class(), Class::Success);
    assert_eq!(msg.xor_mapped_address(), Some(src));
    msg.check_integrity(creds.pwd.as_bytes()).unwrap();
    msg.check_fingerprint().unwrap();
    assert_eq!(agent.state(), IceConnectionState::Checking);
}

#[test]
fn time_going_backwards_is_clamped() {
    let (mut agent, mut rng, now) = lone_agent(IceConfig::default(), Role::Controlling, 6);
    agent.set_remote_credentials(
        now + Duration::from_secs(10),
        Credentials::new("abcd", "p".repeat(22)),
    );
    agent
        .add_remote_candidate(now, Candidate::host(addr(B_ADDR)))
        .unwrap();
    assert!(agent.poll_timeout().unwrap() >= now + Duration::from_secs(10));
    agent.handle_timeout(now, &mut rng);
    let mut buf = [0u8; 1500];
    assert!(agent.poll_transmit(now, &mut buf).is_some());
    assert!(agent.poll_timeout().unwrap() >= now + Duration::from_secs(10));
}

#[test]
fn local_candidates_and_credentials() {
    let (mut agent, _, now) = lone_agent(IceConfig::default(), Role::Controlling, 7);
    let creds = agent.local_credentials().clone();
    assert_eq!(creds.ufrag.len(), 8);
    assert_eq!(creds.pwd.len(), 24);
    agent
        .add_host_address(now, addr("[2001:db8::1]:5000"))
        .unwrap();
    agent.add_host_address(now, addr(A_ADDR)).unwrap(); // duplicate: ignored
    let hosts: Vec<_> = agent.local_candidates().collect();
    assert_eq!(hosts.len(), 2);
    assert!(hosts[1].priority() > hosts[0].priority());
    assert_ne!(hosts[0].foundation(), hosts[1].foundation());
    let events: Vec<_> = std::iter::from_fn(|| agent.poll_event()).collect();
    assert_eq!(events.len(), 2);
    // Gathering with no servers completes at the next timeout.
    assert_eq!(agent.poll_timeout(), Some(now));
    let lite = IceConfig::default().lite(true);
    let (mut lite, _, now) = lone_agent(lite, Role::Controlling, 8);
    assert_eq!(lite.role(), Role::Controlled);
    assert_eq!(
        lite.add_stun_server(now, addr(STUN_ADDR)),
        Err(CandidateError::Lite)
    );
}

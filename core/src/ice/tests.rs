//! Unit tests of the ICE agent: formulas, SDP, and whole sessions between two agents over an
//! in-memory link in virtual time.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::candidate::local_preference;
use super::pair::pair_priority;
use super::*;
use crate::Receive;
use crate::stun::{Class, MessageBuilder, Method, Responder, ResponderConfig, TransactionId};

/// The one epoch of a test run; after it time only moves by adding durations.
#[allow(
    clippy::disallowed_methods,
    reason = "a test needs one epoch to count virtual time from"
)]
fn epoch() -> Instant {
    Instant::now()
}

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

// ---- the in-memory two-agent loop ----

const A_ADDR: &str = "10.0.0.1:5000";
const B_ADDR: &str = "10.0.0.2:6000";
const STUN_ADDR: &str = "192.0.2.100:3478";
const NAT_ADDR: &str = "203.0.113.1:40000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

struct Peer {
    agent: Agent,
    rng: ChaCha20Rng,
    addrs: Vec<SocketAddr>,
    events: Vec<IceEvent>,
    /// Datagrams this peer sends are dropped.
    mute: bool,
    /// Datagrams to this peer are dropped.
    deaf: bool,
}

impl Peer {
    fn new(config: IceConfig, role: Role, addr: SocketAddr, now: Instant, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut agent = Agent::new(config, role, now, &mut rng);
        agent.add_host_address(now, addr).unwrap();
        Self {
            agent,
            rng,
            addrs: vec![addr],
            events: Vec::new(),
            mute: false,
            deaf: false,
        }
    }

    fn states(&self) -> Vec<IceConnectionState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                IceEvent::StateChanged(s) => Some(*s),
                _ => None,
            })
            .collect()
    }
}

struct Datagram {
    at: Instant,
    src: SocketAddr,
    dst: SocketAddr,
    bytes: Vec<u8>,
}

/// Two agents, a FIFO link with fixed latency between them, virtual time that jumps to the
/// next deadline, and optional signalling of candidates through the events.
struct Net {
    start: Instant,
    now: Instant,
    a: Peer,
    b: Peer,
    latency: Duration,
    queue: VecDeque<Datagram>,
    /// Pass local candidates and end-of-candidates to the other agent as they appear.
    signal: bool,
    server: Option<Responder>,
    /// Full-cone NAT in front of `a`: its datagrams leave from `NAT_ADDR`.
    nat_a: bool,
    sent: usize,
}

impl Net {
    fn new(ca: IceConfig, ra: Role, cb: IceConfig, rb: Role) -> Self {
        let start = epoch();
        let a = Peer::new(ca, ra, addr(A_ADDR), start, 1);
        let b = Peer::new(cb, rb, addr(B_ADDR), start, 2);
        Self {
            start,
            now: start,
            a,
            b,
            latency: Duration::from_millis(10),
            queue: VecDeque::new(),
            signal: true,
            server: None,
            nat_a: false,
            sent: 0,
        }
    }

    fn pair() -> Self {
        Self::new(
            IceConfig::default(),
            Role::Controlling,
            IceConfig::default(),
            Role::Controlled,
        )
    }

    fn exchange_credentials(&mut self) {
        let ca = self.a.agent.local_credentials().clone();
        let cb = self.b.agent.local_credentials().clone();
        self.a.agent.set_remote_credentials(self.now, cb);
        self.b.agent.set_remote_credentials(self.now, ca);
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Drains both agents; returns whether anything happened.
    fn drain(&mut self) -> bool {
        let mut busy = false;
        let mut buf = [0u8; 1500];
        for which in 0..2 {
            let (me, other) = if which == 0 {
                (&mut self.a, &mut self.b)
            } else {
                (&mut self.b, &mut self.a)
            };
            while let Some(t) = me.agent.poll_transmit(self.now, &mut buf) {
                busy = true;
                self.sent += 1;
                if me.mute {
                    continue;
                }
                let src = if which == 0 && self.nat_a {
                    addr(NAT_ADDR)
                } else {
                    t.source
                };
                assert!(me.addrs.contains(&t.source), "{t:?}");
                self.queue.push_back(Datagram {
                    at: self.now + self.latency,
                    src,
                    dst: t.destination,
                    bytes: buf[..t.len].to_vec(),
                });
            }
            while let Some(e) = me.agent.poll_event() {
                busy = true;
                if self.signal {
                    match &e {
                        IceEvent::LocalCandidate(c) => {
                            let _ = other.agent.add_remote_candidate(self.now, c.clone());
                        }
                        IceEvent::GatheringComplete => {
                            other.agent.end_of_remote_candidates(self.now)
                        }
                        _ => {}
                    }
                }
                me.events.push(e);
            }
        }
        if let Some(server) = &mut self.server {
            while let Some(t) = server.poll_transmit(self.now, &mut buf) {
                busy = true;
                self.queue.push_back(Datagram {
                    at: self.now + self.latency,
                    src: t.source,
                    dst: t.destination,
                    bytes: buf[..t.len].to_vec(),
                });
            }
        }
        busy
    }

    fn deliver(&mut self) -> bool {
        let mut busy = false;
        while self.queue.front().is_some_and(|d| d.at <= self.now) {
            let Some(mut d) = self.queue.pop_front() else {
                break;
            };
            busy = true;
            let mut dst = d.dst;
            if self.nat_a && dst == addr(NAT_ADDR) {
                dst = addr(A_ADDR);
            }
            let peer = if self.a.addrs.contains(&dst) {
                &mut self.a
            } else if self.b.addrs.contains(&dst) {
                &mut self.b
            } else {
                if let Some(server) = &mut self.server
                    && dst == addr(STUN_ADDR)
                {
                    server.handle_stun(self.now, &Receive::udp(d.src, dst, &mut d.bytes));
                }
                continue;
            };
            if peer.deaf {
                continue;
            }
            let rx = Receive::udp(d.src, dst, &mut d.bytes);
            peer.agent.handle_stun(self.now, &rx, &mut peer.rng);
        }
        busy
    }

    fn next_wakeup(&self) -> Option<Instant> {
        [
            self.a.agent.poll_timeout(),
            self.b.agent.poll_timeout(),
            self.queue.front().map(|d| d.at),
            self.server.as_ref().and_then(Responder::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until `cond` holds or `limit` of virtual time has passed; returns `cond`.
    fn run_until(&mut self, limit: Duration, cond: impl Fn(&Self) -> bool) -> bool {
        let end = self.now + limit;
        let mut spins = 0;
        loop {
            let busy = self.drain() | self.deliver();
            if cond(self) {
                return true;
            }
            if busy {
                continue;
            }
            let Some(next) = self.next_wakeup() else {
                return false;
            };
            if next > end {
                self.now = end;
                return cond(self);
            }
            if next <= self.now {
                spins += 1;
                assert!(spins < 10_000, "busy loop at {:?}", self.elapsed());
            } else {
                spins = 0;
                self.now = next;
            }
            for p in [&mut self.a, &mut self.b] {
                if p.agent.poll_timeout().is_some_and(|t| t <= self.now) {
                    p.agent.handle_timeout(self.now, &mut p.rng);
                }
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    fn both_connected(&self) -> bool {
        let up = |p: &Peer| {
            matches!(
                p.agent.state(),
                IceConnectionState::Connected | IceConnectionState::Completed
            )
        };
        up(&self.a) && up(&self.b)
    }

    fn assert_same_pair(&self) {
        let (al, ar) = self.a.agent.selected_pair().expect("a has a pair");
        let (bl, br) = self.b.agent.selected_pair().expect("b has a pair");
        assert!(self.a.addrs.contains(&al));
        assert!(self.b.addrs.contains(&bl));
        assert_eq!(ar, bl);
        assert_eq!(br, if self.nat_a { addr(NAT_ADDR) } else { al });
    }
}

// ---- sessions ----

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
    // IPv6 only: the IPv4 pairs lose when IPv6 stops working... not in this test; both
    // families are paired within their family only.
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
    assert_eq!(net.a.agent.stats().gather_requests_sent, 5);
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
    // One pair: sent at 0, .25, .75, 1.75, 3.75 s, failing 2 s later.
    assert!(
        net.elapsed() < Duration::from_secs(7),
        "{:?}",
        net.elapsed()
    );
    assert_eq!(net.a.agent.stats().checks_sent, 5);
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
    let before = net.a.agent.stats().clone();
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

// ---- property test of the state machine ----

#[derive(Debug, Clone)]
enum Op {
    /// A valid check, as a second agent would send, from one of a few source ports.
    ValidCheck {
        port: u16,
        controlling: bool,
        use_candidate: bool,
    },
    /// A response-looking message with a random transaction ID.
    Response {
        port: u16,
        error: bool,
    },
    Garbage(Vec<u8>),
    /// A STUN header (right cookie and length) followed by random attribute bytes.
    StunLike(u8, Vec<u8>),
    AddRemote {
        port: u16,
        v6: bool,
    },
    SetRemoteCredentials,
    EndOfCandidates,
    Restart,
    Close,
    Advance(Duration),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u16..300, any::<bool>(), any::<bool>()).prop_map(|(port, controlling, use_candidate)| {
            Op::ValidCheck { port, controlling, use_candidate }
        }),
        1 => (0u16..300, any::<bool>()).prop_map(|(port, error)| Op::Response { port, error }),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Garbage),
        2 => (0u8..4, proptest::collection::vec(any::<u8>(), 0..16).prop_map(|mut v| {
            v.truncate(v.len() / 4 * 4);
            v
        })).prop_map(|(class, v)| Op::StunLike(class, v)),
        2 => (1u16..200, any::<bool>()).prop_map(|(port, v6)| Op::AddRemote { port, v6 }),
        1 => Just(Op::SetRemoteCredentials),
        1 => Just(Op::EndOfCandidates),
        1 => Just(Op::Restart),
        1 => Just(Op::Close),
        4 => (0u64..40_000).prop_map(|ms| Op::Advance(Duration::from_millis(ms))),
    ]
}

fn run_ops(ops: &[Op], lite: bool, seed: u64) -> Result<(), TestCaseError> {
    let config = IceConfig::default()
        .lite(lite)
        .max_remote_candidates(12)
        .max_pairs(10);
    let (mut agent, mut rng, start) = lone_agent(config.clone(), Role::Controlling, seed);
    agent
        .add_host_address(start, addr("[2001:db8::1]:5000"))
        .unwrap();
    let mut now = start;
    let mut closed = false;
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 1500];
    let mut tid_counter = 0u32;
    for op in ops {
        tid_counter += 1;
        let mut tid = [0u8; 12];
        tid[..4].copy_from_slice(&tid_counter.to_be_bytes());
        let tid = TransactionId::new(tid);
        let src = |port: u16| SocketAddr::new("198.51.100.7".parse().unwrap(), 20_000 + port);
        match op {
            Op::ValidCheck {
                port,
                controlling,
                use_candidate,
            } => {
                let creds = agent.local_credentials().clone();
                let len = check_from(&creds, "peer", tid, *controlling, *use_candidate, &mut buf);
                let rx = Receive::udp(src(*port), addr(A_ADDR), &mut buf[..len]);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::Response { port, error } => {
                let class = if *error { Class::Error } else { Class::Success };
                let mut b = MessageBuilder::new(&mut buf, class, Method::BINDING, tid).unwrap();
                b.add_xor_mapped_address(src(*port)).unwrap();
                let len = b.finish_with_fingerprint().unwrap();
                let rx = Receive::udp(src(*port), addr(A_ADDR), &mut buf[..len]);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::Garbage(bytes) => {
                let mut bytes = bytes.clone();
                let rx = Receive::udp(src(1), addr(A_ADDR), &mut bytes);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::StunLike(class, body) => {
                let mut bytes = vec![0u8, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42];
                bytes[0] = (class & 2) >> 1;
                bytes[1] = 1 | ((class & 1) << 4);
                bytes[3] = body.len() as u8;
                bytes.extend_from_slice(tid.as_bytes());
                bytes.extend_from_slice(body);
                let rx = Receive::udp(src(2), addr(A_ADDR), &mut bytes);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::AddRemote { port, v6 } => {
                let ip: IpAddr = if *v6 {
                    "2001:db8::9".parse().unwrap()
                } else {
                    "10.9.0.1".parse().unwrap()
                };
                let _ =
                    agent.add_remote_candidate(now, Candidate::host(SocketAddr::new(ip, *port)));
            }
            Op::SetRemoteCredentials => {
                agent.set_remote_credentials(now, Credentials::new("peer", "q".repeat(22)));
            }
            Op::EndOfCandidates => agent.end_of_remote_candidates(now),
            Op::Restart => agent.restart(now, &mut rng),
            Op::Close => {
                agent.close(now);
                closed = true;
            }
            Op::Advance(d) => {
                now += *d;
                for _ in 0..10_000 {
                    match agent.poll_timeout() {
                        Some(t) if t <= now => agent.handle_timeout(now, &mut rng),
                        _ => break,
                    }
                    while agent.poll_transmit(now, &mut out).is_some() {}
                }
                prop_assert!(agent.poll_timeout().is_none_or(|t| t > now), "timer stuck");
            }
        }
        let mut sent = 0;
        while agent.poll_transmit(now, &mut out).is_some() {
            sent += 1;
            prop_assert!(sent < 1000, "unbounded transmits");
        }
        prop_assert!(!closed || sent == 0, "sent after close");
        while agent.poll_event().is_some() {}
        prop_assert!(agent.remote_candidate_count() <= config.max_remote_candidates);
        prop_assert!(agent.pair_count() <= config.max_pairs);
        prop_assert!(agent.poll_timeout().is_none_or(|t| t >= now));
        prop_assert!(!closed || agent.poll_timeout().is_none());
        prop_assert!(agent.outbox.len() <= agent::OUTBOX_LIMIT);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ice_state_props(ops in proptest::collection::vec(arb_op(), 1..60), seed in any::<u64>()) {
        run_ops(&ops, false, seed)?;
    }

    #[test]
    fn ice_state_props_lite(ops in proptest::collection::vec(arb_op(), 1..40), seed in any::<u64>()) {
        run_ops(&ops, true, seed)?;
    }
}

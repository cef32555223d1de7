//! TURN in the deterministic simulator: the simulator's own TURN server
//! ([`TurnRelay`], `tests/src/sim/turn_server.rs`) against raw requests, ICE agents that can
//! only meet through it (both behind symmetric NATs), relay-only peer connections echoing
//! data-channel messages through it, cleanly and under loss, and the same seed replaying the
//! same run.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sansrtc::datachannel::ChannelConfig;
use sansrtc::ice::{Candidate, CandidateKind, IceConfig, IceConnectionState, IceEvent};
use sansrtc::net::Receive;
use sansrtc::rtc::{ChannelId, Event};
use sansrtc::stun::{AttributeType, Class, Message, MessageBuilder, TransactionId, long_term_key};
use sansrtc::turn::wire::{
    self, ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER, CREATE_PERMISSION, LIFETIME, REFRESH,
    REQUESTED_TRANSPORT, TRANSPORT_UDP, XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS,
};
use sansrtc_tests::ice::{
    IceScenario, NatKind, ScenarioConfig, TURN_CREDENTIALS, TURN_SERVER, is_connected,
};
use sansrtc_tests::rtc::{RtcPair, RtcPeer};
use sansrtc_tests::sim::turn_server::{FIRST_RELAY_PORT, MAX_ALLOCATIONS, MAX_QUEUED};
use sansrtc_tests::sim::{
    HostId, LinkConfig, LinkDirection, Peer, Realm, Sim, TurnRelay, TurnRelayStats, Verdict,
    seed_from_env,
};

// ---- the server alone ----

/// A client of a [`TurnRelay`] driven by hand: writes requests, reads the answers.
struct Client {
    addr: SocketAddr,
    counter: u32,
    buf: Vec<u8>,
}

impl Client {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.parse().unwrap(),
            counter: 0,
            buf: vec![0; 65_535],
        }
    }

    fn tid(&mut self) -> TransactionId {
        self.counter += 1;
        let mut id = [7; 12];
        id[8..].copy_from_slice(&self.counter.to_be_bytes());
        TransactionId::new(id)
    }

    /// A request of `method` with `attrs`, signed with `key` (and USERNAME, REALM, NONCE)
    /// when given.
    fn request(
        &mut self,
        method: sansrtc::stun::Method,
        auth: Option<(&str, &str, &[u8], [u8; 16])>,
        attrs: impl FnOnce(&mut MessageBuilder<'_>),
    ) -> Vec<u8> {
        let tid = self.tid();
        let mut buf = [0u8; 1500];
        let mut b = MessageBuilder::new(&mut buf, Class::Request, method, tid).unwrap();
        attrs(&mut b);
        if let Some((user, realm, nonce, key)) = auth {
            b.add_username(user.as_bytes()).unwrap();
            b.add_raw(AttributeType::REALM, realm.as_bytes()).unwrap();
            b.add_raw(AttributeType::NONCE, nonce).unwrap();
            b.add_message_integrity(&key).unwrap();
        }
        let n = b.finish_with_fingerprint().unwrap();
        buf[..n].to_vec()
    }

    /// Hands `bytes` from this client to the server and returns what the server sends.
    fn exchange(
        &mut self,
        server: &mut TurnRelay,
        now: Instant,
        to: SocketAddr,
        bytes: &[u8],
    ) -> Vec<(SocketAddr, SocketAddr, Vec<u8>)> {
        send(server, now, self.addr, to, bytes);
        drain(server, now, &mut self.buf)
    }
}

fn send(server: &mut TurnRelay, now: Instant, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
    let mut copy = bytes.to_vec();
    server.handle_datagram(now, Receive::udp(from, to, &mut copy));
}

fn drain(
    server: &mut TurnRelay,
    now: Instant,
    buf: &mut [u8],
) -> Vec<(SocketAddr, SocketAddr, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(t) = server.poll_transmit(now, buf) {
        out.push((t.source, t.destination, buf[..t.len].to_vec()));
    }
    out
}

/// The one datagram in `out`, checked to go from `from` to `to`.
fn only(out: &[(SocketAddr, SocketAddr, Vec<u8>)], from: SocketAddr, to: SocketAddr) -> &[u8] {
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].0, out[0].1), (from, to));
    &out[0].2
}

fn error_code(bytes: &[u8]) -> Option<u16> {
    let msg = Message::new_checked(bytes).unwrap();
    assert_eq!(msg.class(), Class::Error);
    msg.error_code().map(|e| e.code)
}

#[test]
fn turn_sim_server_answers_by_the_rfc() {
    let addr: SocketAddr = TURN_SERVER.parse().unwrap();
    let [realm, user, pass] = TURN_CREDENTIALS;
    let mut server = TurnRelay::new(addr, realm, user, pass);
    let key = long_term_key(user, realm, pass);
    let now = Instant::now();
    let mut c = Client::new("198.51.100.7:40000");
    let transport = |b: &mut MessageBuilder<'_>| {
        b.add_raw(REQUESTED_TRANSPORT, &[TRANSPORT_UDP, 0, 0, 0])
            .unwrap();
    };

    // The first Allocate carries no credentials: 401 with REALM and NONCE.
    let req = c.request(ALLOCATE, None, transport);
    let out = c.exchange(&mut server, now, addr, &req);
    let answer = only(&out, addr, c.addr);
    assert_eq!(error_code(answer), Some(401));
    let msg = Message::new_checked(answer).unwrap();
    msg.check_fingerprint().unwrap();
    assert_eq!(msg.realm(), Some(realm.as_bytes()));
    let nonce = msg.nonce().expect("NONCE").to_vec();

    // Wrong password, wrong nonce, wrong user: 401 again, nothing allocated.
    let bad_key = long_term_key(user, realm, "wrong");
    for auth in [
        (user, realm, &nonce[..], bad_key),
        (user, realm, &b"stale"[..], key),
        ("mallory", realm, &nonce[..], key),
    ] {
        let req = c.request(ALLOCATE, Some(auth), transport);
        let out = c.exchange(&mut server, now, addr, &req);
        assert_eq!(error_code(only(&out, addr, c.addr)), Some(401));
    }
    assert_eq!(server.stats.allocations, 0);

    // The right credentials: a relayed address on the server's IP, the client's address as
    // seen, LIFETIME 600, signed then fingerprinted.
    let auth = Some((user, realm, &nonce[..], key));
    let req = c.request(ALLOCATE, auth, transport);
    let out = c.exchange(&mut server, now, addr, &req);
    let answer = only(&out, addr, c.addr).to_vec();
    let msg = Message::new_checked(&answer[..]).unwrap();
    assert_eq!((msg.class(), msg.method()), (Class::Success, ALLOCATE));
    msg.check_integrity(&key).unwrap();
    msg.check_fingerprint().unwrap();
    let relayed = msg.xor_address(XOR_RELAYED_ADDRESS).unwrap();
    assert_eq!(relayed, SocketAddr::new(addr.ip(), FIRST_RELAY_PORT));
    assert_eq!(msg.xor_mapped_address(), Some(c.addr));
    assert_eq!(wire::lifetime(&msg), Some(600));
    // A retransmission gets the same answer; a new Allocate on the same 5-tuple gets 437.
    let out = c.exchange(&mut server, now, addr, &req);
    assert_eq!(only(&out, addr, c.addr), &answer[..]);
    let again = c.request(ALLOCATE, auth, transport);
    let out = c.exchange(&mut server, now, addr, &again);
    assert_eq!(error_code(only(&out, addr, c.addr)), Some(437));
    assert_eq!(server.stats.allocations, 1);

    // Nothing is relayed to or from a peer without a permission.
    let peer: SocketAddr = "192.0.2.50:7000".parse().unwrap();
    let mut buf = [0u8; 256];
    buf[..5].copy_from_slice(b"hello");
    let tid = c.tid();
    let n = wire::write_send_indication(&mut buf, 5, peer, tid).unwrap();
    assert!(c.exchange(&mut server, now, addr, &buf[..n]).is_empty());
    send(&mut server, now, peer, relayed, b"from the peer");
    assert!(drain(&mut server, now, &mut c.buf).is_empty());
    assert_eq!(server.stats.dropped_no_permission, 2);

    // CreatePermission: the Send indication goes out from the relayed address, the peer's
    // answer comes back as a Data indication.
    let permit = c.request(CREATE_PERMISSION, auth, |b| {
        b.add_xor_address(XOR_PEER_ADDRESS, SocketAddr::new(peer.ip(), 0))
            .unwrap();
    });
    let out = c.exchange(&mut server, now, addr, &permit);
    let msg = Message::new_checked(only(&out, addr, c.addr)).unwrap();
    assert_eq!(msg.class(), Class::Success);
    msg.check_integrity(&key).unwrap();
    let out = c.exchange(&mut server, now, addr, &buf[..n]);
    assert_eq!(only(&out, relayed, peer), b"hello");
    send(&mut server, now, peer, relayed, b"from the peer");
    let out = drain(&mut server, now, &mut c.buf);
    let msg = Message::new_checked(only(&out, addr, c.addr)).unwrap();
    let (from, range) = wire::parse_data_indication(&msg).unwrap();
    assert_eq!(from, peer);
    assert_eq!(&msg.as_bytes()[range], b"from the peer");
    // Another port of the permitted IP is let in too (permissions are per IP).
    let other_port = SocketAddr::new(peer.ip(), 7001);
    send(&mut server, now, other_port, relayed, b"x");
    assert_eq!(drain(&mut server, now, &mut c.buf).len(), 1);

    // ChannelBind: ChannelData both ways.
    let bind = c.request(CHANNEL_BIND, auth, |b| {
        b.add_raw(CHANNEL_NUMBER, &[0x40, 0x01, 0, 0]).unwrap();
        b.add_xor_address(XOR_PEER_ADDRESS, peer).unwrap();
    });
    let out = c.exchange(&mut server, now, addr, &bind);
    assert_eq!(
        Message::new_checked(only(&out, addr, c.addr))
            .unwrap()
            .class(),
        Class::Success
    );
    let mut frame = [0u8; 64];
    frame[..4].copy_from_slice(b"ping");
    let n = wire::write_channel_data(&mut frame, 4, 0x4001).unwrap();
    let out = c.exchange(&mut server, now, addr, &frame[..n]);
    assert_eq!(only(&out, relayed, peer), b"ping");
    send(&mut server, now, peer, relayed, b"pong");
    let out = drain(&mut server, now, &mut c.buf);
    let framed = only(&out, addr, c.addr);
    assert_eq!(wire::parse_channel_data(framed), Some((0x4001, 4..8)));
    assert_eq!(&framed[4..], b"pong");
    // The same number for another peer, or another number for the same peer: 400.
    for (number, to) in [(0x4001u16, other_port), (0x4002, peer)] {
        let bind = c.request(CHANNEL_BIND, auth, |b| {
            b.add_raw(CHANNEL_NUMBER, &[(number >> 8) as u8, number as u8, 0, 0])
                .unwrap();
            b.add_xor_address(XOR_PEER_ADDRESS, to).unwrap();
        });
        let out = c.exchange(&mut server, now, addr, &bind);
        assert_eq!(error_code(only(&out, addr, c.addr)), Some(400));
    }
    // An unbound channel is dropped.
    let n = wire::write_channel_data(&mut frame, 4, 0x4abc).unwrap();
    assert!(c.exchange(&mut server, now, addr, &frame[..n]).is_empty());

    let stats = server.stats;
    assert_eq!((stats.relayed_to_peer, stats.relayed_to_client), (2, 3));
    assert_eq!(
        (stats.channel_data_from_client, stats.channel_data_to_client),
        (1, 1)
    );

    // Refresh with LIFETIME 0 deletes the allocation; after that, 437 and nothing relayed.
    let delete = c.request(REFRESH, auth, |b| {
        b.add_raw(LIFETIME, &0u32.to_be_bytes()).unwrap();
    });
    let out = c.exchange(&mut server, now, addr, &delete);
    let msg = Message::new_checked(only(&out, addr, c.addr)).unwrap();
    assert_eq!(
        (msg.class(), wire::lifetime(&msg)),
        (Class::Success, Some(0))
    );
    assert_eq!(server.allocations().count(), 0);
    assert_eq!(server.stats.deallocations, 1);
    let out = c.exchange(&mut server, now, addr, &delete);
    assert_eq!(error_code(only(&out, addr, c.addr)), Some(437));
    send(&mut server, now, peer, relayed, b"late");
    assert!(drain(&mut server, now, &mut c.buf).is_empty());
}

#[test]
fn turn_sim_server_survives_garbage() {
    let addr: SocketAddr = TURN_SERVER.parse().unwrap();
    let [realm, user, pass] = TURN_CREDENTIALS;
    let mut server = TurnRelay::new(addr, realm, user, pass);
    let key = long_term_key(user, realm, pass);
    let mut rng = ChaCha20Rng::seed_from_u64(seed_from_env(0x7a6));
    let mut now = Instant::now();
    let mut out = vec![0u8; 65_535];
    // Valid requests of every kind, as templates to mutate.
    let mut c = Client::new("198.51.100.7:40000");
    let auth = Some((user, realm, &b"sansrtc-sim-nonce"[..], key));
    let peer: SocketAddr = "192.0.2.50:7000".parse().unwrap();
    let templates = [
        c.request(ALLOCATE, auth, |b| {
            b.add_raw(REQUESTED_TRANSPORT, &[TRANSPORT_UDP, 0, 0, 0])
                .unwrap();
        }),
        c.request(CREATE_PERMISSION, auth, |b| {
            b.add_xor_address(XOR_PEER_ADDRESS, peer).unwrap();
        }),
        c.request(CHANNEL_BIND, auth, |b| {
            b.add_raw(CHANNEL_NUMBER, &[0x40, 0x00, 0, 0]).unwrap();
            b.add_xor_address(XOR_PEER_ADDRESS, peer).unwrap();
        }),
        c.request(REFRESH, auth, |b| {
            b.add_raw(LIFETIME, &3600u32.to_be_bytes()).unwrap();
        }),
        b"\x40\x00\x00\x04ping".to_vec(),
    ];
    let mut bytes = Vec::new();
    for i in 0..20_000u32 {
        now += Duration::from_millis(u64::from(rng.next_u32() % 200));
        bytes.clear();
        if i % 3 == 0 {
            let len = (rng.next_u32() % 200) as usize;
            bytes.extend((0..len).map(|_| rng.next_u32() as u8));
        } else {
            let template = rng.next_u32() as usize % templates.len();
            bytes.extend_from_slice(&templates[template]);
            if i % 3 == 1 && !bytes.is_empty() {
                let at = rng.next_u32() as usize % bytes.len();
                bytes[at] ^= 1 << (rng.next_u32() % 8);
            }
        }
        // Many clients (for the allocation limit), some traffic to relayed ports.
        let from = SocketAddr::new(
            IpAddr::from([198, 51, 100, (rng.next_u32() % 200) as u8]),
            40_000 + (rng.next_u32() % 4) as u16,
        );
        let to = if i % 5 == 0 {
            SocketAddr::new(addr.ip(), FIRST_RELAY_PORT + (rng.next_u32() % 80) as u16)
        } else {
            addr
        };
        send(
            &mut server,
            now,
            if i % 5 == 0 { peer } else { from },
            to,
            &bytes,
        );
        if server.poll_timeout().is_some_and(|t| t <= now) {
            server.handle_timeout(now);
        }
        assert!(server.queued() <= MAX_QUEUED);
        assert!(server.allocations().count() <= MAX_ALLOCATIONS);
        // Drain now and then, so the queue limit is reached too.
        if i % 1000 == 999 {
            drain(&mut server, now, &mut out);
        }
    }
    let stats = server.stats;
    assert!(stats.allocations > 0 && stats.dropped > 0, "{stats:?}");
}

// ---- ICE agents behind symmetric NATs ----

fn turn_ip() -> IpAddr {
    TURN_SERVER.parse::<SocketAddr>().unwrap().ip()
}

/// Both agents behind address-and-port-dependent NATs, with the STUN server and the TURN
/// server, over `link`; runs until both are connected.
fn symmetric_session(seed: u64, link: LinkConfig) -> IceScenario {
    let mut config = ScenarioConfig::new(seed)
        .nats(
            NatKind::AddressAndPortDependent,
            NatKind::AddressAndPortDependent,
        )
        .links(link);
    config.use_turn_server = true;
    let mut s = IceScenario::new(config);
    assert!(
        s.run_until_connected(Duration::from_secs(10)),
        "not connected:\n{}{}",
        s.dump(),
        s.replay_hint()
    );
    s
}

/// The kind of the local candidate at `addr` on `host`.
fn local_kind(s: &IceScenario, host: HostId, addr: SocketAddr) -> Option<CandidateKind> {
    s.agent(host)
        .local_candidates()
        .find(|c| c.addr() == addr)
        .map(Candidate::kind)
}

#[test]
fn turn_sim_ice_agents_behind_symmetric_nats_connect_through_the_relay() {
    // Without the relay, no pair works: each NAT maps every destination anew and filters
    // on the exact endpoint (tests/ice/nat.rs covers every combination).
    let seed = seed_from_env(0x7a5);
    let config = ScenarioConfig::new(seed).nats(
        NatKind::AddressAndPortDependent,
        NatKind::AddressAndPortDependent,
    );
    let mut direct = IceScenario::new(config);
    direct.run_until_settled(Duration::from_secs(30));
    assert_eq!(
        direct.state(direct.a),
        IceConnectionState::Failed,
        "{}",
        direct.replay_hint()
    );

    let mut s = symmetric_session(seed, LinkConfig::with_latency(Duration::from_millis(25)));
    let hint = s.replay_hint();
    let connected_at = [s.a, s.b].map(|h| s.time_to(h, IceConnectionState::Connected).unwrap());
    assert!(
        connected_at.iter().all(|t| *t < Duration::from_secs(3)),
        "slow: {connected_at:?}; {hint}"
    );
    // Each agent has a relayed candidate on the server, whose related address is the
    // agent's address as the server saw it (its NAT's mapping).
    for (host, nat) in [(s.a, s.nats[0]), (s.b, s.nats[1])] {
        let relayed: Vec<&Candidate> = s
            .agent(host)
            .local_candidates()
            .filter(|c| c.kind() == CandidateKind::Relayed)
            .collect();
        assert_eq!(relayed.len(), 1, "{relayed:?}");
        assert_eq!(relayed[0].addr().ip(), turn_ip());
        let mapped = relayed[0].related_address().map(|a| a.ip());
        assert_eq!(mapped, nat.map(|n| s.sim.nat_public_ip(n)), "{hint}");
    }
    // At least one side sends from its relayed candidate; the two sides agree on the path.
    let (a_local, a_remote) = s.agent(s.a).selected_pair().unwrap();
    let (b_local, b_remote) = s.agent(s.b).selected_pair().unwrap();
    let kinds = [
        local_kind(&s, s.a, a_local).unwrap(),
        local_kind(&s, s.b, b_local).unwrap(),
    ];
    assert!(kinds.contains(&CandidateKind::Relayed), "{kinds:?}; {hint}");
    for (kind, local, remote_seen_by_peer) in
        [(kinds[0], a_local, b_remote), (kinds[1], b_local, a_remote)]
    {
        if kind == CandidateKind::Relayed {
            assert_eq!(
                local, remote_seen_by_peer,
                "the peer sends to our relayed address"
            );
        }
    }
    let stats = s.turn_server().unwrap().stats;
    assert_eq!(stats.allocations, 2, "{stats:?}");
    assert!(
        stats.relayed_to_peer > 0 && stats.relayed_to_client > 0,
        "{stats:?}"
    );

    // Consent keeps the relayed path alive (checks and answers through the server; the NATs'
    // mappings toward it are refreshed by them), past the NATs' 120 s timeout.
    s.run_for(Duration::from_secs(150));
    assert!(
        is_connected(s.state(s.a)) && is_connected(s.state(s.b)),
        "{}{hint}",
        s.dump()
    );
    assert_eq!(s.agent(s.a).selected_pair(), Some((a_local, a_remote)));
    let later = s.turn_server().unwrap().stats;
    assert!(
        later.relayed_to_client > stats.relayed_to_client + 10,
        "{later:?}"
    );
    assert_eq!(later.dropped_no_permission, stats.dropped_no_permission);
}

// ---- relay-only peer connections ----

/// Two relay-only peer connections and the TURN server, connected, with `a`'s channel open
/// and `b` echoing.
struct RelayPair {
    pair: RtcPair,
    turn: HostId,
    channel: ChannelId,
    /// Each side's relayed candidate.
    relayed: [SocketAddr; 2],
}

impl RelayPair {
    fn relay(&self) -> &TurnRelay {
        self.pair.sim.peer::<TurnRelay>(self.turn)
    }
}

fn gathered(p: &RtcPeer) -> bool {
    p.events
        .iter()
        .any(|e| matches!(e, Event::GatheringComplete))
}

/// Builds the pair on `link` (every host, the server included), gathers, connects by the
/// direct API and opens a channel; `record` turns on the simulator's trace recording.
fn relay_pair(seed: u64, link: LinkConfig, record: bool) -> RelayPair {
    relay_pair_with(seed, link, record, |t| t)
}

/// As [`relay_pair`], with the server adjusted by `server`.
fn relay_pair_with(
    seed: u64,
    link: LinkConfig,
    record: bool,
    server: impl FnOnce(TurnRelay) -> TurnRelay,
) -> RelayPair {
    let addr: SocketAddr = TURN_SERVER.parse().unwrap();
    let [realm, user, pass] = TURN_CREDENTIALS;
    let relay = server(TurnRelay::new(addr, realm, user, pass));
    let client = relay.client_config();
    let mut pair = RtcPair::new_with(seed, link, |_, config| {
        config.ice = IceConfig::default().relay_only(true);
        config.turn_servers = vec![client.clone()];
    });
    let turn = pair
        .sim
        .add_host("turn", &[addr.ip()], Realm::Public, link, relay);
    pair.sim.record_trace(record);
    let (a, b) = (pair.a, pair.b);
    let hint = pair.sim.replay_hint();
    assert!(
        pair.sim.run_until_cond(Duration::from_secs(10), |s| {
            gathered(s.peer::<RtcPeer>(a)) && gathered(s.peer::<RtcPeer>(b))
        }),
        "gathering: {hint}"
    );
    let (pa, pb) = (
        pair.a().rtc.direct_parameters(),
        pair.b().rtc.direct_parameters(),
    );
    let mut relayed = [addr; 2];
    for (i, p) in [&pa, &pb].into_iter().enumerate() {
        assert_eq!(
            p.candidates.len(),
            1,
            "one relayed candidate: {:?}",
            p.candidates
        );
        assert_eq!(p.candidates[0].kind(), CandidateKind::Relayed);
        assert_eq!(p.candidates[0].addr().ip(), addr.ip());
        relayed[i] = p.candidates[0].addr();
    }
    let now = pair.sim.now();
    pair.a().rtc.direct_connect(now, pb, true).unwrap();
    pair.b().rtc.direct_connect(now, pa, false).unwrap();
    let channel = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("relay"))
        .unwrap();
    pair.b().echo_messages = true;
    assert!(pair.connect(Duration::from_secs(20)), "connect: {hint}");
    assert!(
        pair.sim.run_until_cond(Duration::from_secs(10), |s| {
            s.peer::<RtcPeer>(a)
                .open_channel_labelled("relay")
                .is_some()
        }),
        "channel: {hint}"
    );
    RelayPair {
        pair,
        turn,
        channel,
        relayed,
    }
}

fn message(i: usize) -> Vec<u8> {
    let len = 1 + (i * 97) % 1100;
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

/// Sends `n` messages from `a` and waits for every echo; checks them and the relayed path.
fn echo(r: &mut RelayPair, n: usize, limit: Duration) {
    let hint = r.pair.sim.replay_hint();
    let now = r.pair.sim.now();
    let id = r.channel;
    for i in 0..n {
        r.pair.a().rtc.send(now, id, &message(i), true).unwrap();
    }
    let a = r.pair.a;
    let done = r
        .pair
        .sim
        .run_until_cond(limit, |s| s.peer::<RtcPeer>(a).messages.len() >= n);
    let got = r.pair.a().messages.len();
    assert!(done, "{got} of {n} echoed: {hint}");
    for (i, (ch, data)) in r.pair.a().messages.iter().enumerate() {
        assert_eq!(*ch, id);
        assert_eq!(data, &message(i), "message {i}: {hint}");
    }
    assert_eq!(r.pair.b().echo_errors, 0);
    // Both sides send from their relayed candidate to the other's.
    let [ra, rb] = r.relayed;
    assert_eq!(r.pair.a().rtc.selected_pair(), Some((ra, rb)), "{hint}");
    assert_eq!(r.pair.b().rtc.selected_pair(), Some((rb, ra)), "{hint}");
    let stats = r.relay().stats;
    assert_eq!(stats.allocations, 2, "{stats:?}");
    // SCTP bundles small messages, so there are fewer datagrams than messages each way.
    assert!(
        stats.relayed_to_peer > 0 && stats.relayed_to_client > 0,
        "{stats:?}"
    );
    // Data went as ChannelData once the channels were bound, both ways.
    assert!(
        stats.channel_data_from_client > 0 && stats.channel_data_to_client > 0,
        "{stats:?}"
    );
    for side in [r.pair.a, r.pair.b] {
        let turn = r.pair.sim.peer::<RtcPeer>(side).rtc.stats().ice.turn;
        assert!(
            turn.relayed_sent > 0 && turn.relayed_received > 0,
            "{turn:?}"
        );
        assert_eq!(turn.responses_dropped, 0, "{turn:?}");
    }
}

#[test]
fn turn_sim_rtc_relay_only_echo() {
    let link = LinkConfig::with_latency(Duration::from_millis(20));
    let mut r = relay_pair(seed_from_env(0x7a7), link, false);
    echo(&mut r, 100, Duration::from_secs(10));
    let stats = r.relay().stats;
    assert_eq!(
        (stats.dropped, stats.dropped_no_permission, stats.errors),
        (0, 0, 0),
        "{stats:?}"
    );
}

#[test]
fn turn_sim_relay_under_loss() {
    let lossy = LinkConfig::symmetric(
        LinkDirection::default()
            .with_latency(Duration::from_millis(20))
            .with_loss(0.05),
    );
    for seed in 0..2 {
        let mut r = relay_pair(seed_from_env(0x7a8 + seed), lossy, false);
        // Every relayed datagram crosses four lossy link directions (about 19% lost end to
        // end), and SCTP recovers a small window mostly by T3 timeouts: allow minutes.
        echo(&mut r, 100, Duration::from_secs(240));
        assert!(r.pair.sim.stats().dropped.loss > 0);
    }
}

// ---- determinism ----

/// What one run of a scenario gave, to compare two runs.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Every datagram's time, addresses and verdict (sizes and contents are masked where DTLS
    /// draws from ring's `SystemRandom`).
    trace: Vec<(Duration, SocketAddr, SocketAddr, Verdict)>,
    trace_hash: Option<u64>,
    events: Vec<String>,
    selected: [Option<(SocketAddr, SocketAddr)>; 2],
    relay: TurnRelayStats,
}

fn masked_trace(sim: &Sim) -> Vec<(Duration, SocketAddr, SocketAddr, Verdict)> {
    sim.trace()
        .iter()
        .map(|e| (e.at, e.from, e.to, e.verdict))
        .collect()
}

fn lossy_jittery() -> LinkConfig {
    LinkConfig::symmetric(
        LinkDirection::default()
            .with_latency(Duration::from_millis(20))
            .with_jitter(Duration::from_millis(10))
            .with_loss(0.03),
    )
}

/// The ICE session through the relay: no DTLS, so the whole trace hash must match.
fn ice_outcome(seed: u64) -> Outcome {
    let mut s = symmetric_session(seed, lossy_jittery());
    s.run_for(Duration::from_secs(20));
    let events = [s.a, s.b]
        .iter()
        .flat_map(|&h| s.peer(h).events().iter())
        .map(|(t, e): &(Instant, IceEvent)| format!("{:?} {e:?}", *t - s.sim.epoch()))
        .collect();
    Outcome {
        trace: Vec::new(),
        trace_hash: Some(s.sim.trace_hash()),
        events,
        selected: [s.agent(s.a).selected_pair(), s.agent(s.b).selected_pair()],
        relay: s.turn_server().unwrap().stats,
    }
}

/// The relay-only echo: DTLS randomness masked, everything else compared.
fn rtc_outcome(seed: u64) -> Outcome {
    let mut r = relay_pair(seed, lossy_jittery(), true);
    echo(&mut r, 30, Duration::from_secs(60));
    let mut events = Vec::new();
    for side in [r.pair.a, r.pair.b] {
        let peer = r.pair.sim.peer::<RtcPeer>(side);
        events.extend(peer.events.iter().map(|e| format!("{e:?}")));
    }
    Outcome {
        trace: masked_trace(&r.pair.sim),
        trace_hash: None,
        events,
        selected: [
            r.pair.a().rtc.selected_pair(),
            r.pair.b().rtc.selected_pair(),
        ],
        relay: r.relay().stats,
    }
}

#[test]
fn turn_sim_relay_is_deterministic() {
    let seed = seed_from_env(0x7a9);
    let (first, second) = (ice_outcome(seed), ice_outcome(seed));
    assert_eq!(first, second, "ICE through the relay, seed {seed}");
    assert!(first.relay.relayed_to_client > 0);
    let other = ice_outcome(seed + 1);
    assert_ne!(
        first.trace_hash, other.trace_hash,
        "another seed, another run"
    );

    let (first, second) = (rtc_outcome(seed), rtc_outcome(seed));
    assert!(!first.trace.is_empty());
    if let Some(i) = (0..first.trace.len()).find(|&i| first.trace.get(i) != second.trace.get(i)) {
        panic!(
            "traces differ at entry {i}: {:?} vs {:?}",
            first.trace[i],
            second.trace.get(i)
        );
    }
    assert_eq!(first, second, "relay-only echo, seed {seed}");
}

// ---- lifetimes, close, failures ----

#[test]
fn turn_sim_relay_outlives_its_lifetimes_and_close_releases_it() {
    let link = LinkConfig::with_latency(Duration::from_millis(20));
    let mut r = relay_pair(seed_from_env(0x7aa), link, false);
    let hint = r.pair.sim.replay_hint();
    echo(&mut r, 10, Duration::from_secs(10));
    // 20 minutes: past the allocation (600 s), permission (300 s) and channel (600 s)
    // lifetimes, so only the client's refreshes keep the path up.
    r.pair.sim.run_for(Duration::from_secs(20 * 60));
    let stats = r.relay().stats;
    assert_eq!(r.relay().allocations().count(), 2, "{stats:?}; {hint}");
    assert_eq!(
        (stats.deallocations, stats.dropped, stats.errors),
        (0, 0, 0),
        "{stats:?}"
    );
    // Each side refreshed its allocation, its permission and its channel (4 requests at
    // the start, then refreshes every 540 s, 240 s and 540 s).
    assert!(stats.requests >= 2 * (4 + 2 + 5 + 2), "{stats:?}");
    r.pair.a().messages.clear();
    echo(&mut r, 10, Duration::from_secs(10));

    // Closing sends the close through the relay, then releases the allocation; the peer
    // closes and releases its own.
    let now = r.pair.sim.now();
    r.pair.a().rtc.close(now);
    let b = r.pair.b;
    let closed = r.pair.sim.run_until_cond(Duration::from_secs(5), |s| {
        s.peer::<RtcPeer>(b).rtc.state() == sansrtc::rtc::PeerState::Closed
    });
    assert!(closed, "b did not see the close: {hint}");
    r.pair.sim.run_for(Duration::from_secs(1));
    let stats = r.relay().stats;
    assert_eq!(r.relay().allocations().count(), 0, "{stats:?}");
    assert_eq!(stats.deallocations, 2, "{stats:?}");
}

/// Runs until `host` reported `RelayFailed`, within `limit`.
fn run_until_relay_failed(r: &mut RelayPair, host: HostId, limit: Duration) -> bool {
    r.pair.sim.run_until_cond(limit, |s| {
        s.peer::<RtcPeer>(host)
            .events
            .iter()
            .any(|e| matches!(e, Event::RelayFailed { .. }))
    })
}

/// When an allocation fails while its relayed candidate is on the selected pair, nothing more
/// leaves "from" the relayed address (it would go out unframed from the host socket) and the
/// pair is no longer selected. Here the server's password is rotated, so the client's next
/// Refresh gets 401 (short lifetimes make it come within a minute).
#[test]
fn turn_sim_failed_allocation_sends_nothing_from_its_relayed_address() {
    let link = LinkConfig::with_latency(Duration::from_millis(20));
    let seed = seed_from_env(0x7ab);
    let mut r = relay_pair_with(seed, link, false, |t| t.with_lifetime(120));
    let hint = r.pair.sim.replay_hint();
    echo(&mut r, 10, Duration::from_secs(10));
    let turn = r.turn;
    r.pair
        .sim
        .peer_mut::<TurnRelay>(turn)
        .set_password("rotated");
    let a = r.pair.a;
    assert!(
        run_until_relay_failed(&mut r, a, Duration::from_secs(120)),
        "{hint}"
    );
    let failed_at = r.pair.sim.elapsed();
    r.pair.sim.run_for(Duration::from_secs(5));
    let dropped = r.pair.sim.stats().dropped;
    assert_eq!(
        dropped.bad_source, 0,
        "datagrams sent from a relayed address after RelayFailed at {failed_at:?}; {hint}"
    );
    let selected = r.pair.a().rtc.selected_pair();
    assert!(
        selected.is_none_or(|(local, _)| local != r.relayed[0]),
        "the failed relayed candidate is still selected: {selected:?}; {hint}"
    );
}

/// While ICE is failed the allocations are still refreshed, and a restart allocates anew any
/// that failed, so a restart long after a failure finds a relayed path again.
#[test]
fn turn_sim_restart_long_after_a_failure_allocates_again() {
    let mut config = ScenarioConfig::new(seed_from_env(0x7ac));
    config.use_turn_server = true;
    config.ice_a = IceConfig::default().relay_only(true);
    config.ice_b = IceConfig::default().relay_only(true);
    let link = config.link_a;
    let mut s = IceScenario::new(config);
    let hint = s.replay_hint();
    assert!(s.run_until_connected(Duration::from_secs(10)), "{hint}");
    // A minute without network: consent fails, ICE is failed.
    let cut = LinkConfig::symmetric(LinkDirection::default().with_loss(1.0));
    s.set_link(s.a, cut);
    s.set_link(s.b, cut);
    s.sim.run_for(Duration::from_secs(60));
    assert_eq!(s.state(s.a), IceConnectionState::Failed, "{hint}");
    // The network is back; the application restarts ICE ten minutes later.
    s.set_link(s.a, link);
    s.set_link(s.b, link);
    s.sim.run_for(Duration::from_secs(600));
    s.restart_both();
    assert!(
        s.run_until_connected(Duration::from_secs(30)),
        "no relayed path after the restart:\n{}{hint}",
        s.dump()
    );
}

//! Many peer connections behind one socket: routing, echo for 100 peers, and unknown senders
//! that cost no state.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansrtc::datachannel::ChannelConfig;
use sansrtc::endpoint::{Endpoint, EndpointConfig, PeerId};
use sansrtc::net::{Receive, Transmit};
use sansrtc::{Event, Rtc, RtcConfig};
use sansrtc_tests::rtc::{RtcPeer, certificates};
use sansrtc_tests::sim::{HostId, LinkConfig, Peer, Realm, Sim, seed_from_env};

const SERVER: &str = "10.1.0.1:3478";

/// An endpoint that echoes every data-channel message back.
struct EchoServer {
    endpoint: Endpoint,
    events: Vec<(PeerId, Event)>,
    rx: Vec<u8>,
}

impl EchoServer {
    fn drain(&mut self, now: Instant) {
        while let Some((peer, event)) = self.endpoint.poll_event() {
            if let Event::ChannelMessage { id, data, binary } = &event
                && let Some(rtc) = self.endpoint.peer_mut(peer)
            {
                rtc.send(now, *id, data, *binary).expect("echo");
            }
            self.events.push((peer, event));
        }
    }
}

impl Peer for EchoServer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        let mut buf = std::mem::take(&mut self.rx);
        buf.clear();
        buf.extend_from_slice(rx.contents);
        self.endpoint
            .handle_datagram(now, Receive::udp(rx.source, rx.destination, &mut buf));
        self.rx = buf;
        self.drain(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.drain(now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let t = self.endpoint.poll_transmit(now, buf).map(|(_, t)| t);
        self.drain(now);
        t
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }
}

fn server_peer(sim: &Sim, i: usize, now: Instant, offer: &str) -> (Rtc, String) {
    let (_, cert) = certificates();
    let rng = sim.peer_rng(&format!("server-{i}"));
    let mut rtc = Rtc::new(RtcConfig::new(cert), now, Box::new(rng));
    rtc.add_host_address(now, SERVER.parse().expect("address"))
        .expect("host");
    let answer = rtc.accept_offer(now, offer).expect("answer");
    (rtc, answer)
}

fn setup(seed: u64, clients: usize) -> (Sim, HostId, Vec<HostId>) {
    let mut sim = Sim::new(seed);
    let link = LinkConfig::with_latency(Duration::from_millis(10));
    let server = EchoServer {
        endpoint: Endpoint::new(EndpointConfig::default()),
        events: Vec::new(),
        rx: Vec::new(),
    };
    let server_addr: SocketAddr = SERVER.parse().expect("address");
    let s = sim.add_host("server", &[server_addr.ip()], Realm::Public, link, server);
    let mut hosts = Vec::new();
    for i in 0..clients {
        let addr: SocketAddr = format!("10.2.{}.{}:5000", i / 200, 1 + i % 200)
            .parse()
            .expect("addr");
        let (cert, _) = certificates();
        let now = sim.now();
        let rng = sim.peer_rng(&format!("client-{i}"));
        let mut client = RtcPeer::create(cert, rng, now, addr);
        client
            .rtc
            .open_channel(now, ChannelConfig::new("echo"))
            .expect("open");
        let offer = client.rtc.create_offer(now).expect("offer");
        let (rtc, answer) = server_peer(&sim, i, now, &offer);
        client.rtc.accept_answer(now, &answer).expect("accept");
        let host = sim.add_host("client", &[addr.ip()], Realm::Public, link, client);
        sim.peer_mut::<EchoServer>(s)
            .endpoint
            .add_peer(now, rtc)
            .expect("room");
        hosts.push(host);
    }
    (sim, s, hosts)
}

#[test]
fn endpoint_100_peers_each_complete_a_data_channel_exchange() {
    let (mut sim, server, clients) = setup(seed_from_env(40), 100);
    let opened = sim.run_until_cond(Duration::from_secs(30), |s| {
        clients
            .iter()
            .all(|&c| s.peer::<RtcPeer>(c).open_channel_labelled("echo").is_some())
    });
    if !opened {
        let states: Vec<_> = clients
            .iter()
            .map(|&c| sim.peer::<RtcPeer>(c).rtc.state())
            .collect();
        let ep = &sim.peer::<EchoServer>(server).endpoint;
        let server_states: Vec<_> = ep
            .peer_ids()
            .filter_map(|id| ep.peer(id))
            .map(|r| r.state())
            .collect();
        panic!(
            "not every channel opened: clients {states:?} server {server_states:?} {:?}: {}",
            ep.stats(),
            sim.replay_hint()
        );
    }
    for (i, &c) in clients.iter().enumerate() {
        let now = sim.now();
        let p = sim.peer_mut::<RtcPeer>(c);
        let id = p.open_channel_labelled("echo").expect("open");
        p.rtc
            .send(now, id, format!("hello from {i}").as_bytes(), false)
            .expect("send");
    }
    let echoed = sim.run_until_cond(Duration::from_secs(10), |s| {
        clients
            .iter()
            .all(|&c| !s.peer::<RtcPeer>(c).messages.is_empty())
    });
    assert!(echoed, "{}", sim.replay_hint());
    for (i, &c) in clients.iter().enumerate() {
        let got = &sim.peer::<RtcPeer>(c).messages[0].1;
        assert_eq!(
            got,
            format!("hello from {i}").as_bytes(),
            "client {i} got another's echo"
        );
    }
    let server = sim.peer::<EchoServer>(server);
    assert_eq!(server.endpoint.len(), 100);
    assert_eq!(server.endpoint.stats().unroutable, 0);
}

#[test]
fn endpoint_garbage_and_unknown_senders_cost_no_state() {
    let now = Instant::now();
    let mut endpoint = Endpoint::new(EndpointConfig::default());
    let (cert, _) = certificates();
    let mut rtc = Rtc::new(
        RtcConfig::new(cert),
        now,
        Box::new(<rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1)),
    );
    rtc.add_host_address(now, SERVER.parse().expect("address"))
        .expect("host");
    endpoint.add_peer(now, rtc).expect("room");
    let dst: SocketAddr = SERVER.parse().expect("address");
    let mut bytes = [0u8; 300];
    for i in 0..10_000u32 {
        let src: SocketAddr = format!("192.0.2.{}:{}", i % 250, 1000 + i % 5000)
            .parse()
            .expect("addr");
        for (j, b) in bytes.iter_mut().enumerate() {
            *b = (i as usize * 131 + j * 7) as u8;
        }
        // A STUN-looking header on some, DTLS and RTP first bytes on others.
        bytes[0] = [0x00, 0x01, 22, 0x80][i as usize % 4];
        let len = 20 + (i as usize % 280);
        assert!(!endpoint.handle_datagram(now, Receive::udp(src, dst, &mut bytes[..len])));
    }
    assert_eq!(endpoint.stats().unroutable, 10_000);
    assert_eq!(endpoint.len(), 1);
    let mut buf = vec![0; 2048];
    // The one peer sends nothing to any of those senders.
    while let Some((_, t)) = endpoint.poll_transmit(now, &mut buf) {
        assert!(!t.destination.ip().to_string().starts_with("192.0.2."));
    }
}

/// A peer with TURN servers is refused with a reason: its allocation would share the
/// endpoint's socket (one allocation per client address) and the relay's answers could not be
/// routed to it.
#[test]
fn endpoint_refuses_a_peer_with_turn_servers() {
    let now = Instant::now();
    let (cert, _) = certificates();
    let mut config = RtcConfig::new(cert);
    config.turn_servers = vec![sansrtc::turn::TurnServer::new(
        "10.1.0.9:3478".parse().unwrap(),
        "user",
        "pass",
    )];
    let rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
    let rtc = Rtc::new(config, now, Box::new(rng));
    let mut endpoint = Endpoint::new(EndpointConfig::default());
    assert_eq!(
        endpoint.add_peer(now, rtc).err(),
        Some(sansrtc::endpoint::AddPeerError::Relayed)
    );
}

//! Two of our peer connections, each on its own loopback socket, that may only use relayed
//! candidates (`IceConfig::relay_only`), connect through a real coturn and echo data-channel
//! messages; a wrong password is reported, not hidden.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::datachannel::ChannelConfig;
use sansrtc::ice::{CandidateKind, IceConfig};
use sansrtc::net::Receive;
use sansrtc::rtc::{ChannelId, Event, PeerState};
use sansrtc::turn::{TurnError, TurnServer};
use sansrtc::{Rtc, RtcConfig};
use sansrtc_tests::rtc::certificates;

use crate::coturn::Coturn;

/// One peer connection on one real socket, pumped by hand.
struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    events: Vec<Event>,
    /// Where every datagram went, and how many.
    destinations: HashMap<SocketAddr, u64>,
    buf: Vec<u8>,
}

impl Peer {
    fn new(seed: u64, server: TurnServer, now: Instant, cert_b: bool) -> Self {
        let ip = server.addr.ip();
        let (a, b) = certificates();
        let mut config = RtcConfig::new(if cert_b { b } else { a });
        config.ice = IceConfig::default().relay_only(true);
        config.turn_servers = vec![server];
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).expect("bind loopback");
        socket.set_nonblocking(true).unwrap();
        let addr = socket.local_addr().unwrap();
        let mut rtc = Rtc::new(config, now, Box::new(ChaCha20Rng::seed_from_u64(seed)));
        rtc.add_host_address(now, addr).unwrap();
        let buf = vec![0; rtc.max_datagram_size()];
        Self {
            rtc,
            socket,
            addr,
            events: Vec::new(),
            destinations: HashMap::new(),
            buf,
        }
    }

    /// Sends what is due, takes in what arrived, fires timers, keeps the events.
    fn pump(&mut self, now: Instant) {
        let mut rx = [0u8; 2048];
        while let Ok((n, from)) = self.socket.recv_from(&mut rx) {
            self.rtc
                .handle_datagram(now, Receive::udp(from, self.addr, &mut rx[..n]));
        }
        if self.rtc.poll_timeout().is_some_and(|t| t <= now) {
            self.rtc.handle_timeout(now);
        }
        while let Some(t) = self.rtc.poll_transmit(now, &mut self.buf) {
            assert_eq!(t.source, self.addr, "every datagram leaves from our socket");
            assert!(t.destination.ip().is_loopback(), "{t:?} leaves loopback");
            *self.destinations.entry(t.destination).or_default() += 1;
            // Loopback drops nothing unless its buffers overflow; a lost datagram is retried.
            let _ = self.socket.send_to(&self.buf[..t.len], t.destination);
        }
        while let Some(e) = self.rtc.poll_event() {
            self.events.push(e);
        }
    }

    fn gathered(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::GatheringComplete))
    }

    fn messages(&self) -> impl Iterator<Item = (&ChannelId, &[u8], bool)> {
        self.events.iter().filter_map(|e| match e {
            Event::ChannelMessage { id, data, binary } => Some((id, &data[..], *binary)),
            _ => None,
        })
    }
}

/// Pumps both peers until `done` or `limit` passes; returns whether `done` came true.
fn run(
    a: &mut Peer,
    b: &mut Peer,
    limit: Duration,
    mut done: impl FnMut(&Peer, &Peer) -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        let now = Instant::now();
        a.pump(now);
        b.pump(now);
        if done(a, b) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn turn_coturn_relay_only_peers_echo_messages() {
    relay_only_echo(IpAddr::V4(Ipv4Addr::LOCALHOST));
}

/// The same over IPv6: the allocations ask for an IPv6 relay (REQUESTED-ADDRESS-FAMILY).
#[test]
fn turn_coturn_relay_only_peers_echo_messages_ipv6() {
    relay_only_echo(IpAddr::V6(Ipv6Addr::LOCALHOST));
}

fn relay_only_echo(ip: IpAddr) {
    let coturn = Coturn::start_on(ip);
    let server = TurnServer::new(coturn.addr, &coturn.username, &coturn.password);
    let now = Instant::now();
    let mut a = Peer::new(1, server.clone(), now, false);
    let mut b = Peer::new(2, server, now, true);

    assert!(
        run(&mut a, &mut b, Duration::from_secs(10), |a, b| a.gathered()
            && b.gathered()),
        "both allocate; coturn log:\n{}",
        coturn.log()
    );
    for p in [&a, &b] {
        let locals = p.rtc.direct_parameters().candidates;
        assert_eq!(
            locals.len(),
            1,
            "one relayed candidate, no host: {locals:?}"
        );
        assert_eq!(locals[0].kind(), CandidateKind::Relayed);
        assert_eq!(locals[0].addr().ip(), coturn.addr.ip());
        assert_ne!(locals[0].addr(), p.addr);
        assert_eq!(
            locals[0].related_address(),
            Some(p.addr),
            "raddr is our socket"
        );
    }

    let (pa, pb) = (a.rtc.direct_parameters(), b.rtc.direct_parameters());
    let relayed = (pa.candidates[0].addr(), pb.candidates[0].addr());
    let now = Instant::now();
    a.rtc.direct_connect(now, pb, true).unwrap();
    b.rtc.direct_connect(now, pa, false).unwrap();
    let id = a
        .rtc
        .open_channel(now, ChannelConfig::new("relay"))
        .unwrap();
    assert!(
        run(&mut a, &mut b, Duration::from_secs(15), |a, b| {
            a.rtc.state() == PeerState::Connected && b.rtc.state() == PeerState::Connected
        }),
        "connected through the relay; a: {:?} b: {:?}\ncoturn log:\n{}",
        a.rtc,
        b.rtc,
        coturn.log()
    );
    assert_eq!(a.rtc.selected_pair(), Some(relayed));
    assert_eq!(b.rtc.selected_pair(), Some((relayed.1, relayed.0)));

    // Messages from 1 byte to 16 KiB, text and binary, echoed back by b.
    let sizes = [1usize, 100, 1000, 1200, 4000, 16 * 1024];
    let mut sent = Vec::new();
    for (i, &size) in sizes.iter().cycle().take(60).enumerate() {
        let binary = i % 2 == 0;
        let byte = if binary {
            (i % 251) as u8
        } else {
            b'a' + (i % 26) as u8
        };
        sent.push((vec![byte; size], binary));
    }
    let mut next = 0;
    let mut echoed = 0;
    let start = Instant::now();
    while echoed < sent.len() && start.elapsed() < Duration::from_secs(30) {
        let now = Instant::now();
        let open = a
            .events
            .iter()
            .any(|e| matches!(e, Event::ChannelOpen { id: open, .. } if *open == id));
        if next < sent.len() && open {
            let (data, binary) = &sent[next];
            if a.rtc.send(now, id, data, *binary).is_ok() {
                next += 1;
            }
        }
        a.pump(now);
        b.pump(now);
        let incoming: Vec<(ChannelId, Vec<u8>, bool)> = b
            .events
            .drain(..)
            .filter_map(|e| match e {
                Event::ChannelMessage { id, data, binary } => Some((id, data.to_vec(), binary)),
                _ => None,
            })
            .collect();
        for (channel, data, binary) in incoming {
            b.rtc.send(now, channel, &data, binary).unwrap();
        }
        echoed = a.messages().count();
        std::thread::sleep(Duration::from_millis(1));
    }
    let got: Vec<(Vec<u8>, bool)> = a.messages().map(|(_, d, bin)| (d.to_vec(), bin)).collect();
    assert_eq!(got.len(), sent.len(), "every message echoed");
    assert!(
        got == sent,
        "echoed byte-exact, text as text and binary as binary"
    );

    // Nothing went anywhere but the TURN server: not to the other peer's socket.
    for p in [&a, &b] {
        assert_eq!(
            p.destinations.keys().copied().collect::<Vec<_>>(),
            vec![coturn.addr],
            "relay only"
        );
        let turn = p.rtc.stats().ice.turn;
        assert!(
            turn.relayed_sent >= 60 && turn.relayed_received >= 60,
            "{turn:?}"
        );
        assert_eq!(turn.responses_dropped, 0);
    }

    // Closing releases the allocation (coturn logs the deletion); the peer sees it close.
    let now = Instant::now();
    a.rtc.close(now);
    a.pump(now);
    assert!(
        run(&mut a, &mut b, Duration::from_secs(5), |_, b| b.rtc.state()
            == PeerState::Closed),
        "the close reached b through the relay"
    );
    // coturn's own account: both sides bound a channel (data went as ChannelData), and a's
    // allocation was released (b's too, once it saw the close).
    let start = Instant::now();
    let log = loop {
        let log = coturn.log();
        let released =
            log.matches("refreshed, realm=<sansrtc.test>, username=<sansrtc>, lifetime=0");
        if released.count() >= 2 || start.elapsed() > Duration::from_secs(3) {
            break log;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        log.matches("CHANNEL_BIND processed, success").count(),
        2,
        "{log}"
    );
    assert_eq!(log.matches("lifetime=0").count(), 2, "{log}");
}

#[test]
fn turn_coturn_wrong_password_is_reported() {
    let coturn = Coturn::start();
    let server = TurnServer::new(coturn.addr, &coturn.username, "not-the-password");
    let now = Instant::now();
    let mut a = Peer::new(3, server.clone(), now, false);
    let mut b = Peer::new(4, server, now, true);
    assert!(run(&mut a, &mut b, Duration::from_secs(10), |a, _| a.gathered()));
    assert!(
        a.events.iter().any(|e| matches!(
            e,
            Event::RelayFailed { server, error: TurnError::Unauthorized } if *server == coturn.addr
        )),
        "{:?}",
        a.events
    );
    assert!(
        a.rtc.direct_parameters().candidates.is_empty(),
        "no candidate at all"
    );
}

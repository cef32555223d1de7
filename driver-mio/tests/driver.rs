//! The driver's example, run as a test: two peers on real loopback sockets (IPv4 and IPv6),
//! and on every host address of a network namespace of the test's own.

#[path = "../examples/mio_peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

#[path = "../../tests/support/netns.rs"]
mod netns;

#[test]
fn driver_mio_two_peers_exchange_messages() {
    let echoed = peers::exchange(200).expect("exchange");
    assert_eq!(echoed, 200);
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use sansrtc::datachannel::ChannelConfig;
use sansrtc::dtls::Certificate;
use sansrtc::{Endpoint, EndpointConfig, Event, Rtc, RtcConfig};
use sansrtc_mio::{Driver, Loopback};

fn config() -> RtcConfig {
    RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")))
}

/// Three clients, each on its own socket, talk to one Endpoint on one socket that echoes;
/// all four drivers are ticked from one loop on one thread.
#[test]
fn driver_mio_endpoint_echoes_three_clients() {
    const CLIENTS: usize = 3;
    const MESSAGES: usize = 20;
    let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut server = Driver::new(socket, Endpoint::new(EndpointConfig::default())).unwrap();
    let server_addr = server.local_addr();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let mut client = sansrtc_mio::bind_rtc("127.0.0.1:0".parse().unwrap(), config()).unwrap();
        let now = Instant::now();
        let mut rtc = Rtc::new(config(), now, sansrtc_mio::os_rng());
        rtc.add_host_address(now, server_addr).unwrap();
        let ours = rtc.direct_parameters();
        let endpoint = server.machine_mut();
        let peer = endpoint.add_peer(now, rtc).unwrap();
        let theirs = client.machine().direct_parameters();
        let server_rtc = endpoint.peer_mut(peer).unwrap();
        server_rtc.direct_connect(now, theirs, false).unwrap();
        client
            .machine_mut()
            .direct_connect(now, ours, true)
            .unwrap();
        client
            .machine_mut()
            .open_channel(now, ChannelConfig::new("echo"))
            .unwrap();
        clients.push((client, 0usize));
    }

    let started = Instant::now();
    while clients.iter().any(|(_, echoed)| *echoed < MESSAGES) {
        assert!(started.elapsed() < Duration::from_secs(20), "timed out");
        let now = Instant::now();
        server.tick(now).unwrap();
        while let Some((peer, event)) = server.poll_event() {
            if let Event::ChannelMessage { id, data, binary } = event {
                let rtc = server.machine_mut().peer_mut(peer).unwrap();
                rtc.send(now, id, &data, binary).unwrap();
            }
        }
        for (n, (client, echoed)) in clients.iter_mut().enumerate() {
            client.tick(now).unwrap();
            while let Some(event) = client.poll_event() {
                match event {
                    Event::ChannelOpen { id, .. } => {
                        for i in 0..MESSAGES {
                            let text = format!("client {n} message {i}");
                            client
                                .machine_mut()
                                .send(now, id, text.as_bytes(), false)
                                .unwrap();
                        }
                    }
                    Event::ChannelMessage { data, .. } => {
                        assert_eq!(data, format!("client {n} message {echoed}").as_bytes());
                        *echoed += 1;
                    }
                    _ => {}
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(server.machine().len(), CLIENTS);
}

/// An idle driver's tick returns at once, and run_until sleeps until its deadline and no
/// further when nothing happens.
#[test]
fn driver_mio_idle_tick_does_not_block_and_run_until_keeps_its_deadline() {
    let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut idle = Driver::new(socket, Endpoint::new(EndpointConfig::default())).unwrap();
    let started = Instant::now();
    for _ in 0..1000 {
        idle.tick(Instant::now()).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(idle.poll_event().is_none());

    let started = Instant::now();
    let deadline = started + Duration::from_millis(50);
    assert!(!idle.run_until(deadline).unwrap());
    let slept = started.elapsed();
    assert!(slept >= Duration::from_millis(50), "woke early: {slept:?}");
    assert!(slept < Duration::from_secs(2), "overslept: {slept:?}");
}

#[test]
fn driver_mio_two_peers_over_ipv6_loopback() {
    let binds = ["[::1]:0".parse().unwrap()];
    let echoed = peers::exchange_on(&binds, 50).expect("exchange");
    assert_eq!(echoed, 50);
}

/// Inside a namespace with two veth ends: peers bound at `0.0.0.0:0` and `[::]:0` offer
/// exactly the namespace's non-loopback addresses as host candidates, one socket (and poll
/// token) each, and talk.
#[test]
fn driver_mio_binds_every_host_address_in_a_namespace() {
    netns::in_namespace("driver_mio_binds_every_host_address_in_a_namespace", || {
        let binds = netns::any();
        for (loopback, also) in [(Loopback::default(), false), (Loopback::Always, true)] {
            let peer = sansrtc_mio::bind_rtc_on(&binds, loopback, config()).expect("bind");
            let params = peer.machine().direct_parameters();
            let candidates = params.candidates.iter().map(|c| c.addr());
            netns::assert_hosts(also, candidates, peer.local_addrs());
        }
        let echoed = peers::exchange_on(&binds, 50).expect("exchange");
        assert_eq!(echoed, 50);
    });
}

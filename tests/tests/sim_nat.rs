//! NAT behaviour in the simulator, checked against RFC 4787: mapping (section 4.1), filtering
//! (section 5), timeouts (section 4.3), hairpinning (section 6), port allocation, nesting.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sansrtc_tests::sim::testing::Probe;
use sansrtc_tests::sim::{
    FilteringBehavior, HostId, LinkConfig, MappingBehavior, NatConfig, NatId, PortAllocation,
    Realm, Sim, seed_from_env,
};

/// The client's private endpoint.
const CLIENT: &str = "10.0.0.2:5000";
/// Two public server addresses on one host.
const S1: &str = "203.0.113.1";
const S2: &str = "203.0.113.2";
const NAT_IP: &str = "198.51.100.1";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn at(ip_: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip(ip_), port)
}

struct Net {
    sim: Sim,
    nat: NatId,
    client: HostId,
    server: HostId,
}

/// A client behind a NAT and a public server host with two addresses, 5 ms links.
fn net(config: NatConfig) -> Net {
    net_seeded(seed_from_env(1), config)
}

fn net_seeded(seed: u64, config: NatConfig) -> Net {
    let mut sim = Sim::new(seed);
    let link = LinkConfig::with_latency(Duration::from_millis(5));
    let nat = sim.add_nat("nat", Realm::Public, ip(NAT_IP), config);
    let client = sim.add_host(
        "client",
        &[ip("10.0.0.2")],
        Realm::Behind(nat),
        link,
        Probe::new(),
    );
    let server = sim.add_host(
        "server",
        &[ip(S1), ip(S2)],
        Realm::Public,
        link,
        Probe::new(),
    );
    Net {
        sim,
        nat,
        client,
        server,
    }
}

impl Net {
    fn client_sends(&mut self, to: SocketAddr) {
        self.sim
            .peer_mut::<Probe>(self.client)
            .send(addr(CLIENT), to, b"out");
        self.sim.run_for(Duration::from_millis(50));
    }

    fn server_sends(&mut self, from: SocketAddr, to: SocketAddr) {
        self.sim
            .peer_mut::<Probe>(self.server)
            .send(from, to, b"in");
        self.sim.run_for(Duration::from_millis(50));
    }

    /// The source addresses the server saw, in order.
    fn seen_by_server(&self) -> Vec<SocketAddr> {
        let got = self.sim.peer::<Probe>(self.server).received();
        got.iter().map(|r| r.source).collect()
    }

    fn client_received(&self) -> Vec<(SocketAddr, SocketAddr)> {
        let got = self.sim.peer::<Probe>(self.client).received();
        got.iter().map(|r| (r.source, r.destination)).collect()
    }

    /// Sends from the client to S1:3478, S1:3479 and S2:3478; returns the external endpoints
    /// the server saw.
    fn three_destinations(mut self) -> Vec<SocketAddr> {
        for to in [at(S1, 3478), at(S1, 3479), at(S2, 3478)] {
            self.client_sends(to);
        }
        self.seen_by_server()
    }
}

#[test]
fn endpoint_independent_mapping_keeps_external_port() {
    let mut config = NatConfig::full_cone();
    config.mapping = MappingBehavior::EndpointIndependent;
    let seen = net(config).three_destinations();
    let mapped = at(NAT_IP, 49152);
    assert_eq!(seen, [mapped, mapped, mapped]);
}

#[test]
fn address_dependent_mapping_per_destination_ip() {
    let config = NatConfig::new(
        MappingBehavior::AddressDependent,
        FilteringBehavior::AddressDependent,
    );
    let seen = net(config).three_destinations();
    assert_eq!(seen[0], seen[1], "same IP, other port: same mapping");
    assert_ne!(seen[0], seen[2], "other IP: new mapping");
}

#[test]
fn address_and_port_dependent_mapping_per_destination_endpoint() {
    let seen = net(NatConfig::symmetric()).three_destinations();
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    assert_ne!(seen[0], seen[2]);
    assert!(seen.iter().all(|s| s.ip() == ip(NAT_IP)));
}

/// After the client sent to S1:3478, which of (S1:3478, S1:9999, S2:3478) get in?
fn filtering(filtering: FilteringBehavior) -> [bool; 3] {
    let mut n = net(NatConfig::new(
        MappingBehavior::EndpointIndependent,
        filtering,
    ));
    n.client_sends(at(S1, 3478));
    let external = n.seen_by_server()[0];
    let mut result = [false; 3];
    for (i, from) in [at(S1, 3478), at(S1, 9999), at(S2, 3478)]
        .into_iter()
        .enumerate()
    {
        let before = n.client_received().len();
        n.server_sends(from, external);
        let got = n.client_received();
        result[i] = got.len() > before;
        if result[i] {
            assert_eq!(
                got[before],
                (from, addr(CLIENT)),
                "translated to the internal endpoint"
            );
        }
    }
    let dropped = n.sim.stats().dropped;
    let refused = result.iter().filter(|&&r| !r).count() as u64;
    assert_eq!((dropped.nat_filter, dropped.total()), (refused, refused));
    result
}

#[test]
fn endpoint_independent_filtering_admits_anyone() {
    assert_eq!(
        filtering(FilteringBehavior::EndpointIndependent),
        [true, true, true]
    );
}

#[test]
fn address_dependent_filtering_admits_known_ip() {
    assert_eq!(
        filtering(FilteringBehavior::AddressDependent),
        [true, true, false]
    );
}

#[test]
fn address_and_port_dependent_filtering_admits_known_endpoint() {
    assert_eq!(
        filtering(FilteringBehavior::AddressAndPortDependent),
        [true, false, false]
    );
}

#[test]
fn unsolicited_inbound_is_filtered_and_private_addresses_unroutable() {
    let mut n = net(NatConfig::full_cone());
    n.server_sends(at(S1, 3478), at(NAT_IP, 49152)); // no mapping yet
    n.server_sends(at(S1, 3478), addr(CLIENT)); // a private address from the public realm
    let d = n.sim.stats().dropped;
    assert_eq!((d.nat_filter, d.no_route), (1, 1));
    assert!(n.client_received().is_empty());
}

#[test]
fn mapping_expires_unless_refreshed() {
    let mut config = NatConfig::port_restricted_cone();
    config.mapping_timeout = Duration::from_secs(30);
    let mut n = net(config);
    let server = at(S1, 3478);
    // Refreshed every 20 s: the mapping survives a minute.
    for _ in 0..4 {
        n.client_sends(server);
        n.sim.run_for(Duration::from_secs(20));
    }
    let seen = n.seen_by_server();
    assert!(seen.iter().all(|&s| s == seen[0]), "{seen:?}");
    n.server_sends(server, seen[0]);
    assert_eq!(
        n.client_received().len(),
        1,
        "inbound within the timeout gets in"
    );
    assert_eq!(n.sim.nat_mappings(n.nat).count(), 1);
    // Idle for longer than the timeout: the mapping is gone, inbound is dropped, and the
    // next outbound datagram gets a new external port.
    n.sim.run_for(Duration::from_secs(31));
    assert_eq!(n.sim.nat_mappings(n.nat).count(), 0);
    n.server_sends(server, seen[0]);
    assert_eq!(n.client_received().len(), 1);
    assert_eq!(n.sim.stats().dropped.nat_filter, 1);
    n.client_sends(server);
    let fresh = *n.seen_by_server().last().unwrap();
    assert_ne!(fresh, seen[0]);
}

#[test]
fn hairpinning() {
    for hairpin in [false, true] {
        let mut config = NatConfig::full_cone();
        config.hairpinning = hairpin;
        let mut n = net(config);
        let link = LinkConfig::ideal();
        let peer = n.sim.add_host(
            "peer",
            &[ip("10.0.0.3")],
            Realm::Behind(n.nat),
            link,
            Probe::new(),
        );
        // The peer learns nothing; the client learns its own mapping from the server, then
        // the peer sends to that public address from behind the same NAT.
        n.client_sends(at(S1, 3478));
        let external = n.seen_by_server()[0];
        n.sim
            .peer_mut::<Probe>(peer)
            .send(addr("10.0.0.3:7000"), external, b"hairpin");
        n.sim.run_for(Duration::from_millis(50));
        let got = n.client_received();
        if hairpin {
            // RFC 4787 REQ-9: the source is the peer's external address.
            assert_eq!(got, [(at(NAT_IP, 49153), addr(CLIENT))]);
        } else {
            assert!(got.is_empty());
            assert_eq!(n.sim.stats().dropped.hairpin, 1);
        }
    }
}

#[test]
fn port_allocation_modes() {
    let mut preserve = NatConfig::port_restricted_cone();
    preserve.ports = PortAllocation::Preserve;
    preserve.first_port = 1024;
    let seen = net(preserve).three_destinations();
    assert_eq!(seen[0], at(NAT_IP, 5000));

    let random = |seed| {
        let mut config = NatConfig::symmetric();
        config.ports = PortAllocation::Random;
        net_seeded(seed, config).three_destinations()
    };
    let a = random(seed_from_env(1));
    assert_eq!(a, random(seed_from_env(1)), "seeded: the same ports again");
    assert_ne!(a, random(seed_from_env(1) + 1));
    assert!(a.iter().all(|s| s.port() >= 49152));
}

#[test]
fn two_private_realms_may_reuse_addresses_and_hole_punch() {
    // Both clients are 10.0.0.2 behind their own port-restricted cone NAT; each learns its
    // external address from the server, then both send to each other's (as ICE does).
    let mut sim = Sim::new(seed_from_env(1));
    let link = LinkConfig::with_latency(Duration::from_millis(10));
    let server = sim.add_host("server", &[ip(S1)], Realm::Public, link, Probe::new());
    let mut clients = Vec::new();
    for (name, nat_ip) in [("a", "198.51.100.1"), ("b", "198.51.100.2")] {
        let nat = sim.add_nat(
            name,
            Realm::Public,
            ip(nat_ip),
            NatConfig::port_restricted_cone(),
        );
        let host = sim.add_host(
            name,
            &[ip("10.0.0.2")],
            Realm::Behind(nat),
            link,
            Probe::new(),
        );
        sim.peer_mut::<Probe>(host)
            .send(addr(CLIENT), at(S1, 3478), b"where am I");
        clients.push(host);
    }
    sim.run_for(Duration::from_millis(100));
    let seen: Vec<SocketAddr> = sim
        .peer::<Probe>(server)
        .received()
        .iter()
        .map(|r| r.source)
        .collect();
    assert_eq!(seen, [at("198.51.100.1", 49152), at("198.51.100.2", 49152)]);
    // A's first datagram opens A's NAT but is filtered by B's; B's then gets through, and so
    // does everything after.
    sim.peer_mut::<Probe>(clients[0])
        .send(addr(CLIENT), seen[1], b"a1");
    sim.run_for(Duration::from_millis(5));
    sim.peer_mut::<Probe>(clients[1])
        .send(addr(CLIENT), seen[0], b"b1");
    sim.run_for(Duration::from_millis(100));
    sim.peer_mut::<Probe>(clients[0])
        .send(addr(CLIENT), seen[1], b"a2");
    sim.run_for(Duration::from_millis(100));
    let payloads = |h| -> Vec<Vec<u8>> {
        sim.peer::<Probe>(h)
            .received()
            .iter()
            .map(|r| r.payload.clone())
            .collect()
    };
    assert_eq!(payloads(clients[0]), [b"b1".to_vec()]);
    assert_eq!(payloads(clients[1]), [b"a2".to_vec()]);
    assert_eq!(sim.stats().dropped.nat_filter, 1, "{}", sim.replay_hint());
}

#[test]
fn nested_nats() {
    // Home NAT behind a carrier-grade NAT (RFC 6888): the server sees the CGN's address.
    let mut sim = Sim::new(seed_from_env(1));
    let link = LinkConfig::ideal();
    let cgn = sim.add_nat(
        "cgn",
        Realm::Public,
        ip("198.51.100.9"),
        NatConfig::full_cone(),
    );
    let home = sim.add_nat(
        "home",
        Realm::Behind(cgn),
        ip("100.64.0.5"),
        NatConfig::full_cone(),
    );
    let client = sim.add_host(
        "client",
        &[ip("10.0.0.2")],
        Realm::Behind(home),
        link,
        Probe::new(),
    );
    let server = sim.add_host("server", &[ip(S1)], Realm::Public, link, Probe::new());
    sim.peer_mut::<Probe>(client)
        .send(addr(CLIENT), at(S1, 3478), b"hi");
    sim.run_for(Duration::from_millis(1));
    let seen = sim.peer::<Probe>(server).received()[0].source;
    assert_eq!(seen, at("198.51.100.9", 49152));
    sim.peer_mut::<Probe>(server)
        .send(at(S1, 3478), seen, b"back");
    sim.run_for(Duration::from_millis(1));
    let got = &sim.peer::<Probe>(client).received()[0];
    assert_eq!((got.source, got.destination), (at(S1, 3478), addr(CLIENT)));
    let home_map = sim.nat_mappings(home).next().unwrap();
    assert_eq!(home_map.external, at("100.64.0.5", 49152));
}

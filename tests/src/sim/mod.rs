//! The deterministic network simulator: sans-IO peers on virtual hosts, joined by lossy,
//! delaying, rate-limited links and NAT boxes, all in virtual time driven by one seed.
//!
//! # Model
//!
//! - **Time** is virtual. A [`Sim`] reads the clock once, for its epoch; after that time only
//!   moves forward by `+ Duration`, jumping straight to the next thing due (the earliest
//!   in-flight datagram or the earliest [`Peer::poll_timeout`]), like quinn's `Pair::step`.
//!   Nothing sleeps, so sessions run far faster than real time.
//! - **Realms.** Every host and NAT lives in one [`Realm`]: [`Realm::Public`] (the internet)
//!   or [`Realm::Behind`] a NAT. Addresses are unique per realm, so two private realms may
//!   both use `192.168.1.2`. A datagram to an address in the sender's own realm goes straight
//!   there; one to another address leaves through the realm's NAT (see [`nat`] for RFC 4787
//!   mapping, filtering, timeouts and hairpinning). NATs may nest.
//! - **Hosts** own one or more IP addresses and receive on every port of them. A host's
//!   [`Peer`] is any sans-IO machine; its `Transmit::source` must be one of the host's
//!   addresses, or the datagram is dropped as [`DropCause::BadSource`].
//! - **Links.** Each host has an access link ([`LinkConfig`]); a datagram from A to B crosses
//!   A's uplink, the NATs (no delay), then B's downlink. See [`link`] for latency, jitter,
//!   loss (random or Gilbert-Elliott), duplication, reordering, bandwidth and MTU.
//! - **Randomness.** Every link direction and NAT owns an RNG derived from the scenario seed
//!   and its own index ([`seed::derive_seed`]); [`Sim::peer_rng`] derives one for a peer.
//!   The same seed and the same scenario give the same run, bit for bit.
//! - **Trace.** Every datagram's life is folded into [`Sim::trace_hash`] (FNV-1a over time,
//!   addresses, size, verdict and a hash of the bytes); [`Sim::record_trace`] also keeps the
//!   entries for printing. [`Sim::stats`] counts sent, delivered, duplicated and dropped by
//!   cause.
//! - **TURN.** [`TurnRelay`] ([`turn_server`]) is a minimal TURN server (RFC 8656 over UDP) to
//!   put on a public host, so that ICE agents and peer connections get relayed candidates.
//! - **No allocation per datagram** in steady state: bytes travel in pooled buffers, the event
//!   queue is reused, the trace hash is a running value (recording off). NATs allocate when
//!   they create a mapping. `tests/sim_alloc.rs` checks this with a counting allocator.
//!
//! # The loop
//!
//! [`Sim::step`] drains every peer's `poll_transmit`, then advances to the next wakeup,
//! delivers every datagram due by then (`handle_datagram`), calls `handle_timeout` on every
//! peer whose `poll_timeout` has come, and drains `poll_transmit` again. A peer is polled
//! after every step, so a test may queue work on a peer between steps (through
//! [`Sim::peer_mut`]) and it goes out at the current time.
//!
//! # Example: two hosts behind two NATs and a public STUN server
//!
//! ```
//! use std::net::{IpAddr, SocketAddr};
//! use std::time::Duration;
//!
//! use sansrtc_tests::sim::testing::{Echo, Probe};
//! use sansrtc_tests::sim::{LinkConfig, NatConfig, Realm, Sim, seed_from_env};
//!
//! let mut sim = Sim::new(seed_from_env(1));
//! let ip = |s: &str| s.parse::<IpAddr>().unwrap();
//! let link = LinkConfig::with_latency(Duration::from_millis(20));
//! // An echo stands in for the STUN server here; an ICE test puts a `stun::Responder` there.
//! let server = sim.add_host("stun", &[ip("203.0.113.1")], Realm::Public, link, Echo::new());
//! let cone = NatConfig::port_restricted_cone();
//! let nat_a = sim.add_nat("nat-a", Realm::Public, ip("198.51.100.1"), cone);
//! let nat_b = sim.add_nat("nat-b", Realm::Public, ip("198.51.100.2"), NatConfig::symmetric());
//! // Both private realms use the same address.
//! let private = [ip("192.168.1.2")];
//! let a = sim.add_host("a", &private, Realm::Behind(nat_a), link, Probe::new());
//! let b = sim.add_host("b", &private, Realm::Behind(nat_b), link, Probe::new());
//!
//! let local: SocketAddr = "192.168.1.2:5000".parse().unwrap();
//! let stun: SocketAddr = "203.0.113.1:3478".parse().unwrap();
//! sim.peer_mut::<Probe>(a).send(local, stun, b"binding request");
//! let answered = |s: &Sim| !s.peer::<Probe>(a).received().is_empty();
//! assert!(sim.run_until_cond(Duration::from_secs(1), answered), "{}", sim.replay_hint());
//! let reply = &sim.peer::<Probe>(a).received()[0];
//! assert_eq!((reply.source, reply.destination), (stun, local));
//! assert_eq!(sim.elapsed(), Duration::from_millis(80)); // four link crossings
//! let mapping = sim.nat_mappings(nat_a).next().unwrap();
//! assert_eq!(mapping.external, "198.51.100.1:49152".parse::<SocketAddr>().unwrap());
//! # let _ = (server, b, nat_b);
//! ```

use std::any::Any;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sansrtc::net::{Receive, Transmit};

use self::link::LinkState;
use self::nat::Nat;
use self::queue::{BufferPool, EventQueue};
use self::trace::Trace;

mod engine;
pub mod link;
pub mod nat;
mod queue;
pub mod seed;
pub mod testing;
pub mod trace;
pub mod turn_server;

pub use self::link::{LinkConfig, LinkDirection, LossModel};
pub use self::nat::{FilteringBehavior, MappingBehavior, MappingInfo, NatConfig, PortAllocation};
pub use self::seed::{peer_rng, replay_hint, seed_from_env};
pub use self::trace::{DropCause, DropCounts, Stats, TraceEntry, Verdict};
pub use self::turn_server::{TurnRelay, TurnRelayStats};

/// Anything the simulator drives: a sans-IO machine with the sansrtc vocabulary.
///
/// The simulator calls `handle_datagram` for each datagram delivered to the host,
/// `handle_timeout` once `poll_timeout` has come, and then `poll_transmit` until it returns
/// `None`. Test code wraps a machine and the RNG it borrows (an `ice::Agent` plus a
/// `ChaCha20Rng` from [`Sim::peer_rng`]) in a struct implementing this trait, and reaches it
/// again with [`Sim::peer`] / [`Sim::peer_mut`].
pub trait Peer: Any {
    /// A datagram arrived.
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>);
    /// The deadline from `poll_timeout` has come (early or repeated calls must be harmless).
    fn handle_timeout(&mut self, now: Instant);
    /// Writes one datagram into `buf` (65 535 bytes long), or returns `None` when nothing is
    /// left to send.
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit>;
    /// When `handle_timeout` should next be called.
    fn poll_timeout(&self) -> Option<Instant>;
}

/// A host in a [`Sim`], returned by [`Sim::add_host`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(u32);

/// A NAT in a [`Sim`], returned by [`Sim::add_nat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatId(u32);

/// An address space: the public internet, or the private side of one NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Realm {
    /// The public internet.
    Public,
    /// The private realm behind a NAT.
    Behind(NatId),
}

/// Who owns an address in a realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Host(HostId),
    Nat(NatId),
}

struct Host {
    name: &'static str,
    addrs: Vec<IpAddr>,
    realm: Realm,
    up: LinkState,
    down: LinkState,
    peer: Box<dyn Peer>,
}

/// Size of the buffer peers write into: the largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;
/// Steps in a row without time moving forward before the simulator calls it a livelock.
const LIVELOCK_STEPS: u32 = 100_000;
/// Datagrams one peer may emit in one drain before the simulator calls it a runaway.
const MAX_DRAIN: u32 = 1_000_000;
/// In-flight datagrams to make room for up front.
const INITIAL_IN_FLIGHT: usize = 1024;

/// The simulator. See the [module docs](self).
pub struct Sim {
    seed: u64,
    epoch: Instant,
    now: Instant,
    hosts: Vec<Host>,
    nats: Vec<Nat>,
    owners: BTreeMap<(Realm, IpAddr), Owner>,
    queue: EventQueue,
    pool: BufferPool,
    scratch: Vec<u8>,
    trace: Trace,
    stalled: u32,
}

impl Sim {
    /// An empty network at virtual time zero. The epoch is the one clock read of the run.
    pub fn new(seed: u64) -> Self {
        let epoch = Instant::now();
        Self {
            seed,
            epoch,
            now: epoch,
            hosts: Vec::new(),
            nats: Vec::new(),
            owners: BTreeMap::new(),
            queue: EventQueue::with_capacity(INITIAL_IN_FLIGHT),
            pool: BufferPool::with_capacity(INITIAL_IN_FLIGHT),
            scratch: vec![0; MAX_DATAGRAM],
            trace: Trace::new(),
            stalled: 0,
        }
    }

    // Building the network.

    /// Adds a host owning `addrs` in `realm`, with its access link and its peer.
    ///
    /// # Panics
    ///
    /// If `addrs` is empty, an address is already owned in that realm, or the NAT of
    /// `Realm::Behind` does not exist.
    pub fn add_host(
        &mut self,
        name: &'static str,
        addrs: &[IpAddr],
        realm: Realm,
        link: LinkConfig,
        peer: impl Peer,
    ) -> HostId {
        assert!(!addrs.is_empty(), "host {name} needs at least one address");
        self.check_realm(realm);
        let id = HostId(self.hosts.len() as u32);
        for &ip in addrs {
            self.claim(realm, ip, Owner::Host(id), name);
        }
        let index = u64::from(id.0);
        self.hosts.push(Host {
            name,
            addrs: addrs.to_vec(),
            realm,
            up: LinkState::new(link.up, seed::sim_rng(self.seed, "up", index), self.epoch),
            down: LinkState::new(
                link.down,
                seed::sim_rng(self.seed, "down", index),
                self.epoch,
            ),
            peer: Box::new(peer),
        });
        id
    }

    /// Adds a NAT whose public address `public_ip` lives in `outer` (usually
    /// [`Realm::Public`]); hosts go behind it with `Realm::Behind(id)`.
    ///
    /// # Panics
    ///
    /// If `public_ip` is already owned in `outer`, or `outer` does not exist.
    pub fn add_nat(
        &mut self,
        name: &'static str,
        outer: Realm,
        public_ip: IpAddr,
        config: NatConfig,
    ) -> NatId {
        self.check_realm(outer);
        let id = NatId(self.nats.len() as u32);
        self.claim(outer, public_ip, Owner::Nat(id), name);
        let rng = seed::sim_rng(self.seed, "nat", u64::from(id.0));
        self.nats
            .push(Nat::new(name, public_ip, outer, config, rng));
        id
    }

    /// Replaces a host's link settings (to cut a link, say); the links' RNG streams and queues
    /// carry on.
    pub fn set_link(&mut self, host: HostId, link: LinkConfig) {
        let h = &mut self.hosts[host.0 as usize];
        h.up.config = link.up;
        h.down.config = link.down;
    }

    /// Turns recording of [`TraceEntry`]s on or off (off by default; it allocates). The trace
    /// hash is kept either way.
    pub fn record_trace(&mut self, on: bool) {
        self.trace.set_recording(on);
    }

    // Getters.

    /// The scenario seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual time zero of this run.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time elapsed since the epoch.
    pub fn elapsed(&self) -> Duration {
        self.now - self.epoch
    }

    /// A `CryptoRng` for a peer named `name`, derived from the scenario seed.
    pub fn peer_rng(&self, name: &str) -> rand_chacha::ChaCha20Rng {
        peer_rng(self.seed, name)
    }

    /// The peer of `host`, as its concrete type.
    ///
    /// # Panics
    ///
    /// If the peer is not a `P`.
    pub fn peer<P: Peer>(&self, host: HostId) -> &P {
        let h = &self.hosts[host.0 as usize];
        let any: &dyn Any = &*h.peer;
        any.downcast_ref()
            .unwrap_or_else(|| wrong_type::<P>(h.name))
    }

    /// The peer of `host`, mutably, to issue commands between steps.
    ///
    /// # Panics
    ///
    /// If the peer is not a `P`.
    pub fn peer_mut<P: Peer>(&mut self, host: HostId) -> &mut P {
        let h = &mut self.hosts[host.0 as usize];
        let any: &mut dyn Any = &mut *h.peer;
        any.downcast_mut()
            .unwrap_or_else(|| wrong_type::<P>(h.name))
    }

    /// A host's name.
    pub fn host_name(&self, host: HostId) -> &'static str {
        self.hosts[host.0 as usize].name
    }

    /// A host's addresses.
    pub fn host_addrs(&self, host: HostId) -> &[IpAddr] {
        &self.hosts[host.0 as usize].addrs
    }

    /// A NAT's name.
    pub fn nat_name(&self, nat: NatId) -> &'static str {
        self.nats[nat.0 as usize].name
    }

    /// A NAT's public address.
    pub fn nat_public_ip(&self, nat: NatId) -> IpAddr {
        self.nats[nat.0 as usize].public_ip
    }

    /// A NAT's live mappings, oldest first.
    pub fn nat_mappings(&self, nat: NatId) -> impl Iterator<Item = MappingInfo> + '_ {
        self.nats[nat.0 as usize].mappings(self.now)
    }

    /// The running hash of every trace entry so far: equal for equal runs.
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    /// The recorded entries (empty unless [`Sim::record_trace`] is on).
    pub fn trace(&self) -> &[TraceEntry] {
        self.trace.entries()
    }

    /// The recorded entries, one per line.
    pub fn trace_dump(&self) -> String {
        self.trace().iter().map(|e| format!("{e}\n")).collect()
    }

    /// Datagram counters.
    pub fn stats(&self) -> &Stats {
        &self.trace.stats
    }

    /// Datagram copies in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// The seed and the command that replays this run; put it in assertion messages.
    pub fn replay_hint(&self) -> String {
        replay_hint(self.seed)
    }

    fn check_realm(&self, realm: Realm) {
        if let Realm::Behind(nat) = realm {
            assert!((nat.0 as usize) < self.nats.len(), "no NAT {nat:?}");
        }
    }

    fn claim(&mut self, realm: Realm, ip: IpAddr, owner: Owner, name: &str) {
        let old = self.owners.insert((realm, ip), owner);
        assert!(old.is_none(), "{name}: {ip} is already taken in {realm:?}");
    }
}

impl Drop for Sim {
    /// A test that panics while its simulator is alive prints the seed and how to replay it.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("simulator at {:?}: {}", self.elapsed(), self.replay_hint());
        }
    }
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.seed)
            .field("elapsed", &self.elapsed())
            .field("hosts", &self.hosts.len())
            .field("nats", &self.nats.len())
            .field("in_flight", &self.queue.len())
            .field("stats", self.stats())
            .finish_non_exhaustive()
    }
}

fn wrong_type<P>(host: &str) -> ! {
    panic!("host {host} does not hold a {}", std::any::type_name::<P>())
}

//! A two-agent ICE session in the simulator, built from a [`ScenarioConfig`].
//!
//! The network: a public STUN server at `203.0.113.1:3478`; agent `a` on `10.0.1.2:5000` and
//! agent `b` on `10.0.2.2:5000`, each either directly on the public internet (with public
//! addresses `203.0.113.10` and `203.0.113.20`) or behind its own NAT (public
//! `198.51.100.1` and `198.51.100.2`). Agent `a` is controlling, `b` controlled (unless the
//! config says otherwise). Signalling is out of band and instant: credentials are exchanged at
//! the start, candidates trickle across after every simulator step (or all at once after
//! gathering, for [`Signalling::AfterGathering`]). With [`ScenarioConfig::use_turn_server`], a
//! public TURN server ([`TurnRelay`]) at `203.0.113.3:3478` gives both agents relayed
//! candidates.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sansrtc::ice::{Agent, Candidate, IceConfig, IceConnectionState, Role};

use crate::ice::{IcePeer, StunServer};
use crate::sim::{HostId, LinkConfig, NatConfig, NatId, Realm, Sim, TurnRelay};

/// The STUN server's address in every scenario.
pub const STUN_SERVER: &str = "203.0.113.1:3478";
/// The TURN server's address, when the scenario has one.
pub const TURN_SERVER: &str = "203.0.113.3:3478";
/// The TURN server's realm, user and password.
pub const TURN_CREDENTIALS: [&str; 3] = ["sansrtc.sim", "sim-user", "sim-password"];

/// The NAT in front of one agent, named by RFC 4787 mapping and filtering behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    /// No NAT: the agent has a public address.
    None,
    /// Endpoint-independent mapping and filtering (a "full cone").
    EndpointIndependent,
    /// Endpoint-independent mapping, address-and-port-dependent filtering ("port restricted
    /// cone", the common home router).
    PortRestricted,
    /// Address-dependent mapping and filtering.
    AddressDependent,
    /// Address-and-port-dependent mapping and filtering ("symmetric").
    AddressAndPortDependent,
}

impl NatKind {
    /// Every kind, for sweeping combinations.
    pub const ALL: [Self; 5] = [
        Self::None,
        Self::EndpointIndependent,
        Self::PortRestricted,
        Self::AddressDependent,
        Self::AddressAndPortDependent,
    ];

    fn config(self) -> Option<NatConfig> {
        use crate::sim::{FilteringBehavior as F, MappingBehavior as M};
        match self {
            Self::None => None,
            Self::EndpointIndependent => Some(NatConfig::full_cone()),
            Self::PortRestricted => Some(NatConfig::port_restricted_cone()),
            Self::AddressDependent => {
                Some(NatConfig::new(M::AddressDependent, F::AddressDependent))
            }
            Self::AddressAndPortDependent => Some(NatConfig::symmetric()),
        }
    }

    /// Whether the mapping depends on the destination (the server-reflexive address learnt
    /// from the STUN server is then useless to other peers).
    pub fn is_destination_dependent_mapping(self) -> bool {
        matches!(self, Self::AddressDependent | Self::AddressAndPortDependent)
    }
}

/// How candidates travel between the agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalling {
    /// Each candidate is handed over as soon as it is gathered (RFC 8838); end-of-candidates
    /// follows gathering.
    Trickle,
    /// Nothing is handed over until gathering completes, then all candidates and
    /// end-of-candidates at once (classic offer/answer).
    AfterGathering,
    /// Candidates trickle, but end-of-candidates is never signalled.
    TrickleNoEnd,
}

/// What to build.
#[derive(Debug, Clone)]
pub struct ScenarioConfig {
    /// The scenario seed: links, NATs and both agents' RNGs derive from it.
    pub seed: u64,
    /// The NAT in front of agent `a`.
    pub nat_a: NatKind,
    /// The NAT in front of agent `b`.
    pub nat_b: NatKind,
    /// Access link of agent `a`.
    pub link_a: LinkConfig,
    /// Access link of agent `b`.
    pub link_b: LinkConfig,
    /// Agent `a`'s configuration.
    pub ice_a: IceConfig,
    /// Agent `b`'s configuration.
    pub ice_b: IceConfig,
    /// Agent `a`'s initial role.
    pub role_a: Role,
    /// Agent `b`'s initial role.
    pub role_b: Role,
    /// Whether the agents gather server-reflexive candidates from the STUN server.
    pub use_stun_server: bool,
    /// Whether a public TURN server ([`TURN_SERVER`]) is added and both agents allocate
    /// relayed candidates on it (off by default).
    pub use_turn_server: bool,
    /// How candidates are signalled.
    pub signalling: Signalling,
    /// The agents' addresses when behind a NAT (private realms may reuse addresses).
    pub private_ips: [&'static str; 2],
}

impl ScenarioConfig {
    /// Two agents with default ICE settings, no NATs, 25 ms links, trickle signalling.
    pub fn new(seed: u64) -> Self {
        let link = LinkConfig::with_latency(Duration::from_millis(25));
        Self {
            seed,
            nat_a: NatKind::None,
            nat_b: NatKind::None,
            link_a: link,
            link_b: link,
            ice_a: IceConfig::default(),
            ice_b: IceConfig::default(),
            role_a: Role::Controlling,
            role_b: Role::Controlled,
            use_stun_server: true,
            use_turn_server: false,
            signalling: Signalling::Trickle,
            private_ips: ["10.0.1.2", "10.0.2.2"],
        }
    }

    /// Sets both NATs.
    pub fn nats(mut self, a: NatKind, b: NatKind) -> Self {
        self.nat_a = a;
        self.nat_b = b;
        self
    }

    /// Sets both access links.
    pub fn links(mut self, link: LinkConfig) -> Self {
        self.link_a = link;
        self.link_b = link;
        self
    }
}

/// A built scenario: the simulator and the ids of its hosts.
pub struct IceScenario {
    /// The simulator; drive it through the scenario's methods or directly.
    pub sim: Sim,
    /// Agent `a`'s host.
    pub a: HostId,
    /// Agent `b`'s host.
    pub b: HostId,
    /// The STUN server's host.
    pub stun: HostId,
    /// The TURN server's host, with [`ScenarioConfig::use_turn_server`].
    pub turn: Option<HostId>,
    /// NATs in front of `a` and `b`, where there are any.
    pub nats: [Option<NatId>; 2],
    signalling: Signalling,
    ended: [bool; 2],
}

impl IceScenario {
    /// Builds the network and both agents, exchanges credentials, and reports host
    /// addresses and the STUN server to the agents. Nothing has run yet.
    pub fn new(config: ScenarioConfig) -> Self {
        let mut sim = Sim::new(config.seed);
        let stun_addr: SocketAddr = STUN_SERVER.parse().expect("constant address");
        let stun = sim.add_host(
            "stun",
            &[stun_addr.ip()],
            Realm::Public,
            LinkConfig::with_latency(Duration::from_millis(5)),
            StunServer::new(),
        );

        let mut hosts = [None, None];
        let mut nats = [None, None];
        let sides = [
            (
                "a",
                config.nat_a,
                config.link_a,
                &config.ice_a,
                config.role_a,
            ),
            (
                "b",
                config.nat_b,
                config.link_b,
                &config.ice_b,
                config.role_b,
            ),
        ];
        let now = sim.now();
        let turn_addr: SocketAddr = TURN_SERVER.parse().expect("constant address");
        let [turn_realm, user, password] = TURN_CREDENTIALS;
        let relay = TurnRelay::new(turn_addr, turn_realm, user, password);
        for (i, (name, nat, link, ice, role)) in sides.into_iter().enumerate() {
            let (realm, local_ip) = match nat.config() {
                None => (Realm::Public, ip(["203.0.113.10", "203.0.113.20"][i])),
                Some(nat_config) => {
                    let public = ip(["198.51.100.1", "198.51.100.2"][i]);
                    let nat_name = ["nat-a", "nat-b"][i];
                    let id = sim.add_nat(nat_name, Realm::Public, public, nat_config);
                    nats[i] = Some(id);
                    (Realm::Behind(id), ip(config.private_ips[i]))
                }
            };
            let mut rng = sim.peer_rng(name);
            let mut agent = Agent::new(ice.clone(), role, now, &mut rng);
            agent
                .add_host_address(now, SocketAddr::new(local_ip, 5000))
                .expect("host address accepted");
            if config.use_stun_server && !ice.lite {
                agent
                    .add_stun_server(now, stun_addr)
                    .expect("stun server accepted");
            }
            if config.use_turn_server && !ice.lite {
                agent
                    .add_turn_server(now, relay.client_config(), &mut rng)
                    .expect("turn server accepted");
            }
            let mut peer = IcePeer::new(agent, rng);
            peer.drain_events(now);
            hosts[i] = Some(sim.add_host(name, &[local_ip], realm, link, peer));
        }
        let [Some(a), Some(b)] = hosts else {
            unreachable!("both hosts were added above")
        };
        // Added last, so that scenarios without it keep their hosts' indices (and link seeds).
        let turn = config.use_turn_server.then(|| {
            let link = LinkConfig::with_latency(Duration::from_millis(5));
            sim.add_host("turn", &[turn_addr.ip()], Realm::Public, link, relay)
        });

        let mut scenario = Self {
            sim,
            a,
            b,
            stun,
            turn,
            nats,
            signalling: config.signalling,
            ended: [false, false],
        };
        let now = scenario.sim.now();
        let creds_a = scenario.agent(a).local_credentials().clone();
        let creds_b = scenario.agent(b).local_credentials().clone();
        scenario.agent_mut(a).set_remote_credentials(now, creds_b);
        scenario.agent_mut(b).set_remote_credentials(now, creds_a);
        scenario.signal();
        scenario
    }

    /// The agent on `host`.
    pub fn agent(&self, host: HostId) -> &Agent {
        &self.sim.peer::<IcePeer>(host).agent
    }

    /// The agent on `host`, for commands. Call [`IceScenario::settle`] afterwards so the
    /// command's events are logged and its candidates signalled.
    pub fn agent_mut(&mut self, host: HostId) -> &mut Agent {
        &mut self.sim.peer_mut::<IcePeer>(host).agent
    }

    /// The peer wrapper on `host` (event log, RNG).
    pub fn peer(&self, host: HostId) -> &IcePeer {
        self.sim.peer::<IcePeer>(host)
    }

    /// The peer wrapper on `host`, mutable.
    pub fn peer_mut(&mut self, host: HostId) -> &mut IcePeer {
        self.sim.peer_mut::<IcePeer>(host)
    }

    /// Logs pending events of both agents and signals candidates; call after commands.
    pub fn settle(&mut self) {
        let now = self.sim.now();
        for host in [self.a, self.b] {
            self.peer_mut(host).drain_events(now);
        }
        self.signal();
    }

    /// The TURN server, with [`ScenarioConfig::use_turn_server`].
    pub fn turn_server(&self) -> Option<&TurnRelay> {
        self.turn.map(|host| self.sim.peer::<TurnRelay>(host))
    }

    /// The current connection state of the agent on `host`.
    pub fn state(&self, host: HostId) -> IceConnectionState {
        self.agent(host).state()
    }

    /// Runs one simulator step and then the signalling loop. Returns `false` when nothing is
    /// left to do.
    pub fn step(&mut self) -> bool {
        let more = self.sim.step();
        self.signal();
        more
    }

    /// Runs until `cond` holds or `limit` of virtual time has passed from now; returns whether
    /// `cond` held.
    pub fn run_until(&mut self, limit: Duration, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let deadline = self.sim.now() + limit;
        loop {
            if cond(self) {
                return true;
            }
            if self.sim.now() >= deadline || !self.step() {
                return cond(self);
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let deadline = self.sim.now() + d;
        while self.sim.now() < deadline && self.step() {}
    }

    /// Runs until both agents are connected (or completed), within `limit`.
    pub fn run_until_connected(&mut self, limit: Duration) -> bool {
        self.run_until(limit, |s| {
            is_connected(s.state(s.a)) && is_connected(s.state(s.b))
        })
    }

    /// Runs until both agents have reached a final state (connected, completed or failed)
    /// and neither is still checking, within `limit`.
    pub fn run_until_settled(&mut self, limit: Duration) -> bool {
        self.run_until(limit, |s| {
            [s.a, s.b].iter().all(|&h| {
                matches!(
                    s.state(h),
                    IceConnectionState::Connected
                        | IceConnectionState::Completed
                        | IceConnectionState::Failed
                )
            })
        })
    }

    /// The seed and the command that replays this run, for assertion messages.
    pub fn replay_hint(&self) -> String {
        self.sim.replay_hint()
    }

    /// Restarts ICE on both agents (RFC 8445 section 9): new credentials on both sides,
    /// exchanged at once, and candidates gathered and signalled again.
    pub fn restart_both(&mut self) {
        let now = self.sim.now();
        for host in [self.a, self.b] {
            let peer = self.peer_mut(host);
            peer.agent.restart(now, &mut peer.rng);
        }
        let creds_a = self.agent(self.a).local_credentials().clone();
        let creds_b = self.agent(self.b).local_credentials().clone();
        self.agent_mut(self.a).set_remote_credentials(now, creds_b);
        self.agent_mut(self.b).set_remote_credentials(now, creds_a);
        self.ended = [false, false];
        self.settle();
    }

    /// Cuts `host`'s access link (everything lost both ways) or restores it to `link`.
    pub fn set_link(&mut self, host: HostId, link: LinkConfig) {
        self.sim.set_link(host, link);
    }

    /// Both agents' event logs and statistics, for a failing test to print.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for host in [self.a, self.b] {
            let name = self.sim.host_name(host);
            for (t, e) in self.peer(host).events() {
                out += &format!("{name} {:?} {e:?}\n", *t - self.sim.epoch());
            }
            out += &format!("{name} {:?}\n", self.agent(host).stats());
        }
        if let Some(turn) = self.turn_server() {
            out += &format!("turn {:?}\n", turn.stats);
        }
        out
    }

    /// The time elapsed since the scenario started.
    pub fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    /// Hands candidates over between the agents according to the signalling mode.
    fn signal(&mut self) {
        let now = self.sim.now();
        let hosts = [self.a, self.b];
        for (i, &from) in hosts.iter().enumerate() {
            let to = hosts[1 - i];
            if self.signalling == Signalling::AfterGathering && !self.gathered(from) {
                continue;
            }
            let candidates: Vec<Candidate> = self.peer_mut(from).take_candidates();
            let done = self.peer_mut(from).take_gathering_done();
            let receiver = self.peer_mut(to);
            for c in candidates {
                // A full agent may refuse (limits); the scenario carries on like signalling.
                let _ = receiver.agent.add_remote_candidate(now, c);
            }
            if done && self.signalling != Signalling::TrickleNoEnd && !self.ended[i] {
                self.ended[i] = true;
                self.peer_mut(to).agent.end_of_remote_candidates(now);
            }
            self.peer_mut(to).drain_events(now);
        }
    }

    fn gathered(&self, host: HostId) -> bool {
        let peer = self.peer(host);
        peer.events()
            .iter()
            .any(|(_, e)| matches!(e, sansrtc::ice::IceEvent::GatheringComplete))
    }

    /// The time at which `host` first reached `state`, relative to the scenario start.
    pub fn time_to(&self, host: HostId, state: IceConnectionState) -> Option<Duration> {
        self.peer(host)
            .first_time_in(state)
            .map(|t: Instant| t - self.sim.epoch())
    }
}

/// Whether `state` is one in which media can flow.
pub fn is_connected(state: IceConnectionState) -> bool {
    matches!(
        state,
        IceConnectionState::Connected | IceConnectionState::Completed
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("constant address")
}

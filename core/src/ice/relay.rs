//! Relayed candidates (RFC 8445 section 5.1.1.2 with RFC 8656): the agent's TURN allocations,
//! the candidates they yield, and framing what goes through them.
//!
//! A relayed candidate's address is on the TURN server; everything "sent from" it is framed
//! for the server and leaves from the allocation's host base, and everything the server
//! relays back is unwrapped and handled as if it had arrived on the relayed address.

use std::net::SocketAddr;
use std::time::Instant;

use rand_core::CryptoRng;
use smallvec::SmallVec;

use crate::ice::agent::{Agent, MAX_LOCAL_CANDIDATES, same_family};
use crate::ice::checklist::Added;
use crate::ice::pair::PairState;
use crate::ice::{Candidate, CandidateError, CandidateKind, IceEvent};
use crate::net::{DatagramKind, Receive, Transmit};
use crate::stun::{Message, is_stun};
use crate::turn::{AllocEvent, Allocation, State, TurnServer, wire};

/// The most TURN servers an agent allocates on.
pub(crate) const MAX_TURN_SERVERS: usize = 4;
/// The most allocations an agent holds (servers × host bases of their family).
pub(crate) const MAX_ALLOCATIONS: usize = 8;

/// What [`Agent::handle_relay`] made of a datagram.
#[derive(Debug)]
pub enum RelayInput<'a> {
    /// Not from a TURN server: handle it as it is.
    Direct(Receive<'a>),
    /// Relayed by a TURN server: the payload, from the peer, to our relayed address.
    Relayed(Receive<'a>),
    /// A TURN control message, taken in (or dropped and counted).
    Consumed,
}

impl Agent {
    /// Adds a TURN server to allocate relayed candidates on, one allocation from every host
    /// address of its family, now and as hosts are added. Not for ice-lite agents.
    ///
    /// Adding a server twice does nothing. Fails past four servers.
    pub fn add_turn_server(
        &mut self,
        now: Instant,
        server: TurnServer,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), CandidateError> {
        self.clamp(now);
        self.check_server(server.addr)?;
        if self.turn_servers.iter().any(|s| s.addr == server.addr) {
            return Ok(());
        }
        if self.turn_servers.len() >= MAX_TURN_SERVERS {
            return Err(CandidateError::TooManyCandidates);
        }
        if self.turn_servers.is_empty() {
            rng.fill_bytes(&mut self.relay_salt);
        }
        let bases: SmallVec<[SocketAddr; 8]> = self
            .hosts()
            .map(Candidate::addr)
            .filter(|b| same_family(*b, server.addr))
            .collect();
        self.turn_servers.push(server.clone());
        for base in bases {
            self.allocate(now, server.clone(), base);
        }
        self.gathering_reported = false;
        self.arm_timers();
        Ok(())
    }

    /// Takes a datagram from a TURN server apart before anything else looks at it: relayed
    /// data comes back as [`RelayInput::Relayed`] with the peer as source and our relayed
    /// address as destination (the payload borrowed in place); responses to the allocation's
    /// requests are consumed. Without TURN servers this is a no-op.
    pub fn handle_relay<'a>(&mut self, now: Instant, rx: Receive<'a>) -> RelayInput<'a> {
        let Some(i) = self
            .relays
            .iter()
            .position(|a| a.is_from_server(rx.source, rx.destination))
        else {
            return RelayInput::Direct(rx);
        };
        let now = self.clamp(now);
        let relay = &mut self.relays[i];
        let unwrapped = match rx.kind() {
            DatagramKind::TurnChannel => relay.unwrap_channel(rx.contents),
            DatagramKind::Stun if is_stun(rx.contents) => {
                let Ok(msg) = Message::new_checked(&*rx.contents) else {
                    return RelayInput::Direct(rx);
                };
                if relay.handle_response(now, &msg) {
                    self.after_relay_input();
                    return RelayInput::Consumed;
                }
                relay.unwrap_data(&msg)
            }
            // Not TURN (the server may also be our STUN server): handle it as it is.
            _ => return RelayInput::Direct(rx),
        };
        let Some((peer, range)) = unwrapped else {
            return RelayInput::Direct(rx);
        };
        let Some(relayed) = relay.relayed() else {
            return RelayInput::Consumed;
        };
        let Receive {
            transport,
            contents,
            ..
        } = rx;
        match contents.get_mut(range) {
            Some(payload) => RelayInput::Relayed(Receive {
                source: peer,
                destination: relayed,
                transport,
                contents: payload,
            }),
            None => RelayInput::Consumed,
        }
    }

    /// Frames `t` for the TURN server when it leaves from one of our relayed addresses (the
    /// payload is `buf[..t.len]`, with [`relay_headroom`](Self::relay_headroom) spare bytes
    /// after it); other transmits pass unchanged. `None`: dropped (counted in the TURN stats).
    pub fn wrap_relayed(&mut self, now: Instant, t: Transmit, buf: &mut [u8]) -> Option<Transmit> {
        if self.relays.is_empty() {
            return Some(t);
        }
        let now = self.clamp(now);
        // A failed allocation's address is matched too: what would leave from it is dropped
        // (and counted), never sent unframed from the host socket.
        let Some(relay) = self
            .relays
            .iter_mut()
            .find(|a| a.last_relayed() == Some(t.source))
        else {
            return Some(t);
        };
        let len = relay.wrap(now, t.destination, t.len, buf)?;
        let wrapped = Transmit {
            source: relay.base(),
            destination: relay.server(),
            transport: t.transport,
            len,
        };
        // A first send to a peer asks for a channel (and a permission): time that request.
        if relay.has_queued() {
            self.arm_timers();
        }
        Some(wrapped)
    }

    /// How many bytes to leave free after a datagram sent from `local` for
    /// [`wrap_relayed`](Self::wrap_relayed) to frame it: 0 unless `local` is relayed.
    pub fn relay_headroom(&self, local: SocketAddr) -> usize {
        if self.relays.iter().any(|a| a.last_relayed() == Some(local)) {
            wire::MAX_SEND_OVERHEAD
        } else {
            0
        }
    }

    /// After [`close`](Self::close): the requests that release our allocations (a Refresh
    /// with LIFETIME 0 each, sent once). Poll after the last datagram of the closing peer
    /// connection has been framed, so that it still reaches the peer.
    pub fn poll_release(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        if !self.is_closed() {
            return None;
        }
        self.relays.iter_mut().find_map(|a| a.poll_transmit(buf))
    }

    // ---- internals ----

    /// Starts an allocation on `server` from `base`, within the limits.
    pub(crate) fn allocate(&mut self, now: Instant, server: TurnServer, base: SocketAddr) {
        if self.relays.len() >= MAX_ALLOCATIONS
            || self
                .relays
                .iter()
                .any(|a| a.server() == server.addr && a.base() == base)
        {
            return;
        }
        let mut salt = self.relay_salt;
        salt[0] ^= u8::try_from(self.relays.len()).unwrap_or(0);
        let rto = self.config.check_rto;
        self.relays
            .push(Allocation::new(server, base, rto, now, salt));
    }

    /// Starts allocations on every TURN server of `host`'s family (a host address added).
    pub(crate) fn allocate_from(&mut self, now: Instant, host: SocketAddr) {
        let servers: SmallVec<[TurnServer; MAX_TURN_SERVERS]> = self
            .turn_servers
            .iter()
            .filter(|s| same_family(s.addr, host))
            .cloned()
            .collect();
        for server in servers {
            self.allocate(now, server, host);
        }
    }

    /// Whether no allocation is still waiting for its first answer.
    pub(crate) fn relays_settled(&self) -> bool {
        self.relays.iter().all(|a| a.state() != State::Allocating)
    }

    /// The allocation timers, for the timer table.
    pub(crate) fn relay_deadline(&self) -> Option<Instant> {
        self.relays
            .iter()
            .filter_map(Allocation::poll_timeout)
            .min()
    }

    /// Retransmissions, timeouts and refreshes of the allocations.
    pub(crate) fn run_relays(&mut self, now: Instant) {
        for relay in &mut self.relays {
            if relay.poll_timeout().is_some_and(|t| t <= now) {
                relay.handle_timeout(now);
            }
        }
        self.take_relay_events();
    }

    /// Next TURN request of a live allocation, for `poll_transmit`.
    pub(crate) fn poll_relay_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        self.relays.iter_mut().find_map(|a| a.poll_transmit(buf))
    }

    /// Releases every allocation (on close).
    pub(crate) fn release_relays(&mut self, now: Instant) {
        for relay in &mut self.relays {
            relay.release(now);
        }
    }

    /// Asks every allocation of `remote`'s family for a permission to its address.
    pub(crate) fn permit(&mut self, remote: SocketAddr) {
        let now = self.last_now;
        for relay in &mut self.relays {
            if same_family(relay.base(), remote) {
                relay.ensure_permission(now, remote.ip());
            }
        }
    }

    fn after_relay_input(&mut self) {
        self.take_relay_events();
        self.update_state();
        self.arm_timers();
    }

    /// Turns allocation events into relayed candidates (paired with the remote candidates of
    /// their family, each given a permission) and failure reports.
    fn take_relay_events(&mut self) {
        let mut events: SmallVec<[(usize, AllocEvent); 4]> = SmallVec::new();
        for (i, relay) in self.relays.iter_mut().enumerate() {
            while let Some(e) = relay.poll_event() {
                events.push((i, e));
            }
        }
        for (i, event) in events {
            match event {
                AllocEvent::Allocated { relayed, mapped } => {
                    self.add_relayed(i, relayed, mapped);
                }
                AllocEvent::Failed(error) => {
                    if let Some(relayed) = self.relays[i].last_relayed() {
                        self.drop_relayed(relayed);
                    }
                    let server = self.relays[i].server();
                    self.events
                        .push_back(IceEvent::RelayFailed { server, error });
                }
            }
        }
    }

    /// A relayed address is gone: its candidate and pairs fail, and a path selected on it is
    /// lost as if consent had expired (the application may restart ICE, which allocates
    /// again).
    fn drop_relayed(&mut self, relayed: SocketAddr) {
        self.local.retain(|c| c.addr() != relayed);
        for p in self
            .checklist
            .pairs
            .iter_mut()
            .filter(|p| p.local == relayed)
        {
            p.state = PairState::Failed;
            p.valid = false;
            p.check = None;
            p.triggered = None;
            p.nominate_on_success = false;
        }
        if self.selected.as_ref().is_some_and(|s| s.local == relayed) {
            self.fail();
        }
    }

    /// Replaces failed allocations by new ones on the same server and base (ICE restart).
    pub(crate) fn reallocate_failed(&mut self, now: Instant) {
        let failed: SmallVec<[(TurnServer, SocketAddr); 4]> = self
            .relays
            .iter()
            .filter(|a| matches!(a.state(), State::Failed(_)))
            .map(|a| (a.server_config().clone(), a.base()))
            .collect();
        if failed.is_empty() {
            return;
        }
        self.relays
            .retain(|a| !matches!(a.state(), State::Failed(_)));
        for (server, base) in failed {
            self.allocate(now, server, base);
        }
    }

    /// Adds allocation `i`'s relayed candidate, paired with the remote candidates of its family,
    /// each given a permission on it (those signalled before the allocation existed have none).
    fn add_relayed(&mut self, i: usize, relayed: SocketAddr, mapped: Option<SocketAddr>) {
        let (server, base) = (self.relays[i].server(), self.relays[i].base());
        let Some(host) = self.hosts().find(|h| h.addr() == base).cloned() else {
            return;
        };
        if self.local.len() >= MAX_LOCAL_CANDIDATES
            || self.local.iter().any(|c| c.addr() == relayed)
        {
            return;
        }
        let c = Candidate::relayed(relayed, mapped, &host, server);
        self.events.push_back(IceEvent::LocalCandidate(c.clone()));
        if !self.config.lite {
            let now = self.last_now;
            for r in self
                .remote
                .iter()
                .filter(|r| same_family(r.addr(), relayed))
            {
                if self.checklist.add(&c, r, self.role) == Added::Dropped {
                    self.stats.pairs_dropped += 1;
                }
                self.relays[i].ensure_permission(now, r.addr().ip());
            }
        }
        self.local.push(c);
    }
}

/// Whether pairs are formed from local candidate `c`: hosts (unless relay-only) and relayed
/// candidates; reflexive ones are replaced by their base (RFC 8445 section 6.1.2.4).
pub(crate) fn pairable(c: &Candidate, relay_only: bool) -> bool {
    match c.kind() {
        CandidateKind::Host => !relay_only,
        CandidateKind::Relayed => true,
        _ => false,
    }
}

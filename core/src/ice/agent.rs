//! The ICE agent: state, getters, commands, pair selection and the `poll_*` outputs.
//!
//! Network input (`handle_stun`) is in `inbound.rs`, timers (`handle_timeout`) in
//! `schedule.rs`, message writing (`poll_transmit`'s encoder) in `outbound.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::CryptoRng;

use crate::Transmit;
use crate::ice::candidate::{COMPONENT_RTP, is_usable};
use crate::ice::checklist::{Added, CheckList};
use crate::ice::event::EventQueue;
use crate::ice::relay::pairable;
use crate::ice::timer::TimerTable;
use crate::ice::{
    Candidate, CandidateError, CandidateKind, Credentials, IceConfig, IceConnectionState, IceEvent,
    IceStats, Role,
};
use crate::stun::{AttributeType, MAX_UNKNOWN, RetransmitTimer, TransactionId};
use crate::turn::{Allocation, TurnServer};

/// The most host addresses an agent takes.
pub(crate) const MAX_HOSTS: usize = 8;
/// The most STUN servers an agent gathers from.
pub(crate) const MAX_STUN_SERVERS: usize = 4;
/// The most local candidates: hosts, server-reflexive (at most one per host and server) and
/// local peer-reflexive ones learned from checks.
pub(crate) const MAX_LOCAL_CANDIDATES: usize = 64;
/// Rm for checks and gathering requests: after the last send wait this many RTOs.
pub(crate) const CHECK_LAST_WAIT_FACTOR: u32 = 8;
/// Outgoing messages waiting for `poll_transmit`. Drained after every call, so this only
/// bounds a caller that does not drain.
pub(crate) const OUTBOX_LIMIT: usize = 64;
/// Responses to the peer's checks among those (a flood of checks cannot fill the outbox).
pub(crate) const MAX_QUEUED_RESPONSES: usize = 32;
/// Consent transactions remembered, so a late answer to an earlier one still counts.
pub(crate) const CONSENT_TIDS: usize = 4;

/// A message waiting in the outbox; it is written into the caller's buffer by
/// `poll_transmit`, from the state at that moment.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outgoing {
    /// A check (first send or retransmission) of the pair with this transaction in flight.
    Check(TransactionId),
    /// A Binding request to a STUN server.
    Gather(TransactionId),
    /// A consent freshness check on the selected pair.
    Consent(TransactionId),
    /// A Binding indication keepalive on the selected pair.
    Keepalive(TransactionId),
    /// A response to a check.
    Response {
        tid: TransactionId,
        local: SocketAddr,
        remote: SocketAddr,
        /// Success, 487 or 420.
        reply: Reply,
        /// Answer with the credentials of the selected pair's session (after a restart).
        old_session: bool,
    },
}

/// The kind of answer to a check (RFC 8445 section 7.3, RFC 8489 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Success with XOR-MAPPED-ADDRESS.
    Success,
    /// 487 Role Conflict (RFC 8445 section 7.3.1.1).
    RoleConflict,
    /// 420 Unknown Attribute listing the first `len` of `list` (RFC 8489 section 6.3.1).
    UnknownAttributes {
        list: [AttributeType; MAX_UNKNOWN],
        len: u8,
    },
}

impl Reply {
    /// A 420 answer listing `unknown` (at most [`MAX_UNKNOWN`] are kept).
    pub(crate) fn unknown_attributes(unknown: &[AttributeType]) -> Self {
        let mut list = [AttributeType(0); MAX_UNKNOWN];
        let mut len = 0;
        for (slot, kind) in list.iter_mut().zip(unknown) {
            *slot = *kind;
            len += 1;
        }
        Self::UnknownAttributes { list, len }
    }
}

#[derive(Debug)]
pub(crate) enum GatherState {
    Pending,
    InFlight {
        tid: TransactionId,
        timer: RetransmitTimer,
    },
    Done,
}

/// One server-reflexive gathering transaction: a host base asking a STUN server.
#[derive(Debug)]
pub(crate) struct Gather {
    pub(crate) server: SocketAddr,
    pub(crate) base: SocketAddr,
    pub(crate) state: GatherState,
}

/// The selected pair and its consent freshness state (RFC 7675).
#[derive(Debug)]
pub(crate) struct Selected {
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) priority: u64,
    /// PRIORITY sent in consent checks.
    pub(crate) prflx_priority: u32,
    /// The ICE session (restart generation) the pair was selected in.
    pub(crate) generation: u32,
    /// Local credentials of that session: checks from the peer under them are still answered.
    pub(crate) local_creds: Credentials,
    /// USERNAME of consent checks: remote ufrag ":" local ufrag of that session.
    pub(crate) username: String,
    /// The remote password of that session.
    pub(crate) remote_pwd: String,
    pub(crate) consent_tids: [Option<TransactionId>; CONSENT_TIDS],
    pub(crate) consent_cursor: usize,
    /// When the next consent check goes out.
    pub(crate) consent_next: Instant,
    /// When it goes out if the one in flight is answered.
    pub(crate) consent_after_answer: Instant,
    /// The first consent check sent since the last response.
    pub(crate) unanswered_since: Option<Instant>,
    /// The last consent response (full agent) or check on this pair (ice-lite).
    pub(crate) last_response: Instant,
    /// The last message sent on the pair, for keepalives.
    pub(crate) last_sent: Instant,
}

/// A full or ice-lite ICE agent (RFC 8445) for one data stream with one component, with
/// trickle ICE (RFC 8838) and consent freshness (RFC 7675).
///
/// The agent is a sans-IO state machine. It never reads a clock, touches a socket or owns a
/// random source: time comes in as `now`, randomness as a `&mut dyn CryptoRng` borrowed by
/// the methods that draw, datagrams as [`Receive`](crate::Receive) and go out through
/// [`poll_transmit`](Self::poll_transmit).
///
/// # Drain rule
///
/// After any `handle_*` call or command, call [`poll_transmit`](Self::poll_transmit) until it
/// returns `None`, then [`poll_event`](Self::poll_event) until it returns `None`, then read
/// [`poll_timeout`](Self::poll_timeout) and call [`handle_timeout`](Self::handle_timeout) at
/// that instant (or earlier, with the next datagram). Polling more than needed is always
/// correct. An `Instant` earlier than one already seen is treated as the latest one seen.
///
/// # Method groups
///
/// - Getters: [`local_credentials`](Self::local_credentials), [`role`](Self::role),
///   [`state`](Self::state), [`is_lite`](Self::is_lite),
///   [`selected_pair`](Self::selected_pair), [`local_candidates`](Self::local_candidates),
///   [`stats`](Self::stats).
/// - Network input: [`handle_stun`](Self::handle_stun), after
///   [`handle_relay`](Self::handle_relay) has unwrapped what TURN servers relayed. Timers:
///   [`handle_timeout`](Self::handle_timeout).
/// - Commands: [`set_remote_credentials`](Self::set_remote_credentials),
///   [`add_host_address`](Self::add_host_address), [`add_stun_server`](Self::add_stun_server),
///   [`add_turn_server`](Self::add_turn_server),
///   [`add_remote_candidate`](Self::add_remote_candidate),
///   [`end_of_remote_candidates`](Self::end_of_remote_candidates),
///   [`restart`](Self::restart), [`close`](Self::close).
/// - Output: [`poll_transmit`](Self::poll_transmit), [`poll_event`](Self::poll_event),
///   [`poll_timeout`](Self::poll_timeout); for a caller that sends on the selected pair
///   itself, [`wrap_relayed`](Self::wrap_relayed) with
///   [`relay_headroom`](Self::relay_headroom), and [`poll_release`](Self::poll_release) after
///   [`close`](Self::close).
#[derive(Debug)]
pub struct Agent {
    pub(crate) config: IceConfig,
    pub(crate) role: Role,
    pub(crate) tie_breaker: u64,
    pub(crate) state: IceConnectionState,
    /// The state to go back to when a Disconnected pair answers again.
    pub(crate) resume_state: IceConnectionState,
    pub(crate) last_now: Instant,
    /// Incremented by each ICE restart and remote credential change.
    pub(crate) generation: u32,
    pub(crate) local_creds: Credentials,
    pub(crate) remote_creds: Option<Credentials>,
    /// USERNAME of checks in this session: remote ufrag ":" local ufrag.
    pub(crate) check_username: String,
    pub(crate) local: Vec<Candidate>,
    pub(crate) servers: Vec<SocketAddr>,
    pub(crate) gathers: Vec<Gather>,
    pub(crate) turn_servers: Vec<TurnServer>,
    /// TURN allocations (relayed candidates), see `relay.rs`.
    pub(crate) relays: Vec<Allocation>,
    /// Mixed into TURN transaction IDs; drawn when the first TURN server is added.
    pub(crate) relay_salt: [u8; 12],
    pub(crate) gathering_reported: bool,
    pub(crate) remote: Vec<Candidate>,
    pub(crate) end_of_candidates: bool,
    pub(crate) checklist: CheckList,
    pub(crate) selected: Option<Selected>,
    /// When the first pair of this session became valid (starts the nomination timeout).
    pub(crate) first_valid_at: Option<Instant>,
    /// The session has started (remote credentials set or a check received); the trickle
    /// timeout counts from the last remote activity after that.
    pub(crate) last_activity: Option<Instant>,
    /// The last Ta-paced transaction.
    pub(crate) last_paced: Option<Instant>,
    pub(crate) outbox: VecDeque<Outgoing>,
    pub(crate) events: EventQueue,
    pub(crate) timers: TimerTable,
    pub(crate) stats: IceStats,
    /// The round-trip time of the latest check answered without a retransmission.
    pub(crate) rtt: Option<Duration>,
}

impl Agent {
    /// A new agent in `role` with fresh credentials and tie-breaker drawn from `rng`.
    ///
    /// An ice-lite agent ([`IceConfig::lite`]) is always controlled, whatever `role` says.
    /// Add host addresses next, then exchange credentials and candidates with the peer.
    pub fn new(config: IceConfig, role: Role, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        let role = if config.lite { Role::Controlled } else { role };
        let max_pairs = config.max_pairs;
        Self {
            role,
            tie_breaker: rng.next_u64(),
            state: IceConnectionState::New,
            resume_state: IceConnectionState::Connected,
            last_now: now,
            generation: 0,
            local_creds: Credentials::random(rng),
            remote_creds: None,
            check_username: String::new(),
            // Candidate lists, the check list and the queues start empty and grow to what
            // the session uses (a few entries), not to their limits: an idle peer holds
            // little. Steady state (consent checks) reuses what setup grew.
            local: Vec::new(),
            servers: Vec::new(),
            gathers: Vec::new(),
            turn_servers: Vec::new(),
            relays: Vec::new(),
            relay_salt: [0; 12],
            gathering_reported: false,
            remote: Vec::new(),
            end_of_candidates: false,
            checklist: CheckList::new(max_pairs),
            selected: None,
            first_valid_at: None,
            last_activity: None,
            last_paced: None,
            outbox: VecDeque::new(),
            events: EventQueue::new(),
            timers: TimerTable::default(),
            stats: IceStats::default(),
            rtt: None,
            config,
        }
    }

    // ---- getters ----

    /// The local username fragment and password to signal to the peer. Changed by
    /// [`restart`](Self::restart).
    pub fn local_credentials(&self) -> &Credentials {
        &self.local_creds
    }

    /// The current role; a role conflict may change it ([`IceEvent::RoleChanged`]).
    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection state; every change is also reported as [`IceEvent::StateChanged`].
    pub fn state(&self) -> IceConnectionState {
        self.state
    }

    /// Whether this is an ice-lite agent.
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// The round-trip time of the latest connectivity check answered without a
    /// retransmission (checks are STUN transactions, RFC 8445 section 7.2), once one has been.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// The selected pair as (local base, remote address): where application data goes. `None`
    /// before the first nomination, after consent is lost, and after [`close`](Self::close).
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.selected.as_ref().map(|s| (s.local, s.remote))
    }

    /// The local candidates of the current session to signal: hosts, server-reflexive,
    /// relayed and peer-reflexive (with [`IceConfig::relay_only`], only relayed and
    /// peer-reflexive ones learned through the relay).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        let relay_only = self.config.relay_only;
        self.local
            .iter()
            .filter(move |c| !relay_only || c.kind() != CandidateKind::Host)
    }

    /// Counters of what the agent received, sent and dropped.
    pub fn stats(&self) -> IceStats {
        let mut stats = self.stats.clone();
        for relay in &self.relays {
            stats.turn.add(relay.stats());
        }
        stats
    }

    /// Number of remote candidates held (signalled and peer-reflexive).
    #[cfg(test)]
    pub(crate) fn remote_candidate_count(&self) -> usize {
        self.remote.len()
    }

    /// Number of pairs in the check list.
    #[cfg(test)]
    pub(crate) fn pair_count(&self) -> usize {
        self.checklist.len()
    }

    // ---- commands ----

    /// Sets the peer's username fragment and password, from signalling.
    ///
    /// Checks start once credentials and at least one remote candidate are known. Setting
    /// credentials that differ from ones already set means the peer restarted ICE: remote
    /// candidates and pairs are dropped (the selected pair keeps working until a new one is
    /// selected), as after [`restart`](Self::restart) but keeping the local credentials.
    pub fn set_remote_credentials(&mut self, now: Instant, c: Credentials) {
        let now = self.clamp(now);
        if self.is_closed() {
            return;
        }
        match &self.remote_creds {
            Some(old) if *old == c => return,
            Some(_) => self.new_session(),
            None => {}
        }
        self.check_username.clear();
        self.check_username.push_str(&c.ufrag);
        self.check_username.push(':');
        self.check_username.push_str(&self.local_creds.ufrag);
        self.remote_creds = Some(c);
        self.last_activity = Some(now);
        self.arm_timers();
    }

    /// Sets the role the signalling decided (RFC 8829 section 3.4.1: the offerer is
    /// controlling), before or after checks start; a change mid-session is handled as after a
    /// role conflict. An ice-lite agent stays controlled.
    pub fn set_negotiated_role(&mut self, role: Role) {
        if !self.config.lite {
            self.set_role(role);
        }
    }

    /// Adds a local address the driver can send from and receive on, as a host candidate
    /// (reported as [`IceEvent::LocalCandidate`]). Server-reflexive gathering starts from it
    /// for every STUN server of its family.
    ///
    /// Adding an address twice does nothing. Fails for unusable addresses, past
    /// eight addresses, or when closed.
    pub fn add_host_address(
        &mut self,
        now: Instant,
        addr: SocketAddr,
    ) -> Result<(), CandidateError> {
        self.clamp(now);
        if self.is_closed() {
            return Err(CandidateError::Closed);
        }
        if !is_usable(&addr) {
            return Err(CandidateError::BadAddress);
        }
        if self.hosts().any(|h| h.addr() == addr) {
            return Ok(());
        }
        if self.hosts().count() >= MAX_HOSTS {
            return Err(CandidateError::TooManyCandidates);
        }
        let index = self
            .hosts()
            .filter(|h| h.addr().is_ipv6() == addr.is_ipv6())
            .count();
        let host = Candidate::host_with_index(addr, index);
        // Relay-only: the host is a base for TURN, never signalled, paired or reflected.
        let relay_only = self.config.relay_only;
        if !relay_only {
            self.events
                .push_back(IceEvent::LocalCandidate(host.clone()));
        }
        if !self.config.lite && !relay_only {
            for r in self.remote.iter().filter(|r| same_family(r.addr(), addr)) {
                if self.checklist.add(&host, r, self.role) == Added::Dropped {
                    self.stats.pairs_dropped += 1;
                }
            }
        }
        for &server in self.servers.iter().filter(|s| same_family(**s, addr)) {
            if relay_only {
                break;
            }
            self.gathers.push(Gather {
                server,
                base: addr,
                state: GatherState::Pending,
            });
        }
        // Hosts go before derived candidates so that they are never crowded out.
        let at = self.hosts().count();
        self.local.insert(at, host);
        self.allocate_from(now, addr);
        self.gathering_reported = false;
        self.arm_timers();
        Ok(())
    }

    /// Adds a STUN server to gather server-reflexive candidates from, with a Binding request
    /// from every host address of its family (paced by Ta). Not for ice-lite agents.
    ///
    /// Adding a server twice does nothing. Fails past four servers.
    pub fn add_stun_server(
        &mut self,
        now: Instant,
        server: SocketAddr,
    ) -> Result<(), CandidateError> {
        self.clamp(now);
        self.check_server(server)?;
        if self.servers.contains(&server) {
            return Ok(());
        }
        if self.servers.len() >= MAX_STUN_SERVERS {
            return Err(CandidateError::TooManyCandidates);
        }
        self.servers.push(server);
        let bases: Vec<SocketAddr> = self
            .hosts()
            .map(Candidate::addr)
            .filter(|b| same_family(*b, server) && !self.config.relay_only)
            .collect();
        for base in bases {
            self.gathers.push(Gather {
                server,
                base,
                state: GatherState::Pending,
            });
        }
        self.gathering_reported = false;
        self.arm_timers();
        Ok(())
    }

    /// Adds a remote candidate from signalling, at any time (trickle ICE, RFC 8838): it is
    /// paired with the host addresses of its family and the new pairs are checked.
    ///
    /// A candidate with the address of a known one does nothing, except that it replaces a
    /// peer-reflexive candidate learned from a check (RFC 8445 section 7.3.1.3). Fails past
    /// [`IceConfig::max_remote_candidates`], for TCP candidates, components other than 1,
    /// unusable addresses, after [`end_of_remote_candidates`](Self::end_of_remote_candidates),
    /// and when closed.
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        c: Candidate,
    ) -> Result<(), CandidateError> {
        let now = self.clamp(now);
        if self.is_closed() {
            return Err(CandidateError::Closed);
        }
        if c.transport() != crate::Transport::Udp {
            return Err(CandidateError::UnsupportedTransport);
        }
        if c.component() != COMPONENT_RTP {
            return Err(CandidateError::UnsupportedComponent);
        }
        if !is_usable(&c.addr()) {
            return Err(CandidateError::BadAddress);
        }
        if self.end_of_candidates {
            return Err(CandidateError::AfterEndOfCandidates);
        }
        if let Some(known) = self.remote.iter_mut().find(|r| r.addr() == c.addr()) {
            if known.kind() == CandidateKind::PeerReflexive
                && c.kind() != CandidateKind::PeerReflexive
            {
                known.replace_with(&c);
                self.checklist.update_remote(known, self.role);
            }
            return Ok(());
        }
        if self.remote.len() >= self.config.max_remote_candidates {
            return Err(CandidateError::TooManyCandidates);
        }
        self.pair_remote(&c);
        self.remote.push(c);
        self.last_activity = Some(now);
        self.arm_timers();
        Ok(())
    }

    /// Tells the agent the peer has no more candidates for this session (RFC 8838 section
    /// 8.2). Once every pair has failed, the agent then fails at once instead of waiting
    /// [`IceConfig::trickle_timeout`] for more candidates; once every check has finished with
    /// a pair selected, the state becomes [`Completed`](IceConnectionState::Completed).
    pub fn end_of_remote_candidates(&mut self, now: Instant) {
        self.clamp(now);
        if self.is_closed() {
            return;
        }
        self.end_of_candidates = true;
        self.arm_timers();
    }

    /// Restarts ICE (RFC 8445 section 2.4): new local credentials (signal them), remote
    /// credentials and candidates cleared until set again, the check list rebuilt and
    /// gathering redone (host candidates are reported again).
    ///
    /// The selected pair keeps working, with consent checks and answers under the old
    /// session's credentials, until a pair of the new session is selected. A failed agent
    /// goes back to [`New`](IceConnectionState::New).
    pub fn restart(&mut self, now: Instant, rng: &mut dyn CryptoRng) {
        self.clamp(now);
        if self.is_closed() {
            return;
        }
        self.local_creds = Credentials::random(rng);
        self.new_session();
        self.remote_creds = None;
        self.check_username.clear();
        // Allocations outlive a restart: their relayed candidates are signalled again.
        self.local
            .retain(|c| matches!(c.kind(), CandidateKind::Host | CandidateKind::Relayed));
        for c in &self.local {
            if c.kind() != CandidateKind::Host || !self.config.relay_only {
                self.events.push_back(IceEvent::LocalCandidate(c.clone()));
            }
        }
        for g in &mut self.gathers {
            g.state = GatherState::Pending;
        }
        self.reallocate_failed(now);
        self.gathering_reported = false;
        self.last_activity = None;
        if self.selected.is_none() && self.state != IceConnectionState::New {
            self.set_state(IceConnectionState::New);
        }
        self.arm_timers();
    }

    /// Closes the agent: it sends nothing more, answers nothing, and
    /// [`poll_timeout`](Self::poll_timeout) returns `None`. Reports
    /// [`Closed`](IceConnectionState::Closed).
    pub fn close(&mut self, now: Instant) {
        self.clamp(now);
        if self.is_closed() {
            return;
        }
        self.outbox.clear();
        self.selected = None;
        self.timers.stop_all();
        self.release_relays(now);
        self.set_state(IceConnectionState::Closed);
    }

    // ---- output ----

    /// Writes the next datagram into `buf` and says where to send it, or returns `None` when
    /// nothing is waiting. Call after every `handle_*` and command until it returns `None`.
    /// Never returns anything after [`close`](Self::close).
    ///
    /// `buf` should hold at least 548 bytes; a message that does not fit is dropped and
    /// counted in [`IceStats::transmit_errors`].
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.clamp(now);
        if self.is_closed() {
            return None;
        }
        while let Some(out) = self.outbox.pop_front() {
            if let Some(t) = self.encode(out, buf) {
                // A check or answer on a relayed candidate goes through its TURN server.
                if let Some(t) = self.wrap_relayed(now, t, buf) {
                    return Some(t);
                }
            }
        }
        let t = self.poll_relay_transmit(buf);
        if t.is_some() {
            self.arm_timers();
        }
        t
    }

    /// The next event for the application, or `None`. Call after draining
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called: never earlier than
    /// the latest `now` seen (if something is due, that `now`), and `None` when closed, or
    /// failed without TURN allocations to keep alive. Changes after every `handle_*` call and
    /// command.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        self.timers.next().map(|t| t.max(self.last_now))
    }

    // ---- helpers ----

    /// Clamps time that goes backwards to the latest `now` seen.
    pub(crate) fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state == IceConnectionState::Closed
    }

    /// Neither closed nor failed.
    pub(crate) fn is_active(&self) -> bool {
        !matches!(
            self.state,
            IceConnectionState::Closed | IceConnectionState::Failed
        )
    }

    /// Whether a STUN or TURN server at `addr` may be added: not when closed or ice-lite, nor
    /// at an unusable address.
    pub(crate) fn check_server(&self, addr: SocketAddr) -> Result<(), CandidateError> {
        if self.is_closed() {
            return Err(CandidateError::Closed);
        }
        if self.config.lite {
            return Err(CandidateError::Lite);
        }
        if !is_usable(&addr) {
            return Err(CandidateError::BadAddress);
        }
        Ok(())
    }

    pub(crate) fn hosts(&self) -> impl Iterator<Item = &Candidate> {
        self.local
            .iter()
            .filter(|c| c.kind() == CandidateKind::Host)
    }

    /// Pairs a new remote candidate with every host and relayed candidate of its family, and
    /// asks the TURN servers to let it through.
    pub(crate) fn pair_remote(&mut self, remote: &Candidate) {
        if self.config.lite {
            return;
        }
        let relay_only = self.config.relay_only;
        for h in self
            .local
            .iter()
            .filter(|h| pairable(h, relay_only) && same_family(h.addr(), remote.addr()))
        {
            if self.checklist.add(h, remote, self.role) == Added::Dropped {
                self.stats.pairs_dropped += 1;
            }
        }
        self.permit(remote.addr());
    }

    /// Whether gathering has nothing left to wait for: every STUN request answered or timed
    /// out, every TURN allocation granted or failed.
    pub(crate) fn gathering_done(&self) -> bool {
        self.gathers
            .iter()
            .all(|g| matches!(g.state, GatherState::Done))
            && self.relays_settled()
    }

    /// Drops the remote side of the current session (ICE restart, local or remote).
    fn new_session(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.remote.clear();
        self.checklist.clear();
        self.end_of_candidates = false;
        self.first_valid_at = None;
        self.outbox.retain(|o| {
            matches!(
                o,
                Outgoing::Response { .. } | Outgoing::Consent(_) | Outgoing::Keepalive(_)
            )
        });
    }

    pub(crate) fn set_state(&mut self, state: IceConnectionState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(IceEvent::StateChanged(state));
        }
    }

    pub(crate) fn set_role(&mut self, role: Role) {
        if self.role != role {
            self.role = role;
            self.checklist.set_role(role);
            self.events.push_back(IceEvent::RoleChanged(role));
        }
    }

    /// Selects nominated pair `i` if it is from the current session and ranks above the
    /// selected pair (RFC 8445 section 8.1.1: the highest-priority nominated pair wins), or
    /// the selected pair is from an earlier session or Disconnected.
    pub(crate) fn select_pair(&mut self, i: usize, now: Instant, rng: &mut dyn CryptoRng) {
        let Some(pair) = self.checklist.pairs.get(i) else {
            return;
        };
        let (local, remote, priority, prflx) =
            (pair.local, pair.remote, pair.priority, pair.prflx_priority);
        self.select(local, remote, priority, prflx, now, rng);
    }

    /// See [`select_pair`](Self::select_pair); also used by ice-lite, which has no pairs.
    pub(crate) fn select(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        priority: u64,
        prflx_priority: u32,
        now: Instant,
        rng: &mut dyn CryptoRng,
    ) {
        // A selected pair that has stopped answering consent checks (Disconnected) gives way to
        // any newly nominated pair: the controlling peer has moved on (a browser renominates
        // when its path dies), and keeping the dead pair would end in consent failure.
        let dead = self.state == IceConnectionState::Disconnected;
        if let Some(sel) = &self.selected
            && sel.generation == self.generation
            && ((sel.priority >= priority && !dead) || (sel.local == local && sel.remote == remote))
        {
            return;
        }
        let Some(remote_creds) = &self.remote_creds else {
            // Checks of this session cannot have succeeded without remote credentials,
            // except for ice-lite, which needs them only for consent (which it does not do).
            if !self.config.lite {
                return;
            }
            self.install_selected(
                local,
                remote,
                priority,
                prflx_priority,
                String::new(),
                now,
                rng,
            );
            return;
        };
        let pwd = remote_creds.pwd.clone();
        self.install_selected(local, remote, priority, prflx_priority, pwd, now, rng);
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "private plumbing of one struct's fields"
    )]
    fn install_selected(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        priority: u64,
        prflx_priority: u32,
        remote_pwd: String,
        now: Instant,
        rng: &mut dyn CryptoRng,
    ) {
        let consent_next = after(now, jitter(self.config.consent_interval, rng));
        self.selected = Some(Selected {
            local,
            remote,
            priority,
            prflx_priority,
            generation: self.generation,
            local_creds: self.local_creds.clone(),
            username: self.check_username.clone(),
            remote_pwd,
            consent_tids: [None; CONSENT_TIDS],
            consent_cursor: 0,
            consent_next,
            consent_after_answer: consent_next,
            unanswered_since: None,
            last_response: now,
            last_sent: now,
        });
        self.events
            .push_back(IceEvent::SelectedPairChanged { local, remote });
        if matches!(
            self.state,
            IceConnectionState::New
                | IceConnectionState::Checking
                | IceConnectionState::Disconnected
        ) {
            self.set_state(IceConnectionState::Connected);
        }
    }
}

/// Queues an outgoing message unless the outbox is full.
pub(crate) fn push_out(outbox: &mut VecDeque<Outgoing>, out: Outgoing) -> bool {
    if outbox.len() >= OUTBOX_LIMIT {
        return false;
    }
    outbox.push_back(out);
    true
}

pub(crate) fn same_family(a: SocketAddr, b: SocketAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// `t + d`, saturating at a year later rather than overflowing.
pub(crate) fn after(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(t)
}

/// `d` times a factor drawn uniformly from 0.8 to 1.2 (RFC 7675 section 5.1).
pub(crate) fn jitter(d: Duration, rng: &mut dyn CryptoRng) -> Duration {
    let nanos = d.as_nanos().min(u128::from(u64::MAX));
    let span = nanos * 2 / 5;
    let r = u128::from(rng.next_u32());
    let value = nanos * 4 / 5 + ((span * r) >> 32);
    Duration::from_nanos(u64::try_from(value).unwrap_or(u64::MAX))
}

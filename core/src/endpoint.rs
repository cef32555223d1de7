//! Many peer connections behind one socket: [`Endpoint`].
//!
//! A server has one UDP socket and many peers. The endpoint routes each datagram to its
//! [`Rtc`]: by the remote address once a peer's ICE knows it, and on first contact by the
//! username fragment in a STUN Binding request (RFC 8445 section 7.2.2: `<our ufrag>:<theirs>`),
//! which names exactly one peer. A datagram that matches neither is dropped and counted
//! without creating any state, so unknown senders cost one hash lookup and, for STUN, one
//! header parse.
//!
//! Peers that close or fail are reported ([`Event::Closed`] or a [`PeerState::Failed`] state
//! change) and then removed; peers that never connect are closed after
//! [`EndpointConfig::connect_timeout`].
//!
//! Its peers do not use TURN ([`AddPeerError::Relayed`]): they share one socket, a TURN server
//! keeps one allocation per client address (RFC 8656 section 2.2), and what it relays comes
//! from its own address, not the peer's. Give a peer that needs a relay its own socket (a
//! driver's `bind_rtc`).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use crate::net::{DatagramKind, Receive, Transmit};
use crate::rtc::{Event, PeerState, Rtc};

/// A peer of an [`Endpoint`], from [`Endpoint::add_peer`]; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(u64);

/// Settings of an [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The most peers held at once; [`Endpoint::add_peer`] refuses more.
    pub max_peers: usize,
    /// A peer that has not connected this long after it was added is closed and removed.
    pub connect_timeout: Duration,
    /// Events held for the application before the oldest are dropped (and counted).
    pub max_events: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            max_peers: 10_000,
            connect_timeout: Duration::from_secs(30),
            max_events: 65_536,
        }
    }
}

/// Counters of an [`Endpoint`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStats {
    /// Datagrams routed to a peer.
    pub routed: u64,
    /// Datagrams that matched no peer (dropped, no state kept).
    pub unroutable: u64,
    /// Peers removed after closing or failing.
    pub peers_reclaimed: u64,
    /// Events dropped because the application did not drain them.
    pub events_dropped: u64,
}

/// Why [`Endpoint::add_peer`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddPeerError {
    /// [`EndpointConfig::max_peers`] peers are held already.
    #[error("endpoint full")]
    Full,
    /// Another peer has the same ICE username fragment (draw new credentials).
    #[error("ice username fragment in use by another peer")]
    UfragInUse,
    /// The peer has TURN servers: its allocations need a socket of its own (see the module
    /// docs).
    #[error("a peer connection with TURN servers needs its own socket, not an endpoint's")]
    Relayed,
}

/// Username fragments kept inline in the routing table up to this length.
const INLINE_UFRAG: usize = 32;

#[derive(Debug)]
struct Slot {
    rtc: Rtc,
    added: Instant,
    /// The username fragment the routing table holds for this peer.
    ufrag: SmallVec<[u8; INLINE_UFRAG]>,
    /// Remote addresses the routing table holds for this peer.
    addrs: SmallVec<[SocketAddr; 4]>,
    /// Reported closed or failed: removed once its events are out.
    finished: bool,
}

/// Many [`Rtc`]s behind one socket.
///
/// # Method groups
///
/// - peers: [`Endpoint::add_peer`], [`Endpoint::peer`], [`Endpoint::peer_mut`] (for
///   commands such as [`Rtc::accept_offer`] or [`Rtc::send`]), [`Endpoint::remove_peer`];
/// - network input: [`Endpoint::handle_datagram`]; timers: [`Endpoint::handle_timeout`];
/// - output: [`Endpoint::poll_transmit`], [`Endpoint::poll_event`],
///   [`Endpoint::poll_timeout`].
///
/// After any `handle_*` call or command on a peer, drain [`Endpoint::poll_transmit`] then
/// [`Endpoint::poll_event`] until both return `None`, then sleep until
/// [`Endpoint::poll_timeout`] or the next datagram.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    next_id: u64,
    peers: HashMap<PeerId, Slot>,
    by_ufrag: HashMap<SmallVec<[u8; INLINE_UFRAG]>, PeerId>,
    by_addr: HashMap<SocketAddr, PeerId>,
    /// Peers that may have output, in the order they got input.
    ready: VecDeque<PeerId>,
    /// Peers handed out by `peer_mut`: their ufrag may have changed (ICE restart).
    dirty: Vec<PeerId>,
    events: VecDeque<(PeerId, Event)>,
    stats: EndpointStats,
}

impl Endpoint {
    /// An endpoint with no peers.
    pub fn new(config: EndpointConfig) -> Self {
        Self {
            config,
            next_id: 0,
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            ready: VecDeque::new(),
            dirty: Vec::new(),
            events: VecDeque::new(),
            stats: EndpointStats::default(),
        }
    }

    // ---- peers ----

    /// Adds a peer connection (created by the caller with its own RNG at `now`) and returns
    /// its id. Signal for it through [`Endpoint::peer_mut`].
    pub fn add_peer(&mut self, now: Instant, rtc: Rtc) -> Result<PeerId, AddPeerError> {
        if self.peers.len() >= self.config.max_peers {
            return Err(AddPeerError::Full);
        }
        if !rtc.config.turn_servers.is_empty() {
            return Err(AddPeerError::Relayed);
        }
        let ufrag = SmallVec::from_slice(rtc.local_ufrag().as_bytes());
        if self.by_ufrag.contains_key(&ufrag) {
            return Err(AddPeerError::UfragInUse);
        }
        let id = PeerId(self.next_id);
        self.next_id += 1;
        self.by_ufrag.insert(ufrag.clone(), id);
        self.peers.insert(
            id,
            Slot {
                rtc,
                added: now,
                ufrag,
                addrs: SmallVec::new(),
                finished: false,
            },
        );
        self.ready.push_back(id);
        Ok(id)
    }

    /// A peer, while it exists.
    pub fn peer(&self, id: PeerId) -> Option<&Rtc> {
        self.peers.get(&id).map(|s| &s.rtc)
    }

    /// A peer, to give it a command; drain the endpoint's output afterwards.
    pub fn peer_mut(&mut self, id: PeerId) -> Option<&mut Rtc> {
        let slot = self.peers.get_mut(&id)?;
        self.ready.push_back(id);
        self.dirty.push(id);
        Some(&mut slot.rtc)
    }

    /// Removes a peer at once (without closing it) and returns it.
    pub fn remove_peer(&mut self, id: PeerId) -> Option<Rtc> {
        let slot = self.peers.remove(&id)?;
        if self.by_ufrag.get(&slot.ufrag) == Some(&id) {
            self.by_ufrag.remove(&slot.ufrag);
        }
        for addr in &slot.addrs {
            if self.by_addr.get(addr) == Some(&id) {
                self.by_addr.remove(addr);
            }
        }
        Some(slot.rtc)
    }

    /// How many peers are held.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer is held.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The ids of every peer held.
    pub fn peer_ids(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.keys().copied()
    }

    /// Counters.
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }

    // ---- network input ----

    /// Routes one datagram to its peer; returns whether one took it. Unroutable datagrams
    /// are counted and leave no state behind.
    pub fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) -> bool {
        self.sync_dirty();
        let id = match self.by_addr.get(&rx.source) {
            Some(&id) => Some(id),
            None if rx.kind() == DatagramKind::Stun => {
                crate::ice::local_ufrag_of_request(rx.contents)
                    .and_then(|ufrag| self.by_ufrag.get(&ufrag).copied())
            }
            None => None,
        };
        let Some(slot) = id.and_then(|id| self.peers.get_mut(&id)) else {
            self.stats.unroutable += 1;
            return false;
        };
        let Some(id) = id else { return false };
        let source = rx.source;
        slot.rtc.handle_datagram(now, rx);
        if !slot.addrs.contains(&source) && slot.rtc.knows_remote(source) && slot.addrs.len() < 8 {
            slot.addrs.push(source);
            self.by_addr.insert(source, id);
        }
        self.stats.routed += 1;
        self.after_input(id);
        true
    }

    /// Fires the timers of every peer that is due, and reclaims finished peers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due: Vec<PeerId> = Vec::new();
        let mut expired: Vec<PeerId> = Vec::new();
        for (&id, slot) in &self.peers {
            if slot.rtc.poll_timeout().is_some_and(|t| t <= now) {
                due.push(id);
            }
            let connecting = matches!(slot.rtc.state(), PeerState::New | PeerState::Connecting);
            if connecting && now >= slot.added + self.config.connect_timeout {
                expired.push(id);
            }
        }
        for id in due {
            if let Some(slot) = self.peers.get_mut(&id) {
                slot.rtc.handle_timeout(now);
                self.after_input(id);
            }
        }
        for id in expired {
            if let Some(slot) = self.peers.get_mut(&id) {
                slot.rtc.close(now);
                self.after_input(id);
            }
        }
        self.reclaim();
    }

    // ---- output ----

    /// Writes the next datagram of any peer into `buf` and says which peer sent it.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<(PeerId, Transmit)> {
        while let Some(&id) = self.ready.front() {
            let Some(slot) = self.peers.get_mut(&id) else {
                self.ready.pop_front();
                continue;
            };
            if let Some(t) = slot.rtc.poll_transmit(now, buf) {
                self.collect_events(id);
                return Some((id, t));
            }
            self.collect_events(id);
            self.ready.pop_front();
        }
        None
    }

    /// The next event of any peer.
    pub fn poll_event(&mut self) -> Option<(PeerId, Event)> {
        let event = self.events.pop_front();
        if event.is_none() {
            self.reclaim();
        }
        event
    }

    /// The earliest deadline of any peer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let peers = self.peers.values();
        let deadlines = peers.flat_map(|s| {
            let connect = matches!(s.rtc.state(), PeerState::New | PeerState::Connecting)
                .then_some(s.added + self.config.connect_timeout);
            [s.rtc.poll_timeout(), connect]
        });
        deadlines.flatten().min()
    }

    // ---- internals ----

    fn after_input(&mut self, id: PeerId) {
        if self.ready.back() != Some(&id) {
            self.ready.push_back(id);
        }
        self.collect_events(id);
    }

    fn collect_events(&mut self, id: PeerId) {
        let Some(slot) = self.peers.get_mut(&id) else {
            return;
        };
        while let Some(event) = slot.rtc.poll_event() {
            let ends = matches!(
                event,
                Event::Closed(_) | Event::StateChanged(PeerState::Failed | PeerState::Closed)
            );
            slot.finished |= ends;
            if self.events.len() >= self.config.max_events {
                self.events.pop_front();
                self.stats.events_dropped += 1;
            }
            self.events.push_back((id, event));
        }
    }

    /// Removes peers that finished once the application has their events and they have
    /// nothing left to send.
    fn reclaim(&mut self) {
        if !self.events.is_empty() {
            return;
        }
        let done: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(id, s)| s.finished && !self.ready.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for id in done {
            self.remove_peer(id);
            self.stats.peers_reclaimed += 1;
        }
    }

    /// Re-registers the username fragments of peers that may have restarted ICE.
    fn sync_dirty(&mut self) {
        for id in self.dirty.drain(..) {
            let Some(slot) = self.peers.get_mut(&id) else {
                continue;
            };
            let current = slot.rtc.local_ufrag().as_bytes();
            if slot.ufrag.as_slice() != current {
                let new: SmallVec<[u8; INLINE_UFRAG]> = SmallVec::from_slice(current);
                // The old session's checks keep arriving from known remote addresses.
                self.by_ufrag.remove(&slot.ufrag);
                self.by_ufrag.insert(new.clone(), id);
                slot.ufrag = new;
            }
        }
    }
}

//! One TURN allocation (RFC 8656): a host base asking one server for a relayed address, then
//! keeping it, its permissions and its channels alive, and framing what is relayed.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use super::config::{TurnError, TurnServer};
use super::stats::TurnStats;
use super::wire::{
    self, ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER, CHANNELS, CREATE_PERMISSION, LIFETIME, REFRESH,
    REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT, TRANSPORT_UDP, XOR_PEER_ADDRESS,
    XOR_RELAYED_ADDRESS,
};
use crate::stun::{
    AttributeType, Class, Message, MessageBuilder, Method, RetransmitTimer, TimerOutcome,
    TransactionId, WireError, long_term_key,
};
use crate::{Transmit, Transport};

/// The allocation lifetime asked for on refreshes (the RFC's default, section 3.8).
const LIFETIME_SECS: u32 = 600;
/// Refresh this long before the allocation expires (or at half its lifetime if shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Permissions last 300 s (section 9); refresh them after 240 s.
const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// Channel bindings last 600 s (section 12); refresh them after 540 s.
const CHANNEL_REFRESH: Duration = Duration::from_secs(540);
/// Peers an allocation keeps a permission for: ICE's remote candidates of one session.
pub(crate) const MAX_PERMISSIONS: usize = 32;
/// Peers an allocation binds a channel to; others get Send indications.
pub(crate) const MAX_CHANNELS: usize = 16;
/// Requests in flight at once; more wait for a later refresh or send.
const MAX_TRANSACTIONS: usize = 16;
/// 438 Stale Nonce retries of one request.
const MAX_STALE_RETRIES: u8 = 2;
/// The longest NONCE and REALM kept (RFC 8489 sections 14.9 and 14.10: under 764 bytes).
const MAX_TEXT: usize = 763;
/// Error codes of RFC 8489 section 14.8 and RFC 8656 section 19 this client reacts to.
const UNAUTHORIZED: u16 = 401;
const STALE_NONCE: u16 = 438;

/// Where the allocation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Asking the server.
    Allocating,
    /// The relayed address is ours until it expires (refreshed before).
    Allocated,
    /// Refused, timed out or lost: nothing more is sent.
    Failed(TurnError),
    /// Released (Refresh with lifetime 0 sent): nothing more is sent.
    Released,
}

/// What the allocation tells its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AllocEvent {
    /// The server gave us `relayed`; `mapped` is our address as the server saw it.
    Allocated {
        relayed: SocketAddr,
        mapped: Option<SocketAddr>,
    },
    /// The allocation failed or was lost.
    Failed(TurnError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Allocate,
    Refresh(u32),
    Permission(IpAddr),
    Bind { peer: SocketAddr, number: u16 },
}

#[derive(Debug)]
struct Transaction {
    tid: TransactionId,
    request: Request,
    timer: RetransmitTimer,
    /// Sent with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY.
    authenticated: bool,
    stale_retries: u8,
}

#[derive(Debug, Clone, Copy)]
struct Permission {
    ip: IpAddr,
    installed: bool,
    pending: bool,
    refresh_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    peer: SocketAddr,
    number: u16,
    bound: bool,
    pending: bool,
    refresh_at: Option<Instant>,
}

/// One allocation on one TURN server from one host base.
///
/// Sans-IO like everything in the crate: [`handle_response`](Self::handle_response) and
/// [`handle_timeout`](Self::handle_timeout) take input, [`poll_transmit`](Self::poll_transmit)
/// writes requests, [`poll_event`](Self::poll_event) reports. Relaying goes through
/// [`wrap`](Self::wrap) (out) and [`unwrap_channel`](Self::unwrap_channel) or
/// [`unwrap_data`](Self::unwrap_data) (in). Transaction IDs come from a
/// random salt drawn at construction and a counter, so no call after that needs randomness.
#[derive(Debug)]
pub(crate) struct Allocation {
    server: TurnServer,
    base: SocketAddr,
    state: State,
    /// The relayed address once allocated, kept after a release or failure so that what would
    /// leave from it is still recognised (and dropped).
    relayed: Option<SocketAddr>,
    realm: Vec<u8>,
    nonce: Vec<u8>,
    key: Option<[u8; 16]>,
    transactions: Vec<Transaction>,
    /// Requests to write, oldest first (a transaction's ID; gone if it was answered).
    outbox: VecDeque<TransactionId>,
    permissions: Vec<Permission>,
    channels: Vec<Channel>,
    next_channel: u16,
    refresh_at: Option<Instant>,
    rto: Duration,
    salt: [u8; 12],
    counter: u64,
    events: VecDeque<AllocEvent>,
    stats: TurnStats,
}

impl Allocation {
    /// Starts allocating: the first Allocate goes out without credentials, to learn the realm
    /// and nonce from the 401 (RFC 8656 section 7.1). `rto` is the initial retransmission
    /// timeout of every request.
    pub(crate) fn new(
        server: TurnServer,
        base: SocketAddr,
        rto: Duration,
        now: Instant,
        salt: [u8; 12],
    ) -> Self {
        let mut a = Self {
            server,
            base,
            state: State::Allocating,
            relayed: None,
            realm: Vec::new(),
            nonce: Vec::new(),
            key: None,
            transactions: Vec::new(),
            outbox: VecDeque::new(),
            permissions: Vec::new(),
            channels: Vec::new(),
            next_channel: CHANNELS.start,
            refresh_at: None,
            rto,
            salt,
            counter: 0,
            events: VecDeque::new(),
            stats: TurnStats::default(),
        };
        a.start(Request::Allocate, now, 0);
        a
    }

    // ---- getters ----

    pub(crate) fn server(&self) -> SocketAddr {
        self.server.addr
    }

    pub(crate) fn server_config(&self) -> &TurnServer {
        &self.server
    }

    pub(crate) fn base(&self) -> SocketAddr {
        self.base
    }

    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The relayed address, once allocated.
    pub(crate) fn relayed(&self) -> Option<SocketAddr> {
        self.relayed.filter(|_| self.state == State::Allocated)
    }

    /// The relayed address this allocation had, whatever its state now.
    pub(crate) fn last_relayed(&self) -> Option<SocketAddr> {
        self.relayed
    }

    /// Whether requests wait for [`poll_transmit`](Self::poll_transmit).
    pub(crate) fn has_queued(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub(crate) fn stats(&self) -> &TurnStats {
        &self.stats
    }

    /// Whether a datagram from `source` to `destination` comes from this allocation's server
    /// to its base (the exact address, or the base's port and family when the driver's socket
    /// is bound to a wildcard).
    pub(crate) fn is_from_server(&self, source: SocketAddr, destination: SocketAddr) -> bool {
        source == self.server.addr
            && (destination == self.base
                || (destination.port() == self.base.port()
                    && destination.is_ipv4() == self.base.is_ipv4()
                    && destination.ip().is_unspecified()))
    }

    // ---- commands ----

    /// Makes sure the server lets `ip` send to us and us to it (CreatePermission, section 9),
    /// at once if allocated, else once it is.
    pub(crate) fn ensure_permission(&mut self, now: Instant, ip: IpAddr) {
        if matches!(self.state, State::Failed(_) | State::Released) {
            return;
        }
        if self.permissions.iter().any(|p| p.ip == ip) {
            return;
        }
        if self.permissions.len() >= MAX_PERMISSIONS {
            self.stats.permissions_refused += 1;
            return;
        }
        self.permissions.push(Permission {
            ip,
            installed: false,
            pending: false,
            refresh_at: None,
        });
        if matches!(self.state, State::Allocated) {
            self.request_permission(now, ip);
        }
    }

    /// Releases the allocation: a Refresh with LIFETIME 0 goes out once (section 7.2), and
    /// nothing after it.
    pub(crate) fn release(&mut self, now: Instant) {
        let allocated = matches!(self.state, State::Allocated);
        self.transactions.clear();
        self.outbox.clear();
        if allocated {
            self.start(Request::Refresh(0), now, 0);
        }
        self.state = State::Released;
    }

    // ---- relaying ----

    /// Frames the `len` bytes at the start of `buf`, meant for `peer`, to go to the server:
    /// ChannelData on a bound channel, else a Send indication (and a channel is asked for).
    /// Returns the framed length, or `None` (counted) when not allocated or it does not fit.
    pub(crate) fn wrap(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        len: usize,
        buf: &mut [u8],
    ) -> Option<usize> {
        if !matches!(self.state, State::Allocated | State::Released) {
            self.stats.relay_dropped += 1;
            return None;
        }
        let bound = self
            .channels
            .iter()
            .find(|c| c.peer == peer && c.bound)
            .map(|c| c.number);
        let written = match bound {
            Some(number) => wire::write_channel_data(buf, len, number),
            None => {
                if self.state != State::Released {
                    self.ensure_permission(now, peer.ip());
                    self.bind_channel(now, peer);
                }
                let tid = self.next_tid();
                wire::write_send_indication(buf, len, peer, tid)
            }
        };
        match written {
            Ok(n) => {
                self.stats.relayed_sent += 1;
                Some(n)
            }
            Err(_) => {
                self.stats.relay_dropped += 1;
                None
            }
        }
    }

    /// The peer and payload range of a ChannelData message from the server, on one of our
    /// channels; `None` (counted) for an unknown channel or when not allocated.
    pub(crate) fn unwrap_channel(&mut self, datagram: &[u8]) -> Option<(SocketAddr, Range<usize>)> {
        let relayed = wire::parse_channel_data(datagram).and_then(|(number, range)| {
            self.channels
                .iter()
                .find(|c| c.number == number)
                .map(|c| (c.peer, range))
        });
        self.count_relayed(relayed)
    }

    /// The peer and DATA range of a Data indication from the server; `None` for any other
    /// message (a STUN answer, when the server is also our STUN server), and (counted) for a
    /// malformed one or when not allocated.
    pub(crate) fn unwrap_data(
        &mut self,
        msg: &Message<&[u8]>,
    ) -> Option<(SocketAddr, Range<usize>)> {
        if (msg.class(), msg.method()) != (Class::Indication, wire::DATA) {
            return None;
        }
        let relayed = wire::parse_data_indication(msg);
        self.count_relayed(relayed)
    }

    fn count_relayed(
        &mut self,
        relayed: Option<(SocketAddr, Range<usize>)>,
    ) -> Option<(SocketAddr, Range<usize>)> {
        let live = matches!(self.state, State::Allocated | State::Released);
        match relayed {
            Some(r) if live => {
                self.stats.relayed_received += 1;
                Some(r)
            }
            _ => {
                self.stats.relay_dropped += 1;
                None
            }
        }
    }

    // ---- network input ----

    /// Handles a response from the server; returns whether it answered one of our requests.
    pub(crate) fn handle_response(&mut self, now: Instant, msg: &Message<&[u8]>) -> bool {
        if !matches!(msg.class(), Class::Success | Class::Error) {
            return false;
        }
        let tid = msg.transaction_id();
        let Some(i) = self.transactions.iter().position(|t| t.tid == tid) else {
            return false;
        };
        let t = &self.transactions[i];
        if msg.method() != method_of(t.request) {
            self.stats.responses_dropped += 1;
            return true;
        }
        // An answer to an authenticated request must be signed with our key when it is a
        // success; error answers (401, 438) cannot be, and are checked by what they make us do.
        if t.authenticated && msg.class() == Class::Success {
            let signed = self
                .key
                .is_some_and(|key| msg.check_integrity(&key).is_ok());
            if !signed {
                self.stats.responses_dropped += 1;
                return true;
            }
        }
        let t = self.transactions.swap_remove(i);
        self.stats.responses_received += 1;
        match msg.class() {
            Class::Success => self.on_success(now, t.request, msg),
            _ => self.on_error(now, t, msg),
        }
        true
    }

    /// Retransmissions, timeouts and refreshes due at `now`.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let mut timed_out: SmallVec<[Request; 4]> = SmallVec::new();
        let mut i = 0;
        while i < self.transactions.len() {
            let t = &mut self.transactions[i];
            match t.timer.handle_timeout(now) {
                TimerOutcome::Wait => i += 1,
                TimerOutcome::Retransmit => {
                    self.outbox.push_back(t.tid);
                    self.stats.retransmits += 1;
                    i += 1;
                }
                TimerOutcome::TimedOut => {
                    timed_out.push(t.request);
                    self.transactions.swap_remove(i);
                }
            }
        }
        for request in timed_out {
            self.on_failure(request, TurnError::Timeout);
        }
        if !matches!(self.state, State::Allocated) {
            return;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            self.start(Request::Refresh(LIFETIME_SECS), now, 0);
        }
        for k in 0..self.permissions.len() {
            let p = self.permissions[k];
            if p.refresh_at.is_some_and(|t| t <= now) && !p.pending {
                self.request_permission(now, p.ip);
            }
        }
        for k in 0..self.channels.len() {
            let c = self.channels[k];
            if c.refresh_at.is_some_and(|t| t <= now) && !c.pending {
                self.request_bind(now, k);
            }
        }
    }

    // ---- output ----

    /// Writes the next request into `buf`; `None` when nothing is waiting.
    pub(crate) fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        while let Some(tid) = self.outbox.pop_front() {
            let Some(t) = self.transactions.iter().find(|t| t.tid == tid) else {
                // Answered before it was written, or the release request (no transaction).
                if self.state == State::Released {
                    return self.encode(tid, Request::Refresh(0), true, buf);
                }
                continue;
            };
            let (request, auth) = (t.request, t.authenticated);
            if let Some(transmit) = self.encode(tid, request, auth, buf) {
                return Some(transmit);
            }
        }
        None
    }

    pub(crate) fn poll_event(&mut self) -> Option<AllocEvent> {
        self.events.pop_front()
    }

    /// The next retransmission, timeout or refresh.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if !matches!(self.state, State::Allocating | State::Allocated) {
            return None;
        }
        let timers = self.transactions.iter().map(|t| t.timer.deadline());
        let permissions = self
            .permissions
            .iter()
            .filter(|p| !p.pending)
            .filter_map(|p| p.refresh_at);
        let channels = self
            .channels
            .iter()
            .filter(|c| !c.pending)
            .filter_map(|c| c.refresh_at);
        timers
            .chain(permissions)
            .chain(channels)
            .chain(self.refresh_at)
            .min()
    }

    // ---- internals ----

    fn next_tid(&mut self) -> TransactionId {
        self.counter = self.counter.wrapping_add(1);
        let mut bytes = self.salt;
        for (b, c) in bytes.iter_mut().zip(self.counter.to_be_bytes()) {
            *b ^= c;
        }
        TransactionId::new(bytes)
    }

    /// Starts a transaction for `request` and queues its first send.
    fn start(&mut self, request: Request, now: Instant, stale_retries: u8) {
        let tid = self.next_tid();
        let release = request == Request::Refresh(0);
        if !release {
            if self.transactions.len() >= MAX_TRANSACTIONS {
                self.stats.requests_refused += 1;
                return;
            }
            self.transactions.push(Transaction {
                tid,
                request,
                timer: RetransmitTimer::new(now, self.rto),
                authenticated: self.key.is_some(),
                stale_retries,
            });
        }
        self.outbox.push_back(tid);
    }

    fn request_permission(&mut self, now: Instant, ip: IpAddr) {
        if let Some(p) = self.permissions.iter_mut().find(|p| p.ip == ip) {
            p.pending = true;
            p.refresh_at = None;
        }
        self.start(Request::Permission(ip), now, 0);
    }

    /// Asks for a channel to `peer` unless one exists or the channels are used up.
    fn bind_channel(&mut self, now: Instant, peer: SocketAddr) {
        if self.channels.iter().any(|c| c.peer == peer)
            || self.channels.len() >= MAX_CHANNELS
            || !CHANNELS.contains(&self.next_channel)
        {
            return;
        }
        self.channels.push(Channel {
            peer,
            number: self.next_channel,
            bound: false,
            pending: false,
            refresh_at: None,
        });
        self.next_channel += 1;
        self.request_bind(now, self.channels.len() - 1);
    }

    fn request_bind(&mut self, now: Instant, k: usize) {
        let Some(c) = self.channels.get_mut(k) else {
            return;
        };
        c.pending = true;
        c.refresh_at = None;
        let (peer, number) = (c.peer, c.number);
        self.start(Request::Bind { peer, number }, now, 0);
    }

    fn on_success(&mut self, now: Instant, request: Request, msg: &Message<&[u8]>) {
        match request {
            Request::Allocate => {
                let Some(relayed) = msg.xor_address(XOR_RELAYED_ADDRESS) else {
                    self.fail(TurnError::BadResponse);
                    return;
                };
                let mapped = msg.xor_mapped_address();
                self.state = State::Allocated;
                self.relayed = Some(relayed);
                self.schedule_refresh(now, wire::lifetime(msg));
                self.events
                    .push_back(AllocEvent::Allocated { relayed, mapped });
                for k in 0..self.permissions.len() {
                    let ip = self.permissions[k].ip;
                    self.request_permission(now, ip);
                }
            }
            Request::Refresh(_) => self.schedule_refresh(now, wire::lifetime(msg)),
            Request::Permission(ip) => {
                if let Some(p) = self.permissions.iter_mut().find(|p| p.ip == ip) {
                    p.installed = true;
                    p.pending = false;
                    p.refresh_at = Some(now + PERMISSION_REFRESH);
                }
            }
            Request::Bind { number, .. } => {
                if let Some(c) = self.channels.iter_mut().find(|c| c.number == number) {
                    c.bound = true;
                    c.pending = false;
                    c.refresh_at = Some(now + CHANNEL_REFRESH);
                }
            }
        }
    }

    fn on_error(&mut self, now: Instant, t: Transaction, msg: &Message<&[u8]>) {
        let code = msg.error_code().map_or(0, |e| e.code);
        let realm = msg.realm().filter(|r| r.len() <= MAX_TEXT);
        let nonce = msg.nonce().filter(|n| n.len() <= MAX_TEXT);
        match (code, realm, nonce) {
            // The first 401 tells us the realm and nonce: retry with credentials.
            (UNAUTHORIZED, Some(realm), Some(nonce)) if !t.authenticated => {
                self.set_credentials(realm, nonce);
                self.start(t.request, now, t.stale_retries);
            }
            (STALE_NONCE, _, Some(nonce)) if t.stale_retries < MAX_STALE_RETRIES => {
                if let Some(realm) = realm {
                    self.set_credentials(realm, nonce);
                } else {
                    self.nonce.clear();
                    self.nonce.extend_from_slice(nonce);
                }
                self.start(t.request, now, t.stale_retries + 1);
            }
            (UNAUTHORIZED, ..) => self.on_failure(t.request, TurnError::Unauthorized),
            _ => self.on_failure(t.request, TurnError::Refused(code)),
        }
    }

    fn set_credentials(&mut self, realm: &[u8], nonce: &[u8]) {
        self.realm.clear();
        self.realm.extend_from_slice(realm);
        self.nonce.clear();
        self.nonce.extend_from_slice(nonce);
        let realm = String::from_utf8_lossy(realm);
        self.key = Some(long_term_key(
            &self.server.username,
            &realm,
            &self.server.password,
        ));
    }

    /// A request failed (error answer or no answer).
    fn on_failure(&mut self, request: Request, error: TurnError) {
        match request {
            Request::Allocate | Request::Refresh(_) => self.fail(error),
            Request::Permission(ip) => {
                self.stats.permission_failures += 1;
                self.permissions.retain(|p| p.ip != ip);
            }
            Request::Bind { number, .. } => {
                self.stats.channel_failures += 1;
                self.channels.retain(|c| c.number != number);
            }
        }
    }

    fn fail(&mut self, error: TurnError) {
        if matches!(self.state, State::Failed(_) | State::Released) {
            return;
        }
        self.state = State::Failed(error);
        self.transactions.clear();
        self.outbox.clear();
        self.events.push_back(AllocEvent::Failed(error));
    }

    fn schedule_refresh(&mut self, now: Instant, lifetime: Option<u32>) {
        let lifetime = Duration::from_secs(u64::from(lifetime.unwrap_or(LIFETIME_SECS)));
        let wait = lifetime
            .saturating_sub(REFRESH_MARGIN)
            .max(lifetime / 2)
            .max(Duration::from_secs(1));
        self.refresh_at = Some(now + wait);
    }

    fn encode(
        &mut self,
        tid: TransactionId,
        request: Request,
        authenticated: bool,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        match self.write_request(tid, request, authenticated, buf) {
            Ok(len) => {
                self.stats.requests_sent += 1;
                Some(Transmit {
                    source: self.base,
                    destination: self.server.addr,
                    transport: Transport::Udp,
                    len,
                })
            }
            Err(_) => {
                self.stats.relay_dropped += 1;
                None
            }
        }
    }

    fn write_request(
        &self,
        tid: TransactionId,
        request: Request,
        authenticated: bool,
        buf: &mut [u8],
    ) -> Result<usize, WireError> {
        let mut b = MessageBuilder::new(buf, Class::Request, method_of(request), tid)?;
        match request {
            Request::Allocate => {
                b.add_raw(REQUESTED_TRANSPORT, &[TRANSPORT_UDP, 0, 0, 0])?;
                if self.base.is_ipv6() {
                    // IPv4 is the default (section 7.1); an IPv6 base asks for an IPv6 relay.
                    b.add_raw(REQUESTED_ADDRESS_FAMILY, &[0x02, 0, 0, 0])?;
                }
            }
            Request::Refresh(lifetime) => b.add_raw(LIFETIME, &lifetime.to_be_bytes())?,
            Request::Permission(ip) => {
                b.add_xor_address(XOR_PEER_ADDRESS, SocketAddr::new(ip, 0))?;
            }
            Request::Bind { peer, number } => {
                let mut value = [0; 4];
                value[..2].copy_from_slice(&number.to_be_bytes());
                b.add_raw(CHANNEL_NUMBER, &value)?;
                b.add_xor_address(XOR_PEER_ADDRESS, peer)?;
            }
        }
        if authenticated && let Some(key) = &self.key {
            b.add_username(self.server.username.as_bytes())?;
            b.add_raw(AttributeType::REALM, &self.realm)?;
            b.add_raw(AttributeType::NONCE, &self.nonce)?;
            b.add_message_integrity(key)?;
        }
        b.finish_with_fingerprint()
    }
}

fn method_of(request: Request) -> Method {
    match request {
        Request::Allocate => ALLOCATE,
        Request::Refresh(_) => REFRESH,
        Request::Permission(_) => CREATE_PERMISSION,
        Request::Bind { .. } => CHANNEL_BIND,
    }
}

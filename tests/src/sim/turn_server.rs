//! A minimal sans-IO TURN server (RFC 8656) over UDP, as a simulator [`Peer`]: enough of a
//! relay for relayed ICE candidates to work end to end in virtual time.
//!
//! # What it does
//!
//! - Listens on one address ([`TurnRelay::addr`]) and relays from ports of the same IP,
//!   handed out in order from [`FIRST_RELAY_PORT`]. A Binding request to the listening
//!   address is answered with XOR-MAPPED-ADDRESS, as a STUN server would.
//! - Long-term credentials (RFC 8489 section 9.2), one user: a request without
//!   MESSAGE-INTEGRITY gets 401 with REALM and NONCE; after that every request must carry
//!   the right USERNAME, REALM and NONCE and a MESSAGE-INTEGRITY made with
//!   [`long_term_key`], or it gets 401 again (a wrong NONCE too: this server's nonce never
//!   goes stale, so it never sends 438). Responses to authenticated requests are signed
//!   (MESSAGE-INTEGRITY, then FINGERPRINT).
//! - Allocate (section 7.2): one allocation per client transport address as seen, with
//!   XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS (that address) and LIFETIME (600 s unless the
//!   client asks for more, at most 3600 s). A retransmitted Allocate (same transaction ID)
//!   gets the same answer again; another one on a live allocation gets 437.
//! - Refresh (7.5; LIFETIME 0 deletes), CreatePermission (9, per peer IP, 300 s),
//!   ChannelBind (12, channel number to peer address, 600 s, and a permission with it).
//! - Relaying: Send indications and ChannelData from the client leave the relayed address
//!   for the peer when its IP has a permission; a datagram from a permitted peer to a relayed
//!   address goes to the client as ChannelData when a channel is bound to that peer address,
//!   else as a Data indication. Anything else is dropped and counted.
//!
//! # Left out
//!
//! TCP and TLS, IPv6 relays for IPv4 clients (and the reverse: 440), several XOR-PEER-ADDRESS
//! attributes in one CreatePermission (only the first is read), 420 for unknown attributes,
//! DONT-FRAGMENT, EVEN-PORT, RESERVATION-TOKEN, quotas per user, and the 5 minutes a channel
//! number stays reserved after its binding expires.
//!
//! Memory is bounded: [`MAX_ALLOCATIONS`] allocations, [`MAX_PERMISSIONS`] permissions and
//! [`MAX_CHANNELS`] channels each, and [`MAX_QUEUED`] datagrams waiting for
//! [`Peer::poll_transmit`]; past those, requests get 508 and datagrams are dropped. Nothing
//! that arrives can make it panic.
//!
//! All encoding and parsing is the core's: [`sansrtc::stun`] and [`sansrtc::turn::wire`].

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sansrtc::net::{Receive, Transmit, Transport};
use sansrtc::stun::{
    AttributeType, Class, Message, MessageBuilder, Method, TransactionId, WireError, is_stun,
    long_term_key,
};
use sansrtc::turn::wire::{
    self, ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER, CHANNELS, CREATE_PERMISSION, DATA, DATA_ATTR,
    LIFETIME, REFRESH, REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT, SEND, TRANSPORT_UDP,
    XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS,
};

use super::Peer;

/// The first relayed port handed out; the next allocation gets the next free one.
pub const FIRST_RELAY_PORT: u16 = 50_000;
/// The allocation lifetime when the client asks for none or less (RFC 8656 section 3.8).
pub const DEFAULT_LIFETIME: u32 = 600;
/// The longest allocation lifetime granted (RFC 8656 section 3.8 suggests 3600 s).
pub const MAX_LIFETIME: u32 = 3600;
/// How long a permission lasts (RFC 8656 section 9).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// How long a channel binding lasts (RFC 8656 section 12).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Allocations held at once; more get 508 Insufficient Capacity.
pub const MAX_ALLOCATIONS: usize = 64;
/// Permissions per allocation.
pub const MAX_PERMISSIONS: usize = 64;
/// Channel bindings per allocation.
pub const MAX_CHANNELS: usize = 64;
/// Datagrams waiting to be sent; more are dropped.
pub const MAX_QUEUED: usize = 1024;

/// Room for any response this server writes (REALM and NONCE are short).
const RESPONSE_ROOM: usize = 512;
/// What a Data indication adds to its payload at most (header, IPv6 XOR-PEER-ADDRESS, DATA).
const DATA_OVERHEAD: usize = 20 + 24 + 4 + 3;
/// Spare buffers kept for reuse.
const MAX_SPARE: usize = 64;

/// Error codes (RFC 8489 section 14.8, RFC 8656 section 19).
const BAD_REQUEST: u16 = 400;
const UNAUTHORIZED: u16 = 401;
const ALLOCATION_MISMATCH: u16 = 437;
const ADDRESS_FAMILY_NOT_SUPPORTED: u16 = 440;
const UNSUPPORTED_TRANSPORT: u16 = 442;
const PEER_ADDRESS_FAMILY_MISMATCH: u16 = 443;
const INSUFFICIENT_CAPACITY: u16 = 508;

/// What the server did, for assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TurnRelayStats {
    /// Allocations created.
    pub allocations: u64,
    /// Allocations deleted (Refresh with LIFETIME 0) or expired (counted when the next
    /// datagram arrives: expiry is lazy).
    pub deallocations: u64,
    /// Requests received (any method, well-formed STUN).
    pub requests: u64,
    /// 401 answers: the first, credential-less request of a client, or bad credentials.
    pub challenges: u64,
    /// Other error answers (400, 437, 440, 442, 443, 508).
    pub errors: u64,
    /// Permissions installed or refreshed by CreatePermission.
    pub permissions: u64,
    /// Channels bound or refreshed by ChannelBind.
    pub channel_binds: u64,
    /// Datagrams relayed from clients to peers (Send indications and ChannelData).
    pub relayed_to_peer: u64,
    /// Of those, the ones that came as ChannelData.
    pub channel_data_from_client: u64,
    /// Datagrams relayed from peers to clients (ChannelData and Data indications).
    pub relayed_to_client: u64,
    /// Of those, the ones sent as ChannelData.
    pub channel_data_to_client: u64,
    /// Datagrams dropped: garbage, no allocation, unbound channel, a peer without
    /// permission, or the send queue full.
    pub dropped: u64,
    /// Of those, the ones dropped because the peer had no permission (either way).
    pub dropped_no_permission: u64,
}

/// The TURN server. See the [module docs](self).
#[derive(Debug)]
pub struct TurnRelay {
    addr: SocketAddr,
    realm: String,
    nonce: String,
    username: String,
    password: String,
    key: [u8; 16],
    allocations: Vec<Allocation>,
    /// Lifetimes granted: the default and the most.
    lifetimes: (u32, u32),
    next_port: u16,
    /// Counter behind the transaction IDs of Data indications.
    indications: u64,
    out: Outbox,
    /// What the server did.
    pub stats: TurnRelayStats,
}

#[derive(Debug)]
struct Allocation {
    /// The client's transport address as the server sees it (the 5-tuple's client side).
    client: SocketAddr,
    relayed: SocketAddr,
    /// The Allocate that made it, to recognise its retransmissions.
    tid: TransactionId,
    lifetime: u32,
    expires: Instant,
    permissions: Vec<(IpAddr, Instant)>,
    channels: Vec<Binding>,
}

#[derive(Debug, Clone, Copy)]
struct Binding {
    number: u16,
    peer: SocketAddr,
    expires: Instant,
}

impl Allocation {
    fn is_permitted(&self, now: Instant, ip: IpAddr) -> bool {
        self.permissions.iter().any(|&(p, e)| p == ip && e > now)
    }

    fn channel_of(&self, now: Instant, peer: SocketAddr) -> Option<u16> {
        self.channels
            .iter()
            .find(|b| b.peer == peer && b.expires > now)
            .map(|b| b.number)
    }

    fn peer_of(&self, now: Instant, number: u16) -> Option<SocketAddr> {
        self.channels
            .iter()
            .find(|b| b.number == number && b.expires > now)
            .map(|b| b.peer)
    }

    /// Installs or refreshes a permission for `ip`; `false` when the table is full.
    fn permit(&mut self, now: Instant, ip: IpAddr) -> bool {
        self.permissions.retain(|&(_, e)| e > now);
        let expires = now + PERMISSION_LIFETIME;
        if let Some(p) = self.permissions.iter_mut().find(|p| p.0 == ip) {
            p.1 = expires;
            return true;
        }
        if self.permissions.len() >= MAX_PERMISSIONS {
            return false;
        }
        self.permissions.push((ip, expires));
        true
    }
}

/// Why a request is refused: the error code and reason phrase.
type Refusal = (u16, &'static str);

impl TurnRelay {
    /// A server listening on `addr` for one user, `username` with `password`, in `realm`.
    pub fn new(addr: SocketAddr, realm: &str, username: &str, password: &str) -> Self {
        Self {
            addr,
            realm: realm.to_owned(),
            nonce: "sansrtc-sim-nonce".to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            key: long_term_key(username, realm, password),
            allocations: Vec::new(),
            lifetimes: (DEFAULT_LIFETIME, MAX_LIFETIME),
            next_port: FIRST_RELAY_PORT,
            indications: 0,
            out: Outbox::default(),
            stats: TurnRelayStats::default(),
        }
    }

    /// Grants exactly `secs` (at least 1) to every Allocate and Refresh that does not ask for
    /// 0, instead of [`DEFAULT_LIFETIME`] to [`MAX_LIFETIME`]: short lifetimes make clients
    /// refresh often.
    #[must_use]
    pub fn with_lifetime(mut self, secs: u32) -> Self {
        let secs = secs.max(1);
        self.lifetimes = (secs, secs);
        self
    }

    /// Changes the user's password (rotated credentials): from now on, requests signed with
    /// the old key get 401. Allocations and what they relay stay as they are.
    pub fn set_password(&mut self, password: &str) {
        password.clone_into(&mut self.password);
        self.key = long_term_key(&self.username, &self.realm, password);
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What a client needs to use this server: its address and the user's credentials.
    pub fn client_config(&self) -> sansrtc::turn::TurnServer {
        sansrtc::turn::TurnServer::new(self.addr, &self.username, &self.password)
    }

    /// The live allocations: (client transport address as seen, relayed address).
    pub fn allocations(&self) -> impl Iterator<Item = (SocketAddr, SocketAddr)> + '_ {
        self.allocations.iter().map(|a| (a.client, a.relayed))
    }

    /// Datagrams waiting for [`Peer::poll_transmit`].
    pub fn queued(&self) -> usize {
        self.out.queue.len()
    }

    // ---- network input ----

    fn handle_client(&mut self, now: Instant, client: SocketAddr, data: &[u8]) {
        if let Some((number, range)) = wire::parse_channel_data(data) {
            let payload = data.get(range).unwrap_or_default();
            return self.channel_data_from_client(now, client, number, payload);
        }
        if !is_stun(data) {
            return self.drop_one();
        }
        let Ok(msg) = Message::new_checked(data) else {
            return self.drop_one();
        };
        // FINGERPRINT is optional, but a wrong one means the message is not STUN.
        if msg.attribute(AttributeType::FINGERPRINT).is_some() && msg.check_fingerprint().is_err() {
            return self.drop_one();
        }
        match (msg.class(), msg.method()) {
            (Class::Request, _) => self.request(now, client, &msg),
            (Class::Indication, SEND) => self.send_indication(now, client, &msg),
            _ => self.drop_one(),
        }
    }

    fn request(&mut self, now: Instant, client: SocketAddr, msg: &Message<&[u8]>) {
        self.stats.requests += 1;
        let method = msg.method();
        if method == Method::BINDING {
            let (to, tid) = (client, msg.transaction_id());
            let ok = self.out.push(self.addr, to, RESPONSE_ROOM, |buf| {
                let mut b = MessageBuilder::new(buf, Class::Success, method, tid)?;
                b.add_xor_mapped_address(client)?;
                b.finish_with_fingerprint()
            });
            self.count_queued(ok);
            return;
        }
        if ![ALLOCATE, REFRESH, CREATE_PERMISSION, CHANNEL_BIND].contains(&method) {
            return self.refuse(client, msg, (BAD_REQUEST, "Bad Request"), false);
        }
        if !self.is_authenticated(msg) {
            return self.challenge(client, msg);
        }
        let answer = match method {
            ALLOCATE => self.allocate(now, client, msg),
            REFRESH => self.refresh(now, client, msg),
            CREATE_PERMISSION => self.create_permission(now, client, msg),
            _ => self.channel_bind(now, client, msg),
        };
        if let Err(refusal) = answer {
            self.refuse(client, msg, refusal, true);
        }
    }

    /// USERNAME, REALM and NONCE are ours and MESSAGE-INTEGRITY checks with our key.
    fn is_authenticated(&self, msg: &Message<&[u8]>) -> bool {
        msg.attribute(AttributeType::MESSAGE_INTEGRITY).is_some()
            && msg.username() == Some(self.username.as_bytes())
            && msg.realm() == Some(self.realm.as_bytes())
            && msg.nonce() == Some(self.nonce.as_bytes())
            && msg.check_integrity(&self.key).is_ok()
    }

    fn allocate(
        &mut self,
        now: Instant,
        client: SocketAddr,
        msg: &Message<&[u8]>,
    ) -> Result<(), Refusal> {
        let tid = msg.transaction_id();
        if let Some(a) = self.allocation(now, client) {
            // A retransmission gets the same answer (RFC 8656 section 7.2, first step).
            if a.tid != tid {
                return Err((ALLOCATION_MISMATCH, "Allocation Mismatch"));
            }
            let (relayed, lifetime) = (a.relayed, a.lifetime);
            self.allocated(client, tid, relayed, lifetime);
            return Ok(());
        }
        match msg.attribute(REQUESTED_TRANSPORT) {
            Some([TRANSPORT_UDP, _, _, _]) => {}
            Some(_) => return Err((UNSUPPORTED_TRANSPORT, "Unsupported Transport Protocol")),
            None => return Err((BAD_REQUEST, "Bad Request")),
        }
        if let Some(family) = msg.attribute(REQUESTED_ADDRESS_FAMILY) {
            let ours = if self.addr.is_ipv4() { 0x01 } else { 0x02 };
            if family.first() != Some(&ours) {
                return Err((ADDRESS_FAMILY_NOT_SUPPORTED, "Address Family not Supported"));
            }
        }
        self.expire(now);
        if self.allocations.len() >= MAX_ALLOCATIONS {
            return Err((INSUFFICIENT_CAPACITY, "Insufficient Capacity"));
        }
        let Some(port) = self.free_port() else {
            return Err((INSUFFICIENT_CAPACITY, "Insufficient Capacity"));
        };
        let lifetime = self.desired_lifetime(wire::lifetime(msg));
        let relayed = SocketAddr::new(self.addr.ip(), port);
        self.allocations.push(Allocation {
            client,
            relayed,
            tid,
            lifetime,
            expires: now + Duration::from_secs(u64::from(lifetime)),
            permissions: Vec::new(),
            channels: Vec::new(),
        });
        self.stats.allocations += 1;
        self.allocated(client, tid, relayed, lifetime);
        Ok(())
    }

    /// The success answer to an Allocate.
    fn allocated(
        &mut self,
        client: SocketAddr,
        tid: TransactionId,
        relayed: SocketAddr,
        lifetime: u32,
    ) {
        let key = self.key;
        let ok = self.out.push(self.addr, client, RESPONSE_ROOM, |buf| {
            let mut b = MessageBuilder::new(buf, Class::Success, ALLOCATE, tid)?;
            b.add_xor_address(XOR_RELAYED_ADDRESS, relayed)?;
            b.add_xor_mapped_address(client)?;
            b.add_raw(LIFETIME, &lifetime.to_be_bytes())?;
            b.add_message_integrity(&key)?;
            b.finish_with_fingerprint()
        });
        self.count_queued(ok);
    }

    fn refresh(
        &mut self,
        now: Instant,
        client: SocketAddr,
        msg: &Message<&[u8]>,
    ) -> Result<(), Refusal> {
        let Some(i) = self.allocation_index(now, client) else {
            return Err((ALLOCATION_MISMATCH, "Allocation Mismatch"));
        };
        let lifetime = match wire::lifetime(msg) {
            Some(0) => 0,
            requested => self.desired_lifetime(requested),
        };
        if lifetime == 0 {
            self.allocations.swap_remove(i);
            self.stats.deallocations += 1;
        } else {
            let a = &mut self.allocations[i];
            a.lifetime = lifetime;
            a.expires = now + Duration::from_secs(u64::from(lifetime));
        }
        self.succeed(client, msg, |b| {
            b.add_raw(LIFETIME, &lifetime.to_be_bytes())
        });
        Ok(())
    }

    fn create_permission(
        &mut self,
        now: Instant,
        client: SocketAddr,
        msg: &Message<&[u8]>,
    ) -> Result<(), Refusal> {
        let Some(i) = self.allocation_index(now, client) else {
            return Err((ALLOCATION_MISMATCH, "Allocation Mismatch"));
        };
        let peer = self.peer_address(i, msg)?;
        if !self.allocations[i].permit(now, peer.ip()) {
            return Err((INSUFFICIENT_CAPACITY, "Insufficient Capacity"));
        }
        self.stats.permissions += 1;
        self.succeed(client, msg, |_| Ok(()));
        Ok(())
    }

    fn channel_bind(
        &mut self,
        now: Instant,
        client: SocketAddr,
        msg: &Message<&[u8]>,
    ) -> Result<(), Refusal> {
        const BAD: Refusal = (BAD_REQUEST, "Bad Request");
        let Some(i) = self.allocation_index(now, client) else {
            return Err((ALLOCATION_MISMATCH, "Allocation Mismatch"));
        };
        let number = match msg.attribute(CHANNEL_NUMBER) {
            Some(&[hi, lo, _, _]) => u16::from_be_bytes([hi, lo]),
            _ => return Err(BAD),
        };
        if !CHANNELS.contains(&number) {
            return Err(BAD);
        }
        let peer = self.peer_address(i, msg)?;
        let a = &mut self.allocations[i];
        a.channels.retain(|b| b.expires > now);
        // A number bound to another peer, or a peer bound to another number (section 12.2).
        if a.channels
            .iter()
            .any(|b| (b.number == number) != (b.peer == peer))
        {
            return Err(BAD);
        }
        let expires = now + CHANNEL_LIFETIME;
        let full = a.channels.len() >= MAX_CHANNELS;
        match a.channels.iter_mut().find(|b| b.number == number) {
            Some(b) => b.expires = expires,
            None if full => return Err((INSUFFICIENT_CAPACITY, "Insufficient Capacity")),
            None => a.channels.push(Binding {
                number,
                peer,
                expires,
            }),
        }
        if !a.permit(now, peer.ip()) {
            return Err((INSUFFICIENT_CAPACITY, "Insufficient Capacity"));
        }
        self.stats.channel_binds += 1;
        self.succeed(client, msg, |_| Ok(()));
        Ok(())
    }

    /// XOR-PEER-ADDRESS of `msg`, of the family of allocation `i`'s relayed address.
    fn peer_address(&self, i: usize, msg: &Message<&[u8]>) -> Result<SocketAddr, Refusal> {
        let peer = msg
            .xor_address(XOR_PEER_ADDRESS)
            .ok_or((BAD_REQUEST, "Bad Request"))?;
        if peer.is_ipv4() != self.allocations[i].relayed.is_ipv4() {
            return Err((PEER_ADDRESS_FAMILY_MISMATCH, "Peer Address Family Mismatch"));
        }
        Ok(peer)
    }

    fn send_indication(&mut self, now: Instant, client: SocketAddr, msg: &Message<&[u8]>) {
        let (Some(peer), Some(data)) =
            (msg.xor_address(XOR_PEER_ADDRESS), msg.attribute(DATA_ATTR))
        else {
            return self.drop_one();
        };
        self.relay_to_peer(now, client, peer, data);
    }

    fn channel_data_from_client(
        &mut self,
        now: Instant,
        client: SocketAddr,
        number: u16,
        payload: &[u8],
    ) {
        let peer = self
            .allocation(now, client)
            .and_then(|a| a.peer_of(now, number));
        let Some(peer) = peer else {
            return self.drop_one();
        };
        if self.relay_to_peer(now, client, peer, payload) {
            self.stats.channel_data_from_client += 1;
        }
    }

    /// Sends `payload` from `client`'s relayed address to `peer`, if permitted.
    fn relay_to_peer(
        &mut self,
        now: Instant,
        client: SocketAddr,
        peer: SocketAddr,
        payload: &[u8],
    ) -> bool {
        let Some(a) = self.allocation(now, client) else {
            self.drop_one();
            return false;
        };
        if !a.is_permitted(now, peer.ip()) {
            self.stats.dropped_no_permission += 1;
            self.drop_one();
            return false;
        }
        let relayed = a.relayed;
        let ok = self.out.push(relayed, peer, payload.len(), |buf| {
            let out = buf
                .get_mut(..payload.len())
                .ok_or(WireError::BufferTooSmall)?;
            out.copy_from_slice(payload);
            Ok(payload.len())
        });
        self.count_queued(ok);
        if ok {
            self.stats.relayed_to_peer += 1;
        }
        ok
    }

    /// A datagram from `peer` to relayed address `relayed`.
    fn handle_peer(&mut self, now: Instant, peer: SocketAddr, relayed: SocketAddr, data: &[u8]) {
        let Some(a) = self
            .allocations
            .iter()
            .find(|a| a.relayed == relayed && a.expires > now)
        else {
            return self.drop_one();
        };
        if !a.is_permitted(now, peer.ip()) {
            self.stats.dropped_no_permission += 1;
            return self.drop_one();
        }
        let client = a.client;
        let channel = a.channel_of(now, peer);
        let ok = match channel {
            Some(number) => {
                let room = wire::CHANNEL_HEADER_LEN + data.len();
                self.out.push(self.addr, client, room, |buf| {
                    let out = buf.get_mut(..data.len()).ok_or(WireError::BufferTooSmall)?;
                    out.copy_from_slice(data);
                    wire::write_channel_data(buf, data.len(), number)
                })
            }
            None => {
                self.indications = self.indications.wrapping_add(1);
                let mut id = *b"sim-data\0\0\0\0";
                id[8..].copy_from_slice(&(self.indications as u32).to_be_bytes());
                let tid = TransactionId::new(id);
                self.out
                    .push(self.addr, client, DATA_OVERHEAD + data.len(), |buf| {
                        let mut b = MessageBuilder::new(buf, Class::Indication, DATA, tid)?;
                        b.add_xor_address(XOR_PEER_ADDRESS, peer)?;
                        b.add_raw(DATA_ATTR, data)?;
                        Ok(b.finish())
                    })
            }
        };
        self.count_queued(ok);
        if ok {
            self.stats.relayed_to_client += 1;
            if channel.is_some() {
                self.stats.channel_data_to_client += 1;
            }
        }
    }

    // ---- answers ----

    /// 401 with REALM and NONCE, unsigned.
    fn challenge(&mut self, client: SocketAddr, msg: &Message<&[u8]>) {
        self.stats.challenges += 1;
        let (method, tid) = (msg.method(), msg.transaction_id());
        let (realm, nonce) = (self.realm.as_bytes(), self.nonce.as_bytes());
        let ok = self.out.push(self.addr, client, RESPONSE_ROOM, |buf| {
            let mut b = MessageBuilder::new(buf, Class::Error, method, tid)?;
            b.add_error_code(UNAUTHORIZED, "Unauthorized")?;
            b.add_raw(AttributeType::REALM, realm)?;
            b.add_raw(AttributeType::NONCE, nonce)?;
            b.finish_with_fingerprint()
        });
        self.count_queued(ok);
    }

    /// An error answer, signed when the request was authenticated.
    fn refuse(
        &mut self,
        client: SocketAddr,
        msg: &Message<&[u8]>,
        (code, reason): Refusal,
        signed: bool,
    ) {
        self.stats.errors += 1;
        let (method, tid, key) = (msg.method(), msg.transaction_id(), self.key);
        let ok = self.out.push(self.addr, client, RESPONSE_ROOM, |buf| {
            let mut b = MessageBuilder::new(buf, Class::Error, method, tid)?;
            b.add_error_code(code, reason)?;
            if signed {
                b.add_message_integrity(&key)?;
            }
            b.finish_with_fingerprint()
        });
        self.count_queued(ok);
    }

    /// A signed success answer with the attributes `attrs` adds.
    fn succeed(
        &mut self,
        client: SocketAddr,
        msg: &Message<&[u8]>,
        attrs: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), WireError>,
    ) {
        let (method, tid, key) = (msg.method(), msg.transaction_id(), self.key);
        let ok = self.out.push(self.addr, client, RESPONSE_ROOM, |buf| {
            let mut b = MessageBuilder::new(buf, Class::Success, method, tid)?;
            attrs(&mut b)?;
            b.add_message_integrity(&key)?;
            b.finish_with_fingerprint()
        });
        self.count_queued(ok);
    }

    // ---- internals ----

    /// The lifetime granted for a requested one (RFC 8656 section 7.2): the default unless
    /// the client asks for more, and never past the maximum.
    fn desired_lifetime(&self, requested: Option<u32>) -> u32 {
        let (default, max) = self.lifetimes;
        requested.map_or(default, |r| r.min(max).max(default))
    }

    fn allocation(&self, now: Instant, client: SocketAddr) -> Option<&Allocation> {
        self.allocations
            .iter()
            .find(|a| a.client == client && a.expires > now)
    }

    fn allocation_index(&self, now: Instant, client: SocketAddr) -> Option<usize> {
        self.allocations
            .iter()
            .position(|a| a.client == client && a.expires > now)
    }

    /// Removes expired allocations.
    fn expire(&mut self, now: Instant) {
        let before = self.allocations.len();
        self.allocations.retain(|a| a.expires > now);
        self.stats.deallocations += (before - self.allocations.len()) as u64;
    }

    /// The next port from [`FIRST_RELAY_PORT`] up that no allocation uses, wrapping around.
    fn free_port(&mut self) -> Option<u16> {
        for _ in FIRST_RELAY_PORT..=u16::MAX {
            let port = self.next_port;
            self.next_port = port.checked_add(1).unwrap_or(FIRST_RELAY_PORT);
            if !self.allocations.iter().any(|a| a.relayed.port() == port) {
                return Some(port);
            }
        }
        None
    }

    fn drop_one(&mut self) {
        self.stats.dropped += 1;
    }

    fn count_queued(&mut self, ok: bool) {
        if !ok {
            self.drop_one();
        }
    }
}

impl Peer for TurnRelay {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.expire(now);
        if rx.transport != Transport::Udp {
            return self.drop_one();
        }
        if rx.destination == self.addr {
            self.handle_client(now, rx.source, rx.contents);
        } else {
            self.handle_peer(now, rx.source, rx.destination, rx.contents);
        }
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.out.pop(buf)
    }

    /// None: expiry is checked lazily, on every datagram, so that an idle server never wakes
    /// the simulator (a scenario's `step` would jump straight to an allocation's expiry).
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Datagrams waiting to be sent, in bounded queue of reused buffers.
#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
}

impl Outbox {
    /// Queues the datagram `write` puts into a buffer of `room` bytes; `false` (nothing
    /// queued) when the queue is full or `write` fails.
    fn push(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        room: usize,
        write: impl FnOnce(&mut [u8]) -> Result<usize, WireError>,
    ) -> bool {
        if self.queue.len() >= MAX_QUEUED {
            return false;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.resize(room, 0);
        match write(&mut buf) {
            Ok(len) => {
                buf.truncate(len);
                self.queue.push_back((source, destination, buf));
                true
            }
            Err(_) => {
                self.recycle(buf);
                false
            }
        }
    }

    fn pop(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        loop {
            let (source, destination, bytes) = self.queue.pop_front()?;
            let len = bytes.len();
            let fits = buf.get_mut(..len).map(|out| out.copy_from_slice(&bytes));
            self.recycle(bytes);
            if fits.is_some() {
                return Some(Transmit {
                    source,
                    destination,
                    transport: Transport::Udp,
                    len,
                });
            }
        }
    }

    fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < MAX_SPARE {
            self.spare.push(buf);
        }
    }
}

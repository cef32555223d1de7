//! The DTLS connection: the record layer, the handshake driver and the application API.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand_core::CryptoRng;
use ring::hmac;

use super::client::{self, ClientState, Cx, Established};
use super::config::DtlsConfig;
use super::crypto;
use super::error::{DtlsError, ExportError, WriteError};
use super::event::{CloseReason, DtlsEvent};
use super::flight::Flight;
use super::handshake::Handshake;
use super::keys::SrtpKeys;
use super::layer::RecordLayer;
use super::reassembly::{HandshakeMessage, Placed, Reassembler};
use super::server::{self, COOKIE_LEN, ServerState};
use super::stats::DtlsStats;
use super::suite::{CipherSuite, SrtpProfile};
use super::timer::{Timer, TimerTable};
use super::wire::messages::{ClientHello, HelloVerifyRequest};
use super::wire::{
    Alert, AlertDescription, AlertLevel, ContentType, HandshakeFragment, HandshakeFragments,
    HandshakeHeader, HandshakeType, ProtocolVersion, RecordHeader,
};

/// Which side of the handshake this connection plays. In WebRTC the side that answers
/// `a=setup:active` is the client (RFC 5763 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the ClientHello.
    Client,
    /// Answers with a HelloVerifyRequest, then the server flight.
    Server,
}

/// Largest application-data record plaintext (RFC 5246 section 6.2.1: 2^14).
pub const MAX_RECORD_PLAINTEXT: usize = 1 << 14;

/// Largest receive chunk that application-data records are copied into and split from, so
/// a chunk is allocated once per many records (about 59 of 1100 bytes), not per record. A
/// `Bytes` the application still holds keeps its chunk alive.
const RX_CHUNK: usize = 64 * 1024;
/// The first receive chunk. A consumer that drops each record's bytes before the next
/// arrives (the peer connection hands them to SCTP, which copies them) reuses this one in
/// place for good; one that holds them makes each fresh chunk twice the last, up to
/// [`RX_CHUNK`].
const MIN_RX_CHUNK: usize = 4 * 1024;

/// Epoch-1 records kept while their keys are not yet derived (the peer's Finished can
/// overtake its ClientKeyExchange): at most this many, RFC 6347 section 4.1 allows it.
const MAX_EARLY_RECORDS: usize = 4;

/// Largest epoch-1 record kept early (a Finished is 61 bytes; leave room for others).
const MAX_EARLY_RECORD_LEN: usize = 512;

/// Cap on the doublings counted by [`Connection::final_flight_hold`].
const MAX_HOLD_STEPS: u32 = 64;

/// Length of a HelloVerifyRequest datagram: record and handshake headers, version, cookie.
const HVR_LEN: usize = RecordHeader::LEN + HandshakeHeader::LEN + 3 + COOKIE_LEN;

#[derive(Debug)]
enum State {
    /// Server, before a ClientHello with a valid cookie: no per-client state.
    AwaitCookie,
    Client(ClientState),
    Server(ServerState),
    Established(Established),
    Closed,
}

/// One DTLS 1.2 connection with one peer, either role.
///
/// # Method groups
///
/// - Construction: [`Connection::client`] (starts the handshake) and
///   [`Connection::server`].
/// - Network input: [`Connection::handle_record`] with each received DTLS datagram (first
///   byte 20..=63), and [`Connection::handle_timeout`] when [`Connection::poll_timeout`]
///   passes.
/// - Commands: [`Connection::write`] (application data, e.g. SCTP packets),
///   [`Connection::close`] (close_notify).
/// - Output: [`Connection::poll_transmit`] writes one datagram into the caller's buffer;
///   [`Connection::poll_event`] returns [`DtlsEvent`]s; [`Connection::poll_timeout`] the
///   next deadline.
/// - Keys, once connected: [`Connection::srtp_keys`] and
///   [`Connection::export_keying_material`].
/// - Getters: [`Connection::stats`], [`Connection::is_connected`],
///   [`Connection::is_closed`], [`Connection::buffered_bytes`] and others.
///
/// After any `handle_*` or command, drain `poll_transmit` and then `poll_event` until both
/// return `None`, then read `poll_timeout`. Polling more than needed is always correct.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: DtlsConfig,
    state: State,
    hs: Option<Box<Handshake>>,
    layer: RecordLayer,
    reassembler: Reassembler,
    flight: Flight,
    flight_final: bool,
    timers: TimerTable,
    rto: Duration,
    retransmissions: u32,
    events: VecDeque<DtlsEvent>,
    stats: DtlsStats,
    /// Our random (client random or server random), drawn at construction.
    random: [u8; 32],
    cookie_key: hmac::Key,
    pending_hvr: Option<([u8; HVR_LEN], usize)>,
    pending_alert: Option<Alert>,
    /// Application data queued by `write`: bytes, and each record's length.
    tx_data: Vec<u8>,
    tx_lens: VecDeque<usize>,
    tx_head: usize,
    rx: BytesMut,
    /// The size of the next fresh receive chunk.
    rx_chunk: usize,
    /// Epoch-1 records that arrived before the keys to open them.
    early: Vec<(RecordHeader, Vec<u8>)>,
    last_now: Instant,
    /// Set when we send a new flight; the next message processed starts the peer's flight.
    awaiting_peer_flight: bool,
    peer_flight_first: Option<u16>,
    /// The first message_seq of the peer flight our current flight answers: seeing it again
    /// means the peer did not get our flight (RFC 6347 section 4.2.4).
    retransmit_trigger: Option<u16>,
    /// A client in False Start (RFC 7918): it may write before the server's Finished.
    false_start: bool,
}

impl Connection {
    /// A client connection; the first ClientHello is queued at once.
    pub fn client(config: DtlsConfig, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        let mut c = Self::new(Role::Client, config, now, rng);
        let mut hs = Box::new(Handshake::new(c.random));
        let mut cx = Cx {
            hs: &mut hs,
            config: &c.config,
            layer: &mut c.layer,
        };
        c.state = State::Client(client::start(&mut cx));
        c.hs = Some(hs);
        c.take_flight();
        c
    }

    /// A server connection; it keeps no handshake state until a ClientHello returns the
    /// cookie of its HelloVerifyRequest.
    pub fn server(config: DtlsConfig, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        Self::new(Role::Server, config, now, rng)
    }

    fn new(role: Role, config: DtlsConfig, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        let mut random = [0; 32];
        rng.fill_bytes(&mut random);
        let mut secret = [0; 32];
        rng.fill_bytes(&mut secret);
        let reassembler =
            Reassembler::new(0, config.max_handshake_message, config.max_reassembly_bytes);
        let rto = config.initial_rto;
        Self {
            role,
            config,
            state: State::AwaitCookie,
            hs: None,
            layer: RecordLayer::default(),
            reassembler,
            flight: Flight::default(),
            flight_final: false,
            timers: TimerTable::default(),
            rto,
            retransmissions: 0,
            events: VecDeque::with_capacity(8),
            stats: DtlsStats::default(),
            random,
            cookie_key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            pending_hvr: None,
            pending_alert: None,
            tx_data: Vec::new(),
            tx_lens: VecDeque::new(),
            tx_head: 0,
            rx: BytesMut::new(),
            rx_chunk: MIN_RX_CHUNK,
            early: Vec::new(),
            last_now: now,
            awaiting_peer_flight: true,
            peer_flight_first: None,
            retransmit_trigger: None,
            false_start: false,
        }
    }

    // ---- getters ----

    /// This side's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the handshake completed and the connection is open.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Established(_))
    }

    /// Whether application data may be written: once connected, or, on a client in False
    /// Start (RFC 7918, [`DtlsEvent::FalseStart`]), from its Finished flight on. Unlike
    /// [`Connection::is_connected`], the server's Finished may not have been verified yet.
    pub fn is_writable(&self) -> bool {
        match self.state {
            State::Established(_) => true,
            State::Client(_) => self.false_start,
            _ => false,
        }
    }

    /// Whether the connection is closed (by either side or by an error).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The negotiated cipher suite, once connected.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        match &self.state {
            State::Established(e) => Some(e.secrets.suite),
            _ => None,
        }
    }

    /// The negotiated SRTP profile, once connected.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        match &self.state {
            State::Established(e) => e.srtp_profile,
            _ => None,
        }
    }

    /// The peer's certificate (DER), once connected.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        match &self.state {
            State::Established(e) => Some(&e.peer.der),
            _ => None,
        }
    }

    /// Counters.
    pub fn stats(&self) -> &DtlsStats {
        &self.stats
    }

    /// Bytes held on behalf of the peer and of unsent data: reassembly, transcript, the
    /// current flight and queued application data. Bounded by the configuration.
    pub fn buffered_bytes(&self) -> usize {
        self.reassembler.buffered()
            + self.hs.as_ref().map_or(0, |h| h.buffered())
            + self.flight.buffered()
            + self.tx_data.capacity()
            + self.early.iter().map(|(_, r)| r.capacity()).sum::<usize>()
    }

    /// Whether the server holds handshake state for a client (false until a ClientHello
    /// returned a valid cookie).
    pub fn has_handshake_state(&self) -> bool {
        self.hs.is_some()
    }

    // ---- keys ----

    /// Exports keying material (RFC 5705 section 4) into `out`. Only once connected: the
    /// established state holds the proof that the peer's fingerprint was checked.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), ExportError> {
        let State::Established(e) = &self.state else {
            return Err(ExportError::NotConnected);
        };
        let _proof = e.peer.verified;
        let s = &e.secrets;
        crypto::export(
            s.prf_hash(),
            &s.master,
            &s.client_random,
            &s.server_random,
            label,
            context,
            out,
        )
        .map_err(|()| ExportError::ContextTooLong)
    }

    /// The SRTP keys and salts of both directions (RFC 5764 section 4.2).
    pub fn srtp_keys(&self) -> Result<SrtpKeys, ExportError> {
        let profile = match &self.state {
            State::Established(e) => e.srtp_profile.ok_or(ExportError::NoSrtpProfile)?,
            _ => return Err(ExportError::NotConnected),
        };
        let mut material = [0u8; 2 * (32 + 14)];
        let material = &mut material[..SrtpKeys::material_len(profile)];
        self.export_keying_material(SrtpKeys::LABEL.as_bytes(), None, material)?;
        Ok(SrtpKeys::new(profile, self.role == Role::Client, material))
    }

    // ---- network input ----

    /// Takes in one received datagram (decrypted in place). Returns whether it was DTLS
    /// (first byte 20..=63); anything malformed, replayed or unauthenticated is dropped and
    /// counted in [`Connection::stats`].
    pub fn handle_record(&mut self, now: Instant, datagram: &mut [u8]) -> bool {
        if !matches!(datagram.first(), Some(20..=63)) {
            return false;
        }
        let now = self.clamp(now);
        self.stats.datagrams_received += 1;
        let mut rest = datagram;
        while !rest.is_empty() {
            let Ok(header) = RecordHeader::parse(rest) else {
                self.stats.malformed += 1;
                break;
            };
            let (record, tail) = rest.split_at_mut(header.record_len());
            rest = tail;
            self.stats.records_received += 1;
            let fragment = &mut record[RecordHeader::LEN..];
            self.handle_one(now, &header, fragment);
        }
        true
    }

    fn handle_one(&mut self, now: Instant, header: &RecordHeader, fragment: &mut [u8]) {
        if matches!(self.state, State::Closed) {
            self.stats.dropped += 1;
            return;
        }
        let plaintext: &[u8] = match header.epoch {
            0 => fragment,
            1 => match self.layer.open(header, fragment) {
                Ok(range) => &fragment[range],
                Err(true) => {
                    self.stats.replayed += 1;
                    return;
                }
                Err(false) => {
                    if self.layer.has_read_keys() {
                        self.stats.auth_failures += 1;
                    } else if matches!(self.state, State::Client(_) | State::Server(_))
                        && self.early.len() < MAX_EARLY_RECORDS
                        && fragment.len() <= MAX_EARLY_RECORD_LEN
                    {
                        self.early.push((*header, fragment.to_vec()));
                    } else {
                        self.stats.dropped += 1;
                    }
                    return;
                }
            },
            _ => {
                self.stats.dropped += 1;
                return;
            }
        };
        match header.content_type {
            ContentType::Handshake => self.handle_handshake(now, header, plaintext),
            ContentType::ChangeCipherSpec => {
                // Only a marker here: epoch-1 records are recognised by their epoch.
                if plaintext != [1] {
                    self.stats.malformed += 1;
                }
            }
            ContentType::Alert => self.handle_alert(header, plaintext),
            ContentType::ApplicationData => {
                if header.epoch == 1 && matches!(self.state, State::Established(_)) {
                    self.stats.app_bytes_received += plaintext.len() as u64;
                    if !self.rx.try_reclaim(plaintext.len()) {
                        // One chunk per many records: reclaimed in place once every
                        // `Bytes` split from it is dropped, else a new, larger chunk.
                        self.rx = BytesMut::with_capacity(self.rx_chunk.max(plaintext.len()));
                        self.rx_chunk = (self.rx_chunk * 2).min(RX_CHUNK);
                    }
                    self.rx.extend_from_slice(plaintext);
                    let data: Bytes = self.rx.split().freeze();
                    self.events.push_back(DtlsEvent::ApplicationData(data));
                } else {
                    // Not before the handshake is verified: a server sends data only after
                    // its Finished, so a client in False Start that sees data first got it
                    // reordered ahead of the Finished, and drops it (the data's own
                    // transport, SCTP, sends it again).
                    self.stats.dropped += 1;
                }
            }
        }
    }

    fn handle_alert(&mut self, header: &RecordHeader, plaintext: &[u8]) {
        let Ok(alert) = Alert::parse(plaintext) else {
            self.stats.malformed += 1;
            return;
        };
        // Once keys are in use, unauthenticated alerts are ignored; so are alerts before a
        // server has seen a valid cookie (they could come from anyone).
        if header.epoch == 0 && matches!(self.state, State::Established(_) | State::AwaitCookie) {
            self.stats.dropped += 1;
            return;
        }
        if alert.description == AlertDescription::CLOSE_NOTIFY {
            self.pending_alert = Some(Alert {
                level: AlertLevel::Warning,
                description: AlertDescription::CLOSE_NOTIFY,
            });
            self.close_with(CloseReason::PeerClosed);
        } else if alert.level == AlertLevel::Fatal {
            self.close_with(CloseReason::PeerAlert(alert.description));
        }
    }

    fn handle_handshake(&mut self, now: Instant, header: &RecordHeader, plaintext: &[u8]) {
        for frag in HandshakeFragments::new(plaintext) {
            let Ok(frag) = frag else {
                self.stats.malformed += 1;
                break;
            };
            match self.state {
                State::AwaitCookie => {
                    if header.epoch == 0 {
                        self.handle_hello_stateless(header, &frag);
                    } else {
                        self.stats.dropped += 1;
                    }
                }
                State::Client(_) | State::Server(_) => {
                    match self.reassembler.insert(&frag, header.epoch) {
                        Placed::Kept => {}
                        Placed::Old => self.on_old_fragment(&frag),
                        Placed::Dropped => self.stats.dropped += 1,
                    }
                }
                State::Established(_) => {
                    if frag.header.message_seq < self.reassembler.next_seq() {
                        self.on_old_fragment(&frag);
                    } else {
                        // Renegotiation is refused (RFC 5746); a new handshake is ignored.
                        self.stats.dropped += 1;
                    }
                }
                State::Closed => return,
            }
        }
        self.drive(now);
        if self.layer.has_read_keys() && !self.early.is_empty() {
            for (header, mut fragment) in std::mem::take(&mut self.early) {
                self.handle_one(now, &header, &mut fragment);
            }
        }
    }

    /// A fragment of a message already processed: if it starts the peer flight that our
    /// current flight answers, the peer missed ours, so send it again.
    fn on_old_fragment(&mut self, frag: &HandshakeFragment<'_>) {
        if Some(frag.header.message_seq) == self.retransmit_trigger
            && frag.header.fragment_offset == 0
            && !self.flight.is_empty()
            && !self.flight.is_sending()
        {
            self.flight.restart();
            self.timers.stop(Timer::Retransmit);
            self.stats.retransmissions += 1;
        }
    }

    /// The stateless part of the server (RFC 6347 section 4.2.1).
    fn handle_hello_stateless(&mut self, header: &RecordHeader, frag: &HandshakeFragment<'_>) {
        if frag.header.msg_type != HandshakeType::CLIENT_HELLO {
            self.stats.dropped += 1;
            return;
        }
        if !frag.header.is_whole() {
            self.reassemble_hello(header, frag);
            return;
        }
        let Ok(ch) = ClientHello::parse(frag.body) else {
            self.stats.malformed += 1;
            return;
        };
        let skip = !self.config.cookie_exchange;
        if skip
            || (!ch.cookie.is_empty() && server::cookie_is_valid(&self.cookie_key, frag.body, &ch))
        {
            self.accept_hello(header, frag, &ch);
            return;
        }
        if !ch.cookie.is_empty() {
            self.stats.bad_cookies += 1;
        }
        let cookie = server::cookie(&self.cookie_key, frag.body, &ch);
        let mut out = [0u8; HVR_LEN];
        let hvr = HelloVerifyRequest {
            version: ProtocolVersion::DTLS1_0,
            cookie: &cookie,
        };
        let body_at = RecordHeader::LEN + HandshakeHeader::LEN;
        let Ok(body_len) = hvr.emit_into(&mut out[body_at..]) else {
            return;
        };
        let hh = HandshakeHeader {
            msg_type: HandshakeType::HELLO_VERIFY_REQUEST,
            length: body_len as u32,
            message_seq: frag.header.message_seq,
            fragment_offset: 0,
            fragment_length: body_len as u32,
        };
        let rh = RecordHeader {
            content_type: ContentType::Handshake,
            version: ProtocolVersion::DTLS1_0,
            epoch: 0,
            // RFC 6347 section 4.2.1: the record sequence number of the ClientHello.
            sequence: header.sequence,
            length: (HandshakeHeader::LEN + body_len) as u16,
        };
        if hh.emit_into(&mut out[RecordHeader::LEN..]).is_err() || rh.emit(&mut out).is_err() {
            return;
        }
        self.pending_hvr = Some((out, body_at + body_len));
        self.stats.hello_verify_requests += 1;
    }

    /// A fragment of a ClientHello too big for one record (a browser's, with post-quantum key
    /// shares, often is): held, bounded by one message of
    /// [`DtlsConfig::max_handshake_message`], until the hello is whole. This is the only state
    /// a server keeps before the cookie, and a new hello replaces it.
    fn reassemble_hello(&mut self, header: &RecordHeader, frag: &HandshakeFragment<'_>) {
        let seq = frag.header.message_seq;
        if self.reassembler.next_seq() != seq {
            let max = self.config.max_handshake_message;
            self.reassembler = Reassembler::new(seq, max, max + HandshakeHeader::LEN);
        }
        if self.reassembler.insert(frag, 0) != Placed::Kept {
            self.stats.dropped += 1;
            return;
        }
        let Some(msg) = self.reassembler.pop() else {
            return;
        };
        match HandshakeFragments::new(&msg.full).next() {
            Some(Ok(whole)) if whole.header.is_whole() => {
                self.handle_hello_stateless(header, &whole);
            }
            _ => self.stats.malformed += 1,
        }
    }

    fn accept_hello(
        &mut self,
        header: &RecordHeader,
        frag: &HandshakeFragment<'_>,
        ch: &ClientHello<'_>,
    ) {
        let mut full = Vec::with_capacity(HandshakeHeader::LEN + frag.body.len());
        frag.header.emit(&mut full);
        full.extend_from_slice(frag.body);
        let msg = HandshakeMessage {
            msg_type: HandshakeType::CLIENT_HELLO,
            seq: frag.header.message_seq,
            epoch: 0,
            full,
        };
        let mut hs = Box::new(Handshake::new(ch.random));
        self.layer.set_epoch0_seq(header.sequence);
        self.reassembler = Reassembler::new(
            msg.seq.wrapping_add(1),
            self.config.max_handshake_message,
            self.config.max_reassembly_bytes,
        );
        self.peer_flight_first = Some(msg.seq);
        self.awaiting_peer_flight = false;
        let mut cx = Cx {
            hs: &mut hs,
            config: &self.config,
            layer: &mut self.layer,
        };
        let result = server::accept(&mut cx, &msg, ch, self.random);
        self.hs = Some(hs);
        match result {
            Ok(state) => {
                self.state = State::Server(state);
                self.take_flight();
            }
            Err(e) => self.fail(e),
        }
    }

    /// Feeds complete messages to the state machine.
    fn drive(&mut self, now: Instant) {
        loop {
            if !matches!(self.state, State::Client(_) | State::Server(_)) {
                return;
            }
            let Some(msg) = self.reassembler.pop() else {
                return;
            };
            if self.awaiting_peer_flight {
                self.peer_flight_first = Some(msg.seq);
                self.awaiting_peer_flight = false;
            }
            let Some(mut hs) = self.hs.take() else {
                return;
            };
            let state = std::mem::replace(&mut self.state, State::Closed);
            let mut cx = Cx {
                hs: &mut hs,
                config: &self.config,
                layer: &mut self.layer,
            };
            let result = match state {
                State::Client(s) => s.handle(&mut cx, &msg).map(|step| match step {
                    client::Step::Next(s) => State::Client(s),
                    client::Step::Done(e) => State::Established(e),
                }),
                State::Server(s) => s.handle(&mut cx, &msg).map(|step| match step {
                    server::Step::Next(s) => State::Server(s),
                    server::Step::Done(e) => State::Established(e),
                }),
                other => Ok(other),
            };
            self.hs = Some(hs);
            match result {
                Ok(next) => {
                    self.state = next;
                    self.take_flight();
                    if let State::Client(s) = &self.state
                        && !self.false_start
                        && let Some(cipher_suite) = s.false_start_suite(&self.config)
                    {
                        self.false_start = true;
                        self.events
                            .push_back(DtlsEvent::FalseStart { cipher_suite });
                    }
                    if let State::Established(e) = &self.state {
                        self.events.push_back(DtlsEvent::Connected {
                            cipher_suite: e.secrets.suite,
                            srtp_profile: e.srtp_profile,
                        });
                        self.hs = None;
                        self.reassembler.clear();
                        self.false_start = false;
                        if self.role == Role::Client {
                            self.flight.clear();
                            self.timers.stop(Timer::Retransmit);
                        } else {
                            let hold = self.final_flight_hold();
                            self.timers.set(Timer::ReleaseFinalFlight, now + hold);
                        }
                        return;
                    }
                }
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
        }
    }

    /// Moves a completed flight from the handshake into the send queue.
    fn take_flight(&mut self) {
        let Some(hs) = self.hs.as_deref_mut() else {
            return;
        };
        if !hs.flight_ready {
            return;
        }
        hs.flight_ready = false;
        self.flight.replace(std::mem::take(&mut hs.flight));
        self.flight_final = hs.flight_final;
        self.timers.stop(Timer::Retransmit);
        self.rto = self.config.initial_rto;
        self.retransmissions = 0;
        self.retransmit_trigger = self.peer_flight_first;
        self.awaiting_peer_flight = true;
    }

    /// How long a server keeps its last flight (ChangeCipherSpec, Finished, about 30 bytes)
    /// after the handshake, to answer a client that retransmits its Finished flight because
    /// ours was lost (RFC 6347 section 4.2.4). Application data from the client does not
    /// prove it has our Finished: in False Start (RFC 7918) it sends data before. So the
    /// flight is kept for as long as a client on our own timer schedule could go on
    /// retransmitting (the sum of [`DtlsConfig::initial_rto`] doubled up to
    /// [`DtlsConfig::max_rto`], [`DtlsConfig::max_retransmissions`] times: about 4 minutes
    /// with the defaults), then let go. A shorter hold (10 s) lost handshakes at 30 % loss
    /// each way, where the client's later retransmissions come 15 s and more apart.
    pub fn final_flight_hold(&self) -> Duration {
        let mut rto = self.config.initial_rto;
        let mut total = rto;
        for _ in 0..self.config.max_retransmissions.min(MAX_HOLD_STEPS) {
            rto = rto.saturating_mul(2).min(self.config.max_rto);
            total = total.saturating_add(rto);
        }
        total
    }

    /// Fires due timers. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.timers.is_due(Timer::ReleaseFinalFlight, now) {
            self.timers.stop(Timer::ReleaseFinalFlight);
            self.flight.clear();
            self.retransmit_trigger = None;
        }
        if !self.timers.is_due(Timer::Retransmit, now) {
            return;
        }
        self.timers.stop(Timer::Retransmit);
        if self.retransmissions >= self.config.max_retransmissions {
            self.fail(DtlsError::Timeout);
            return;
        }
        self.retransmissions += 1;
        self.rto = (self.rto * 2).min(self.config.max_rto);
        self.flight.restart();
        self.stats.retransmissions += 1;
    }

    // ---- commands ----

    /// Lets go of the receive chunk when no record's bytes point into it any more, so an
    /// idle connection holds none; the next record allocates a small one again. Call it when
    /// the connection has been idle for a while (a peer connection does on its idle timer).
    pub fn release_idle_buffers(&mut self) {
        let whole = self.rx.capacity() + 1;
        if self.rx.capacity() > 0 && self.rx.is_empty() && self.rx.try_reclaim(whole) {
            self.rx = BytesMut::new();
            self.rx_chunk = MIN_RX_CHUNK;
        }
        if self.tx_lens.is_empty() {
            self.tx_data = Vec::new();
            self.tx_lens = VecDeque::new();
            self.tx_head = 0;
        }
    }

    /// Sets the initial retransmission timeout, for a caller that knows the round-trip time
    /// better than the 1 s default (RFC 6347 section 4.2.4.1 asks for 1 s only "in the
    /// absence of" such knowledge): later flights start from it, and so does the current
    /// flight if its timer has not yet been armed or fired. Clamped to the maximum. A lower
    /// value adds a retransmission per halving, so a handshake is not given up sooner than
    /// with the configured timeout.
    pub fn set_initial_rto(&mut self, rto: Duration) {
        let rto = rto.min(self.config.max_rto).max(Duration::from_millis(1));
        let mut extra = 0;
        let mut r = rto;
        while r < self.config.initial_rto && extra < 16 {
            r *= 2;
            extra += 1;
        }
        self.config.max_retransmissions = self.config.max_retransmissions.saturating_add(extra);
        self.config.initial_rto = rto;
        if self.retransmissions == 0 && self.timers.get(Timer::Retransmit).is_none() {
            self.rto = rto;
        }
    }

    /// Queues one record of application data. Only once connected, or on a client in False
    /// Start ([`Connection::is_writable`]).
    pub fn write(&mut self, now: Instant, data: &[u8]) -> Result<(), WriteError> {
        self.clamp(now);
        match self.state {
            State::Closed => return Err(WriteError::Closed),
            _ if !self.is_writable() => return Err(WriteError::NotConnected),
            _ => {}
        }
        if data.len() > MAX_RECORD_PLAINTEXT {
            return Err(WriteError::TooLarge);
        }
        if self.tx_data.len() - self.tx_head + data.len() > self.config.max_queued_bytes {
            return Err(WriteError::QueueFull);
        }
        self.tx_data.extend_from_slice(data);
        self.tx_lens.push_back(data.len());
        Ok(())
    }

    /// Closes the connection: sends close_notify and emits
    /// [`CloseReason::LocalClosed`]. Does nothing if already closed.
    pub fn close(&mut self, now: Instant) {
        self.clamp(now);
        if matches!(self.state, State::Closed) {
            return;
        }
        self.pending_alert = Some(Alert {
            level: AlertLevel::Warning,
            description: AlertDescription::CLOSE_NOTIFY,
        });
        self.close_with(CloseReason::LocalClosed);
    }

    fn fail(&mut self, e: DtlsError) {
        self.pending_alert = Some(Alert {
            level: AlertLevel::Fatal,
            description: AlertDescription::from(&e),
        });
        self.close_with(CloseReason::Error(e));
    }

    fn close_with(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.hs = None;
        self.reassembler.clear();
        self.flight.clear();
        self.early = Vec::new();
        self.timers.stop_all();
        self.false_start = false;
        self.pending_hvr = None;
        self.tx_data = Vec::new();
        self.tx_lens.clear();
        self.tx_head = 0;
        self.events.push_back(DtlsEvent::Closed { reason });
    }

    // ---- output ----

    /// Writes the next datagram into `buf` and returns its length. `buf` should hold
    /// [`DtlsConfig::mtu`] bytes, or more for application data up to
    /// [`MAX_RECORD_PLAINTEXT`] plus 50 bytes of overhead.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let now = self.clamp(now);
        let n = self.transmit(now, buf)?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += n as u64;
        Some(n)
    }

    fn transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if let Some((bytes, len)) = self.pending_hvr.take() {
            let out = buf.get_mut(..len)?;
            out.copy_from_slice(&bytes[..len]);
            return Some(len);
        }
        if let Some(alert) = self.pending_alert.take() {
            let epoch = self.layer.write_epoch();
            let bytes = alert.to_bytes();
            return self
                .layer
                .write_record(buf, epoch, ContentType::Alert, |b| match b.get_mut(..2) {
                    Some(d) => {
                        d.copy_from_slice(&bytes);
                        2
                    }
                    None => 0,
                })
                .ok();
        }
        if matches!(self.state, State::Closed) {
            return None;
        }
        if self.flight.is_sending() {
            let n = self
                .flight
                .write_datagram(&mut self.layer, self.config.mtu, buf);
            if !self.flight.is_sending() && !self.flight_final {
                self.timers.set(Timer::Retransmit, now + self.rto);
            }
            if n.is_some() {
                return n;
            }
        }
        if self.is_writable() {
            // Behind the whole flight: in False Start the Finished goes first.
            let len = self.tx_lens.pop_front()?;
            let start = self.tx_head;
            self.tx_head += len;
            let data = &self.tx_data[start..start + len];
            let n = self
                .layer
                .write_record(buf, 1, ContentType::ApplicationData, |b| {
                    match b.get_mut(..len) {
                        Some(d) => {
                            d.copy_from_slice(data);
                            len
                        }
                        None => 0,
                    }
                });
            if self.tx_lens.is_empty() {
                self.tx_data.clear();
                self.tx_head = 0;
            }
            return n.ok();
        }
        None
    }

    /// The next application event.
    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] should next be called: the flight
    /// retransmission deadline while a flight awaits its answer, and on a server the time
    /// its last flight is let go ([`Connection::final_flight_hold`] after the handshake).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Test only: makes this side's transcript differ from the peer's, so the peer's
    /// Finished no longer verifies (its record still authenticates).
    #[cfg(test)]
    pub(crate) fn corrupt_transcript(&mut self) {
        if let Some(hs) = &mut self.hs {
            hs.transcript.push(0);
        }
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.last_now {
            self.last_now = now;
        }
        self.last_now
    }
}

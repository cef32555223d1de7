//! The SCTP association: one peer-to-peer SCTP association as a sans-IO state machine.
//!
//! Files: `handshake.rs` (INIT to COOKIE ACK) with `cookie.rs`, `outbound.rs` (send queue,
//! SACK processing, retransmission, congestion control, partial reliability), `inbound.rs`
//! (TSN tracking, SACK generation, reassembly, delivery, FORWARD-TSN), `reconfig.rs`
//! (stream reset), `transmit.rs` (packet building), `timer.rs`, `config.rs`, `error.rs`,
//! `stats.rs`. See the [parent module](super) for scope and what is not yet done.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_core::CryptoRng;
use ring::hmac;

use self::cookie::COOKIE_LEN;
use self::inbound::Inbound;
use self::outbound::Outbound;
use self::reconfig::Reconfig;
use self::timer::{Timer, TimerTable};
use super::wire::{Chunk, ErrorCause, Packet, Ppid, StreamId, Tsn, VerificationTag};

mod arena;
mod config;
mod cookie;
mod error;
mod handshake;
mod inbound;
mod outbound;
mod reconfig;
mod scheduler;
mod snap;
mod stats;
#[cfg(test)]
mod tests;
mod timer;
mod transmit;

pub use self::config::{DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MTU, SctpConfig};
pub use self::error::{CloseReason, SendError};
pub use self::reconfig::ResetError;
pub use self::snap::{LocalInit, PeerInit};
pub use self::stats::SctpStats;

/// The error detection method identifier for DTLS (RFC 9653 section 6).
const ZERO_CHECKSUM_DTLS: u32 = 1;
/// The longest Heartbeat Info we echo (ours are 8 bytes; browsers' are under 100).
const MAX_HEARTBEAT_INFO: usize = 256;

/// The association's state (RFC 9260 section 4), `Listening` being the CLOSED state of an
/// endpoint that will accept an INIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssociationState {
    /// No association yet; an INIT is answered statelessly.
    Listening,
    /// INIT sent.
    CookieWait,
    /// COOKIE ECHO sent.
    CookieEchoed,
    /// Data flows.
    Established,
    /// [`Association::shutdown`] called; waiting for outstanding data to be acknowledged.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// SHUTDOWN received; finishing our outstanding data.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
    /// Gone: after SHUTDOWN COMPLETE, ABORT or a fatal error.
    Closed,
}

/// How a message is retransmitted (RFC 3758; RFC 8831 section 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reliability {
    /// Retransmitted until acknowledged.
    #[default]
    Reliable,
    /// Abandoned after this many retransmissions.
    MaxRetransmits(u16),
    /// Abandoned once this old (counted from the send call).
    MaxLifetime(Duration),
}

/// Per-message options for [`Association::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SendOptions {
    /// Deliver as soon as complete, regardless of order (the U bit).
    pub unordered: bool,
    /// The partial reliability policy.
    pub reliability: Reliability,
}

/// A complete user message received on a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The stream it came on.
    pub stream: StreamId,
    /// Its payload protocol identifier.
    pub ppid: Ppid,
    /// Whether it was sent unordered.
    pub unordered: bool,
    /// The bytes: one copy out of the packet; no further copy when the message came in one
    /// chunk, or in consecutive chunks that arrived in order.
    pub data: Bytes,
}

/// What the association tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed.
    Connected,
    /// A message arrived.
    Message(Message),
    /// A stream's buffered amount fell to or below its low threshold.
    BufferedAmountLow(StreamId),
    /// The peer reset its outgoing side of this stream (RFC 6525): no more data will come on
    /// it; its SSNs start again at 0.
    IncomingStreamReset(StreamId),
    /// Our outgoing side of this stream was reset at our request.
    OutgoingStreamReset(StreamId),
    /// The peer refused to reset our outgoing side of this stream (an RFC 6525 result
    /// other than "performed" or "in progress"): the stream stays as it was, its SSNs
    /// running on, and sends are allowed again.
    OutgoingStreamResetRefused(StreamId),
    /// The association closed.
    Closed(CloseReason),
}

/// What the peer announced and we agreed to.
#[derive(Debug, Clone, Copy, Default)]
struct PeerCaps {
    forward_tsn: bool,
    reconfig: bool,
    zero_checksum: bool,
    /// Streams we may send on: min(our outbound, their inbound).
    outbound_streams: u16,
    /// Streams they may send on: min(their outbound, our inbound).
    inbound_streams: u16,
}

/// An INIT ACK to send (the only thing kept for an INIT before COOKIE ECHO).
#[derive(Debug, Clone, Copy)]
struct PendingInitAck {
    peer_tag: VerificationTag,
    cookie: [u8; COOKIE_LEN],
}

/// Control chunks waiting for `poll_transmit`.
#[derive(Debug)]
struct Control {
    init: bool,
    init_ack: Option<PendingInitAck>,
    /// The cookie from the INIT ACK, kept to retransmit COOKIE ECHO.
    cookie: Vec<u8>,
    cookie_echo: bool,
    cookie_ack: bool,
    heartbeat_ack: Option<([u8; MAX_HEARTBEAT_INFO], usize)>,
    heartbeat: bool,
    heartbeat_outstanding: bool,
    shutdown: bool,
    shutdown_ack: bool,
    shutdown_complete: bool,
    abort: Option<ErrorCause>,
    error: Option<(ErrorCause, [u8; 4])>,
}

/// One SCTP association (RFC 9260), profiled for WebRTC data channels (RFC 8831): one path,
/// a fixed MTU, the FORWARD-TSN (RFC 3758) and RE-CONFIG (RFC 6525) extensions, and the zero
/// checksum of RFC 9653 when configured.
///
/// It consumes and produces whole SCTP packets as byte slices; over WebRTC these are DTLS
/// application data (RFC 8261), in tests they travel over a simulated link as they are.
///
/// # Method groups
///
/// - construction: [`Association::new`] (draws the cookie secret, our verification tag and
///   initial TSN from the caller's RNG), then [`Association::connect`] on the side that
///   sends INIT (WebRTC: both sides may); or, with SNAP, [`Association::with_local_init`]
///   and [`Association::connect_snap`] on both sides;
/// - network input: [`Association::handle_packet`];
/// - timers: [`Association::handle_timeout`], [`Association::poll_timeout`];
/// - commands: [`Association::send`], [`Association::send_bytes`],
///   [`Association::reset_streams`], [`Association::set_buffered_amount_low_threshold`],
///   [`Association::set_stream_priority`],
///   [`Association::shutdown`], [`Association::abort`];
/// - output: [`Association::poll_transmit`], [`Association::poll_event`];
/// - getters: state, statistics, congestion window, buffered amounts.
///
/// After any `handle_*` or command, drain [`Association::poll_transmit`] then
/// [`Association::poll_event`] until both return `None`, then read
/// [`Association::poll_timeout`]. Polling more than needed is always correct.
#[derive(Debug)]
pub struct Association {
    config: SctpConfig,
    epoch: Instant,
    now: Instant,
    cookie_key: hmac::Key,
    state: AssociationState,
    local_tag: VerificationTag,
    peer_tag: VerificationTag,
    local_initial_tsn: Tsn,
    peer: PeerCaps,
    timers: TimerTable,
    init_retransmits: u32,
    error_count: u32,
    out: Outbound,
    inb: Inbound,
    reconfig: Reconfig,
    ctl: Control,
    events: VecDeque<Event>,
    stats: SctpStats,
}

impl Association {
    /// A new association in [`AssociationState::Listening`]. Draws the cookie's HMAC key, our
    /// verification tag and our initial TSN from `rng`.
    pub fn new(config: SctpConfig, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        let mut secret = [0; 32];
        rng.fill_bytes(&mut secret);
        let local = LocalInit::draw(rng);
        Self::build(config, now, &secret, local)
    }

    /// A new association whose verification tag and initial TSN are `local`'s, drawn
    /// earlier so that our INIT could be signalled (SNAP, see [`LocalInit::chunk`] and
    /// [`Association::connect_snap`]). Draws only the cookie's HMAC key from `rng`.
    pub fn with_local_init(
        config: SctpConfig,
        now: Instant,
        rng: &mut dyn CryptoRng,
        local: LocalInit,
    ) -> Self {
        let mut secret = [0; 32];
        rng.fill_bytes(&mut secret);
        Self::build(config, now, &secret, local)
    }

    fn build(config: SctpConfig, now: Instant, secret: &[u8; 32], local: LocalInit) -> Self {
        let config = config.sanitized();
        let (local_tag, local_initial_tsn) = (local.tag, local.initial_tsn);
        let out = Outbound::new(&config, local_initial_tsn);
        let inb = Inbound::new(&config);
        Self {
            epoch: now,
            now,
            cookie_key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            state: AssociationState::Listening,
            local_tag,
            peer_tag: VerificationTag(0),
            local_initial_tsn,
            peer: PeerCaps::default(),
            timers: TimerTable::default(),
            init_retransmits: 0,
            error_count: 0,
            out,
            inb,
            reconfig: Reconfig::new(local_initial_tsn),
            ctl: Control {
                init: false,
                init_ack: None,
                cookie: Vec::new(),
                cookie_echo: false,
                cookie_ack: false,
                heartbeat_ack: None,
                heartbeat: false,
                heartbeat_outstanding: false,
                shutdown: false,
                shutdown_ack: false,
                shutdown_complete: false,
                abort: None,
                error: None,
            },
            // Grows to the events actually queued; reused after that.
            events: VecDeque::new(),
            stats: SctpStats::default(),
            config,
        }
    }

    // Getters.

    /// The current state.
    pub fn state(&self) -> AssociationState {
        self.state
    }

    /// Whether user data can flow (established, or shutting down with data left).
    pub fn is_established(&self) -> bool {
        self.state == AssociationState::Established
    }

    /// The configuration in use (after clamping).
    pub fn config(&self) -> &SctpConfig {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> &SctpStats {
        &self.stats
    }

    /// The congestion window in bytes (RFC 9260 section 7.2).
    pub fn cwnd(&self) -> usize {
        self.out.cwnd
    }

    /// The slow start threshold in bytes.
    pub fn ssthresh(&self) -> usize {
        self.out.ssthresh
    }

    /// User bytes in flight (sent, not acknowledged, not abandoned).
    pub fn flight_size(&self) -> usize {
        self.out.flight
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.out.rto.rto
    }

    /// The smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.out.rto.srtt
    }

    /// Bytes queued on `stream` and not yet sent once (the data channel `bufferedAmount`).
    pub fn buffered_amount(&self, stream: StreamId) -> usize {
        self.out.streams.get(&stream).map_or(0, |s| s.buffered)
    }

    /// User bytes held for sending: queued plus sent and not yet acknowledged.
    pub fn send_buffered(&self) -> usize {
        self.out.queued_bytes + self.out.inflight_bytes
    }

    /// User bytes held for the peer: out-of-order chunks, partial messages, and messages not
    /// yet taken with `poll_event`. Bounded by the receive window plus one message.
    pub fn receive_buffered(&self) -> usize {
        self.inb.held
    }

    /// Streams we may send on (known once established).
    pub fn outbound_streams(&self) -> u16 {
        self.peer.outbound_streams
    }

    /// Whether packets go out with a zero checksum (both sides accepted RFC 9653).
    pub fn uses_zero_checksum(&self) -> bool {
        self.config.zero_checksum && self.peer.zero_checksum
    }

    /// Whether the peer supports FORWARD-TSN, needed for partial reliability.
    pub fn peer_supports_partial_reliability(&self) -> bool {
        self.peer.forward_tsn
    }

    // Network input.

    /// Takes one SCTP packet (DTLS application data, or a datagram in tests). Malformed,
    /// mis-addressed or mis-tagged packets are counted in [`SctpStats`] and dropped.
    pub fn handle_packet(&mut self, now: Instant, bytes: &[u8]) {
        let now = self.clamp(now);
        if self.state == AssociationState::Closed {
            return;
        }
        let Ok(packet) = Packet::new_checked(bytes) else {
            self.stats.malformed += 1;
            return;
        };
        if !packet.verify_checksum(self.config.zero_checksum) {
            self.stats.bad_checksum += 1;
            return;
        }
        if packet.destination_port() != self.config.local_port
            || packet.source_port() != self.config.remote_port
        {
            self.stats.bad_tag += 1;
            return;
        }
        // Recognise fully before acting: every chunk must parse.
        let mut chunks = 0;
        let mut has_init = false;
        let mut reflected = false;
        for raw in packet.chunks() {
            chunks += 1;
            match Chunk::parse(raw) {
                Ok(Chunk::Init(_)) => has_init = true,
                Ok(
                    Chunk::Abort {
                        reflected: true, ..
                    }
                    | Chunk::ShutdownComplete { reflected: true },
                ) => reflected = true,
                Ok(_) => {}
                Err(_) => {
                    self.stats.malformed += 1;
                    return;
                }
            }
        }
        let tag = packet.verification_tag();
        let tag_ok = if has_init {
            chunks == 1 && tag.0 == 0
        } else {
            tag == self.local_tag || (reflected && self.peer_tag.0 != 0 && tag == self.peer_tag)
        };
        if !tag_ok {
            self.stats.bad_tag += 1;
            return;
        }
        self.stats.packets_received += 1;
        let mut had_data = false;
        for raw in packet.chunks() {
            let Ok(chunk) = Chunk::parse(raw) else {
                continue;
            };
            had_data |= matches!(chunk, Chunk::Data(_));
            if !self.handle_chunk(now, chunk) || self.state == AssociationState::Closed {
                break;
            }
        }
        if had_data {
            self.data_packet_received(now);
        }
        self.after_input(now);
    }

    /// Handles one chunk; `false` stops processing the packet.
    fn handle_chunk(&mut self, now: Instant, chunk: Chunk<'_>) -> bool {
        use AssociationState as S;
        let data_state = matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownSent
        );
        let ack_state = matches!(
            self.state,
            S::Established | S::ShutdownPending | S::ShutdownSent | S::ShutdownReceived
        );
        match chunk {
            Chunk::Init(init) => self.on_init(now, &init),
            Chunk::InitAck(ack) => self.on_init_ack(now, &ack),
            Chunk::CookieEcho(cookie) => self.on_cookie_echo(now, cookie),
            Chunk::CookieAck => self.on_cookie_ack(now),
            Chunk::Data(data) if data_state => self.on_data(&data),
            Chunk::Sack(sack) if ack_state => {
                self.on_ack(now, sack.cum_tsn, Some(sack.a_rwnd), sack.gap_blocks());
            }
            Chunk::ForwardTsn(f) if data_state => self.on_forward_tsn(&f),
            Chunk::Reconfig(params) if ack_state => self.on_reconfig(now, params),
            Chunk::Heartbeat(info) if info.len() <= MAX_HEARTBEAT_INFO => {
                let mut copy = [0; MAX_HEARTBEAT_INFO];
                copy[..info.len()].copy_from_slice(info);
                self.ctl.heartbeat_ack = Some((copy, info.len()));
            }
            Chunk::HeartbeatAck(info) => self.on_heartbeat_ack(now, info),
            Chunk::Abort { .. } => {
                self.close(CloseReason::PeerAbort);
                return false;
            }
            Chunk::Shutdown(cum) if ack_state => self.on_shutdown(now, cum),
            Chunk::ShutdownAck if matches!(self.state, S::ShutdownSent | S::ShutdownAckSent) => {
                self.ctl.shutdown_complete = true;
                self.close(CloseReason::Shutdown);
            }
            Chunk::ShutdownComplete { .. } if self.state == S::ShutdownAckSent => {
                self.close(CloseReason::Shutdown);
            }
            Chunk::Unknown(raw) => {
                if raw.kind.report_if_unknown() {
                    let len = u16::try_from(raw.value.len() + 4).unwrap_or(u16::MAX);
                    let [l0, l1] = len.to_be_bytes();
                    let header = [raw.kind.0, raw.flags, l0, l1];
                    self.ctl.error = Some((ErrorCause::UNRECOGNIZED_CHUNK, header));
                }
                return raw.kind.skip_if_unknown();
            }
            _ => {}
        }
        true
    }

    /// Work that follows any input: shutdown progress, deferred stream resets.
    fn after_input(&mut self, now: Instant) {
        self.check_shutdown(now);
        self.check_deferred_reset();
        self.maybe_start_reset(now);
    }

    // Timers.

    /// Fires the timers due at `now`. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        for timer in Timer::ALL {
            if self.state == AssociationState::Closed {
                return;
            }
            if !self.timers.expire(timer, now) {
                continue;
            }
            match timer {
                Timer::T1Init => self.on_t1_init(now),
                Timer::T1Cookie => self.on_t1_cookie(now),
                Timer::T3Rtx => self.on_t3_rtx(now),
                Timer::DelayedAck => self.inb.ack_now = true,
                Timer::Heartbeat => self.on_heartbeat_timer(now),
                Timer::T2Shutdown => self.on_t2_shutdown(now),
                Timer::Reconfig => self.on_reconfig_timer(now),
            }
        }
        self.after_input(now);
    }

    /// When [`Association::handle_timeout`] should next be called; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == AssociationState::Closed {
            return None;
        }
        self.timers.next()
    }

    // Commands.

    /// Starts the handshake: sends INIT (RFC 9260 section 5.1). Only in `Listening`;
    /// otherwise does nothing. Both WebRTC peers may call it: simultaneous INITs are resolved
    /// per RFC 9260 section 5.2.1.
    pub fn connect(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state != AssociationState::Listening {
            return;
        }
        self.state = AssociationState::CookieWait;
        self.ctl.init = true;
        self.init_retransmits = 0;
        self.timers
            .set(Timer::T1Init, now + self.config.rto_initial);
    }

    /// Queues a message, copying it once into the send buffer. See [`SendError`] for why it
    /// may be refused. Data queued before the handshake completes goes out once it does.
    pub fn send(
        &mut self,
        now: Instant,
        stream: StreamId,
        ppid: Ppid,
        data: &[u8],
        options: SendOptions,
    ) -> Result<(), SendError> {
        let now = self.clamp(now);
        self.check_send(stream, data.len())?;
        let bytes = self.out.copy_in(data);
        self.enqueue(now, stream, ppid, bytes, options);
        Ok(())
    }

    /// Queues a message that is already in a `Bytes`, without copying it.
    pub fn send_bytes(
        &mut self,
        now: Instant,
        stream: StreamId,
        ppid: Ppid,
        data: Bytes,
        options: SendOptions,
    ) -> Result<(), SendError> {
        let now = self.clamp(now);
        self.check_send(stream, data.len())?;
        self.enqueue(now, stream, ppid, data, options);
        Ok(())
    }

    /// Sets the scheduling weight of `stream`: the data channel priority of RFC 8831
    /// section 6.4 (W3C very-low 128, low 256, medium 512, high 1024; 256 unless set).
    /// Streams with data queued share the link in proportion to their priorities (weighted
    /// fair queueing by message); equal priorities take turns. 0 counts as 1.
    pub fn set_stream_priority(&mut self, stream: StreamId, priority: u16) {
        self.out.stream_mut(stream).queue.priority = priority;
    }

    /// A stream's scheduling weight (see [`Association::set_stream_priority`]).
    pub fn stream_priority(&self, stream: StreamId) -> u16 {
        self.out
            .streams
            .get(&stream)
            .map_or(scheduler::DEFAULT_PRIORITY, |s| s.queue.priority)
    }

    /// Sets the threshold under which [`Event::BufferedAmountLow`] fires for `stream`.
    pub fn set_buffered_amount_low_threshold(&mut self, stream: StreamId, threshold: usize) {
        self.out.stream_mut(stream).low_threshold = threshold;
    }

    /// Starts a graceful shutdown (RFC 9260 section 9.2): queued data is still delivered,
    /// then SHUTDOWN is exchanged. Before the handshake completes this just closes.
    pub fn shutdown(&mut self, now: Instant) {
        let now = self.clamp(now);
        match self.state {
            AssociationState::Established => {
                self.state = AssociationState::ShutdownPending;
                self.check_shutdown(now);
            }
            AssociationState::Listening
            | AssociationState::CookieWait
            | AssociationState::CookieEchoed => self.close(CloseReason::Shutdown),
            _ => {}
        }
    }

    /// Aborts the association at once (RFC 9260 section 9.1): sends ABORT with a
    /// User-Initiated Abort cause and closes.
    pub fn abort(&mut self, now: Instant) {
        self.clamp(now);
        if self.state == AssociationState::Closed {
            return;
        }
        if self.state != AssociationState::Listening {
            self.ctl.abort = Some(ErrorCause::USER_ABORT);
        }
        self.close(CloseReason::LocalAbort);
    }

    // Output.

    /// The next application event.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        if let Event::Message(m) = &event {
            self.inb.held = self.inb.held.saturating_sub(m.data.len());
            self.inb.undelivered = self.inb.undelivered.saturating_sub(m.data.len());
        }
        Some(event)
    }

    // Internals shared by the submodules.

    fn clamp(&mut self, now: Instant) -> Instant {
        if now > self.now {
            self.now = now;
        }
        self.now
    }

    /// Closes with `reason`, dropping all buffered data; pending ABORT or SHUTDOWN COMPLETE
    /// still go out.
    fn close(&mut self, reason: CloseReason) {
        if self.state == AssociationState::Closed {
            return;
        }
        self.state = AssociationState::Closed;
        self.timers.stop_all();
        self.out.clear();
        self.inb.clear();
        self.events.push_back(Event::Closed(reason));
    }

    /// The peer broke the protocol: ABORT with a Protocol Violation cause, then close.
    fn protocol_violation(&mut self, what: &'static str) {
        self.ctl.abort = Some(ErrorCause::PROTOCOL_VIOLATION);
        self.close(CloseReason::ProtocolViolation(what));
    }

    /// Counts a timeout against Association.Max.Retrans; closes past it. Returns whether the
    /// association is still alive.
    fn count_error(&mut self) -> bool {
        self.error_count += 1;
        if self.error_count > self.config.max_retransmits {
            self.ctl.abort = Some(ErrorCause::PROTOCOL_VIOLATION);
            self.close(CloseReason::Timeout);
            return false;
        }
        true
    }

    fn check_shutdown(&mut self, now: Instant) {
        let idle = self.out.is_idle();
        match self.state {
            AssociationState::ShutdownPending if idle => {
                self.state = AssociationState::ShutdownSent;
                self.ctl.shutdown = true;
                self.timers.set(Timer::T2Shutdown, now + self.out.rto.rto);
            }
            AssociationState::ShutdownReceived if idle => {
                self.state = AssociationState::ShutdownAckSent;
                self.ctl.shutdown_ack = true;
                self.timers.set(Timer::T2Shutdown, now + self.out.rto.rto);
            }
            _ => {}
        }
    }

    fn on_shutdown(&mut self, now: Instant, cum: Tsn) {
        self.on_ack(now, cum, None, std::iter::empty());
        match self.state {
            AssociationState::Established | AssociationState::ShutdownPending => {
                self.state = AssociationState::ShutdownReceived;
            }
            AssociationState::ShutdownSent => {
                self.state = AssociationState::ShutdownAckSent;
                self.ctl.shutdown_ack = true;
                self.timers.set(Timer::T2Shutdown, now + self.out.rto.rto);
            }
            _ => {}
        }
    }

    fn on_t2_shutdown(&mut self, now: Instant) {
        if !self.count_error() {
            return;
        }
        match self.state {
            AssociationState::ShutdownSent => self.ctl.shutdown = true,
            AssociationState::ShutdownAckSent => self.ctl.shutdown_ack = true,
            _ => return,
        }
        self.out.rto.backoff();
        self.timers.set(Timer::T2Shutdown, now + self.out.rto.rto);
    }

    fn on_heartbeat_timer(&mut self, now: Instant) {
        if self.state != AssociationState::Established {
            return;
        }
        // Once per heartbeat interval, memory a past burst left in the arenas goes back.
        self.out.release_idle_buffers();
        self.inb.release_idle_buffers();
        if self.ctl.heartbeat_outstanding && !self.count_error() {
            return;
        }
        self.ctl.heartbeat = true;
        self.ctl.heartbeat_outstanding = true;
        self.timers.set(
            Timer::Heartbeat,
            now + self.config.heartbeat_interval + self.out.rto.rto,
        );
    }

    fn on_heartbeat_ack(&mut self, now: Instant, info: &[u8]) {
        let Ok(sent) = <[u8; 8]>::try_from(info) else {
            return;
        };
        let sent_ms = u64::from_be_bytes(sent);
        let now_ms = cookie::millis_since(self.epoch, now);
        if !self.ctl.heartbeat_outstanding || sent_ms > now_ms {
            return;
        }
        self.ctl.heartbeat_outstanding = false;
        self.error_count = 0;
        self.out.rto.sample(Duration::from_millis(now_ms - sent_ms));
    }
}

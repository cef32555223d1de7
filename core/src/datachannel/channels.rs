//! The data channel machine: an SCTP association plus DCEP and the channel table.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use rand_core::CryptoRng;

use super::wire::{DataChannelOpen, DcepMessage};
use crate::sctp::association::ResetError;
use crate::sctp::stream_map::StreamMap;
use crate::sctp::wire::{Ppid, StreamId};
use crate::sctp::{
    Association, CloseReason, Event, LocalInit, PeerInit, Reliability, SctpConfig, SctpStats,
    SendError, SendOptions,
};

/// Our DTLS role, which decides the parity of the stream ids we pick (RFC 8832 section 6):
/// the DTLS client uses even ids, the server odd ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// DTLS client: even stream ids.
    Client,
    /// DTLS server: odd stream ids.
    Server,
}

/// How to open a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelConfig {
    /// The label (any UTF-8, up to 65535 bytes).
    pub label: String,
    /// The sub-protocol.
    pub protocol: String,
    /// Ordered delivery (the default).
    pub ordered: bool,
    /// Reliable, or partially reliable.
    pub reliability: Reliability,
    /// The priority carried in DATA_CHANNEL_OPEN and used as the channel's scheduling
    /// weight (RFC 8831 section 6.4; W3C very-low 128, low 256, medium 512, high 1024;
    /// 256 by default).
    pub priority: u16,
    /// A stream id agreed out of band: no DCEP, the channel is open at once on both sides
    /// (RFC 8832 section 6's "negotiated" channels).
    pub negotiated: Option<u16>,
}

impl ChannelConfig {
    /// A reliable ordered channel named `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            protocol: String::new(),
            ordered: true,
            reliability: Reliability::Reliable,
            priority: 256,
            negotiated: None,
        }
    }
}

/// A channel's state (W3C `RTCDataChannelState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Waiting for the association.
    Connecting,
    /// Messages flow.
    Open,
    /// A close is in progress (stream reset under way).
    Closing,
    /// Closed.
    Closed,
}

/// Why [`DataChannels::open`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Every stream id of our parity is taken.
    #[error("no free stream id")]
    NoFreeId,
    /// The negotiated id is in use.
    #[error("stream id {0} in use")]
    IdInUse(u16),
    /// The label or protocol is longer than 65535 bytes.
    #[error("label or protocol too long")]
    TooLong,
    /// The association is closed.
    #[error("association closed")]
    Closed,
}

/// Why [`DataChannels::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelSendError {
    /// No channel with this id.
    #[error("no such channel")]
    UnknownChannel,
    /// The channel is not open.
    #[error("channel is {0:?}, not open")]
    NotOpen(ChannelState),
    /// The message is larger than the max-message-size.
    #[error("message of {size} bytes exceeds the maximum message size of {max}")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The send buffer is full: wait for `BufferedAmountLow`.
    #[error("send buffer full")]
    BufferFull,
    /// Another SCTP refusal.
    #[error("sctp: {0}")]
    Sctp(SendError),
}

impl From<SendError> for ChannelSendError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::TooLarge { size, max } => Self::TooLarge { size, max },
            SendError::BufferFull => Self::BufferFull,
            SendError::Closed | SendError::StreamResetting(_) => {
                Self::NotOpen(ChannelState::Closing)
            }
            other => Self::Sctp(other),
        }
    }
}

/// What the channels tell the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The SCTP association is up.
    Connected,
    /// A channel opened: one of ours once the association is up, or one the peer opened.
    Open(StreamId),
    /// A message arrived.
    Message {
        /// The channel.
        id: StreamId,
        /// The bytes (empty for the "empty" PPIDs).
        data: Bytes,
        /// Binary (PPID 53/57) or string (51/56).
        binary: bool,
    },
    /// The channel's buffered amount fell to or under its low threshold.
    BufferedAmountLow(StreamId),
    /// The channel closed (both directions reset, or the association went away).
    Closed(StreamId),
    /// The association closed.
    AssociationClosed(CloseReason),
}

/// One channel.
#[derive(Debug, Clone)]
struct Channel {
    label: String,
    protocol: String,
    ordered: bool,
    reliability: Reliability,
    priority: u16,
    negotiated: bool,
    state: ChannelState,
    /// DATA_CHANNEL_ACK seen (or not needed): until then we send ordered (RFC 8832 sec. 6).
    acked: bool,
    /// Our DATA_CHANNEL_OPEN still has to go out (association not up yet).
    announce: bool,
    incoming_reset: bool,
    outgoing_reset: bool,
    /// The peer's DATA_CHANNEL_OPEN for this id that arrived after the peer reset its side
    /// but before our reset completed: the peer reuses the id; opened once this one closes.
    reopen: Option<Box<PeerOpen>>,
}

/// A peer's DATA_CHANNEL_OPEN, kept until its stream id is free.
#[derive(Debug, Clone)]
struct PeerOpen {
    label: String,
    protocol: String,
    ordered: bool,
    reliability: Reliability,
    priority: u16,
    /// Messages for the new channel that came before it could open, delivered after its
    /// [`ChannelEvent::Open`]; bounded by the receive window.
    early: Vec<(Bytes, bool)>,
    early_bytes: usize,
}

/// A read-only view of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelInfo<'a> {
    /// The label.
    pub label: &'a str,
    /// The sub-protocol.
    pub protocol: &'a str,
    /// Ordered delivery.
    pub ordered: bool,
    /// Reliability.
    pub reliability: Reliability,
    /// Priority.
    pub priority: u16,
    /// Negotiated out of band.
    pub negotiated: bool,
    /// State.
    pub state: ChannelState,
}

/// Data channels over one SCTP association (RFC 8831, DCEP RFC 8832).
///
/// # Method groups
///
/// - construction: [`DataChannels::new`], then [`DataChannels::connect`]; with SNAP,
///   [`DataChannels::with_local_init`], then [`DataChannels::connect_snap`];
/// - network input: [`DataChannels::handle_packet`] (SCTP packets: DTLS application data);
/// - timers: [`DataChannels::handle_timeout`], [`DataChannels::poll_timeout`];
/// - commands: [`DataChannels::open`], [`DataChannels::send`], [`DataChannels::close`],
///   [`DataChannels::set_buffered_amount_low_threshold`],
///   [`DataChannels::set_remote_max_message_size`];
/// - output: [`DataChannels::poll_transmit`], [`DataChannels::poll_event`];
/// - getters: [`DataChannels::channel`], [`DataChannels::buffered_amount`],
///   [`DataChannels::max_message_size`], [`DataChannels::association`].
///
/// After any `handle_*` or command, drain [`DataChannels::poll_transmit`] then
/// [`DataChannels::poll_event`] until both return `None`, then read
/// [`DataChannels::poll_timeout`].
#[derive(Debug)]
pub struct DataChannels {
    assoc: Association,
    role: DtlsRole,
    channels: StreamMap<Channel>,
    events: VecDeque<ChannelEvent>,
    scratch: Vec<u8>,
    /// The peer's `a=max-message-size` (RFC 8841 section 6.1); `None` when unknown or 0
    /// ("any size"), so only our own limit applies.
    remote_max_message_size: Option<usize>,
    /// Messages dropped: unknown PPID, no channel, bad DCEP.
    dropped: u64,
}

impl DataChannels {
    /// A new set of channels over a new association; see [`Association::new`].
    pub fn new(config: SctpConfig, role: DtlsRole, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        let mut channels = Self::new_inner(Association::new(config, now, rng));
        channels.role = role;
        channels
    }

    fn new_inner(assoc: Association) -> Self {
        Self {
            assoc,
            role: DtlsRole::Client,
            channels: StreamMap::default(),
            // Grows to the events actually queued; reused after that.
            events: VecDeque::new(),
            scratch: Vec::new(),
            remote_max_message_size: None,
            dropped: 0,
        }
    }

    /// As [`DataChannels::new`], over an association whose INIT was signalled ahead as
    /// `local` (SNAP); see [`Association::with_local_init`].
    pub fn with_local_init(
        config: SctpConfig,
        role: DtlsRole,
        now: Instant,
        rng: &mut dyn CryptoRng,
        local: LocalInit,
    ) -> Self {
        let mut channels = Self::new_inner(Association::with_local_init(config, now, rng, local));
        channels.role = role;
        channels
    }

    /// Starts the SCTP handshake (both WebRTC peers may call it).
    pub fn connect(&mut self, now: Instant) {
        self.assoc.connect(now);
    }

    /// Starts the association established from the peer's INIT received out of band
    /// (SNAP; see [`Association::connect_snap`]); channels waiting for it open now.
    pub fn connect_snap(&mut self, now: Instant, peer: &PeerInit) {
        self.assoc.connect_snap(now, peer);
        self.process(now);
    }

    /// Aborts the association (RFC 9260 section 9.1): an ABORT goes out, every channel
    /// closes at once and nothing more is sent.
    pub fn abort(&mut self, now: Instant) {
        self.assoc.abort(now);
        self.process(now);
    }

    /// The association, for its state and statistics.
    pub fn association(&self) -> &Association {
        &self.assoc
    }

    /// The association's counters.
    pub fn sctp_stats(&self) -> &SctpStats {
        self.assoc.stats()
    }

    /// Messages dropped for an unknown PPID, an unknown channel or malformed DCEP.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// A channel's settings and state.
    pub fn channel(&self, id: StreamId) -> Option<ChannelInfo<'_>> {
        self.channels.get(&id).map(|c| ChannelInfo {
            label: &c.label,
            protocol: &c.protocol,
            ordered: c.ordered,
            reliability: c.reliability,
            priority: c.priority,
            negotiated: c.negotiated,
            state: c.state,
        })
    }

    /// The largest message [`DataChannels::send`] accepts: our own
    /// [`SctpConfig::max_message_size`], lowered to the peer's `a=max-message-size` once
    /// known.
    pub fn max_message_size(&self) -> usize {
        let local = self.assoc.config().max_message_size;
        self.remote_max_message_size.map_or(local, |r| r.min(local))
    }

    /// Applies the peer's `a=max-message-size` from SDP (RFC 8841 section 6.1): larger
    /// messages are refused by [`DataChannels::send`] with [`ChannelSendError::TooLarge`].
    /// 0 means the peer accepts messages of any size, so only our own limit applies.
    /// Browsers announce 262144; an SDP without the attribute means 64 KiB
    /// (RFC 8841 section 6.1), which the caller passes explicitly.
    pub fn set_remote_max_message_size(&mut self, max: u64) {
        self.remote_max_message_size = match max {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        };
    }

    /// Bytes queued on a channel and not yet sent (`bufferedAmount`).
    pub fn buffered_amount(&self, id: StreamId) -> usize {
        self.assoc.buffered_amount(id)
    }

    /// Sets `bufferedAmountLowThreshold`.
    pub fn set_buffered_amount_low_threshold(&mut self, id: StreamId, threshold: usize) {
        self.assoc.set_buffered_amount_low_threshold(id, threshold);
    }

    /// Feeds an SCTP packet.
    pub fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        self.assoc.handle_packet(now, packet);
        self.process(now);
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.assoc.handle_timeout(now);
        self.process(now);
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.assoc.poll_timeout()
    }

    /// Writes the next SCTP packet into `buf`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.assoc.poll_transmit(now, buf)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ChannelEvent> {
        self.events.pop_front()
    }

    /// Opens a channel. In-band channels get the lowest free id of our parity and announce
    /// themselves with DATA_CHANNEL_OPEN; negotiated ones use the given id and no DCEP. The
    /// channel reports [`ChannelEvent::Open`] once the association is up.
    pub fn open(&mut self, now: Instant, config: ChannelConfig) -> Result<StreamId, OpenError> {
        if matches!(
            self.assoc.state(),
            crate::sctp::AssociationState::Closed
                | crate::sctp::AssociationState::ShutdownPending
                | crate::sctp::AssociationState::ShutdownSent
                | crate::sctp::AssociationState::ShutdownReceived
                | crate::sctp::AssociationState::ShutdownAckSent
        ) {
            return Err(OpenError::Closed);
        }
        if config.label.len() > usize::from(u16::MAX)
            || config.protocol.len() > usize::from(u16::MAX)
        {
            return Err(OpenError::TooLong);
        }
        let id = match config.negotiated {
            Some(id) if self.channels.contains_key(&StreamId(id)) => {
                return Err(OpenError::IdInUse(id));
            }
            Some(id) => StreamId(id),
            None => self.free_id().ok_or(OpenError::NoFreeId)?,
        };
        let negotiated = config.negotiated.is_some();
        self.assoc.set_stream_priority(id, config.priority);
        self.channels.insert(
            id,
            Channel {
                label: config.label,
                protocol: config.protocol,
                ordered: config.ordered,
                reliability: config.reliability,
                priority: config.priority,
                negotiated,
                state: ChannelState::Connecting,
                acked: negotiated,
                announce: !negotiated,
                incoming_reset: false,
                outgoing_reset: false,
                reopen: None,
            },
        );
        if self.can_announce() {
            self.activate(now, id);
        }
        Ok(id)
    }

    /// Sends a message: `binary` picks the PPID (RFC 8831 section 6.6). An empty message goes
    /// as one zero byte with an "empty" PPID.
    pub fn send(
        &mut self,
        now: Instant,
        id: StreamId,
        data: &[u8],
        binary: bool,
    ) -> Result<(), ChannelSendError> {
        let c = self
            .channels
            .get(&id)
            .ok_or(ChannelSendError::UnknownChannel)?;
        if c.state != ChannelState::Open {
            return Err(ChannelSendError::NotOpen(c.state));
        }
        let max = self.max_message_size();
        if data.len() > max {
            return Err(ChannelSendError::TooLarge {
                size: data.len(),
                max,
            });
        }
        let options = SendOptions {
            unordered: !c.ordered && c.acked,
            reliability: c.reliability,
        };
        let (ppid, payload): (Ppid, &[u8]) = match (data.is_empty(), binary) {
            (true, true) => (Ppid::BINARY_EMPTY, &[0]),
            (true, false) => (Ppid::STRING_EMPTY, &[0]),
            (false, true) => (Ppid::BINARY, data),
            (false, false) => (Ppid::STRING, data),
        };
        self.assoc.send(now, id, ppid, payload, options)?;
        Ok(())
    }

    /// Closes a channel by resetting its outgoing stream (RFC 8831 section 6.7); the peer
    /// resets its side in turn and both see [`ChannelEvent::Closed`]. Data already queued
    /// is sent first.
    pub fn close(&mut self, now: Instant, id: StreamId) {
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        if matches!(c.state, ChannelState::Closing | ChannelState::Closed) {
            return;
        }
        c.state = ChannelState::Closing;
        match self.assoc.reset_streams(now, &[id]) {
            Ok(()) => {}
            Err(ResetError::NotEstablished | ResetError::Unsupported) => {
                self.finish_close(now, id);
            }
        }
        self.process(now);
    }

    fn free_id(&self) -> Option<StreamId> {
        let start = match self.role {
            DtlsRole::Client => 0,
            DtlsRole::Server => 1,
        };
        let limit = match self.assoc.outbound_streams() {
            0 => self.assoc.config().streams,
            n => n,
        };
        (start..limit)
            .step_by(2)
            .map(StreamId)
            .find(|id| !self.channels.contains_key(id))
    }

    /// The association is up: announce the channel (unless negotiated) and open it.
    fn activate(&mut self, now: Instant, id: StreamId) {
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        if c.state != ChannelState::Connecting {
            return;
        }
        if c.announce {
            let open = DcepMessage::Open(DataChannelOpen {
                ordered: c.ordered,
                reliability: c.reliability,
                priority: c.priority,
                label: &c.label,
                protocol: &c.protocol,
            });
            self.scratch.resize(open.buffer_len(), 0);
            if open.emit(&mut self.scratch).is_err() {
                return;
            }
            c.announce = false;
            let reliable = SendOptions::default();
            if self
                .assoc
                .send(now, id, Ppid::DCEP, &self.scratch, reliable)
                .is_err()
            {
                return;
            }
        }
        if let Some(c) = self.channels.get_mut(&id) {
            c.state = ChannelState::Open;
        }
        self.events.push_back(ChannelEvent::Open(id));
    }

    /// Whether channels may open: the association is up, or COOKIE ECHO is about to go out
    /// and DATA may ride behind it (RFC 9260 section 5.1, step C), DATA_CHANNEL_OPEN and the
    /// first messages included (RFC 8832 section 6 lets messages follow the OPEN at once).
    fn can_announce(&self) -> bool {
        matches!(
            self.assoc.state(),
            crate::sctp::AssociationState::Established
                | crate::sctp::AssociationState::CookieEchoed
        )
    }

    /// Opens the channels waiting for the association, lowest id first.
    fn activate_waiting(&mut self, now: Instant) {
        let mut ids: Vec<StreamId> = self
            .channels
            .iter()
            .filter(|(_, c)| c.state == ChannelState::Connecting)
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        for id in ids {
            self.activate(now, id);
        }
    }

    /// Turns association events into channel events.
    fn process(&mut self, now: Instant) {
        if self.assoc.state() == crate::sctp::AssociationState::CookieEchoed
            && self
                .channels
                .iter()
                .any(|(_, c)| c.state == ChannelState::Connecting)
        {
            self.activate_waiting(now);
        }
        while let Some(event) = self.assoc.poll_event() {
            match event {
                Event::Connected => {
                    self.events.push_back(ChannelEvent::Connected);
                    self.activate_waiting(now);
                }
                Event::Message(m) => self.on_message(now, m),
                Event::BufferedAmountLow(id) => {
                    if self.channels.contains_key(&id) {
                        self.events.push_back(ChannelEvent::BufferedAmountLow(id));
                    }
                }
                Event::IncomingStreamReset(id) => {
                    let Some(c) = self.channels.get_mut(&id) else {
                        // No channel here (its OPEN was refused, or it is long gone): reset
                        // our side anyway so that the peer's close completes.
                        let _ = self.assoc.reset_streams(now, &[id]);
                        continue;
                    };
                    c.incoming_reset = true;
                    if c.state != ChannelState::Closing {
                        c.state = ChannelState::Closing;
                        if self.assoc.reset_streams(now, &[id]).is_err() {
                            self.finish_close(now, id);
                            continue;
                        }
                    }
                    self.maybe_closed(now, id);
                }
                Event::OutgoingStreamResetRefused(id) => {
                    // The peer will not reset its side for our close: there is nothing
                    // left to wait for, so the channel ends here.
                    if self
                        .channels
                        .get(&id)
                        .is_some_and(|c| c.state == ChannelState::Closing)
                    {
                        self.finish_close(now, id);
                    }
                }
                Event::OutgoingStreamReset(id) => {
                    if let Some(c) = self.channels.get_mut(&id) {
                        c.outgoing_reset = true;
                    }
                    self.maybe_closed(now, id);
                }
                Event::Closed(reason) => {
                    let mut ids: Vec<StreamId> = self.channels.keys().copied().collect();
                    ids.sort();
                    for id in ids {
                        self.finish_close(now, id);
                    }
                    self.events
                        .push_back(ChannelEvent::AssociationClosed(reason));
                }
            }
        }
    }

    fn on_message(&mut self, now: Instant, m: crate::sctp::Message) {
        let id = m.stream;
        match m.ppid {
            Ppid::DCEP => match DcepMessage::parse(&m.data) {
                Ok(DcepMessage::Open(open)) => {
                    let open = PeerOpen {
                        label: open.label.to_owned(),
                        protocol: open.protocol.to_owned(),
                        ordered: open.ordered,
                        reliability: open.reliability,
                        priority: open.priority,
                        early: Vec::new(),
                        early_bytes: 0,
                    };
                    match self.channels.get_mut(&id) {
                        None => self.accept_open(now, id, open),
                        // The peer closed its side and already reuses the id: open it once
                        // our side of the old channel is reset too.
                        Some(c) if c.incoming_reset && c.reopen.is_none() => {
                            c.reopen = Some(Box::new(open));
                        }
                        // A collision: the id is in use on our side (our own channel, or a
                        // negotiated one). The peer broke RFC 8832 section 6's parity rule.
                        Some(_) => self.dropped += 1,
                    }
                }
                Ok(DcepMessage::Ack) => {
                    if let Some(c) = self.channels.get_mut(&id) {
                        c.acked = true;
                    }
                }
                Err(_) => self.dropped += 1,
            },
            Ppid::STRING | Ppid::BINARY | Ppid::STRING_EMPTY | Ppid::BINARY_EMPTY => {
                let binary = m.ppid == Ppid::BINARY || m.ppid == Ppid::BINARY_EMPTY;
                let empty = m.ppid == Ppid::STRING_EMPTY || m.ppid == Ppid::BINARY_EMPTY;
                let data = if empty { Bytes::new() } else { m.data };
                let window = self.assoc.config().receive_window as usize;
                match self.channels.get_mut(&id) {
                    Some(c) if c.state == ChannelState::Open => {}
                    Some(Channel {
                        reopen: Some(open), ..
                    }) if open.early_bytes + data.len() <= window => {
                        open.early_bytes += data.len();
                        open.early.push((data, binary));
                        return;
                    }
                    _ => {
                        self.dropped += 1;
                        return;
                    }
                }
                self.events
                    .push_back(ChannelEvent::Message { id, data, binary });
            }
            _ => self.dropped += 1,
        }
    }

    /// Opens the channel the peer announced and answers with DATA_CHANNEL_ACK.
    fn accept_open(&mut self, now: Instant, id: StreamId, mut open: PeerOpen) {
        self.assoc.set_stream_priority(id, open.priority);
        self.channels.insert(
            id,
            Channel {
                label: open.label,
                protocol: open.protocol,
                ordered: open.ordered,
                reliability: open.reliability,
                priority: open.priority,
                negotiated: false,
                state: ChannelState::Open,
                acked: true,
                announce: false,
                incoming_reset: false,
                outgoing_reset: false,
                reopen: None,
            },
        );
        let _ = self
            .assoc
            .send(now, id, Ppid::DCEP, &[0x02], SendOptions::default());
        self.events.push_back(ChannelEvent::Open(id));
        for (data, binary) in open.early.drain(..) {
            self.events
                .push_back(ChannelEvent::Message { id, data, binary });
        }
    }

    fn maybe_closed(&mut self, now: Instant, id: StreamId) {
        if self
            .channels
            .get(&id)
            .is_some_and(|c| c.incoming_reset && c.outgoing_reset)
        {
            self.finish_close(now, id);
        }
    }

    fn finish_close(&mut self, now: Instant, id: StreamId) {
        let Some(c) = self.channels.remove(&id) else {
            return;
        };
        self.events.push_back(ChannelEvent::Closed(id));
        if let Some(open) = c.reopen
            && self.assoc.is_established()
        {
            self.accept_open(now, id, *open);
        }
    }
}

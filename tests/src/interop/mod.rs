//! Other WebRTC stacks as simulator peers: [str0m] 0.25 ([`Str0mPeer`]) and webrtc-rs `rtc`
//! 0.21 ([`RtcPeer`]), for interop tests and the side-by-side benchmark.
//!
//! Each adapter wraps one peer connection of that stack behind [`InteropPeer`] (a [`Peer`] the
//! simulator drives, plus the commands a scenario needs): SDP offer and answer as strings, one
//! data channel labelled [`ECHO_LABEL`] created by the offerer, messages on it, and optionally
//! one audio (Opus) and one video (VP8) track sending and receiving whole frames. What the
//! peer observed is kept in its [`PeerState`]: counters, received messages and frames, errors
//! the stack reported, and when the first message arrived, in virtual time and in flights.
//!
//! # Time and randomness
//!
//! Both stacks take `now` as an [`Instant`] in every call, so they run in the simulator's
//! virtual time. Neither lets us hand it a seeded RNG through its public API: str0m draws
//! ICE credentials, SSRCs and DTLS randomness from its crypto provider (aws-lc-rs here) and
//! `rtc` from `rand`'s thread-local generator and ring. So runs with these peers are
//! repeatable in their network conditions (links and loss follow the scenario seed) but not
//! bit for bit: the trace hash differs from run to run.
//!
//! # Messages
//!
//! Scenario messages carry a small header ([`message`]): a kind byte (original or echo), the
//! sender's id and a sequence number, then a pattern that depends on all three. A peer in echo
//! mode sends every *original* it receives back as an *echo* with the same body, so two echoing
//! peers do not bounce messages forever; [`check_messages`] verifies what arrived.
//!
//! # Flights
//!
//! A [`FlightLedger`] shared by the peers of one scenario numbers every datagram with a
//! Lamport clock over network crossings: a datagram's flight is one more than the highest
//! flight its sender had received when it was sent. The flight count at the first data-channel
//! message is then the length of the longest causal chain of one-way crossings that led to
//! it. Timer-driven retransmissions add virtual time but not flights.
//!
//! [str0m]: ::str0m

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::sim::Peer;

pub mod scenario;
pub mod str0m;
pub mod webrtc_rs;

pub use self::scenario::{ANSWERER_ID, OFFERER_ID, Scenario, SetupFigures, check_frames};
pub use self::str0m::Str0mPeer;
pub use self::webrtc_rs::RtcPeer;

/// The label of the data channel the offerer creates.
pub const ECHO_LABEL: &str = "echo";

/// Largest message the scenarios send: 16 KiB, which every stack accepts.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// How a peer is built.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// The host candidate: the peer's address on its simulated host.
    pub addr: SocketAddr,
    /// Send every received original message back as an echo.
    pub echo: bool,
    /// Add one audio (Opus) and one video (VP8) track, sending and receiving.
    pub media: bool,
    /// Keep a copy of every received message and frame (the counters are kept either way).
    pub keep: bool,
    /// Number datagrams for the flight count (see the [module docs](self)).
    pub flights: Option<FlightLedger>,
}

impl PeerConfig {
    /// A data-only peer at `addr`, echoing, keeping what it receives, without flight numbers.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            echo: true,
            media: false,
            keep: true,
            flights: None,
        }
    }

    /// With an audio and a video track.
    pub fn with_media(mut self) -> Self {
        self.media = true;
        self
    }

    /// Numbering datagrams in `ledger`.
    pub fn with_flights(mut self, ledger: &FlightLedger) -> Self {
        self.flights = Some(ledger.clone());
        self
    }
}

/// A media kind of the two tracks an adapter may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Opus, 48 kHz RTP clock.
    Audio,
    /// VP8, 90 kHz RTP clock.
    Video,
}

/// A whole frame as the receiving stack depacketized it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Which track it came on.
    pub kind: MediaKind,
    /// The RTP timestamp (truncated to 32 bits where the stack extends it).
    pub rtp_time: u32,
    /// The frame's bytes.
    pub data: Vec<u8>,
}

/// What a peer has seen so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    /// Data-channel messages received.
    pub messages_received: u64,
    /// Bytes in those messages.
    pub bytes_received: u64,
    /// Data-channel messages handed to the stack.
    pub messages_sent: u64,
    /// Media frames received, whole.
    pub frames_received: u64,
    /// Media frames handed to the stack.
    pub frames_sent: u64,
    /// Datagrams received from the network.
    pub datagrams_received: u64,
    /// Datagrams sent to the network.
    pub datagrams_sent: u64,
}

/// The stack-independent part of an adapter: counters, received data, outgoing queue, errors
/// and flight numbers. Adapters feed it; scenarios read it through [`InteropPeer::state`].
#[derive(Debug)]
pub struct PeerState {
    /// The counters.
    pub counters: Counters,
    /// Received messages, in arrival order (empty unless [`PeerConfig::keep`]).
    pub messages: Vec<Vec<u8>>,
    /// Received frames, in arrival order (empty unless [`PeerConfig::keep`]).
    pub frames: Vec<Frame>,
    /// Errors the stack returned from calls that should not fail, with when.
    pub errors: Vec<(Instant, String)>,
    /// When the peer connected (ICE and DTLS up), if it did.
    pub connected_at: Option<Instant>,
    /// When the data channel opened here, if it did.
    pub channel_open_at: Option<Instant>,
    /// When the first message arrived, and the flight number at that moment (0 without a
    /// ledger).
    pub first_message: Option<(Instant, u32)>,
    /// Messages waiting for the channel to open or for room in the stack's send buffer.
    outbox: std::collections::VecDeque<Vec<u8>>,
    echo: bool,
    keep: bool,
    flights: Option<FlightLedger>,
    /// The highest flight received so far.
    depth: u32,
}

impl PeerState {
    /// Fresh state for a peer built from `config`.
    pub fn new(config: &PeerConfig) -> Self {
        Self {
            counters: Counters::default(),
            messages: Vec::new(),
            frames: Vec::new(),
            errors: Vec::new(),
            connected_at: None,
            channel_open_at: None,
            first_message: None,
            outbox: std::collections::VecDeque::new(),
            echo: config.echo,
            keep: config.keep,
            flights: config.flights.clone(),
            depth: 0,
        }
    }

    /// Messages queued and not yet taken by the stack.
    pub fn queued(&self) -> usize {
        self.outbox.len()
    }

    /// The highest flight number received so far.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Queues `data` for the data channel.
    pub(crate) fn queue(&mut self, data: &[u8]) {
        self.outbox.push_back(data.to_vec());
    }

    /// The next queued message, to try to hand to the stack.
    pub(crate) fn next_outgoing(&self) -> Option<&[u8]> {
        self.outbox.front().map(Vec::as_slice)
    }

    /// The stack took the message from [`Self::next_outgoing`].
    pub(crate) fn sent(&mut self) {
        if self.outbox.pop_front().is_some() {
            self.counters.messages_sent += 1;
        }
    }

    /// The stack took a message handed to it directly, without the queue.
    pub(crate) fn sent_direct(&mut self) {
        self.counters.messages_sent += 1;
    }

    /// A message arrived at `now`; queues the echo in echo mode.
    pub(crate) fn on_message(&mut self, now: Instant, data: &[u8]) {
        self.counters.messages_received += 1;
        self.counters.bytes_received += data.len() as u64;
        self.first_message.get_or_insert((now, self.depth));
        if self.echo
            && let Some(reply) = echo_of(data)
        {
            self.outbox.push_back(reply);
        }
        if self.keep {
            self.messages.push(data.to_vec());
        }
    }

    /// A whole frame arrived.
    pub(crate) fn on_frame(&mut self, frame: Frame) {
        self.counters.frames_received += 1;
        if self.keep {
            self.frames.push(frame);
        }
    }

    /// The stack refused something it should have taken.
    pub(crate) fn on_error(&mut self, now: Instant, what: impl std::fmt::Display) {
        self.errors.push((now, what.to_string()));
    }

    /// Before a received datagram goes to the stack (it may decrypt in place).
    pub(crate) fn on_receive(&mut self, bytes: &[u8]) {
        self.counters.datagrams_received += 1;
        if let Some(ledger) = &self.flights {
            self.depth = self.depth.max(ledger.flight_of(bytes));
        }
    }

    /// As a datagram leaves for the network.
    pub(crate) fn on_send(&mut self, bytes: &[u8]) {
        self.counters.datagrams_sent += 1;
        if let Some(ledger) = &self.flights {
            ledger.record(bytes, self.depth + 1);
        }
    }
}

/// Flight numbers of the datagrams of one scenario, shared by its peers (see the
/// [module docs](self)). Keyed by a hash of the bytes: a byte-identical retransmission takes
/// the later number.
#[derive(Debug, Clone, Default)]
pub struct FlightLedger(Rc<RefCell<HashMap<u64, u32>>>);

impl FlightLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&self, bytes: &[u8], flight: u32) {
        self.0.borrow_mut().insert(fnv1a(bytes), flight);
    }

    /// The flight of a datagram with these bytes (0 if none was recorded).
    pub fn flight_of(&self, bytes: &[u8]) -> u32 {
        self.0.borrow().get(&fnv1a(bytes)).copied().unwrap_or(0)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A peer connection of another stack on a simulated host. The methods take `now`, the
/// simulator's virtual time; queued work goes out on the simulator's next drain.
pub trait InteropPeer: Peer {
    /// A peer at virtual time `now`, with a host candidate at `config.addr`.
    fn build(now: Instant, config: &PeerConfig) -> Self
    where
        Self: Sized;
    /// The stack's name, for reports: `"str0m"`, `"rtc"`.
    fn stack(&self) -> &'static str;
    /// Creates the data channel [`ECHO_LABEL`] (and the tracks, with media) and returns the
    /// SDP offer.
    fn create_offer(&mut self, now: Instant) -> String;
    /// Applies a remote offer and returns the SDP answer.
    fn accept_offer(&mut self, now: Instant, offer: &str) -> String;
    /// Applies the remote answer to our offer.
    fn accept_answer(&mut self, now: Instant, answer: &str);
    /// Whether ICE and DTLS are up.
    fn is_connected(&self) -> bool;
    /// Whether the data channel is open here.
    fn is_channel_open(&self) -> bool;
    /// Sends a message on the data channel: handed to the stack at once when the channel is
    /// open, nothing is queued before it and the stack has room (the adapter keeps no copy);
    /// otherwise queued, to go out once the channel opens and the stack has room.
    fn send_message(&mut self, now: Instant, data: &[u8]);
    /// Whether a track of `kind` is ready to send (negotiated and connected).
    fn can_send_media(&self, kind: MediaKind) -> bool;
    /// Sends one frame on the track of `kind` at RTP time `rtp_time`; `false` (and an entry
    /// in [`PeerState::errors`]) if the stack refused it.
    fn write_frame(&mut self, now: Instant, kind: MediaKind, rtp_time: u32, data: &[u8]) -> bool;
    /// What the peer has seen.
    fn state(&self) -> &PeerState;
}

/// Whether `bytes` is an original or an echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Sent by its author.
    Original = 0,
    /// Sent back by the peer that received the original.
    Echo = 1,
}

const HEADER: usize = 6;

/// Message `seq` from peer `from` (`size` bytes, at least 6): a header of kind, `from` and
/// `seq`, then a pattern depending on `from` and `seq`.
pub fn message(from: u8, seq: u32, size: usize) -> Vec<u8> {
    let size = size.max(HEADER);
    let mut m = Vec::with_capacity(size);
    m.push(MessageKind::Original as u8);
    m.push(from);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend((HEADER..size).map(|k| pattern(from, seq, k)));
    m
}

fn pattern(from: u8, seq: u32, k: usize) -> u8 {
    (k as u32)
        .wrapping_mul(31)
        .wrapping_add(seq.wrapping_mul(7) + u32::from(from) * 101) as u8
}

/// A size for message `seq`, 6 B to [`MAX_MESSAGE`], with the sizes around one packet among
/// them.
pub fn message_size(seq: u32) -> usize {
    const EDGES: [usize; 8] = [6, 100, 1000, 1100, 1200, 1300, 4096, MAX_MESSAGE];
    let seq = seq as usize;
    if seq.is_multiple_of(2) {
        EDGES[(seq / 2) % EDGES.len()]
    } else {
        HEADER + (seq * 7919) % (MAX_MESSAGE - HEADER)
    }
}

/// The echo of an original message, or `None` for an echo or a malformed message.
pub fn echo_of(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < HEADER || data[0] != MessageKind::Original as u8 {
        return None;
    }
    let mut reply = data.to_vec();
    reply[0] = MessageKind::Echo as u8;
    Some(reply)
}

/// Checks that `received` holds exactly `count` originals from `from` (`message(from, seq,
/// message_size(seq))` for `seq` in order) interleaved with exactly `count` echoes of our own
/// originals from `me`, each kind in order. Returns a description of the first difference.
pub fn check_messages(received: &[Vec<u8>], me: u8, from: u8, count: u32) -> Result<(), String> {
    let (mut originals, mut echoes) = (0u32, 0u32);
    for (i, m) in received.iter().enumerate() {
        let (kind, author, next) = match m.first() {
            Some(0) => ("original", from, &mut originals),
            Some(1) => ("echo", me, &mut echoes),
            _ => return Err(format!("message {i}: bad kind byte")),
        };
        let mut want = message(author, *next, message_size(*next));
        if kind == "echo" {
            want[0] = MessageKind::Echo as u8;
        }
        if *m != want {
            return Err(format!(
                "message {i}: {kind} {next} of {count} differs ({} bytes, want {})",
                m.len(),
                want.len()
            ));
        }
        *next += 1;
    }
    if (originals, echoes) != (count, count) {
        return Err(format!(
            "{originals} originals and {echoes} echoes, want {count} of each"
        ));
    }
    Ok(())
}

/// A frame for track `kind`, number `seq`: audio 80 to 160 bytes, video 1 to 12 KB with every
/// tenth frame a "keyframe" of 12 KB. Bytes 1 to 4 hold `seq` (big-endian), the rest depend
/// on `kind` and `seq`; for VP8 the first byte is a valid payload header (bit 0 clear marks a
/// keyframe).
pub fn frame(kind: MediaKind, seq: u32) -> Vec<u8> {
    let (size, salt) = match kind {
        MediaKind::Audio => (80 + (seq as usize * 37) % 81, 7u32),
        MediaKind::Video if seq.is_multiple_of(10) => (12_000, 11),
        MediaKind::Video => (1000 + (seq as usize * 997) % 11_000, 11),
    };
    let mut f: Vec<u8> = (0..size)
        .map(|k| (k as u32).wrapping_mul(13).wrapping_add(seq * salt) as u8)
        .collect();
    f[1..5].copy_from_slice(&seq.to_be_bytes());
    if kind == MediaKind::Video {
        // VP8 payload header: keyframe bit (0 = key), version 0, show_frame.
        f[0] = if seq.is_multiple_of(10) { 0x10 } else { 0x11 };
    }
    f
}

/// The number [`frame`] wrote into a frame, if it is long enough.
pub fn frame_seq(data: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(1..5)?.try_into().ok()?))
}

/// The RTP time of frame `seq`: 20 ms audio frames, 30 fps video.
pub fn frame_rtp_time(kind: MediaKind, seq: u32) -> u32 {
    match kind {
        MediaKind::Audio => seq.wrapping_mul(960),
        MediaKind::Video => seq.wrapping_mul(3000),
    }
}

/// How long after the start frame `seq` is due: 20 ms audio, 33 ms video.
pub fn frame_interval(kind: MediaKind) -> Duration {
    match kind {
        MediaKind::Audio => Duration::from_millis(20),
        MediaKind::Video => Duration::from_millis(33),
    }
}

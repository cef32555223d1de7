//! Small peers for testing the simulator and for scenarios that need simple traffic:
//!
//! - [`Echo`] answers every datagram back to its source, from the address it arrived on.
//! - [`Pinger`] sends numbered datagrams to one destination, on a timer or ping-pong style,
//!   and measures the replies.
//! - [`Probe`] sends what the test tells it to and records what it receives.
//!
//! `Echo` and `Pinger` (without RTT recording) allocate nothing per datagram.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansrtc::net::{Receive, Transmit, Transport};

use super::Peer;

/// Answers every datagram with the same bytes, swapping source and destination.
#[derive(Debug)]
pub struct Echo {
    slots: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    head: usize,
    queued: usize,
    /// Datagrams received.
    pub received: u64,
    /// Datagrams dropped because the reply queue was full.
    pub overflow: u64,
}

/// Replies an [`Echo`] holds before dropping.
const ECHO_QUEUE: usize = 64;

impl Echo {
    /// An echo peer with room for 64 pending replies.
    pub fn new() -> Self {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        Self {
            slots: (0..ECHO_QUEUE)
                .map(|_| (unspecified, unspecified, Vec::with_capacity(2048)))
                .collect(),
            head: 0,
            queued: 0,
            received: 0,
            overflow: 0,
        }
    }
}

impl Default for Echo {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer for Echo {
    fn handle_datagram(&mut self, _now: Instant, rx: Receive<'_>) {
        self.received += 1;
        if self.queued == self.slots.len() {
            self.overflow += 1;
            return;
        }
        let slot = &mut self.slots[(self.head + self.queued) % ECHO_QUEUE];
        slot.0 = rx.destination;
        slot.1 = rx.source;
        slot.2.clear();
        slot.2.extend_from_slice(rx.contents);
        self.queued += 1;
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.queued == 0 {
            return None;
        }
        let (source, destination, bytes) = &self.slots[self.head];
        buf[..bytes.len()].copy_from_slice(bytes);
        self.head = (self.head + 1) % ECHO_QUEUE;
        self.queued -= 1;
        Some(Transmit {
            source: *source,
            destination: *destination,
            transport: Transport::Udp,
            len: bytes.len(),
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// What a [`Pinger`] measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PingStats {
    /// Pings sent.
    pub sent: u64,
    /// Replies received (duplicates included).
    pub received: u64,
    /// Replies whose sequence number was lower than one already received.
    pub out_of_order: u64,
    /// The highest sequence number received.
    pub highest_seq: Option<u64>,
    /// Smallest round-trip time.
    pub rtt_min: Option<Duration>,
    /// Largest round-trip time.
    pub rtt_max: Option<Duration>,
    /// Sum of round-trip times (divide by `received` for the mean).
    pub rtt_sum: Duration,
}

/// Sends numbered pings from `local` to `remote` and measures replies (from an [`Echo`]).
///
/// A ping is `seq` (8 bytes, big-endian), the send time in nanoseconds since `start`
/// (8 bytes), then filler up to the configured size. In interval mode the pinger sends one
/// ping every `interval` from `start`; in ping-pong mode it sends the next ping as soon as the
/// reply to the last one arrives, or after `interval` if it does not.
#[derive(Debug)]
pub struct Pinger {
    local: SocketAddr,
    remote: SocketAddr,
    start: Instant,
    interval: Duration,
    size: usize,
    limit: Option<u64>,
    ping_pong: bool,
    next_send: Instant,
    pending: u32,
    stats: PingStats,
    rtts: Option<Vec<(u64, Duration)>>,
}

/// Bytes of a ping's header: sequence number and send time.
const PING_HEADER: usize = 16;

impl Pinger {
    /// A pinger that sends its first ping at `start`, then one every `interval`, 100 bytes
    /// each, forever.
    pub fn new(local: SocketAddr, remote: SocketAddr, start: Instant, interval: Duration) -> Self {
        Self {
            local,
            remote,
            start,
            interval,
            size: 100,
            limit: None,
            ping_pong: false,
            next_send: start,
            pending: 0,
            stats: PingStats::default(),
            rtts: None,
        }
    }

    /// Sets the datagram size (at least 16 bytes).
    pub fn with_size(mut self, size: usize) -> Self {
        self.size = size.max(PING_HEADER);
        self
    }

    /// Stops after `count` pings.
    pub fn with_count(mut self, count: u64) -> Self {
        self.limit = Some(count);
        self
    }

    /// Ping-pong mode: the next ping goes out when the reply to the last one arrives
    /// (`interval` becomes the retry time).
    pub fn ping_pong(mut self) -> Self {
        self.ping_pong = true;
        self
    }

    /// Records `(seq, rtt)` of every reply (this allocates as the record grows).
    pub fn recording(mut self) -> Self {
        self.rtts = Some(Vec::new());
        self
    }

    /// What was measured so far.
    pub fn stats(&self) -> &PingStats {
        &self.stats
    }

    /// The recorded `(seq, rtt)` pairs, in arrival order (empty unless [`Pinger::recording`]).
    pub fn rtts(&self) -> &[(u64, Duration)] {
        self.rtts.as_deref().unwrap_or_default()
    }

    fn done(&self) -> bool {
        self.limit
            .is_some_and(|n| self.stats.sent + u64::from(self.pending) >= n)
    }
}

impl Peer for Pinger {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if rx.source != self.remote || rx.contents.len() < PING_HEADER {
            return;
        }
        let field = |i: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&rx.contents[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let (seq, sent) = (field(0), field(8));
        let rtt = now.saturating_duration_since(self.start + Duration::from_nanos(sent));
        let s = &mut self.stats;
        s.received += 1;
        if s.highest_seq.is_some_and(|h| seq < h) {
            s.out_of_order += 1;
        }
        s.highest_seq = s.highest_seq.max(Some(seq));
        s.rtt_min = Some(s.rtt_min.map_or(rtt, |m| m.min(rtt)));
        s.rtt_max = s.rtt_max.max(Some(rtt));
        s.rtt_sum += rtt;
        if let Some(rtts) = &mut self.rtts {
            rtts.push((seq, rtt));
        }
        if self.ping_pong && seq + 1 == self.stats.sent && !self.done() {
            self.pending += 1;
            self.next_send = now + self.interval;
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        while self.next_send <= now && !self.done() {
            self.pending += 1;
            self.next_send += self.interval;
        }
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.pending == 0 {
            return None;
        }
        self.pending -= 1;
        let seq = self.stats.sent;
        self.stats.sent += 1;
        let sent = (now - self.start).as_nanos() as u64;
        let ping = &mut buf[..self.size];
        ping[..8].copy_from_slice(&seq.to_be_bytes());
        ping[8..16].copy_from_slice(&sent.to_be_bytes());
        for (i, b) in ping[PING_HEADER..].iter_mut().enumerate() {
            *b = (seq as usize + i) as u8;
        }
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len: self.size,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        (!self.done()).then_some(self.next_send)
    }
}

/// A datagram a [`Probe`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Its source, as seen by the receiver (after NAT translation).
    pub source: SocketAddr,
    /// The local address it arrived on.
    pub destination: SocketAddr,
    /// Its bytes.
    pub payload: Vec<u8>,
}

/// A peer the test drives by hand: [`Probe::send`] queues a datagram, which leaves at the
/// simulator's next step; everything received is kept. Allocates freely.
#[derive(Debug, Default)]
pub struct Probe {
    outbox: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    received: Vec<Received>,
}

impl Probe {
    /// An idle probe.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `payload` from `source` (one of the host's addresses) to `destination`.
    pub fn send(&mut self, source: SocketAddr, destination: SocketAddr, payload: &[u8]) {
        self.outbox
            .push_back((source, destination, payload.to_vec()));
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// Takes everything received so far.
    pub fn take_received(&mut self) -> Vec<Received> {
        std::mem::take(&mut self.received)
    }
}

impl Peer for Probe {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.received.push(Received {
            at: now,
            source: rx.source,
            destination: rx.destination,
            payload: rx.contents.to_vec(),
        });
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (source, destination, payload) = self.outbox.pop_front()?;
        buf[..payload.len()].copy_from_slice(&payload);
        Some(Transmit {
            source,
            destination,
            transport: Transport::Udp,
            len: payload.len(),
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

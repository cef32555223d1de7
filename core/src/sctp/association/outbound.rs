//! The sending side: the send queue, fragmentation, outstanding chunks, SACK processing,
//! retransmission, congestion control (RFC 9260 sections 6 and 7) and partial reliability
//! (RFC 3758 section 3.5).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::arena::Arena;
use super::scheduler::{Scheduler, StreamQueue};
use super::timer::Timer;
use super::{
    Association, AssociationState, Event, Reliability, SctpConfig, SendError, SendOptions,
};
use crate::sctp::stream_map::StreamMap;
use crate::sctp::wire::{
    DATA_HEADER_LEN, DataFlags, PacketWriter, Ppid, Ssn, StreamId, Tsn, padded_data_len,
};

/// Fragments smaller than this are not started at the tail of a packet; the rest of the
/// message waits for the next packet (avoids needless tiny fragments).
const MIN_FRAGMENT: usize = 64;

/// Max.Burst (RFC 9260 sections 6.1 and 16): new DATA sent at one go is limited to this many
/// packets beyond what the acknowledgements just freed (plus slow start's growth), so a
/// window opened long ago is not spent in one burst. A burst larger than the receiver's
/// socket buffer is dropped by its kernel (Chromium's is a few hundred kilobytes), and a
/// max-retransmits-0 channel cannot get that back.
pub(super) const MAX_BURST: usize = 4;
/// The size of each send arena buffer: messages are copied into one and sliced out as
/// `Bytes`; once every slice is dropped (acknowledged) the space is reused without
/// allocating.
const SEND_ARENA: usize = 256 * 1024;
/// How many FORWARD-TSNs repeat an SSN skip that moves no TSN (nothing acknowledges
/// those, so they are repeated instead).
const SKIP_SENDS: u8 = 3;
/// Streams a FORWARD-TSN names at most (one entry per ordered stream with abandoned data).
const MAX_FORWARD_STREAMS: usize = 64;

/// RTO estimation (RFC 9260 section 6.3.1, the RFC 6298 algorithm).
#[derive(Debug, Clone, Copy)]
pub(super) struct Rto {
    pub(super) srtt: Option<Duration>,
    rttvar: Duration,
    pub(super) rto: Duration,
    min: Duration,
    max: Duration,
}

impl Rto {
    fn new(config: &SctpConfig) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: config.rto_initial.clamp(config.rto_min, config.rto_max),
            min: config.rto_min,
            max: config.rto_max,
        }
    }

    /// A fresh estimator, for unit tests.
    #[cfg(test)]
    pub(super) fn new_for_test(config: &SctpConfig) -> Self {
        Self::new(config)
    }

    /// Takes a round-trip measurement (C1 to C3 of RFC 9260 section 6.3.1).
    pub(super) fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let delta = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + delta / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        self.rto =
            (srtt + (self.rttvar * 4).max(Duration::from_millis(1))).clamp(self.min, self.max);
    }

    /// Doubles the RTO after a timeout (RFC 9260 section 6.3.3, E2).
    pub(super) fn backoff(&mut self) {
        self.rto = (self.rto * 2).min(self.max);
    }
}

/// A message waiting to be (fully) fragmented.
#[derive(Debug)]
pub(super) struct OutMessage {
    id: u64,
    pub(super) stream: StreamId,
    ppid: Ppid,
    ssn: Ssn,
    unordered: bool,
    pub(super) data: Bytes,
    /// Bytes already cut into chunks.
    sent: usize,
    reliability: Reliability,
    created: Instant,
}

/// Where an outstanding chunk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Sent and counted in the flight.
    InFlight,
    /// To be sent again.
    Retransmit,
    /// Reported received in a gap ack block.
    Acked,
    /// Given up on (partial reliability).
    Abandoned,
}

/// A chunk that has a TSN and is not yet cumulatively acknowledged.
#[derive(Debug)]
struct SentChunk {
    tsn: Tsn,
    msg: u64,
    stream: StreamId,
    ssn: Ssn,
    ppid: Ppid,
    flags: DataFlags,
    data: Bytes,
    state: ChunkState,
    sent_at: Instant,
    transmits: u32,
    misses: u8,
    /// Already fast-retransmitted once: later losses wait for T3 (RFC 9260 section 7.2.4).
    fast_done: bool,
    /// Marked by fast retransmit and may go out regardless of cwnd, once.
    fast: bool,
    reliability: Reliability,
    created: Instant,
}

/// Per-stream sending state.
#[derive(Debug, Default)]
pub(super) struct OutStream {
    next_ssn: Ssn,
    /// Bytes queued and not yet sent once.
    pub(super) buffered: usize,
    pub(super) low_threshold: usize,
    /// A reset is pending: no new sends.
    pub(super) resetting: bool,
    /// Messages not yet fully cut into chunks, and their scheduling weight.
    pub(super) queue: StreamQueue,
}

/// The sending half of an association.
#[derive(Debug)]
pub(super) struct Outbound {
    pub(super) sched: Scheduler,
    pub(super) queued_bytes: usize,
    inflight: VecDeque<SentChunk>,
    pub(super) inflight_bytes: usize,
    pub(super) next_tsn: Tsn,
    /// The peer's cumulative TSN ack: every TSN up to it is acknowledged.
    cum_ack: Tsn,
    adv_peer_ack: Tsn,
    pub(super) flight: usize,
    pub(super) cwnd: usize,
    /// Bytes of new DATA that may still go out before the next SACK (Max.Burst, see
    /// [`MAX_BURST`]).
    burst_credit: usize,
    pub(super) ssthresh: usize,
    partial_bytes_acked: usize,
    fast_recovery_exit: Option<Tsn>,
    fast_pending: bool,
    /// Some chunk may be marked for retransmission: set whenever one is marked, cleared
    /// when a scan of the outstanding chunks finds none left (so a steady transfer does not
    /// scan them for every packet).
    retransmit_marked: bool,
    pub(super) peer_rwnd: usize,
    pub(super) rto: Rto,
    pub(super) streams: StreamMap<OutStream>,
    next_msg: u64,
    pub(super) forward_tsn: bool,
    forward_streams: Vec<(StreamId, Ssn)>,
    /// SSNs of ordered messages abandoned with an unsent rest: the peer may hold their
    /// acknowledged head, so a FORWARD-TSN names them even when no TSN is skipped; sent
    /// with the next [`SKIP_SENDS`] FORWARD-TSNs (each SACK prompts one).
    /// Each entry: stream, SSN, the message's last TSN, sends left. An entry goes out once
    /// the FORWARD-TSN's new cumulative TSN covers that last TSN.
    skips: Vec<(StreamId, Ssn, Tsn, u8)>,
    arena: Arena,
    mtu: usize,
    pub(super) max_streams: u16,
}

impl Outbound {
    pub(super) fn new(config: &SctpConfig, initial_tsn: Tsn) -> Self {
        let mtu = config.mtu;
        Self {
            sched: Scheduler::with_capacity(16),
            queued_bytes: 0,
            // Grows with the flight and is given back when idle (release_idle_buffers).
            inflight: VecDeque::new(),
            inflight_bytes: 0,
            next_tsn: initial_tsn,
            cum_ack: Tsn(initial_tsn.0.wrapping_sub(1)),
            adv_peer_ack: Tsn(initial_tsn.0.wrapping_sub(1)),
            flight: 0,
            // RFC 9260 section 7.2.1: min(4 MTU, max(2 MTU, 4380)).
            cwnd: (4 * mtu).min((2 * mtu).max(4380)),
            burst_credit: MAX_BURST * mtu,
            ssthresh: config.receive_window as usize,
            partial_bytes_acked: 0,
            fast_recovery_exit: None,
            fast_pending: false,
            retransmit_marked: false,
            peer_rwnd: config.receive_window as usize,
            rto: Rto::new(config),
            streams: StreamMap::default(),
            next_msg: 0,
            forward_tsn: false,
            forward_streams: Vec::with_capacity(MAX_FORWARD_STREAMS),
            skips: Vec::with_capacity(MAX_FORWARD_STREAMS),
            arena: Arena::new(SEND_ARENA, config.send_buffer_limit),
            mtu,
            max_streams: config.streams,
        }
    }

    pub(super) fn stream_mut(&mut self, stream: StreamId) -> &mut OutStream {
        self.streams.entry(stream).or_default()
    }

    /// Copies `data` into the send arena (reused once earlier slices are dropped).
    pub(super) fn copy_in(&mut self, data: &[u8]) -> Bytes {
        self.arena.copy(data).freeze()
    }

    /// Frees arena buffers no queued or outstanding message uses any more, and the
    /// outstanding-chunk queue's room once nothing is outstanding.
    pub(super) fn release_idle_buffers(&mut self) {
        self.arena.release_idle();
        if self.inflight.is_empty() {
            self.inflight = VecDeque::new();
        }
    }

    /// Nothing queued and nothing outstanding.
    pub(super) fn is_idle(&self) -> bool {
        self.sched.is_empty() && self.inflight.is_empty()
    }

    /// Drops everything (the association closed).
    pub(super) fn clear(&mut self) {
        self.clear_queues();
        self.inflight.clear();
        self.arena.trim();
        self.queued_bytes = 0;
        self.inflight_bytes = 0;
        self.flight = 0;
        for s in self.streams.values_mut() {
            s.buffered = 0;
        }
    }

    /// Resets a stream's outgoing SSN after a completed stream reset.
    pub(super) fn reset_stream(&mut self, stream: StreamId) {
        if let Some(s) = self.streams.get_mut(&stream) {
            s.next_ssn = Ssn(0);
            s.resetting = false;
        }
    }
}

/// Whether a chunk or message under `reliability` should be given up at `now`.
fn expired(reliability: Reliability, created: Instant, transmits: u32, now: Instant) -> bool {
    match reliability {
        Reliability::Reliable => false,
        Reliability::MaxRetransmits(n) => transmits > u32::from(n),
        Reliability::MaxLifetime(d) => now.saturating_duration_since(created) >= d,
    }
}

impl Association {
    pub(super) fn check_send(&self, stream: StreamId, len: usize) -> Result<(), SendError> {
        use AssociationState as S;
        if !matches!(
            self.state,
            S::Listening | S::CookieWait | S::CookieEchoed | S::Established
        ) {
            return Err(SendError::Closed);
        }
        if len == 0 {
            return Err(SendError::Empty);
        }
        if len > self.config.max_message_size {
            return Err(SendError::TooLarge {
                size: len,
                max: self.config.max_message_size,
            });
        }
        if stream.0 >= self.out.max_streams {
            return Err(SendError::InvalidStream(stream.0));
        }
        if self.out.streams.get(&stream).is_some_and(|s| s.resetting) {
            return Err(SendError::StreamResetting(stream.0));
        }
        if self.out.queued_bytes + self.out.inflight_bytes + len > self.config.send_buffer_limit {
            return Err(SendError::BufferFull);
        }
        Ok(())
    }

    pub(super) fn enqueue(
        &mut self,
        now: Instant,
        stream: StreamId,
        ppid: Ppid,
        data: Bytes,
        options: SendOptions,
    ) {
        let o = &mut self.out;
        let s = o.streams.entry(stream).or_default();
        s.buffered += data.len();
        o.queued_bytes += data.len();
        let reliability = if self.peer.forward_tsn || self.state != AssociationState::Established {
            options.reliability
        } else {
            Reliability::Reliable
        };
        o.push_message(OutMessage {
            id: o.next_msg,
            stream,
            ppid,
            // Assigned with the first TSN, so a message that expires unsent leaves no gap
            // in the stream's sequence.
            ssn: Ssn(0),
            unordered: options.unordered,
            data,
            sent: 0,
            reliability,
            created: now,
        });
        o.next_msg += 1;
    }

    /// Lowers a stream's buffered amount, firing the low event on the crossing.
    fn unbuffer(&mut self, stream: StreamId, n: usize) {
        if let Some(s) = self.out.streams.get_mut(&stream) {
            let before = s.buffered;
            s.buffered = s.buffered.saturating_sub(n);
            if before > s.low_threshold && s.buffered <= s.low_threshold {
                self.events.push_back(Event::BufferedAmountLow(stream));
            }
        }
        self.out.queued_bytes = self.out.queued_bytes.saturating_sub(n);
    }

    /// A SACK (or the cumulative ack of a SHUTDOWN): RFC 9260 sections 6.2.1, 7.2 and
    /// RFC 3758 section 3.5.
    pub(super) fn on_ack(
        &mut self,
        now: Instant,
        cum: Tsn,
        a_rwnd: Option<u32>,
        gaps: impl Iterator<Item = (u16, u16)>,
    ) {
        let o = &mut self.out;
        if o.cum_ack.is_after(cum) {
            return; // stale, out of order
        }
        if cum.is_at_or_after(o.next_tsn) {
            self.protocol_violation("ack of a tsn never sent");
            return;
        }
        let mtu = o.mtu;
        let flight_before = o.flight;
        let cum_advanced = cum.is_after(o.cum_ack);
        let mut acked = 0usize;
        let mut rtt = None;
        let mut highest_newly_acked = None;
        while o.inflight.front().is_some_and(|c| !c.tsn.is_after(cum)) {
            let Some(c) = o.inflight.pop_front() else {
                break;
            };
            let len = c.data.len();
            if c.state == ChunkState::InFlight {
                o.flight -= len;
            }
            if matches!(c.state, ChunkState::InFlight | ChunkState::Retransmit) {
                acked += len;
                if c.transmits == 1 {
                    rtt = Some(now.saturating_duration_since(c.sent_at));
                }
            }
            o.inflight_bytes -= len;
            highest_newly_acked = Some(c.tsn);
        }
        o.cum_ack = cum;
        if o.cum_ack.is_after(o.adv_peer_ack) {
            o.adv_peer_ack = cum;
        }
        for (start, end) in gaps {
            if start == 0 || end < start {
                continue;
            }
            for off in start..=end {
                let Some(c) = o.inflight.get_mut(usize::from(off) - 1) else {
                    break;
                };
                if matches!(c.state, ChunkState::InFlight | ChunkState::Retransmit) {
                    if c.state == ChunkState::InFlight {
                        o.flight -= c.data.len();
                    }
                    c.state = ChunkState::Acked;
                    c.fast = false;
                    acked += c.data.len();
                    if c.transmits == 1 {
                        rtt = Some(now.saturating_duration_since(c.sent_at));
                    }
                    highest_newly_acked = Some(c.tsn);
                }
            }
        }
        // Miss indications, HTNA (RFC 9260 section 7.2.4).
        let mut marked = 0u64;
        if let Some(highest) = highest_newly_acked {
            for c in o.inflight.iter_mut() {
                if !highest.is_after(c.tsn) {
                    break;
                }
                if c.state == ChunkState::InFlight && !c.fast_done {
                    c.misses = c.misses.saturating_add(1);
                    if c.misses >= 3 {
                        c.state = ChunkState::Retransmit;
                        o.retransmit_marked = true;
                        c.fast = true;
                        c.fast_done = true;
                        o.flight -= c.data.len();
                        marked += 1;
                    }
                }
            }
        }
        if let Some(exit) = o.fast_recovery_exit
            && cum.is_at_or_after(exit)
        {
            o.fast_recovery_exit = None;
        }
        if marked > 0 {
            self.stats.fast_retransmits += marked;
            o.fast_pending = true;
            if o.fast_recovery_exit.is_none() {
                o.ssthresh = (o.cwnd / 2).max(4 * mtu);
                o.cwnd = o.ssthresh;
                o.partial_bytes_acked = 0;
                o.fast_recovery_exit = Some(Tsn(o.next_tsn.0.wrapping_sub(1)));
                self.stats.fast_recoveries += 1;
            }
        } else if cum_advanced && o.fast_recovery_exit.is_none() {
            // Congestion window growth (RFC 9260 sections 7.2.1 and 7.2.2).
            let was_full = flight_before + mtu >= o.cwnd;
            if o.cwnd <= o.ssthresh {
                // RFC 9260 7.2.1 allows one MTU per SACK, assuming a SACK every second
                // packet. A receiver that reads a batch of packets before it writes answers
                // with one SACK for all of them (every sans-IO peer, and a driver reading
                // its socket in batches, does); growing by one MTU per two packets acked
                // keeps slow start exponential then, and is what SACKs every second packet
                // would have given.
                if was_full {
                    o.cwnd += acked.min(mtu.max(acked / 2));
                }
            } else {
                o.partial_bytes_acked += acked;
                if o.partial_bytes_acked >= o.cwnd && was_full {
                    o.partial_bytes_acked -= o.cwnd;
                    o.cwnd += mtu;
                }
            }
        }
        if o.inflight.is_empty() {
            o.partial_bytes_acked = 0;
        }
        if o.queued_bytes == 0 {
            // Nothing waits to be sent: credit does not pile up while the application is
            // quiet, and its next message starts with a burst of Max.Burst packets.
            o.burst_credit = MAX_BURST * mtu;
        } else if acked > 0 {
            // The ack clock: what left the network, plus the growth slow start may add, plus
            // Max.Burst packets.
            let allowance = acked + (MAX_BURST * mtu).max(acked / 2);
            o.burst_credit = (o.burst_credit + allowance).min(o.cwnd.max(MAX_BURST * mtu));
        }
        if let Some(a_rwnd) = a_rwnd {
            o.peer_rwnd = (a_rwnd as usize).saturating_sub(o.flight);
        }
        if let Some(r) = rtt {
            o.rto.sample(r);
            // A fresh measurement ends the backoff (RFC 6298 section 5.7); a T3-rtx armed
            // with the backed-off RTO must not keep the head of the queue waiting that long.
            self.timers.shorten(Timer::T3Rtx, now + o.rto.rto);
        }
        if cum_advanced {
            self.error_count = 0;
        }
        self.advance_peer_ack_point();
        let o = &mut self.out;
        if !o.skips.is_empty() {
            o.forward_tsn = true;
        }
        if o.flight == 0 && !o.adv_peer_ack.is_after(o.cum_ack) {
            self.timers.stop(Timer::T3Rtx);
        } else if cum_advanced || !self.timers.is_running(Timer::T3Rtx) {
            self.timers.set(Timer::T3Rtx, now + o.rto.rto);
        }
    }

    /// T3-rtx expired (RFC 9260 section 6.3.3): back off, collapse cwnd, and mark every
    /// chunk in flight for retransmission.
    pub(super) fn on_t3_rtx(&mut self, now: Instant) {
        self.stats.t3_expirations += 1;
        if !self.count_error() {
            return;
        }
        let o = &mut self.out;
        o.ssthresh = (o.cwnd / 2).max(4 * o.mtu);
        o.cwnd = o.mtu;
        // Slow start begins again, with cwnd as its limit.
        o.burst_credit = MAX_BURST * o.mtu;
        o.partial_bytes_acked = 0;
        o.fast_recovery_exit = None;
        o.rto.backoff();
        for c in o.inflight.iter_mut() {
            if c.state == ChunkState::InFlight {
                c.state = ChunkState::Retransmit;
                o.retransmit_marked = true;
            }
            c.fast = false;
        }
        o.flight = 0;
        if o.adv_peer_ack.is_after(o.cum_ack) || !o.skips.is_empty() {
            o.forward_tsn = true;
        }
        if !o.inflight.is_empty() {
            self.timers.set(Timer::T3Rtx, now + o.rto.rto);
        }
    }

    /// Gives up a whole message: its chunks become abandoned and its unsent rest is dropped.
    fn abandon(&mut self, stream: StreamId, msg: u64) {
        let o = &mut self.out;
        let mut any = false;
        for c in o.inflight.iter_mut().filter(|c| c.msg == msg) {
            if c.state == ChunkState::InFlight {
                o.flight -= c.data.len();
            }
            if c.state != ChunkState::Abandoned {
                any = true;
            }
            c.state = ChunkState::Abandoned;
            c.fast = false;
        }
        let mut rest = None;
        if let Some(front) = o.head(stream)
            && front.id == msg
        {
            rest = Some((front.stream, front.data.len() - front.sent));
            if !front.unordered && o.skips.len() < MAX_FORWARD_STREAMS {
                // The head message is the one being cut: the last TSN is its own.
                let last = Tsn(o.next_tsn.0.wrapping_sub(1));
                o.skips.push((front.stream, front.ssn, last, SKIP_SENDS));
                o.forward_tsn = true;
            }
            o.pop_head(stream);
        }
        if let Some((stream, n)) = rest {
            self.unbuffer(stream, n);
            any = true;
        }
        if any {
            self.stats.messages_abandoned += 1;
        }
        self.advance_peer_ack_point();
    }

    /// Moves the Advanced.Peer.Ack.Point over abandoned chunks (RFC 3758 section 3.5, C1)
    /// and asks for a FORWARD-TSN when it passes the cumulative ack.
    fn advance_peer_ack_point(&mut self) {
        let o = &mut self.out;
        if !self.peer.forward_tsn {
            return;
        }
        if o.cum_ack.is_after(o.adv_peer_ack) {
            o.adv_peer_ack = o.cum_ack;
        }
        let skip = o.adv_peer_ack.distance_from(o.cum_ack) as usize;
        for c in o.inflight.iter().skip(skip) {
            if c.state != ChunkState::Abandoned {
                break;
            }
            o.adv_peer_ack = c.tsn;
        }
        if o.adv_peer_ack.is_after(o.cum_ack) {
            o.forward_tsn = true;
        }
    }

    /// Writes a FORWARD-TSN if one is due (RFC 3758 section 3.5, C2 and C3).
    pub(super) fn write_forward_tsn(&mut self, now: Instant, w: &mut PacketWriter<'_>) {
        let o = &mut self.out;
        if !o.forward_tsn {
            return;
        }
        let advanced = o.adv_peer_ack.is_after(o.cum_ack);
        let new_cum = if advanced { o.adv_peer_ack } else { o.cum_ack };
        let covered = |last: Tsn| new_cum.is_at_or_after(last);
        if !advanced && !o.skips.iter().any(|s| covered(s.2)) {
            o.forward_tsn = false;
            return;
        }
        o.forward_streams.clear();
        let n = if advanced {
            o.adv_peer_ack.distance_from(o.cum_ack) as usize
        } else {
            0
        };
        let abandoned = o
            .inflight
            .iter()
            .take(n)
            .filter(|c| !c.flags.is_unordered())
            .map(|c| (c.stream, c.ssn));
        let skips = o
            .skips
            .iter()
            .filter(|s| covered(s.2))
            .map(|&(s, ssn, _, _)| (s, ssn));
        for (stream, ssn) in abandoned.chain(skips) {
            let room = o.forward_streams.len() < MAX_FORWARD_STREAMS;
            match o.forward_streams.iter_mut().find(|(s, _)| *s == stream) {
                Some(entry) if ssn.is_at_or_after(entry.1) => entry.1 = ssn,
                Some(_) => {}
                None if room => o.forward_streams.push((stream, ssn)),
                None => {}
            }
        }
        if w.push_forward_tsn(new_cum, &o.forward_streams).is_ok() {
            o.forward_tsn = false;
            for skip in &mut o.skips {
                if new_cum.is_at_or_after(skip.2) {
                    skip.3 = skip.3.saturating_sub(1);
                }
            }
            o.skips.retain(|s| s.3 > 0);
            self.stats.forward_tsn_sent += 1;
            if advanced && !self.timers.is_running(Timer::T3Rtx) {
                self.timers.set(Timer::T3Rtx, now + o.rto.rto);
            }
        }
    }

    /// Appends retransmissions, then new DATA, as far as the packet, cwnd and the peer's
    /// window allow (RFC 9260 sections 6.1 and 7.2).
    pub(super) fn write_data(&mut self, now: Instant, w: &mut PacketWriter<'_>) {
        let mut wrote = false;
        // Retransmissions first. The scan ends early only at a chunk it could not send.
        let mut i = 0;
        let mut blocked = false;
        while self.out.retransmit_marked
            && let Some(c) = self.out.inflight.get(i)
        {
            if c.state != ChunkState::Retransmit {
                i += 1;
                continue;
            }
            // Without FORWARD-TSN at the peer nothing sent may be abandoned.
            if self.peer.forward_tsn && expired(c.reliability, c.created, c.transmits, now) {
                let (stream, msg) = (c.stream, c.msg);
                self.abandon(stream, msg);
                i += 1;
                continue;
            }
            let bypass = c.fast && self.out.fast_pending;
            if (!bypass && self.out.flight >= self.out.cwnd)
                || padded_data_len(c.data.len()) > w.remaining()
                || w.push_data(c.flags, c.tsn, c.stream, c.ssn, c.ppid, &c.data)
                    .is_err()
            {
                blocked = true;
                break;
            }
            let o = &mut self.out;
            let c = &mut o.inflight[i];
            c.state = ChunkState::InFlight;
            c.transmits += 1;
            c.sent_at = now;
            c.misses = 0;
            c.fast = false;
            o.flight += c.data.len();
            self.stats.retransmissions += 1;
            wrote = true;
            i += 1;
        }
        if !blocked {
            self.out.retransmit_marked = false;
        }
        if wrote {
            self.out.fast_pending = false;
        }
        // In COOKIE-ECHOED only behind COOKIE ECHO (see `poll_transmit`).
        if self.state == AssociationState::Established
            || self.state == AssociationState::CookieEchoed
            || self.state == AssociationState::ShutdownPending
            || self.state == AssociationState::ShutdownReceived
        {
            wrote |= self.write_new_data(now, w);
        }
        if wrote && !self.timers.is_running(Timer::T3Rtx) {
            self.timers.set(Timer::T3Rtx, now + self.out.rto.rto);
        }
    }

    fn write_new_data(&mut self, now: Instant, w: &mut PacketWriter<'_>) -> bool {
        let mut wrote = false;
        while let Some(stream) = self.out.next_stream() {
            let Some(m) = self.out.head(stream) else {
                break;
            };
            if m.sent == 0 && expired(m.reliability, m.created, 0, now) {
                let len = m.data.len();
                self.out.pop_head(stream);
                self.unbuffer(stream, len);
                self.stats.messages_abandoned += 1;
                continue;
            }
            if self.out.flight >= self.out.cwnd {
                break;
            }
            let (first, unordered) = (m.sent == 0, m.unordered);
            // An ordered message takes its SSN with its first TSN, so one that expires
            // unsent leaves no gap in the stream's sequence.
            let assign = first && !unordered;
            let ssn = if assign {
                self.out.streams.get(&stream).map_or(Ssn(0), |s| s.next_ssn)
            } else {
                m.ssn
            };
            let o = &self.out;
            let left = m.data.len() - m.sent;
            let room = (w.remaining() & !3).saturating_sub(DATA_HEADER_LEN);
            let n = left.min(room);
            if n == 0 || (n < left && n < MIN_FRAGMENT) {
                break;
            }
            // The peer's window (RFC 9260 section 6.1, rule A), with the zero window probe,
            // and Max.Burst, which counts like cwnd: a chunk may start while credit is left.
            if (n > o.peer_rwnd || o.burst_credit == 0) && o.flight > 0 {
                break;
            }
            let mut flags = if m.unordered { DataFlags::UNORDERED } else { 0 };
            if m.sent == 0 {
                flags |= DataFlags::BEGIN;
            }
            if m.sent + n == m.data.len() {
                flags |= DataFlags::END;
            }
            let chunk = SentChunk {
                tsn: o.next_tsn,
                msg: m.id,
                stream: m.stream,
                ssn,
                ppid: m.ppid,
                flags: DataFlags(flags),
                data: m.data.slice(m.sent..m.sent + n),
                state: ChunkState::InFlight,
                sent_at: now,
                transmits: 1,
                misses: 0,
                fast_done: false,
                fast: false,
                reliability: m.reliability,
                created: m.created,
            };
            if w.push_data(
                chunk.flags,
                chunk.tsn,
                chunk.stream,
                chunk.ssn,
                chunk.ppid,
                &chunk.data,
            )
            .is_err()
            {
                break;
            }
            let o = &mut self.out;
            o.next_tsn = o.next_tsn.next();
            o.flight += n;
            o.burst_credit = o.burst_credit.saturating_sub(n);
            o.peer_rwnd = o.peer_rwnd.saturating_sub(n);
            o.inflight_bytes += n;
            o.inflight.push_back(chunk);
            if assign {
                o.stream_mut(stream).next_ssn = ssn.next();
            }
            let done = o.head_mut(stream).is_none_or(|m| {
                m.ssn = ssn;
                m.sent += n;
                m.sent == m.data.len()
            });
            if done {
                o.pop_head(stream);
            }
            self.unbuffer(stream, n);
            self.stats.data_chunks_sent += 1;
            wrote = true;
        }
        wrote
    }

    /// Whether `stream` has queued data not yet cut into chunks.
    pub(super) fn has_queued(&self, stream: StreamId) -> bool {
        self.out
            .streams
            .get(&stream)
            .is_some_and(OutStream::has_queued)
    }
}

//! The receiving side: TSN tracking, duplicate detection, SACK generation (RFC 9260
//! sections 6.2 and 6.7), reassembly and ordered/unordered delivery (section 6.5 and 6.9),
//! and FORWARD-TSN (RFC 3758 section 3.6).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;
use smallvec::SmallVec;

use super::arena::Arena;
use super::timer::Timer;
use super::{Association, Event, Message, SctpConfig};
use crate::sctp::stream_map::StreamMap;
use crate::sctp::wire::{
    DataChunk, DataFlags, ErrorCause, ForwardTsnChunk, PacketWriter, Ppid, Ssn, StreamId, Tsn,
};

/// Duplicate TSNs reported per SACK at most.
const MAX_DUPS: usize = 32;
/// Gap ack blocks per SACK at most (each 4 bytes; 64 keeps a SACK under 300 bytes and on the
/// stack).
const MAX_GAPS: usize = 64;
/// The size of each receive arena buffer: chunk payloads are copied into one once.
const RECV_ARENA: usize = 256 * 1024;
/// Room kept contiguous for a message's first fragment, so that the fragments of a message
/// up to this size that arrive in order join without a copy.
const CONTIGUOUS: usize = 32 * 1024;

/// A fragment waiting for the rest of its message or for its turn.
#[derive(Debug)]
struct Fragment {
    tsn: Tsn,
    ssn: Ssn,
    flags: DataFlags,
    ppid: Ppid,
    data: BytesMut,
}

/// Per-stream receiving state.
#[derive(Debug, Default)]
pub(super) struct InStream {
    next_ssn: Ssn,
    /// Held fragments, sorted by TSN.
    frags: Vec<Fragment>,
}

/// The receiving half of an association.
#[derive(Debug)]
pub(super) struct Inbound {
    /// The cumulative TSN: every TSN up to it has been received.
    pub(super) cum: Tsn,
    /// Received flags for TSNs cum+1, cum+2, ...
    ooo: VecDeque<bool>,
    max_ooo: usize,
    dups: SmallVec<[Tsn; MAX_DUPS]>,
    packets_unacked: u32,
    pub(super) ack_now: bool,
    pub(super) streams: StreamMap<InStream>,
    /// User bytes held: fragments plus delivered messages not yet polled.
    pub(super) held: usize,
    /// The part of `held` in messages not yet polled.
    pub(super) undelivered: usize,
    window: usize,
    max_streams: u16,
    arena: Arena,
}

impl Inbound {
    pub(super) fn new(config: &SctpConfig) -> Self {
        Self {
            cum: Tsn(0),
            // Grows with the gaps seen and is given back when idle.
            ooo: VecDeque::new(),
            max_ooo: config.max_out_of_order,
            dups: SmallVec::new(),
            packets_unacked: 0,
            ack_now: false,
            streams: StreamMap::default(),
            held: 0,
            undelivered: 0,
            window: config.receive_window as usize,
            max_streams: config.streams,
            arena: Arena::new(
                RECV_ARENA,
                config.receive_window as usize + config.max_message_size,
            ),
        }
    }

    /// Starts tracking from the peer's initial TSN.
    pub(super) fn start(&mut self, cum: Tsn, max_streams: u16) {
        self.cum = cum;
        self.ooo.clear();
        self.max_streams = max_streams;
    }

    pub(super) fn clear(&mut self) {
        self.streams.clear();
        self.ooo.clear();
        self.held = 0;
        self.undelivered = 0;
        self.arena.trim();
    }

    /// Copies a payload into the arena (reused once earlier slices are dropped). A first
    /// fragment starts where the rest of its message fits behind it.
    fn copy_in(&mut self, payload: &[u8], first_fragment: bool) -> BytesMut {
        if first_fragment {
            self.arena.reserve(CONTIGUOUS.max(payload.len()));
        }
        self.arena.copy(payload)
    }

    /// Frees arena buffers no held fragment or undelivered message uses any more.
    pub(super) fn release_idle_buffers(&mut self) {
        self.arena.release_idle();
        if self.ooo.is_empty() {
            self.ooo = VecDeque::new();
        }
    }

    /// Marks `tsn` (after `cum`) received and advances the cumulative TSN.
    fn mark(&mut self, offset: usize) {
        while self.ooo.len() <= offset {
            self.ooo.push_back(false);
        }
        self.ooo[offset] = true;
        while self.ooo.front() == Some(&true) {
            self.ooo.pop_front();
            self.cum = self.cum.next();
        }
    }

    /// The window we advertise.
    fn a_rwnd(&self) -> u32 {
        u32::try_from(self.window.saturating_sub(self.held)).unwrap_or(u32::MAX)
    }
}

impl Association {
    /// A DATA chunk (RFC 9260 section 6.2).
    pub(super) fn on_data(&mut self, d: &DataChunk<'_>) {
        self.stats.data_chunks_received += 1;
        let i = &mut self.inb;
        if !d.tsn.is_after(i.cum) {
            self.note_duplicate(d.tsn);
            return;
        }
        let offset = (d.tsn.distance_from(i.cum) - 1) as usize;
        if offset >= i.max_ooo {
            self.stats.chunks_dropped += 1;
            i.ack_now = true;
            return;
        }
        if i.ooo.get(offset) == Some(&true) {
            self.note_duplicate(d.tsn);
            return;
        }
        // Flow control: past the window a chunk is dropped (RFC 9260 section 6.2), except the
        // next expected TSN while the window is full of held fragments rather than of
        // messages the application has not taken: that one can only make progress. So
        // `held` stays under the window plus one message.
        let len = d.payload.len();
        let unblocks = offset == 0 && i.undelivered + len <= i.window;
        if i.held + len > i.window && !unblocks {
            self.stats.chunks_dropped += 1;
            i.ack_now = true;
            return;
        }
        i.mark(offset);
        if !i.ooo.is_empty() || d.flags.is_immediate() {
            i.ack_now = true;
        }
        if d.stream.0 >= i.max_streams {
            let [a, b] = d.stream.0.to_be_bytes();
            self.ctl.error = Some((ErrorCause::INVALID_STREAM, [a, b, 0, 0]));
            return;
        }
        self.receive_fragment(d);
    }

    fn note_duplicate(&mut self, tsn: Tsn) {
        self.stats.duplicate_chunks += 1;
        let i = &mut self.inb;
        if i.dups.len() < MAX_DUPS {
            i.dups.push(tsn);
        }
        i.ack_now = true;
    }

    /// Delivers a chunk at once when it is a whole message whose turn it is; holds it
    /// otherwise and tries to assemble.
    fn receive_fragment(&mut self, d: &DataChunk<'_>) {
        let i = &mut self.inb;
        let first_fragment = d.flags.is_begin() && !d.flags.is_end();
        let data = i.copy_in(d.payload, first_fragment);
        i.held += data.len();
        let stream = i.streams.entry(d.stream).or_default();
        let whole = d.flags.is_begin() && d.flags.is_end();
        if whole && (d.flags.is_unordered() || d.ssn == stream.next_ssn) {
            if !d.flags.is_unordered() {
                stream.next_ssn = stream.next_ssn.next();
            }
            self.stats.messages_delivered += 1;
            self.stats.bytes_delivered += data.len() as u64;
            i.undelivered += data.len();
            self.events.push_back(Event::Message(Message {
                stream: d.stream,
                ppid: d.ppid,
                unordered: d.flags.is_unordered(),
                data: data.freeze(),
            }));
        } else {
            if !d.flags.is_unordered() && !d.ssn.is_at_or_after(stream.next_ssn) {
                // An ordered message from before the stream's current position: stale.
                i.held -= data.len();
                self.stats.stale_chunks += 1;
                return;
            }
            let at = stream.frags.partition_point(|f| d.tsn.is_after(f.tsn));
            stream.frags.insert(
                at,
                Fragment {
                    tsn: d.tsn,
                    ssn: d.ssn,
                    flags: d.flags,
                    ppid: d.ppid,
                    data,
                },
            );
        }
        self.assemble(d.stream);
    }

    /// Delivers every complete message of `stream` whose turn it is.
    fn assemble(&mut self, id: StreamId) {
        let Some(stream) = self.inb.streams.get_mut(&id) else {
            return;
        };
        loop {
            let Some((first, last)) = find_deliverable(stream) else {
                return;
            };
            let mut drained = stream.frags.drain(first..=last);
            let Some(head) = drained.next() else {
                return;
            };
            let (ppid, ssn, unordered) = (head.ppid, head.ssn, head.flags.is_unordered());
            let mut data = head.data;
            for f in drained {
                data.unsplit(f.data);
            }
            if !unordered {
                stream.next_ssn = ssn.next();
            }
            self.stats.messages_delivered += 1;
            self.stats.bytes_delivered += data.len() as u64;
            self.inb.undelivered += data.len();
            self.events.push_back(Event::Message(Message {
                stream: id,
                ppid,
                unordered,
                data: data.freeze(),
            }));
        }
    }

    /// Every packet with DATA: SACK every second packet, or after the delayed-ack timeout
    /// (RFC 9260 section 6.2).
    pub(super) fn data_packet_received(&mut self, now: Instant) {
        let i = &mut self.inb;
        i.packets_unacked += 1;
        if i.packets_unacked >= 2 {
            i.ack_now = true;
        } else if !self.timers.is_running(Timer::DelayedAck) {
            self.timers
                .set(Timer::DelayedAck, now + self.config.delayed_ack);
        }
    }

    /// A FORWARD-TSN (RFC 3758 section 3.6): skip abandoned TSNs and SSNs.
    pub(super) fn on_forward_tsn(&mut self, f: &ForwardTsnChunk<'_>) {
        let i = &mut self.inb;
        i.ack_now = true;
        // Even a FORWARD-TSN at or behind our cumulative TSN is applied to the streams: the
        // sender may abandon a message we hold the acknowledged head of.
        let advanced = f.new_cum_tsn.is_after(i.cum);
        if advanced {
            let skip = f.new_cum_tsn.distance_from(i.cum) as usize;
            let drop = skip.min(i.ooo.len());
            i.ooo.drain(..drop);
            i.cum = f.new_cum_tsn;
            while i.ooo.front() == Some(&true) {
                i.ooo.pop_front();
                i.cum = i.cum.next();
            }
        }
        // Unordered fragments at or before a new cumulative TSN belong to abandoned
        // messages (reliable messages in progress only have later TSNs).
        let forwarded = f.new_cum_tsn;
        let mut freed = 0;
        let mut dropped = 0;
        if advanced {
            for stream in i.streams.values_mut() {
                stream.frags.retain(|fr| {
                    let keep = !fr.flags.is_unordered() || fr.tsn.is_after(forwarded);
                    if !keep {
                        freed += fr.data.len();
                        dropped += 1;
                    }
                    keep
                });
            }
        }
        // Ordered fragments up to each named SSN belong to abandoned (or delivered) messages.
        for (id, ssn) in f.streams() {
            let stream = i.streams.entry(id).or_default();
            stream.frags.retain(|fr| {
                let keep = fr.flags.is_unordered() || !ssn.is_at_or_after(fr.ssn);
                if !keep {
                    freed += fr.data.len();
                    dropped += 1;
                }
                keep
            });
            if ssn.next().is_at_or_after(stream.next_ssn) {
                stream.next_ssn = ssn.next();
            }
        }
        i.held -= freed;
        self.stats.fragments_forwarded += dropped;
        for (id, _) in f.streams() {
            self.assemble(id);
        }
    }

    /// Whether a SACK should go out now.
    pub(super) fn sack_due(&self) -> bool {
        self.inb.ack_now
    }

    /// Writes a SACK with gap blocks and duplicates (RFC 9260 section 3.3.4).
    pub(super) fn write_sack(&mut self, w: &mut PacketWriter<'_>) {
        let i = &mut self.inb;
        let mut gaps: SmallVec<[(u16, u16); MAX_GAPS]> = SmallVec::new();
        let mut run: Option<usize> = None;
        for (k, &got) in i.ooo.iter().enumerate() {
            match (got, run) {
                (true, None) => run = Some(k),
                (false, Some(start)) => {
                    push_gap(&mut gaps, start, k - 1);
                    run = None;
                }
                _ => {}
            }
            if gaps.len() == MAX_GAPS {
                break;
            }
        }
        if let (Some(start), true) = (run, gaps.len() < MAX_GAPS) {
            push_gap(&mut gaps, start, i.ooo.len() - 1);
        }
        let a_rwnd = i.a_rwnd();
        if w.push_sack(i.cum, a_rwnd, &gaps, &i.dups).is_ok() {
            i.dups.clear();
            i.packets_unacked = 0;
            i.ack_now = false;
            self.timers.stop(Timer::DelayedAck);
        }
    }

    /// Forgets an incoming stream after the peer reset it (RFC 6525 section 5.2.2).
    pub(super) fn reset_incoming(&mut self, id: StreamId) {
        if let Some(stream) = self.inb.streams.remove(&id) {
            let freed: usize = stream.frags.iter().map(|f| f.data.len()).sum();
            self.inb.held -= freed;
        }
    }
}

/// Gap offsets are relative to the cumulative TSN: index k in `ooo` is offset k + 1.
fn push_gap(gaps: &mut SmallVec<[(u16, u16); MAX_GAPS]>, start: usize, end: usize) {
    let (Ok(s), Ok(e)) = (u16::try_from(start + 1), u16::try_from(end + 1)) else {
        return;
    };
    gaps.push((s, e));
}

/// The first complete message in `stream` that may be delivered now: unordered, or ordered
/// with the next SSN. Returns the fragment index range.
fn find_deliverable(stream: &InStream) -> Option<(usize, usize)> {
    let frags = &stream.frags;
    let mut i = 0;
    while let Some(head) = frags.get(i) {
        if !head.flags.is_begin() {
            i += 1;
            continue;
        }
        let unordered = head.flags.is_unordered();
        let mut j = i;
        let complete = loop {
            let Some(cur) = frags.get(j) else {
                break false;
            };
            if cur.flags.is_end() {
                break true;
            }
            let Some(next) = frags.get(j + 1) else {
                break false;
            };
            if next.tsn != cur.tsn.next()
                || next.flags.is_begin()
                || next.flags.is_unordered() != unordered
                || (!unordered && next.ssn != head.ssn)
            {
                break false;
            }
            j += 1;
        };
        if complete && (unordered || head.ssn == stream.next_ssn) {
            return Some((i, j));
        }
        i = j + 1;
    }
    None
}

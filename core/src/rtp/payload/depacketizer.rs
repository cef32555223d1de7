//! Reordering and frame assembly: packets in any order in, whole frames in order out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{PacketKind, PacketMeta, PayloadError, PayloadFormat};

/// Limits of one [`Depacketizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DepacketizerConfig {
    /// The reordering window in packets: a packet this far ahead of the oldest one still
    /// awaited forces the older ones out (reported as a gap). Also the number of payload
    /// buffers held. Must exceed the packet count of the largest frame, or such frames never
    /// complete.
    pub max_packets: usize,
    /// The largest payload accepted; bigger ones are dropped and counted as malformed.
    pub max_payload_size: usize,
    /// The largest assembled frame; bigger ones are dropped.
    pub max_frame_size: usize,
    /// How long a missing packet is awaited, measured from the arrival of the first packet
    /// held behind it, before it is declared lost. A frame whose packets are still arriving
    /// with no hole is not given up, however slowly it comes.
    pub max_wait: Duration,
}

impl Default for DepacketizerConfig {
    fn default() -> Self {
        Self {
            max_packets: 512,
            max_payload_size: 1500,
            max_frame_size: 4 * 1024 * 1024,
            max_wait: Duration::from_millis(200),
        }
    }
}

/// What the depacketizer hands to the application.
#[derive(Debug, PartialEq, Eq)]
pub enum DepacketizerEvent<'a> {
    /// A whole frame, in sequence order.
    Frame(Frame<'a>),
    /// Packets that will never be delivered: lost, or dropped as parts of incomplete frames.
    Gap(Gap),
}

/// One reassembled frame. The bytes borrow the depacketizer's reused buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The frame in the codec's own form (see the module docs).
    pub data: &'a [u8],
    /// The RTP timestamp shared by the frame's packets.
    pub timestamp: u32,
    /// The sequence number of the frame's first packet.
    pub first_seq: u16,
    /// The sequence number of the frame's last packet.
    pub last_seq: u16,
    /// The frame decodes without earlier frames.
    pub is_keyframe: bool,
}

/// A run of sequence numbers skipped over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The first sequence number skipped.
    pub first_seq: u16,
    /// How many sequence numbers were skipped (lost or discarded).
    pub packets: u64,
    /// A reference may be lost: frames are dropped until the next keyframe, so the
    /// application should ask the sender for one (PLI or FIR).
    pub keyframe_needed: bool,
}

/// Counters of a [`Depacketizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DepacketizerStats {
    /// Packets handed to [`Depacketizer::handle_packet`].
    pub packets_received: u64,
    /// Packets whose payload the format rejected, or too large.
    pub packets_malformed: u64,
    /// Packets received twice.
    pub packets_duplicate: u64,
    /// Packets arriving after their place was given up.
    pub packets_late: u64,
    /// Sequence numbers given up without the packet having arrived.
    pub packets_lost: u64,
    /// Packets that arrived but were dropped as parts of incomplete frames.
    pub packets_discarded: u64,
    /// Frames handed out.
    pub frames_emitted: u64,
    /// Complete frames dropped while waiting for a keyframe.
    pub frames_dropped: u64,
    /// Frames whose packets were all present but did not assemble.
    pub frames_malformed: u64,
}

/// Reorders packets of one RTP stream within a bounded window and assembles whole frames.
///
/// Method groups: [`Depacketizer::handle_packet`] and [`Depacketizer::handle_timeout`] take
/// input; [`Depacketizer::poll_event`] and [`Depacketizer::poll_timeout`] give output;
/// [`Depacketizer::stats`] and [`Depacketizer::format`] are getters. After any `handle_*`,
/// drain `poll_event` until it returns `None`, then read `poll_timeout`. Polling more than
/// needed is always correct.
///
/// Memory: `max_packets` payload buffers of at most `max_payload_size` bytes, one frame
/// buffer of at most `max_frame_size` bytes, and a few gap records. Buffers grow during
/// warm-up and are then reused.
#[derive(Debug)]
pub struct Depacketizer<F> {
    format: F,
    config: DepacketizerConfig,
    slots: Vec<Slot>,
    /// Extended sequence number of the next packet to hand out.
    head: Option<u64>,
    /// Highest extended sequence number seen.
    highest: u64,
    /// What is known of the packet just before `head`.
    prev: Option<Prev>,
    /// Packets held in `slots`.
    buffered: usize,
    waiting_keyframe: bool,
    /// The head has moved forward (a frame handed out or dropped, packets given up): packets
    /// before it are late from now on.
    committed: bool,
    last_now: Option<Instant>,
    gaps: VecDeque<Gap>,
    frame: Vec<u8>,
    stats: DepacketizerStats,
}

/// Gap records held before they are polled; further gaps merge into the last one.
const MAX_PENDING_GAPS: usize = 8;

/// Extended sequence numbers start here, so that unwrapping never goes below zero.
const EXT_BASE: u64 = 1 << 32;

#[derive(Debug, Clone, Copy)]
struct Prev {
    timestamp: u32,
    ended: bool,
}

#[derive(Debug)]
struct Slot {
    present: bool,
    ext: u64,
    meta: PacketMeta,
    kind: PacketKind,
    arrival: Option<Instant>,
    data: Vec<u8>,
}

enum Assembly {
    /// The frame at the head runs from the head to this extended sequence number.
    Complete(u64),
    /// The head packet continues a frame whose start is gone.
    NotStart,
    /// The head packet or a later one of its frame is missing.
    Blocked,
}

enum Step {
    Gap,
    Frame(FrameInfo),
    Idle,
}

struct FrameInfo {
    timestamp: u32,
    first_seq: u16,
    last_seq: u16,
    is_keyframe: bool,
}

impl<F: PayloadFormat> Depacketizer<F> {
    /// Creates a depacketizer for one stream of `format`.
    pub fn new(format: F, config: DepacketizerConfig) -> Self {
        let window = config.max_packets.max(1);
        let slots = (0..window)
            .map(|_| Slot {
                present: false,
                ext: 0,
                meta: PacketMeta {
                    seq: 0,
                    timestamp: 0,
                    marker: false,
                },
                kind: PacketKind::default(),
                arrival: None,
                data: Vec::new(),
            })
            .collect();
        let waiting_keyframe = !format.is_audio();
        Self {
            format,
            config: DepacketizerConfig {
                max_packets: window,
                ..config
            },
            slots,
            head: None,
            highest: 0,
            prev: None,
            buffered: 0,
            waiting_keyframe,
            committed: false,
            last_now: None,
            gaps: VecDeque::with_capacity(MAX_PENDING_GAPS),
            frame: Vec::new(),
            stats: DepacketizerStats::default(),
        }
    }

    /// The payload format.
    pub fn format(&self) -> &F {
        &self.format
    }

    /// Counters since creation.
    pub fn stats(&self) -> DepacketizerStats {
        self.stats
    }

    /// Takes one received packet: its RTP header fields and payload (without padding).
    pub fn handle_packet(&mut self, now: Instant, meta: PacketMeta, payload: &[u8]) {
        self.observe(now);
        self.stats.packets_received += 1;
        if payload.len() > self.config.max_payload_size {
            self.stats.packets_malformed += 1;
            return;
        }
        let Ok(kind) = self.format.inspect(payload, meta.marker) else {
            self.stats.packets_malformed += 1;
            return;
        };
        let window = self.config.max_packets as u64;
        let ext = match self.head {
            None => {
                let ext = EXT_BASE + u64::from(meta.seq);
                self.head = Some(ext);
                self.highest = ext;
                ext
            }
            Some(head) => {
                let delta = i64::from(meta.seq.wrapping_sub(self.highest as u16) as i16);
                let ext = self.highest.saturating_add_signed(delta);
                if ext < head {
                    let span = self.highest.max(head) - ext;
                    if self.committed || span >= window {
                        self.stats.packets_late += 1;
                        return;
                    }
                    // Nothing handed out yet: the stream starts earlier than first seen.
                    self.head = Some(ext);
                    self.prev = None;
                }
                ext
            }
        };
        let head = self.head.unwrap_or(ext);
        if ext >= head + window {
            self.skip_to(ext + 1 - window);
        }
        self.highest = self.highest.max(ext);
        let slot = &mut self.slots[(ext % window) as usize];
        if slot.present {
            // The window invariant keeps every held packet within `window` of the head, so a
            // present slot holds this very sequence number.
            self.stats.packets_duplicate += 1;
            return;
        }
        slot.present = true;
        slot.ext = ext;
        slot.meta = meta;
        slot.kind = kind;
        slot.arrival = Some(now);
        slot.data.clear();
        slot.data.extend_from_slice(payload);
        self.buffered += 1;
    }

    /// Advances time: missing packets awaited longer than `max_wait` are given up at the next
    /// [`Depacketizer::poll_event`]. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.observe(now);
    }

    /// When [`Depacketizer::handle_timeout`] should next be called: while packets wait behind
    /// a missing one. Changes after every `handle_*` and `poll_event`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.give_up_deadline()
    }

    /// The next frame or gap, in sequence order. The frame borrows an internal buffer that the
    /// next call reuses.
    pub fn poll_event(&mut self) -> Option<DepacketizerEvent<'_>> {
        match self.step() {
            Step::Gap => self.gaps.pop_front().map(DepacketizerEvent::Gap),
            Step::Frame(info) => Some(DepacketizerEvent::Frame(Frame {
                data: &self.frame,
                timestamp: info.timestamp,
                first_seq: info.first_seq,
                last_seq: info.last_seq,
                is_keyframe: info.is_keyframe,
            })),
            Step::Idle => None,
        }
    }

    fn observe(&mut self, now: Instant) {
        self.last_now = Some(self.last_now.map_or(now, |last| last.max(now)));
    }

    fn index(&self, ext: u64) -> usize {
        (ext % self.config.max_packets as u64) as usize
    }

    fn slot(&self, ext: u64) -> Option<&Slot> {
        let slot = &self.slots[self.index(ext)];
        (slot.present && slot.ext == ext).then_some(slot)
    }

    /// When the packets at the head are given up: `max_wait` after the first packet that
    /// arrived behind a missing one. A frame still arriving without a hole is never given up;
    /// neither is a first packet that may yet be preceded, for longer than `max_wait`.
    fn give_up_deadline(&self) -> Option<Instant> {
        let head = self.head?;
        if self.buffered == 0 {
            return None;
        }
        let mut hole = head;
        while hole <= self.highest && self.slot(hole).is_some() {
            hole += 1;
        }
        let waited_since = if hole > self.highest {
            let unsure_start = !self.committed && matches!(self.assembly(head), Assembly::NotStart);
            if !unsure_start {
                return None;
            }
            self.slot(head).and_then(|s| s.arrival)
        } else {
            (hole..=self.highest)
                .filter_map(|ext| self.slot(ext))
                .filter_map(|s| s.arrival)
                .min()
        };
        waited_since.map(|t| t + self.config.max_wait)
    }

    fn should_give_up(&self) -> bool {
        match (self.give_up_deadline(), self.last_now) {
            (Some(deadline), Some(now)) => deadline <= now,
            _ => false,
        }
    }

    /// Runs the assembler until it has one event to hand out.
    fn step(&mut self) -> Step {
        loop {
            if !self.gaps.is_empty() {
                return Step::Gap;
            }
            let Some(head) = self.head else {
                return Step::Idle;
            };
            if self.buffered == 0 {
                return Step::Idle;
            }
            match self.assembly(head) {
                Assembly::Complete(last) => {
                    if let Some(info) = self.assemble(head, last) {
                        return Step::Frame(info);
                    }
                }
                Assembly::NotStart if !self.committed && !self.should_give_up() => {
                    // An earlier packet may still arrive and move the head back.
                    return Step::Idle;
                }
                Assembly::NotStart => {
                    let prev = self.slot(head).map(|s| Prev {
                        timestamp: s.meta.timestamp,
                        ended: s.kind.is_end,
                    });
                    self.release(head);
                    self.stats.packets_discarded += 1;
                    self.head = Some(head + 1);
                    self.prev = prev;
                    self.committed = true;
                }
                Assembly::Blocked => {
                    if !self.should_give_up() {
                        return Step::Idle;
                    }
                    self.give_up(head);
                }
            }
        }
    }

    /// Finds the extent of the frame starting at `head`.
    fn assembly(&self, head: u64) -> Assembly {
        let Some(first) = self.slot(head) else {
            return Assembly::Blocked;
        };
        let timestamp = first.meta.timestamp;
        let is_start = match self.prev {
            Some(prev) => prev.ended || prev.timestamp != timestamp,
            None => first.kind.is_start,
        };
        if !is_start {
            return Assembly::NotStart;
        }
        let mut ext = head;
        loop {
            let Some(slot) = self.slot(ext) else {
                return Assembly::Blocked;
            };
            if slot.meta.timestamp != timestamp {
                return Assembly::Complete(ext - 1);
            }
            if slot.kind.is_end {
                return Assembly::Complete(ext);
            }
            if ext >= self.highest {
                return Assembly::Blocked;
            }
            ext += 1;
        }
    }

    /// Assembles the complete frame `head..=last`, releases its packets and returns what to
    /// hand out, or `None` if the frame is dropped.
    fn assemble(&mut self, head: u64, last: u64) -> Option<FrameInfo> {
        let window = self.config.max_packets as u64;
        self.frame.clear();
        self.format.begin_frame();
        let mut is_keyframe = false;
        let mut result: Result<(), PayloadError> = Ok(());
        for ext in head..=last {
            let slot = &self.slots[(ext % window) as usize];
            is_keyframe |= slot.kind.is_keyframe;
            if result.is_ok() {
                result = self.format.push(&slot.data, &mut self.frame);
                if self.frame.len() > self.config.max_frame_size {
                    result = Err(PayloadError::FrameTooLarge);
                }
            }
        }
        if result.is_ok() {
            result = self.format.end_frame(&mut self.frame);
        }
        let first = &self.slots[(head % window) as usize];
        let last_slot = &self.slots[(last % window) as usize];
        let info = FrameInfo {
            timestamp: first.meta.timestamp,
            first_seq: first.meta.seq,
            last_seq: last_slot.meta.seq,
            is_keyframe: is_keyframe || self.format.is_audio(),
        };
        for ext in head..=last {
            self.release(ext);
        }
        self.head = Some(last + 1);
        self.committed = true;
        self.prev = Some(Prev {
            timestamp: info.timestamp,
            ended: true,
        });
        if result.is_err() {
            self.stats.frames_malformed += 1;
            self.push_gap(Gap {
                first_seq: info.first_seq,
                packets: last - head + 1,
                keyframe_needed: !self.format.is_audio(),
            });
            return None;
        }
        if self.waiting_keyframe && !info.is_keyframe {
            self.stats.frames_dropped += 1;
            return None;
        }
        self.waiting_keyframe = false;
        self.stats.frames_emitted += 1;
        Some(info)
    }

    /// Gives up the blocked frame at `head`: drops its packets up to the first missing one,
    /// then skips missing sequence numbers up to the next packet held.
    fn give_up(&mut self, head: u64) {
        let mut ext = head;
        while self.slot(ext).is_some() {
            ext += 1;
        }
        while ext <= self.highest && self.slot(ext).is_none() {
            ext += 1;
        }
        self.skip_to(ext);
    }

    /// Drops everything before `target` and records the gap.
    fn skip_to(&mut self, target: u64) {
        let Some(head) = self.head else {
            return;
        };
        if target <= head {
            return;
        }
        let mut discarded = 0;
        if self.buffered > 0 {
            let window = self.config.max_packets as u64;
            let end = target.min(head + window);
            for ext in head..end {
                if self.slot(ext).is_some() {
                    self.release(ext);
                    discarded += 1;
                }
            }
        }
        let skipped = target - head;
        self.stats.packets_discarded += discarded;
        self.stats.packets_lost += skipped - discarded;
        self.head = Some(target);
        self.prev = None;
        self.committed = true;
        let keyframe_needed = !self.format.is_audio();
        self.waiting_keyframe |= keyframe_needed;
        self.push_gap(Gap {
            first_seq: head as u16,
            packets: skipped,
            keyframe_needed,
        });
    }

    fn push_gap(&mut self, gap: Gap) {
        if self.gaps.len() < MAX_PENDING_GAPS {
            self.gaps.push_back(gap);
        } else if let Some(last) = self.gaps.back_mut() {
            last.packets += gap.packets;
            last.keyframe_needed |= gap.keyframe_needed;
        }
    }

    fn release(&mut self, ext: u64) {
        let index = self.index(ext);
        let slot = &mut self.slots[index];
        if slot.present && slot.ext == ext {
            slot.present = false;
            slot.arrival = None;
            self.buffered -= 1;
        }
    }
}

//! Stream scheduling: which stream's next message is cut into DATA chunks.
//!
//! Weighted fair queueing by message among the streams with data queued (RFC 8831
//! section 6.4; the W3C priorities very-low 128, low 256, medium 512, high 1024 are the
//! weights). Each stream's head message gets a start tag, the later of the virtual time and
//! the finish tag of the stream's previous message, and a finish tag, its start plus its
//! length scaled by the inverse of the weight; the head with the lowest start tag goes next
//! and the virtual time moves to it (start-time fair queueing). Streams of equal priority
//! so take turns in proportion to bytes, and a stream with much queued cannot starve one
//! with little. Without I-DATA (RFC 8260) a message's chunks must have consecutive TSNs,
//! so a message, once chosen, is sent to its end before another is chosen.

use std::collections::VecDeque;

use super::outbound::{OutMessage, OutStream, Outbound};
use crate::sctp::wire::StreamId;

/// The weight of a stream nobody set a priority for: the W3C "low", the default of
/// `RTCDataChannelInit.priority` (RFC 8831 section 6.4).
pub(super) const DEFAULT_PRIORITY: u16 = 256;
/// Virtual-time units per byte at the default weight.
const COST_SCALE: u64 = DEFAULT_PRIORITY as u64;

/// The scheduler's state beside the per-stream queues in [`OutStream`].
#[derive(Debug, Default)]
pub(super) struct Scheduler {
    /// Streams with at least one queued message, in no particular order.
    active: Vec<StreamId>,
    /// The stream whose head message is being sent.
    current: Option<StreamId>,
    /// The virtual time: the start tag of the message last chosen.
    vtime: u64,
}

impl Scheduler {
    pub(super) fn with_capacity(streams: usize) -> Self {
        Self {
            active: Vec::with_capacity(streams),
            current: None,
            vtime: 0,
        }
    }

    /// Whether any message is queued.
    pub(super) fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.active.clear();
        self.current = None;
    }
}

/// The message queue of one stream with its scheduling tags.
#[derive(Debug)]
pub(super) struct StreamQueue {
    pub(super) messages: VecDeque<OutMessage>,
    /// The weight: the channel's priority.
    pub(super) priority: u16,
    /// The head message's start tag.
    start: u64,
    /// The finish tag of the last message tagged.
    finish: u64,
}

impl Default for StreamQueue {
    fn default() -> Self {
        Self {
            messages: VecDeque::new(),
            priority: DEFAULT_PRIORITY,
            start: 0,
            finish: 0,
        }
    }
}

impl StreamQueue {
    /// Tags the head message at virtual time `vtime`.
    fn tag_head(&mut self, vtime: u64) {
        let Some(head) = self.messages.front() else {
            return;
        };
        let weight = u64::from(self.priority.max(1));
        let cost = (head.data.len() as u64).saturating_mul(COST_SCALE) / weight;
        self.start = vtime.max(self.finish);
        self.finish = self.start.saturating_add(cost.max(1));
    }
}

impl Outbound {
    /// Queues a message at the tail of its stream.
    pub(super) fn push_message(&mut self, m: OutMessage) {
        let stream = m.stream;
        let vtime = self.sched.vtime;
        let q = &mut self.stream_mut(stream).queue;
        q.messages.push_back(m);
        if q.messages.len() == 1 {
            q.tag_head(vtime);
            self.sched.active.push(stream);
        }
    }

    /// The stream whose head message goes next: the one being sent, else the lowest start
    /// tag (ties to the stream that became active first).
    pub(super) fn next_stream(&mut self) -> Option<StreamId> {
        if let Some(current) = self.sched.current {
            return Some(current);
        }
        let mut best: Option<(u64, StreamId)> = None;
        for &id in &self.sched.active {
            let Some(s) = self.streams.get(&id) else {
                continue;
            };
            if best.is_none_or(|(start, _)| s.queue.start < start) {
                best = Some((s.queue.start, id));
            }
        }
        let (start, id) = best?;
        self.sched.vtime = self.sched.vtime.max(start);
        self.sched.current = Some(id);
        Some(id)
    }

    /// The head message of `stream`.
    pub(super) fn head(&self, stream: StreamId) -> Option<&OutMessage> {
        self.streams.get(&stream)?.queue.messages.front()
    }

    /// The head message of `stream`, to update.
    pub(super) fn head_mut(&mut self, stream: StreamId) -> Option<&mut OutMessage> {
        self.streams.get_mut(&stream)?.queue.messages.front_mut()
    }

    /// Removes the head message of `stream` (sent in full, expired or abandoned).
    pub(super) fn pop_head(&mut self, stream: StreamId) -> Option<OutMessage> {
        if self.sched.current == Some(stream) {
            self.sched.current = None;
        }
        let vtime = self.sched.vtime;
        let q = &mut self.streams.get_mut(&stream)?.queue;
        let m = q.messages.pop_front();
        if q.messages.is_empty() {
            self.sched.active.retain(|&s| s != stream);
        } else {
            q.tag_head(vtime);
        }
        m
    }

    /// Drops every queued message.
    pub(super) fn clear_queues(&mut self) {
        for s in self.streams.values_mut() {
            s.queue.messages.clear();
        }
        self.sched.clear();
    }
}

impl OutStream {
    /// Whether the stream has messages not yet fully cut into chunks.
    pub(super) fn has_queued(&self) -> bool {
        !self.queue.messages.is_empty()
    }
}

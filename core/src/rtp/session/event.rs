//! What the session tells its owner: events, and what became of an incoming RTP packet.

use std::collections::VecDeque;

use crate::rtp::{SeqNo, Ssrc};

/// Something the application should act on, from [`poll_event`](super::RtpSession::poll_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpEvent {
    /// The remote side asked for a keyframe on our send stream `ssrc`: tell its encoder. A
    /// request is not repeated while the previous one for the same stream is undelivered.
    KeyframeRequest {
        /// Our send stream.
        ssrc: Ssrc,
        /// How it was asked.
        kind: KeyframeRequestKind,
    },
    /// The remote source `ssrc`, one of our receive streams, sent an RTCP BYE (RFC 3550
    /// section 6.6).
    RemoteBye {
        /// The receive stream that left.
        ssrc: Ssrc,
    },
}

/// The two ways to ask a sender for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyframeRequestKind {
    /// Picture loss indication (RFC 4585 section 6.3.1).
    Pli,
    /// Full intra request (RFC 5104 section 4.3.1).
    Fir,
}

/// What became of an RTP packet given to [`handle_rtp`](super::RtpSession::handle_rtp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Received {
    /// A packet of receive stream `ssrc`: the first `len` bytes of the buffer are the media
    /// packet to depacketize. When `repaired`, it arrived as RTX and was unwrapped in place
    /// into the original (RFC 4588 section 4).
    Media {
        /// The media stream.
        ssrc: Ssrc,
        /// The original sequence number.
        seq: SeqNo,
        /// The media packet's length, at the start of the buffer.
        len: usize,
        /// Whether it was recovered from an RTX packet.
        repaired: bool,
    },
    /// A packet of stream `ssrc` that already arrived (a network duplicate or a redundant
    /// retransmission): drop it.
    Duplicate {
        /// The media stream.
        ssrc: Ssrc,
        /// Its sequence number.
        seq: SeqNo,
    },
    /// An RTX packet on the RTX stream `ssrc` without payload (padding sent to probe
    /// bandwidth): nothing to depacketize.
    Padding(Ssrc),
    /// No receive stream or RTX stream has this SSRC: the caller may add one (by MID or RID
    /// in the packet's header extensions) and hand the packet in again.
    UnknownSsrc(Ssrc),
    /// Not a well-formed RTP packet, or an RTX packet with an unknown payload type or no
    /// original sequence number: dropped and counted.
    Malformed,
}

/// A bounded queue of events: allocated once, never grows.
#[derive(Debug, Clone)]
pub(crate) struct EventQueue {
    events: VecDeque<RtpEvent>,
    max: usize,
    dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            events: VecDeque::with_capacity(max),
            max,
            dropped: 0,
        }
    }

    /// Queues `event` unless the same one is already waiting, or the queue is full.
    pub(crate) fn push(&mut self, event: RtpEvent) {
        if self.events.contains(&event) {
            return;
        }
        if self.events.len() == self.max {
            self.dropped += 1;
            return;
        }
        self.events.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<RtpEvent> {
        self.events.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    pub(crate) const fn dropped(&self) -> u64 {
        self.dropped
    }
}

//! Reassembly of incoming handshake messages from fragments in any order (RFC 6347
//! section 4.2.3), bounded by configuration.

use smallvec::SmallVec;

use super::wire::{HandshakeFragment, HandshakeHeader, HandshakeType};

/// How far ahead of the next expected message fragments are kept: a whole peer flight
/// (at most 5 messages in DTLS 1.2) fits.
const MAX_AHEAD: u16 = 8;

/// Inline capacity of the received-ranges list: typical messages arrive in 1-3 fragments.
const RANGES_INLINE: usize = 4;

/// Cap on distinct received ranges per message, against a peer sending many tiny
/// overlapping fragments.
const MAX_RANGES: usize = 64;

/// A complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeMessage {
    pub(crate) msg_type: HandshakeType,
    pub(crate) seq: u16,
    /// The epoch of the record that carried its first byte.
    pub(crate) epoch: u16,
    /// Header (as if unfragmented) followed by the body: the bytes the transcript hashes.
    pub(crate) full: Vec<u8>,
}

impl HandshakeMessage {
    pub(crate) fn body(&self) -> &[u8] {
        self.full.get(HandshakeHeader::LEN..).unwrap_or(&[])
    }
}

#[derive(Debug)]
struct Partial {
    seq: u16,
    msg_type: HandshakeType,
    epoch: u16,
    length: u32,
    full: Vec<u8>,
    /// Sorted, disjoint, non-adjacent received byte ranges of the body.
    ranges: SmallVec<[(u32, u32); RANGES_INLINE]>,
}

impl Partial {
    fn is_complete(&self) -> bool {
        self.length == 0 || self.ranges.as_slice() == [(0, self.length)]
    }

    fn add_range(&mut self, start: u32, end: u32) -> bool {
        if start == end {
            return true;
        }
        let mut merged = (start, end);
        let mut out: SmallVec<[(u32, u32); RANGES_INLINE]> = SmallVec::new();
        for &(s, e) in &self.ranges {
            if e < merged.0 || s > merged.1 {
                out.push((s, e));
            } else {
                merged = (merged.0.min(s), merged.1.max(e));
            }
        }
        out.push(merged);
        out.sort_unstable();
        if out.len() > MAX_RANGES {
            return false;
        }
        self.ranges = out;
        true
    }
}

/// Where an incoming fragment went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placed {
    /// Kept (new bytes or a duplicate of bytes already held).
    Kept,
    /// Belongs to a message already processed: the peer is retransmitting.
    Old,
    /// Dropped: too far ahead, too large, over the memory bound, or inconsistent.
    Dropped,
}

/// Incoming handshake reassembly.
#[derive(Debug)]
pub(crate) struct Reassembler {
    next_seq: u16,
    pending: Vec<Partial>,
    max_message: usize,
    max_total: usize,
}

impl Reassembler {
    pub(crate) fn new(next_seq: u16, max_message: usize, max_total: usize) -> Self {
        Self {
            next_seq,
            pending: Vec::new(),
            max_message,
            max_total,
        }
    }

    /// The sequence number of the next message to deliver.
    pub(crate) fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Bytes held.
    pub(crate) fn buffered(&self) -> usize {
        self.pending.iter().map(|p| p.full.capacity()).sum()
    }

    /// Drops everything held.
    pub(crate) fn clear(&mut self) {
        self.pending = Vec::new();
    }

    /// Takes in one fragment from a record of `epoch`.
    pub(crate) fn insert(&mut self, frag: &HandshakeFragment<'_>, epoch: u16) -> Placed {
        let h = frag.header;
        if h.message_seq < self.next_seq {
            return Placed::Old;
        }
        if h.message_seq - self.next_seq >= MAX_AHEAD || h.length as usize > self.max_message {
            return Placed::Dropped;
        }
        let idx = match self.pending.iter().position(|p| p.seq == h.message_seq) {
            Some(i) => {
                let p = &self.pending[i];
                if p.msg_type != h.msg_type || p.length != h.length {
                    return Placed::Dropped;
                }
                i
            }
            None => {
                let len = h.length as usize;
                if self.buffered() + HandshakeHeader::LEN + len > self.max_total {
                    return Placed::Dropped;
                }
                let mut full = Vec::with_capacity(HandshakeHeader::LEN + len);
                HandshakeHeader {
                    msg_type: h.msg_type,
                    length: h.length,
                    message_seq: h.message_seq,
                    fragment_offset: 0,
                    fragment_length: h.length,
                }
                .emit(&mut full);
                full.resize(HandshakeHeader::LEN + len, 0);
                self.pending.push(Partial {
                    seq: h.message_seq,
                    msg_type: h.msg_type,
                    epoch,
                    length: h.length,
                    full,
                    ranges: SmallVec::new(),
                });
                self.pending.len() - 1
            }
        };
        let p = &mut self.pending[idx];
        let start = HandshakeHeader::LEN + h.fragment_offset as usize;
        // HandshakeHeader::parse checked offset + length <= message length.
        let Some(dst) = p.full.get_mut(start..start + frag.body.len()) else {
            return Placed::Dropped;
        };
        dst.copy_from_slice(frag.body);
        if h.fragment_offset == 0 {
            p.epoch = epoch;
        }
        if !p.add_range(h.fragment_offset, h.fragment_offset + h.fragment_length) {
            return Placed::Dropped;
        }
        Placed::Kept
    }

    /// The next message, if it is complete.
    pub(crate) fn pop(&mut self) -> Option<HandshakeMessage> {
        let i = self
            .pending
            .iter()
            .position(|p| p.seq == self.next_seq && p.is_complete())?;
        let p = self.pending.swap_remove(i);
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(HandshakeMessage {
            msg_type: p.msg_type,
            seq: p.seq,
            epoch: p.epoch,
            full: p.full,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn frag(seq: u16, total: u32, off: u32, body: &[u8]) -> HandshakeFragment<'_> {
        HandshakeFragment {
            header: HandshakeHeader {
                msg_type: HandshakeType::CERTIFICATE,
                length: total,
                message_seq: seq,
                fragment_offset: off,
                fragment_length: body.len() as u32,
            },
            body,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Any split into fragments, in any order, with duplicates, reassembles.
        #[test]
        fn reassembles_in_any_order(
            msg in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            order in any::<prop::sample::Index>(),
        ) {
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(msg.len())).collect();
            points.push(0);
            points.push(msg.len());
            points.sort_unstable();
            points.dedup();
            let mut pieces: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let k = order.index(pieces.len());
            pieces.rotate_left(k);
            pieces.push(pieces[0]);
            let mut r = Reassembler::new(0, 1 << 16, 1 << 16);
            for &(s, e) in &pieces {
                let f = frag(0, msg.len() as u32, s as u32, &msg[s..e]);
                prop_assert_eq!(r.insert(&f, 0), Placed::Kept);
            }
            let m = r.pop().unwrap();
            prop_assert_eq!(m.body(), &msg[..]);
            prop_assert_eq!(r.next_seq(), 1);
            prop_assert_eq!(r.insert(&frag(0, 1, 0, &[1]), 0), Placed::Old);
        }
    }

    #[test]
    fn bounded() {
        let mut r = Reassembler::new(0, 100, 150);
        assert_eq!(r.insert(&frag(0, 101, 0, &[0]), 0), Placed::Dropped);
        assert_eq!(r.insert(&frag(MAX_AHEAD, 10, 0, &[0]), 0), Placed::Dropped);
        assert_eq!(r.insert(&frag(0, 100, 0, &[0]), 0), Placed::Kept);
        assert_eq!(r.insert(&frag(1, 100, 0, &[0]), 0), Placed::Dropped);
        assert!(r.buffered() <= 150);
    }
}

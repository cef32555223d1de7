//! Sender-side packet history answering NACKs, by plain retransmission or by RTX (RFC 4588
//! section 4).

use super::wire::Packet;
use super::{Pt, SeqNo, Ssrc};

/// The most recent packets sent on one stream, in a fixed ring allocated at construction.
///
/// [`store`](Self::store) each packet as sent (before SRTP); [`packet`](Self::packet)
/// returns it for a plain retransmission and [`write_rtx`](Self::write_rtx) wraps it for
/// an RTX stream. A packet is found while fewer than `capacity` newer ones were stored.
#[derive(Debug, Clone)]
pub struct PacketHistory {
    slots: Vec<Slot>,
    bytes: Vec<u8>,
    max_packet_len: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    seq: Option<SeqNo>,
    len: usize,
}

impl PacketHistory {
    /// A history of `capacity` packets of up to `max_packet_len` bytes.
    pub fn new(capacity: usize, max_packet_len: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            slots: vec![Slot::default(); capacity],
            bytes: vec![0; capacity * max_packet_len],
            max_packet_len,
        }
    }

    fn slot(&self, seq: SeqNo) -> usize {
        usize::from(seq.0) % self.slots.len()
    }

    /// Keeps a copy of the RTP packet `packet`; `false` if it is not RTP or too long.
    pub fn store(&mut self, packet: &[u8]) -> bool {
        let Ok(view) = Packet::new_checked(packet) else {
            return false;
        };
        if packet.len() > self.max_packet_len {
            return false;
        }
        let seq = view.sequence_number();
        let i = self.slot(seq);
        let start = i * self.max_packet_len;
        self.bytes[start..start + packet.len()].copy_from_slice(packet);
        self.slots[i] = Slot {
            seq: Some(seq),
            len: packet.len(),
        };
        true
    }

    /// The stored packet with sequence number `seq`, for a plain retransmission.
    pub fn packet(&self, seq: SeqNo) -> Option<&[u8]> {
        let i = self.slot(seq);
        let slot = self.slots[i];
        if slot.seq != Some(seq) {
            return None;
        }
        let start = i * self.max_packet_len;
        self.bytes.get(start..start + slot.len)
    }

    /// Writes the RTX packet for `seq` into `buf` and returns its length (RFC 4588 section
    /// 4): the original header with the RTX stream's SSRC, payload type and sequence number
    /// `rtx_seq`, then the original sequence number, then the original payload, without
    /// padding. `None` if `seq` is no longer stored or `buf` is too small.
    pub fn write_rtx(
        &self,
        seq: SeqNo,
        rtx_ssrc: Ssrc,
        rtx_pt: Pt,
        rtx_seq: SeqNo,
        buf: &mut [u8],
    ) -> Option<usize> {
        let stored = self.packet(seq)?;
        let original = Packet::new_checked(stored).ok()?;
        let header_len = original.header_len();
        let payload = original.payload();
        let len = header_len + 2 + payload.len();
        let out = buf.get_mut(..len)?;
        out[..header_len].copy_from_slice(&stored[..header_len]);
        out[0] &= !0x20;
        out[header_len..header_len + 2].copy_from_slice(&seq.0.to_be_bytes());
        out[header_len + 2..].copy_from_slice(payload);
        let mut rtx = Packet::new_checked(out).ok()?;
        rtx.set_ssrc(rtx_ssrc);
        rtx.set_payload_type(rtx_pt);
        rtx.set_sequence_number(rtx_seq);
        Some(len)
    }
}

/// The original sequence number and payload of an RTX packet's payload (RFC 4588 section
/// 4), if it is long enough.
pub fn parse_rtx_payload(payload: &[u8]) -> Option<(SeqNo, &[u8])> {
    let (osn, rest) = payload.split_first_chunk::<2>()?;
    Some((SeqNo(u16::from_be_bytes(*osn)), rest))
}

/// Unwraps the RTX packet in `packet` in place into the original it carries (RFC 4588
/// section 4): the payload moves over the original sequence number, padding is dropped, and
/// the header takes the media stream's `ssrc`, payload type `pt` and the original sequence
/// number. Returns that sequence number and the original's length at the start of `packet`;
/// `None` if `packet` is not RTP or its payload has no original sequence number.
pub fn unwrap_rtx(packet: &mut [u8], ssrc: Ssrc, pt: Pt) -> Option<(SeqNo, usize)> {
    let (header_len, payload_len, osn) = {
        let view = Packet::new_checked(&*packet).ok()?;
        let (osn, _) = parse_rtx_payload(view.payload())?;
        (view.header_len(), view.payload().len(), osn)
    };
    let len = header_len + payload_len - 2;
    packet.copy_within(header_len + 2..header_len + payload_len, header_len);
    // The padding is gone: clear the P bit before viewing the shortened packet.
    packet[0] &= !0x20;
    let mut original = Packet::new_checked(packet.get_mut(..len)?).ok()?;
    original.set_ssrc(ssrc);
    original.set_payload_type(pt);
    original.set_sequence_number(osn);
    Some((osn, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpTimestamp;
    use crate::rtp::wire::{Extension, PacketBuilder};

    fn packet(seq: u16, buf: &mut [u8]) -> usize {
        let ext = [Extension {
            id: 1,
            value: &[9, 9],
        }];
        PacketBuilder {
            payload_type: Pt(96),
            sequence_number: SeqNo(seq),
            timestamp: RtpTimestamp(u32::from(seq) * 3000),
            ssrc: Ssrc(0x1111),
            extensions: &ext,
            padding: 3,
            ..Default::default()
        }
        .emit(buf, &[seq as u8; 50])
        .unwrap()
    }

    #[test]
    fn nack_history_answers_with_rtx() {
        let mut h = PacketHistory::new(16, 1200);
        let mut buf = [0u8; 1500];
        for seq in 65530..=65535u16 {
            let len = packet(seq, &mut buf);
            assert!(h.store(&buf[..len]));
        }
        let len = packet(65532, &mut buf);
        assert_eq!(h.packet(SeqNo(65532)), Some(&buf[..len]));
        assert_eq!(h.packet(SeqNo(1)), None);

        let mut out = [0u8; 1500];
        let n = h
            .write_rtx(SeqNo(65532), Ssrc(0x2222), Pt(97), SeqNo(7), &mut out)
            .unwrap();
        let rtx = Packet::new_checked(&out[..n]).unwrap();
        assert_eq!(
            (rtx.ssrc(), rtx.payload_type(), rtx.sequence_number()),
            (Ssrc(0x2222), Pt(97), SeqNo(7))
        );
        assert_eq!(rtx.timestamp(), RtpTimestamp(65532 * 3000));
        assert_eq!(rtx.extension(1), Some(&[9, 9][..]));
        assert!(!rtx.has_padding());
        let (osn, payload) = parse_rtx_payload(rtx.payload()).unwrap();
        assert_eq!(osn, SeqNo(65532));
        assert_eq!(payload, [65532u16 as u8; 50]);

        let (osn, len) = unwrap_rtx(&mut out[..n], Ssrc(0x1111), Pt(96)).unwrap();
        assert_eq!(osn, SeqNo(65532));
        let original = Packet::new_checked(&out[..len]).unwrap();
        assert_eq!(
            (
                original.ssrc(),
                original.payload_type(),
                original.sequence_number()
            ),
            (Ssrc(0x1111), Pt(96), SeqNo(65532))
        );
        assert_eq!(original.extension(1), Some(&[9, 9][..]));
        assert_eq!(original.payload(), [65532u16 as u8; 50]);
        assert_eq!(unwrap_rtx(&mut [0x80, 96, 0, 1], Ssrc(1), Pt(96)), None);
    }

    #[test]
    fn nack_history_forgets_overwritten() {
        let mut h = PacketHistory::new(4, 1200);
        let mut buf = [0u8; 1500];
        for seq in 0..8u16 {
            let len = packet(seq, &mut buf);
            h.store(&buf[..len]);
        }
        assert!(h.packet(SeqNo(3)).is_none());
        assert!(h.packet(SeqNo(4)).is_some());
        assert!(!h.store(&[0u8; 5]));
    }
}

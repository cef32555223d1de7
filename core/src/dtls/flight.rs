//! Outgoing flights (RFC 6347 section 4.2.4): the messages of one flight, kept whole for
//! retransmission and cut into fragments that fit the MTU each time they are sent.

use super::layer::RecordLayer;
use super::wire::{ContentType, HandshakeHeader};

/// One item of a flight.
#[derive(Debug, Clone)]
pub(crate) enum FlightItem {
    /// A handshake message (header as if unfragmented, then body), sent in `epoch`.
    Handshake { epoch: u16, full: Vec<u8> },
    /// ChangeCipherSpec; records after it in the flight use epoch 1.
    ChangeCipherSpec,
}

/// Smallest fragment worth starting in a partly filled datagram; below this the rest of
/// the message goes in the next datagram.
const MIN_FRAGMENT: usize = 32;

/// The flight currently owned by this side, and the send cursor through it.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    items: Vec<FlightItem>,
    /// (item index, body offset) of the next bytes to send; `None` when all are sent.
    cursor: Option<(usize, usize)>,
}

impl Flight {
    /// Replaces the flight and starts sending it.
    pub(crate) fn replace(&mut self, items: Vec<FlightItem>) {
        self.items = items;
        self.restart();
    }

    /// Starts sending the whole flight again (retransmission).
    pub(crate) fn restart(&mut self) {
        self.cursor = (!self.items.is_empty()).then_some((0, 0));
    }

    /// Forgets the flight.
    pub(crate) fn clear(&mut self) {
        self.items = Vec::new();
        self.cursor = None;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether bytes remain to be sent in this round.
    pub(crate) fn is_sending(&self) -> bool {
        self.cursor.is_some()
    }

    /// Bytes held.
    pub(crate) fn buffered(&self) -> usize {
        self.items
            .iter()
            .map(|i| match i {
                FlightItem::Handshake { full, .. } => full.capacity(),
                FlightItem::ChangeCipherSpec => 1,
            })
            .sum()
    }

    /// Writes the next datagram of the flight into `buf` (at most `mtu` bytes); returns its
    /// length, or `None` when the flight has been sent.
    pub(crate) fn write_datagram(
        &mut self,
        layer: &mut RecordLayer,
        mtu: usize,
        buf: &mut [u8],
    ) -> Option<usize> {
        let (mut item, mut offset) = self.cursor?;
        let limit = mtu.min(buf.len());
        let mut used = 0;
        while let Some(it) = self.items.get(item) {
            let room = limit - used;
            match it {
                FlightItem::ChangeCipherSpec => {
                    let epoch = 0;
                    if room < layer.overhead(epoch) + 1 {
                        break;
                    }
                    let Ok(n) = layer.write_record(
                        &mut buf[used..limit],
                        epoch,
                        ContentType::ChangeCipherSpec,
                        |b| match b.first_mut() {
                            Some(x) => {
                                *x = 1;
                                1
                            }
                            None => 0,
                        },
                    ) else {
                        break;
                    };
                    used += n;
                    item += 1;
                    offset = 0;
                }
                FlightItem::Handshake { epoch, full } => {
                    let epoch = *epoch;
                    let Ok(header) = HandshakeHeader::parse(full) else {
                        item += 1;
                        continue;
                    };
                    let body = full.get(HandshakeHeader::LEN..).unwrap_or(&[]);
                    let remaining = body.len().saturating_sub(offset);
                    let overhead = layer.overhead(epoch) + HandshakeHeader::LEN;
                    let Some(space) = room.checked_sub(overhead) else {
                        break;
                    };
                    let take = remaining.min(space);
                    if take < remaining && take < MIN_FRAGMENT && used > 0 {
                        break;
                    }
                    if take == 0 && remaining > 0 {
                        // The MTU cannot carry even one byte: give up on this round.
                        break;
                    }
                    let frag_header = HandshakeHeader {
                        fragment_offset: offset as u32,
                        fragment_length: take as u32,
                        ..header
                    };
                    let chunk = &body[offset..offset + take];
                    let Ok(n) = layer.write_record(
                        &mut buf[used..limit],
                        epoch,
                        ContentType::Handshake,
                        |b| {
                            if frag_header.emit_into(b).is_err() {
                                return 0;
                            }
                            b[HandshakeHeader::LEN..HandshakeHeader::LEN + take]
                                .copy_from_slice(chunk);
                            HandshakeHeader::LEN + take
                        },
                    ) else {
                        break;
                    };
                    used += n;
                    offset += take;
                    if offset >= body.len() {
                        item += 1;
                        offset = 0;
                    }
                }
            }
        }
        self.cursor = (item < self.items.len()).then_some((item, offset));
        if used == 0 {
            // Nothing fitted (MTU too small): stop rather than loop.
            self.cursor = None;
            return None;
        }
        Some(used)
    }
}

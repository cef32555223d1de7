//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
//! extensions-01 section 3.1): packet status chunks (run-length and status vectors) and
//! receive deltas.

use super::WireError;
use super::rtcp::{RTCP_HEADER_LEN, RtcpPacket, RtcpType, check_len, emit_header, u32_at};
use crate::rtp::{SeqNo, Ssrc};

/// Sender SSRC, media SSRC, base sequence number, status count, reference time, feedback
/// packet count.
const FIXED_LEN: usize = 16;
/// The longest run a run-length chunk can hold: 13 bits.
const MAX_RUN: usize = 0x1FFF;
/// The receive delta unit (section 3.1.5): 250 microseconds.
pub const DELTA_UNIT_MICROS: i64 = 250;

/// One packet's status in a feedback message, with its receive delta as written on the
/// wire (in [`DELTA_UNIT_MICROS`] units, relative to the previous received packet or to the
/// reference time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwccStatus {
    /// Not received (symbol 00).
    NotReceived,
    /// Received with a small delta, 0 to 255 units (symbol 01).
    ReceivedSmall(u8),
    /// Received with a large or negative delta (symbol 10).
    ReceivedLarge(i16),
}

impl TwccStatus {
    /// The status of a packet received `delta_micros` after the previous one, rounded to
    /// the delta unit; `None` if that does not fit 16 signed bits of units.
    pub fn received(delta_micros: i64) -> Option<Self> {
        let units = (delta_micros + DELTA_UNIT_MICROS / 2).div_euclid(DELTA_UNIT_MICROS);
        if let Ok(small) = u8::try_from(units) {
            Some(Self::ReceivedSmall(small))
        } else {
            i16::try_from(units).ok().map(Self::ReceivedLarge)
        }
    }

    /// The receive delta in microseconds, if the packet was received.
    pub fn delta_micros(self) -> Option<i64> {
        match self {
            Self::NotReceived => None,
            Self::ReceivedSmall(d) => Some(i64::from(d) * DELTA_UNIT_MICROS),
            Self::ReceivedLarge(d) => Some(i64::from(d) * DELTA_UNIT_MICROS),
        }
    }

    const fn symbol(self) -> u16 {
        match self {
            Self::NotReceived => 0,
            Self::ReceivedSmall(_) => 1,
            Self::ReceivedLarge(_) => 2,
        }
    }

    const fn delta_len(self) -> usize {
        match self {
            Self::NotReceived => 0,
            Self::ReceivedSmall(_) => 1,
            Self::ReceivedLarge(_) => 2,
        }
    }
}

/// Decodes packet status chunks one symbol at a time.
#[derive(Debug, Clone)]
struct ChunkReader<'a> {
    chunks: &'a [u8],
    chunk: u16,
    index: usize,
    len: usize,
}

impl<'a> ChunkReader<'a> {
    const fn new(chunks: &'a [u8]) -> Self {
        Self {
            chunks,
            chunk: 0,
            index: 0,
            len: 0,
        }
    }

    /// The bytes of chunks consumed so far.
    fn consumed(&self, start: &[u8]) -> usize {
        start.len() - self.chunks.len()
    }

    /// The next status symbol, or `None` when the chunks run out.
    fn next_symbol(&mut self) -> Option<u16> {
        while self.index == self.len {
            let (c, rest) = self.chunks.split_first_chunk::<2>()?;
            self.chunks = rest;
            self.chunk = u16::from_be_bytes(*c);
            self.index = 0;
            self.len = if self.chunk & 0x8000 == 0 {
                usize::from(self.chunk & 0x1FFF)
            } else if self.chunk & 0x4000 == 0 {
                14
            } else {
                7
            };
        }
        let c = self.chunk;
        let i = self.index;
        self.index += 1;
        Some(if c & 0x8000 == 0 {
            c >> 13 & 0x3
        } else if c & 0x4000 == 0 {
            c >> (13 - i) & 0x1
        } else {
            c >> (12 - 2 * i) & 0x3
        })
    }
}

/// A transport-wide congestion control feedback view.
///
/// Parsing walks every chunk and delta once, so [`Twcc::statuses`] cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twcc<'a> {
    body: &'a [u8],
    /// Where the receive deltas start in `body`.
    deltas_at: usize,
}

impl<'a> Twcc<'a> {
    /// The feedback message type of TWCC in an RTPFB packet.
    pub const FMT: u8 = 15;

    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let body = packet.body();
        if body.len() < FIXED_LEN {
            return Err(WireError::BadLength);
        }
        let count = usize::from(u16::from_be_bytes([body[10], body[11]]));
        let chunks = &body[FIXED_LEN..];
        let mut reader = ChunkReader::new(chunks);
        let mut delta_len = 0;
        for _ in 0..count {
            match reader.next_symbol().ok_or(WireError::BadChunk)? {
                0 => {}
                1 => delta_len += 1,
                2 => delta_len += 2,
                _ => return Err(WireError::BadChunk),
            }
        }
        let deltas_at = FIXED_LEN + reader.consumed(chunks);
        if deltas_at + delta_len > body.len() {
            return Err(WireError::Truncated);
        }
        Ok(Self { body, deltas_at })
    }

    /// The SSRC of the packet's sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The media source SSRC field (unused by TWCC; usually 0 or the first media SSRC).
    pub fn media_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 4))
    }

    /// The transport-wide sequence number of the first status.
    pub fn base_sequence_number(&self) -> SeqNo {
        SeqNo(u16::from_be_bytes([self.body[8], self.body[9]]))
    }

    /// The number of statuses.
    pub fn status_count(&self) -> u16 {
        u16::from_be_bytes([self.body[10], self.body[11]])
    }

    /// The reference time, 24 bits in multiples of 64 ms.
    pub fn reference_time(&self) -> u32 {
        u32_at(self.body, 12) >> 8
    }

    /// The feedback packet count, to detect lost feedback.
    pub fn feedback_count(&self) -> u8 {
        self.body[15]
    }

    /// Each packet's transport-wide sequence number and status, from the base on.
    pub fn statuses(&self) -> impl Iterator<Item = (SeqNo, TwccStatus)> + 'a {
        let mut reader = ChunkReader::new(&self.body[FIXED_LEN..self.deltas_at]);
        let mut deltas = &self.body[self.deltas_at..];
        let mut seq = self.base_sequence_number();
        let mut left = self.status_count();
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let status = match reader.next_symbol()? {
                1 => {
                    let (&d, rest) = deltas.split_first()?;
                    deltas = rest;
                    TwccStatus::ReceivedSmall(d)
                }
                2 => {
                    let (d, rest) = deltas.split_first_chunk::<2>()?;
                    deltas = rest;
                    TwccStatus::ReceivedLarge(i16::from_be_bytes(*d))
                }
                _ => TwccStatus::NotReceived,
            };
            let this = seq;
            seq = seq.next();
            Some((this, status))
        })
    }
}

/// Writes a transport-wide congestion control feedback packet.
#[derive(Debug, Clone, Copy, Default)]
pub struct TwccBuilder<'a> {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: Ssrc,
    /// The media source SSRC field.
    pub media_ssrc: Ssrc,
    /// The transport-wide sequence number of `statuses[0]`.
    pub base_sequence_number: SeqNo,
    /// The reference time, 24 bits in multiples of 64 ms.
    pub reference_time: u32,
    /// The feedback packet count.
    pub feedback_count: u8,
    /// One status per sequence number from the base on, at most 65535.
    pub statuses: &'a [TwccStatus],
}

/// One packet status chunk and the number of statuses it covers.
fn next_chunk(statuses: &[TwccStatus]) -> (u16, usize) {
    let Some(first) = statuses.first() else {
        return (0, 0);
    };
    let symbol = first.symbol();
    let run = statuses
        .iter()
        .take(MAX_RUN)
        .take_while(|s| s.symbol() == symbol)
        .count();
    if run >= 14 || run == statuses.len() {
        return (symbol << 13 | run as u16, run);
    }
    let take = statuses.len().min(14);
    if statuses[..take].iter().all(|s| s.symbol() <= 1) {
        let mut chunk = 0x8000u16;
        for (i, s) in statuses[..take].iter().enumerate() {
            chunk |= s.symbol() << (13 - i);
        }
        return (chunk, take);
    }
    let take = statuses.len().min(7);
    let mut chunk = 0xC000u16;
    for (i, s) in statuses[..take].iter().enumerate() {
        chunk |= s.symbol() << (12 - 2 * i);
    }
    (chunk, take)
}

impl TwccBuilder<'_> {
    fn chunks(&self) -> impl Iterator<Item = u16> + '_ {
        let mut rest = self.statuses;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let (chunk, used) = next_chunk(rest);
            rest = &rest[used..];
            Some(chunk)
        })
    }

    fn unpadded_len(&self) -> usize {
        let deltas: usize = self.statuses.iter().map(|s| s.delta_len()).sum();
        RTCP_HEADER_LEN + FIXED_LEN + 2 * self.chunks().count() + deltas
    }

    /// The packet's length, padded to 32 bits.
    pub fn buffer_len(&self) -> usize {
        self.unpadded_len().next_multiple_of(4)
    }

    /// Writes the packet into `buf` and returns its length. Padding, if needed, is
    /// signalled with the P bit (RFC 3550 section 6.4.1).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        let count = u16::try_from(self.statuses.len()).map_err(|_| WireError::ValueTooLarge)?;
        if self.reference_time > 0x00FF_FFFF {
            return Err(WireError::ValueTooLarge);
        }
        check_len(buf, len)?;
        emit_header(buf, Twcc::FMT, RtcpType::RTPFB, len);
        buf[4..8].copy_from_slice(&self.sender_ssrc.0.to_be_bytes());
        buf[8..12].copy_from_slice(&self.media_ssrc.0.to_be_bytes());
        buf[12..14].copy_from_slice(&self.base_sequence_number.0.to_be_bytes());
        buf[14..16].copy_from_slice(&count.to_be_bytes());
        let reference = self.reference_time << 8 | u32::from(self.feedback_count);
        buf[16..20].copy_from_slice(&reference.to_be_bytes());
        let mut at = RTCP_HEADER_LEN + FIXED_LEN;
        for chunk in self.chunks() {
            buf[at..at + 2].copy_from_slice(&chunk.to_be_bytes());
            at += 2;
        }
        for status in self.statuses {
            match *status {
                TwccStatus::NotReceived => {}
                TwccStatus::ReceivedSmall(d) => {
                    buf[at] = d;
                    at += 1;
                }
                TwccStatus::ReceivedLarge(d) => {
                    buf[at..at + 2].copy_from_slice(&d.to_be_bytes());
                    at += 2;
                }
            }
        }
        let padding = len - at;
        if padding > 0 {
            buf[0] |= 0x20;
            buf[at..len].fill(0);
            buf[len - 1] = padding as u8;
        }
        Ok(len)
    }
}

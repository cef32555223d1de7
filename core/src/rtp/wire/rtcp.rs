//! The RTCP common header and compound packets (RFC 3550 section 6.4; reduced-size RTCP,
//! RFC 5506): a lazy iterator of borrowed views, and the dispatch to typed views.

use super::WireError;
use super::feedback::{Fir, Nack, Pli, Remb};
use super::report::{Bye, ReceiverReport, Sdes, SenderReport};
use super::twcc::Twcc;

/// The RTCP common header's length.
pub(super) const RTCP_HEADER_LEN: usize = 4;

/// An RTCP packet type (RFC 3550 section 12.1, RFC 4585 section 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtcpType(pub u8);

impl RtcpType {
    /// Sender report (RFC 3550 section 6.4.1).
    pub const SR: Self = Self(200);
    /// Receiver report (RFC 3550 section 6.4.2).
    pub const RR: Self = Self(201);
    /// Source description (RFC 3550 section 6.5).
    pub const SDES: Self = Self(202);
    /// Goodbye (RFC 3550 section 6.6).
    pub const BYE: Self = Self(203);
    /// Application-defined (RFC 3550 section 6.7).
    pub const APP: Self = Self(204);
    /// Transport-layer feedback (RFC 4585 section 6.2).
    pub const RTPFB: Self = Self(205);
    /// Payload-specific feedback (RFC 4585 section 6.3).
    pub const PSFB: Self = Self(206);
    /// Extended reports (RFC 3611).
    pub const XR: Self = Self(207);
}

/// One RTCP packet in a compound datagram: a borrowed view of its common header and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    /// The whole packet, padding included.
    bytes: &'a [u8],
    padding_len: usize,
}

impl<'a> RtcpPacket<'a> {
    /// Checks that `bytes` start with one whole RTCP packet and returns it with the rest.
    fn split(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), WireError> {
        let header = bytes.get(..RTCP_HEADER_LEN).ok_or(WireError::Truncated)?;
        if header[0] >> 6 != 2 {
            return Err(WireError::BadVersion);
        }
        let len = 4 * (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1);
        let (packet, rest) = (
            bytes.get(..len).ok_or(WireError::Truncated)?,
            &bytes[len.min(bytes.len())..],
        );
        let padding_len = if header[0] & 0x20 != 0 {
            let count = usize::from(packet[len - 1]);
            if count == 0 || RTCP_HEADER_LEN + count > len {
                return Err(WireError::BadPadding);
            }
            count
        } else {
            0
        };
        Ok((
            Self {
                bytes: packet,
                padding_len,
            },
            rest,
        ))
    }

    /// Checks that `bytes` are exactly one RTCP packet.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self, WireError> {
        match Self::split(bytes)? {
            (packet, []) => Ok(packet),
            _ => Err(WireError::BadLength),
        }
    }

    /// The 5-bit count field: report count, source count, or feedback message type (FMT).
    pub fn count(&self) -> u8 {
        self.bytes[0] & 0x1F
    }

    /// The packet type.
    pub fn packet_type(&self) -> RtcpType {
        RtcpType(self.bytes[1])
    }

    /// The packet's length in bytes, padding included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: a packet has at least its 4-byte header.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole packet, header and padding included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The body after the common header, without padding.
    pub fn body(&self) -> &'a [u8] {
        &self.bytes[RTCP_HEADER_LEN..self.bytes.len() - self.padding_len]
    }

    /// The packet typed by its packet type and FMT. Types and FMTs we do not know come
    /// back as [`Rtcp::Unknown`]; a known type with a bad body is an error.
    pub fn parse(&self) -> Result<Rtcp<'a>, WireError> {
        Ok(match (self.packet_type(), self.count()) {
            (RtcpType::SR, _) => Rtcp::SenderReport(SenderReport::new(*self)?),
            (RtcpType::RR, _) => Rtcp::ReceiverReport(ReceiverReport::new(*self)?),
            (RtcpType::SDES, _) => Rtcp::Sdes(Sdes::new(*self)?),
            (RtcpType::BYE, _) => Rtcp::Bye(Bye::new(*self)?),
            (RtcpType::RTPFB, Nack::FMT) => Rtcp::Nack(Nack::new(*self)?),
            (RtcpType::RTPFB, Twcc::FMT) => Rtcp::Twcc(Twcc::new(*self)?),
            (RtcpType::PSFB, Pli::FMT) => Rtcp::Pli(Pli::new(*self)?),
            (RtcpType::PSFB, Fir::FMT) => Rtcp::Fir(Fir::new(*self)?),
            (RtcpType::PSFB, Remb::FMT) => match Remb::new(*self) {
                Ok(remb) => Rtcp::Remb(remb),
                // Other application-layer feedback than REMB.
                Err(_) => Rtcp::Unknown(*self),
            },
            _ => Rtcp::Unknown(*self),
        })
    }
}

/// A typed RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rtcp<'a> {
    /// Sender report.
    SenderReport(SenderReport<'a>),
    /// Receiver report.
    ReceiverReport(ReceiverReport<'a>),
    /// Source description.
    Sdes(Sdes<'a>),
    /// Goodbye.
    Bye(Bye<'a>),
    /// Generic NACK (RFC 4585 section 6.2.1).
    Nack(Nack<'a>),
    /// Picture loss indication (RFC 4585 section 6.3.1).
    Pli(Pli),
    /// Full intra request (RFC 5104 section 4.3.1).
    Fir(Fir<'a>),
    /// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb).
    Remb(Remb<'a>),
    /// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc).
    Twcc(Twcc<'a>),
    /// Any other packet type or feedback message: skip it, or read its bytes.
    Unknown(RtcpPacket<'a>),
}

/// Iterator over the packets of a compound (or reduced-size, RFC 5506) RTCP datagram.
///
/// Yields each packet's framing; a framing error is yielded once and ends the iteration,
/// since nothing after it can be located.
#[derive(Debug, Clone)]
pub struct Compound<'a> {
    rest: &'a [u8],
}

impl<'a> Compound<'a> {
    /// The packets of `datagram`.
    pub fn new(datagram: &'a [u8]) -> Self {
        Self { rest: datagram }
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Result<RtcpPacket<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match RtcpPacket::split(self.rest) {
            Ok((packet, rest)) => {
                self.rest = rest;
                Some(Ok(packet))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Writes a common header for a `len`-byte packet (a multiple of 4, at least 4) whose
/// buffer the caller has already checked.
pub(super) fn emit_header(buf: &mut [u8], count: u8, packet_type: RtcpType, len: usize) {
    buf[0] = 0x80 | (count & 0x1F);
    buf[1] = packet_type.0;
    buf[2..4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
}

/// Reads a big-endian `u32` at `at`; the caller has checked the length.
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks a builder's buffer and packet length.
pub(super) fn check_len(buf: &[u8], len: usize) -> Result<(), WireError> {
    if len / 4 - 1 > usize::from(u16::MAX) {
        return Err(WireError::ValueTooLarge);
    }
    if buf.len() < len {
        return Err(WireError::BufferTooSmall);
    }
    Ok(())
}

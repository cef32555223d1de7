//! Feedback messages (RFC 4585 section 6): generic NACK, PLI, FIR (RFC 5104 section 4.3.1)
//! and REMB (draft-alvestrand-rmcat-remb-03 section 2.2).

use super::WireError;
use super::rtcp::{RTCP_HEADER_LEN, RtcpPacket, RtcpType, check_len, emit_header, u32_at};
use crate::rtp::{SeqNo, Ssrc};

/// The feedback header after the common header: sender and media SSRC.
const FEEDBACK_HEADER_LEN: usize = 8;

fn feedback_body(packet: RtcpPacket<'_>) -> Result<&[u8], WireError> {
    let body = packet.body();
    if body.len() < FEEDBACK_HEADER_LEN {
        return Err(WireError::BadLength);
    }
    Ok(body)
}

fn emit_feedback_header(
    buf: &mut [u8],
    fmt: u8,
    pt: RtcpType,
    len: usize,
    sender: Ssrc,
    media: Ssrc,
) {
    emit_header(buf, fmt, pt, len);
    buf[4..8].copy_from_slice(&sender.0.to_be_bytes());
    buf[8..12].copy_from_slice(&media.0.to_be_bytes());
}

/// A generic NACK view (RFC 4585 section 6.2.1): lost packets as PID + bitmask pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nack<'a> {
    body: &'a [u8],
}

impl<'a> Nack<'a> {
    /// The feedback message type of generic NACK in an RTPFB packet.
    pub const FMT: u8 = 1;

    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let body = feedback_body(packet)?;
        if !(body.len() - FEEDBACK_HEADER_LEN).is_multiple_of(4) {
            return Err(WireError::BadLength);
        }
        Ok(Self { body })
    }

    /// The SSRC of the packet's sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The SSRC of the media source the NACK is about.
    pub fn media_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 4))
    }

    /// The sequence numbers reported lost, pair by pair, PID first.
    pub fn lost(&self) -> impl Iterator<Item = SeqNo> + 'a {
        self.body[FEEDBACK_HEADER_LEN..]
            .chunks_exact(4)
            .flat_map(|fci| {
                let pid = u16::from_be_bytes([fci[0], fci[1]]);
                let blp = u16::from_be_bytes([fci[2], fci[3]]);
                std::iter::once(SeqNo(pid)).chain(
                    (0..16u16)
                        .filter(move |i| blp >> i & 1 == 1)
                        .map(move |i| SeqNo(pid.wrapping_add(i + 1))),
                )
            })
    }
}

/// Writes a generic NACK.
#[derive(Debug, Clone, Copy, Default)]
pub struct NackBuilder<'a> {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: Ssrc,
    /// The media source the NACK is about.
    pub media_ssrc: Ssrc,
    /// The lost sequence numbers, in order; each run within 17 packets shares a pair.
    pub lost: &'a [SeqNo],
}

impl NackBuilder<'_> {
    /// The (PID, BLP) pairs for `lost`.
    fn pairs(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        let mut rest = self.lost;
        std::iter::from_fn(move || {
            let (&pid, after) = rest.split_first()?;
            let mut blp = 0u16;
            let mut used = 0;
            for seq in after {
                let d = pid.distance_to(*seq);
                if !(1..=16).contains(&d) {
                    break;
                }
                blp |= 1 << (d - 1);
                used += 1;
            }
            rest = &after[used..];
            Some((pid.0, blp))
        })
    }

    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + FEEDBACK_HEADER_LEN + 4 * self.pairs().count()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        check_len(buf, len)?;
        emit_feedback_header(
            buf,
            Nack::FMT,
            RtcpType::RTPFB,
            len,
            self.sender_ssrc,
            self.media_ssrc,
        );
        for ((pid, blp), out) in self.pairs().zip(buf[12..len].chunks_exact_mut(4)) {
            out[..2].copy_from_slice(&pid.to_be_bytes());
            out[2..].copy_from_slice(&blp.to_be_bytes());
        }
        Ok(len)
    }
}

/// A picture loss indication (RFC 4585 section 6.3.1), which has no FCI; also its builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pli {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: Ssrc,
    /// The media source whose picture was lost.
    pub media_ssrc: Ssrc,
}

impl Pli {
    /// The feedback message type of PLI in a PSFB packet.
    pub const FMT: u8 = 1;

    pub(super) fn new(packet: RtcpPacket<'_>) -> Result<Self, WireError> {
        let body = feedback_body(packet)?;
        Ok(Self {
            sender_ssrc: Ssrc(u32_at(body, 0)),
            media_ssrc: Ssrc(u32_at(body, 4)),
        })
    }

    /// The packet's length.
    pub const fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + FEEDBACK_HEADER_LEN
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        check_len(buf, len)?;
        emit_feedback_header(
            buf,
            Self::FMT,
            RtcpType::PSFB,
            len,
            self.sender_ssrc,
            self.media_ssrc,
        );
        Ok(len)
    }
}

/// One FIR request (RFC 5104 section 4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: Ssrc,
    /// The command sequence number, incremented per new request.
    pub seq_nr: u8,
}

/// A full intra request view (RFC 5104 section 4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fir<'a> {
    body: &'a [u8],
}

impl<'a> Fir<'a> {
    /// The feedback message type of FIR in a PSFB packet.
    pub const FMT: u8 = 4;

    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let body = feedback_body(packet)?;
        if !(body.len() - FEEDBACK_HEADER_LEN).is_multiple_of(8) {
            return Err(WireError::BadLength);
        }
        Ok(Self { body })
    }

    /// The SSRC of the packet's sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The requests.
    pub fn entries(&self) -> impl Iterator<Item = FirEntry> + 'a {
        self.body[FEEDBACK_HEADER_LEN..]
            .chunks_exact(8)
            .map(|c| FirEntry {
                ssrc: Ssrc(u32_at(c, 0)),
                seq_nr: c[4],
            })
    }
}

/// Writes a full intra request.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirBuilder<'a> {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: Ssrc,
    /// The requests.
    pub entries: &'a [FirEntry],
}

impl FirBuilder<'_> {
    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + FEEDBACK_HEADER_LEN + 8 * self.entries.len()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        check_len(buf, len)?;
        // The media SSRC field is unused in FIR and set to 0 (RFC 5104 section 4.3.1.2).
        emit_feedback_header(
            buf,
            Fir::FMT,
            RtcpType::PSFB,
            len,
            self.sender_ssrc,
            Ssrc(0),
        );
        for (entry, out) in self.entries.iter().zip(buf[12..len].chunks_exact_mut(8)) {
            out[..4].copy_from_slice(&entry.ssrc.0.to_be_bytes());
            out[4] = entry.seq_nr;
            out[5..].fill(0);
        }
        Ok(len)
    }
}

/// The REMB unique identifier, "REMB".
const REMB_ID: [u8; 4] = *b"REMB";

/// A receiver estimated maximum bitrate view (draft-alvestrand-rmcat-remb-03 section 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remb<'a> {
    body: &'a [u8],
}

impl<'a> Remb<'a> {
    /// The feedback message type of application-layer feedback in a PSFB packet.
    pub const FMT: u8 = 15;

    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let body = feedback_body(packet)?;
        let fci = &body[FEEDBACK_HEADER_LEN..];
        if fci.get(..4) != Some(&REMB_ID[..]) {
            return Err(WireError::BadLength);
        }
        let count = usize::from(*fci.get(4).ok_or(WireError::Truncated)?);
        if fci.len() < 8 + 4 * count {
            return Err(WireError::BadLength);
        }
        Ok(Self { body })
    }

    /// The SSRC of the packet's sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The estimated maximum bitrate in bits per second (saturating).
    pub fn bitrate(&self) -> u64 {
        let b = &self.body[FEEDBACK_HEADER_LEN + 5..FEEDBACK_HEADER_LEN + 8];
        let exp = u32::from(b[0] >> 2);
        let mantissa = u64::from(b[0] & 0x03) << 16 | u64::from(b[1]) << 8 | u64::from(b[2]);
        mantissa
            .checked_shl(exp)
            .filter(|v| v >> exp == mantissa)
            .unwrap_or(u64::MAX)
    }

    /// The media sources the estimate applies to.
    pub fn ssrcs(&self) -> impl Iterator<Item = Ssrc> + 'a {
        let count = usize::from(self.body[FEEDBACK_HEADER_LEN + 4]);
        let start = FEEDBACK_HEADER_LEN + 8;
        self.body[start..start + 4 * count]
            .chunks_exact(4)
            .map(|c| Ssrc(u32_at(c, 0)))
    }
}

/// Writes a REMB.
#[derive(Debug, Clone, Copy, Default)]
pub struct RembBuilder<'a> {
    /// The SSRC of the packet's sender.
    pub sender_ssrc: Ssrc,
    /// The estimate in bits per second; rounded down to 18 significant bits.
    pub bitrate: u64,
    /// Up to 255 media sources it applies to.
    pub ssrcs: &'a [Ssrc],
}

impl RembBuilder<'_> {
    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + FEEDBACK_HEADER_LEN + 8 + 4 * self.ssrcs.len()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        let count = u8::try_from(self.ssrcs.len()).map_err(|_| WireError::ValueTooLarge)?;
        check_len(buf, len)?;
        emit_feedback_header(
            buf,
            Remb::FMT,
            RtcpType::PSFB,
            len,
            self.sender_ssrc,
            Ssrc(0),
        );
        let mut exp = 0u32;
        while self.bitrate >> exp >= 1 << 18 {
            exp += 1;
        }
        let mantissa = (self.bitrate >> exp) as u32;
        buf[12..16].copy_from_slice(&REMB_ID);
        buf[16] = count;
        buf[17] = (exp as u8) << 2 | (mantissa >> 16) as u8;
        buf[18..20].copy_from_slice(&(mantissa as u16).to_be_bytes());
        for (ssrc, out) in self.ssrcs.iter().zip(buf[20..len].chunks_exact_mut(4)) {
            out.copy_from_slice(&ssrc.0.to_be_bytes());
        }
        Ok(len)
    }
}

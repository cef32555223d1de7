//! Sender and receiver reports, SDES and BYE (RFC 3550 sections 6.4 to 6.6).

use super::WireError;
use super::rtcp::{RTCP_HEADER_LEN, RtcpPacket, RtcpType, check_len, emit_header, u32_at};
use crate::rtp::{RtpTimestamp, Ssrc};

/// A report block's length (RFC 3550 section 6.4.1).
const REPORT_BLOCK_LEN: usize = 24;
/// The sender info's length (RFC 3550 section 6.4.1).
const SENDER_INFO_LEN: usize = 20;
/// The most report blocks or sources one packet's 5-bit count can announce.
const MAX_COUNT: usize = 31;

/// Reception statistics of one source (RFC 3550 section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: Ssrc,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost, 24-bit signed (duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR), 0 if none.
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(b: &[u8]) -> Self {
        // Sign-extend the 24-bit cumulative loss.
        let lost = i32::from_be_bytes([b[5], b[6], b[7], 0]) >> 8;
        Self {
            ssrc: Ssrc(u32_at(b, 0)),
            fraction_lost: b[4],
            cumulative_lost: lost,
            extended_highest_seq: u32_at(b, 8),
            jitter: u32_at(b, 12),
            last_sr: u32_at(b, 16),
            delay_since_last_sr: u32_at(b, 20),
        }
    }

    fn emit(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&self.ssrc.0.to_be_bytes());
        b[4] = self.fraction_lost;
        let lost = self.cumulative_lost.clamp(-(1 << 23), (1 << 23) - 1);
        b[5..8].copy_from_slice(&lost.to_be_bytes()[1..]);
        b[8..12].copy_from_slice(&self.extended_highest_seq.to_be_bytes());
        b[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        b[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        b[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// The sender information of an SR (RFC 3550 section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// NTP timestamp, 32.32 fixed point seconds since 1900.
    pub ntp_time: u64,
    /// The same instant in the stream's RTP timestamp units.
    pub rtp_time: RtpTimestamp,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
}

fn blocks(bytes: &[u8]) -> impl Iterator<Item = ReportBlock> + '_ {
    bytes.chunks_exact(REPORT_BLOCK_LEN).map(ReportBlock::parse)
}

/// A sender report view (RFC 3550 section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    body: &'a [u8],
    count: usize,
}

impl<'a> SenderReport<'a> {
    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let count = usize::from(packet.count());
        let body = packet.body();
        if body.len() < 4 + SENDER_INFO_LEN + count * REPORT_BLOCK_LEN {
            return Err(WireError::BadLength);
        }
        Ok(Self { body, count })
    }

    /// The sender's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The sender information.
    pub fn sender_info(&self) -> SenderInfo {
        let b = self.body;
        SenderInfo {
            ntp_time: u64::from(u32_at(b, 4)) << 32 | u64::from(u32_at(b, 8)),
            rtp_time: RtpTimestamp(u32_at(b, 12)),
            packet_count: u32_at(b, 16),
            octet_count: u32_at(b, 20),
        }
    }

    /// The report blocks.
    pub fn report_blocks(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        let start = 4 + SENDER_INFO_LEN;
        blocks(&self.body[start..start + self.count * REPORT_BLOCK_LEN])
    }
}

/// A receiver report view (RFC 3550 section 6.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    body: &'a [u8],
    count: usize,
}

impl<'a> ReceiverReport<'a> {
    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let count = usize::from(packet.count());
        let body = packet.body();
        if body.len() < 4 + count * REPORT_BLOCK_LEN {
            return Err(WireError::BadLength);
        }
        Ok(Self { body, count })
    }

    /// The reporter's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(u32_at(self.body, 0))
    }

    /// The report blocks.
    pub fn report_blocks(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        blocks(&self.body[4..4 + self.count * REPORT_BLOCK_LEN])
    }
}

/// Writes a sender report.
#[derive(Debug, Clone, Copy, Default)]
pub struct SenderReportBuilder<'a> {
    /// The sender's SSRC.
    pub ssrc: Ssrc,
    /// The sender information.
    pub info: SenderInfo,
    /// Up to 31 report blocks.
    pub reports: &'a [ReportBlock],
}

impl SenderReportBuilder<'_> {
    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + 4 + SENDER_INFO_LEN + REPORT_BLOCK_LEN * self.reports.len()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        if self.reports.len() > MAX_COUNT {
            return Err(WireError::ValueTooLarge);
        }
        check_len(buf, len)?;
        emit_header(buf, self.reports.len() as u8, RtcpType::SR, len);
        buf[4..8].copy_from_slice(&self.ssrc.0.to_be_bytes());
        buf[8..16].copy_from_slice(&self.info.ntp_time.to_be_bytes());
        buf[16..20].copy_from_slice(&self.info.rtp_time.0.to_be_bytes());
        buf[20..24].copy_from_slice(&self.info.packet_count.to_be_bytes());
        buf[24..28].copy_from_slice(&self.info.octet_count.to_be_bytes());
        for (report, out) in self.reports.iter().zip(buf[28..len].chunks_exact_mut(24)) {
            report.emit(out);
        }
        Ok(len)
    }
}

/// Writes a receiver report.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReceiverReportBuilder<'a> {
    /// The reporter's SSRC.
    pub ssrc: Ssrc,
    /// Up to 31 report blocks.
    pub reports: &'a [ReportBlock],
}

impl ReceiverReportBuilder<'_> {
    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN + 4 + REPORT_BLOCK_LEN * self.reports.len()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        if self.reports.len() > MAX_COUNT {
            return Err(WireError::ValueTooLarge);
        }
        check_len(buf, len)?;
        emit_header(buf, self.reports.len() as u8, RtcpType::RR, len);
        buf[4..8].copy_from_slice(&self.ssrc.0.to_be_bytes());
        for (report, out) in self.reports.iter().zip(buf[8..len].chunks_exact_mut(24)) {
            report.emit(out);
        }
        Ok(len)
    }
}

/// One SDES item (RFC 3550 section 6.5): a type and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// The item type: [`SdesItem::CNAME`] and others of RFC 3550 section 6.5.
    pub kind: u8,
    /// The UTF-8 text, at most 255 bytes.
    pub value: &'a [u8],
}

impl SdesItem<'_> {
    /// The canonical name (RFC 3550 section 6.5.1).
    pub const CNAME: u8 = 1;
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: Ssrc,
    /// The raw item list, up to its terminating null.
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The chunk's items.
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let mut rest = self.items;
        std::iter::from_fn(move || {
            let (&kind, after) = rest.split_first()?;
            let (&len, after) = after.split_first()?;
            let value = after.get(..usize::from(len))?;
            rest = &after[usize::from(len)..];
            Some(SdesItem { kind, value })
        })
    }
}

/// Splits one chunk off the front of `bytes`: its SSRC, its items, and what follows the
/// chunk's terminating null and padding.
fn split_chunk(bytes: &[u8]) -> Result<(SdesChunk<'_>, &[u8]), WireError> {
    let ssrc = Ssrc(u32_at(bytes.get(..4).ok_or(WireError::Truncated)?, 0));
    let mut at = 4;
    loop {
        match bytes.get(at) {
            None => return Err(WireError::Truncated),
            Some(0) => break,
            Some(_) => {
                let len = *bytes.get(at + 1).ok_or(WireError::Truncated)?;
                at += 2 + usize::from(len);
            }
        }
    }
    let items = bytes.get(4..at).ok_or(WireError::Truncated)?;
    // The null item ends the list; pad to the next 32-bit boundary.
    let end = (at + 1).next_multiple_of(4);
    let rest = bytes.get(end..).ok_or(WireError::Truncated)?;
    Ok((SdesChunk { ssrc, items }, rest))
}

/// A source description view (RFC 3550 section 6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    body: &'a [u8],
    count: usize,
}

impl<'a> Sdes<'a> {
    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let count = usize::from(packet.count());
        let mut rest = packet.body();
        for _ in 0..count {
            rest = split_chunk(rest)?.1;
        }
        Ok(Self {
            body: packet.body(),
            count,
        })
    }

    /// The chunks, one per source.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let mut rest = self.body;
        let mut left = self.count;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let (chunk, after) = split_chunk(rest).ok()?;
            rest = after;
            Some(chunk)
        })
    }
}

/// Writes a source description.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdesBuilder<'a> {
    /// Up to 31 chunks: a source and its items.
    pub chunks: &'a [(Ssrc, &'a [SdesItem<'a>])],
}

impl SdesBuilder<'_> {
    fn chunk_len(items: &[SdesItem<'_>]) -> usize {
        let items_len: usize = items.iter().map(|i| 2 + i.value.len()).sum();
        4 + (items_len + 1).next_multiple_of(4)
    }

    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        RTCP_HEADER_LEN
            + self
                .chunks
                .iter()
                .map(|(_, items)| Self::chunk_len(items))
                .sum::<usize>()
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        let too_large = self.chunks.len() > MAX_COUNT
            || self
                .chunks
                .iter()
                .any(|(_, items)| items.iter().any(|i| i.kind == 0 || i.value.len() > 255));
        if too_large {
            return Err(WireError::ValueTooLarge);
        }
        check_len(buf, len)?;
        emit_header(buf, self.chunks.len() as u8, RtcpType::SDES, len);
        let mut at = RTCP_HEADER_LEN;
        for (ssrc, items) in self.chunks {
            let end = at + Self::chunk_len(items);
            buf[at..at + 4].copy_from_slice(&ssrc.0.to_be_bytes());
            at += 4;
            for item in *items {
                buf[at] = item.kind;
                buf[at + 1] = item.value.len() as u8;
                buf[at + 2..at + 2 + item.value.len()].copy_from_slice(item.value);
                at += 2 + item.value.len();
            }
            buf[at..end].fill(0);
            at = end;
        }
        Ok(len)
    }
}

/// A goodbye view (RFC 3550 section 6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    body: &'a [u8],
    count: usize,
}

impl<'a> Bye<'a> {
    pub(super) fn new(packet: RtcpPacket<'a>) -> Result<Self, WireError> {
        let count = usize::from(packet.count());
        let body = packet.body();
        let end = 4 * count;
        if body.len() < end {
            return Err(WireError::BadLength);
        }
        if let Some(&len) = body.get(end)
            && body.len() < end + 1 + usize::from(len)
        {
            return Err(WireError::BadLength);
        }
        Ok(Self { body, count })
    }

    /// The sources leaving.
    pub fn ssrcs(&self) -> impl Iterator<Item = Ssrc> + 'a {
        self.body[..4 * self.count]
            .chunks_exact(4)
            .map(|c| Ssrc(u32_at(c, 0)))
    }

    /// The reason for leaving, if given.
    pub fn reason(&self) -> Option<&'a [u8]> {
        let end = 4 * self.count;
        let len = usize::from(*self.body.get(end)?);
        self.body.get(end + 1..end + 1 + len)
    }
}

/// Writes a goodbye.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByeBuilder<'a> {
    /// Up to 31 sources leaving.
    pub ssrcs: &'a [Ssrc],
    /// The reason, at most 255 bytes; empty for none.
    pub reason: &'a [u8],
}

impl ByeBuilder<'_> {
    /// The packet's length.
    pub fn buffer_len(&self) -> usize {
        let reason = if self.reason.is_empty() {
            0
        } else {
            (1 + self.reason.len()).next_multiple_of(4)
        };
        RTCP_HEADER_LEN + 4 * self.ssrcs.len() + reason
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        if self.ssrcs.len() > MAX_COUNT || self.reason.len() > 255 {
            return Err(WireError::ValueTooLarge);
        }
        check_len(buf, len)?;
        emit_header(buf, self.ssrcs.len() as u8, RtcpType::BYE, len);
        let mut at = RTCP_HEADER_LEN;
        for ssrc in self.ssrcs {
            buf[at..at + 4].copy_from_slice(&ssrc.0.to_be_bytes());
            at += 4;
        }
        if !self.reason.is_empty() {
            buf[at] = self.reason.len() as u8;
            buf[at + 1..at + 1 + self.reason.len()].copy_from_slice(self.reason);
            buf[at + 1 + self.reason.len()..len].fill(0);
        }
        Ok(len)
    }
}

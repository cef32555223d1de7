//! Writes an RTP packet into the caller's buffer (RFC 3550 section 5.1, RFC 8285).

use super::WireError;
use super::packet::{Extension, HEADER_LEN, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE};
use crate::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};

/// The most CSRCs a header carries: the CC field has 4 bits.
pub const MAX_CSRCS: usize = 15;

/// An RTP header to write, with borrowed CSRCs and extension elements.
///
/// The extension form is chosen by content: one-byte elements (RFC 8285 section 4.2) when
/// every id is 1 to 14 and every value 1 to 16 bytes long, else two-byte elements (section
/// 4.3).
#[derive(Debug, Clone, Copy, Default)]
pub struct PacketBuilder<'a> {
    /// The marker bit.
    pub marker: bool,
    /// The payload type.
    pub payload_type: Pt,
    /// The sequence number.
    pub sequence_number: SeqNo,
    /// The timestamp.
    pub timestamp: RtpTimestamp,
    /// The SSRC.
    pub ssrc: Ssrc,
    /// Contributing sources, at most [`MAX_CSRCS`].
    pub csrcs: &'a [Ssrc],
    /// Header extension elements, written in this order.
    pub extensions: &'a [Extension<'a>],
    /// Padding bytes to append (0 for none; the count byte is included), for example to
    /// round the packet to an SRTP block or hide its length.
    pub padding: u8,
}

impl PacketBuilder<'_> {
    fn one_byte_form(&self) -> bool {
        self.extensions
            .iter()
            .all(|e| (1..=14).contains(&e.id) && (1..=16).contains(&e.value.len()))
    }

    /// The header extension's data length before padding to 32 bits.
    fn extension_data_len(&self) -> usize {
        let header = if self.one_byte_form() { 1 } else { 2 };
        self.extensions.iter().map(|e| header + e.value.len()).sum()
    }

    /// The header's length: fixed part, CSRCs and extension.
    pub fn header_len(&self) -> usize {
        let ext = if self.extensions.is_empty() {
            0
        } else {
            4 + self.extension_data_len().next_multiple_of(4)
        };
        HEADER_LEN + 4 * self.csrcs.len() + ext
    }

    /// The whole packet's length with a `payload_len`-byte payload.
    pub fn buffer_len(&self, payload_len: usize) -> usize {
        self.header_len() + payload_len + usize::from(self.padding)
    }

    /// Writes the header, `payload` and padding into `buf` and returns the packet's length.
    ///
    /// Fails with [`WireError::BufferTooSmall`] if `buf` is short, and with
    /// [`WireError::ValueTooLarge`] for more than [`MAX_CSRCS`] CSRCs, an extension id of 0,
    /// a value over 255 bytes or an extension over 65535 words.
    pub fn emit(&self, buf: &mut [u8], payload: &[u8]) -> Result<usize, WireError> {
        let total = self.buffer_len(payload.len());
        if buf.len() < total {
            return Err(WireError::BufferTooSmall);
        }
        if self.csrcs.len() > MAX_CSRCS
            || self
                .extensions
                .iter()
                .any(|e| e.id == 0 || e.value.len() > 255)
        {
            return Err(WireError::ValueTooLarge);
        }
        let ext_words = self.extension_data_len().div_ceil(4);
        let ext_words = u16::try_from(ext_words).map_err(|_| WireError::ValueTooLarge)?;
        let buf = &mut buf[..total];
        buf[0] = 0x80
            | if self.padding > 0 { 0x20 } else { 0 }
            | if self.extensions.is_empty() { 0 } else { 0x10 }
            | self.csrcs.len() as u8;
        buf[1] = if self.marker { 0x80 } else { 0 } | (self.payload_type.0 & 0x7F);
        buf[2..4].copy_from_slice(&self.sequence_number.0.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp.0.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ssrc.0.to_be_bytes());
        let mut at = HEADER_LEN;
        for csrc in self.csrcs {
            buf[at..at + 4].copy_from_slice(&csrc.0.to_be_bytes());
            at += 4;
        }
        if !self.extensions.is_empty() {
            let one_byte = self.one_byte_form();
            let profile = if one_byte {
                ONE_BYTE_PROFILE
            } else {
                TWO_BYTE_PROFILE
            };
            buf[at..at + 2].copy_from_slice(&profile.to_be_bytes());
            buf[at + 2..at + 4].copy_from_slice(&ext_words.to_be_bytes());
            at += 4;
            let end = at + 4 * usize::from(ext_words);
            for e in self.extensions {
                if one_byte {
                    buf[at] = e.id << 4 | (e.value.len() as u8 - 1);
                    at += 1;
                } else {
                    buf[at] = e.id;
                    buf[at + 1] = e.value.len() as u8;
                    at += 2;
                }
                buf[at..at + e.value.len()].copy_from_slice(e.value);
                at += e.value.len();
            }
            buf[at..end].fill(0);
            at = end;
        }
        buf[at..at + payload.len()].copy_from_slice(payload);
        at += payload.len();
        if self.padding > 0 {
            let pad = usize::from(self.padding);
            buf[at..at + pad - 1].fill(0);
            buf[at + pad - 1] = self.padding;
            at += pad;
        }
        Ok(at)
    }
}

//! The RTP packet (RFC 3550 section 5.1) with its header extension (RFC 8285): a zero-copy
//! view with in-place setters.

use super::WireError;
use crate::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};

/// Byte offsets of the fixed RTP header (RFC 3550 section 5.1).
pub(super) mod field {
    use std::ops::Range;

    /// V(2) P(1) X(1) CC(4).
    pub(crate) const FIRST: usize = 0;
    /// M(1) PT(7).
    pub(crate) const MARKER_PT: usize = 1;
    /// Sequence number.
    pub(crate) const SEQ: Range<usize> = 2..4;
    /// Timestamp.
    pub(crate) const TIMESTAMP: Range<usize> = 4..8;
    /// SSRC.
    pub(crate) const SSRC: Range<usize> = 8..12;
    /// Where the CSRC list starts.
    pub(crate) const CSRCS: usize = 12;
}

/// The fixed RTP header's length (RFC 3550 section 5.1).
pub const HEADER_LEN: usize = field::CSRCS;

/// The header extension profile of the one-byte form (RFC 8285 section 4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;

/// The two-byte form's profile, `0x100` followed by 4 application bits (RFC 8285 section
/// 4.3); only the top 12 bits are compared.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// A zero-copy view of an RTP packet.
///
/// [`Packet::new_checked`] validates the version, the CSRC list, the header extension's
/// length and the padding once; after that no accessor can panic. Setters for the fixed
/// fields and extension values rewrite the buffer in place.
#[derive(Debug, Clone)]
pub struct Packet<T> {
    buffer: T,
    /// Where the payload starts: fixed header, CSRCs and extension.
    header_len: usize,
    /// Padding bytes at the end, count byte included (0 without the P bit).
    padding_len: usize,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` after checking that it holds a well-formed RTP version 2 packet.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let bytes = buffer.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let first = bytes[field::FIRST];
        if first >> 6 != 2 {
            return Err(WireError::BadVersion);
        }
        let mut header_len = HEADER_LEN + 4 * usize::from(first & 0x0F);
        if first & 0x10 != 0 {
            let words = bytes
                .get(header_len + 2..header_len + 4)
                .ok_or(WireError::Truncated)?;
            header_len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        if header_len > bytes.len() {
            return Err(WireError::Truncated);
        }
        let padding_len = if first & 0x20 != 0 {
            let count = usize::from(bytes[bytes.len() - 1]);
            if count == 0 || header_len + count > bytes.len() {
                return Err(WireError::BadPadding);
            }
            count
        } else {
            0
        };
        Ok(Self {
            buffer,
            header_len,
            padding_len,
        })
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn word(&self, at: std::ops::Range<usize>) -> u32 {
        let b = &self.bytes()[at];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The version: always 2 after `new_checked`.
    pub fn version(&self) -> u8 {
        self.bytes()[field::FIRST] >> 6
    }

    /// Whether the P bit is set.
    pub fn has_padding(&self) -> bool {
        self.padding_len != 0
    }

    /// Whether the X bit is set.
    pub fn has_extension(&self) -> bool {
        self.bytes()[field::FIRST] & 0x10 != 0
    }

    /// The number of CSRCs.
    pub fn csrc_count(&self) -> usize {
        usize::from(self.bytes()[field::FIRST] & 0x0F)
    }

    /// The marker bit.
    pub fn marker(&self) -> bool {
        self.bytes()[field::MARKER_PT] & 0x80 != 0
    }

    /// The payload type.
    pub fn payload_type(&self) -> Pt {
        Pt(self.bytes()[field::MARKER_PT] & 0x7F)
    }

    /// The sequence number.
    pub fn sequence_number(&self) -> SeqNo {
        let b = &self.bytes()[field::SEQ];
        SeqNo(u16::from_be_bytes([b[0], b[1]]))
    }

    /// The timestamp.
    pub fn timestamp(&self) -> RtpTimestamp {
        RtpTimestamp(self.word(field::TIMESTAMP))
    }

    /// The SSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(self.word(field::SSRC))
    }

    /// The CSRC list, in order.
    pub fn csrcs(&self) -> impl Iterator<Item = Ssrc> + '_ {
        let end = field::CSRCS + 4 * self.csrc_count();
        self.bytes()[field::CSRCS..end]
            .chunks_exact(4)
            .map(|c| Ssrc(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
    }

    fn extension_range(&self) -> Option<std::ops::Range<usize>> {
        if !self.has_extension() {
            return None;
        }
        let start = field::CSRCS + 4 * self.csrc_count();
        Some(start..self.header_len)
    }

    /// The header extension's profile (`0xBEDE` for one-byte, `0x100x` for two-byte
    /// elements), if the X bit is set.
    pub fn extension_profile(&self) -> Option<u16> {
        let range = self.extension_range()?;
        let b = &self.bytes()[range.start..range.start + 2];
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    /// The raw header extension data after its 4-byte header.
    pub fn extension_data(&self) -> Option<&[u8]> {
        let range = self.extension_range()?;
        Some(&self.bytes()[range.start + 4..range.end])
    }

    /// The RFC 8285 extension elements, one-byte or two-byte form by the profile; empty
    /// for other profiles. Iteration stops at the first malformed element.
    pub fn extensions(&self) -> Extensions<'_> {
        let form = match self.extension_profile() {
            Some(ONE_BYTE_PROFILE) => Some(ExtensionForm::OneByte),
            Some(p) if p & 0xFFF0 == TWO_BYTE_PROFILE => Some(ExtensionForm::TwoByte),
            _ => None,
        };
        Extensions {
            data: self.extension_data().unwrap_or(&[]),
            pos: 0,
            form,
        }
    }

    /// The value of the extension element with `id`, if present.
    pub fn extension(&self, id: u8) -> Option<&[u8]> {
        self.extensions().find(|e| e.id == id).map(|e| e.value)
    }

    /// The header's length: fixed part, CSRCs and extension.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The payload, without padding.
    pub fn payload(&self) -> &[u8] {
        let end = self.bytes().len() - self.padding_len;
        &self.bytes()[self.header_len..end]
    }

    /// The number of padding bytes at the end, the count byte included.
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn bytes_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets the marker bit.
    pub fn set_marker(&mut self, marker: bool) {
        let b = &mut self.bytes_mut()[field::MARKER_PT];
        *b = (*b & 0x7F) | if marker { 0x80 } else { 0 };
    }

    /// Sets the payload type (its top bit is ignored).
    pub fn set_payload_type(&mut self, pt: Pt) {
        let b = &mut self.bytes_mut()[field::MARKER_PT];
        *b = (*b & 0x80) | (pt.0 & 0x7F);
    }

    /// Sets the sequence number.
    pub fn set_sequence_number(&mut self, seq: SeqNo) {
        self.bytes_mut()[field::SEQ].copy_from_slice(&seq.0.to_be_bytes());
    }

    /// Sets the timestamp.
    pub fn set_timestamp(&mut self, ts: RtpTimestamp) {
        self.bytes_mut()[field::TIMESTAMP].copy_from_slice(&ts.0.to_be_bytes());
    }

    /// Sets the SSRC.
    pub fn set_ssrc(&mut self, ssrc: Ssrc) {
        self.bytes_mut()[field::SSRC].copy_from_slice(&ssrc.0.to_be_bytes());
    }

    /// The value of the extension element with `id`, writable in place (an SFU rewrites
    /// the transport-wide sequence number or abs-send-time this way).
    pub fn extension_mut(&mut self, id: u8) -> Option<&mut [u8]> {
        let base = self.extension_range()?.start + 4;
        let mut it = self.extensions();
        let (at, len) = loop {
            let (at, e) = it.next_at()?;
            if e.id == id {
                break (at, e.value.len());
            }
        };
        self.bytes_mut().get_mut(base + at..base + at + len)
    }

    /// The payload, writable in place.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.bytes().len() - self.padding_len;
        let start = self.header_len;
        &mut self.bytes_mut()[start..end]
    }
}

/// The two element forms of RFC 8285.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtensionForm {
    OneByte,
    TwoByte,
}

/// One RFC 8285 header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The negotiated id: 1 to 14 in the one-byte form, 1 to 255 in the two-byte form.
    pub id: u8,
    /// The element's value.
    pub value: &'a [u8],
}

/// Iterator over the RFC 8285 elements of a packet's header extension.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    data: &'a [u8],
    pos: usize,
    form: Option<ExtensionForm>,
}

impl<'a> Extensions<'a> {
    /// The next element and the offset of its value within the extension data.
    fn next_at(&mut self) -> Option<(usize, Extension<'a>)> {
        let form = self.form?;
        // Padding bytes (id 0, no length) may sit between elements.
        while self.data.get(self.pos) == Some(&0) {
            self.pos += 1;
        }
        let rest = self.data.get(self.pos..)?;
        let (id, len, header) = match form {
            ExtensionForm::OneByte => {
                let b = *rest.first()?;
                // Id 15 stops processing (RFC 8285 section 4.2).
                if b >> 4 == 15 {
                    self.form = None;
                    return None;
                }
                (b >> 4, usize::from(b & 0x0F) + 1, 1)
            }
            ExtensionForm::TwoByte => {
                let h = rest.get(..2)?;
                (h[0], usize::from(h[1]), 2)
            }
        };
        let Some(value) = rest.get(header..header + len) else {
            self.form = None;
            return None;
        };
        let at = self.pos + header;
        self.pos = at + len;
        Some((at, Extension { id, value }))
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        self.next_at().map(|(_, e)| e)
    }
}

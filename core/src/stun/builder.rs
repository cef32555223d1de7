//! Writing STUN messages into the caller's buffer (RFC 8489 sections 5, 14 and 15).

use std::net::SocketAddr;

use super::attributes::{MAX_TEXT_LEN, MAX_USERNAME_LEN, encode_xor_address};
use super::integrity::{fingerprint, hmac_sha1, hmac_sha256};
use super::wire::{
    AttributeType, Class, HEADER_LEN, MAGIC_COOKIE, Method, TransactionId, WireError, field,
    message_type, padded_len,
};

/// The largest body a 16-bit length field can describe that is a multiple of 4.
const MAX_BODY_LEN: usize = 0xFFFC;

/// The size of MESSAGE-INTEGRITY's HMAC-SHA1 value (RFC 8489 section 14.5).
const SHA1_LEN: usize = 20;
/// The size of MESSAGE-INTEGRITY-SHA256's value as this builder writes it: the full HMAC
/// (RFC 8489 section 14.6 allows truncation to 16 bytes; we never truncate).
const SHA256_LEN: usize = 32;

/// Which attributes may still be added (RFC 8489 sections 14.5 to 14.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    AfterIntegrity,
    AfterIntegritySha256,
}

/// Writes one STUN message into a caller's buffer, attribute by attribute, without allocating.
///
/// The header's length field is kept up to date after every attribute, so MESSAGE-INTEGRITY,
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT cover exactly what RFC 8489 sections 14.5 to 14.7
/// say. Once an integrity attribute is added, only a later integrity attribute of the stronger
/// kind or the fingerprint may follow ([`WireError::BadOrder`] otherwise). Padding bytes are
/// zero unless [`MessageBuilder::set_padding`] says otherwise.
///
/// Every `add_*` either writes the whole attribute or leaves the message as it was.
#[derive(Debug)]
pub struct MessageBuilder<'a> {
    buf: &'a mut [u8],
    len: usize,
    tid: TransactionId,
    stage: Stage,
    padding: u8,
}

impl<'a> MessageBuilder<'a> {
    /// Starts a message of `class` and `method` with transaction ID `tid` at the start of `buf`.
    ///
    /// Fails with [`WireError::BufferTooSmall`] if `buf` cannot hold the 20-byte header, or
    /// [`WireError::BadMethod`] if the method does not fit in 12 bits.
    pub fn new(
        buf: &'a mut [u8],
        class: Class,
        method: Method,
        tid: TransactionId,
    ) -> Result<Self, WireError> {
        let kind = message_type(class, method)?;
        let header = buf.get_mut(..HEADER_LEN).ok_or(WireError::BufferTooSmall)?;
        header[field::TYPE].copy_from_slice(&kind.to_be_bytes());
        header[field::LENGTH].copy_from_slice(&[0, 0]);
        header[field::COOKIE].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        header[field::TRANSACTION_ID].copy_from_slice(tid.as_bytes());
        Ok(Self {
            buf,
            len: HEADER_LEN,
            tid,
            stage: Stage::Open,
            padding: 0,
        })
    }

    /// Sets the byte used to pad attribute values to a multiple of 4 (default 0).
    ///
    /// RFC 8489 section 14 lets padding hold any value and tells receivers to ignore it; the
    /// RFC 5769 test vectors pad with spaces (0x20). Only attributes added afterwards change.
    pub fn set_padding(&mut self, byte: u8) {
        self.padding = byte;
    }

    /// Adds USERNAME (RFC 8489 section 14.3), at most 512 bytes.
    pub fn add_username(&mut self, username: &[u8]) -> Result<(), WireError> {
        if username.len() > MAX_USERNAME_LEN {
            return Err(WireError::BadAttribute(AttributeType::USERNAME));
        }
        self.add_raw(AttributeType::USERNAME, username)
    }

    /// Adds XOR-MAPPED-ADDRESS for `addr` (RFC 8489 section 14.2).
    pub fn add_xor_mapped_address(&mut self, addr: SocketAddr) -> Result<(), WireError> {
        self.add_xor_address(AttributeType::XOR_MAPPED_ADDRESS, addr)
    }

    /// Adds an attribute of type `kind` holding `addr` in the XOR-MAPPED-ADDRESS format (TURN's
    /// XOR-PEER-ADDRESS, RFC 8656 section 18.3).
    pub fn add_xor_address(
        &mut self,
        kind: AttributeType,
        addr: SocketAddr,
    ) -> Result<(), WireError> {
        let mut value = [0; 20];
        let len = encode_xor_address(addr, &self.tid, &mut value);
        self.add_raw(kind, &value[..len])
    }

    /// Adds PRIORITY (RFC 8445 section 16.1).
    pub fn add_priority(&mut self, priority: u32) -> Result<(), WireError> {
        self.add_raw(AttributeType::PRIORITY, &priority.to_be_bytes())
    }

    /// Adds USE-CANDIDATE (RFC 8445 section 16.1).
    pub fn add_use_candidate(&mut self) -> Result<(), WireError> {
        self.add_raw(AttributeType::USE_CANDIDATE, &[])
    }

    /// Adds ICE-CONTROLLING with tie-breaker `tie` (RFC 8445 section 16.1).
    pub fn add_ice_controlling(&mut self, tie: u64) -> Result<(), WireError> {
        self.add_raw(AttributeType::ICE_CONTROLLING, &tie.to_be_bytes())
    }

    /// Adds ICE-CONTROLLED with tie-breaker `tie` (RFC 8445 section 16.1).
    pub fn add_ice_controlled(&mut self, tie: u64) -> Result<(), WireError> {
        self.add_raw(AttributeType::ICE_CONTROLLED, &tie.to_be_bytes())
    }

    /// Adds ERROR-CODE (RFC 8489 section 14.8): `code` from 300 to 699, `reason` at most 763
    /// bytes.
    pub fn add_error_code(&mut self, code: u16, reason: &str) -> Result<(), WireError> {
        if !(300..700).contains(&code) || reason.len() > MAX_TEXT_LEN {
            return Err(WireError::BadAttribute(AttributeType::ERROR_CODE));
        }
        // Both fit in a byte: code / 100 is 3..=6, code % 100 is below 100.
        let head = [0, 0, (code / 100) as u8, (code % 100) as u8];
        self.add_parts(AttributeType::ERROR_CODE, &[&head, reason.as_bytes()])
    }

    /// Adds UNKNOWN-ATTRIBUTES listing `attributes` (RFC 8489 section 14.13).
    pub fn add_unknown_attributes(
        &mut self,
        attributes: &[AttributeType],
    ) -> Result<(), WireError> {
        if self.stage != Stage::Open {
            return Err(WireError::BadOrder);
        }
        let kind = AttributeType::UNKNOWN_ATTRIBUTES;
        let value_len = attributes.len() * 2;
        let start = self.reserve(kind, value_len)?;
        let value = self
            .buf
            .get_mut(start..start + value_len)
            .ok_or(WireError::BufferTooSmall)?;
        for (out, attr) in value.chunks_exact_mut(2).zip(attributes) {
            out.copy_from_slice(&attr.0.to_be_bytes());
        }
        Ok(())
    }

    /// Adds SOFTWARE (RFC 8489 section 14.14), at most 763 bytes.
    pub fn add_software(&mut self, software: &str) -> Result<(), WireError> {
        if software.len() > MAX_TEXT_LEN {
            return Err(WireError::BadAttribute(AttributeType::SOFTWARE));
        }
        self.add_raw(AttributeType::SOFTWARE, software.as_bytes())
    }

    /// Adds an attribute of any type with the given value, padded (REALM, NONCE, anything this
    /// module has no typed method for).
    pub fn add_raw(&mut self, kind: AttributeType, value: &[u8]) -> Result<(), WireError> {
        self.add_parts(kind, &[value])
    }

    /// Adds MESSAGE-INTEGRITY: HMAC-SHA1 with `key` over the message so far, the header's length
    /// counting this attribute (RFC 8489 section 14.5).
    ///
    /// For short-term credentials (ICE) the key is the password; for long-term credentials it is
    /// [`long_term_key`](super::long_term_key).
    pub fn add_message_integrity(&mut self, key: &[u8]) -> Result<(), WireError> {
        if self.stage != Stage::Open {
            return Err(WireError::BadOrder);
        }
        let start = self.reserve(AttributeType::MESSAGE_INTEGRITY, SHA1_LEN)?;
        let mac = hmac_sha1(key, &[self.buf.get(..start - 4).unwrap_or_default()]);
        self.write_value(start, &mac)?;
        self.stage = Stage::AfterIntegrity;
        Ok(())
    }

    /// Adds MESSAGE-INTEGRITY-SHA256: HMAC-SHA256 with `key`, full 32 bytes, over the message so
    /// far including any MESSAGE-INTEGRITY (RFC 8489 section 14.6).
    pub fn add_message_integrity_sha256(&mut self, key: &[u8]) -> Result<(), WireError> {
        if self.stage == Stage::AfterIntegritySha256 {
            return Err(WireError::BadOrder);
        }
        let start = self.reserve(AttributeType::MESSAGE_INTEGRITY_SHA256, SHA256_LEN)?;
        let mac = hmac_sha256(key, &[self.buf.get(..start - 4).unwrap_or_default()]);
        self.write_value(start, &mac)?;
        self.stage = Stage::AfterIntegritySha256;
        Ok(())
    }

    /// Ends the message; returns its total length, `buf[..len]`.
    pub fn finish(self) -> usize {
        self.len
    }

    /// Adds FINGERPRINT (RFC 8489 section 14.7), which must be last, and ends the message;
    /// returns its total length.
    pub fn finish_with_fingerprint(mut self) -> Result<usize, WireError> {
        let start = self.reserve(AttributeType::FINGERPRINT, 4)?;
        let crc = fingerprint(self.buf.get(..start - 4).unwrap_or_default());
        self.write_value(start, &crc.to_be_bytes())?;
        Ok(self.len)
    }

    /// Writes an attribute whose value is the concatenation of `parts`.
    fn add_parts(&mut self, kind: AttributeType, parts: &[&[u8]]) -> Result<(), WireError> {
        if self.stage != Stage::Open {
            return Err(WireError::BadOrder);
        }
        let value_len = parts.iter().map(|p| p.len()).sum();
        let mut at = self.reserve(kind, value_len)?;
        for part in parts {
            self.write_value(at, part)?;
            at += part.len();
        }
        Ok(())
    }

    /// Writes the attribute header and padding for a value of `value_len` bytes, updates the
    /// message length, and returns where the value starts. The value bytes are left zero.
    fn reserve(&mut self, kind: AttributeType, value_len: usize) -> Result<usize, WireError> {
        let attr_len = u16::try_from(value_len).map_err(|_| WireError::BadAttribute(kind))?;
        let total = padded_len(value_len) + field::ATTR_VALUE;
        let end = self.len + total;
        if end - HEADER_LEN > MAX_BODY_LEN {
            return Err(WireError::BadLength);
        }
        let attr = self
            .buf
            .get_mut(self.len..end)
            .ok_or(WireError::BufferTooSmall)?;
        attr[field::ATTR_TYPE].copy_from_slice(&kind.0.to_be_bytes());
        attr[field::ATTR_LENGTH].copy_from_slice(&attr_len.to_be_bytes());
        let (value, padding) = attr[field::ATTR_VALUE..].split_at_mut(value_len);
        value.fill(0);
        padding.fill(self.padding);
        let start = self.len + field::ATTR_VALUE;
        self.len = end;
        // At most MAX_BODY_LEN, checked above.
        let body = (end - HEADER_LEN) as u16;
        self.buf[field::LENGTH].copy_from_slice(&body.to_be_bytes());
        Ok(start)
    }

    fn write_value(&mut self, at: usize, bytes: &[u8]) -> Result<(), WireError> {
        self.buf
            .get_mut(at..at + bytes.len())
            .ok_or(WireError::BufferTooSmall)?
            .copy_from_slice(bytes);
        Ok(())
    }
}

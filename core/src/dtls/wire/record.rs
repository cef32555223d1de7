//! The DTLS record header (RFC 6347 section 4.1).
//!
//! ```text
//! type(1) version(2) epoch(2) sequence_number(6) length(2) fragment(length)
//! ```

use super::{Reader, WireError};

/// A record's content type (RFC 5246 section 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// change_cipher_spec (20).
    ChangeCipherSpec,
    /// alert (21).
    Alert,
    /// handshake (22).
    Handshake,
    /// application_data (23).
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Self::ChangeCipherSpec => 20,
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
        }
    }

    /// The type with this wire value.
    pub fn from_code(code: u8) -> Result<Self, WireError> {
        match code {
            20 => Ok(Self::ChangeCipherSpec),
            21 => Ok(Self::Alert),
            22 => Ok(Self::Handshake),
            23 => Ok(Self::ApplicationData),
            other => Err(WireError::UnknownContentType(other)),
        }
    }
}

/// A DTLS protocol version (RFC 6347 section 4.1: the one's complement of the TLS version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// DTLS 1.0 (0xFEFF), used in the record of a first ClientHello for compatibility.
    pub const DTLS1_0: Self = Self(0xFEFF);
    /// DTLS 1.2 (0xFEFD).
    pub const DTLS1_2: Self = Self(0xFEFD);
}

/// The largest sequence number a record can carry (48 bits).
pub const MAX_SEQUENCE: u64 = (1 << 48) - 1;

/// A parsed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The content type.
    pub content_type: ContentType,
    /// The record version.
    pub version: ProtocolVersion,
    /// The epoch: 0 before ChangeCipherSpec, incremented by each.
    pub epoch: u16,
    /// The 48-bit sequence number within the epoch.
    pub sequence: u64,
    /// Length of the fragment that follows.
    pub length: u16,
}

impl RecordHeader {
    /// Header length in bytes.
    pub const LEN: usize = 13;

    /// Parses the header at the start of `buf`; checks that the fragment fits in `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(buf);
        let content_type = ContentType::from_code(r.u8()?)?;
        let version = ProtocolVersion(r.u16()?);
        if version != ProtocolVersion::DTLS1_2 && version != ProtocolVersion::DTLS1_0 {
            return Err(WireError::BadVersion);
        }
        let epoch = r.u16()?;
        let sequence = r.u48()?;
        let length = r.u16()?;
        if buf.len() - Self::LEN < usize::from(length) {
            return Err(WireError::Truncated);
        }
        Ok(Self {
            content_type,
            version,
            epoch,
            sequence,
            length,
        })
    }

    /// The 8-byte `epoch || sequence_number` used in nonces and AAD.
    pub fn sequence_number_bytes(&self) -> [u8; 8] {
        ((u64::from(self.epoch) << 48) | (self.sequence & MAX_SEQUENCE)).to_be_bytes()
    }

    /// Total record length, header included.
    pub fn record_len(&self) -> usize {
        Self::LEN + usize::from(self.length)
    }

    /// Writes the header into `out`; returns [`RecordHeader::LEN`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let out = out.get_mut(..Self::LEN).ok_or(WireError::BufferTooSmall)?;
        out[0] = self.content_type.code();
        out[1..3].copy_from_slice(&self.version.0.to_be_bytes());
        out[3..11].copy_from_slice(&self.sequence_number_bytes());
        out[11..13].copy_from_slice(&self.length.to_be_bytes());
        Ok(Self::LEN)
    }
}

/// A zero-copy view of one record at the start of a buffer.
#[derive(Debug, Clone)]
pub struct Record<T: AsRef<[u8]>> {
    buffer: T,
    header: RecordHeader,
}

impl<T: AsRef<[u8]>> Record<T> {
    /// Validates the header and that the fragment fits; bytes after the record are allowed
    /// (several records share a datagram).
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let header = RecordHeader::parse(buffer.as_ref())?;
        Ok(Self { buffer, header })
    }

    /// The parsed header.
    pub fn header(&self) -> &RecordHeader {
        &self.header
    }

    /// The fragment (ciphertext in protected epochs).
    pub fn fragment(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(RecordHeader::LEN..self.header.record_len())
            .unwrap_or(&[])
    }

    /// The bytes after this record in the datagram.
    pub fn rest(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.header.record_len()..)
            .unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Record<T> {
    /// The fragment, for decryption in place.
    pub fn fragment_mut(&mut self) -> &mut [u8] {
        let end = self.header.record_len();
        self.buffer
            .as_mut()
            .get_mut(RecordHeader::LEN..end)
            .unwrap_or(&mut [])
    }
}

//! SCTP packets and chunks on the wire (RFC 9260 sections 3 and 3.3, RFC 3758 section 3.2,
//! RFC 6525 section 4, RFC 9653 section 5): zero-copy views and a writer.
//!
//! [`Packet::new_checked`] validates the common header and the framing of every chunk once;
//! after that the lazy [`ChunkIter`] cannot fail on framing and yields [`RawChunk`]s, which
//! [`Chunk::parse`] turns into typed borrowed views. Writing goes through [`PacketWriter`]
//! (in `builder.rs`), which appends chunks to the caller's buffer and finishes with the CRC32c
//! (or the zero checksum of RFC 9653 when the peer accepts it).

mod builder;
mod chunk;
mod param;
#[cfg(test)]
mod tests;

pub use self::builder::{InitParams, PacketWriter};
pub use self::chunk::{
    Chunk, ChunkType, DATA_HEADER_LEN, DataChunk, DataFlags, ForwardTsnChunk, InitChunk, SackChunk,
};
pub use self::param::{
    ErrorCause, ParamIter, ParamType, RawParam, ReconfigParam, ReconfigResult, StreamIdIter,
};

/// The common header's byte layout (RFC 9260 section 3.1).
pub(crate) mod field {
    use std::ops::Range;

    /// Source port number.
    pub(crate) const SRC_PORT: Range<usize> = 0..2;
    /// Destination port number.
    pub(crate) const DST_PORT: Range<usize> = 2..4;
    /// Verification tag.
    pub(crate) const VTAG: Range<usize> = 4..8;
    /// CRC32c checksum, little-endian byte order (RFC 9260 appendix B).
    pub(crate) const CHECKSUM: Range<usize> = 8..12;
}

/// The length of the common header (RFC 9260 section 3.1).
pub const COMMON_HEADER_LEN: usize = 12;
/// The length of a chunk header: type, flags, length (RFC 9260 section 3.2).
pub const CHUNK_HEADER_LEN: usize = 4;

/// Malformed bytes: why a packet, chunk or parameter could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Shorter than its fixed part.
    #[error("truncated")]
    Truncated,
    /// A length field disagrees with the bytes present.
    #[error("bad length")]
    BadLength,
    /// The CRC32c does not match (and a zero checksum was not acceptable).
    #[error("bad checksum")]
    BadChecksum,
    /// A well-framed value that breaks a rule of its RFC.
    #[error("invalid value: {0}")]
    Invalid(&'static str),
    /// The output buffer has no room for what was to be written.
    #[error("buffer too small")]
    BufferTooSmall,
}

/// Rounds `len` up to a multiple of 4 (chunks and parameters are padded so).
pub(crate) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// The bytes a DATA chunk with `payload` user bytes takes in a packet, padding included.
pub const fn padded_data_len(payload: usize) -> usize {
    padded(DATA_HEADER_LEN + payload)
}

/// A Transmission Sequence Number (RFC 9260 section 3.3.1), compared with serial number
/// arithmetic (RFC 1982) since it wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tsn(pub u32);

impl Tsn {
    /// The TSN after this one.
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }

    /// The TSN `n` after this one.
    pub const fn add(self, n: u32) -> Self {
        Self(self.0.wrapping_add(n))
    }

    /// How far `self` is after `earlier` (wrapping).
    pub const fn distance_from(self, earlier: Self) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// Whether `self` comes after `other` in serial number arithmetic.
    pub const fn is_after(self, other: Self) -> bool {
        (self.0.wrapping_sub(other.0) as i32) > 0
    }

    /// Whether `self` is `other` or comes after it.
    pub const fn is_at_or_after(self, other: Self) -> bool {
        (self.0.wrapping_sub(other.0) as i32) >= 0
    }
}

/// An SCTP stream identifier (RFC 9260 section 3.3.1); a data channel's id (RFC 8831).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId(pub u16);

/// A stream sequence number (RFC 9260 section 3.3.1), wrapping at 2^16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ssn(pub u16);

impl Ssn {
    /// The SSN after this one.
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }

    /// Whether `self` is `other` or comes after it (serial number arithmetic).
    pub const fn is_at_or_after(self, other: Self) -> bool {
        (self.0.wrapping_sub(other.0) as i16) >= 0
    }
}

/// A Payload Protocol Identifier (RFC 9260 section 3.3.1; WebRTC values in RFC 8831
/// section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ppid(pub u32);

impl Ppid {
    /// WebRTC DCEP (RFC 8832 section 8.1).
    pub const DCEP: Self = Self(50);
    /// WebRTC String (RFC 8831 section 8).
    pub const STRING: Self = Self(51);
    /// WebRTC Binary (RFC 8831 section 8).
    pub const BINARY: Self = Self(53);
    /// WebRTC String Empty (RFC 8831 section 8).
    pub const STRING_EMPTY: Self = Self(56);
    /// WebRTC Binary Empty (RFC 8831 section 8).
    pub const BINARY_EMPTY: Self = Self(57);
}

/// A verification tag (RFC 9260 section 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VerificationTag(pub u32);

/// An SCTP packet: the common header and its chunks, over any byte container.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer`, checking the header length and the framing of every chunk (each chunk
    /// length at least 4 and inside the packet; the last chunk may omit its padding).
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let bytes = buffer.as_ref();
        if bytes.len() < COMMON_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let mut rest = &bytes[COMMON_HEADER_LEN..];
        if rest.is_empty() {
            return Err(WireError::Invalid("packet without chunks"));
        }
        while !rest.is_empty() {
            let len = chunk_len(rest)?;
            rest = rest.get(padded(len)..).unwrap_or_default();
        }
        Ok(Self { buffer })
    }

    /// The source port.
    pub fn source_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT.start)
    }

    /// The destination port.
    pub fn destination_port(&self) -> u16 {
        self.u16_at(field::DST_PORT.start)
    }

    /// The verification tag.
    pub fn verification_tag(&self) -> VerificationTag {
        let b = self.buffer.as_ref();
        VerificationTag(u32::from_be_bytes([b[4], b[5], b[6], b[7]]))
    }

    /// The checksum field as stored (little-endian CRC32c; zero under RFC 9653).
    pub fn checksum(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_le_bytes([b[8], b[9], b[10], b[11]])
    }

    /// Whether the checksum is right, or is zero and `zero_ok` (RFC 9653 section 5.3).
    pub fn verify_checksum(&self, zero_ok: bool) -> bool {
        let stored = self.checksum();
        (zero_ok && stored == 0) || stored == compute_checksum(self.buffer.as_ref())
    }

    /// The chunks, lazily.
    pub fn chunks(&self) -> ChunkIter<'_> {
        ChunkIter {
            rest: &self.buffer.as_ref()[COMMON_HEADER_LEN..],
        }
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }
}

/// Reads a chunk's length field and checks it against the bytes present.
fn chunk_len(rest: &[u8]) -> Result<usize, WireError> {
    let header = rest.get(..CHUNK_HEADER_LEN).ok_or(WireError::Truncated)?;
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if len < CHUNK_HEADER_LEN || len > rest.len() {
        return Err(WireError::BadLength);
    }
    Ok(len)
}

/// The CRC32c of an SCTP packet with its checksum field taken as zero (RFC 9260 appendix B).
pub fn compute_checksum(packet: &[u8]) -> u32 {
    let Some(head) = packet.get(..field::CHECKSUM.start) else {
        return crc32c::crc32c(packet);
    };
    let crc = crc32c::crc32c(head);
    let crc = crc32c::crc32c_append(crc, &[0; 4]);
    crc32c::crc32c_append(crc, packet.get(COMMON_HEADER_LEN..).unwrap_or_default())
}

/// One chunk as framed on the wire: type, flags and value (padding excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    /// The chunk type.
    pub kind: ChunkType,
    /// The chunk flags.
    pub flags: u8,
    /// The value: the bytes after the chunk header, up to the chunk length.
    pub value: &'a [u8],
}

/// A lazy iterator over the chunks of a checked [`Packet`].
#[derive(Debug, Clone)]
pub struct ChunkIter<'a> {
    rest: &'a [u8],
}

impl<'a> ChunkIter<'a> {
    /// Iterates over chunks in `bytes` (the part of a packet after the common header),
    /// stopping at the first framing error.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = RawChunk<'a>;

    fn next(&mut self) -> Option<RawChunk<'a>> {
        let len = chunk_len(self.rest).ok()?;
        let chunk = RawChunk {
            kind: ChunkType(self.rest[0]),
            flags: self.rest[1],
            value: &self.rest[CHUNK_HEADER_LEN..len],
        };
        self.rest = self.rest.get(padded(len)..).unwrap_or_default();
        Some(chunk)
    }
}

/// Reads a big-endian u16 at `at`, if present.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Reads a big-endian u32 at `at`, if present.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

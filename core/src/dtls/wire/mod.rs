//! DTLS 1.2 wire format: parsing and writing only (RFC 6347 section 4, RFC 5246 section 7).
//!
//! No state, timers, RNG or panics. Records and handshake headers are read through
//! [`RecordHeader`] and [`HandshakeHeader`]; handshake bodies through the borrowed views in
//! [`messages`] and the extension summary in [`extensions`]. Writers take the caller's
//! buffer: records go into a `&mut [u8]` (one datagram), handshake bodies are appended to a
//! `Vec<u8>` that the flight keeps for retransmission.

pub mod alert;
pub mod extensions;
pub mod handshake;
pub mod messages;
pub mod record;

#[cfg(test)]
mod tests;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use extensions::{ExtensionType, Extensions};
pub use handshake::{HandshakeFragment, HandshakeFragments, HandshakeHeader, HandshakeType};
pub use record::{ContentType, ProtocolVersion, Record, RecordHeader};

/// Malformed bytes: what broke. Counted in the connection's statistics, never returned from
/// `handle_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The input ends before a field or a declared length.
    #[error("truncated")]
    Truncated,
    /// A length field is inconsistent with its contents or out of range.
    #[error("bad length")]
    BadLength,
    /// The record's content type is not one DTLS 1.2 defines.
    #[error("unknown content type {0}")]
    UnknownContentType(u8),
    /// The record or hello version is not DTLS 1.0 or 1.2.
    #[error("unsupported version")]
    BadVersion,
    /// Bytes remain after the last field.
    #[error("trailing bytes")]
    TrailingBytes,
    /// A field holds a value the format forbids.
    #[error("bad value: {0}")]
    BadValue(&'static str),
    /// The output buffer is too small.
    #[error("buffer too small")]
    BufferTooSmall,
}

/// A cursor over a byte slice with TLS's length-prefixed vectors (RFC 5246 section 4.3).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let (head, rest) = self.buf.split_at_checked(n).ok_or(WireError::Truncated)?;
        self.buf = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, WireError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(crate) fn u48(&mut self) -> Result<u64, WireError> {
        let b = self.take(6)?;
        Ok(u64::from_be_bytes([
            0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
        ]))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let b = self.take(N)?;
        let mut out = [0; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// A vector with a three-byte length prefix.
    pub(crate) fn vec24(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u24()?;
        self.take(n as usize)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes)
        }
    }
}

/// Appends TLS vectors to a `Vec<u8>`: the length prefix is patched when the closure returns.
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Writes a vector with a `prefix`-byte length (1, 2 or 3) around what `f` appends.
pub(crate) fn put_vec(out: &mut Vec<u8>, prefix: usize, f: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + prefix, 0);
    f(out);
    let len = out.len() - at - prefix;
    let bytes = (len as u32).to_be_bytes();
    out[at..at + prefix].copy_from_slice(&bytes[4 - prefix..]);
}

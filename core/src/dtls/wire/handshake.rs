//! The DTLS handshake header (RFC 6347 section 4.2.2).
//!
//! ```text
//! msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) body
//! ```

use super::{Reader, WireError, put_u16, put_u24};

/// A handshake message type (RFC 5246 section 7.4, RFC 6347 section 4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// hello_request (0).
    pub const HELLO_REQUEST: Self = Self(0);
    /// client_hello (1).
    pub const CLIENT_HELLO: Self = Self(1);
    /// server_hello (2).
    pub const SERVER_HELLO: Self = Self(2);
    /// hello_verify_request (3).
    pub const HELLO_VERIFY_REQUEST: Self = Self(3);
    /// certificate (11).
    pub const CERTIFICATE: Self = Self(11);
    /// server_key_exchange (12).
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    /// certificate_request (13).
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    /// server_hello_done (14).
    pub const SERVER_HELLO_DONE: Self = Self(14);
    /// certificate_verify (15).
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    /// client_key_exchange (16).
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    /// finished (20).
    pub const FINISHED: Self = Self(20);
}

/// A parsed handshake header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// The message type.
    pub msg_type: HandshakeType,
    /// Length of the whole message body.
    pub length: u32,
    /// The message's sequence number in the handshake.
    pub message_seq: u16,
    /// Offset of this fragment in the body.
    pub fragment_offset: u32,
    /// Length of this fragment.
    pub fragment_length: u32,
}

impl HandshakeHeader {
    /// Header length in bytes.
    pub const LEN: usize = 12;

    /// Parses a header and checks that the fragment lies within the message.
    pub fn parse(buf: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(buf);
        let h = Self {
            msg_type: HandshakeType(r.u8()?),
            length: r.u24()?,
            message_seq: r.u16()?,
            fragment_offset: r.u24()?,
            fragment_length: r.u24()?,
        };
        if u64::from(h.fragment_offset) + u64::from(h.fragment_length) > u64::from(h.length) {
            return Err(WireError::BadLength);
        }
        Ok(h)
    }

    /// Whether this fragment is the whole message.
    pub fn is_whole(&self) -> bool {
        self.fragment_offset == 0 && self.fragment_length == self.length
    }

    /// Appends the header to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.msg_type.0);
        put_u24(out, self.length);
        put_u16(out, self.message_seq);
        put_u24(out, self.fragment_offset);
        put_u24(out, self.fragment_length);
    }

    /// Writes the header into `out`; returns [`HandshakeHeader::LEN`].
    pub fn emit_into(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let out = out.get_mut(..Self::LEN).ok_or(WireError::BufferTooSmall)?;
        out[0] = self.msg_type.0;
        out[1..4].copy_from_slice(&self.length.to_be_bytes()[1..]);
        out[4..6].copy_from_slice(&self.message_seq.to_be_bytes());
        out[6..9].copy_from_slice(&self.fragment_offset.to_be_bytes()[1..]);
        out[9..12].copy_from_slice(&self.fragment_length.to_be_bytes()[1..]);
        Ok(Self::LEN)
    }
}

/// One handshake fragment: its header and body bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeFragment<'a> {
    /// The header.
    pub header: HandshakeHeader,
    /// The fragment's bytes (`fragment_length` of them).
    pub body: &'a [u8],
}

/// The handshake fragments in one record's plaintext, lazily.
#[derive(Debug, Clone)]
pub struct HandshakeFragments<'a> {
    rest: &'a [u8],
}

impl<'a> HandshakeFragments<'a> {
    /// Iterates over the fragments in `plaintext`.
    pub fn new(plaintext: &'a [u8]) -> Self {
        Self { rest: plaintext }
    }
}

impl<'a> Iterator for HandshakeFragments<'a> {
    type Item = Result<HandshakeFragment<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let parsed = HandshakeHeader::parse(self.rest).and_then(|header| {
            let mut r = Reader::new(self.rest);
            r.take(HandshakeHeader::LEN)?;
            let body = r.take(header.fragment_length as usize)?;
            self.rest = r.rest();
            Ok(HandshakeFragment { header, body })
        });
        if parsed.is_err() {
            self.rest = &[];
        }
        Some(parsed)
    }
}

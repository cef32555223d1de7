//! Errors, sorted by who is at fault (STYLE section 6).

use super::wire::AlertDescription;

/// Well-formed but illegal peer behaviour, or a local failure, that ends the handshake or
/// the connection. It is reported in [`CloseReason::Error`](super::CloseReason::Error) and
/// sent to the peer as the matching fatal alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtlsError {
    /// A message arrived that the handshake does not allow at this point.
    #[error("unexpected message: {0}")]
    UnexpectedMessage(&'static str),
    /// A handshake message did not parse.
    #[error("malformed handshake message: {0}")]
    Decode(&'static str),
    /// No cipher suite, group or signature scheme in common, or a required extension (such
    /// as extended_master_secret) missing.
    #[error("handshake failure: {0}")]
    HandshakeFailure(&'static str),
    /// A field holds a value the peer must not send.
    #[error("illegal parameter: {0}")]
    IllegalParameter(&'static str),
    /// The peer's certificate does not hash to the fingerprint from signalling.
    #[error("peer certificate does not match the signalled fingerprint")]
    FingerprintMismatch,
    /// The peer's certificate is missing or unusable.
    #[error("bad certificate: {0}")]
    BadCertificate(&'static str),
    /// A signature or Finished verify_data did not verify.
    #[error("decrypt error: {0}")]
    DecryptError(&'static str),
    /// The peer asked for renegotiation, which this implementation refuses.
    #[error("renegotiation refused")]
    NoRenegotiation,
    /// The handshake did not complete within the retransmission limit.
    #[error("handshake timed out")]
    Timeout,
    /// Reassembly or flight memory would exceed the configured bound.
    #[error("handshake message exceeds the configured limits")]
    TooLarge,
    /// A local failure in the crypto library.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl From<&DtlsError> for AlertDescription {
    fn from(e: &DtlsError) -> Self {
        match e {
            DtlsError::UnexpectedMessage(_) => Self::UNEXPECTED_MESSAGE,
            DtlsError::Decode(_) | DtlsError::TooLarge => Self::DECODE_ERROR,
            DtlsError::HandshakeFailure(_) | DtlsError::NoRenegotiation => Self::HANDSHAKE_FAILURE,
            DtlsError::IllegalParameter(_) => Self::ILLEGAL_PARAMETER,
            DtlsError::FingerprintMismatch | DtlsError::BadCertificate(_) => Self::BAD_CERTIFICATE,
            DtlsError::DecryptError(_) => Self::DECRYPT_ERROR,
            DtlsError::Timeout | DtlsError::Internal(_) => Self::INTERNAL_ERROR,
        }
    }
}

/// Why [`Connection::write`](super::Connection::write) refused data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The handshake has not completed yet.
    #[error("the handshake has not completed")]
    NotConnected,
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
    /// The data does not fit in one record within the configured MTU.
    #[error("application data larger than one record")]
    TooLarge,
    /// The outgoing queue is full; drain `poll_transmit` first.
    #[error("outgoing queue is full")]
    QueueFull,
}

/// Why keying material could not be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The handshake has not completed (or the connection failed before it did).
    #[error("the handshake has not completed")]
    NotConnected,
    /// No SRTP profile was negotiated.
    #[error("no srtp profile was negotiated")]
    NoSrtpProfile,
    /// The context is longer than 65535 bytes.
    #[error("exporter context too long")]
    ContextTooLong,
}

//! Why an association closed, and why a send failed.

/// Why an association closed: carried by [`super::Event::Closed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The SHUTDOWN sequence completed (RFC 9260 section 9.2).
    #[error("shut down")]
    Shutdown,
    /// We aborted ([`super::Association::abort`]).
    #[error("aborted locally")]
    LocalAbort,
    /// The peer sent ABORT.
    #[error("aborted by the peer")]
    PeerAbort,
    /// INIT or COOKIE ECHO went unanswered Max.Init.Retransmits times.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// Association.Max.Retrans consecutive timeouts (RFC 9260 section 8.1).
    #[error("peer unreachable")]
    Timeout,
    /// The peer broke the protocol; we sent ABORT with a Protocol Violation cause.
    #[error("protocol violation: {0}")]
    ProtocolViolation(&'static str),
}

/// Why [`super::Association::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The association is closed or shutting down.
    #[error("association closed")]
    Closed,
    /// The message is larger than the max-message-size.
    #[error("message of {size} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// SCTP cannot carry an empty message (send one byte with an "empty" PPID instead).
    #[error("empty message")]
    Empty,
    /// The send buffer limit would be exceeded; wait for the buffered amount to fall.
    #[error("send buffer full")]
    BufferFull,
    /// The stream number is at or above the negotiated stream count.
    #[error("stream {0} out of range")]
    InvalidStream(u16),
    /// The stream is being reset.
    #[error("stream {0} is being reset")]
    StreamResetting(u16),
}

//! Events for the application.

use bytes::Bytes;

use super::error::DtlsError;
use super::suite::{CipherSuite, SrtpProfile};
use super::wire::AlertDescription;

/// What [`Connection::poll_event`](super::Connection::poll_event) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtlsEvent {
    /// The handshake completed and the peer's certificate matched the fingerprint: keying
    /// material can be exported and application data flows.
    Connected {
        /// The negotiated cipher suite.
        cipher_suite: CipherSuite,
        /// The negotiated SRTP profile, if use_srtp was agreed.
        srtp_profile: Option<SrtpProfile>,
    },
    /// A client may write application data before the handshake completes (TLS False
    /// Start, RFC 7918; [`DtlsConfig::false_start`](super::DtlsConfig::false_start)): its
    /// Finished flight is queued, the server's certificate matched the fingerprint and its
    /// key exchange signature verified, but the server's Finished is not yet checked. Data
    /// written now goes out right behind the Finished flight. Keys cannot be exported yet;
    /// [`DtlsEvent::Connected`] follows once the server's Finished is verified, or
    /// [`DtlsEvent::Closed`] if it is wrong.
    FalseStart {
        /// The negotiated cipher suite.
        cipher_suite: CipherSuite,
    },
    /// One record of application data from the peer.
    ApplicationData(Bytes),
    /// The connection ended; nothing more will be sent or received.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Why a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent close_notify.
    PeerClosed,
    /// [`Connection::close`](super::Connection::close) was called.
    LocalClosed,
    /// The peer sent a fatal alert.
    PeerAlert(AlertDescription),
    /// This side failed the handshake or the connection (and sent the matching alert).
    Error(DtlsError),
}

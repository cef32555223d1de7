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

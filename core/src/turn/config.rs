//! What a TURN server is to the client: its address and long-term credentials.

use std::fmt;
use std::net::SocketAddr;

/// A TURN server to allocate a relayed candidate on (RFC 8656), with the long-term
/// credentials of RFC 8489 section 9.2 (the `username`/`credential` of a browser's
/// `RTCIceServer`).
///
/// The realm comes from the server's first 401. `username` and `password` are hashed as given
/// (see [`long_term_key`](crate::stun::long_term_key)). Only UDP to the server is supported.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// The server's UDP address.
    pub addr: SocketAddr,
    /// The long-term username.
    pub username: String,
    /// The long-term password.
    pub password: String,
}

impl TurnServer {
    /// A server at `addr` with these credentials.
    pub fn new(addr: SocketAddr, username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            addr,
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password stays out of logs.
        f.debug_struct("TurnServer")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why an allocation failed or was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnError {
    /// The server refused our credentials (401 to an authenticated request).
    Unauthorized,
    /// The server answered with this error code (for example 486 Allocation Quota Reached,
    /// 508 Insufficient Capacity, 437 Allocation Mismatch).
    Refused(u16),
    /// The server did not answer.
    Timeout,
    /// A success response without the addresses it must carry.
    BadResponse,
}

impl fmt::Display for TurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("TURN server refused the credentials"),
            Self::Refused(code) => write!(f, "TURN server refused with error {code}"),
            Self::Timeout => f.write_str("TURN server did not answer"),
            Self::BadResponse => f.write_str("TURN server sent a malformed response"),
        }
    }
}

impl std::error::Error for TurnError {}

//! SRTP errors, sorted by who is at fault (all `Copy`: they are made per packet).

/// Why [`MasterKey::new`](super::MasterKey::new) or
/// [`SrtpKeys::from_keying_material`](super::SrtpKeys::from_keying_material) refused its
/// input: a caller mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key, salt or keying material does not have the profile's length.
    #[error("key material has the wrong length for the profile")]
    BadLength,
}

/// Why a packet could not be protected: a caller mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectError {
    /// The packet is not a well-formed RTP or RTCP packet (too short, wrong version, or a
    /// header longer than the packet).
    #[error("not a well-formed packet")]
    Malformed,
    /// The buffer has no room after the packet for the tag (and, for SRTCP, the index).
    #[error("buffer too small for the authentication tag")]
    BufferTooSmall,
    /// The context already tracks its maximum number of SSRCs.
    #[error("too many SSRCs in one context")]
    TooManySsrcs,
    /// The packet index (2^48 for SRTP, 2^31 for SRTCP) is used up: the keys must change
    /// (RFC 3711 section 9.2).
    #[error("packet index exhausted: rekey")]
    IndexExhausted,
}

/// Why a received packet was rejected. Each rejection is also counted in
/// [`SrtpStats`](super::SrtpStats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnprotectError {
    /// Too short for its header and tag, or not RTP/RTCP version 2.
    #[error("malformed srtp packet")]
    Malformed,
    /// The authentication tag did not verify (tampered, wrong key or wrong ROC guess).
    #[error("authentication failed")]
    AuthFailed,
    /// The packet index was already received (RFC 3711 section 3.3.2).
    #[error("replayed packet")]
    Replayed,
    /// The packet index is older than the replay window.
    #[error("packet older than the replay window")]
    TooOld,
    /// A new SSRC, but the context already tracks its maximum number of SSRCs.
    #[error("too many ssrcs")]
    TooManySsrcs,
}

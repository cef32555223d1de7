//! Caller mistakes returned by the agent's commands.

/// Why a command that adds a candidate, an address or a server was refused.
///
/// Bad input from the network is never returned as an error: it is dropped and counted in
/// [`IceStats`](super::IceStats). These errors are mistakes by the caller (or by the remote
/// peer's signalling, which the caller passes through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// The configured limit on remote candidates
    /// ([`IceConfig::max_remote_candidates`](super::IceConfig::max_remote_candidates)), on host
    /// addresses, or on STUN servers is reached.
    #[error("too many candidates")]
    TooManyCandidates,
    /// The address is unspecified, has port 0, is multicast, or is otherwise unusable.
    #[error("unusable address")]
    BadAddress,
    /// The candidate uses a transport other than UDP (TCP candidates are not supported).
    #[error("unsupported transport")]
    UnsupportedTransport,
    /// The candidate is for a component other than 1 (RTP and RTCP are multiplexed).
    #[error("unsupported component")]
    UnsupportedComponent,
    /// A remote candidate arrived after end-of-candidates for the current ICE session.
    #[error("candidate after end-of-candidates")]
    AfterEndOfCandidates,
    /// A STUN server was added to an ice-lite agent, which gathers host candidates only.
    #[error("ice-lite agents do not gather server-reflexive candidates")]
    Lite,
    /// The agent is closed.
    #[error("agent is closed")]
    Closed,
    /// An SDP `candidate` attribute could not be parsed; the string names the field.
    #[error("malformed candidate attribute: {0}")]
    Malformed(&'static str),
}

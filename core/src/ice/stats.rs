//! Counters kept by the agent: every dropped datagram is counted here.

/// Statistics of an [`Agent`](super::Agent), for tests and monitoring.
///
/// Each STUN message the agent sees lands in `stun_received` and, if it is not used, in
/// exactly one of the `stun_malformed`, `stun_unauthenticated` or `stun_dropped_*` counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceStats {
    /// STUN messages handed to [`handle_stun`](super::Agent::handle_stun).
    pub stun_received: u64,
    /// Messages that failed to parse, or requests without a FINGERPRINT, a valid one, or a
    /// role attribute, or with unknown comprehension-required attributes.
    pub stun_malformed: u64,
    /// Requests or responses whose USERNAME or MESSAGE-INTEGRITY did not match.
    pub stun_unauthenticated: u64,
    /// Responses matching no transaction in flight (late, duplicated, or not ours).
    pub stun_dropped_unknown_transaction: u64,
    /// Messages dropped because the agent is closed or failed.
    pub stun_dropped_state: u64,
    /// Requests dropped because a limit on remote candidates, pairs or queued responses was
    /// reached, or because no local candidate matches the destination.
    pub stun_dropped_limit: u64,
    /// Responses whose source is not the address the request went to (RFC 8445 section
    /// 7.2.5.2.1); the check fails.
    pub stun_dropped_asymmetric: u64,
    /// Binding indications received (keepalives), which need no answer.
    pub indications_received: u64,
    /// Connectivity checks sent, retransmissions included.
    pub checks_sent: u64,
    /// Retransmissions among `checks_sent`.
    pub check_retransmits: u64,
    /// Checks that got a success response.
    pub checks_succeeded: u64,
    /// Checks that timed out or got an error response.
    pub checks_failed: u64,
    /// Success responses sent to the peer's checks.
    pub responses_sent: u64,
    /// Error responses sent: 487 (Role Conflict) and 420 (Unknown Attribute).
    pub error_responses_sent: u64,
    /// Role conflicts detected, by request or by 487 response.
    pub role_conflicts: u64,
    /// Consent freshness checks sent (RFC 7675).
    pub consent_checks_sent: u64,
    /// Consent responses received.
    pub consent_responses_received: u64,
    /// Binding indications sent as keepalives.
    pub keepalives_sent: u64,
    /// Binding requests sent to STUN servers for server-reflexive candidates.
    pub gather_requests_sent: u64,
    /// Remote peer-reflexive candidates learned from checks.
    pub remote_peer_reflexive: u64,
    /// Pairs not added because the check list was full of better pairs.
    pub pairs_dropped: u64,
    /// Outgoing messages dropped because the caller's buffer was too small.
    pub transmit_errors: u64,
    /// The TURN allocations' counters, summed (filled in by [`Agent::stats`](super::Agent::stats)).
    pub turn: crate::turn::TurnStats,
}

//! Counters of TURN allocations.

/// What the TURN client did and dropped, summed over an agent's allocations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TurnStats {
    /// Requests written (Allocate, Refresh, CreatePermission, ChannelBind), retransmissions
    /// included.
    pub requests_sent: u64,
    /// Retransmissions among those.
    pub retransmits: u64,
    /// Responses that answered a request of ours.
    pub responses_received: u64,
    /// Responses to our requests dropped: wrong method, or a success without a valid
    /// MESSAGE-INTEGRITY.
    pub responses_dropped: u64,
    /// Datagrams relayed to peers (ChannelData or Send indications).
    pub relayed_sent: u64,
    /// Datagrams relayed from peers (ChannelData or Data indications).
    pub relayed_received: u64,
    /// Relayed datagrams dropped: unknown channel, not allocated, or too big to frame.
    pub relay_dropped: u64,
    /// Permissions not asked for: the per-allocation limit was reached.
    pub permissions_refused: u64,
    /// Requests not started: too many in flight.
    pub requests_refused: u64,
    /// CreatePermission requests that failed.
    pub permission_failures: u64,
    /// ChannelBind requests that failed (the peer gets Send indications instead).
    pub channel_failures: u64,
}

impl TurnStats {
    /// Adds `other`'s counters to these.
    pub(crate) fn add(&mut self, other: &Self) {
        self.requests_sent += other.requests_sent;
        self.retransmits += other.retransmits;
        self.responses_received += other.responses_received;
        self.responses_dropped += other.responses_dropped;
        self.relayed_sent += other.relayed_sent;
        self.relayed_received += other.relayed_received;
        self.relay_dropped += other.relay_dropped;
        self.permissions_refused += other.permissions_refused;
        self.requests_refused += other.requests_refused;
        self.permission_failures += other.permission_failures;
        self.channel_failures += other.channel_failures;
    }
}

//! Counters of one association.

/// What an association has seen and done. Plain counters, cheap to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SctpStats {
    /// Packets accepted.
    pub packets_received: u64,
    /// Packets written by `poll_transmit`.
    pub packets_sent: u64,
    /// Packets dropped as malformed.
    pub malformed: u64,
    /// Packets dropped for a bad checksum.
    pub bad_checksum: u64,
    /// Packets dropped for a wrong verification tag or chunk placement.
    pub bad_tag: u64,
    /// DATA chunks sent for the first time.
    pub data_chunks_sent: u64,
    /// DATA chunks retransmitted (any cause).
    pub retransmissions: u64,
    /// Chunks marked by fast retransmit (three miss indications).
    pub fast_retransmits: u64,
    /// Fast recovery entries (RFC 9260 section 7.2.4).
    pub fast_recoveries: u64,
    /// T3-rtx expirations.
    pub t3_expirations: u64,
    /// Messages abandoned under partial reliability (RFC 3758).
    pub messages_abandoned: u64,
    /// FORWARD-TSN chunks sent.
    pub forward_tsn_sent: u64,
    /// DATA chunks received (including duplicates).
    pub data_chunks_received: u64,
    /// Duplicate DATA chunks received.
    pub duplicate_chunks: u64,
    /// DATA chunks dropped for lack of window or tracking room.
    pub chunks_dropped: u64,
    /// Ordered chunks dropped because their stream had already moved past their SSN.
    pub stale_chunks: u64,
    /// Fragments dropped by a FORWARD-TSN (parts of abandoned messages).
    pub fragments_forwarded: u64,
    /// Messages delivered.
    pub messages_delivered: u64,
    /// User bytes delivered.
    pub bytes_delivered: u64,
}

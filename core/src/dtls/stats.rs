//! Counters.

/// What a connection has seen and sent. Bad input shows up here, never as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DtlsStats {
    /// Datagrams handed to `handle_record`.
    pub datagrams_received: u64,
    /// Records that parsed.
    pub records_received: u64,
    /// Records or datagrams that did not parse.
    pub malformed: u64,
    /// Protected records that failed authentication (dropped, not fatal).
    pub auth_failures: u64,
    /// Records dropped by the anti-replay window.
    pub replayed: u64,
    /// Records dropped for another reason (unknown epoch, wrong state, unexpected type).
    pub dropped: u64,
    /// Datagrams written by `poll_transmit`.
    pub datagrams_sent: u64,
    /// Bytes written by `poll_transmit`.
    pub bytes_sent: u64,
    /// HelloVerifyRequests sent (server).
    pub hello_verify_requests: u64,
    /// ClientHellos that carried a cookie that did not verify (server).
    pub bad_cookies: u64,
    /// Flight retransmissions, by timer or in answer to a repeated peer flight.
    pub retransmissions: u64,
    /// Application-data bytes received.
    pub app_bytes_received: u64,
}

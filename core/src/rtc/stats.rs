//! Counters of a peer connection, in the spirit of W3C `getStats`.

use crate::dtls::DtlsStats;
use crate::ice::IceStats;
use crate::sctp::SctpStats;
use crate::sdp::Mid;

/// What [`Rtc::stats`](super::Rtc::stats) returns.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RtcStats {
    /// Datagrams handed to `handle_datagram`.
    pub datagrams_received: u64,
    /// Their bytes.
    pub bytes_received: u64,
    /// Datagrams that no layer took (unknown kind, failed checks, before keys).
    pub datagrams_dropped: u64,
    /// Datagrams written by `poll_transmit`.
    pub datagrams_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// Events dropped because the application did not drain them.
    pub events_dropped: u64,
    /// ICE counters.
    pub ice: IceStats,
    /// DTLS counters, once DTLS started.
    pub dtls: Option<DtlsStats>,
    /// SCTP counters, once data channels started.
    pub sctp: Option<SctpStats>,
    /// SCTP packets DTLS refused to queue (SCTP retransmits them).
    pub sctp_write_errors: u64,
    /// DTLS records that arrived before the signalling finished.
    pub early_dtls_records: u64,
    /// SRTP and SRTCP packets that failed authentication or replay checks.
    pub srtp_unprotect_failures: u64,
    /// RTP packets for no known track, or malformed.
    pub media_dropped: u64,
    /// Per track, by mid.
    pub tracks: Vec<(Mid, TrackStats)>,
}

/// Counters of one media track (`inbound-rtp` and `outbound-rtp` together).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TrackStats {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Frames sent through the frame-level API.
    pub frames_sent: u64,
    /// RTP packets received.
    pub packets_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Packets received with a payload type the track does not decode (RTX included).
    pub packets_discarded: u64,
    /// Packets the depacketizer reported lost or dropped.
    pub packets_lost: u64,
    /// Whole frames received.
    pub frames_received: u64,
    /// Of which keyframes.
    pub keyframes_received: u64,
    /// PLIs we sent.
    pub keyframe_requests_sent: u64,
    /// PLIs and FIRs the peer sent.
    pub keyframe_requests_received: u64,
    /// Packets sent again in answer to the peer's NACKs.
    pub retransmitted_packets_sent: u64,
    /// NACK packets the peer sent us.
    pub nacks_received: u64,
    /// NACK packets we sent.
    pub nacks_sent: u64,
    /// Lost packets repaired by retransmission.
    pub packets_repaired: u64,
    /// Cumulative loss of what we receive, as our receiver reports count it.
    pub packets_lost_reported: i64,
    /// Interarrival jitter of what we receive, in seconds (RFC 3550 A.8).
    pub jitter: f64,
    /// Cumulative loss the peer reports for what we send.
    pub remote_packets_lost: i64,
    /// Round-trip time from the peer's receiver reports.
    pub round_trip_time: Option<std::time::Duration>,
}

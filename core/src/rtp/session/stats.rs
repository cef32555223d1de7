//! Statistics in the spirit of WebRTC `getStats()` (W3C webrtc-stats `RTCOutboundRtpStreamStats`,
//! `RTCInboundRtpStreamStats`, `RTCRemoteInboundRtpStreamStats`), per stream and per session.

use std::time::Duration;

use crate::rtp::Ssrc;

/// One send stream's figures, from [`RtpSession::send_stats`](super::RtpSession::send_stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendStats {
    /// The stream.
    pub ssrc: Ssrc,
    /// Original packets sent (`packetsSent`), retransmissions excluded.
    pub packets_sent: u64,
    /// Payload bytes of those packets (`bytesSent`), headers and padding excluded.
    pub bytes_sent: u64,
    /// Header and padding bytes of those packets (`headerBytesSent`).
    pub header_bytes_sent: u64,
    /// Retransmissions sent, by RTX or plainly (`retransmittedPacketsSent`).
    pub retransmitted_packets_sent: u64,
    /// Payload bytes of those retransmissions (`retransmittedBytesSent`).
    pub retransmitted_bytes_sent: u64,
    /// NACKed packets no longer in the history, or beyond the retransmission queue's bound.
    pub retransmissions_missed: u64,
    /// NACKed packets not resent because they were queued or resent less than a round trip
    /// before.
    pub nacks_ignored: u64,
    /// Sender reports sent.
    pub sender_reports_sent: u64,
    /// Generic NACK packets received about this stream (`nackCount`).
    pub nack_count: u64,
    /// Sequence numbers those NACKs asked for.
    pub nacked_packets: u64,
    /// PLIs received (`pliCount`).
    pub pli_count: u64,
    /// New FIR requests received (`firCount`); repeats of one request are not counted.
    pub fir_count: u64,
    /// Report blocks received about this stream (`reportsReceived`).
    pub reports_received: u64,
    /// The remote's fraction lost of the last report block, in 1/256.
    pub remote_fraction_lost: u8,
    /// The remote's cumulative packets lost (`packetsLost` of the remote-inbound stats).
    pub remote_packets_lost: i64,
    /// The remote's interarrival jitter, in timestamp units.
    pub remote_jitter: u32,
    /// The last round-trip time computed from a report block's LSR and DLSR
    /// (`roundTripTime`).
    pub round_trip_time: Option<Duration>,
    /// Round-trip time measurements (`roundTripTimeMeasurements`).
    pub round_trip_time_measurements: u64,
}

/// One receive stream's figures, from [`RtpSession::recv_stats`](super::RtpSession::recv_stats).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct RecvStats {
    /// The stream.
    pub ssrc: Ssrc,
    /// Original packets received (`packetsReceived`): duplicates and retransmissions
    /// excluded, so [`packets_lost`](Self::packets_lost) is the network's loss.
    pub packets_received: u64,
    /// Payload bytes of those packets (`bytesReceived`).
    pub bytes_received: u64,
    /// Header and padding bytes of those packets (`headerBytesReceived`).
    pub header_bytes_received: u64,
    /// Packets dropped as duplicates (`packetsDiscarded` counts these, among others).
    pub packets_duplicated: u64,
    /// Originals recovered from RTX or plain retransmissions (`retransmittedPacketsReceived`
    /// counts the useful ones).
    pub packets_repaired: u64,
    /// RTX packets received, useful or not.
    pub rtx_packets_received: u64,
    /// Cumulative packets lost as reported in RR blocks (RFC 3550 section 6.4.1): expected
    /// minus received originals (`packetsLost`).
    pub packets_lost: i64,
    /// The fraction lost of the last report block sent, in 1/256.
    pub fraction_lost: u8,
    /// The extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units (RFC 3550 appendix A.8).
    pub jitter: u32,
    /// The same in seconds (`jitter`).
    pub jitter_seconds: f64,
    /// Generic NACK packets sent (`nackCount`).
    pub nack_count: u64,
    /// Sequence numbers asked for in those NACKs.
    pub nacked_packets: u64,
    /// Gaps currently waiting for a retransmission.
    pub nack_missing: usize,
    /// Gaps given up after the configured number of NACKs.
    pub nack_given_up: u64,
    /// Gaps evicted unrecovered because too many were open.
    pub nack_evicted: u64,
    /// PLIs sent (`pliCount`).
    pub pli_count: u64,
    /// FIRs sent (`firCount`).
    pub fir_count: u64,
    /// Sender reports received from this source.
    pub sender_reports_received: u64,
    /// The remote's packet count of its last SR (`packetsSent` of the remote-outbound stats).
    pub remote_packets_sent: u32,
    /// The remote's octet count of its last SR (`bytesSent` of the remote-outbound stats).
    pub remote_bytes_sent: u32,
    /// Whether the source sent a BYE.
    pub bye_received: bool,
}

/// Session-wide counters, from [`RtpSession::stats`](super::RtpSession::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionStats {
    /// RTCP packets (compound or reduced-size) written by `poll_rtcp`.
    pub rtcp_packets_sent: u64,
    /// RTCP datagrams handled.
    pub rtcp_packets_received: u64,
    /// RTCP packets or datagrams that failed to parse (the rest of a datagram after a framing
    /// error is skipped).
    pub rtcp_malformed: u64,
    /// RTCP packets of types the session does not act on (APP, XR, unknown feedback).
    pub rtcp_skipped: u64,
    /// RTCP packets about SSRCs the session does not know.
    pub rtcp_unknown_ssrc: u64,
    /// RTP packets handed to `handle_rtp` that were malformed.
    pub rtp_malformed: u64,
    /// RTP packets handed to `handle_rtp` with an SSRC no stream has.
    pub rtp_unknown_ssrc: u64,
    /// REMB packets received.
    pub remb_received: u64,
    /// The bitrate of the last REMB, in bits per second.
    pub remb_bitrate: Option<u64>,
    /// Transport-wide congestion control feedback packets received (not yet acted on).
    pub twcc_received: u64,
    /// Transport-wide congestion control feedback packets sent.
    pub twcc_sent: u64,
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
}

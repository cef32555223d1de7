//! RTP and RTCP (RFC 3550, 3551, 4585, 5104, 8285), and the per-stream pieces of a media
//! path.
//!
//! # What is here
//!
//! - Newtypes: [`Ssrc`], [`Pt`], [`SeqNo`] (wrap-aware comparisons), [`RtpTimestamp`].
//! - [`wire`]: zero-copy RTP [`Packet`](wire::Packet) view with in-place setters and RFC 8285
//!   one- and two-byte header extensions, [`PacketBuilder`](wire::PacketBuilder); RTCP
//!   compound and reduced-size iteration, SR, RR, SDES, BYE, generic NACK, PLI, FIR, REMB and
//!   transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
//!   extensions-01), each with a builder; unknown types are skipped.
//! - [`ExtensionMap`]: negotiated extension ids by URI ([`ExtensionKind`]: mid, rid,
//!   repaired-rid, abs-send-time, transport-wide sequence number, audio level (RFC 6464),
//!   video orientation), typed reading ([`ExtensionMap::read`] into [`HeaderExtensions`])
//!   and writing ([`ExtensionMap::encode`]).
//! - [`ReceiverStats`]: extended highest sequence number, cumulative loss, fraction lost per
//!   interval (RFC 3550 appendix A.3), interarrival jitter (appendix A.8), LSR/DLSR, as a
//!   [`ReportBlock`](wire::ReportBlock); [`NtpTime::at`] derives SR times from a wall-clock
//!   epoch plus elapsed `Instant`s (never a clock read); [`round_trip_time`] from an RR.
//! - [`NackGenerator`]: receiver-side gaps to NACK, bounded and rate-limited per packet.
//! - [`TwccRecorder`]: receiver-side transport-wide congestion control feedback: arrival
//!   times by transport-wide sequence number, written as [`TwccBuilder`](wire::TwccBuilder)s.
//! - [`PacketHistory`]: the sender's recent packets in a ring allocated once, answering
//!   NACKs by plain retransmission or RTX (RFC 4588, [`parse_rtx_payload`] on the receiving
//!   side).
//! - [`payload`]: packetizers and depacketizers per codec.
//!
//! Nothing here allocates per packet after construction (checked by `tests/srtp_alloc.rs`
//! with a counting allocator on an SFU forward path).
//!
//! # Not yet
//!
//! - The per-SSRC sender/receiver state machines that own these pieces with timers
//!   (`handle_*`/`poll_*`): RTCP scheduling (RFC 3550 section 6.2 intervals), SR generation
//!   inside the core, keyframe-request events from PLI/FIR, and the sender-side use of TWCC
//!   feedback (bandwidth estimation). The simulator's `sansrtc_tests::media` peers compose the pieces by hand for the `nack_*`
//!   and `rtcp_report_*` scenarios.
//! - RFC 3550 appendix A.1 probation for new sources and restart detection after large
//!   sequence jumps (jumps of 3000 or more are ignored by [`ReceiverStats`]).
//! - XR (RFC 3611), APP and RTCP-in-RTP demultiplexing beyond the RFC 5761 rule.

mod extension;
mod history;
mod nack;
pub mod payload;
mod receiver_stats;
pub mod session;
mod twcc_recorder;
mod types;
pub mod wire;

pub use extension::{
    AudioLevel, EncodedExtensions, ExtensionKind, ExtensionMap, ExtensionMapError,
    HeaderExtensions, VideoOrientation,
};
pub use history::{PacketHistory, parse_rtx_payload, unwrap_rtx};
pub use nack::NackGenerator;
pub use receiver_stats::{NtpTime, ReceiverStats, round_trip_time};
pub use twcc_recorder::{TwccRecorder, twcc_arrival_offset};
pub use types::{Pt, RtpTimestamp, SeqNo, Ssrc};

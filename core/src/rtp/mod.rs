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
//! - [`session::RtpSession`]: the machine that owns the pieces above for every stream of a
//!   transport (`handle_*`/`poll_*`): per send stream the SR counters and the packet history
//!   answering NACKs by RTX or plain resend; per receive stream reception statistics,
//!   duplicate detection, NACK generation and in-place RTX unwrapping; RTCP scheduling
//!   (RFC 3550 section 6.3 interval, randomised 0.5 to 1.5, from a key drawn at
//!   construction), compound SR/RR + SDES CNAME + feedback (or reduced-size, RFC 5506), PLI
//!   and FIR requests and events (RFC 4585, RFC 5104), BYE both ways, transport-wide
//!   congestion control feedback for the negotiated extension, round-trip times, and
//!   getStats-like [`SendStats`](session::SendStats)/[`RecvStats`](session::RecvStats).
//!   The caller does SRTP, packetization and pacing.
//!
//! Nothing here allocates per packet after construction (checked with a counting allocator
//! by `tests/srtp_alloc.rs` on an SFU forward path, and by `tests/rtp_session_alloc.rs` on an
//! `RtpSession` pair with loss, reports, NACK/RTX, PLI and transport-wide feedback).
//!
//! # Not yet
//!
//! - The sender-side use of feedback: bandwidth estimation from TWCC and REMB (REMB and
//!   TWCC packets are only counted), pacing, and the rewriting of the transport-wide
//!   sequence number on retransmissions (an RTX packet keeps the original's header
//!   extensions).
//! - RTCP interval scaling by session bandwidth and reconsideration (RFC 3550 sections
//!   6.3.2 to 6.3.7): the interval is one configured value, as in browsers. RFC 4585's
//!   `trr-int` and early-packet budget: feedback goes as soon as it is due.
//! - RTX for more than one media payload type per RTX payload type, and RFC 4588's
//!   session-multiplexed RTX (RTX always has its own SSRC here).
//! - SRs and report blocks for RTX streams (received RTX packets are counted per media
//!   stream); XR (RFC 3611), including the receiver-side RTT of receive-only sessions;
//!   APP packets (skipped).
//! - Demultiplexing by MID/RID and SSRC latching: streams are added by SSRC and an unknown
//!   SSRC is reported to the caller.
//! - RFC 3550 appendix A.1 probation for new sources and restart detection after large
//!   sequence jumps (jumps of 3000 or more are ignored by [`ReceiverStats`]).
//! - RTCP-in-RTP demultiplexing beyond the RFC 5761 rule.

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

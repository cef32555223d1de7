//! RTP and RTCP wire formats: zero-copy views and builders into the caller's buffer.
//!
//! - RTP (RFC 3550 section 5.1): [`Packet`] validates once in [`Packet::new_checked`];
//!   accessors for every header field, CSRCs, RFC 8285 one-byte and two-byte header
//!   extension elements ([`Packet::extensions`]), payload and padding; setters rewrite in
//!   place. [`PacketBuilder`] writes one.
//! - RTCP (RFC 3550 section 6, RFC 4585, RFC 5104, RFC 5506 reduced-size):
//!   [`Compound`] iterates the packets of a compound or reduced-size datagram as
//!   [`RtcpPacket`] views, and [`RtcpPacket::parse`] types them as [`Rtcp`]: SR, RR (with
//!   [`ReportBlock`]s), SDES, BYE, generic NACK, PLI, FIR, REMB and transport-wide
//!   congestion control feedback; other types come back as [`Rtcp::Unknown`] so the caller
//!   can skip them. Each has a builder with `buffer_len` and `emit`.
//!
//! Nothing here allocates, logs or panics on any input.

mod builder;
mod feedback;
mod packet;
mod report;
mod rtcp;
#[cfg(test)]
mod tests;
mod twcc;

pub use builder::{MAX_CSRCS, PacketBuilder};
pub use feedback::{Fir, FirBuilder, FirEntry, Nack, NackBuilder, Pli, Remb, RembBuilder};
pub use packet::{Extension, Extensions, HEADER_LEN, ONE_BYTE_PROFILE, Packet, TWO_BYTE_PROFILE};
pub use report::{
    Bye, ByeBuilder, ReceiverReport, ReceiverReportBuilder, ReportBlock, Sdes, SdesBuilder,
    SdesChunk, SdesItem, SenderInfo, SenderReport, SenderReportBuilder,
};
pub use rtcp::{Compound, Rtcp, RtcpPacket, RtcpType};
pub use twcc::{DELTA_UNIT_MICROS, Twcc, TwccBuilder, TwccStatus};

/// What is wrong with an RTP or RTCP packet, or why one could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than its headers or length fields say.
    #[error("truncated packet")]
    Truncated,
    /// Not version 2.
    #[error("bad version")]
    BadVersion,
    /// A length or count field is inconsistent with the packet's contents.
    #[error("bad length or count")]
    BadLength,
    /// The padding count is zero or longer than the packet.
    #[error("bad padding")]
    BadPadding,
    /// A TWCC chunk uses the reserved status symbol or does not cover the status count.
    #[error("bad transport-wide cc chunk")]
    BadChunk,
    /// The buffer given to a builder is too small.
    #[error("buffer too small")]
    BufferTooSmall,
    /// A value does not fit its field (too many CSRCs or report blocks, a long value, a
    /// TWCC delta out of range).
    #[error("value too large for its field")]
    ValueTooLarge,
}

//! Configuration of an [`RtpSession`](super::RtpSession) and of the streams added to it, and
//! the errors those commands return.

use std::time::{Duration, Instant, SystemTime};

use crate::rtp::{Pt, Ssrc};

/// Settings of an [`RtpSession`](super::RtpSession): every RTP stream of one transport.
///
/// Built with [`SessionConfig::new`] and adjusted through the public fields:
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// use sansrtc::rtp::session::SessionConfig;
///
/// # fn demo(wall_epoch: SystemTime, epoch: Instant) {
/// let mut config = SessionConfig::new("user@host", wall_epoch, epoch);
/// config.rtcp_interval = Duration::from_secs(5);
/// config.reduced_size = true;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The canonical name sent in every compound RTCP packet's SDES (RFC 3550 section
    /// 6.5.1); at most 255 bytes are sent.
    pub cname: String,
    /// The wall-clock time at [`epoch`](Self::epoch): SR NTP times are this plus the time
    /// elapsed since `epoch`, never a clock read.
    pub wall_epoch: SystemTime,
    /// The instant at which the wall clock read [`wall_epoch`](Self::wall_epoch).
    pub epoch: Instant,
    /// The mean interval between regular RTCP reports (RFC 3550 section 6.2). Each interval
    /// is drawn uniformly from 0.5 to 1.5 times this (section 6.3.1); the first report goes
    /// after half of one. WebRTC stacks use about 1 s for video and 5 s for audio; the
    /// session uses one value for all its streams. Default 1 s.
    pub rtcp_interval: Duration,
    /// Reduced-size RTCP (RFC 5506, SDP `a=rtcp-rsize`): feedback (NACK, PLI, FIR) goes out
    /// alone instead of inside a compound packet with a report and SDES. Default `false`.
    pub reduced_size: bool,
    /// The SSRC that signs RTCP while the session has no send stream (a receive-only
    /// session still sends receiver reports and feedback). Default 1, as browsers do.
    pub receive_only_ssrc: Ssrc,
    /// The largest RTP packet a send stream's history keeps for retransmission. Default
    /// 1500 bytes.
    pub max_packet_len: usize,
    /// The most send streams. Default 16.
    pub max_send_streams: usize,
    /// The most receive streams. Default 16.
    pub max_recv_streams: usize,
    /// The most gaps one receive stream tracks for NACK; older ones are evicted. Default 256.
    pub nack_max_missing: usize,
    /// How many times one missing packet is NACKed before it is given up. Default 10.
    pub nack_max_tries: u8,
    /// How often missing packets are checked for a NACK while some are missing; also the
    /// delay before a new gap is first NACKed, which lets slightly reordered packets arrive.
    /// Default 20 ms.
    pub nack_interval: Duration,
    /// The wait before the same packet is NACKed again: about one round trip. When the
    /// session measures a round-trip time (from reports about its own streams) it waits
    /// the larger of this and 1.25 times that. Default 100 ms.
    pub nack_resend_after: Duration,
    /// The most retransmissions one send stream queues for
    /// [`poll_retransmit`](super::RtpSession::poll_retransmit); NACKed packets beyond this
    /// are not answered. Default 256.
    pub max_pending_retransmits: usize,
    /// The most undelivered events; more are dropped and counted. Default 64.
    pub max_events: usize,
    /// The negotiated id of the transport-wide sequence number header extension
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01, SDP `a=extmap:<id>
    /// http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01` with
    /// `a=rtcp-fb:<pt> transport-cc`): when set, every RTP packet carrying it is recorded and
    /// transport-wide feedback goes every [`twcc_interval`](Self::twcc_interval). Default
    /// `None`: no feedback.
    pub twcc_extension_id: Option<u8>,
    /// The interval of transport-wide feedback while packets arrive. Default 100 ms.
    pub twcc_interval: Duration,
    /// The most arrivals kept between two feedbacks; older ones are dropped first.
    /// Default 2048.
    pub twcc_max_arrivals: usize,
}

impl SessionConfig {
    /// The defaults, with the canonical name and the wall-clock epoch pair.
    pub fn new(cname: &str, wall_epoch: SystemTime, epoch: Instant) -> Self {
        Self {
            cname: cname.to_owned(),
            wall_epoch,
            epoch,
            rtcp_interval: Duration::from_secs(1),
            reduced_size: false,
            receive_only_ssrc: Ssrc(1),
            max_packet_len: 1500,
            max_send_streams: 16,
            max_recv_streams: 16,
            nack_max_missing: 256,
            nack_max_tries: 10,
            nack_interval: Duration::from_millis(20),
            nack_resend_after: Duration::from_millis(100),
            max_pending_retransmits: 256,
            max_events: 64,
            twcc_extension_id: None,
            twcc_interval: Duration::from_millis(100),
            twcc_max_arrivals: 2048,
        }
    }
}

/// The retransmission stream paired with a media stream (RFC 4588, SDP `a=ssrc-group:FID`
/// and `a=rtpmap:<pt> rtx/<rate>` with `a=fmtp:<pt> apt=<media pt>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RtxConfig {
    /// The RTX stream's SSRC.
    pub ssrc: Ssrc,
    /// `(media payload type, RTX payload type)` pairs, one per negotiated codec.
    pub payload_types: Vec<(Pt, Pt)>,
}

impl RtxConfig {
    /// An RTX stream `ssrc` carrying retransmissions of payload type `media_pt` as `rtx_pt`.
    pub fn new(ssrc: Ssrc, media_pt: Pt, rtx_pt: Pt) -> Self {
        Self {
            ssrc,
            payload_types: vec![(media_pt, rtx_pt)],
        }
    }

    /// Adds another `(media payload type, RTX payload type)` pair.
    #[must_use]
    pub fn with_pair(mut self, media_pt: Pt, rtx_pt: Pt) -> Self {
        self.payload_types.push((media_pt, rtx_pt));
        self
    }

    pub(crate) fn rtx_pt_of(&self, media: Pt) -> Option<Pt> {
        self.payload_types
            .iter()
            .find(|(m, _)| *m == media)
            .map(|(_, r)| *r)
    }

    pub(crate) fn media_pt_of(&self, rtx: Pt) -> Option<Pt> {
        self.payload_types
            .iter()
            .find(|(_, r)| *r == rtx)
            .map(|(m, _)| *m)
    }
}

/// A stream this session sends: RTP packets the caller reports through
/// [`on_rtp_sent`](super::RtpSession::on_rtp_sent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendStreamConfig {
    /// The media stream's SSRC.
    pub ssrc: Ssrc,
    /// The RTP clock rate in Hz (90 000 for video, 48 000 for Opus).
    pub clock_rate: u32,
    /// Answer NACKs (RFC 4585 section 6.2.1, SDP `a=rtcp-fb:<pt> nack`): keep a history of
    /// sent packets. Default `true`.
    pub nack: bool,
    /// How many recent packets the history keeps for retransmission. It is allocated once,
    /// `history_len` times [`SessionConfig::max_packet_len`] bytes. Default 512 (about
    /// one second of 4 Mbit/s video).
    pub history_len: usize,
    /// Retransmit on this RTX stream; without it, NACKed packets are resent as they were.
    pub rtx: Option<RtxConfig>,
}

impl SendStreamConfig {
    /// A send stream `ssrc` at `clock_rate` Hz, NACKs answered by plain retransmission.
    pub fn new(ssrc: Ssrc, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            nack: true,
            history_len: 512,
            rtx: None,
        }
    }

    /// The same stream with retransmissions on `rtx`.
    #[must_use]
    pub fn with_rtx(mut self, rtx: RtxConfig) -> Self {
        self.rtx = Some(rtx);
        self
    }
}

/// A stream this session receives: RTP packets the caller hands to
/// [`handle_rtp`](super::RtpSession::handle_rtp).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecvStreamConfig {
    /// The remote media stream's SSRC.
    pub ssrc: Ssrc,
    /// The RTP clock rate in Hz, for jitter.
    pub clock_rate: u32,
    /// Send NACKs for missing packets (SDP `a=rtcp-fb:<pt> nack`). Default `true`.
    pub nack: bool,
    /// The RTX stream carrying this stream's retransmissions.
    pub rtx: Option<RtxConfig>,
}

impl RecvStreamConfig {
    /// A receive stream `ssrc` at `clock_rate` Hz, with NACK and without RTX.
    pub fn new(ssrc: Ssrc, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            nack: true,
            rtx: None,
        }
    }

    /// The same stream with its retransmissions on `rtx`.
    #[must_use]
    pub fn with_rtx(mut self, rtx: RtxConfig) -> Self {
        self.rtx = Some(rtx);
        self
    }

    /// The same stream with NACKs on or off.
    #[must_use]
    pub fn with_nack(mut self, nack: bool) -> Self {
        self.nack = nack;
        self
    }
}

/// Why a stream command was refused: a caller mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The session already has its configured maximum of streams in that direction.
    #[error("too many streams")]
    TooManyStreams,
    /// The SSRC (or the RTX SSRC) is already used by a stream in that direction.
    #[error("ssrc {0} already in use")]
    DuplicateSsrc(Ssrc),
    /// No stream has this SSRC.
    #[error("no stream with ssrc {0}")]
    UnknownSsrc(Ssrc),
    /// The clock rate is 0.
    #[error("clock rate must not be zero")]
    ZeroClockRate,
}

//! One media track: an audio/video m-section's sending and receiving state.

use std::time::Instant;

use super::{Delivery, TrackInfo};
use crate::rtc::stats::TrackStats;
use crate::rtp::payload::{AnyFormat, AnyPacketizer, Codec, Depacketizer};
use crate::rtp::{Pt, Ssrc};
use crate::sdp::Direction;

/// A track.
#[derive(Debug)]
pub(super) struct Track {
    pub(super) info: TrackInfo,
    /// Our SSRC, when we send.
    pub(super) ssrc: Option<Ssrc>,
    pub(super) next_seq: u16,
    pub(super) packetizer: Option<(Pt, AnyPacketizer)>,
    /// The peer's SSRCs on this track (learned or signalled).
    pub(super) remote_ssrcs: Vec<Ssrc>,
    pub(super) depacketizer: Option<(Pt, Codec, Depacketizer<AnyFormat>)>,
    pub(super) delivery: Delivery,
    pub(super) pli_due: bool,
    pub(super) last_pli: Option<Instant>,
    pub(super) stats: TrackStats,
    pub(super) announced: bool,
}

/// The most SSRCs the peer may use on one track (media, RTX, simulcast layers).
pub(super) const MAX_REMOTE_SSRCS: usize = 8;

impl Track {
    pub(super) fn new(info: TrackInfo, ssrc: Option<Ssrc>) -> Self {
        Self {
            info,
            ssrc,
            next_seq: 0,
            packetizer: None,
            remote_ssrcs: Vec::new(),
            depacketizer: None,
            delivery: Delivery::Frames,
            pli_due: false,
            last_pli: None,
            stats: TrackStats::default(),
            announced: false,
        }
    }

    pub(super) fn sends(&self) -> bool {
        matches!(
            self.info.direction,
            Direction::SendRecv | Direction::SendOnly
        )
    }

    pub(super) fn codec(&self, pt: Pt) -> Option<Codec> {
        self.info
            .codecs
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|&(_, c)| c)
    }

    /// The clock rate of the track's first codec.
    pub(super) fn clock_rate(&self) -> u32 {
        self.info
            .codecs
            .first()
            .map_or(90_000, |&(_, c)| c.clock_rate())
    }
}

//! Errors of the peer connection's commands.

use crate::datachannel::{ChannelSendError, OpenError};
use crate::sdp::{AnswerError, OfferError, SdpError};

/// Why a signalling command ([`Rtc::create_offer`](super::Rtc::create_offer),
/// [`Rtc::accept_offer`](super::Rtc::accept_offer),
/// [`Rtc::accept_answer`](super::Rtc::accept_answer), the direct API) was refused. The peer
/// connection is unchanged by a refused command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The description did not parse.
    #[error("malformed sdp: {0}")]
    Sdp(#[from] SdpError),
    /// An offer could not be written.
    #[error("cannot create offer: {0}")]
    Offer(#[from] OfferError),
    /// The offer could not be answered.
    #[error("cannot answer offer: {0}")]
    Answer(#[from] AnswerError),
    /// An answer arrived but no offer of ours is outstanding, or an offer arrived while ours is.
    #[error("{0} in the wrong signalling state")]
    WrongState(&'static str),
    /// The remote description lacks something WebRTC requires.
    #[error("remote description has no {0}")]
    Missing(&'static str),
    /// A value in the remote description is unusable.
    #[error("remote description has a bad {0}")]
    Bad(&'static str),
    /// The remote certificate fingerprint changed after DTLS started (that needs a new peer
    /// connection).
    #[error("remote fingerprint changed after dtls started")]
    FingerprintChanged,
    /// The peer connection is closed.
    #[error("peer connection closed")]
    Closed,
}

/// Why [`Rtc::open_channel`](super::Rtc::open_channel) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The channel table refused.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The negotiation has no data-channel section and cannot get one (the peer rejected it).
    #[error("data channels were rejected by the peer")]
    Rejected,
    /// The peer connection is closed.
    #[error("peer connection closed")]
    Closed,
}

/// Why [`Rtc::send`](super::Rtc::send) refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No such channel (never opened, or closed).
    #[error("no such channel")]
    UnknownChannel,
    /// The channel is not open yet (the transport is still connecting).
    #[error("channel not open yet")]
    NotOpen,
    /// The channel refused the message.
    #[error(transparent)]
    Channel(#[from] ChannelSendError),
}

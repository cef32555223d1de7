//! What a peer connection tells the application: [`Event`], [`PeerState`], [`ChannelId`].

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::dtls;
use crate::ice::{Candidate, IceConnectionState};
use crate::rtc::media::{MediaFrame, RtpPacketEvent, TrackInfo};
use crate::sctp;
use crate::sdp::Mid;

/// A data channel of one [`Rtc`](super::Rtc): a handle that stays valid from
/// [`Rtc::open_channel`](super::Rtc::open_channel) (or [`Event::ChannelOpen`] for channels
/// the peer opens) until [`Event::ChannelClosed`], whether or not the transport is up yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub(crate) u32);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel {}", self.0)
    }
}

/// The peer connection's state, as the W3C `RTCPeerConnectionState` (ICE and DTLS together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerState {
    /// Nothing negotiated yet.
    New,
    /// ICE checks or the DTLS handshake under way.
    Connecting,
    /// ICE has a selected pair and DTLS is up.
    Connected,
    /// ICE lost consent for a while; it may come back.
    Disconnected,
    /// ICE failed or DTLS failed; nothing more flows (an ICE restart may recover from an ICE
    /// failure).
    Failed,
    /// [`Rtc::close`](super::Rtc::close) was called, or the peer closed DTLS.
    Closed,
}

/// Why the peer connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// [`Rtc::close`](super::Rtc::close) was called.
    Local,
    /// The DTLS connection ended (peer close_notify, an alert, or a handshake failure).
    Dtls(dtls::CloseReason),
    /// ICE failed: no path to the peer, or consent lost.
    IceFailed,
}

/// What [`Rtc::poll_event`](super::Rtc::poll_event) returns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The peer connection's state changed.
    StateChanged(PeerState),
    /// The ICE connection state changed.
    IceStateChanged(IceConnectionState),
    /// A new local candidate to signal to the peer (trickle ICE).
    LocalCandidate(Candidate),
    /// Every local candidate has been reported.
    GatheringComplete,
    /// Traffic now goes from `local` to `remote`.
    SelectedPairChanged {
        /// The local address (the socket's).
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
    },
    /// DTLS is up: data channels and media can flow.
    Connected,
    /// A data channel is open: one of ours once the association is up, or one the peer
    /// opened.
    ChannelOpen {
        /// The channel.
        id: ChannelId,
        /// Its label.
        label: String,
    },
    /// A message arrived on a channel.
    ChannelMessage {
        /// The channel.
        id: ChannelId,
        /// The bytes (copied at most once from the network).
        data: Bytes,
        /// Binary, or UTF-8 text.
        binary: bool,
    },
    /// The channel's buffered amount fell to its low threshold.
    ChannelBufferedAmountLow(ChannelId),
    /// The channel closed.
    ChannelClosed(ChannelId),
    /// The SCTP association closed (every channel closes with it).
    ChannelsClosed(sctp::CloseReason),
    /// A media section was negotiated: the track can be written to and read from as its
    /// direction says.
    Track(TrackInfo),
    /// A whole media frame arrived (frame-level API).
    Frame(MediaFrame),
    /// An RTP packet arrived (packet-level API; only for tracks that asked for packets).
    Rtp(RtpPacketEvent),
    /// The peer asked for a keyframe on a track we send (PLI or FIR).
    KeyframeRequest(Mid),
    /// A TURN allocation failed or was lost: no relayed candidate from `server`.
    RelayFailed {
        /// The TURN server.
        server: SocketAddr,
        /// Why.
        error: crate::turn::TurnError,
    },
    /// The peer connection closed; nothing more will be sent or reported.
    Closed(CloseReason),
}

//! WebRTC data channels (RFC 8831) and the Data Channel Establishment Protocol (RFC 8832)
//! over one SCTP association ([`crate::sctp`]).
//!
//! - [`wire`]: DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK (RFC 8832 section 5), parsed from and
//!   written to byte slices; labels and protocols are UTF-8.
//! - [`DataChannels`]: the channel table over an [`crate::sctp::Association`].
//!   - Opening: in-band channels pick the lowest free stream id of our parity (DTLS client
//!     even, server odd, RFC 8832 section 6), send DATA_CHANNEL_OPEN reliably and ordered,
//!     and send ordered until the ACK arrives; the peer's OPEN is answered with an ACK.
//!     Negotiated channels use an id agreed out of band and no DCEP. An OPEN on an id in
//!     use is a collision (the peer broke the parity rule): dropped and counted.
//!   - Messages use the PPIDs of RFC 8831 section 8 (string, binary, and the "empty"
//!     variants carrying one zero byte). Sends are limited by our own
//!     [`crate::sctp::SctpConfig::max_message_size`] and by the peer's
//!     `a=max-message-size` once [`DataChannels::set_remote_max_message_size`] applies it
//!     (RFC 8841 section 6.1). A channel's priority (ours, or the one in the peer's OPEN)
//!     weights the association's stream scheduler
//!     ([`crate::sctp::Association::set_stream_priority`], RFC 8831 section 6.4).
//!   - Closing resets the channel's outgoing stream (RFC 8831 section 6.7); the peer resets
//!     its own in turn and both report [`ChannelEvent::Closed`], whichever side closes
//!     first, or both at once. A reset of a stream without a channel is answered with ours
//!     so that the peer's close completes. A peer OPEN for an id whose old channel the peer
//!     has reset but we have not finished closing (the peer reused the id at once) is held,
//!     with the messages behind it, and opened as soon as the old channel closes.
//!   - `bufferedAmount` and the low-threshold event come from the association's per-stream
//!     accounting.
//!
//! # Not yet
//!
//! - A close the peer refuses to perform (RFC 6525 "denied" and the errors) ends the channel
//!   on our side only, without a retry; browsers perform them. The association answers
//!   the peer's Incoming SSN Reset Requests "denied" (RFC 8831 closes with outgoing resets
//!   only).

mod channels;
pub mod wire;

pub use self::channels::{
    ChannelConfig, ChannelEvent, ChannelInfo, ChannelSendError, ChannelState, DataChannels,
    DtlsRole, OpenError,
};

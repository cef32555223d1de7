//! WebRTC data channels (RFC 8831) and the Data Channel Establishment Protocol (RFC 8832)
//! over one SCTP association ([`crate::sctp`]).
//!
//! - [`wire`]: DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK (RFC 8832 section 5), parsed from and
//!   written to byte slices; labels and protocols are UTF-8.
//! - [`DataChannels`]: the channel table over an [`crate::sctp::Association`]. In-band
//!   channels pick the lowest free stream id of our parity (DTLS client even, server odd,
//!   RFC 8832 section 6), send DATA_CHANNEL_OPEN reliably and ordered, and send ordered until
//!   the ACK arrives; the peer's OPEN is answered with an ACK. Negotiated channels use an id
//!   agreed out of band and no DCEP. Messages use the PPIDs of RFC 8831 section 8 (string,
//!   binary, and the "empty" variants carrying one zero byte). A channel closes by resetting
//!   its outgoing stream (RFC 8831 section 6.7); the peer resets its own in turn and both
//!   report [`ChannelEvent::Closed`]. `bufferedAmount` and the low-threshold event come from
//!   the association's per-stream accounting. Sends are limited by our own
//!   [`crate::sctp::SctpConfig::max_message_size`] and by the peer's `a=max-message-size`
//!   once [`DataChannels::set_remote_max_message_size`] applies it (RFC 8841 section 6.1).
//!
//! # Not yet
//!
//! - Priority is carried in DCEP but does not weight stream scheduling (queues are served
//!   first in, first out).
//! - DCEP OPEN collisions (both sides opening the same id) drop the peer's OPEN.

mod channels;
pub mod wire;

pub use self::channels::{
    ChannelConfig, ChannelEvent, ChannelInfo, ChannelSendError, ChannelState, DataChannels,
    DtlsRole, OpenError,
};

//! The peer connection: one API over ICE, DTLS, SRTP, RTP and SCTP ([`Rtc`]).
//!
//! An [`Rtc`] is one WebRTC peer connection with one transport (max-bundle, RFC 8843):
//!
//! - ICE ([`crate::ice`]) finds a path; the side that offers controls.
//! - DTLS ([`crate::dtls`]) starts on the selected pair once the signalling gave the peer's
//!   fingerprint and the `a=setup` roles; its certificate must match the fingerprint. Its
//!   retransmission timer starts at twice the round-trip time ICE measured (100 ms to 1 s).
//! - SCTP data channels ([`crate::datachannel`]) ride in DTLS records (RFC 8261). With SNAP
//!   (draft-hancke-tsvwg-snap: our INIT as `a=sctp-init` in offers and in answers to offers
//!   that carry one, or in [`DirectParameters`]) and the peer's INIT in hand, the association
//!   starts established when DTLS connects; otherwise both sides send INIT then (RFC 8841),
//!   and DATA_CHANNEL_OPEN and the first messages ride behind COOKIE ECHO. Zero checksum
//!   (RFC 9653) when both support it. As the DTLS client, SCTP starts with our Finished
//!   flight by DTLS False Start (RFC 7918, [`RtcConfig::dtls_false_start`]), once the peer's
//!   certificate matched its fingerprint; [`Event::Connected`] and the SRTP keys wait for the
//!   server's Finished. Setup to the first message: 6 one-way flights when the channel's
//!   opener is the DTLS server, 5 when it is the client (8 and 7 without SNAP, 7 for the
//!   client without False Start).
//! - SRTP keys come from the DTLS exporter (RFC 5764); tracks send and receive frames or
//!   plain RTP packets ([`Rtc::write_frame`], [`Rtc::write_rtp`], [`Event::Frame`],
//!   [`Event::Rtp`], chosen per track with [`Rtc::set_delivery`]); their payloads are cut
//!   from a reused buffer, so receiving allocates nothing per packet or frame. An [`RtpSession`](crate::rtp::session::RtpSession) sends sender and
//!   receiver reports, NACKs and answers NACKs with RTX, carries PLI/FIR, and sends
//!   transport-wide feedback when negotiated.
//! - Incoming datagrams are told apart by their first byte (RFC 7983).
//!
//! Signalling is the application's: [`Rtc::create_offer`] / [`Rtc::accept_answer`],
//! [`Rtc::accept_offer`], trickled candidates with [`Rtc::add_remote_candidate`]; or the
//! direct API ([`Rtc::direct_parameters`], [`Rtc::direct_connect`]) for peers that skip SDP.
//!
//! # Memory
//!
//! Buffers start empty or small and grow with use: the SCTP arenas, the outstanding-chunk
//! queue, the DTLS receive chunk, the event queues and the ICE lists. What a burst grew is
//! given back once idle: the SCTP arenas and queues at each heartbeat interval, the DTLS
//! buffers after 5 s without a record (checked when a timer fires). A connected peer with
//! one data channel holds about 35 KiB once idle (`tests/tests/rtc_idle_memory.rs`), while
//! a steady transfer still allocates nothing per message.
//!
//! # Not yet
//!
//! - Bandwidth estimation from the feedback received (REMB and TWCC are only counted),
//!   simulcast sending, and renegotiating the codecs of a live track.
//! - DTLS restart (a new fingerprint needs a new `Rtc`); rollback of an offer (glare is
//!   refused, not rolled back); TURN relay candidates.

mod channels;
mod config;
mod direct;
mod error;
mod event;
mod media;
mod negotiate;
mod peer;
mod stats;
mod transport;

#[cfg(test)]
mod tests;

pub use channels::ChannelStats;
pub use config::{DEFAULT_MTU, RtcConfig};
pub use direct::DirectParameters;
pub use error::{ChannelError, NegotiationError, SendError};
pub use event::{ChannelId, CloseReason, Event, PeerState};
pub use media::{Delivery, MediaError, MediaFrame, RtpHeader, RtpPacketEvent, TrackInfo};
pub use peer::Rtc;
pub use stats::{RtcStats, TrackStats};

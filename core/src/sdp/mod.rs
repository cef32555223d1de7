//! SDP (RFC 8866) and JSEP offer/answer (RFC 8829) on descriptions.
//!
//! This module reads and writes session descriptions and computes offers and answers from a
//! [`LocalConfig`]. It holds no connection state and depends on no transport: the peer
//! connection feeds the negotiated values (ICE credentials, candidates, fingerprint, DTLS
//! role, payload types, header-extension ids, SCTP port) to its machines.
//!
//! # Model, parser and writer
//!
//! - [`SessionDescription`] and [`MediaSection`] hold the structural lines (`v o s c b t m`)
//!   typed, and the attributes as a list of [`Attribute`] in their original order, so a
//!   description writes back as it was read. The typed attributes cover what WebRTC uses:
//!   `group` (BUNDLE) and `bundle-only` (RFC 8843), `rtcp-mux` (RFC 5761), `rtcp-mux-only`
//!   (RFC 8858), `rtcp-rsize` (RFC 5506), `ice-ufrag`/`ice-pwd`/`ice-options`/`ice-lite`
//!   and `candidate` (RFC 8839), `end-of-candidates` (RFC 8840), `fingerprint` (RFC 8122),
//!   `setup` (RFC 4145), `mid` (RFC 5888), `msid` (RFC 8830), `msid-semantic`, the
//!   directions, `rtpmap` and `fmtp` (RFC 8866), `rtcp-fb` (RFC 4585), `extmap` and
//!   `extmap-allow-mixed` (RFC 8285), `ssrc` and `ssrc-group` (RFC 5576), `rid` (RFC 8851),
//!   `simulcast` (RFC 8853), `sctp-port` and `max-message-size` (RFC 8841), `sctp-init`
//!   (SNAP, draft-hancke-tsvwg-snap). Everything else
//!   is [`Attribute::Other`].
//! - Parsing ([`SessionDescription::parse`]) is line-based, accepts `\n` or `\r\n`, never
//!   panics, and reports a malformed structural line as an [`SdpError`] with its line number.
//!   An attribute never fails the description: an attribute is kept typed only when writing
//!   it back gives the same text, else it is kept verbatim as [`Attribute::Other`]. Candidate
//!   lines the ICE agent cannot use (TCP, mDNS host names) are kept as [`CandidateLine`]s
//!   without a parsed [`Candidate`](crate::ice::Candidate).
//! - Numbers in structural lines (`o=` id and version, `b=`, `t=`, the `m=` port) must be
//!   plain decimal without sign or leading zeros, so that they write back unchanged; other
//!   spellings are a parse error.
//! - Writing (`to_string()`) uses `\r\n` and writes attributes in their stored order; the
//!   builders store them in the order Chromium writes them. `parse(write(x)) == x`, and a
//!   browser's description writes back byte for byte.
//!
//! # Offer/answer (RFC 8829)
//!
//! - [`create_offer`]: the initial offer from [`LocalConfig::media`]: max-bundle (one BUNDLE
//!   group, one transport; every section carries the same transport attributes, as browsers
//!   write them, rather than `a=bundle-only`), `a=setup:actpass`, trickle, our codecs (Opus,
//!   PCMU, PCMA; VP8, VP9, H.264, AV1 with RTX) and header extensions, the data-channel
//!   section, sending tracks as `msid`/`ssrc` lines or simulcast `rid` lines.
//! - [`create_reoffer`]: a subsequent offer: mids and section order stay, sections added,
//!   stopped ones written with port 0, ICE restart by new credentials in the config.
//! - [`create_answer`]: the answer to any offer, initial or subsequent; see its docs for the
//!   rules.
//! - Like Chromium, every bundled section carries the same ICE credentials, fingerprint,
//!   setup and candidates, and the `m=` line the first candidate's address.
//! - Answering is linear in the size of the offer (payload types index fixed tables, mids a
//!   hash map, repeated formats and feedback are collapsed), so a hostile offer costs
//!   bounded work per byte.
//!
//! Answering a browser's data-channel offer:
//!
//! ```
//! use sansrtc::sdp::{Fingerprint, LocalConfig, SessionDescription, Setup, create_answer};
//!
//! let offer = SessionDescription::parse(concat!(
//!     "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n",
//!     "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n",
//!     "a=ice-ufrag:3npo\r\na=ice-pwd:eDSJLrQu7Ox+79FveKCePAE8\r\n",
//!     "a=fingerprint:sha-256 C6:AC:43:5E\r\na=setup:actpass\r\na=mid:0\r\n",
//!     "a=sctp-port:5000\r\na=max-message-size:262144\r\n",
//! ))?;
//! let ours = Fingerprint::sha256([0xab; 32]);
//! let config = LocalConfig::new(7, "sAns", "sansrtc-password-0123456789", ours);
//! let answer = create_answer(&offer, &config)?;
//! assert_eq!(answer.media[0].setup(), Some(Setup::Active));
//! assert!(answer.to_string().contains("a=group:BUNDLE 0\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! These are plain functions over values: there are no `handle_*`/`poll_*` methods here. The
//! peer connection keeps the last local and remote descriptions and calls them.
//!
//! # Not yet
//!
//! - Answering an offer whose sections are not bundled (we run one transport), and offering
//!   `balanced`/`max-compat` bundle policies or `a=bundle-only` (offered `bundle-only`
//!   sections are answered).
//! - Reusing the slot of a stopped m-section for a new one (RFC 8829 5.2.2 allows it; we
//!   append).
//! - Applying a remote answer to check it against our offer (codec subset, extmap ids): the
//!   peer connection will read the answer's values through the accessors.
//! - RID restrictions (`pt=`, `max-width=`...) are parsed as text, not interpreted; the
//!   answer drops them. `a=simulcast` written `recv .. send ..` stays untyped.
//! - Per-payload-type parameters beyond the codec match (e.g. Opus `stereo`, H.264 level
//!   negotiation beyond echoing the offer's `profile-level-id`).

mod answer;
mod attribute;
mod build;
mod codec;
mod config;
mod error;
mod model;
mod offer;
mod parse;
mod types;
mod write;

#[cfg(test)]
mod tests;

pub use answer::create_answer;
pub use attribute::{
    Attribute, CandidateLine, Extmap, Fmtp, Group, MAX_EXTMAP_ID, MAX_SCTP_INIT_LEN, Msid,
    MsidSemantic, Rid, RidDirection, RtcpFb, Rtpmap, SctpInit, Simulcast, SimulcastRid,
    SsrcAttribute, SsrcGroup, fmtp_param,
};
pub use codec::{
    EXT_ABS_SEND_TIME, EXT_AUDIO_LEVEL, EXT_MID, EXT_REPAIRED_RID, EXT_RID, EXT_TWCC,
    EXT_VIDEO_ORIENTATION, codec_matches, default_audio_codecs, default_extensions,
    default_video_codecs,
};
pub use config::{
    CodecSpec, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_SCTP_PORT, ExtensionSpec, LocalConfig,
    MediaRequest, SendTrack,
};
pub use error::{AnswerError, OfferError, SdpError};
pub use model::{
    Bandwidth, Codec, Connection, MediaSection, Origin, OtherLine, SessionDescription, Timing,
};
pub use offer::{create_offer, create_reoffer};
pub use types::{
    Direction, FORMAT_DATACHANNEL, Fingerprint, MAX_MID_LEN, MediaKind, Mid, PROTO_RTP, PROTO_SCTP,
    Pt, Setup, Ssrc,
};

//! What the local side offers and accepts: [`LocalConfig`].

use crate::ice::Candidate;
use crate::sdp::attribute::Rtpmap;
use crate::sdp::codec::{default_audio_codecs, default_extensions, default_video_codecs};
use crate::sdp::types::{Direction, Fingerprint, MediaKind, Mid, Pt, Setup, Ssrc};

/// The SCTP port WebRTC uses for data channels (RFC 8841 section 5.1 default, and what
/// every browser writes).
pub const DEFAULT_SCTP_PORT: u16 = 5000;

/// The largest data-channel message we accept, signalled as `a=max-message-size`
/// (RFC 8841 section 6.1); Chromium and Firefox write the same value.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 262_144;

/// The local side of an offer/answer exchange: transport parameters, codecs, header
/// extensions and the m-sections we want.
///
/// Build with [`LocalConfig::new`] and adjust the public fields. The same value serves
/// [`create_offer`](crate::sdp::create_offer), [`create_reoffer`](crate::sdp::create_reoffer)
/// and [`create_answer`](crate::sdp::create_answer).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalConfig {
    /// The `o=` session id: random, fixed for the session (RFC 8829 5.2.1).
    pub session_id: u64,
    /// The `o=` version of the next description written from this config.
    pub session_version: u64,
    /// Our ICE username fragment; a new one in a re-offer is an ICE restart (RFC 8839 4.4.1.1.1).
    pub ice_ufrag: String,
    /// Our ICE password.
    pub ice_pwd: String,
    /// True if our ICE agent is ice-lite (written as session-level `a=ice-lite`).
    pub ice_lite: bool,
    /// True to write `a=ice-options:trickle` (RFC 8840).
    pub trickle: bool,
    /// The fingerprint of our DTLS certificate.
    pub fingerprint: Fingerprint,
    /// Candidates gathered so far, written into every bundled m-section.
    pub candidates: Vec<Candidate>,
    /// True to write `a=end-of-candidates` (gathering is complete).
    pub end_of_candidates: bool,
    /// Our DTLS role when the offer says `actpass`: [`Setup::Active`] (we are the DTLS
    /// client, as RFC 8842 5.3 recommends) or [`Setup::Passive`].
    pub answer_setup: Setup,
    /// The audio codecs we support, in order of preference.
    pub audio_codecs: Vec<CodecSpec>,
    /// The video codecs we support, in order of preference.
    pub video_codecs: Vec<CodecSpec>,
    /// The RTP header extensions we support.
    pub extensions: Vec<ExtensionSpec>,
    /// The RTCP CNAME of our sending sources (RFC 7022).
    pub cname: String,
    /// The m-sections we want, by mid: what we offer, and how we answer the offered
    /// sections with the same mid.
    pub media: Vec<MediaRequest>,
    /// Our direction for offered audio/video sections that `media` does not name.
    pub default_direction: Direction,
    /// Accept offered audio sections that `media` does not name.
    pub accept_audio: bool,
    /// Accept offered video sections that `media` does not name.
    pub accept_video: bool,
    /// Accept an offered data-channel section.
    pub accept_data: bool,
    /// Write `a=rtcp-mux-only` in offers (RFC 8858; JSEP's `require` policy).
    pub rtcp_mux_only: bool,
    /// Our `a=sctp-port`.
    pub sctp_port: u16,
    /// Our `a=max-message-size`.
    pub max_message_size: u64,
    /// Our SCTP INIT chunk for `a=sctp-init` (SNAP): written in offers, and in answers to
    /// offers that carry one. `None` writes none.
    pub sctp_init: Option<Vec<u8>>,
}

impl LocalConfig {
    /// A config with our default codecs and header extensions, no m-sections requested,
    /// accepting audio, video and data when answering.
    pub fn new(session_id: u64, ice_ufrag: &str, ice_pwd: &str, fingerprint: Fingerprint) -> Self {
        Self {
            session_id,
            session_version: 1,
            ice_ufrag: ice_ufrag.to_owned(),
            ice_pwd: ice_pwd.to_owned(),
            ice_lite: false,
            trickle: true,
            fingerprint,
            candidates: Vec::new(),
            end_of_candidates: false,
            answer_setup: Setup::Active,
            audio_codecs: default_audio_codecs(),
            video_codecs: default_video_codecs(),
            extensions: default_extensions(),
            cname: "sansrtc".to_owned(),
            media: Vec::new(),
            default_direction: Direction::SendRecv,
            accept_audio: true,
            accept_video: true,
            accept_data: true,
            rtcp_mux_only: false,
            sctp_port: DEFAULT_SCTP_PORT,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            sctp_init: None,
        }
    }

    /// The codecs for `kind` (none for data or unknown kinds).
    pub fn codecs(&self, kind: &MediaKind) -> &[CodecSpec] {
        match kind {
            MediaKind::Audio => &self.audio_codecs,
            MediaKind::Video => &self.video_codecs,
            _ => &[],
        }
    }

    /// The request for `mid`, if any.
    pub fn request(&self, mid: &Mid) -> Option<&MediaRequest> {
        self.media.iter().find(|r| &r.mid == mid)
    }
}

/// One codec we support: how to offer it and how to recognise it in an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecSpec {
    /// The encoding name (`opus`, `VP8`, ...); compared without case.
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// The channel count, for audio codecs that write one (Opus: 2).
    pub channels: Option<u16>,
    /// The payload type we offer it with.
    pub pt: Pt,
    /// The payload type of its RTX stream (RFC 4588) in our offers, if we retransmit it.
    pub rtx_pt: Option<Pt>,
    /// The `a=fmtp` parameters we offer.
    pub fmtp: Option<String>,
    /// The `a=rtcp-fb` values we support for it (`nack`, `nack pli`, `transport-cc`, ...).
    pub feedback: Vec<String>,
}

impl CodecSpec {
    /// The `a=rtpmap` we offer.
    pub fn rtpmap(&self) -> Rtpmap {
        Rtpmap {
            pt: self.pt,
            encoding: self.name.clone(),
            clock_rate: self.clock_rate,
            channels: self.channels,
        }
    }
}

/// One RTP header extension we support (RFC 8285).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionSpec {
    /// The id we offer it with (1-14, the one-byte form).
    pub id: u16,
    /// The URI.
    pub uri: String,
    /// Used on audio sections.
    pub audio: bool,
    /// Used on video sections.
    pub video: bool,
}

impl ExtensionSpec {
    /// True if used on sections of `kind`.
    pub fn applies_to(&self, kind: &MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            _ => false,
        }
    }
}

/// One m-section we want, named by its mid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaRequest {
    /// The mid; stable for the life of the section.
    pub mid: Mid,
    /// Audio, video or application (data channels).
    pub kind: MediaKind,
    /// Our direction (ignored for data).
    pub direction: Direction,
    /// True once stopped: the section is offered with port 0 (RFC 8829 5.2.2).
    pub stopped: bool,
    /// The track we send, if any: written as `a=msid` and `a=ssrc` lines.
    pub track: Option<SendTrack>,
    /// RIDs to send as simulcast layers, highest first (RFC 8853); empty for no simulcast.
    pub send_rids: Vec<String>,
}

impl MediaRequest {
    /// An audio section.
    pub fn audio(mid: Mid, direction: Direction) -> Self {
        Self::new(mid, MediaKind::Audio, direction)
    }

    /// A video section.
    pub fn video(mid: Mid, direction: Direction) -> Self {
        Self::new(mid, MediaKind::Video, direction)
    }

    /// A data-channel section.
    pub fn data(mid: Mid) -> Self {
        Self::new(mid, MediaKind::Application, Direction::SendRecv)
    }

    fn new(mid: Mid, kind: MediaKind, direction: Direction) -> Self {
        Self {
            mid,
            kind,
            direction,
            stopped: false,
            track: None,
            send_rids: Vec::new(),
        }
    }

    /// Sets the track we send.
    #[must_use]
    pub fn with_track(mut self, track: SendTrack) -> Self {
        self.track = Some(track);
        self
    }

    /// Sets simulcast RIDs to send.
    #[must_use]
    pub fn with_send_rids(mut self, rids: &[&str]) -> Self {
        self.send_rids = rids.iter().map(|r| (*r).to_owned()).collect();
        self
    }
}

/// The identifiers of a track we send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTrack {
    /// The MediaStream id (`-` for none).
    pub stream_id: String,
    /// The track id.
    pub track_id: String,
    /// The media SSRC.
    pub ssrc: Ssrc,
    /// The RTX SSRC, grouped with `a=ssrc-group:FID` (video).
    pub rtx_ssrc: Option<Ssrc>,
}

//! What a peer connection is built from: [`RtcConfig`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::dtls::{Certificate, CipherSuite, SrtpProfile};
use crate::ice::IceConfig;
use crate::sctp::SctpConfig;
use crate::sdp::{
    CodecSpec, ExtensionSpec, default_audio_codecs, default_extensions, default_video_codecs,
};
use crate::turn::TurnServer;

/// Default largest datagram: 1200 bytes of UDP payload, what browsers assume for WebRTC.
pub const DEFAULT_MTU: usize = 1200;

/// The configuration of one [`Rtc`](super::Rtc).
///
/// Build with [`RtcConfig::new`] and adjust the public fields. The defaults are what a browser
/// expects: every SRTP profile and cipher suite, Opus/PCMU/PCMA and VP8/VP9/H.264/AV1 with
/// their usual header extensions, data channels over SCTP with zero checksum offered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RtcConfig {
    /// The DTLS certificate and key; its SHA-256 fingerprint goes into our descriptions.
    pub certificate: Arc<Certificate>,
    /// ICE timing and limits.
    pub ice: IceConfig,
    /// STUN servers to gather server-reflexive candidates from.
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers to allocate relayed candidates on (RFC 8656, UDP). With
    /// [`IceConfig::relay_only`](crate::ice::IceConfig::relay_only) every path goes through
    /// one of them.
    pub turn_servers: Vec<TurnServer>,
    /// DTLS cipher suites in order of preference.
    pub cipher_suites: Vec<CipherSuite>,
    /// SRTP profiles in order of preference.
    pub srtp_profiles: Vec<SrtpProfile>,
    /// SCTP settings of the data-channel association. Zero checksum (RFC 9653) is turned on
    /// by default: DTLS already authenticates every packet.
    pub sctp: SctpConfig,
    /// The audio codecs we offer and accept, in order of preference.
    pub audio_codecs: Vec<CodecSpec>,
    /// The video codecs we offer and accept, in order of preference.
    pub video_codecs: Vec<CodecSpec>,
    /// The RTP header extensions we offer and accept.
    pub extensions: Vec<ExtensionSpec>,
    /// Largest datagram we send, in bytes of UDP payload.
    pub mtu: usize,
    /// The wall-clock time at the `now` given to [`Rtc::new`](super::Rtc::new), for NTP
    /// times in RTCP sender reports (a value: the core never reads a clock).
    pub wall_clock: SystemTime,
    /// The RTCP CNAME of our media (RFC 7022); random when empty.
    pub cname: String,
    /// Media datagrams queued for sending before the oldest is dropped.
    pub max_queued_media: usize,
    /// SNAP (draft-hancke-tsvwg-snap): offer our SCTP INIT as `a=sctp-init` (and in
    /// [`DirectParameters`](super::DirectParameters)), and answer an offer's with ours. When
    /// both sides carry one, the association starts established as soon as DTLS is up,
    /// saving the two round trips of the SCTP handshake; a peer without it gets the usual
    /// handshake. On by default.
    pub sctp_snap: bool,
    /// TLS False Start (RFC 7918, [`DtlsConfig::false_start`](crate::dtls::DtlsConfig)):
    /// as the DTLS client, start SCTP and send data channel traffic with our Finished,
    /// once the peer's certificate matched its fingerprint, a round trip before the
    /// handshake completes. [`Event::Connected`](super::Event::Connected) and the SRTP keys
    /// still wait for the server's Finished. On by default.
    pub dtls_false_start: bool,
}

impl RtcConfig {
    /// A configuration with the defaults described above.
    pub fn new(certificate: Arc<Certificate>) -> Self {
        let sctp = SctpConfig {
            zero_checksum: true,
            // Browsers cap SCTP's timer backoff at a few seconds rather than RFC 9260's 60:
            // on a lossy path a long backoff stalls a reliable channel for a minute.
            rto_max: Duration::from_secs(3),
            // Above the peer's 200 ms delayed SACK, so one lone packet's SACK does not fire
            // T3-rtx spuriously (which abandons a max-retransmits-0 message); browsers keep
            // their minimum RTO above it too.
            rto_min: Duration::from_millis(400),
            ..SctpConfig::default()
        };
        Self {
            certificate,
            ice: IceConfig::default(),
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            cipher_suites: CipherSuite::ALL.to_vec(),
            srtp_profiles: SrtpProfile::ALL.to_vec(),
            sctp,
            audio_codecs: default_audio_codecs(),
            video_codecs: default_video_codecs(),
            extensions: default_extensions(),
            mtu: DEFAULT_MTU,
            wall_clock: SystemTime::UNIX_EPOCH,
            cname: String::new(),
            max_queued_media: 512,
            sctp_snap: true,
            dtls_false_start: true,
        }
    }
}

//! Connection configuration.

use std::sync::Arc;
use std::time::Duration;

use super::cert::{Certificate, Fingerprint};
use super::suite::{CipherSuite, NamedGroup, SrtpProfile};

/// Default MTU: 1200 bytes of UDP payload, what browsers assume for WebRTC.
pub const DEFAULT_MTU: usize = 1200;

/// Default initial retransmission timeout: 1 s, RFC 6347 section 4.2.4.1's recommendation.
pub const DEFAULT_INITIAL_RTO: Duration = Duration::from_secs(1);

/// Default ceiling for the doubling timer: 60 s (RFC 6347 section 4.2.4.1).
pub const DEFAULT_MAX_RTO: Duration = Duration::from_secs(60);

/// Configuration of one DTLS connection.
///
/// Build with [`DtlsConfig::new`], then adjust the public fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DtlsConfig {
    /// The local certificate and key.
    pub certificate: Arc<Certificate>,
    /// The peer's certificate fingerprint from signalling; the handshake fails unless the
    /// peer's certificate matches it.
    pub remote_fingerprint: Fingerprint,
    /// Largest datagram to send, in bytes of UDP payload. Handshake messages are fragmented
    /// to fit. Default [`DEFAULT_MTU`].
    pub mtu: usize,
    /// First retransmission timeout of a flight; doubled on each retransmission. Default
    /// [`DEFAULT_INITIAL_RTO`].
    pub initial_rto: Duration,
    /// Ceiling of the doubling timer. Default [`DEFAULT_MAX_RTO`].
    pub max_rto: Duration,
    /// Retransmissions of one flight before the handshake fails. Default 8 (with the
    /// defaults: about 4 minutes in all, 1+2+...+60 s).
    pub max_retransmissions: u32,
    /// Cipher suites in order of preference. Default: all of [`CipherSuite::ALL`].
    pub cipher_suites: Vec<CipherSuite>,
    /// ECDHE groups in order of preference. Default: X25519, P-256, P-384.
    pub groups: Vec<NamedGroup>,
    /// SRTP profiles in order of preference; empty disables use_srtp. Default: all of
    /// [`SrtpProfile::ALL`].
    pub srtp_profiles: Vec<SrtpProfile>,
    /// Largest handshake message accepted, in bytes. Default 16 KiB.
    pub max_handshake_message: usize,
    /// Bound on handshake bytes held in reassembly at once. Default 64 KiB.
    pub max_reassembly_bytes: usize,
    /// Bound on application data queued by [`write`](super::Connection::write) and not yet
    /// polled out. Default 256 KiB.
    pub max_queued_bytes: usize,
    /// A server answers a ClientHello without a cookie with a HelloVerifyRequest (RFC 6347
    /// section 4.2.1), so a spoofed source cannot make it send its flight or keep state.
    /// Default `true`. Turn it off only where the transport below already proved the peer's
    /// address, as ICE does for WebRTC (the peer connection sends DTLS only on the ICE path),
    /// to save one round trip.
    pub cookie_exchange: bool,
    /// A client sends application data right after its Finished flight, before the
    /// server's Finished arrives (TLS False Start, RFC 7918), saving a round trip: only with
    /// a cipher suite with forward secrecy and an AEAD (all of [`CipherSuite::ALL`]), and
    /// only once the server's certificate matched [`DtlsConfig::remote_fingerprint`] and
    /// its ServerKeyExchange signature verified. The server's Finished is still checked
    /// when it arrives, and a wrong one fails the connection. Announced by
    /// [`DtlsEvent::FalseStart`](super::DtlsEvent::FalseStart). No effect on a server.
    /// Default `true`.
    pub false_start: bool,
}

impl DtlsConfig {
    /// A configuration with the defaults above.
    pub fn new(certificate: Arc<Certificate>, remote_fingerprint: Fingerprint) -> Self {
        Self {
            certificate,
            remote_fingerprint,
            mtu: DEFAULT_MTU,
            initial_rto: DEFAULT_INITIAL_RTO,
            max_rto: DEFAULT_MAX_RTO,
            max_retransmissions: 8,
            cipher_suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            srtp_profiles: SrtpProfile::ALL.to_vec(),
            max_handshake_message: 16 * 1024,
            max_reassembly_bytes: 64 * 1024,
            max_queued_bytes: 256 * 1024,
            cookie_exchange: true,
            false_start: true,
        }
    }
}

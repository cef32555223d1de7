//! DTLS 1.2 (RFC 6347) for WebRTC (RFC 8827, RFC 5763, RFC 5764), both roles, on ring.
//!
//! A [`Connection`] is one DTLS association with one peer. It carries application data
//! (SCTP rides on [`Connection::write`] and [`DtlsEvent::ApplicationData`]) and exports the
//! SRTP keys ([`Connection::srtp_keys`]). It follows the crate's drain rule: after any
//! `handle_*` or command, drain [`Connection::poll_transmit`] then [`Connection::poll_event`]
//! until both return `None`, then sleep until [`Connection::poll_timeout`].
//!
//! A handshake between two connections in memory, at `now` (the caller's clock; the unit
//! tests run the same exchange):
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//!
//! use rand_core::SeedableRng;
//! use sansrtc::dtls::{Certificate, Connection, DtlsConfig, DtlsEvent, HashAlgorithm};
//!
//! fn handshake(now: Instant) -> Result<(), Box<dyn std::error::Error>> {
//!     let (a, b) = (Certificate::generate()?, Certificate::generate()?);
//!     // Each side learns the other's fingerprint from signalling (SDP `a=fingerprint`).
//!     let (fa, fb) = (a.fingerprint(HashAlgorithm::Sha256), b.fingerprint(HashAlgorithm::Sha256));
//!     let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
//!     let mut client = Connection::client(DtlsConfig::new(Arc::new(a), fb), now, &mut rng);
//!     let mut server = Connection::server(DtlsConfig::new(Arc::new(b), fa), now, &mut rng);
//!     let mut buf = vec![0; 2048];
//!     while !(client.is_connected() && server.is_connected()) {
//!         while let Some(n) = client.poll_transmit(now, &mut buf) {
//!             server.handle_record(now, &mut buf[..n]);
//!         }
//!         while let Some(n) = server.poll_transmit(now, &mut buf) {
//!             client.handle_record(now, &mut buf[..n]);
//!         }
//!     }
//!     // The client could write from its Finished flight on (False Start, RFC 7918).
//!     assert!(matches!(client.poll_event(), Some(DtlsEvent::FalseStart { .. })));
//!     assert!(matches!(client.poll_event(), Some(DtlsEvent::Connected { .. })));
//!     let keys = client.srtp_keys()?;
//!     assert_eq!(keys.local_key(), server.srtp_keys()?.remote_key());
//!     Ok(())
//! }
//! ```
//!
//! # What is implemented
//!
//! - Record layer (RFC 6347 section 4.1): epochs 0 and 1, 48-bit sequence numbers, several
//!   records per datagram, the anti-replay window (4.1.2.6), AEAD protection
//!   (`protection.rs`): AES-128/256-GCM with the 8-byte explicit nonce `epoch || seq`
//!   (RFC 5288 section 3) and ChaCha20-Poly1305 (RFC 7905 section 2). Records that fail
//!   authentication are dropped and counted ([`DtlsStats::auth_failures`]), never fatal.
//!   Epoch-1 records that overtake the key exchange are kept (at most 4) until the keys
//!   exist.
//! - Cipher suites ([`CipherSuite`]): ECDHE_ECDSA and ECDHE_RSA with AES_128_GCM_SHA256,
//!   AES_256_GCM_SHA384 and CHACHA20_POLY1305_SHA256. Groups: X25519, P-256, P-384.
//! - Handshake, client (`client.rs`) and server (`server.rs`), one `Expect<Message>` state
//!   per expected message (RFC 6347 section 4.2, RFC 5246 section 7.3), mutual
//!   authentication (the server always sends CertificateRequest). Extensions: use_srtp
//!   (RFC 5764 section 4.1) with [`SrtpProfile`] negotiation, extended_master_secret
//!   (RFC 7627, required both ways), renegotiation_info (RFC 5746; renegotiation refused),
//!   supported_groups and ec_point_formats (RFC 8422), signature_algorithms. Unknown
//!   extensions are ignored.
//! - Stateless cookie (RFC 6347 section 4.2.1): the server answers a ClientHello without a
//!   valid cookie with a HelloVerifyRequest built in a fixed buffer; the cookie is
//!   HMAC-SHA256 under a per-connection secret over the hello (minus the cookie). No state
//!   exists before the cookie returns ([`Connection::has_handshake_state`]).
//! - Flights (RFC 6347 section 4.2.4): retransmitted on a doubling timer from
//!   [`DtlsConfig::initial_rto`] (default 1 s, as RFC 6347 recommends) up to
//!   [`DtlsConfig::max_rto`] (60 s), at most [`DtlsConfig::max_retransmissions`] times, then
//!   [`DtlsError::Timeout`]; a repeated peer flight is answered by retransmitting ours.
//!   Messages are fragmented to [`DtlsConfig::mtu`] (default 1200) and reassembled in any
//!   order, bounded by [`DtlsConfig::max_handshake_message`] and
//!   [`DtlsConfig::max_reassembly_bytes`].
//! - Certificates ([`Certificate`]): generated (rcgen, ECDSA P-256) or loaded (DER +
//!   PKCS#8, ECDSA P-256 or RSA). The peer's certificate must hash to
//!   [`DtlsConfig::remote_fingerprint`] (sha-1/256/384/512, [`Fingerprint`]); the check mints
//!   a zero-sized proof that the established state holds, so keys cannot be exported from
//!   an unchecked peer. The peer's public key comes from its certificate's
//!   SubjectPublicKeyInfo (`der.rs`) and verifies ECDSA P-256/P-384 and RSA PKCS#1/PSS
//!   signatures. Nothing else about the certificate is checked (RFC 8122: the fingerprint
//!   is the trust anchor).
//! - Key schedule (`crypto.rs`): the TLS 1.2 PRF (P_SHA256/P_SHA384), the extended master
//!   secret, the key block, the RFC 5705 exporter ([`Connection::export_keying_material`]),
//!   and [`SrtpKeys`] per RFC 5764 section 4.2.
//! - TLS False Start (RFC 7918, [`DtlsConfig::false_start`], on by default): a client writes
//!   application data right behind its Finished flight, once the server's certificate
//!   matched the fingerprint and its key exchange signature verified, with any of our suites
//!   (all ECDHE with an AEAD); [`DtlsEvent::FalseStart`] and [`Connection::is_writable`] say
//!   so. The server's Finished is still verified when it arrives; a wrong one fails the
//!   connection. Keys are exported, and [`DtlsEvent::Connected`] comes, only after it. Data
//!   from the server that overtakes its Finished is dropped. Since client data no longer
//!   shows that the client has the server's Finished, a server keeps its last flight (about
//!   30 bytes) after the handshake for as long as the client could retransmit its own
//!   ([`Connection::final_flight_hold`], about 4 minutes with the defaults), then lets it
//!   go.
//! - close_notify both ways ([`Connection::close`], [`CloseReason::PeerClosed`]); fatal
//!   alerts on handshake errors ([`DtlsError`] maps to its alert) and from the peer.
//! - Application data without per-record allocation once connected (STYLE section 5):
//!   [`Connection::write`] copies into a reused queue, records are sealed into the caller's
//!   buffer and opened in place, and each received record goes out as `Bytes` split from
//!   a receive chunk, reclaimed in place when the application has dropped every `Bytes` of
//!   it and replaced otherwise (a held `Bytes` keeps its chunk alive). The chunk is
//!   allocated on the first record, 4 KiB (enough for a consumer that drops each record's
//!   bytes before the next, as the peer connection does), and each replacement is twice
//!   the last, up to 64 KiB. [`Connection::release_idle_buffers`] lets it and the send
//!   queue go once unused; the peer connection calls it after 5 s without a record.
//!   tests/tests/dtls_alloc.rs measures 0.025 allocations per 1100-byte record.
//!
//! # Randomness
//!
//! Client and server randoms and the cookie secret come from the caller's RNG. ring's
//! `SecureRandom` is sealed, so ECDHE key generation and ECDSA/RSA-PSS signing use ring's
//! `SystemRandom`; that is confined to `crypto.rs` (and rcgen's key generation in
//! [`Certificate::generate`]). A replay of a session from a seed therefore differs in the
//! ephemeral keys, signatures, and every byte protected with keys derived from them.
//!
//! # Method groups
//!
//! See [`Connection`]: construction, `handle_record` / `handle_timeout`, commands (`write`,
//! `close`), `poll_transmit` / `poll_event` / `poll_timeout`, keys, getters.
//!
//! # Not yet
//!
//! - A fragmented ClientHello: the stateless server needs the hello in one record (about
//!   160 bytes with the cookie, so any MTU from 200 up works).
//! - Session resumption, renegotiation (refused), DTLS 1.3, CBC suites, plain (non-EC) DH,
//!   P-521, compressed points, certificate chains (only the leaf is used).
//! - A configurable `SystemTime` epoch for certificate validity (rcgen's defaults are used).
//! - Server-side choice of the remote fingerprint after the handshake starts (the
//!   fingerprint must be in the config at construction).
//! - Coalescing application data with handshake records in one datagram, and stopping the
//!   retransmission timer as soon as part of the peer's next flight arrives (RFC 6347
//!   allows both; we retransmit until the next flight is complete).
//! - Secrets are not zeroised on drop.

mod cert;
mod client;
mod config;
mod connection;
mod crypto;
mod der;
mod error;
mod event;
mod flight;
mod handshake;
mod keys;
mod layer;
mod protection;
mod reassembly;
mod server;
mod stats;
mod suite;
mod timer;
pub mod wire;

pub use cert::{Certificate, CertificateError, Fingerprint, FingerprintParseError, HashAlgorithm};
pub use config::{DEFAULT_INITIAL_RTO, DEFAULT_MAX_RTO, DEFAULT_MTU, DtlsConfig};
pub use connection::{Connection, MAX_RECORD_PLAINTEXT, Role};
pub use error::{DtlsError, ExportError, WriteError};
pub use event::{CloseReason, DtlsEvent};
pub use keys::SrtpKeys;
pub use stats::DtlsStats;
pub use suite::{CipherSuite, NamedGroup, SignatureScheme, SrtpProfile};

#[cfg(test)]
mod false_start_tests;
#[cfg(test)]
mod tests;

//! What the client and server handshakes share: the transcript, the flight being built,
//! the negotiated secrets, and the proof that the peer's certificate was checked.

use super::cert::Fingerprint;
use super::crypto::{self, MASTER_SECRET_LEN, PrfHash};
use super::der;
use super::error::DtlsError;
use super::flight::FlightItem;
use super::layer::RecordLayer;
use super::protection::Protection;
use super::reassembly::HandshakeMessage;
use super::suite::{CipherSuite, SrtpProfile};
use super::wire::{HandshakeHeader, HandshakeType};

/// Proof that the peer's certificate matched the signalled fingerprint.
///
/// Zero-sized; only [`check_fingerprint`] makes one, and the established state must hold
/// one, so keys cannot be exported from a connection whose peer was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FingerprintVerified(());

/// Checks the peer's leaf certificate against the signalled fingerprint.
pub(crate) fn check_fingerprint(
    expected: &Fingerprint,
    cert_der: &[u8],
) -> Result<FingerprintVerified, DtlsError> {
    if expected.matches(cert_der) {
        Ok(FingerprintVerified(()))
    } else {
        Err(DtlsError::FingerprintMismatch)
    }
}

/// The peer's leaf certificate, checked against the fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct PeerCertificate {
    pub(crate) der: Vec<u8>,
    pub(crate) verified: FingerprintVerified,
}

impl PeerCertificate {
    /// Verifies a signature by the peer's key over `message`.
    pub(crate) fn verify(
        &self,
        scheme: super::suite::SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), DtlsError> {
        let key = der::subject_public_key(&self.der)
            .ok_or(DtlsError::BadCertificate("no usable public key"))?;
        crypto::verify(&key, scheme, message, signature)
    }
}

/// The secrets of an established session.
#[derive(Clone)]
pub(crate) struct Secrets {
    pub(crate) suite: CipherSuite,
    pub(crate) master: [u8; MASTER_SECRET_LEN],
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    pub(crate) fn prf_hash(&self) -> PrfHash {
        self.suite.prf_hash()
    }

    /// Derives the record keys (RFC 5246 section 6.3) and returns (client write, server
    /// write).
    pub(crate) fn record_keys(&self) -> Result<(Protection, Protection), DtlsError> {
        let aead = self.suite.aead();
        let (k, iv) = (aead.key_len(), aead.fixed_iv_len());
        let mut block = [0u8; 2 * (32 + 12)];
        let block = &mut block[..2 * (k + iv)];
        crypto::key_block(
            self.prf_hash(),
            &self.master,
            &self.client_random,
            &self.server_random,
            block,
        );
        let client = Protection::new(aead, &block[..k], &block[2 * k..2 * k + iv]);
        let server = Protection::new(aead, &block[k..2 * k], &block[2 * k + iv..]);
        client
            .zip(server)
            .ok_or(DtlsError::Internal("record key setup"))
    }

    /// Finished verify_data for the given side over `transcript`.
    pub(crate) fn verify_data(&self, client: bool, transcript: &[u8]) -> [u8; 12] {
        let label: &[u8] = if client {
            b"client finished"
        } else {
            b"server finished"
        };
        crypto::verify_data(self.prf_hash(), &self.master, label, transcript)
    }
}

/// Handshake state shared by every step of one side's handshake.
#[derive(Debug)]
pub(crate) struct Handshake {
    /// Every handshake message so far (as if unfragmented), for hashes and signatures.
    pub(crate) transcript: Vec<u8>,
    /// The message_seq of the next message we send.
    pub(crate) next_send_seq: u16,
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
    pub(crate) srtp_profile: Option<SrtpProfile>,
    /// A new flight to send, once complete.
    pub(crate) flight: Vec<FlightItem>,
    /// Whether `flight` is complete and should replace the current one.
    pub(crate) flight_ready: bool,
    /// Whether the new flight ends the handshake on this side (no reply expected).
    pub(crate) flight_final: bool,
}

impl Handshake {
    pub(crate) fn new(client_random: [u8; 32]) -> Self {
        Self {
            transcript: Vec::with_capacity(4096),
            next_send_seq: 0,
            client_random,
            server_random: [0; 32],
            srtp_profile: None,
            flight: Vec::new(),
            flight_ready: false,
            flight_final: false,
        }
    }

    /// Adds a received message to the transcript.
    pub(crate) fn add(&mut self, msg: &HandshakeMessage) {
        self.transcript.extend_from_slice(&msg.full);
    }

    /// Appends a message we send to the flight being built and to the transcript.
    pub(crate) fn send(
        &mut self,
        msg_type: HandshakeType,
        epoch: u16,
        body: impl FnOnce(&mut Vec<u8>),
    ) {
        let mut full = Vec::with_capacity(256);
        HandshakeHeader {
            msg_type,
            length: 0,
            message_seq: self.next_send_seq,
            fragment_offset: 0,
            fragment_length: 0,
        }
        .emit(&mut full);
        body(&mut full);
        let len = (full.len() - HandshakeHeader::LEN) as u32;
        full[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
        full[9..12].copy_from_slice(&len.to_be_bytes()[1..]);
        self.next_send_seq = self.next_send_seq.wrapping_add(1);
        self.transcript.extend_from_slice(&full);
        self.flight.push(FlightItem::Handshake { epoch, full });
    }

    /// Appends ChangeCipherSpec to the flight being built.
    pub(crate) fn send_ccs(&mut self) {
        self.flight.push(FlightItem::ChangeCipherSpec);
    }

    /// Marks the flight being built as complete.
    pub(crate) fn finish_flight(&mut self, is_final: bool) {
        self.flight_ready = true;
        self.flight_final = is_final;
    }

    /// Computes the extended master secret over the transcript so far (which must end with
    /// ClientKeyExchange) and returns the session secrets.
    pub(crate) fn derive(&self, suite: CipherSuite, premaster: &[u8]) -> Secrets {
        let hash = suite.prf_hash();
        let session_hash = hash.hash(&self.transcript);
        Secrets {
            suite,
            master: crypto::extended_master_secret(hash, premaster, session_hash.as_ref()),
            client_random: self.client_random,
            server_random: self.server_random,
        }
    }

    /// Bytes held.
    pub(crate) fn buffered(&self) -> usize {
        self.transcript.capacity()
            + self
                .flight
                .iter()
                .map(|i| match i {
                    FlightItem::Handshake { full, .. } => full.capacity(),
                    FlightItem::ChangeCipherSpec => 1,
                })
                .sum::<usize>()
    }
}

/// Installs both directions' keys for `role` into the record layer.
pub(crate) fn install_keys(
    layer: &mut RecordLayer,
    secrets: &Secrets,
    is_client: bool,
) -> Result<(), DtlsError> {
    let (client, server) = secrets.record_keys()?;
    let (write, read) = if is_client {
        (client, server)
    } else {
        (server, client)
    };
    layer.install_write(write);
    layer.install_read(read);
    Ok(())
}

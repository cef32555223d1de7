//! The client handshake (RFC 6347 section 4.2, RFC 5246 section 7.3), one struct per
//! expected message:
//!
//! ```text
//! ClientHello            -->
//!                        <--  HelloVerifyRequest (optional)
//! ClientHello + cookie   -->
//!                        <--  ServerHello, Certificate, ServerKeyExchange,
//!                             [CertificateRequest], ServerHelloDone
//! [Certificate], ClientKeyExchange, [CertificateVerify],
//! ChangeCipherSpec, Finished -->
//!                        <--  ChangeCipherSpec, Finished
//! ```

use smallvec::SmallVec;

use super::config::DtlsConfig;
use super::crypto::{EphemeralKey, VERIFY_SCHEMES};
use super::error::DtlsError;
use super::handshake::{self, Handshake, PeerCertificate, Secrets};
use super::layer::RecordLayer;
use super::reassembly::HandshakeMessage;
use super::suite::{CipherSuite, NamedGroup, SignatureScheme, SrtpProfile};
use super::wire::messages::{
    CertificateChain, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange,
    Finished, HelloVerifyRequest, ServerHello, ServerKeyExchange, parse_server_hello_done,
};
use super::wire::{Extensions, HandshakeType, ProtocolVersion};

/// What a step of the handshake may touch.
pub(crate) struct Cx<'a> {
    pub(crate) hs: &'a mut Handshake,
    pub(crate) config: &'a DtlsConfig,
    pub(crate) layer: &'a mut RecordLayer,
}

/// The state of a handshake that completed: what the established connection keeps.
#[derive(Debug)]
pub(crate) struct Established {
    pub(crate) secrets: Secrets,
    pub(crate) peer: PeerCertificate,
    pub(crate) srtp_profile: Option<SrtpProfile>,
}

/// How many HelloVerifyRequests the client follows before giving up.
const MAX_HELLO_VERIFY: u8 = 4;

/// The client's handshake states.
#[derive(Debug)]
#[allow(
    clippy::enum_variant_names,
    reason = "one `Expect<Message>` state per expected message (STYLE section 3)"
)]
pub(crate) enum ClientState {
    ExpectServerHello(ExpectServerHello),
    ExpectCertificate(ExpectCertificate),
    ExpectServerKeyExchange(ExpectServerKeyExchange),
    ExpectCertificateRequest(ExpectCertificateRequest),
    ExpectServerHelloDone(ExpectServerHelloDone),
    ExpectFinished(ExpectFinished),
}

/// The result of one step.
#[derive(Debug)]
pub(crate) enum Step {
    Next(ClientState),
    Done(Established),
}

fn decode(e: super::wire::WireError) -> DtlsError {
    let _ = e;
    DtlsError::Decode("handshake message")
}

/// Builds and sends the (first) ClientHello.
pub(crate) fn start(cx: &mut Cx<'_>) -> ClientState {
    send_client_hello(cx, &[]);
    ClientState::ExpectServerHello(ExpectServerHello { hello_verifies: 0 })
}

fn send_client_hello(cx: &mut Cx<'_>, cookie: &[u8]) {
    let cfg = cx.config;
    let random = cx.hs.client_random;
    let ch = ClientHello {
        version: ProtocolVersion::DTLS1_2,
        random,
        session_id: &[],
        cookie,
        cipher_suites: cfg.cipher_suites.iter().map(|s| s.code()).collect(),
        null_compression: true,
        extensions: Extensions {
            supported_groups: cfg.groups.iter().map(|g| g.code()).collect(),
            ec_point_formats: Some(true),
            signature_algorithms: VERIFY_SCHEMES.iter().map(|s| s.0).collect(),
            srtp_profiles: (!cfg.srtp_profiles.is_empty())
                .then(|| cfg.srtp_profiles.iter().map(|p| p.code()).collect()),
            srtp_mki: &[],
            extended_master_secret: true,
            renegotiation_info: Some(&[]),
        },
    };
    cx.hs.send(HandshakeType::CLIENT_HELLO, 0, |o| ch.emit(o));
    cx.hs.finish_flight(false);
}

impl ClientState {
    /// The cipher suite under which application data may go out before the server's
    /// Finished (TLS False Start, RFC 7918), if this is the state after our Finished flight,
    /// the configuration allows it and the suite has forward secrecy and an AEAD. The state
    /// holds the proof that the server's certificate matched the fingerprint (its
    /// ServerKeyExchange signature was verified with that certificate's key before our
    /// flight was built), so no data goes to an unverified peer.
    pub(crate) fn false_start_suite(&self, config: &DtlsConfig) -> Option<CipherSuite> {
        let Self::ExpectFinished(s) = self else {
            return None;
        };
        let _proof = s.peer.verified;
        let suite = s.secrets.suite;
        (config.false_start && suite.allows_false_start()).then_some(suite)
    }

    /// Takes the next complete message from the server.
    pub(crate) fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.epoch != 0 && msg.msg_type != HandshakeType::FINISHED {
            return Err(DtlsError::UnexpectedMessage("handshake message in epoch 1"));
        }
        match self {
            Self::ExpectServerHello(s) => s.handle(cx, msg),
            Self::ExpectCertificate(s) => s.handle(cx, msg),
            Self::ExpectServerKeyExchange(s) => s.handle(cx, msg),
            Self::ExpectCertificateRequest(s) => s.handle(cx, msg),
            Self::ExpectServerHelloDone(s) => s.handle(cx, msg),
            Self::ExpectFinished(s) => s.handle(cx, msg),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectServerHello {
    hello_verifies: u8,
}

impl ExpectServerHello {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type == HandshakeType::HELLO_VERIFY_REQUEST {
            let hvr = HelloVerifyRequest::parse(msg.body()).map_err(decode)?;
            if self.hello_verifies >= MAX_HELLO_VERIFY {
                return Err(DtlsError::UnexpectedMessage(
                    "too many hello verify requests",
                ));
            }
            // RFC 6347 section 4.2.1: the first ClientHello and the HelloVerifyRequest are
            // left out of the transcript.
            cx.hs.transcript.clear();
            cx.hs.flight.clear();
            send_client_hello(cx, hvr.cookie);
            return Ok(Step::Next(ClientState::ExpectServerHello(Self {
                hello_verifies: self.hello_verifies + 1,
            })));
        }
        if msg.msg_type != HandshakeType::SERVER_HELLO {
            return Err(DtlsError::UnexpectedMessage("expected server hello"));
        }
        let sh = ServerHello::parse(msg.body()).map_err(decode)?;
        if sh.version != ProtocolVersion::DTLS1_2 {
            return Err(DtlsError::HandshakeFailure(
                "server chose a version other than 1.2",
            ));
        }
        let suite = CipherSuite::from_code(sh.cipher_suite)
            .filter(|s| cx.config.cipher_suites.contains(s))
            .ok_or(DtlsError::IllegalParameter("cipher suite not offered"))?;
        if sh.compression != 0 {
            return Err(DtlsError::IllegalParameter("compression"));
        }
        if !sh.extensions.extended_master_secret {
            return Err(DtlsError::HandshakeFailure(
                "extended master secret required",
            ));
        }
        if sh
            .extensions
            .renegotiation_info
            .is_some_and(|r| !r.is_empty())
        {
            return Err(DtlsError::HandshakeFailure("renegotiation info not empty"));
        }
        let srtp_profile = match &sh.extensions.srtp_profiles {
            None => None,
            Some(list) => match list.as_slice() {
                [one] => Some(
                    SrtpProfile::from_code(*one)
                        .filter(|p| cx.config.srtp_profiles.contains(p))
                        .ok_or(DtlsError::IllegalParameter("srtp profile not offered"))?,
                ),
                _ => {
                    return Err(DtlsError::IllegalParameter(
                        "use_srtp must name one profile",
                    ));
                }
            },
        };
        cx.hs.server_random = sh.random;
        cx.hs.srtp_profile = srtp_profile;
        cx.hs.add(msg);
        Ok(Step::Next(ClientState::ExpectCertificate(
            ExpectCertificate { suite },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificate {
    suite: CipherSuite,
}

/// Takes the leaf from a Certificate message and checks its fingerprint.
pub(crate) fn peer_certificate(
    config: &DtlsConfig,
    msg: &HandshakeMessage,
) -> Result<PeerCertificate, DtlsError> {
    let chain = CertificateChain::parse(msg.body()).map_err(decode)?;
    let leaf = chain
        .certificates
        .first()
        .ok_or(DtlsError::BadCertificate("empty certificate chain"))?;
    let verified = handshake::check_fingerprint(&config.remote_fingerprint, leaf)?;
    Ok(PeerCertificate {
        der: leaf.to_vec(),
        verified,
    })
}

impl ExpectCertificate {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::CERTIFICATE {
            return Err(DtlsError::UnexpectedMessage("expected certificate"));
        }
        let peer = peer_certificate(cx.config, msg)?;
        cx.hs.add(msg);
        Ok(Step::Next(ClientState::ExpectServerKeyExchange(
            ExpectServerKeyExchange {
                suite: self.suite,
                peer,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectServerKeyExchange {
    suite: CipherSuite,
    peer: PeerCertificate,
}

/// Whether `scheme` may sign for a suite whose certificate kind is RSA (else ECDSA).
pub(crate) fn scheme_fits(scheme: SignatureScheme, rsa: bool) -> bool {
    let is_rsa_scheme = matches!(scheme.0 >> 8, 0x04..=0x06) && scheme.0 & 0xff == 0x01
        || matches!(scheme.0, 0x0804..=0x0806);
    VERIFY_SCHEMES.contains(&scheme) && is_rsa_scheme == rsa
}

impl ExpectServerKeyExchange {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::SERVER_KEY_EXCHANGE {
            return Err(DtlsError::UnexpectedMessage("expected server key exchange"));
        }
        let ske = ServerKeyExchange::parse(msg.body()).map_err(decode)?;
        let group = NamedGroup::from_code(ske.group)
            .filter(|g| cx.config.groups.contains(g))
            .ok_or(DtlsError::IllegalParameter("group not offered"))?;
        let scheme = SignatureScheme(ske.scheme);
        if !scheme_fits(scheme, self.suite.is_rsa()) {
            return Err(DtlsError::IllegalParameter("signature scheme"));
        }
        let mut signed = Vec::with_capacity(64 + 4 + ske.public.len());
        signed.extend_from_slice(&cx.hs.client_random);
        signed.extend_from_slice(&cx.hs.server_random);
        ServerKeyExchange::emit_params(ske.group, ske.public, &mut signed);
        self.peer.verify(scheme, &signed, ske.signature)?;
        let ours = EphemeralKey::generate(group)?;
        let public = ours.public().to_vec();
        let premaster = ours.agree(ske.public)?;
        cx.hs.add(msg);
        Ok(Step::Next(ClientState::ExpectCertificateRequest(
            ExpectCertificateRequest {
                suite: self.suite,
                peer: self.peer,
                public,
                premaster,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateRequest {
    suite: CipherSuite,
    peer: PeerCertificate,
    public: Vec<u8>,
    premaster: Vec<u8>,
}

impl ExpectCertificateRequest {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        match msg.msg_type {
            HandshakeType::CERTIFICATE_REQUEST => {
                let cr = CertificateRequest::parse(msg.body()).map_err(decode)?;
                let offered: SmallVec<[SignatureScheme; 16]> = cr
                    .signature_algorithms
                    .iter()
                    .map(|&s| SignatureScheme(s))
                    .collect();
                let scheme = cx
                    .config
                    .certificate
                    .signing_key()
                    .choose_scheme(&offered)
                    .ok_or(DtlsError::HandshakeFailure("no common signature scheme"))?;
                cx.hs.add(msg);
                Ok(Step::Next(ClientState::ExpectServerHelloDone(
                    ExpectServerHelloDone {
                        inner: self,
                        client_auth: Some(scheme),
                    },
                )))
            }
            HandshakeType::SERVER_HELLO_DONE => ExpectServerHelloDone {
                inner: self,
                client_auth: None,
            }
            .handle(cx, msg),
            _ => Err(DtlsError::UnexpectedMessage("expected certificate request")),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectServerHelloDone {
    inner: ExpectCertificateRequest,
    client_auth: Option<SignatureScheme>,
}

impl ExpectServerHelloDone {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::SERVER_HELLO_DONE {
            return Err(DtlsError::UnexpectedMessage("expected server hello done"));
        }
        parse_server_hello_done(msg.body()).map_err(decode)?;
        cx.hs.add(msg);
        let Self { inner, client_auth } = self;
        let cert = cx.config.certificate.clone();
        if client_auth.is_some() {
            let chain = CertificateChain {
                certificates: SmallVec::from_slice(&[cert.der()]),
            };
            cx.hs.send(HandshakeType::CERTIFICATE, 0, |o| chain.emit(o));
        }
        let cke = ClientKeyExchange {
            public: &inner.public,
        };
        cx.hs
            .send(HandshakeType::CLIENT_KEY_EXCHANGE, 0, |o| cke.emit(o));
        let secrets = cx.hs.derive(inner.suite, &inner.premaster);
        if let Some(scheme) = client_auth {
            let signature = cert.signing_key().sign(scheme, &cx.hs.transcript)?;
            let cv = CertificateVerify {
                scheme: scheme.0,
                signature: &signature,
            };
            cx.hs
                .send(HandshakeType::CERTIFICATE_VERIFY, 0, |o| cv.emit(o));
        }
        handshake::install_keys(cx.layer, &secrets, true)?;
        cx.hs.send_ccs();
        cx.layer.set_write_epoch(1);
        let verify_data = secrets.verify_data(true, &cx.hs.transcript);
        cx.hs.send(HandshakeType::FINISHED, 1, |o| {
            o.extend_from_slice(&verify_data)
        });
        cx.hs.finish_flight(false);
        Ok(Step::Next(ClientState::ExpectFinished(ExpectFinished {
            secrets,
            peer: inner.peer,
        })))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    secrets: Secrets,
    peer: PeerCertificate,
}

impl ExpectFinished {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::FINISHED || msg.epoch != 1 {
            return Err(DtlsError::UnexpectedMessage("expected protected finished"));
        }
        let fin = Finished::parse(msg.body()).map_err(decode)?;
        let expected = self.secrets.verify_data(false, &cx.hs.transcript);
        if !ring_eq(&fin.verify_data, &expected) {
            return Err(DtlsError::DecryptError("finished verify_data"));
        }
        cx.hs.add(msg);
        Ok(Step::Done(Established {
            secrets: self.secrets,
            peer: self.peer,
            srtp_profile: cx.hs.srtp_profile,
        }))
    }
}

/// Constant-time comparison of equal-length secrets.
pub(crate) fn ring_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

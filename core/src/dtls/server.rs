//! The server handshake (RFC 6347 section 4.2, RFC 5246 section 7.3), one struct per
//! expected message, after a stateless cookie exchange (RFC 6347 section 4.2.1):
//!
//! ```text
//!  ClientHello           -->   (no state kept)
//!                        <--  HelloVerifyRequest(cookie = HMAC(secret, hello))
//!  ClientHello + cookie  -->   (state starts here)
//!                        <--  ServerHello, Certificate, ServerKeyExchange,
//!                             CertificateRequest, ServerHelloDone
//!  Certificate, ClientKeyExchange, CertificateVerify,
//!  ChangeCipherSpec, Finished -->
//!                        <--  ChangeCipherSpec, Finished
//! ```
//!
//! WebRTC authenticates both sides, so the server always sends CertificateRequest and
//! requires a client certificate that matches the signalled fingerprint.

use ring::hmac;
use smallvec::SmallVec;

use super::client::{Cx, Established, peer_certificate, ring_eq, scheme_fits};
use super::crypto::{EphemeralKey, VERIFY_SCHEMES};
use super::error::DtlsError;
use super::handshake::{self, PeerCertificate, Secrets};
use super::reassembly::HandshakeMessage;
use super::suite::{CipherSuite, NamedGroup, SignatureScheme, SrtpProfile};
use super::wire::messages::{
    CertificateChain, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange,
    Finished, ServerHello, ServerKeyExchange,
};
use super::wire::{Extensions, HandshakeType, ProtocolVersion};

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 section 3.3).
const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// Cookie length: a whole HMAC-SHA256.
pub(crate) const COOKIE_LEN: usize = 32;

/// `ClientCertificateType` ecdsa_sign (64) and rsa_sign (1), RFC 8422 / RFC 5246.
const CERT_TYPES: &[u8] = &[64, 1];

/// The stateless cookie (RFC 6347 section 4.2.1): HMAC-SHA256 under the connection's
/// secret over the ClientHello body without its cookie field, so a replayed cookie only
/// works with the very hello it was made for.
pub(crate) fn cookie(secret: &hmac::Key, ch_body: &[u8], ch: &ClientHello<'_>) -> [u8; COOKIE_LEN] {
    // version(2) random(32) session_id(1 + n) | cookie(1 + m) | rest
    let before = 2 + 32 + 1 + ch.session_id.len();
    let after = before + 1 + ch.cookie.len();
    let mut ctx = hmac::Context::with_key(secret);
    ctx.update(ch_body.get(..before).unwrap_or(&[]));
    ctx.update(ch_body.get(after..).unwrap_or(&[]));
    let tag = ctx.sign();
    let mut out = [0; COOKIE_LEN];
    out.copy_from_slice(&tag.as_ref()[..COOKIE_LEN]);
    out
}

/// Whether the hello's cookie is the one we would have made.
pub(crate) fn cookie_is_valid(secret: &hmac::Key, ch_body: &[u8], ch: &ClientHello<'_>) -> bool {
    ring_eq(ch.cookie, &cookie(secret, ch_body, ch))
}

/// The server's handshake states after the cookie.
#[derive(Debug)]
#[allow(
    clippy::enum_variant_names,
    reason = "one `Expect<Message>` state per expected message (STYLE section 3)"
)]
pub(crate) enum ServerState {
    ExpectCertificate(ExpectCertificate),
    ExpectClientKeyExchange(ExpectClientKeyExchange),
    ExpectCertificateVerify(ExpectCertificateVerify),
    ExpectFinished(ExpectFinished),
}

/// The result of one step.
#[derive(Debug)]
pub(crate) enum Step {
    Next(ServerState),
    Done(Established),
}

fn decode(_: super::wire::WireError) -> DtlsError {
    DtlsError::Decode("handshake message")
}

/// Answers a ClientHello whose cookie verified: negotiates and sends the server's flight.
/// `random` is the server random (from the caller's RNG).
pub(crate) fn accept(
    cx: &mut Cx<'_>,
    msg: &HandshakeMessage,
    ch: &ClientHello<'_>,
    random: [u8; 32],
) -> Result<ServerState, DtlsError> {
    let cfg = cx.config;
    let cert = cfg.certificate.clone();
    let key = cert.signing_key();
    if !ch.null_compression {
        return Err(DtlsError::IllegalParameter("null compression not offered"));
    }
    if ch.version != ProtocolVersion::DTLS1_2 {
        return Err(DtlsError::HandshakeFailure(
            "client does not offer dtls 1.2",
        ));
    }
    if !ch.extensions.extended_master_secret {
        return Err(DtlsError::HandshakeFailure(
            "extended master secret required",
        ));
    }
    if ch
        .extensions
        .renegotiation_info
        .is_some_and(|r| !r.is_empty())
    {
        return Err(DtlsError::NoRenegotiation);
    }
    let suite = cfg
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| s.is_rsa() == key.is_rsa())
        .find(|s| ch.cipher_suites.contains(&s.code()))
        .ok_or(DtlsError::HandshakeFailure("no common cipher suite"))?;
    let group = if ch.extensions.supported_groups.is_empty() {
        cfg.groups
            .contains(&NamedGroup::Secp256r1)
            .then_some(NamedGroup::Secp256r1)
    } else {
        cfg.groups
            .iter()
            .copied()
            .find(|g| ch.extensions.supported_groups.contains(&g.code()))
    }
    .ok_or(DtlsError::HandshakeFailure("no common group"))?;
    let offered: SmallVec<[SignatureScheme; 16]> = ch
        .extensions
        .signature_algorithms
        .iter()
        .map(|&s| SignatureScheme(s))
        .collect();
    let scheme = key
        .choose_scheme(&offered)
        .ok_or(DtlsError::HandshakeFailure("no common signature scheme"))?;
    let srtp_profile: Option<SrtpProfile> = ch.extensions.srtp_profiles.as_ref().and_then(|l| {
        cfg.srtp_profiles
            .iter()
            .copied()
            .find(|p| l.contains(&p.code()))
    });
    let renegotiation = ch.extensions.renegotiation_info.is_some()
        || ch.cipher_suites.contains(&RENEGOTIATION_SCSV);

    let hs = &mut *cx.hs;
    hs.server_random = random;
    hs.srtp_profile = srtp_profile;
    // RFC 6347 section 4.2.2: the server's first message after the cookie exchange takes
    // the hello's message_seq.
    hs.next_send_seq = msg.seq;
    hs.add(msg);

    let profile_code: SmallVec<[u16; 16]> = srtp_profile.map(|p| p.code()).into_iter().collect();
    let sh = ServerHello {
        version: ProtocolVersion::DTLS1_2,
        random,
        session_id: &[],
        cipher_suite: suite.code(),
        compression: 0,
        extensions: Extensions {
            ec_point_formats: Some(true),
            srtp_profiles: srtp_profile.map(|_| profile_code),
            extended_master_secret: true,
            renegotiation_info: renegotiation.then_some(&[][..]),
            ..Extensions::default()
        },
    };
    hs.send(HandshakeType::SERVER_HELLO, 0, |o| sh.emit(o));
    let chain = CertificateChain {
        certificates: SmallVec::from_slice(&[cert.der()]),
    };
    hs.send(HandshakeType::CERTIFICATE, 0, |o| chain.emit(o));

    let ours = EphemeralKey::generate(group)?;
    let mut signed = Vec::with_capacity(64 + 4 + ours.public().len());
    signed.extend_from_slice(&hs.client_random);
    signed.extend_from_slice(&hs.server_random);
    ServerKeyExchange::emit_params(group.code(), ours.public(), &mut signed);
    let signature = key.sign(scheme, &signed)?;
    let ske = ServerKeyExchange {
        group: group.code(),
        public: ours.public(),
        scheme: scheme.0,
        signature: &signature,
    };
    hs.send(HandshakeType::SERVER_KEY_EXCHANGE, 0, |o| ske.emit(o));
    let cr = CertificateRequest {
        certificate_types: CERT_TYPES,
        signature_algorithms: VERIFY_SCHEMES.iter().map(|s| s.0).collect(),
        authorities: &[],
    };
    hs.send(HandshakeType::CERTIFICATE_REQUEST, 0, |o| cr.emit(o));
    hs.send(HandshakeType::SERVER_HELLO_DONE, 0, |_| {});
    hs.finish_flight(false);
    Ok(ServerState::ExpectCertificate(ExpectCertificate {
        suite,
        key: ours,
    }))
}

impl ServerState {
    /// Takes the next complete message from the client.
    pub(crate) fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.epoch != 0 && msg.msg_type != HandshakeType::FINISHED {
            return Err(DtlsError::UnexpectedMessage("handshake message in epoch 1"));
        }
        match self {
            Self::ExpectCertificate(s) => s.handle(cx, msg),
            Self::ExpectClientKeyExchange(s) => s.handle(cx, msg),
            Self::ExpectCertificateVerify(s) => s.handle(cx, msg),
            Self::ExpectFinished(s) => s.handle(cx, msg),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificate {
    suite: CipherSuite,
    key: EphemeralKey,
}

impl ExpectCertificate {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        match msg.msg_type {
            HandshakeType::CERTIFICATE => {
                let peer = peer_certificate(cx.config, msg)?;
                cx.hs.add(msg);
                Ok(Step::Next(ServerState::ExpectClientKeyExchange(
                    ExpectClientKeyExchange {
                        suite: self.suite,
                        key: self.key,
                        peer,
                    },
                )))
            }
            HandshakeType::CLIENT_KEY_EXCHANGE => {
                Err(DtlsError::BadCertificate("client sent no certificate"))
            }
            _ => Err(DtlsError::UnexpectedMessage("expected certificate")),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectClientKeyExchange {
    suite: CipherSuite,
    key: EphemeralKey,
    peer: PeerCertificate,
}

impl ExpectClientKeyExchange {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::CLIENT_KEY_EXCHANGE {
            return Err(DtlsError::UnexpectedMessage("expected client key exchange"));
        }
        let cke = ClientKeyExchange::parse(msg.body()).map_err(decode)?;
        let premaster = self.key.agree(cke.public)?;
        cx.hs.add(msg);
        let secrets = cx.hs.derive(self.suite, &premaster);
        // Read keys now, so the client's protected Finished can be opened on arrival.
        handshake::install_keys(cx.layer, &secrets, false)?;
        Ok(Step::Next(ServerState::ExpectCertificateVerify(
            ExpectCertificateVerify {
                secrets,
                peer: self.peer,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    secrets: Secrets,
    peer: PeerCertificate,
}

impl ExpectCertificateVerify {
    fn handle(self, cx: &mut Cx<'_>, msg: &HandshakeMessage) -> Result<Step, DtlsError> {
        if msg.msg_type != HandshakeType::CERTIFICATE_VERIFY {
            return Err(DtlsError::UnexpectedMessage("expected certificate verify"));
        }
        let cv = CertificateVerify::parse(msg.body()).map_err(decode)?;
        let scheme = SignatureScheme(cv.scheme);
        let rsa = super::der::subject_public_key(&self.peer.der)
            .is_some_and(|k| k.kind == super::der::PublicKeyKind::Rsa);
        if !scheme_fits(scheme, rsa) {
            return Err(DtlsError::IllegalParameter("signature scheme"));
        }
        self.peer.verify(scheme, &cx.hs.transcript, cv.signature)?;
        cx.hs.add(msg);
        Ok(Step::Next(ServerState::ExpectFinished(ExpectFinished {
            secrets: self.secrets,
            peer: self.peer,
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
        let expected = self.secrets.verify_data(true, &cx.hs.transcript);
        if !ring_eq(&fin.verify_data, &expected) {
            return Err(DtlsError::DecryptError("finished verify_data"));
        }
        cx.hs.add(msg);
        cx.hs.send_ccs();
        cx.layer.set_write_epoch(1);
        let verify_data = self.secrets.verify_data(false, &cx.hs.transcript);
        cx.hs.send(HandshakeType::FINISHED, 1, |o| {
            o.extend_from_slice(&verify_data)
        });
        cx.hs.finish_flight(true);
        Ok(Step::Done(Established {
            secrets: self.secrets,
            peer: self.peer,
            srtp_profile: cx.hs.srtp_profile,
        }))
    }
}

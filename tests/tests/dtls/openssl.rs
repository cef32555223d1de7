//! Handshakes against OpenSSL's DTLS 1.2, in process, over in-memory datagram pipes.
//!
//! OpenSSL runs its retransmission timer on the real clock and the `openssl` crate does not
//! expose `DTLSv1_handle_timeout`, so loss is only applied in the direction OpenSSL
//! receives: our timer recovers it. Reordering is applied both ways.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslMethod, SslOptions, SslStream, SslVerifyMode};
use openssl::x509::{X509, X509NameBuilder};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::dtls::{
    Certificate, CipherSuite, CloseReason, Connection, DtlsConfig, DtlsError, DtlsEvent,
    Fingerprint, HashAlgorithm, NamedGroup, SrtpKeys, SrtpProfile,
};

use super::common::{epoch, events};

/// Datagram-preserving in-memory transport: each `write` is one datagram, each `read`
/// returns one.
#[derive(Debug, Default)]
struct Pipe {
    inbox: VecDeque<Vec<u8>>,
    outbox: VecDeque<Vec<u8>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inbox.pop_front() {
            Some(d) => {
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                Ok(n)
            }
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.push_back(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A certificate both OpenSSL (X509 + PKey) and we (DER + PKCS#8) can load.
struct Identity {
    x509: X509,
    key: PKey<Private>,
}

impl Identity {
    fn ecdsa() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["openssl".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            x509: X509::from_der(cert.der()).unwrap(),
            key: PKey::private_key_from_der(&key.serialize_der()).unwrap(),
        }
    }

    /// An RSA-2048 identity, generated once per test binary (RSA key generation is slow).
    fn rsa() -> Self {
        static RSA: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
        let (cert, key) = RSA.get_or_init(|| {
            let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
            let mut name = X509NameBuilder::new().unwrap();
            name.append_entry_by_text("CN", "rsa").unwrap();
            let name = name.build();
            let mut b = X509::builder().unwrap();
            b.set_version(2).unwrap();
            b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
                .unwrap();
            b.set_subject_name(&name).unwrap();
            b.set_issuer_name(&name).unwrap();
            b.set_pubkey(&key).unwrap();
            b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
                .unwrap();
            b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
                .unwrap();
            b.sign(&key, MessageDigest::sha256()).unwrap();
            (
                b.build().to_der().unwrap(),
                key.private_key_to_der().unwrap(),
            )
        });
        Self {
            x509: X509::from_der(cert).unwrap(),
            key: PKey::private_key_from_der(key).unwrap(),
        }
    }

    fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_der(HashAlgorithm::Sha256, &self.x509.to_der().unwrap())
    }

    fn ours(&self) -> Certificate {
        Certificate::from_der(
            self.x509.to_der().unwrap(),
            &self.key.private_key_to_pkcs8().unwrap(),
        )
        .unwrap()
    }
}

fn openssl_name(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::EcdheEcdsaAes128GcmSha256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::EcdheEcdsaAes256GcmSha384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        CipherSuite::EcdheRsaAes128GcmSha256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::EcdheRsaAes256GcmSha384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::EcdheRsaChacha20Poly1305Sha256 => "ECDHE-RSA-CHACHA20-POLY1305",
        _ => unreachable!("new suite"),
    }
}

fn group_name(g: NamedGroup) -> &'static str {
    match g {
        NamedGroup::X25519 => "X25519",
        NamedGroup::Secp256r1 => "P-256",
        NamedGroup::Secp384r1 => "P-384",
        _ => unreachable!("new group"),
    }
}

/// One scenario's knobs.
struct Case {
    suite: CipherSuite,
    group: NamedGroup,
    srtp: &'static str,
    expect_profile: SrtpProfile,
    our_mtu: usize,
    openssl_mtu: u32,
    cookie_exchange: bool,
    /// Indices (in our send order) of datagrams to drop on the way to OpenSSL.
    drop_to_openssl: &'static [usize],
    /// Swap adjacent datagrams in each batch, both ways.
    reorder: bool,
    /// As the client, write this in False Start (RFC 7918), behind our Finished flight.
    early_data: Option<&'static [u8]>,
}

impl Case {
    fn new(suite: CipherSuite, group: NamedGroup) -> Self {
        Self {
            suite,
            group,
            srtp: "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80",
            expect_profile: SrtpProfile::AeadAes128Gcm,
            our_mtu: 1200,
            openssl_mtu: 1200,
            cookie_exchange: true,
            drop_to_openssl: &[],
            reorder: false,
            early_data: None,
        }
    }
}

fn openssl_stream(case: &Case, id: &Identity, server: bool) -> SslStream<Pipe> {
    let mut ctx = SslContext::builder(SslMethod::dtls()).unwrap();
    ctx.set_certificate(&id.x509).unwrap();
    ctx.set_private_key(&id.key).unwrap();
    ctx.set_cipher_list(openssl_name(case.suite)).unwrap();
    // The certificate's curve (P-256) must be listed too (RFC 8422 section 2); the ECDHE
    // group follows the first entry, which both sides prefer.
    let groups = match case.group {
        NamedGroup::Secp256r1 => "P-256".to_owned(),
        g => format!("{}:P-256", group_name(g)),
    };
    ctx.set_groups_list(&groups).unwrap();
    ctx.set_tlsext_use_srtp(case.srtp).unwrap();
    ctx.set_verify_callback(
        SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        |_, _| true,
    );
    ctx.set_options(SslOptions::NO_QUERY_MTU);
    if server && case.cookie_exchange {
        ctx.set_options(SslOptions::COOKIE_EXCHANGE);
        ctx.set_cookie_generate_cb(|_, out| {
            out[..8].copy_from_slice(b"cookie!!");
            Ok(8)
        });
        ctx.set_cookie_verify_cb(|_, c| c == b"cookie!!");
    }
    let ctx = ctx.build();
    let mut ssl = Ssl::new(&ctx).unwrap();
    ssl.set_mtu(case.openssl_mtu).unwrap();
    if server {
        ssl.set_accept_state();
    } else {
        ssl.set_connect_state();
    }
    SslStream::new(ssl, Pipe::default()).unwrap()
}

fn reorder(batch: &mut [Vec<u8>]) {
    for pair in batch.chunks_mut(2) {
        if let [a, b] = pair {
            std::mem::swap(a, b);
        }
    }
}

struct Outcome {
    ours: Connection,
    theirs: SslStream<Pipe>,
    now: Instant,
}

/// Runs a handshake between our `role` and OpenSSL; panics unless both complete.
fn handshake(case: &Case, our_client: bool, rsa_openssl: bool) -> Outcome {
    let their_id = if rsa_openssl {
        Identity::rsa()
    } else {
        Identity::ecdsa()
    };
    // Our certificate must fit the suite when we are the server.
    let our_id = if case.suite.is_rsa() && !our_client {
        Identity::rsa()
    } else {
        Identity::ecdsa()
    };
    let mut config = DtlsConfig::new(Arc::new(our_id.ours()), their_id.fingerprint());
    config.mtu = case.our_mtu;
    config.initial_rto = Duration::from_millis(100);
    config.groups = vec![case.group];
    config
        .groups
        .extend(NamedGroup::ALL.into_iter().filter(|g| *g != case.group));
    config.cipher_suites = vec![case.suite];
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut now = epoch();
    let mut ours = if our_client {
        Connection::client(config, now, &mut rng)
    } else {
        Connection::server(config, now, &mut rng)
    };
    let mut theirs = openssl_stream(case, &their_id, our_client);
    let mut buf = vec![0u8; 20000];
    let mut sent = 0usize;
    let mut their_done = false;
    let mut early = case.early_data;
    for _ in 0..400 {
        if ours.is_writable()
            && !ours.is_connected()
            && let Some(data) = early.take()
        {
            ours.write(now, data).unwrap();
        }
        let mut batch = Vec::new();
        while let Some(n) = ours.poll_transmit(now, &mut buf) {
            if !case.drop_to_openssl.contains(&sent) {
                batch.push(buf[..n].to_vec());
            }
            sent += 1;
        }
        if case.reorder {
            reorder(&mut batch);
        }
        theirs.get_mut().inbox.extend(batch);
        if !their_done {
            match theirs.do_handshake() {
                Ok(()) => their_done = true,
                Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {}
                Err(e) => panic!("openssl failed: {e}; our events {:?}", events(&mut ours)),
            }
        }
        let mut batch: Vec<Vec<u8>> = theirs.get_mut().outbox.drain(..).collect();
        if case.reorder {
            reorder(&mut batch);
        }
        let idle = batch.is_empty();
        for mut d in batch {
            assert!(d.len() <= case.openssl_mtu as usize + 64, "{}", d.len());
            ours.handle_record(now, &mut d);
        }
        if their_done && ours.is_connected() {
            assert!(early.is_none(), "no False Start");
            return Outcome { ours, theirs, now };
        }
        assert!(!ours.is_closed(), "we closed: {:?}", events(&mut ours));
        if idle && let Some(t) = ours.poll_timeout() {
            now = now.max(t);
            ours.handle_timeout(now);
        }
    }
    panic!(
        "no handshake (we are client: {our_client}): {:?} {:?}",
        events(&mut ours),
        ours.stats()
    );
}

/// After a handshake: SRTP profile and keys agree, data flows both ways, close_notify is
/// seen by both.
fn check_session(case: &Case, mut o: Outcome, we_close: bool) {
    let profile = o
        .theirs
        .ssl()
        .selected_srtp_profile()
        .expect("openssl srtp");
    assert_eq!(
        u16::try_from(profile.id().as_raw()).unwrap(),
        case.expect_profile.code()
    );
    let keys = o.ours.srtp_keys().unwrap();
    assert_eq!(keys.profile(), case.expect_profile);
    let mut theirs = vec![0u8; SrtpKeys::material_len(case.expect_profile)];
    o.theirs
        .ssl()
        .export_keying_material(&mut theirs, SrtpKeys::LABEL, None)
        .unwrap();
    assert_eq!(keys.material(), &theirs[..]);
    // RFC 5705 with a context, too.
    let mut a = [0u8; 40];
    let mut b = [0u8; 40];
    o.ours
        .export_keying_material(b"EXPERIMENTAL-test", Some(b"ctx"), &mut a)
        .unwrap();
    o.theirs
        .ssl()
        .export_keying_material(&mut b, "EXPERIMENTAL-test", Some(b"ctx"))
        .unwrap();
    assert_eq!(a, b);

    // As the client, False Start (RFC 7918) comes first.
    let ours: Vec<_> = events(&mut o.ours)
        .into_iter()
        .filter(
            |e| !matches!(e, DtlsEvent::FalseStart { cipher_suite } if *cipher_suite == case.suite),
        )
        .collect();
    assert!(matches!(
        ours.as_slice(),
        [DtlsEvent::Connected { cipher_suite, srtp_profile: Some(p) }]
            if *cipher_suite == case.suite && *p == case.expect_profile
    ));

    // Application data both ways.
    let mut buf = vec![0u8; 20000];
    o.ours.write(o.now, b"hello openssl").unwrap();
    while let Some(n) = o.ours.poll_transmit(o.now, &mut buf) {
        o.theirs.get_mut().inbox.push_back(buf[..n].to_vec());
    }
    let mut rbuf = [0u8; 100];
    let n = o.theirs.read(&mut rbuf).unwrap();
    assert_eq!(&rbuf[..n], b"hello openssl");
    o.theirs.write_all(b"hello sansrtc").unwrap();
    for mut d in o.theirs.get_mut().outbox.drain(..).collect::<Vec<_>>() {
        o.ours.handle_record(o.now, &mut d);
    }
    // A server may still retransmit its last flight (it never saw our data before this).
    let got: Vec<_> = events(&mut o.ours);
    assert_eq!(
        got,
        vec![DtlsEvent::ApplicationData(bytes::Bytes::from_static(
            b"hello sansrtc"
        ))]
    );

    if we_close {
        o.ours.close(o.now);
        while let Some(n) = o.ours.poll_transmit(o.now, &mut buf) {
            o.theirs.get_mut().inbox.push_back(buf[..n].to_vec());
        }
        let n = o.theirs.read(&mut rbuf).unwrap();
        assert_eq!(n, 0, "openssl saw close_notify");
        assert_eq!(
            events(&mut o.ours),
            vec![DtlsEvent::Closed {
                reason: CloseReason::LocalClosed
            }]
        );
    } else {
        let _ = o.theirs.shutdown();
        for mut d in o.theirs.get_mut().outbox.drain(..).collect::<Vec<_>>() {
            o.ours.handle_record(o.now, &mut d);
        }
        assert_eq!(
            events(&mut o.ours),
            vec![DtlsEvent::Closed {
                reason: CloseReason::PeerClosed
            }]
        );
        // We answer with our own close_notify.
        assert!(o.ours.poll_transmit(o.now, &mut buf).is_some());
    }
    assert!(o.ours.is_closed());
}

const ECDSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::EcdheEcdsaAes128GcmSha256,
    CipherSuite::EcdheEcdsaAes256GcmSha384,
    CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
];
const RSA_SUITES: [CipherSuite; 3] = [
    CipherSuite::EcdheRsaAes128GcmSha256,
    CipherSuite::EcdheRsaAes256GcmSha384,
    CipherSuite::EcdheRsaChacha20Poly1305Sha256,
];
const GROUPS: [NamedGroup; 2] = [NamedGroup::X25519, NamedGroup::Secp256r1];

#[test]
fn dtls_openssl_we_are_client_every_suite_and_curve() {
    for (i, suite) in ECDSA_SUITES.into_iter().chain(RSA_SUITES).enumerate() {
        for group in GROUPS {
            let case = Case::new(suite, group);
            let o = handshake(&case, true, suite.is_rsa());
            check_session(&case, o, i % 2 == 0);
        }
    }
}

#[test]
fn dtls_openssl_we_are_server_every_suite_and_curve() {
    for (i, suite) in ECDSA_SUITES.into_iter().chain(RSA_SUITES).enumerate() {
        for group in GROUPS {
            let case = Case::new(suite, group);
            let o = handshake(&case, false, false);
            check_session(&case, o, i % 2 == 1);
        }
    }
}

/// OpenSSL as the server takes application data that left with our Finished, before its
/// own Finished reached us (False Start, RFC 7918).
#[test]
fn dtls_openssl_server_accepts_our_false_start_data() {
    for suite in [
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        CipherSuite::EcdheRsaChacha20Poly1305Sha256,
        CipherSuite::EcdheEcdsaAes256GcmSha384,
    ] {
        let mut case = Case::new(suite, NamedGroup::X25519);
        case.early_data = Some(b"false start");
        let mut o = handshake(&case, true, suite.is_rsa());
        let mut rbuf = [0u8; 100];
        let n = o.theirs.read(&mut rbuf).unwrap();
        assert_eq!(&rbuf[..n], b"false start", "{suite:?}");
        check_session(&case, o, true);
    }
}

#[test]
fn dtls_openssl_server_without_cookie_exchange() {
    let mut case = Case::new(CipherSuite::EcdheEcdsaAes128GcmSha256, NamedGroup::X25519);
    case.cookie_exchange = false;
    case.srtp = "SRTP_AES128_CM_SHA1_80";
    case.expect_profile = SrtpProfile::Aes128CmHmacSha1_80;
    let o = handshake(&case, true, false);
    check_session(&case, o, true);
}

#[test]
fn dtls_openssl_srtp_profiles_each() {
    for (name, profile) in [
        ("SRTP_AEAD_AES_256_GCM", SrtpProfile::AeadAes256Gcm),
        ("SRTP_AES128_CM_SHA1_32", SrtpProfile::Aes128CmHmacSha1_32),
    ] {
        for our_client in [true, false] {
            let mut case = Case::new(CipherSuite::EcdheEcdsaAes128GcmSha256, NamedGroup::X25519);
            case.srtp = name;
            case.expect_profile = profile;
            let o = handshake(&case, our_client, false);
            check_session(&case, o, our_client);
        }
    }
}

#[test]
fn dtls_openssl_small_mtu_fragments_both_ways() {
    for our_client in [true, false] {
        // RSA certificates and signatures make the flights large.
        let mut case = Case::new(CipherSuite::EcdheRsaAes128GcmSha256, NamedGroup::Secp256r1);
        case.our_mtu = 300;
        case.openssl_mtu = 300;
        let o = handshake(&case, our_client, true);
        assert!(o.ours.stats().datagrams_sent >= 4);
        check_session(&case, o, true);
    }
}

#[test]
fn dtls_openssl_drops_and_reordering() {
    for our_client in [true, false] {
        let mut case = Case::new(CipherSuite::EcdheEcdsaAes128GcmSha256, NamedGroup::X25519);
        case.our_mtu = 400;
        case.openssl_mtu = 400;
        case.reorder = true;
        // Only datagrams our own timer recovers: as client the first ClientHello, the one
        // with the cookie and the first of our key-exchange flight; as server (whose
        // HelloVerifyRequest is stateless and final flight untimed) two datagrams of the
        // server flight.
        case.drop_to_openssl = if our_client { &[0, 2, 4] } else { &[1, 3] };
        let o = handshake(&case, our_client, false);
        assert!(o.ours.stats().retransmissions >= 1);
        check_session(&case, o, false);
    }
}

#[test]
fn dtls_openssl_fingerprint_mismatch_is_a_handshake_failure() {
    let case = Case::new(CipherSuite::EcdheEcdsaAes128GcmSha256, NamedGroup::X25519);
    let their_id = Identity::ecdsa();
    let our_id = Identity::ecdsa();
    let wrong = Identity::ecdsa().fingerprint();
    let config = DtlsConfig::new(Arc::new(our_id.ours()), wrong);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let now = epoch();
    let mut ours = Connection::client(config, now, &mut rng);
    let mut theirs = openssl_stream(&case, &their_id, true);
    let mut buf = vec![0u8; 2000];
    for _ in 0..10 {
        while let Some(n) = ours.poll_transmit(now, &mut buf) {
            theirs.get_mut().inbox.push_back(buf[..n].to_vec());
        }
        let r = theirs.do_handshake();
        for mut d in theirs.get_mut().outbox.drain(..).collect::<Vec<_>>() {
            ours.handle_record(now, &mut d);
        }
        if ours.is_closed() {
            // OpenSSL gets our fatal bad_certificate alert.
            while let Some(n) = ours.poll_transmit(now, &mut buf) {
                theirs.get_mut().inbox.push_back(buf[..n].to_vec());
            }
            assert!(theirs.do_handshake().is_err());
            assert_eq!(
                events(&mut ours),
                vec![DtlsEvent::Closed {
                    reason: CloseReason::Error(DtlsError::FingerprintMismatch)
                }]
            );
            assert!(ours.srtp_keys().is_err());
            return;
        }
        assert!(r.is_err(), "openssl must not finish");
    }
    panic!("mismatch not detected");
}

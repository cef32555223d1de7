//! Wire tests: construct/parse round trips and proptests over every parser.

use proptest::prelude::*;
use smallvec::SmallVec;

use super::messages::*;
use super::*;

#[allow(
    clippy::type_complexity,
    reason = "a proptest tuple strategy, used once"
)]
fn client_hello_strategy() -> impl Strategy<
    Value = (
        Vec<u8>,
        Vec<u8>,
        Vec<u16>,
        Vec<u16>,
        Vec<u16>,
        Option<Vec<u16>>,
        bool,
        Option<Vec<u8>>,
    ),
> {
    (
        proptest::collection::vec(any::<u8>(), 0..=32),
        proptest::collection::vec(any::<u8>(), 0..=64),
        proptest::collection::vec(any::<u16>(), 1..20),
        proptest::collection::vec(any::<u16>(), 0..8),
        proptest::collection::vec(any::<u16>(), 0..20),
        proptest::option::of(proptest::collection::vec(any::<u16>(), 0..6)),
        any::<bool>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
    )
}

#[test]
fn construct_and_parse_record_header() {
    let h = RecordHeader {
        content_type: ContentType::Handshake,
        version: ProtocolVersion::DTLS1_2,
        epoch: 1,
        sequence: 0x0102_0304_0506,
        length: 3,
    };
    let mut buf = [0u8; 16];
    assert_eq!(h.emit(&mut buf).unwrap(), 13);
    assert_eq!(&buf[..13], &[22, 0xfe, 0xfd, 0, 1, 1, 2, 3, 4, 5, 6, 0, 3]);
    assert_eq!(RecordHeader::parse(&buf).unwrap(), h);
    let rec = Record::new_checked(&buf[..]).unwrap();
    assert_eq!(rec.fragment(), &[0, 0, 0]);
    assert!(rec.rest().is_empty());
}

#[test]
fn impossible_len() {
    let mut buf = [0u8; 13];
    RecordHeader {
        content_type: ContentType::Alert,
        version: ProtocolVersion::DTLS1_2,
        epoch: 0,
        sequence: 0,
        length: 1,
    }
    .emit(&mut buf)
    .unwrap();
    assert_eq!(RecordHeader::parse(&buf), Err(WireError::Truncated));
    // A fragment reaching past the message length.
    let mut hs = Vec::new();
    HandshakeHeader {
        msg_type: HandshakeType::FINISHED,
        length: 12,
        message_seq: 0,
        fragment_offset: 8,
        fragment_length: 8,
    }
    .emit(&mut hs);
    assert_eq!(HandshakeHeader::parse(&hs), Err(WireError::BadLength));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn dtls_parse_never_panics_record(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = RecordHeader::parse(&bytes);
        if let Ok(r) = Record::new_checked(&bytes[..]) {
            prop_assert!(r.fragment().len() == usize::from(r.header().length));
        }
        for f in HandshakeFragments::new(&bytes) {
            let _ = f;
        }
        let _ = Alert::parse(&bytes);
    }

    #[test]
    fn dtls_parse_never_panics_messages(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = ClientHello::parse(&bytes);
        let _ = ServerHello::parse(&bytes);
        let _ = HelloVerifyRequest::parse(&bytes);
        let _ = CertificateChain::parse(&bytes);
        let _ = ServerKeyExchange::parse(&bytes);
        let _ = CertificateRequest::parse(&bytes);
        let _ = ClientKeyExchange::parse(&bytes);
        let _ = CertificateVerify::parse(&bytes);
        let _ = Finished::parse(&bytes);
        let _ = Extensions::parse(&bytes);
        let _ = parse_server_hello_done(&bytes);
    }

    #[test]
    fn dtls_parse_client_hello_round_trips(
        (sid, cookie, suites, groups, sigs, srtp, ems, reneg) in client_hello_strategy(),
        random in any::<[u8; 32]>(),
    ) {
        let ch = ClientHello {
            version: ProtocolVersion::DTLS1_2,
            random,
            session_id: &sid,
            cookie: &cookie,
            cipher_suites: SmallVec::from_slice(&suites),
            null_compression: true,
            extensions: Extensions {
                supported_groups: SmallVec::from_slice(&groups),
                ec_point_formats: Some(true),
                signature_algorithms: SmallVec::from_slice(&sigs),
                srtp_profiles: srtp.as_deref().map(SmallVec::from_slice),
                srtp_mki: &[],
                extended_master_secret: ems,
                renegotiation_info: reneg.as_deref(),
            },
        };
        let mut out = Vec::new();
        ch.emit(&mut out);
        prop_assert_eq!(ClientHello::parse(&out).unwrap(), ch);
    }

    #[test]
    fn dtls_parse_flipped_byte_is_error_or_valid(
        idx in any::<prop::sample::Index>(),
        bit in 0u8..8,
        random in any::<[u8; 32]>(),
    ) {
        let sh = ServerHello {
            version: ProtocolVersion::DTLS1_2,
            random,
            session_id: &[],
            cipher_suite: 0xC02B,
            compression: 0,
            extensions: Extensions {
                srtp_profiles: Some(SmallVec::from_slice(&[7])),
                extended_master_secret: true,
                renegotiation_info: Some(&[]),
                ..Extensions::default()
            },
        };
        let mut out = Vec::new();
        sh.emit(&mut out);
        let i = idx.index(out.len());
        out[i] ^= 1 << bit;
        // Either an error or some other well-formed value; never a panic.
        if let Ok(v) = ServerHello::parse(&out) {
            let mut again = Vec::new();
            v.emit(&mut again);
        }
    }
}

#[test]
fn construct_and_parse_other_messages() {
    let mut out = Vec::new();
    let chain = CertificateChain {
        certificates: SmallVec::from_slice(&[&b"abc"[..], &b"de"[..]]),
    };
    chain.emit(&mut out);
    assert_eq!(CertificateChain::parse(&out).unwrap(), chain);

    let mut out = Vec::new();
    let ske = ServerKeyExchange {
        group: 29,
        public: &[9; 32],
        scheme: 0x0403,
        signature: &[1, 2, 3],
    };
    ske.emit(&mut out);
    assert_eq!(ServerKeyExchange::parse(&out).unwrap(), ske);

    let mut out = Vec::new();
    let cr = CertificateRequest {
        certificate_types: &[64, 1],
        signature_algorithms: SmallVec::from_slice(&[0x0403, 0x0804]),
        authorities: &[],
    };
    cr.emit(&mut out);
    assert_eq!(CertificateRequest::parse(&out).unwrap(), cr);

    let mut buf = [0u8; 64];
    let hvr = HelloVerifyRequest {
        version: ProtocolVersion::DTLS1_0,
        cookie: &[5; 20],
    };
    let n = hvr.emit_into(&mut buf).unwrap();
    assert_eq!(HelloVerifyRequest::parse(&buf[..n]).unwrap(), hvr);

    let alert = Alert {
        level: AlertLevel::Fatal,
        description: AlertDescription::BAD_CERTIFICATE,
    };
    assert_eq!(Alert::parse(&alert.to_bytes()).unwrap(), alert);
}

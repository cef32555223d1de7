//! Wire tests: header and attribute parsing, the builder, integrity rules, and property tests.

use std::net::{IpAddr, SocketAddr};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::vectors::{SAMPLE_IPV6_RESPONSE, SAMPLE_LONG_TERM_REQUEST, SAMPLE_REQUEST};
use super::*;

const TID: TransactionId = TransactionId::new([7; 12]);

/// Calls every accessor and check; the point is that none panics.
fn exercise<T: AsRef<[u8]>>(msg: &Message<T>) {
    let _ = (msg.class(), msg.method(), msg.transaction_id());
    for attr in msg.attributes() {
        let _ = (attr.kind.is_comprehension_required(), attr.value.len());
    }
    let _ = (
        msg.username(),
        msg.xor_mapped_address(),
        msg.mapped_address(),
    );
    let _ = (
        msg.priority(),
        msg.use_candidate(),
        msg.ice_controlling(),
        msg.ice_controlled(),
    );
    let _ = (
        msg.error_code(),
        msg.unknown_attributes().count(),
        msg.software(),
    );
    let _ = (
        msg.realm(),
        msg.nonce(),
        msg.unknown_comprehension_required(),
    );
    let _ = (
        msg.check_integrity(b"key"),
        msg.check_integrity(&[]),
        msg.check_fingerprint(),
    );
}

/// A header for a message of `class`/`method` with a body of `body_len` bytes.
fn header(kind: u16, body_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(body_len as u16).to_be_bytes());
    out.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    out.extend_from_slice(&[7; 12]);
    out
}

/// A message from raw `(type, value)` attributes, zero-padded, with a correct length field.
fn raw_message(kind: u16, attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, v) in attrs {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&(v.len() as u16).to_be_bytes());
        body.extend_from_slice(v);
        body.resize(body.len().next_multiple_of(4), 0);
    }
    let mut out = header(kind, body.len());
    out.extend_from_slice(&body);
    out
}

#[test]
fn construct() {
    // RFC 8489 section 5: the class bits interleave with the method bits.
    let cases = [
        (Class::Request, Method::BINDING, 0x0001),
        (Class::Indication, Method::BINDING, 0x0011),
        (Class::Success, Method::BINDING, 0x0101),
        (Class::Error, Method::BINDING, 0x0111),
        (Class::Request, Method(0x003), 0x0003),
        (Class::Error, Method(0x003), 0x0113),
        (Class::Error, Method(0xFFF), 0x3FFF),
    ];
    for (class, method, kind) in cases {
        let mut buf = [0; 20];
        let len = MessageBuilder::new(&mut buf, class, method, TID)
            .unwrap()
            .finish();
        assert_eq!(len, 20);
        assert_eq!(buf[..20], header(kind, 0)[..], "{class:?} {method:?}");
    }
    let mut buf = [0; 20];
    let err = MessageBuilder::new(&mut buf, Class::Request, Method(0x1000), TID).unwrap_err();
    assert_eq!(err, WireError::BadMethod);
}

#[test]
fn deconstruct() {
    for (kind, class, method) in [
        (0x0001, Class::Request, 0x001),
        (0x0011, Class::Indication, 0x001),
        (0x0101, Class::Success, 0x001),
        (0x0111, Class::Error, 0x001),
        (0x3FFF, Class::Error, 0xFFF),
        (0x3EEF, Class::Request, 0xFFF),
    ] {
        let bytes = header(kind, 0);
        let msg = Message::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            (msg.class(), msg.method()),
            (class, Method(method)),
            "{kind:#06x}"
        );
        assert_eq!(msg.transaction_id(), TID);
        assert_eq!(msg.attributes().count(), 0);
    }
}

#[test]
fn impossible_len() {
    let good = raw_message(0x0001, &[(0x8022, b"abc")]);
    assert!(Message::new_checked(&good[..]).is_ok());
    assert!(is_stun(&good));
    // Shorter than the header.
    assert_eq!(
        Message::new_checked(&good[..19]).unwrap_err(),
        WireError::Truncated
    );
    // Shorter than the length field says.
    assert_eq!(
        Message::new_checked(&good[..good.len() - 4]).unwrap_err(),
        WireError::Truncated
    );
    // Longer than the length field says.
    let mut long = good.clone();
    long.extend_from_slice(&[0; 4]);
    assert_eq!(
        Message::new_checked(&long[..]).unwrap_err(),
        WireError::BadLength
    );
    // Length not a multiple of 4.
    let mut odd = good.clone();
    odd[3] = 7;
    odd.truncate(27);
    assert_eq!(
        Message::new_checked(&odd[..]).unwrap_err(),
        WireError::BadLength
    );
    // An attribute that overruns the message.
    let mut overrun = good;
    overrun[23] = 9;
    assert_eq!(
        Message::new_checked(&overrun[..]).unwrap_err(),
        WireError::Truncated
    );
    // Half an attribute header.
    let mut half = header(0x0001, 4);
    half.extend_from_slice(&[0x80, 0x22, 0x00, 0x08]);
    assert_eq!(
        Message::new_checked(&half[..]).unwrap_err(),
        WireError::Truncated
    );
    assert!(is_stun(&half), "is_stun checks the header only");
}

#[test]
fn parse_rejects_non_stun() {
    let mut bytes = header(0x0001, 0);
    bytes[0] = 0x40;
    assert_eq!(
        Message::new_checked(&bytes[..]).unwrap_err(),
        WireError::NotStun
    );
    assert!(!is_stun(&bytes));
    let mut bytes = header(0x0001, 0);
    bytes[7] ^= 1;
    assert_eq!(
        Message::new_checked(&bytes[..]).unwrap_err(),
        WireError::BadMagicCookie
    );
    assert!(!is_stun(&bytes));
    assert!(!is_stun(&[]));
}

#[test]
fn parse_rejects_bad_fixed_sizes() {
    let cases: [(AttributeType, &[u8]); 9] = [
        (AttributeType::PRIORITY, &[1, 2, 3]),
        (AttributeType::ICE_CONTROLLING, &[1; 4]),
        (AttributeType::ICE_CONTROLLED, &[1; 9]),
        (AttributeType::USE_CANDIDATE, &[1]),
        (AttributeType::MESSAGE_INTEGRITY, &[1; 16]),
        (AttributeType::MESSAGE_INTEGRITY_SHA256, &[1; 12]),
        (AttributeType::FINGERPRINT, &[1; 8]),
        (AttributeType::XOR_MAPPED_ADDRESS, &[0, 2, 0, 0, 1, 2, 3, 4]),
        (AttributeType::ERROR_CODE, &[0, 0, 2, 0]),
    ];
    for (kind, value) in cases {
        let bytes = raw_message(0x0001, &[(kind.0, value)]);
        let err = Message::new_checked(&bytes[..]).unwrap_err();
        assert_eq!(err, WireError::BadAttribute(kind));
    }
}

#[test]
fn parse_typed_attributes() {
    let mut buf = [0; 512];
    let addr: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
    let mut b = MessageBuilder::new(&mut buf, Class::Error, Method::BINDING, TID).unwrap();
    b.add_username(b"a:b").unwrap();
    b.add_xor_mapped_address(addr).unwrap();
    b.add_priority(0x7e00_00ff).unwrap();
    b.add_use_candidate().unwrap();
    b.add_ice_controlling(u64::MAX - 1).unwrap();
    b.add_error_code(487, "Role Conflict").unwrap();
    b.add_unknown_attributes(&[AttributeType(0x0003), AttributeType(0x7777)])
        .unwrap();
    b.add_software("sansrtc").unwrap();
    b.add_raw(
        AttributeType::MAPPED_ADDRESS,
        &[0, 1, 0x0d, 0x96, 192, 0, 2, 1],
    )
    .unwrap();
    let len = b.finish();
    let msg = Message::new_checked(&buf[..len]).unwrap();
    assert_eq!(msg.username(), Some(&b"a:b"[..]));
    assert_eq!(msg.xor_mapped_address(), Some(addr));
    assert_eq!(msg.priority(), Some(0x7e00_00ff));
    assert!(msg.use_candidate());
    assert_eq!(msg.ice_controlling(), Some(u64::MAX - 1));
    assert_eq!(msg.ice_controlled(), None);
    let code = msg.error_code().unwrap();
    assert_eq!((code.code, code.reason), (487, "Role Conflict"));
    let unknown: Vec<_> = msg.unknown_attributes().collect();
    assert_eq!(unknown, [AttributeType(0x0003), AttributeType(0x7777)]);
    assert_eq!(msg.software(), Some(&b"sansrtc"[..]));
    assert_eq!(
        msg.mapped_address(),
        Some("192.0.2.1:3478".parse().unwrap())
    );
    assert_eq!(msg.check_integrity(b"k"), Err(WireError::MissingIntegrity));
    assert_eq!(msg.check_fingerprint(), Err(WireError::BadFingerprint));
}

#[test]
fn parse_error_code_keeps_valid_utf8_prefix() {
    let bytes = raw_message(0x0111, &[(0x0009, &[0, 0, 4, 20, b'o', b'k', 0xFF, b'x'])]);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        msg.error_code(),
        Some(ErrorCode {
            code: 420,
            reason: "ok"
        })
    );
}

#[test]
fn parse_unknown_comprehension_required() {
    let bytes = raw_message(
        0x0001,
        &[
            (0x0003, &[0; 4]),
            (0x8000, &[]),
            (0x0003, &[]),
            (0x0006, b"u"),
            (0x7FFF, &[]),
            (0x0002, &[]),
            (0x0004, &[]),
            (0x0005, &[]),
        ],
    );
    let msg = Message::new_checked(&bytes[..]).unwrap();
    let unknown = msg.unknown_comprehension_required();
    // Deduplicated, comprehension-optional and known types skipped, capped at 4.
    let types: Vec<u16> = unknown.iter().map(|t| t.0).collect();
    assert_eq!(types, [0x0003, 0x7FFF, 0x0002, 0x0004]);
    assert!(!unknown.spilled());
}

#[test]
fn parse_ignores_attributes_after_integrity() {
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
    b.add_priority(1).unwrap();
    b.add_message_integrity(b"pw").unwrap();
    let len = b.finish();
    // Append USERNAME and PRIORITY after MESSAGE-INTEGRITY and fix the length, as an attacker
    // could.
    let mut bytes = buf[..len].to_vec();
    bytes.extend_from_slice(&[0x00, 0x06, 0x00, 0x04, b'e', b'v', b'i', b'l']);
    bytes.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 0, 0, 0, 2]);
    let body = (bytes.len() - 20) as u16;
    bytes[2..4].copy_from_slice(&body.to_be_bytes());
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(msg.username(), None);
    assert_eq!(msg.priority(), Some(1));
    assert_eq!(msg.check_integrity(b"pw"), Ok(()));
    let kinds: Vec<_> = msg.attributes().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [AttributeType::PRIORITY, AttributeType::MESSAGE_INTEGRITY]
    );
}

#[test]
fn parse_fingerprint_must_be_last() {
    let mut buf = [0; 64];
    let b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
    let len = b.finish_with_fingerprint().unwrap();
    let mut bytes = buf[..len].to_vec();
    assert_eq!(
        Message::new_checked(&bytes[..])
            .unwrap()
            .check_fingerprint(),
        Ok(())
    );
    bytes.extend_from_slice(&[0x80, 0x22, 0x00, 0x00]);
    bytes[3] += 4;
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(msg.check_fingerprint(), Err(WireError::BadFingerprint));
    assert_eq!(msg.software(), None, "nothing after FINGERPRINT counts");
}

#[test]
fn emit_integrity_sha256() {
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
    b.add_username(b"user").unwrap();
    b.add_message_integrity(b"key").unwrap();
    b.add_message_integrity_sha256(b"key").unwrap();
    assert_eq!(b.add_message_integrity(b"key"), Err(WireError::BadOrder));
    assert_eq!(
        b.add_message_integrity_sha256(b"key"),
        Err(WireError::BadOrder)
    );
    assert_eq!(b.add_priority(1), Err(WireError::BadOrder));
    let len = b.finish_with_fingerprint().unwrap();
    let msg = Message::new_checked(&buf[..len]).unwrap();
    assert_eq!(msg.check_integrity(b"key"), Ok(()));
    assert_eq!(msg.check_integrity(b"kez"), Err(WireError::BadIntegrity));
    assert_eq!(msg.check_fingerprint(), Ok(()));

    // Truncated to 16 bytes (RFC 8489 section 14.6): rebuild with a shorter attribute whose
    // value is the left 16 bytes of the HMAC over the same adjusted header.
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
    b.add_username(b"user").unwrap();
    let start = b.finish();
    let mut bytes = buf[..start].to_vec();
    bytes[3] += 20;
    let mac = integrity::hmac_sha256(b"key", &[&bytes]);
    bytes.extend_from_slice(&[0x00, 0x1C, 0x00, 0x10]);
    bytes.extend_from_slice(&mac[..16]);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(msg.check_integrity(b"key"), Ok(()));
}

#[test]
fn emit_rejects_bad_values() {
    let mut buf = [0; 2048];
    let mut b = MessageBuilder::new(&mut buf, Class::Error, Method::BINDING, TID).unwrap();
    let error = WireError::BadAttribute(AttributeType::ERROR_CODE);
    assert_eq!(b.add_error_code(299, "x"), Err(error));
    assert_eq!(b.add_error_code(700, "x"), Err(error));
    assert_eq!(
        b.add_username(&[b'a'; 513]),
        Err(WireError::BadAttribute(AttributeType::USERNAME))
    );
    let long = "x".repeat(764);
    assert_eq!(
        b.add_software(&long),
        Err(WireError::BadAttribute(AttributeType::SOFTWARE))
    );
    assert_eq!(b.finish(), 20, "failed adds leave the message unchanged");
}

#[test]
fn emit_buffer_too_small() {
    // Every buffer shorter than the full message fails cleanly, never panics.
    let mut full = [0; 256];
    let expected = build_sample(&mut full).unwrap();
    for size in 0..expected {
        let mut buf = vec![0; size];
        assert_eq!(
            build_sample(&mut buf),
            Err(WireError::BufferTooSmall),
            "size {size}"
        );
    }
}

fn build_sample(buf: &mut [u8]) -> Result<usize, WireError> {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, TID)?;
    b.add_username(b"evtj:h6vY")?;
    b.add_xor_mapped_address("[::1]:9".parse().unwrap())?;
    b.add_message_integrity(b"pw")?;
    b.add_message_integrity_sha256(b"pw")?;
    b.finish_with_fingerprint()
}

#[test]
fn transaction_id_random() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = TransactionId::random(&mut rng);
    let b = TransactionId::random(&mut rng);
    assert_ne!(a, b);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    assert_eq!(
        TransactionId::random(&mut rng),
        a,
        "deterministic from the seed"
    );
}

/// What the round-trip property generates: one of each typed attribute, maybe.
#[derive(Debug, Clone)]
struct Repr {
    class: Class,
    method: u16,
    username: Option<Vec<u8>>,
    address: Option<SocketAddr>,
    priority: Option<u32>,
    use_candidate: bool,
    controlling: Option<u64>,
    controlled: Option<u64>,
    error: Option<(u16, String)>,
    unknown: Vec<u16>,
    software: Option<String>,
    key: Option<Vec<u8>>,
    sha256: bool,
    fingerprint: bool,
}

fn arb_class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Request),
        Just(Class::Indication),
        Just(Class::Success),
        Just(Class::Error)
    ]
}

fn arb_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::new(IpAddr::from(ip), p)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::new(IpAddr::from(ip), p)),
    ]
}

fn arb_repr() -> impl Strategy<Value = Repr> {
    (
        (arb_class(), 0..=0xFFFu16),
        (
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=512)),
            proptest::option::of(arb_addr()),
            proptest::option::of(any::<u32>()),
            any::<bool>(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
        ),
        (
            proptest::option::of((300..700u16, "\\PC{0,40}")),
            proptest::collection::vec(any::<u16>(), 0..6),
            proptest::option::of("\\PC{0,60}"),
        ),
        (
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(|((class, method), a, e, i)| Repr {
            class,
            method,
            username: a.0,
            address: a.1,
            priority: a.2,
            use_candidate: a.3,
            controlling: a.4,
            controlled: a.5,
            error: e.0,
            unknown: e.1,
            software: e.2,
            key: i.0,
            sha256: i.1,
            fingerprint: i.2,
        })
}

fn emit(repr: &Repr, buf: &mut [u8]) -> Result<usize, WireError> {
    let mut b = MessageBuilder::new(buf, repr.class, Method(repr.method), TID)?;
    if let Some(u) = &repr.username {
        b.add_username(u)?;
    }
    if let Some(a) = repr.address {
        b.add_xor_mapped_address(a)?;
    }
    if let Some(p) = repr.priority {
        b.add_priority(p)?;
    }
    if repr.use_candidate {
        b.add_use_candidate()?;
    }
    if let Some(t) = repr.controlling {
        b.add_ice_controlling(t)?;
    }
    if let Some(t) = repr.controlled {
        b.add_ice_controlled(t)?;
    }
    if let Some((code, reason)) = &repr.error {
        b.add_error_code(*code, reason)?;
    }
    let unknown: Vec<_> = repr.unknown.iter().map(|&t| AttributeType(t)).collect();
    b.add_unknown_attributes(&unknown)?;
    if let Some(s) = &repr.software {
        b.add_software(s)?;
    }
    if let Some(k) = &repr.key {
        b.add_message_integrity(k)?;
        if repr.sha256 {
            b.add_message_integrity_sha256(k)?;
        }
    }
    if repr.fingerprint {
        b.finish_with_fingerprint()
    } else {
        Ok(b.finish())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn stun_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = is_stun(&bytes);
        if let Ok(msg) = Message::new_checked(&bytes[..]) {
            exercise(&msg);
        }
    }

    #[test]
    fn stun_parse_never_panics_with_header(
        kind in 0..0x4000u16,
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = header(kind, body.len() & !3);
        bytes.extend_from_slice(&body[..body.len() & !3]);
        prop_assert!(is_stun(&bytes));
        if let Ok(msg) = Message::new_checked(&bytes[..]) {
            exercise(&msg);
        }
    }

    #[test]
    fn stun_parse_never_panics_with_framed_attributes(
        attrs in proptest::collection::vec(
            (
                prop_oneof![
                    Just(0x0001u16), Just(0x0006), Just(0x0008), Just(0x0009), Just(0x000A),
                    Just(0x001C), Just(0x0020), Just(0x0024), Just(0x0025), Just(0x8028),
                    Just(0x8029), Just(0x802A), any::<u16>(),
                ],
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
            0..8,
        ),
    ) {
        let refs: Vec<(u16, &[u8])> = attrs.iter().map(|(t, v)| (*t, &v[..])).collect();
        let bytes = raw_message(0x0001, &refs);
        if let Ok(msg) = Message::new_checked(&bytes[..]) {
            exercise(&msg);
        }
    }

    #[test]
    fn stun_parse_never_panics_builder_roundtrip(repr in arb_repr()) {
        let mut buf = vec![0; 4096];
        let len = emit(&repr, &mut buf).unwrap();
        let msg = Message::new_checked(&buf[..len]).unwrap();
        exercise(&msg);
        prop_assert_eq!(msg.class(), repr.class);
        prop_assert_eq!(msg.method(), Method(repr.method));
        prop_assert_eq!(msg.transaction_id(), TID);
        prop_assert_eq!(msg.username(), repr.username.as_deref());
        prop_assert_eq!(msg.xor_mapped_address(), repr.address);
        prop_assert_eq!(msg.priority(), repr.priority);
        prop_assert_eq!(msg.use_candidate(), repr.use_candidate);
        prop_assert_eq!(msg.ice_controlling(), repr.controlling);
        prop_assert_eq!(msg.ice_controlled(), repr.controlled);
        prop_assert_eq!(
            msg.error_code().map(|e| (e.code, e.reason.to_owned())),
            repr.error
        );
        let unknown: Vec<u16> = msg.unknown_attributes().map(|t| t.0).collect();
        prop_assert_eq!(unknown, repr.unknown);
        prop_assert_eq!(msg.software(), repr.software.as_deref().map(str::as_bytes));
        match &repr.key {
            Some(k) => {
                prop_assert_eq!(msg.check_integrity(k), Ok(()));
                // HMAC zero-pads keys, so append a non-zero byte to get a different key.
                let mut wrong = k.clone();
                wrong.push(1);
                prop_assert_eq!(msg.check_integrity(&wrong), Err(WireError::BadIntegrity));
            }
            None => prop_assert_eq!(msg.check_integrity(b"k"), Err(WireError::MissingIntegrity)),
        }
        prop_assert_eq!(msg.check_fingerprint().is_ok(), repr.fingerprint);
    }

    #[test]
    fn stun_parse_never_panics_one_byte_flipped(
        which in 0..3usize,
        at in any::<prop::sample::Index>(),
        mask in 1..=255u8,
    ) {
        // A protected message with one byte changed is either rejected by the parser or fails
        // its integrity or fingerprint check: never accepted whole.
        let (original, key): (&[u8], Vec<u8>) = match which {
            0 => (&SAMPLE_REQUEST, b"VOkJxbRl1RmTxUk/WvJxBt".to_vec()),
            1 => (&SAMPLE_IPV6_RESPONSE, b"VOkJxbRl1RmTxUk/WvJxBt".to_vec()),
            _ => (
                &SAMPLE_LONG_TERM_REQUEST,
                long_term_key(
                    "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
                    "example.org",
                    "TheMatrIX",
                )
                .to_vec(),
            ),
        };
        let mut bytes = original.to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        if let Ok(msg) = Message::new_checked(&bytes[..]) {
            exercise(&msg);
            let whole = msg.check_integrity(&key).is_ok()
                && (which == 2 || msg.check_fingerprint().is_ok());
            prop_assert!(!whole, "flip at {} accepted", i);
        }
    }
}

#[test]
fn emit_unknown_attributes_after_integrity_is_refused() {
    // UNKNOWN-ATTRIBUTES after MESSAGE-INTEGRITY would not be covered by the HMAC (RFC 8489
    // section 14.5): the builder must refuse it like any other attribute.
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Error, Method::BINDING, TID).unwrap();
    b.add_error_code(420, "Unknown Attribute").unwrap();
    b.add_message_integrity(b"key").unwrap();
    assert_eq!(
        b.add_unknown_attributes(&[AttributeType(0x7001)]),
        Err(WireError::BadOrder)
    );
    let len = b.finish_with_fingerprint().unwrap();
    let msg = Message::new_checked(&buf[..len]).unwrap();
    assert_eq!(msg.check_integrity(b"key"), Ok(()));
    assert_eq!(msg.check_fingerprint(), Ok(()));
}

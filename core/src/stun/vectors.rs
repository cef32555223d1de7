//! RFC 5769 test vectors: every sample message parses, verifies, decodes, and is rebuilt byte
//! for byte by [`MessageBuilder`].
//!
//! The RFC pads SOFTWARE and USERNAME with spaces (0x20) in sections 2.1 to 2.3 and with zeros in
//! section 2.4. Padding is covered by MESSAGE-INTEGRITY and FINGERPRINT, so the rebuilds set the
//! builder's padding byte to match ([`MessageBuilder::set_padding`]); receivers ignore it.

use std::net::SocketAddr;

use super::*;

/// The short-term password of sections 2.1 to 2.3.
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
/// The transaction ID of sections 2.1 to 2.3.
const TID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];
/// Section 2.4: the username, U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9.
const LT_USERNAME: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
/// Section 2.4: the password after SASLprep ("The<U+00AD>M<U+00AA>tr<U+2168>" before).
const LT_PASSWORD: &str = "TheMatrIX";
/// Section 2.4: the realm.
const LT_REALM: &str = "example.org";
/// Section 2.4: the nonce.
const LT_NONCE: &[u8] = b"f//499k954d6OL34oL9FSTvy64sA";

/// RFC 5769 section 2.1, "Sample Request": a Binding request with SOFTWARE, PRIORITY,
/// ICE-CONTROLLED, USERNAME (padded with spaces), MESSAGE-INTEGRITY and FINGERPRINT.
#[rustfmt::skip]
pub(super) const SAMPLE_REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
    0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20,
    0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
    0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
    0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];

/// RFC 5769 section 2.2, "Sample IPv4 Response": SOFTWARE (padded with a space),
/// XOR-MAPPED-ADDRESS 192.0.2.1:32853, MESSAGE-INTEGRITY and FINGERPRINT.
#[rustfmt::skip]
pub(super) const SAMPLE_IPV4_RESPONSE: [u8; 80] = [
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
];

/// RFC 5769 section 2.3, "Sample IPv6 Response": as 2.2 with XOR-MAPPED-ADDRESS
/// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
#[rustfmt::skip]
pub(super) const SAMPLE_IPV6_RESPONSE: [u8; 92] = [
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
];

/// RFC 5769 section 2.4, "Sample Request with Long-Term Authentication": USERNAME
/// (six katakana, padded with zeros), NONCE, REALM "example.org" (padded with a zero) and
/// MESSAGE-INTEGRITY with the MD5 long-term key; no FINGERPRINT.
#[rustfmt::skip]
pub(super) const SAMPLE_LONG_TERM_REQUEST: [u8; 116] = [
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
    0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
    0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
    0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
    0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
    0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46,
    0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,
    0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x00,
    0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e,
    0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
];

#[test]
fn stun_rfc5769_sample_request_parse() {
    let msg = Message::new_checked(&SAMPLE_REQUEST[..]).unwrap();
    assert_eq!(msg.class(), Class::Request);
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.transaction_id(), TransactionId::new(TID));
    assert_eq!(msg.software(), Some(&b"STUN test client"[..]));
    assert_eq!(msg.priority(), Some(0x6e00_01ff));
    assert_eq!(msg.ice_controlled(), Some(0x932f_f9b1_5126_3b36));
    assert_eq!(msg.ice_controlling(), None);
    assert!(!msg.use_candidate());
    assert_eq!(msg.username(), Some(&b"evtj:h6vY"[..]));
    assert!(msg.unknown_comprehension_required().is_empty());
    assert_eq!(msg.check_integrity(PASSWORD.as_bytes()), Ok(()));
    assert_eq!(msg.check_fingerprint(), Ok(()));
}

#[test]
fn stun_rfc5769_sample_request_emit() {
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(TID),
    )
    .unwrap();
    b.set_padding(b' ');
    b.add_software("STUN test client").unwrap();
    b.add_priority(0x6e00_01ff).unwrap();
    b.add_ice_controlled(0x932f_f9b1_5126_3b36).unwrap();
    b.add_username(b"evtj:h6vY").unwrap();
    b.add_message_integrity(PASSWORD.as_bytes()).unwrap();
    let len = b.finish_with_fingerprint().unwrap();
    assert_eq!(&buf[..len], &SAMPLE_REQUEST[..]);
}

#[test]
fn stun_rfc5769_sample_request_zero_padding() {
    // With the default zero padding only the USERNAME padding, the MAC and the CRC differ, and
    // the result still verifies.
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(TID),
    )
    .unwrap();
    b.add_software("STUN test client").unwrap();
    b.add_priority(0x6e00_01ff).unwrap();
    b.add_ice_controlled(0x932f_f9b1_5126_3b36).unwrap();
    b.add_username(b"evtj:h6vY").unwrap();
    b.add_message_integrity(PASSWORD.as_bytes()).unwrap();
    let len = b.finish_with_fingerprint().unwrap();
    assert_eq!(len, SAMPLE_REQUEST.len());
    let differ: Vec<usize> = (0..len).filter(|&i| buf[i] != SAMPLE_REQUEST[i]).collect();
    assert!(
        differ.iter().all(|&i| (73..76).contains(&i) || i >= 80),
        "{differ:?}"
    );
    let msg = Message::new_checked(&buf[..len]).unwrap();
    assert_eq!(msg.check_integrity(PASSWORD.as_bytes()), Ok(()));
    assert_eq!(msg.check_fingerprint(), Ok(()));
}

#[test]
fn stun_rfc5769_sample_request_bad_password() {
    let msg = Message::new_checked(&SAMPLE_REQUEST[..]).unwrap();
    assert_eq!(
        msg.check_integrity(b"VOkJxbRl1RmTxUk/WvJxBu"),
        Err(WireError::BadIntegrity)
    );
}

#[test]
fn stun_rfc5769_ipv4_response_parse() {
    let msg = Message::new_checked(&SAMPLE_IPV4_RESPONSE[..]).unwrap();
    assert_eq!(msg.class(), Class::Success);
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.transaction_id(), TransactionId::new(TID));
    assert_eq!(msg.software(), Some(&b"test vector"[..]));
    let expected: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(expected));
    assert_eq!(msg.mapped_address(), None);
    assert_eq!(msg.check_integrity(PASSWORD.as_bytes()), Ok(()));
    assert_eq!(msg.check_fingerprint(), Ok(()));
}

#[test]
fn stun_rfc5769_ipv4_response_emit() {
    let addr: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    assert_eq!(build_response(addr), &SAMPLE_IPV4_RESPONSE[..]);
}

#[test]
fn stun_rfc5769_ipv6_response_parse() {
    let msg = Message::new_checked(&SAMPLE_IPV6_RESPONSE[..]).unwrap();
    assert_eq!(msg.class(), Class::Success);
    assert_eq!(msg.software(), Some(&b"test vector"[..]));
    let expected: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    assert_eq!(msg.xor_mapped_address(), Some(expected));
    assert_eq!(msg.check_integrity(PASSWORD.as_bytes()), Ok(()));
    assert_eq!(msg.check_fingerprint(), Ok(()));
}

#[test]
fn stun_rfc5769_ipv6_response_emit() {
    let addr: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    assert_eq!(build_response(addr), &SAMPLE_IPV6_RESPONSE[..]);
}

#[test]
fn stun_rfc5769_long_term_request_parse() {
    let msg = Message::new_checked(&SAMPLE_LONG_TERM_REQUEST[..]).unwrap();
    assert_eq!(msg.class(), Class::Request);
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(msg.username(), Some(LT_USERNAME.as_bytes()));
    assert_eq!(msg.nonce(), Some(LT_NONCE));
    assert_eq!(msg.realm(), Some(LT_REALM.as_bytes()));
    let key = long_term_key(LT_USERNAME, LT_REALM, LT_PASSWORD);
    assert_eq!(msg.check_integrity(&key), Ok(()));
    assert_eq!(
        msg.check_integrity(&long_term_key(LT_USERNAME, LT_REALM, "thematrix")),
        Err(WireError::BadIntegrity)
    );
    // Section 2.4 has no FINGERPRINT.
    assert_eq!(msg.check_fingerprint(), Err(WireError::BadFingerprint));
}

#[test]
fn stun_rfc5769_long_term_request_emit() {
    let tid = TransactionId::new(SAMPLE_LONG_TERM_REQUEST[8..20].try_into().unwrap());
    let key = long_term_key(LT_USERNAME, LT_REALM, LT_PASSWORD);
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add_username(LT_USERNAME.as_bytes()).unwrap();
    b.add_raw(AttributeType::NONCE, LT_NONCE).unwrap();
    b.add_raw(AttributeType::REALM, LT_REALM.as_bytes())
        .unwrap();
    b.add_message_integrity(&key).unwrap();
    let len = b.finish();
    assert_eq!(&buf[..len], &SAMPLE_LONG_TERM_REQUEST[..]);
}

/// Builds the section 2.2 / 2.3 response for `addr`.
fn build_response(addr: SocketAddr) -> Vec<u8> {
    let mut buf = [0; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Success,
        Method::BINDING,
        TransactionId::new(TID),
    )
    .unwrap();
    b.set_padding(b' ');
    b.add_software("test vector").unwrap();
    b.add_xor_mapped_address(addr).unwrap();
    b.add_message_integrity(PASSWORD.as_bytes()).unwrap();
    let len = b.finish_with_fingerprint().unwrap();
    buf[..len].to_vec()
}

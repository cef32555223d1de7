//! Known-answer tests from RFC 3711 appendix B and RFC 7714 sections 16 and 17.
//!
//! The byte arrays are decoded at compile time from the RFCs' hex text, so each constant
//! reads like the RFC; a wrong length fails the build.

use super::aes_cm::AesCm;
use super::context::Context;
use super::kdf::{self, Label};
use super::keys::MasterKey;
use super::profile::Profile;

/// Decodes hex text into an array of exactly `N` bytes at compile time.
const fn unhex<const N: usize>(text: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let bytes = text.as_bytes();
    assert!(bytes.len() == 2 * N, "hex text of the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(bytes[2 * i]) << 4 | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

// RFC 3711 appendix B.2: AES-CM keystream.
const B2_SESSION_KEY: [u8; 16] = unhex("2B7E151628AED2A6ABF7158809CF4F3C");
/// The session salt; the RFC prints it "already shifted" as F0F1..FCFD0000.
const B2_SESSION_SALT: [u8; 14] = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
/// Keystream blocks at counters 0000, 0001, 0002.
const B2_KEYSTREAM_START: [u8; 48] = unhex(concat!(
    "E03EAD0935C95E80E166B16DD92B4EB4",
    "D23513162B02D0F72A43A2FE4A5F97AB",
    "41E95B3BB0A2E8DD477901E4FCA894C0",
));
/// Keystream blocks at counters FEFF, FF00, FF01 (the end of the 1044512-octet segment).
const B2_KEYSTREAM_END: [u8; 48] = unhex(concat!(
    "EC8CDF7398607CB0F2D21675EA9EA1E4",
    "362B7C3C6773516318A077D7FC5073AE",
    "6A2CC3787889374FBEB4C81B17BA6C44",
));

// RFC 3711 appendix B.3: key derivation.
const B3_MASTER_KEY: [u8; 16] = unhex("E1F97A0D3E018BE0D64FA32C06DE4139");
const B3_MASTER_SALT: [u8; 14] = unhex("0EC675AD498AFEEBB6960B3AABE6");
const B3_CIPHER_KEY: [u8; 16] = unhex("C61E7A93744F39EE10734AFE3FF7A087");
const B3_CIPHER_SALT: [u8; 14] = unhex("30CBBC08863D8C85D49DB34A9AE1");
/// The RFC prints 94 bytes of the label-0x01 keystream; SRTP uses the first 20.
const B3_AUTH_KEY: [u8; 94] = unhex(concat!(
    "CEBE321F6FF7716B6FD4AB49AF256A15",
    "6D38BAA48F0A0ACF3C34E2359E6CDBCE",
    "E049646C43D9327AD175578EF7227098",
    "6371C10C9A369AC2F94A8C5FBCDDDC25",
    "6D6E919A48B610EF17C2041E47403576",
    "6B68642C59BBFC2F34DB60DBDFB2",
));

// RFC 7714 section 16: SRTP with AEAD_AES_128_GCM and AEAD_AES_256_GCM.
const GCM_KEY_128: [u8; 16] = unhex("000102030405060708090a0b0c0d0e0f");
const GCM_KEY_256: [u8; 32] =
    unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
/// "Quid pro quo".
const GCM_SALT: [u8; 12] = unhex("517569642070726f2071756f");
/// Section 16.1: header (seq 0xf17b, SSRC 0x5501a0b2) and "Gallia est omnis divisa in
/// partes tres".
const RTP_PLAIN: [u8; 50] = unhex(concat!(
    "8040f17b8041f8d35501a0b2",
    "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573",
));
/// Section 16.1.1: the SRTP packet under AEAD_AES_128_GCM.
const SRTP_128: [u8; 66] = unhex(concat!(
    "8040f17b8041f8d35501a0b2",
    "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833",
    "899d7f27beb16a9152cf765ee4390cce",
));
/// Section 16.2.1: the SRTP packet under AEAD_AES_256_GCM.
const SRTP_256: [u8; 66] = unhex(concat!(
    "8040f17b8041f8d35501a0b2",
    "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b",
    "7aa3db36dfffd6b0f9bb7878d7a76c13",
));

// RFC 7714 section 17: SRTCP. Subsections 17.1 to 17.4 all operate on this 52-byte packet
// (SSRC "Mars"), SRTCP index 0x5d4. Its length field announces 14 words but the RFC prints
// 13; SRTCP does not read the field, and the vectors cover the 13 printed words.
const RTCP_PLAIN: [u8; 52] = unhex(concat!(
    "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61",
    "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
));
const RTCP_INDEX: u32 = 0x5d4;
/// Section 17.1: encrypted under AEAD_AES_128_GCM (ciphertext | tag | E+index).
const SRTCP_128: [u8; 72] = unhex(concat!(
    "81c8000d4d617273",
    "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275b",
    "c84aa45896cf4d2fc5abf87245d9eade",
    "800005d4",
));
/// Section 17.2: encrypted under AEAD_AES_256_GCM.
const SRTCP_256: [u8; 72] = unhex(concat!(
    "81c8000d4d617273",
    "d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad",
    "1d1eb30c4446839f57ff6f6cb26ac3be",
    "800005d4",
));
/// Section 17.3: authenticated only (E flag clear) under AEAD_AES_128_GCM.
const SRTCP_128_AUTH_ONLY: [u8; 72] = unhex(concat!(
    "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61",
    "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
    "841dd9683dd78ec92ae58790125f62b3",
    "000005d4",
));

#[test]
fn srtp_rfc3711_b2_aes_cm_keystream() {
    let cm = AesCm::new(&B2_SESSION_KEY, &B2_SESSION_SALT, &[0; 20]).unwrap();
    // 65282 blocks: counters 0000 to FF01.
    let mut stream = vec![0u8; 65282 * 16];
    cm.apply_keystream(0, 0, &mut stream);
    assert_eq!(stream[..48], B2_KEYSTREAM_START);
    assert_eq!(stream[stream.len() - 48..], B2_KEYSTREAM_END);
}

#[test]
fn srtp_rfc3711_b3_key_derivation() {
    let master = MasterKey::new(
        Profile::AesCm128HmacSha1_80,
        &B3_MASTER_KEY,
        &B3_MASTER_SALT,
    )
    .unwrap();
    let mut key = [0u8; 16];
    kdf::derive(&master, Label::RtpEncryption, &mut key);
    assert_eq!(key, B3_CIPHER_KEY);
    let mut salt = [0u8; 14];
    kdf::derive(&master, Label::RtpSalt, &mut salt);
    assert_eq!(salt, B3_CIPHER_SALT);
    let mut auth = [0u8; 94];
    kdf::derive(&master, Label::RtpAuthentication, &mut auth);
    assert_eq!(auth, B3_AUTH_KEY);
}

fn gcm_context(profile: Profile) -> Context {
    let key: &[u8] = match profile {
        Profile::AeadAes256Gcm => &GCM_KEY_256,
        _ => &GCM_KEY_128,
    };
    Context::from_gcm_session_keys(profile, key, &GCM_SALT)
}

fn check_rtp(profile: Profile, expected: &[u8; 66]) {
    let mut buf = [0u8; 80];
    buf[..RTP_PLAIN.len()].copy_from_slice(&RTP_PLAIN);
    let len = gcm_context(profile)
        .protect_rtp(&mut buf, RTP_PLAIN.len())
        .unwrap();
    assert_eq!(buf[..len], expected[..], "{profile:?} protect");

    let mut buf = *expected;
    let mut rx = gcm_context(profile);
    let len = rx.unprotect_rtp(&mut buf).unwrap();
    assert_eq!(buf[..len], RTP_PLAIN[..], "{profile:?} unprotect");
    assert_eq!(rx.stats().rtp_unprotected, 1);
}

#[test]
fn srtp_rfc7714_16_1_aead_aes_128_gcm_rtp() {
    check_rtp(Profile::AeadAes128Gcm, &SRTP_128);
}

#[test]
fn srtp_rfc7714_16_2_aead_aes_256_gcm_rtp() {
    check_rtp(Profile::AeadAes256Gcm, &SRTP_256);
}

fn check_rtcp(profile: Profile, expected: &[u8; 72]) {
    let mut buf = *expected;
    let mut rx = gcm_context(profile);
    let len = rx.unprotect_rtcp(&mut buf).unwrap();
    assert_eq!(buf[..len], RTCP_PLAIN[..], "{profile:?} unprotect");

    // Protecting counts the SRTCP index up from 0: wind it to the vector's index.
    let mut tx = gcm_context(profile);
    let mut buf = [0u8; 96];
    for _ in 0..RTCP_INDEX {
        buf[..RTCP_PLAIN.len()].copy_from_slice(&RTCP_PLAIN);
        tx.protect_rtcp(&mut buf, RTCP_PLAIN.len()).unwrap();
    }
    buf[..RTCP_PLAIN.len()].copy_from_slice(&RTCP_PLAIN);
    let len = tx.protect_rtcp(&mut buf, RTCP_PLAIN.len()).unwrap();
    assert_eq!(buf[..len], expected[..], "{profile:?} protect");
}

#[test]
fn srtp_rfc7714_17_1_aead_aes_128_gcm_rtcp() {
    check_rtcp(Profile::AeadAes128Gcm, &SRTCP_128);
}

#[test]
fn srtp_rfc7714_17_2_aead_aes_256_gcm_rtcp() {
    check_rtcp(Profile::AeadAes256Gcm, &SRTCP_256);
}

#[test]
fn srtp_rfc7714_17_3_rtcp_authenticated_only() {
    let mut buf = SRTCP_128_AUTH_ONLY;
    let mut rx = gcm_context(Profile::AeadAes128Gcm);
    let len = rx.unprotect_rtcp(&mut buf).unwrap();
    assert_eq!(buf[..len], RTCP_PLAIN[..]);

    // Section 17.4: one flipped bit in the tag fails verification, and is counted.
    let mut buf = SRTCP_128_AUTH_ONLY;
    buf[60] ^= 1;
    let mut rx = gcm_context(Profile::AeadAes128Gcm);
    assert!(rx.unprotect_rtcp(&mut buf).is_err());
    assert_eq!(rx.stats().rejected_auth, 1);
}

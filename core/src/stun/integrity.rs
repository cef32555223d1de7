//! MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256) and FINGERPRINT
//! (CRC-32), RFC 8489 sections 9.2.2, 14.5, 14.6 and 14.7.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use ring::hmac as ring_hmac;
use sha1::Sha1;

use super::wire::{AttributeType, HEADER_LEN, Message, WireError, field};

/// XORed into the CRC-32 to make FINGERPRINT (RFC 8489 section 14.7).
const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// The long-term credential key: `MD5(username ":" realm ":" password)` (RFC 8489 section
/// 9.2.2, the MD5 algorithm of section 18.5.1).
///
/// `realm` and `password` must already be processed with SASLprep (RFC 4013) or, for
/// RFC 8489's OpaqueString profile, PRECIS (RFC 8265): this function hashes the bytes as
/// given. For plain ASCII passwords without spaces or control characters, both are the
/// identity. ICE uses short-term credentials instead, whose key is the password itself.
pub fn long_term_key(username: &str, realm: &str, password: &str) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(username.as_bytes());
    md5.update(b":");
    md5.update(realm.as_bytes());
    md5.update(b":");
    md5.update(password.as_bytes());
    md5.finalize().into()
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Verifies FINGERPRINT (RFC 8489 section 14.7).
    ///
    /// Fails with [`WireError::BadFingerprint`] if it is absent, is not the last attribute, or
    /// does not match.
    pub fn check_fingerprint(&self) -> Result<(), WireError> {
        let bytes = self.bytes();
        let attr = self
            .find(AttributeType::FINGERPRINT)
            .ok_or(WireError::BadFingerprint)?;
        if attr.offset + field::ATTR_VALUE + 4 != bytes.len() {
            return Err(WireError::BadFingerprint);
        }
        let covered = bytes.get(..attr.offset).ok_or(WireError::BadFingerprint)?;
        let expected = fingerprint(covered).to_be_bytes();
        if attr.value == expected {
            Ok(())
        } else {
            Err(WireError::BadFingerprint)
        }
    }

    /// Verifies MESSAGE-INTEGRITY-SHA256 if the message has it, else MESSAGE-INTEGRITY, with
    /// `key` (RFC 8489 sections 14.5 and 14.6).
    ///
    /// The HMAC covers the message up to the integrity attribute, with the header's length
    /// field set to end at that attribute, as the sender computed it. A truncated
    /// MESSAGE-INTEGRITY-SHA256 (16 to 28 bytes) is compared on its length. Fails with
    /// [`WireError::MissingIntegrity`] or [`WireError::BadIntegrity`].
    pub fn check_integrity(&self, key: &[u8]) -> Result<(), WireError> {
        let mut sha1 = None;
        let mut sha256 = None;
        for attr in self.attributes() {
            if attr.kind == AttributeType::MESSAGE_INTEGRITY && sha1.is_none() {
                sha1 = Some(attr);
            } else if attr.kind == AttributeType::MESSAGE_INTEGRITY_SHA256 {
                sha256 = Some(attr);
            }
        }
        let (attr, is_sha256) = match (sha256, sha1) {
            (Some(attr), _) => (attr, true),
            (None, Some(attr)) => (attr, false),
            (None, None) => return Err(WireError::MissingIntegrity),
        };
        let bytes = self.bytes();
        // Values of both attributes are multiples of 4 (checked in `new_checked`): no padding.
        let end = attr.offset + field::ATTR_VALUE + attr.value.len();
        let length = u16::try_from(end - HEADER_LEN).map_err(|_| WireError::BadIntegrity)?;
        let parts: [&[u8]; 3] = [
            bytes.get(field::TYPE).ok_or(WireError::BadIntegrity)?,
            &length.to_be_bytes(),
            bytes
                .get(field::COOKIE.start..attr.offset)
                .ok_or(WireError::BadIntegrity)?,
        ];
        let mac_ok = if is_sha256 {
            let mac = hmac_sha256(key, &parts);
            mac.get(..attr.value.len())
                .is_some_and(|m| constant_time_eq(m, attr.value))
        } else {
            constant_time_eq(&hmac_sha1(key, &parts), attr.value)
        };
        if mac_ok {
            Ok(())
        } else {
            Err(WireError::BadIntegrity)
        }
    }
}

/// HMAC-SHA1 of the concatenation of `parts` (RFC 2104; RFC 8489 section 14.5).
pub(crate) fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    // HMAC takes keys of any length (longer ones are hashed), so this cannot fail.
    #[allow(clippy::expect_used, reason = "HMAC accepts keys of every length")]
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("hmac takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 of the concatenation of `parts` (RFC 8489 section 14.6).
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = ring_hmac::Key::new(ring_hmac::HMAC_SHA256, key);
    let mut ctx = ring_hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// The FINGERPRINT value for the message bytes before the attribute (RFC 8489 section 14.7).
pub(crate) fn fingerprint(covered: &[u8]) -> u32 {
    crc32fast::hash(covered) ^ FINGERPRINT_XOR
}

/// Compares two byte strings without an early exit, so timing does not reveal where a forged
/// MAC first differs.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

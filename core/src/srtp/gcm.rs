//! AES-GCM for SRTP and SRTCP (RFC 7714 sections 8 to 10), on ring's AEAD, in place.

use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

/// The AEAD session salt length (RFC 7714 section 12): 96 bits.
pub(crate) const SALT_LEN: usize = 12;
/// The AES-GCM tag length used by both AEAD profiles (RFC 7714 section 12).
pub(crate) const TAG_LEN: usize = 16;

/// One direction's AES-GCM session key and salt.
pub(crate) struct Gcm {
    key: LessSafeKey,
    salt: [u8; SALT_LEN],
}

impl Gcm {
    /// Session keys from their bytes: a 16- or 32-byte key. `None` for any other length.
    pub(crate) fn new(key: &[u8], salt: &[u8; SALT_LEN]) -> Option<Self> {
        let algorithm = match key.len() {
            16 => &AES_128_GCM,
            32 => &AES_256_GCM,
            _ => return None,
        };
        let key = UnboundKey::new(algorithm, key).ok()?;
        Some(Self {
            key: LessSafeKey::new(key),
            salt: *salt,
        })
    }

    /// The SRTP nonce (RFC 7714 section 8.1): `(0x0000 || SSRC || ROC || SEQ) XOR salt`.
    pub(crate) fn rtp_nonce(&self, ssrc: u32, index: u64) -> Nonce {
        let mut iv = [0u8; SALT_LEN];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        // ROC || SEQ is the 48-bit index.
        iv[6..12].copy_from_slice(&index.to_be_bytes()[2..]);
        self.nonce(iv)
    }

    /// The SRTCP nonce (RFC 7714 section 9.1):
    /// `(0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt`.
    pub(crate) fn rtcp_nonce(&self, ssrc: u32, index: u32) -> Nonce {
        let mut iv = [0u8; SALT_LEN];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&(index & 0x7FFF_FFFF).to_be_bytes());
        self.nonce(iv)
    }

    fn nonce(&self, mut iv: [u8; SALT_LEN]) -> Nonce {
        for (b, s) in iv.iter_mut().zip(self.salt) {
            *b ^= s;
        }
        Nonce::assume_unique_for_key(iv)
    }

    /// Encrypts `data` in place and returns the tag.
    pub(crate) fn seal(&self, nonce: Nonce, aad: &[u8], data: &mut [u8]) -> Option<[u8; TAG_LEN]> {
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), data)
            .ok()?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Some(out)
    }

    /// Verifies `tag` and decrypts `data` in place; `false` if the tag does not verify (then
    /// `data` is unspecified).
    pub(crate) fn open(&self, nonce: Nonce, aad: &[u8], data: &mut [u8], tag: &[u8]) -> bool {
        let Ok(tag) = Tag::try_from(tag) else {
            return false;
        };
        self.key
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, data, 0..)
            .is_ok()
    }
}

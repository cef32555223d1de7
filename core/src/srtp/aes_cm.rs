//! The AES-CM cipher and HMAC-SHA1 authentication of RFC 3711 sections 4.1.1 and 4.2.1.

use aes::Aes128;
use ctr::cipher::InnerIvInit;
use ctr::cipher::{KeyInit, StreamCipher, StreamCipherCoreWrapper};
use ctr::{Ctr128BE, CtrCore};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The session salt length of AES-CM (RFC 3711 section 4.1.1): 112 bits.
pub(crate) const SALT_LEN: usize = 14;
/// The HMAC-SHA1 session authentication key length (RFC 3711 section 4.2.1): 160 bits.
pub(crate) const AUTH_KEY_LEN: usize = 20;

/// One direction's AES-CM session keys: the expanded AES key, the session salt and the
/// keyed HMAC state (cloned per packet, which copies two SHA-1 states and allocates
/// nothing).
#[derive(Clone)]
pub(crate) struct AesCm {
    aes: Aes128,
    salt: [u8; SALT_LEN],
    mac: Hmac<Sha1>,
}

impl AesCm {
    /// Session keys from their bytes. `None` only if a length is wrong, which the callers'
    /// fixed-size arrays rule out.
    pub(crate) fn new(
        key: &[u8; 16],
        salt: &[u8; SALT_LEN],
        auth: &[u8; AUTH_KEY_LEN],
    ) -> Option<Self> {
        Some(Self {
            aes: Aes128::new_from_slice(key).ok()?,
            salt: *salt,
            mac: <Hmac<Sha1> as KeyInit>::new_from_slice(auth).ok()?,
        })
    }

    /// XORs `data` with the keystream for `ssrc` and packet `index` (RFC 3711 section
    /// 4.1.1): `IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)`.
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *b ^= s;
        }
        // The 48-bit index sits in bytes 8..14.
        for (b, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *b ^= s;
        }
        let core = CtrCore::inner_iv_init(self.aes.clone(), &iv.into());
        let mut cipher: Ctr128BE<Aes128> = StreamCipherCoreWrapper::from_core(core);
        cipher.apply_keystream(data);
    }

    /// The full 20-byte HMAC-SHA1 over the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the leftmost bytes of the HMAC over `parts`, compared in constant
    /// time.
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.verify_truncated_left(tag).is_ok()
    }
}

//! The SRTP key derivation function: AES in counter mode as a PRF (RFC 3711 section 4.3,
//! RFC 6188 section 3 for AES-256, RFC 7714 section 11 for the AEAD profiles).
//!
//! The key derivation rate is always zero (the only value DTLS-SRTP uses), so each session
//! key is derived once, with `r = 0`.

use aes::{Aes128, Aes256};
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};

use super::keys::MasterKey;

/// The labels of RFC 3711 section 4.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// SRTP encryption key.
    RtpEncryption = 0x00,
    /// SRTP authentication key.
    RtpAuthentication = 0x01,
    /// SRTP salt.
    RtpSalt = 0x02,
    /// SRTCP encryption key.
    RtcpEncryption = 0x03,
    /// SRTCP authentication key.
    RtcpAuthentication = 0x04,
    /// SRTCP salt.
    RtcpSalt = 0x05,
}

/// Fills `out` with the session key for `label` (RFC 3711 section 4.3.1): the AES-CM
/// keystream under the master key, starting at `IV = (label || r) XOR master_salt` times
/// 2^16, with `r = 0`.
///
/// A 96-bit AEAD master salt is zero-padded on the right to 112 bits, as libsrtp and the
/// browsers do (RFC 7714 section 11 reuses the RFC 3711 KDF unchanged).
pub(crate) fn derive(master: &MasterKey, label: Label, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    let salt = master.salt();
    iv[..salt.len()].copy_from_slice(salt);
    // key_id = label || r (56 bits) is right-aligned with the 112-bit salt: the label
    // lands in byte 7 and r (zero) in bytes 8..14.
    iv[7] ^= label as u8;
    out.fill(0);
    let key = master.key();
    // The lengths are fixed by `MasterKey::new` for each profile, so these never fail;
    // a failure would leave `out` zero, never panic.
    if key.len() == 32 {
        if let Ok(mut c) = Ctr128BE::<Aes256>::new_from_slices(key, &iv) {
            c.apply_keystream(out);
        }
    } else if let Ok(mut c) = Ctr128BE::<Aes128>::new_from_slices(key, &iv) {
        c.apply_keystream(out);
    }
}

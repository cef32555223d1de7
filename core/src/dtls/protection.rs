//! Record protection with an AEAD (RFC 5246 section 6.2.3.3, RFC 6347 section 4.1.2.1).
//!
//! - AES-GCM (RFC 5288 section 3): nonce = 4-byte salt from the key block || 8-byte explicit
//!   nonce carried in the record; the explicit nonce is the record's `epoch || sequence`.
//! - ChaCha20-Poly1305 (RFC 7905 section 2): nonce = 12-byte IV XOR the left-padded
//!   `epoch || sequence`; nothing explicit on the wire.
//! - AAD (both): `epoch || sequence (8) || type (1) || version (2) || plaintext length (2)`.

use std::ops::Range;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use super::suite::Aead;
use super::wire::{ContentType, ProtocolVersion, RecordHeader, WireError};

/// AEAD tag length for every supported suite.
pub(crate) const TAG_LEN: usize = 16;

/// One direction's record keys.
pub(crate) struct Protection {
    aead: Aead,
    key: LessSafeKey,
    iv: [u8; 12],
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protection")
            .field("aead", &self.aead)
            .finish_non_exhaustive()
    }
}

impl Protection {
    /// Keys for `aead` from a key-block slice and its fixed IV (4 or 12 bytes).
    pub(crate) fn new(aead: Aead, key: &[u8], fixed_iv: &[u8]) -> Option<Self> {
        let alg = match aead {
            Aead::Aes128Gcm => &aead::AES_128_GCM,
            Aead::Aes256Gcm => &aead::AES_256_GCM,
            Aead::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key = LessSafeKey::new(UnboundKey::new(alg, key).ok()?);
        let mut iv = [0; 12];
        iv.get_mut(..fixed_iv.len())?.copy_from_slice(fixed_iv);
        Some(Self { aead, key, iv })
    }

    /// Bytes a record adds to its plaintext.
    pub(crate) fn overhead(&self) -> usize {
        self.aead.overhead()
    }

    /// Offset of the plaintext after the record header.
    pub(crate) fn plaintext_offset(&self) -> usize {
        RecordHeader::LEN + self.aead.explicit_nonce_len()
    }

    fn nonce(&self, seq: [u8; 8]) -> Nonce {
        let mut n = self.iv;
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => n[4..].copy_from_slice(&seq),
            Aead::Chacha20Poly1305 => {
                for (a, b) in n[4..].iter_mut().zip(seq) {
                    *a ^= b;
                }
            }
        }
        Nonce::assume_unique_for_key(n)
    }

    fn aad(seq: [u8; 8], ty: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
        let mut aad = [0; 13];
        aad[..8].copy_from_slice(&seq);
        aad[8] = ty.code();
        aad[9..11].copy_from_slice(&version.0.to_be_bytes());
        aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }

    /// Protects a record in `out`, whose plaintext (`plaintext_len` bytes) the caller has
    /// already written at [`Protection::plaintext_offset`]. Writes the header, explicit nonce
    /// and tag; returns the record's total length.
    pub(crate) fn seal(
        &self,
        out: &mut [u8],
        content_type: ContentType,
        epoch: u16,
        sequence: u64,
        plaintext_len: usize,
    ) -> Result<usize, WireError> {
        let start = self.plaintext_offset();
        let total = start + plaintext_len + TAG_LEN;
        if out.len() < total {
            return Err(WireError::BufferTooSmall);
        }
        let header = RecordHeader {
            content_type,
            version: ProtocolVersion::DTLS1_2,
            epoch,
            sequence,
            length: u16::try_from(total - RecordHeader::LEN).map_err(|_| WireError::BadLength)?,
        };
        let seq = header.sequence_number_bytes();
        header.emit(out)?;
        out[RecordHeader::LEN..start].copy_from_slice(&seq[..self.aead.explicit_nonce_len()]);
        let aad = Self::aad(seq, content_type, header.version, plaintext_len);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                self.nonce(seq),
                Aad::from(aad),
                &mut out[start..start + plaintext_len],
            )
            .map_err(|_| WireError::BadLength)?;
        out[start + plaintext_len..total].copy_from_slice(tag.as_ref());
        Ok(total)
    }

    /// Authenticates and decrypts a record's fragment in place; returns the plaintext's
    /// range within `fragment`, or `None` if it does not authenticate.
    pub(crate) fn open(&self, header: &RecordHeader, fragment: &mut [u8]) -> Option<Range<usize>> {
        let explicit = self.aead.explicit_nonce_len();
        let plaintext_len = fragment.len().checked_sub(explicit + TAG_LEN)?;
        let seq = header.sequence_number_bytes();
        let nonce = match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => {
                let mut n = self.iv;
                n[4..].copy_from_slice(fragment.get(..8)?);
                Nonce::assume_unique_for_key(n)
            }
            Aead::Chacha20Poly1305 => self.nonce(seq),
        };
        let aad = Self::aad(seq, header.content_type, header.version, plaintext_len);
        let body = fragment.get_mut(explicit..)?;
        let plain = self.key.open_in_place(nonce, Aad::from(aad), body).ok()?;
        debug_assert_eq!(plain.len(), plaintext_len);
        Some(explicit..explicit + plaintext_len)
    }
}

/// The anti-replay window (RFC 6347 section 4.1.2.6): the highest sequence number seen and
/// a bitmap of the 64 below it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    bitmap: u64,
}

/// Window width in records.
const WINDOW: u64 = 64;

impl ReplayWindow {
    /// Whether `seq` is new (not seen and not too old). Check before decrypting; record it
    /// with [`ReplayWindow::mark`] only after the record authenticates.
    pub(crate) fn is_fresh(&self, seq: u64) -> bool {
        match self.highest {
            None => true,
            Some(h) if seq > h => true,
            Some(h) => {
                let back = h - seq;
                back < WINDOW && self.bitmap & (1 << back) == 0
            }
        }
    }

    /// Records `seq` as seen.
    pub(crate) fn mark(&mut self, seq: u64) {
        match self.highest {
            None => {
                self.highest = Some(seq);
                self.bitmap = 1;
            }
            Some(h) if seq > h => {
                let shift = seq - h;
                self.bitmap = if shift >= WINDOW {
                    0
                } else {
                    self.bitmap << shift
                };
                self.bitmap |= 1;
                self.highest = Some(seq);
            }
            Some(h) => {
                let back = h - seq;
                if back < WINDOW {
                    self.bitmap |= 1 << back;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(aead: Aead) -> Protection {
        let key = vec![7u8; aead.key_len()];
        let iv = vec![3u8; aead.fixed_iv_len()];
        Protection::new(aead, &key, &iv).unwrap()
    }

    #[test]
    fn seal_then_open_every_aead() {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::Chacha20Poly1305] {
            let p = pair(aead);
            let mut buf = [0u8; 128];
            let off = p.plaintext_offset();
            buf[off..off + 5].copy_from_slice(b"hello");
            let n = p
                .seal(&mut buf, ContentType::ApplicationData, 1, 42, 5)
                .unwrap();
            assert_eq!(n, off + 5 + TAG_LEN);
            let header = RecordHeader::parse(&buf[..n]).unwrap();
            let mut frag = buf[RecordHeader::LEN..n].to_vec();
            let range = p.open(&header, &mut frag).unwrap();
            assert_eq!(&frag[range], b"hello");
            // A flipped bit anywhere fails authentication.
            for i in 0..frag.len() {
                let mut t = buf[RecordHeader::LEN..n].to_vec();
                t[i] ^= 0x10;
                assert!(p.open(&header, &mut t).is_none(), "{aead:?} byte {i}");
            }
            // So does a different sequence number in the header (AAD).
            let mut other = header;
            other.sequence = 43;
            let mut t = buf[RecordHeader::LEN..n].to_vec();
            assert!(p.open(&other, &mut t).is_none());
        }
    }

    #[test]
    fn replay_window() {
        let mut w = ReplayWindow::default();
        assert!(w.is_fresh(5));
        w.mark(5);
        assert!(!w.is_fresh(5));
        assert!(w.is_fresh(4));
        w.mark(100);
        assert!(!w.is_fresh(5), "too old");
        assert!(w.is_fresh(99));
        assert!(w.is_fresh(37));
        assert!(!w.is_fresh(36), "just out of the window");
        w.mark(37);
        assert!(!w.is_fresh(37));
        w.mark(1000);
        assert!(!w.is_fresh(100));
        assert!(w.is_fresh(999));
    }
}

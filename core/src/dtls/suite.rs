//! The negotiable algorithms: cipher suites, groups, signature schemes, SRTP profiles.

use super::crypto::PrfHash;

/// A cipher suite this implementation supports (RFC 5289, RFC 7905 code points).
///
/// All are ECDHE with an AEAD; the `Ecdsa`/`Rsa` part names the kind of certificate key
/// that signs the ServerKeyExchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xC02B), the one every WebRTC peer supports.
    EcdheEcdsaAes128GcmSha256,
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xC02C).
    EcdheEcdsaAes256GcmSha384,
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA9).
    EcdheEcdsaChacha20Poly1305Sha256,
    /// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xC02F).
    EcdheRsaAes128GcmSha256,
    /// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xC030).
    EcdheRsaAes256GcmSha384,
    /// TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA8).
    EcdheRsaChacha20Poly1305Sha256,
}

/// The record protection algorithm of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

impl Aead {
    /// Key length in bytes.
    pub(crate) fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::Chacha20Poly1305 => 32,
        }
    }

    /// Length of the implicit (key-block) part of the nonce: the 4-byte salt for GCM
    /// (RFC 5288 section 3), the whole 12-byte IV for ChaCha20-Poly1305 (RFC 7905 section 2).
    pub(crate) fn fixed_iv_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 4,
            Self::Chacha20Poly1305 => 12,
        }
    }

    /// Length of the explicit nonce carried in each record.
    pub(crate) fn explicit_nonce_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 8,
            Self::Chacha20Poly1305 => 0,
        }
    }

    /// Bytes a protected record adds to its plaintext: explicit nonce plus 16-byte tag.
    pub(crate) fn overhead(self) -> usize {
        self.explicit_nonce_len() + 16
    }
}

impl CipherSuite {
    /// Every supported suite, in this implementation's default order of preference.
    pub const ALL: [Self; 6] = [
        Self::EcdheEcdsaAes128GcmSha256,
        Self::EcdheEcdsaAes256GcmSha384,
        Self::EcdheEcdsaChacha20Poly1305Sha256,
        Self::EcdheRsaAes128GcmSha256,
        Self::EcdheRsaAes256GcmSha384,
        Self::EcdheRsaChacha20Poly1305Sha256,
    ];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            Self::EcdheEcdsaAes128GcmSha256 => 0xC02B,
            Self::EcdheEcdsaAes256GcmSha384 => 0xC02C,
            Self::EcdheEcdsaChacha20Poly1305Sha256 => 0xCCA9,
            Self::EcdheRsaAes128GcmSha256 => 0xC02F,
            Self::EcdheRsaAes256GcmSha384 => 0xC030,
            Self::EcdheRsaChacha20Poly1305Sha256 => 0xCCA8,
        }
    }

    /// The suite with this code point, if supported.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the server's certificate key is RSA (else ECDSA).
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::EcdheRsaAes128GcmSha256
                | Self::EcdheRsaAes256GcmSha384
                | Self::EcdheRsaChacha20Poly1305Sha256
        )
    }

    /// Whether a client may send application data before the server's Finished with this
    /// suite (RFC 7918 section 4: forward secrecy and an AEAD). Every suite here is ECDHE
    /// with an AEAD; the match names each so a new suite must decide.
    pub fn allows_false_start(self) -> bool {
        match self {
            Self::EcdheEcdsaAes128GcmSha256
            | Self::EcdheEcdsaAes256GcmSha384
            | Self::EcdheEcdsaChacha20Poly1305Sha256
            | Self::EcdheRsaAes128GcmSha256
            | Self::EcdheRsaAes256GcmSha384
            | Self::EcdheRsaChacha20Poly1305Sha256 => true,
        }
    }

    pub(crate) fn aead(self) -> Aead {
        match self {
            Self::EcdheEcdsaAes128GcmSha256 | Self::EcdheRsaAes128GcmSha256 => Aead::Aes128Gcm,
            Self::EcdheEcdsaAes256GcmSha384 | Self::EcdheRsaAes256GcmSha384 => Aead::Aes256Gcm,
            Self::EcdheEcdsaChacha20Poly1305Sha256 | Self::EcdheRsaChacha20Poly1305Sha256 => {
                Aead::Chacha20Poly1305
            }
        }
    }

    pub(crate) fn prf_hash(self) -> PrfHash {
        match self {
            Self::EcdheEcdsaAes256GcmSha384 | Self::EcdheRsaAes256GcmSha384 => PrfHash::Sha384,
            _ => PrfHash::Sha256,
        }
    }
}

/// An elliptic-curve group for ECDHE (RFC 8422 section 5.1.1, RFC 7748).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NamedGroup {
    /// x25519 (29).
    X25519,
    /// secp256r1, also P-256 (23).
    Secp256r1,
    /// secp384r1, also P-384 (24).
    Secp384r1,
}

impl NamedGroup {
    /// Every supported group, in default order of preference.
    pub const ALL: [Self; 3] = [Self::X25519, Self::Secp256r1, Self::Secp384r1];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            Self::X25519 => 29,
            Self::Secp256r1 => 23,
            Self::Secp384r1 => 24,
        }
    }

    /// The group with this code point, if supported.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// A TLS 1.2 SignatureAndHashAlgorithm, by its two-byte code (RFC 5246 section 7.4.1.4.1,
/// with the RFC 8446 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureScheme(pub u16);

impl SignatureScheme {
    /// ECDSA with SHA-256 (in TLS 1.2 the curve comes from the key).
    pub const ECDSA_SECP256R1_SHA256: Self = Self(0x0403);
    /// ECDSA with SHA-384.
    pub const ECDSA_SECP384R1_SHA384: Self = Self(0x0503);
    /// RSA PKCS#1 v1.5 with SHA-256.
    pub const RSA_PKCS1_SHA256: Self = Self(0x0401);
    /// RSA PKCS#1 v1.5 with SHA-384.
    pub const RSA_PKCS1_SHA384: Self = Self(0x0501);
    /// RSA PKCS#1 v1.5 with SHA-512.
    pub const RSA_PKCS1_SHA512: Self = Self(0x0601);
    /// RSA-PSS (rsaEncryption key) with SHA-256.
    pub const RSA_PSS_RSAE_SHA256: Self = Self(0x0804);
    /// RSA-PSS (rsaEncryption key) with SHA-384.
    pub const RSA_PSS_RSAE_SHA384: Self = Self(0x0805);
    /// RSA-PSS (rsaEncryption key) with SHA-512.
    pub const RSA_PSS_RSAE_SHA512: Self = Self(0x0806);
}

/// An SRTP protection profile negotiated by use_srtp (RFC 5764 section 4.1.2, RFC 7714
/// section 14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM (0x0007).
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM (0x0008).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// Every supported profile, in default order of preference.
    pub const ALL: [Self; 4] = [
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
    ];

    /// The IANA code point.
    pub fn code(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with this code point, if supported.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// SRTP master key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// SRTP master salt length in bytes (14 for AES-CM, 12 for AEAD, RFC 7714 section 12).
    pub fn salt_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 => 14,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 12,
        }
    }

    /// The OpenSSL name, as used in `SSL_CTX_set_tlsext_use_srtp`.
    pub fn openssl_name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
            Self::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_code(s.code()), Some(s));
        }
        for g in NamedGroup::ALL {
            assert_eq!(NamedGroup::from_code(g.code()), Some(g));
        }
        for p in SrtpProfile::ALL {
            assert_eq!(SrtpProfile::from_code(p.code()), Some(p));
        }
        assert_eq!(CipherSuite::from_code(0x002F), None);
    }
}

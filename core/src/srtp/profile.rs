//! SRTP protection profiles and their parameters (RFC 5764 section 4.1.2, RFC 7714 section 14.2).

/// An SRTP protection profile, as negotiated by DTLS-SRTP's `use_srtp` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (RFC 5764 section 4.1.2): AES-128 counter mode with an
    /// 80-bit HMAC-SHA1 tag on both SRTP and SRTCP.
    AesCm128HmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (RFC 5764 section 4.1.2): as the `_80` profile but with a
    /// 32-bit tag on SRTP; SRTCP keeps the 80-bit tag.
    AesCm128HmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (RFC 7714 section 14.2): AES-128-GCM with a 16-byte tag.
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (RFC 7714 section 14.2): AES-256-GCM with a 16-byte tag.
    AeadAes256Gcm,
}

impl Profile {
    /// Every profile, strongest-first: the order to offer them in.
    pub const ALL: [Self; 4] = [
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
        Self::AesCm128HmacSha1_80,
        Self::AesCm128HmacSha1_32,
    ];

    /// The profile's two-byte identifier in DTLS-SRTP's `use_srtp` extension (RFC 5764
    /// section 4.1.2, RFC 7714 section 14.2).
    pub const fn id(self) -> u16 {
        match self {
            Self::AesCm128HmacSha1_80 => 0x0001,
            Self::AesCm128HmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with the given `use_srtp` identifier, if we implement it.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::AesCm128HmacSha1_80),
            0x0002 => Some(Self::AesCm128HmacSha1_32),
            0x0007 => Some(Self::AeadAes128Gcm),
            0x0008 => Some(Self::AeadAes256Gcm),
            _ => None,
        }
    }

    /// The master key length in bytes (also the session encryption key length).
    pub const fn key_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 | Self::AeadAes128Gcm => 16,
            Self::AeadAes256Gcm => 32,
        }
    }

    /// The master salt length in bytes (also the session salt length): 112 bits for AES-CM
    /// (RFC 3711 section 8.2), 96 bits for AES-GCM (RFC 7714 section 12).
    pub const fn salt_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 => 14,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 12,
        }
    }

    /// The bytes SRTP adds to an RTP packet: the authentication tag.
    pub const fn rtp_overhead(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// The bytes SRTCP adds to an RTCP packet: the tag and the 4-byte E flag and index.
    pub const fn rtcp_overhead(self) -> usize {
        self.rtcp_tag_len() + 4
    }

    /// Whether this is one of the AEAD (AES-GCM) profiles of RFC 7714.
    pub const fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }

    /// The number of bytes to ask the DTLS exporter for with the label
    /// `EXTRACTOR-dtls_srtp` (RFC 5764 section 4.2): two keys and two salts.
    pub const fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }

    /// The SRTP authentication tag length in bytes.
    pub(crate) const fn rtp_tag_len(self) -> usize {
        self.rtp_overhead()
    }

    /// The SRTCP authentication tag length: 80 bits for both AES-CM profiles (RFC 5764
    /// section 4.1.2), 16 bytes for AES-GCM.
    pub(crate) const fn rtcp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 => 10,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for profile in Profile::ALL {
            assert_eq!(Profile::from_id(profile.id()), Some(profile));
        }
        assert_eq!(Profile::from_id(0x0003), None);
    }

    #[test]
    fn lengths() {
        assert_eq!(Profile::AesCm128HmacSha1_80.keying_material_len(), 60);
        assert_eq!(Profile::AeadAes128Gcm.keying_material_len(), 56);
        assert_eq!(Profile::AeadAes256Gcm.keying_material_len(), 88);
        assert_eq!(Profile::AesCm128HmacSha1_32.rtcp_overhead(), 14);
    }
}

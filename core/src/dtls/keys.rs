//! SRTP keying material from the exporter (RFC 5764 section 4.2).

use super::suite::SrtpProfile;

/// Longest material: two keys and two salts of SRTP_AEAD_AES_256_GCM (2 × (32 + 12)).
const MAX_MATERIAL: usize = 2 * (32 + 14);

/// The SRTP master keys and salts for both directions, exported with the label
/// `EXTRACTOR-dtls_srtp` and no context (RFC 5764 section 4.2): `client_write_key ||
/// server_write_key || client_write_salt || server_write_salt`.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    profile: SrtpProfile,
    is_client: bool,
    material: [u8; MAX_MATERIAL],
}

impl std::fmt::Debug for SrtpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeys")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl SrtpKeys {
    /// The exporter's label for DTLS-SRTP.
    pub const LABEL: &'static str = "EXTRACTOR-dtls_srtp";

    /// Total exported length for `profile`.
    pub fn material_len(profile: SrtpProfile) -> usize {
        2 * (profile.key_len() + profile.salt_len())
    }

    pub(crate) fn new(profile: SrtpProfile, is_client: bool, exported: &[u8]) -> Self {
        let mut material = [0; MAX_MATERIAL];
        let n = exported.len().min(MAX_MATERIAL);
        material[..n].copy_from_slice(&exported[..n]);
        Self {
            profile,
            is_client,
            material,
        }
    }

    /// The negotiated profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    fn part(&self, index: usize) -> &[u8] {
        let (k, s) = (self.profile.key_len(), self.profile.salt_len());
        let (start, len) = match index {
            0 => (0, k),
            1 => (k, k),
            2 => (2 * k, s),
            _ => (2 * k + s, s),
        };
        &self.material[start..start + len]
    }

    /// The client's SRTP master key.
    pub fn client_write_key(&self) -> &[u8] {
        self.part(0)
    }

    /// The server's SRTP master key.
    pub fn server_write_key(&self) -> &[u8] {
        self.part(1)
    }

    /// The client's SRTP master salt.
    pub fn client_write_salt(&self) -> &[u8] {
        self.part(2)
    }

    /// The server's SRTP master salt.
    pub fn server_write_salt(&self) -> &[u8] {
        self.part(3)
    }

    /// The key this side protects outgoing packets with.
    pub fn local_key(&self) -> &[u8] {
        self.part(if self.is_client { 0 } else { 1 })
    }

    /// The salt this side protects outgoing packets with.
    pub fn local_salt(&self) -> &[u8] {
        self.part(if self.is_client { 2 } else { 3 })
    }

    /// The key the peer protects its packets with.
    pub fn remote_key(&self) -> &[u8] {
        self.part(if self.is_client { 1 } else { 0 })
    }

    /// The salt the peer protects its packets with.
    pub fn remote_salt(&self) -> &[u8] {
        self.part(if self.is_client { 3 } else { 2 })
    }

    /// All exported bytes, in RFC 5764 order.
    pub fn material(&self) -> &[u8] {
        &self.material[..Self::material_len(self.profile)]
    }
}

//! Master keys and the DTLS-SRTP keying material layout (RFC 5764 section 4.2).

use std::fmt;

use super::error::KeyError;
use super::profile::Profile;

/// The longest master key of any profile (AES-256).
const MAX_KEY_LEN: usize = 32;
/// The longest master salt of any profile (AES-CM's 112 bits).
const MAX_SALT_LEN: usize = 14;

/// One direction's SRTP master key and master salt, for one [`Profile`].
///
/// `Debug` does not print the key material.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: Profile,
    key: [u8; MAX_KEY_LEN],
    salt: [u8; MAX_SALT_LEN],
}

impl MasterKey {
    /// A master key from its bytes; fails unless `key` and `salt` have the lengths the
    /// profile requires ([`Profile::key_len`], [`Profile::salt_len`]).
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Result<Self, KeyError> {
        if key.len() != profile.key_len() || salt.len() != profile.salt_len() {
            return Err(KeyError::BadLength);
        }
        let mut k = [0; MAX_KEY_LEN];
        let mut s = [0; MAX_SALT_LEN];
        k[..key.len()].copy_from_slice(key);
        s[..salt.len()].copy_from_slice(salt);
        Ok(Self {
            profile,
            key: k,
            salt: s,
        })
    }

    /// The profile this key is for.
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// The master key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.profile.key_len()]
    }

    /// The master salt bytes.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..self.profile.salt_len()]
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// Which end of the DTLS handshake we were: it decides which half of the keying material
/// protects what we send (RFC 5764 section 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// The DTLS client: sends with `client_write_key`.
    Client,
    /// The DTLS server: sends with `server_write_key`.
    Server,
}

/// The two master keys of a DTLS-SRTP session: one to protect what we send, one to
/// unprotect what we receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// Protects outgoing SRTP and SRTCP.
    pub local: MasterKey,
    /// Unprotects incoming SRTP and SRTCP.
    pub remote: MasterKey,
}

impl SrtpKeys {
    /// Splits the DTLS exporter's output (label `EXTRACTOR-dtls_srtp`, length
    /// [`Profile::keying_material_len`]) laid out as `client_write_key | server_write_key |
    /// client_write_salt | server_write_salt` (RFC 5764 section 4.2).
    pub fn from_keying_material(
        profile: Profile,
        material: &[u8],
        role: KeyRole,
    ) -> Result<Self, KeyError> {
        if material.len() != profile.keying_material_len() {
            return Err(KeyError::BadLength);
        }
        let (k, s) = (profile.key_len(), profile.salt_len());
        let (keys, salts) = material.split_at(2 * k);
        let (client_key, server_key) = keys.split_at(k);
        let (client_salt, server_salt) = salts.split_at(s);
        let client = MasterKey::new(profile, client_key, client_salt)?;
        let server = MasterKey::new(profile, server_key, server_salt)?;
        Ok(match role {
            KeyRole::Client => Self {
                local: client,
                remote: server,
            },
            KeyRole::Server => Self {
                local: server,
                remote: client,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keying_material_layout() {
        let profile = Profile::AesCm128HmacSha1_80;
        let material: Vec<u8> = (0..60).collect();
        let keys = SrtpKeys::from_keying_material(profile, &material, KeyRole::Client).unwrap();
        assert_eq!(keys.local.key(), &material[0..16]);
        assert_eq!(keys.remote.key(), &material[16..32]);
        assert_eq!(keys.local.salt(), &material[32..46]);
        assert_eq!(keys.remote.salt(), &material[46..60]);
        let server = SrtpKeys::from_keying_material(profile, &material, KeyRole::Server).unwrap();
        assert_eq!(server.local, keys.remote);
        assert_eq!(server.remote, keys.local);
        assert_eq!(
            SrtpKeys::from_keying_material(profile, &material[1..], KeyRole::Client),
            Err(KeyError::BadLength)
        );
    }

    #[test]
    fn debug_hides_key() {
        let key = MasterKey::new(Profile::AeadAes128Gcm, &[0xAB; 16], &[0xCD; 12]).unwrap();
        let text = format!("{key:?}");
        assert!(!text.contains("171"), "{text}");
    }
}

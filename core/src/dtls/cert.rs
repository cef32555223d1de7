//! The local certificate and certificate fingerprints (RFC 8122 section 5).

use std::fmt;
use std::str::FromStr;

use smallvec::SmallVec;

use super::crypto::SigningKey;
use super::der;

/// The hash function of a certificate fingerprint (RFC 8122 section 5, the IANA "Hash
/// Function Textual Names" registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// `sha-1`.
    Sha1,
    /// `sha-256`, the default.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashAlgorithm {
    /// The textual name used in SDP.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    fn digest(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        }
    }
}

/// Longest digest we compute (SHA-512).
const MAX_DIGEST: usize = 64;

/// A certificate fingerprint: the hash of the DER certificate, as signalled in SDP's
/// `a=fingerprint` (RFC 8122 section 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    algorithm: HashAlgorithm,
    value: SmallVec<[u8; MAX_DIGEST]>,
}

impl Fingerprint {
    /// The fingerprint with hash function `name` (`sha-256`, any case) and digest `value`,
    /// as an SDP parser holds them.
    pub fn from_parts(name: &str, value: &[u8]) -> Result<Self, FingerprintParseError> {
        let algorithm = [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .ok_or(FingerprintParseError::UnknownAlgorithm)?;
        if value.len() != algorithm.digest().output_len() {
            return Err(FingerprintParseError::BadValue);
        }
        Ok(Self {
            algorithm,
            value: SmallVec::from_slice(value),
        })
    }

    /// Computes the fingerprint of a DER certificate with `algorithm`.
    pub fn of_der(algorithm: HashAlgorithm, der: &[u8]) -> Self {
        let d = ring::digest::digest(algorithm.digest(), der);
        Self {
            algorithm,
            value: SmallVec::from_slice(d.as_ref()),
        }
    }

    /// The hash function.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The digest bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Whether `der` hashes to this fingerprint.
    pub fn matches(&self, der: &[u8]) -> bool {
        Self::of_der(self.algorithm, der) == *self
    }
}

impl fmt::Display for Fingerprint {
    /// `sha-256 AB:CD:...`, the SDP attribute value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm.name())?;
        for (i, b) in self.value.iter().enumerate() {
            let sep = if i == 0 { ' ' } else { ':' };
            write!(f, "{sep}{b:02X}")?;
        }
        Ok(())
    }
}

/// Why a fingerprint string did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintParseError {
    /// The hash function is not sha-1, sha-256, sha-384 or sha-512.
    #[error("unsupported fingerprint hash function")]
    UnknownAlgorithm,
    /// The value is not colon-separated hex of the hash's length.
    #[error("malformed fingerprint value")]
    BadValue,
}

impl FromStr for Fingerprint {
    type Err = FingerprintParseError;

    /// Parses the SDP attribute value, `sha-256 AB:CD:...` (hash name case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, hex) = s
            .trim()
            .split_once(' ')
            .ok_or(FingerprintParseError::BadValue)?;
        let mut value: SmallVec<[u8; MAX_DIGEST]> = SmallVec::new();
        for part in hex.trim().split(':') {
            if part.len() != 2 || value.len() == MAX_DIGEST {
                return Err(FingerprintParseError::BadValue);
            }
            let b = u8::from_str_radix(part, 16).map_err(|_| FingerprintParseError::BadValue)?;
            value.push(b);
        }
        Self::from_parts(name, &value)
    }
}

/// Why a certificate could not be generated or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// rcgen failed to generate the certificate.
    #[error("certificate generation failed")]
    Generate,
    /// The private key is not an ECDSA P-256 or RSA PKCS#8 key.
    #[error("unsupported private key: {0}")]
    Key(&'static str),
    /// The certificate's DER has no usable public key.
    #[error("certificate has no usable public key")]
    BadCertificate,
    /// The private key does not belong to the certificate.
    #[error("private key does not match the certificate")]
    KeyMismatch,
}

/// The local DTLS certificate and its private key.
///
/// Generated ([`Certificate::generate`]) or loaded ([`Certificate::from_der`]); share one
/// between connections with an `Arc`.
#[derive(Debug)]
pub struct Certificate {
    der: Vec<u8>,
    key: SigningKey,
}

impl Certificate {
    /// Generates a self-signed ECDSA P-256 certificate with rcgen.
    ///
    /// rcgen draws the key from ring's `SystemRandom` (see [`crate::dtls`] on randomness).
    pub fn generate() -> Result<Self, CertificateError> {
        let key = rcgen::KeyPair::generate().map_err(|_| CertificateError::Generate)?;
        let params = rcgen::CertificateParams::new(vec!["sansrtc".to_owned()])
            .map_err(|_| CertificateError::Generate)?;
        let cert = params
            .self_signed(&key)
            .map_err(|_| CertificateError::Generate)?;
        Self::from_der(cert.der().to_vec(), &key.serialize_der())
    }

    /// Loads a DER certificate and its PKCS#8 private key (ECDSA P-256 or RSA).
    pub fn from_der(der: Vec<u8>, pkcs8_key: &[u8]) -> Result<Self, CertificateError> {
        let key = SigningKey::from_pkcs8(pkcs8_key).map_err(CertificateError::Key)?;
        let spk = der::subject_public_key(&der).ok_or(CertificateError::BadCertificate)?;
        if spk.key != key.public_key() {
            return Err(CertificateError::KeyMismatch);
        }
        Ok(Self { der, key })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The fingerprint to signal to the peer.
    pub fn fingerprint(&self, algorithm: HashAlgorithm) -> Fingerprint {
        Fingerprint::of_der(algorithm, &self.der)
    }

    /// Whether the key is RSA (so the server side uses the `ECDHE_RSA` suites).
    pub fn is_rsa(&self) -> bool {
        self.key.is_rsa()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_round_trips_through_text() {
        let cert = Certificate::generate().unwrap();
        for alg in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let fp = cert.fingerprint(alg);
            let text = fp.to_string();
            assert!(text.starts_with(alg.name()));
            assert_eq!(text.parse::<Fingerprint>().unwrap(), fp);
            assert!(fp.matches(cert.der()));
        }
        assert_eq!(
            "md5 AA".parse::<Fingerprint>(),
            Err(FingerprintParseError::UnknownAlgorithm)
        );
        assert_eq!(
            "sha-256 AA:BB".parse::<Fingerprint>(),
            Err(FingerprintParseError::BadValue)
        );
    }

    #[test]
    fn mismatched_key_is_refused() {
        let a = rcgen::KeyPair::generate().unwrap();
        let b = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&a)
            .unwrap();
        assert_eq!(
            Certificate::from_der(cert.der().to_vec(), &b.serialize_der()).unwrap_err(),
            CertificateError::KeyMismatch
        );
    }
}

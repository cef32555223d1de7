//! Key schedule and public-key operations on ring.
//!
//! This is the one place in the crate that uses ring's [`SystemRandom`]: ring's `SecureRandom`
//! trait is sealed, so the caller's RNG cannot feed ring's ephemeral key generation (ECDHE) or
//! its ECDSA/RSA-PSS signing nonces. Everything else that needs randomness (client and server
//! randoms, the cookie secret) draws from the caller's `&mut dyn CryptoRng`.
//!
//! - The TLS 1.2 PRF, P_SHA256 and P_SHA384 (RFC 5246 section 5), on `ring::hmac`.
//! - The extended master secret (RFC 7627 section 4), the key block (RFC 5246 section 6.3) and
//!   the keying-material exporter (RFC 5705 section 4).
//! - Ephemeral ECDH on X25519, P-256 and P-384 (RFC 8422 section 5).
//! - Signing with the local certificate's key and verifying the peer's signatures.

use ring::agreement;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};

use super::der::{PublicKeyKind, SubjectPublicKey};
use super::error::DtlsError;
use super::suite::{NamedGroup, SignatureScheme};

/// Length of the master secret (RFC 5246 section 8.1).
pub(crate) const MASTER_SECRET_LEN: usize = 48;

/// The hash a cipher suite's PRF runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrfHash {
    /// P_SHA256, for the `_SHA256` suites.
    Sha256,
    /// P_SHA384, for the `_SHA384` suites.
    Sha384,
}

impl PrfHash {
    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// The digest algorithm, for handshake hashes.
    pub(crate) fn digest(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
        }
    }

    /// Hashes `data` (the handshake transcript).
    pub(crate) fn hash(self, data: &[u8]) -> ring::digest::Digest {
        ring::digest::digest(self.digest(), data)
    }
}

/// The TLS 1.2 PRF (RFC 5246 section 5): `P_hash(secret, label + seed)`, where `seed` is the
/// concatenation of `seeds`, written to fill `out`.
pub(crate) fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seeds: &[&[u8]], out: &mut [u8]) {
    let key = hmac::Key::new(hash.hmac(), secret);
    // A(1) = HMAC(secret, label + seed).
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(label);
    for s in seeds {
        ctx.update(s);
    }
    let mut a = ctx.sign();
    let mut written = 0;
    while written < out.len() {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        for s in seeds {
            ctx.update(s);
        }
        let block = ctx.sign();
        let n = block.as_ref().len().min(out.len() - written);
        out[written..written + n].copy_from_slice(&block.as_ref()[..n]);
        written += n;
        a = hmac::sign(&key, a.as_ref());
    }
}

/// The extended master secret (RFC 7627 section 4): `PRF(pre_master_secret,
/// "extended master secret", session_hash)[0..48]`.
pub(crate) fn extended_master_secret(
    hash: PrfHash,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> [u8; MASTER_SECRET_LEN] {
    let mut out = [0; MASTER_SECRET_LEN];
    prf(
        hash,
        pre_master_secret,
        b"extended master secret",
        &[session_hash],
        &mut out,
    );
    out
}

/// The key block (RFC 5246 section 6.3): `PRF(master_secret, "key expansion", server_random +
/// client_random)`.
pub(crate) fn key_block(
    hash: PrfHash,
    master_secret: &[u8; MASTER_SECRET_LEN],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8],
) {
    prf(
        hash,
        master_secret,
        b"key expansion",
        &[server_random, client_random],
        out,
    );
}

/// Finished `verify_data` (RFC 5246 section 7.4.9): 12 bytes of `PRF(master_secret,
/// finished_label, Hash(handshake_messages))`.
pub(crate) fn verify_data(
    hash: PrfHash,
    master_secret: &[u8; MASTER_SECRET_LEN],
    label: &[u8],
    transcript: &[u8],
) -> [u8; 12] {
    let digest = hash.hash(transcript);
    let mut out = [0; 12];
    prf(hash, master_secret, label, &[digest.as_ref()], &mut out);
    out
}

/// The keying-material exporter (RFC 5705 section 4): `PRF(master_secret, label,
/// client_random + server_random [+ context_length + context])`.
///
/// Fails if the context is longer than 65535 bytes.
pub(crate) fn export(
    hash: PrfHash,
    master_secret: &[u8; MASTER_SECRET_LEN],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    label: &[u8],
    context: Option<&[u8]>,
    out: &mut [u8],
) -> Result<(), ()> {
    match context {
        None => prf(
            hash,
            master_secret,
            label,
            &[client_random, server_random],
            out,
        ),
        Some(ctx) => {
            let len = u16::try_from(ctx.len()).map_err(|_| ())?.to_be_bytes();
            prf(
                hash,
                master_secret,
                label,
                &[client_random, server_random, &len, ctx],
                out,
            );
        }
    }
    Ok(())
}

/// An ephemeral ECDH key for one handshake.
pub(crate) struct EphemeralKey {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    public: agreement::PublicKey,
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralKey")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl EphemeralKey {
    /// Generates a key on `group` (ring's `SystemRandom`: see the module docs).
    pub(crate) fn generate(group: NamedGroup) -> Result<Self, DtlsError> {
        let rng = SystemRandom::new();
        let private = agreement::EphemeralPrivateKey::generate(agreement_alg(group), &rng)
            .map_err(|_| DtlsError::Internal("ephemeral key generation"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| DtlsError::Internal("ephemeral public key"))?;
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// The public point as sent on the wire (uncompressed point or X25519 u-coordinate).
    pub(crate) fn public(&self) -> &[u8] {
        self.public.as_ref()
    }

    /// Computes the premaster secret with the peer's public point.
    pub(crate) fn agree(self, peer: &[u8]) -> Result<Vec<u8>, DtlsError> {
        let peer = agreement::UnparsedPublicKey::new(agreement_alg(self.group), peer);
        agreement::agree_ephemeral(self.private, &peer, |secret| secret.to_vec())
            .map_err(|_| DtlsError::IllegalParameter("bad ecdh public key"))
    }
}

fn agreement_alg(group: NamedGroup) -> &'static agreement::Algorithm {
    match group {
        NamedGroup::X25519 => &agreement::X25519,
        NamedGroup::Secp256r1 => &agreement::ECDH_P256,
        NamedGroup::Secp384r1 => &agreement::ECDH_P384,
    }
}

/// The private key of the local certificate.
pub(crate) enum SigningKey {
    /// ECDSA on P-256, signing with SHA-256.
    EcdsaP256(EcdsaKeyPair),
    /// RSA, signing with PKCS#1 v1.5 or PSS.
    Rsa(RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EcdsaP256(_) => f.write_str("SigningKey::EcdsaP256"),
            Self::Rsa(_) => f.write_str("SigningKey::Rsa"),
        }
    }
}

impl SigningKey {
    /// Parses a PKCS#8 private key: ECDSA P-256 or RSA.
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, &'static str> {
        let rng = SystemRandom::new();
        if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
        {
            return Ok(Self::EcdsaP256(k));
        }
        RsaKeyPair::from_pkcs8(pkcs8)
            .map(Self::Rsa)
            .map_err(|_| "private key is neither ecdsa p-256 nor rsa pkcs#8")
    }

    /// Whether this is an RSA key (for the `ECDHE_RSA` suites).
    pub(crate) fn is_rsa(&self) -> bool {
        matches!(self, Self::Rsa(_))
    }

    /// The public key bytes, to check against the certificate.
    pub(crate) fn public_key(&self) -> &[u8] {
        match self {
            Self::EcdsaP256(k) => k.public_key().as_ref(),
            Self::Rsa(k) => k.public_key().as_ref(),
        }
    }

    /// Picks the scheme to sign with from the peer's `offered` list (in the peer's order of
    /// preference), or the default for the key when the peer sent no list.
    pub(crate) fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        let ours: &[SignatureScheme] = match self {
            Self::EcdsaP256(_) => &[SignatureScheme::ECDSA_SECP256R1_SHA256],
            Self::Rsa(_) => &[
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PKCS1_SHA384,
            ],
        };
        if offered.is_empty() {
            return ours.first().copied();
        }
        offered.iter().copied().find(|s| ours.contains(s))
    }

    /// Signs `message` with `scheme` (ring's `SystemRandom`: see the module docs).
    pub(crate) fn sign(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, DtlsError> {
        let rng = SystemRandom::new();
        match self {
            Self::EcdsaP256(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| DtlsError::Internal("ecdsa signing")),
            Self::Rsa(k) => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_SHA384,
                    SignatureScheme::RSA_PSS_RSAE_SHA256 => &signature::RSA_PSS_SHA256,
                    SignatureScheme::RSA_PSS_RSAE_SHA384 => &signature::RSA_PSS_SHA384,
                    _ => return Err(DtlsError::Internal("unsupported rsa scheme")),
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(padding, &rng, message, &mut sig)
                    .map_err(|_| DtlsError::Internal("rsa signing"))?;
                Ok(sig)
            }
        }
    }
}

/// The signature schemes this side can verify, in order of preference (sent in
/// signature_algorithms and CertificateRequest).
pub(crate) const VERIFY_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// Verifies the peer's `signature` over `message` with the key from its certificate.
pub(crate) fn verify(
    key: &SubjectPublicKey<'_>,
    scheme: SignatureScheme,
    message: &[u8],
    sig: &[u8],
) -> Result<(), DtlsError> {
    use SignatureScheme as S;
    // In TLS 1.2 the ECDSA code points name the hash only; the curve comes from the key.
    let alg: &'static dyn signature::VerificationAlgorithm = match (key.kind, scheme) {
        (PublicKeyKind::EcdsaP256, S::ECDSA_SECP256R1_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
        (PublicKeyKind::EcdsaP256, S::ECDSA_SECP384R1_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
        (PublicKeyKind::EcdsaP384, S::ECDSA_SECP256R1_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
        (PublicKeyKind::EcdsaP384, S::ECDSA_SECP384R1_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
        (PublicKeyKind::Rsa, S::RSA_PKCS1_SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (PublicKeyKind::Rsa, S::RSA_PKCS1_SHA384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (PublicKeyKind::Rsa, S::RSA_PKCS1_SHA512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (PublicKeyKind::Rsa, S::RSA_PSS_RSAE_SHA256) => &signature::RSA_PSS_2048_8192_SHA256,
        (PublicKeyKind::Rsa, S::RSA_PSS_RSAE_SHA384) => &signature::RSA_PSS_2048_8192_SHA384,
        (PublicKeyKind::Rsa, S::RSA_PSS_RSAE_SHA512) => &signature::RSA_PSS_2048_8192_SHA512,
        _ => {
            return Err(DtlsError::IllegalParameter(
                "signature scheme does not fit the key",
            ));
        }
    };
    signature::UnparsedPublicKey::new(alg, key.key)
        .verify(message, sig)
        .map_err(|_| DtlsError::DecryptError("bad signature"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    /// The TLS 1.2 P_SHA256 vector circulated on the IETF TLS WG list (msg03416), as used
    /// by BearSSL's and several other test suites.
    #[test]
    fn dtls_prf_sha256_known_answer() {
        let mut out = [0; 100];
        prf(
            PrfHash::Sha256,
            &hex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &[&hex("a0ba9f936cda311827a6f796ffd5198c")],
            &mut out,
        );
        let want = hex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701
             87347b66",
        );
        assert_eq!(want.len(), 100);
        assert_eq!(&out[..], &want[..]);
    }

    /// The P_SHA384 companion vector from the same source (148 bytes).
    #[test]
    fn dtls_prf_sha384_known_answer() {
        let mut out = [0; 148];
        prf(
            PrfHash::Sha384,
            &hex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &[&hex("cd665cf6a8447dd6ff8b27555edb7465")],
            &mut out,
        );
        let want = hex(
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        );
        assert_eq!(want.len(), 148);
        assert_eq!(&out[..], &want[..]);
    }

    /// Splitting the seed over several slices changes nothing.
    #[test]
    fn dtls_prf_seed_pieces_concatenate() {
        let (mut a, mut b) = ([0; 77], [0; 77]);
        prf(PrfHash::Sha256, b"k", b"label", &[b"abcdef"], &mut a);
        prf(
            PrfHash::Sha256,
            b"k",
            b"label",
            &[b"ab", b"", b"cdef"],
            &mut b,
        );
        assert_eq!(a, b);
    }

    /// The exporter (RFC 5705 section 4) is the PRF over client_random + server_random, with
    /// the context length and context appended when a context is given. Expected bytes were
    /// computed independently (Python's hmac module, P_SHA256 by hand).
    #[test]
    fn dtls_prf_exporter_known_answer() {
        let master = [0x0b; MASTER_SECRET_LEN];
        let (cr, sr) = ([0x01; 32], [0x02; 32]);
        let mut out = [0; 60];
        export(
            PrfHash::Sha256,
            &master,
            &cr,
            &sr,
            b"EXTRACTOR-dtls_srtp",
            None,
            &mut out,
        )
        .unwrap();
        let mut direct = [0; 60];
        let seed: Vec<u8> = cr.iter().chain(sr.iter()).copied().collect();
        prf(
            PrfHash::Sha256,
            &master,
            b"EXTRACTOR-dtls_srtp",
            &[&seed],
            &mut direct,
        );
        assert_eq!(out, direct);
        assert_eq!(&out[..16], &hex(EXPORTER_SRTP_FIRST16)[..]);

        let mut with_ctx = [0; 32];
        export(
            PrfHash::Sha256,
            &master,
            &cr,
            &sr,
            b"label",
            Some(b"ctx"),
            &mut with_ctx,
        )
        .unwrap();
        let mut direct = [0; 32];
        prf(
            PrfHash::Sha256,
            &master,
            b"label",
            &[&seed, &[0, 3], b"ctx"],
            &mut direct,
        );
        assert_eq!(with_ctx, direct);
    }

    /// First 16 bytes of `PRF_SHA256(0x0b * 48, "EXTRACTOR-dtls_srtp", 0x01 * 32 + 0x02 * 32)`.
    const EXPORTER_SRTP_FIRST16: &str = "3237952e583b6143f636daa38e31de80";

    #[test]
    fn dtls_prf_extended_master_secret_matches_prf() {
        let ms = extended_master_secret(PrfHash::Sha384, b"premaster", b"hash");
        let mut direct = [0; 48];
        prf(
            PrfHash::Sha384,
            b"premaster",
            b"extended master secret",
            &[b"hash"],
            &mut direct,
        );
        assert_eq!(ms, direct);
    }

    #[test]
    fn ecdh_agrees_on_every_group() {
        for group in [
            NamedGroup::X25519,
            NamedGroup::Secp256r1,
            NamedGroup::Secp384r1,
        ] {
            let a = EphemeralKey::generate(group).unwrap();
            let b = EphemeralKey::generate(group).unwrap();
            let (pa, pb) = (a.public().to_vec(), b.public().to_vec());
            assert_eq!(a.agree(&pb).unwrap(), b.agree(&pa).unwrap());
        }
        let a = EphemeralKey::generate(NamedGroup::Secp256r1).unwrap();
        assert!(a.agree(&[4; 65]).is_err());
    }
}

//! A minimal DER walker: just enough of X.509 (RFC 5280 section 4.1) to take the
//! SubjectPublicKeyInfo out of a certificate. Nothing else in the certificate is trusted or
//! checked: WebRTC authenticates the certificate by its fingerprint (RFC 8122), not by a
//! chain.

/// The kind of public key in a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicKeyKind {
    /// id-ecPublicKey on prime256v1.
    EcdsaP256,
    /// id-ecPublicKey on secp384r1.
    EcdsaP384,
    /// rsaEncryption.
    Rsa,
}

/// A public key taken from a certificate, in the form ring verifies with: the uncompressed
/// point for ECDSA, the `RSAPublicKey` DER for RSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubjectPublicKey<'a> {
    pub(crate) kind: PublicKeyKind,
    pub(crate) key: &'a [u8],
}

const TAG_SEQUENCE: u8 = 0x30;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OID: u8 = 0x06;
const TAG_CONTEXT_0: u8 = 0xA0;

/// 1.2.840.10045.2.1 id-ecPublicKey.
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// 1.2.840.10045.3.1.7 prime256v1.
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// 1.3.132.0.34 secp384r1.
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
/// 1.2.840.113549.1.1.1 rsaEncryption.
const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// Reads one TLV; returns (tag, value, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, r) = rest.split_at_checked(n)?;
        rest = r;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, v, rest) = tlv(input)?;
    (t == tag).then_some((v, rest))
}

/// Takes the subject public key out of a DER certificate.
pub(crate) fn subject_public_key(cert: &[u8]) -> Option<SubjectPublicKey<'_>> {
    let (certificate, _) = expect(cert, TAG_SEQUENCE)?;
    let (mut tbs, _) = expect(certificate, TAG_SEQUENCE)?;
    // version [0] EXPLICIT, optional.
    if tbs.first() == Some(&TAG_CONTEXT_0) {
        tbs = tlv(tbs)?.2;
    }
    // serialNumber, signature, issuer, validity, subject.
    for _ in 0..5 {
        tbs = tlv(tbs)?.2;
    }
    let (spki, _) = expect(tbs, TAG_SEQUENCE)?;
    let (alg, rest) = expect(spki, TAG_SEQUENCE)?;
    let (bits, _) = expect(rest, TAG_BIT_STRING)?;
    // The first content byte of a BIT STRING counts unused bits; keys use whole bytes.
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    let (oid, params) = expect(alg, TAG_OID)?;
    let kind = if oid == OID_EC_PUBLIC_KEY {
        let (curve, _) = expect(params, TAG_OID)?;
        if curve == OID_P256 {
            PublicKeyKind::EcdsaP256
        } else if curve == OID_P384 {
            PublicKeyKind::EcdsaP384
        } else {
            return None;
        }
    } else if oid == OID_RSA {
        PublicKeyKind::Rsa
    } else {
        return None;
    };
    Some(SubjectPublicKey { kind, key })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parse_rcgen_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let spk = subject_public_key(cert.der()).unwrap();
        assert_eq!(spk.kind, PublicKeyKind::EcdsaP256);
        assert_eq!(spk.key, key.public_key_raw());
    }

    #[test]
    fn impossible_len() {
        assert_eq!(subject_public_key(&[]), None);
        assert_eq!(
            subject_public_key(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(subject_public_key(&[0x30, 0x80]), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn dtls_parse_never_panics_der(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = subject_public_key(&bytes);
        }
    }
}

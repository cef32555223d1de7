//! Handshake message bodies (RFC 5246 section 7.4, RFC 6347 section 4.2.1, RFC 8422
//! section 5): borrowed views with `parse`, and `emit` appending to a `Vec<u8>`.

use smallvec::SmallVec;

use super::extensions::{ExtensionType, Extensions, put_extension, put_u16_list};
use super::record::ProtocolVersion;
use super::{Reader, WireError, put_u16, put_vec};

/// Inline capacity for cipher-suite lists: browsers offer about 15 suites.
const SUITES_INLINE: usize = 32;
/// Inline capacity for certificate chains: WebRTC sends one self-signed certificate.
const CHAIN_INLINE: usize = 4;

/// ClientHello (RFC 6347 section 4.2.1, with the cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// client_version.
    pub version: ProtocolVersion,
    /// The client random.
    pub random: [u8; 32],
    /// session_id (ignored: no resumption).
    pub session_id: &'a [u8],
    /// The cookie from HelloVerifyRequest, empty at first.
    pub cookie: &'a [u8],
    /// Offered cipher suites, in preference order.
    pub cipher_suites: SmallVec<[u16; SUITES_INLINE]>,
    /// Whether the null compression method was offered (it must be).
    pub null_compression: bool,
    /// The extensions this implementation reads.
    pub extensions: Extensions<'a>,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16()?);
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(WireError::BadLength);
        }
        let cookie = r.vec8()?;
        let suites = r.vec16()?;
        if suites.len() % 2 != 0 || suites.is_empty() {
            return Err(WireError::BadLength);
        }
        let compression = r.vec8()?;
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let block = r.vec16()?;
            r.finish()?;
            Extensions::parse(block)?
        };
        Ok(Self {
            version,
            random,
            session_id,
            cookie,
            cipher_suites: suites
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
            null_compression: compression.contains(&0),
            extensions,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_u16(out, self.version.0);
        out.extend_from_slice(&self.random);
        put_vec(out, 1, |o| o.extend_from_slice(self.session_id));
        put_vec(out, 1, |o| o.extend_from_slice(self.cookie));
        put_u16_list(out, 2, self.cipher_suites.iter().copied());
        let compression: &[u8] = if self.null_compression { &[0] } else { &[1] };
        put_vec(out, 1, |o| o.extend_from_slice(compression));
        put_vec(out, 2, |o| emit_extensions(&self.extensions, o));
    }
}

/// Appends the extensions of `e` in a fixed order.
pub(crate) fn emit_extensions(e: &Extensions<'_>, out: &mut Vec<u8>) {
    if !e.supported_groups.is_empty() {
        put_extension(out, ExtensionType::SUPPORTED_GROUPS, |o| {
            put_u16_list(o, 2, e.supported_groups.iter().copied());
        });
    }
    if let Some(uncompressed) = e.ec_point_formats {
        put_extension(out, ExtensionType::EC_POINT_FORMATS, |o| {
            o.extend_from_slice(&[1, if uncompressed { 0 } else { 1 }]);
        });
    }
    if !e.signature_algorithms.is_empty() {
        put_extension(out, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
            put_u16_list(o, 2, e.signature_algorithms.iter().copied());
        });
    }
    if let Some(profiles) = &e.srtp_profiles {
        put_extension(out, ExtensionType::USE_SRTP, |o| {
            put_u16_list(o, 2, profiles.iter().copied());
            put_vec(o, 1, |o| o.extend_from_slice(e.srtp_mki));
        });
    }
    if e.extended_master_secret {
        put_extension(out, ExtensionType::EXTENDED_MASTER_SECRET, |_| {});
    }
    if let Some(info) = e.renegotiation_info {
        put_extension(out, ExtensionType::RENEGOTIATION_INFO, |o| {
            put_vec(o, 1, |o| o.extend_from_slice(info));
        });
    }
}

/// HelloVerifyRequest (RFC 6347 section 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloVerifyRequest<'a> {
    /// server_version.
    pub version: ProtocolVersion,
    /// The cookie, at most 255 bytes.
    pub cookie: &'a [u8],
}

impl<'a> HelloVerifyRequest<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16()?);
        let cookie = r.vec8()?;
        r.finish()?;
        Ok(Self { version, cookie })
    }

    /// Writes the body into `out`; returns its length.
    pub fn emit_into(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let n = 3 + self.cookie.len();
        let out = out.get_mut(..n).ok_or(WireError::BufferTooSmall)?;
        out[..2].copy_from_slice(&self.version.0.to_be_bytes());
        out[2] = u8::try_from(self.cookie.len()).map_err(|_| WireError::BadLength)?;
        out[3..].copy_from_slice(self.cookie);
        Ok(n)
    }
}

/// ServerHello (RFC 5246 section 7.4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// server_version.
    pub version: ProtocolVersion,
    /// The server random.
    pub random: [u8; 32],
    /// session_id.
    pub session_id: &'a [u8],
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression: u8,
    /// The extensions this implementation reads.
    pub extensions: Extensions<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16()?);
        let random = r.array()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(WireError::BadLength);
        }
        let cipher_suite = r.u16()?;
        let compression = r.u8()?;
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let block = r.vec16()?;
            r.finish()?;
            Extensions::parse(block)?
        };
        Ok(Self {
            version,
            random,
            session_id,
            cipher_suite,
            compression,
            extensions,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_u16(out, self.version.0);
        out.extend_from_slice(&self.random);
        put_vec(out, 1, |o| o.extend_from_slice(self.session_id));
        put_u16(out, self.cipher_suite);
        out.push(self.compression);
        put_vec(out, 2, |o| emit_extensions(&self.extensions, o));
    }
}

/// Certificate (RFC 5246 section 7.4.2): a chain of DER certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChain<'a> {
    /// The certificates, the sender's own first.
    pub certificates: SmallVec<[&'a [u8]; CHAIN_INLINE]>,
}

impl<'a> CertificateChain<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let list = r.vec24()?;
        r.finish()?;
        let mut l = Reader::new(list);
        let mut certificates = SmallVec::new();
        while !l.is_empty() {
            let c = l.vec24()?;
            if c.is_empty() {
                return Err(WireError::BadLength);
            }
            certificates.push(c);
        }
        Ok(Self { certificates })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_vec(out, 3, |o| {
            for c in &self.certificates {
                put_vec(o, 3, |o| o.extend_from_slice(c));
            }
        });
    }
}

/// `ECCurveType.named_curve` (RFC 8422 section 5.4).
const NAMED_CURVE: u8 = 3;

/// ServerKeyExchange for ECDHE (RFC 8422 section 5.4) with a TLS 1.2 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerKeyExchange<'a> {
    /// The named group.
    pub group: u16,
    /// The server's ephemeral public point.
    pub public: &'a [u8],
    /// The SignatureAndHashAlgorithm.
    pub scheme: u16,
    /// The signature over client_random + server_random + params.
    pub signature: &'a [u8],
}

impl<'a> ServerKeyExchange<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        if r.u8()? != NAMED_CURVE {
            return Err(WireError::BadValue("curve type"));
        }
        let group = r.u16()?;
        let public = r.vec8()?;
        if public.is_empty() {
            return Err(WireError::BadLength);
        }
        let scheme = r.u16()?;
        let signature = r.vec16()?;
        r.finish()?;
        Ok(Self {
            group,
            public,
            scheme,
            signature,
        })
    }

    /// Appends the signed `ServerECDHParams` (curve type, group, point) to `out`.
    pub fn emit_params(group: u16, public: &[u8], out: &mut Vec<u8>) {
        out.push(NAMED_CURVE);
        put_u16(out, group);
        put_vec(out, 1, |o| o.extend_from_slice(public));
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        Self::emit_params(self.group, self.public, out);
        put_u16(out, self.scheme);
        put_vec(out, 2, |o| o.extend_from_slice(self.signature));
    }
}

/// CertificateRequest (RFC 5246 section 7.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest<'a> {
    /// ClientCertificateType values.
    pub certificate_types: &'a [u8],
    /// supported_signature_algorithms.
    pub signature_algorithms: SmallVec<[u16; SUITES_INLINE]>,
    /// certificate_authorities, raw (ignored).
    pub authorities: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec8()?;
        let algs = r.vec16()?;
        if algs.len() % 2 != 0 {
            return Err(WireError::BadLength);
        }
        let authorities = r.vec16()?;
        r.finish()?;
        Ok(Self {
            certificate_types,
            signature_algorithms: algs
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
            authorities,
        })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_vec(out, 1, |o| o.extend_from_slice(self.certificate_types));
        put_u16_list(out, 2, self.signature_algorithms.iter().copied());
        put_vec(out, 2, |o| o.extend_from_slice(self.authorities));
    }
}

/// ClientKeyExchange for ECDHE (RFC 8422 section 5.7): the client's public point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKeyExchange<'a> {
    /// The public point.
    pub public: &'a [u8],
}

impl<'a> ClientKeyExchange<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let public = r.vec8()?;
        r.finish()?;
        if public.is_empty() {
            return Err(WireError::BadLength);
        }
        Ok(Self { public })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_vec(out, 1, |o| o.extend_from_slice(self.public));
    }
}

/// CertificateVerify (RFC 5246 section 7.4.8) and the signature part of other messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateVerify<'a> {
    /// The SignatureAndHashAlgorithm.
    pub scheme: u16,
    /// The signature over all handshake messages so far.
    pub signature: &'a [u8],
}

impl<'a> CertificateVerify<'a> {
    /// Parses the body.
    pub fn parse(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let scheme = r.u16()?;
        let signature = r.vec16()?;
        r.finish()?;
        Ok(Self { scheme, signature })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        put_u16(out, self.scheme);
        put_vec(out, 2, |o| o.extend_from_slice(self.signature));
    }
}

/// Finished (RFC 5246 section 7.4.9): 12 bytes of verify_data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// verify_data.
    pub verify_data: [u8; 12],
}

impl Finished {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let verify_data = r.array()?;
        r.finish()?;
        Ok(Self { verify_data })
    }
}

/// Checks that a ServerHelloDone body is empty.
pub fn parse_server_hello_done(body: &[u8]) -> Result<(), WireError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(WireError::TrailingBytes)
    }
}

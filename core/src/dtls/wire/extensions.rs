//! Hello extensions (RFC 5246 section 7.4.1.4) that DTLS-SRTP uses; others are skipped.
//!
//! - supported_groups (10) and ec_point_formats (11), RFC 8422 section 5.1;
//! - signature_algorithms (13), RFC 5246 section 7.4.1.4.1;
//! - use_srtp (14), RFC 5764 section 4.1.1;
//! - extended_master_secret (23), RFC 7627 section 5.1;
//! - renegotiation_info (0xFF01), RFC 5746 section 3.2.

use smallvec::SmallVec;

use super::{Reader, WireError, put_u16, put_vec};

/// An extension type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionType(pub u16);

impl ExtensionType {
    /// supported_groups (10).
    pub const SUPPORTED_GROUPS: Self = Self(10);
    /// ec_point_formats (11).
    pub const EC_POINT_FORMATS: Self = Self(11);
    /// signature_algorithms (13).
    pub const SIGNATURE_ALGORITHMS: Self = Self(13);
    /// use_srtp (14).
    pub const USE_SRTP: Self = Self(14);
    /// extended_master_secret (23).
    pub const EXTENDED_MASTER_SECRET: Self = Self(23);
    /// renegotiation_info (0xFF01).
    pub const RENEGOTIATION_INFO: Self = Self(0xFF01);
}

/// List capacity kept inline: more groups, schemes or profiles than any real peer offers
/// (Chrome sends about a dozen signature schemes); longer lists spill to the heap.
const LIST_INLINE: usize = 16;

/// What a hello's extensions say, for the extensions this implementation reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions<'a> {
    /// supported_groups, in the sender's order (empty if absent).
    pub supported_groups: SmallVec<[u16; LIST_INLINE]>,
    /// Whether ec_point_formats was present and listed `uncompressed` (0).
    pub ec_point_formats: Option<bool>,
    /// signature_algorithms, in the sender's order (empty if absent).
    pub signature_algorithms: SmallVec<[u16; LIST_INLINE]>,
    /// use_srtp protection profiles, if the extension was present.
    pub srtp_profiles: Option<SmallVec<[u16; LIST_INLINE]>>,
    /// use_srtp MKI (usually empty).
    pub srtp_mki: &'a [u8],
    /// Whether extended_master_secret was present.
    pub extended_master_secret: bool,
    /// renegotiation_info's renegotiated_connection, if present.
    pub renegotiation_info: Option<&'a [u8]>,
}

fn u16_list(body: &[u8], prefix: usize) -> Result<SmallVec<[u16; LIST_INLINE]>, WireError> {
    let mut r = Reader::new(body);
    let list = if prefix == 2 { r.vec16()? } else { r.vec8()? };
    r.finish()?;
    if list.len() % 2 != 0 {
        return Err(WireError::BadLength);
    }
    Ok(list
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

impl<'a> Extensions<'a> {
    /// Parses an extensions block (without its two-byte length). Unknown extensions are
    /// skipped; a known extension given twice is an error (RFC 5246 section 7.4.1.4).
    pub fn parse(block: &'a [u8]) -> Result<Self, WireError> {
        let mut out = Self::default();
        let mut seen: SmallVec<[u16; LIST_INLINE]> = SmallVec::new();
        let mut r = Reader::new(block);
        while !r.is_empty() {
            let ty = r.u16()?;
            let body = r.vec16()?;
            if seen.contains(&ty) {
                return Err(WireError::BadValue("duplicate extension"));
            }
            seen.push(ty);
            match ExtensionType(ty) {
                ExtensionType::SUPPORTED_GROUPS => out.supported_groups = u16_list(body, 2)?,
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    out.signature_algorithms = u16_list(body, 2)?;
                }
                ExtensionType::EC_POINT_FORMATS => {
                    let mut b = Reader::new(body);
                    let formats = b.vec8()?;
                    b.finish()?;
                    out.ec_point_formats = Some(formats.contains(&0));
                }
                ExtensionType::USE_SRTP => {
                    let mut b = Reader::new(body);
                    let profiles = b.vec16()?;
                    let mki = b.vec8()?;
                    b.finish()?;
                    if profiles.len() % 2 != 0 {
                        return Err(WireError::BadLength);
                    }
                    out.srtp_profiles = Some(
                        profiles
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect(),
                    );
                    out.srtp_mki = mki;
                }
                ExtensionType::EXTENDED_MASTER_SECRET => {
                    if !body.is_empty() {
                        return Err(WireError::BadLength);
                    }
                    out.extended_master_secret = true;
                }
                ExtensionType::RENEGOTIATION_INFO => {
                    let mut b = Reader::new(body);
                    let info = b.vec8()?;
                    b.finish()?;
                    out.renegotiation_info = Some(info);
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Appends one extension: type, two-byte length, and what `f` writes.
pub(crate) fn put_extension(out: &mut Vec<u8>, ty: ExtensionType, f: impl FnOnce(&mut Vec<u8>)) {
    put_u16(out, ty.0);
    put_vec(out, 2, f);
}

/// Appends a list of u16 values with a `prefix`-byte length.
pub(crate) fn put_u16_list(out: &mut Vec<u8>, prefix: usize, values: impl Iterator<Item = u16>) {
    put_vec(out, prefix, |out| {
        for v in values {
            put_u16(out, v);
        }
    });
}

//! Typed attribute values: decoding on [`Message`], validation, and the encodings the builder
//! uses (RFC 8489 section 14, RFC 8445 section 16.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use smallvec::SmallVec;

use super::wire::{AttributeType, MAGIC_COOKIE, Message, TransactionId, read_u16, read_u32};

/// Address family byte for IPv4 in (XOR-)MAPPED-ADDRESS (RFC 8489 section 14.1).
const FAMILY_IPV4: u8 = 0x01;
/// Address family byte for IPv6 in (XOR-)MAPPED-ADDRESS (RFC 8489 section 14.1).
const FAMILY_IPV6: u8 = 0x02;

/// The longest USERNAME value, in bytes: RFC 5389 section 15.3 allows fewer than 513 (RFC 8489
/// section 14.3 tightened this to fewer than 509; we accept the older limit).
pub(crate) const MAX_USERNAME_LEN: usize = 512;
/// The longest SOFTWARE, REALM, NONCE or ERROR-CODE reason value, in bytes: fewer than 128
/// characters, up to 763 bytes (RFC 8489 sections 14.8 to 14.10 and 14.14).
pub(crate) const MAX_TEXT_LEN: usize = 763;

/// How many unknown comprehension-required attributes
/// [`Message::unknown_comprehension_required`] reports at most: enough for any sane request,
/// and it keeps the list inline (no allocation on network input).
pub(crate) const MAX_UNKNOWN: usize = 4;

/// The comprehension-required attributes this module understands (RFC 8489 section 14,
/// RFC 8445 section 16.1). Anything else below 0x8000 in a request earns a 420.
const KNOWN_REQUIRED: [AttributeType; 11] = [
    AttributeType::MAPPED_ADDRESS,
    AttributeType::USERNAME,
    AttributeType::MESSAGE_INTEGRITY,
    AttributeType::ERROR_CODE,
    AttributeType::UNKNOWN_ATTRIBUTES,
    AttributeType::REALM,
    AttributeType::NONCE,
    AttributeType::MESSAGE_INTEGRITY_SHA256,
    AttributeType::XOR_MAPPED_ADDRESS,
    AttributeType::PRIORITY,
    AttributeType::USE_CANDIDATE,
];

/// An ERROR-CODE value (RFC 8489 section 14.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The error code, 300 to 699 (for example 420 Unknown Attribute, 487 Role Conflict).
    pub code: u16,
    /// The reason phrase: its longest valid UTF-8 prefix.
    pub reason: &'a str,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// USERNAME, raw bytes (RFC 8489 section 14.3); for ICE, `remote-ufrag:local-ufrag`.
    pub fn username(&self) -> Option<&[u8]> {
        self.attribute(AttributeType::USERNAME)
    }

    /// XOR-MAPPED-ADDRESS, decoded (RFC 8489 section 14.2).
    pub fn xor_mapped_address(&self) -> Option<SocketAddr> {
        self.xor_address(AttributeType::XOR_MAPPED_ADDRESS)
    }

    /// Any attribute in the XOR-MAPPED-ADDRESS format, decoded: TURN's XOR-PEER-ADDRESS and
    /// XOR-RELAYED-ADDRESS (RFC 8656 sections 18.3 and 18.5) share it.
    pub fn xor_address(&self, kind: AttributeType) -> Option<SocketAddr> {
        decode_address(self.attribute(kind)?, Some(&self.transaction_id()))
    }

    /// MAPPED-ADDRESS (RFC 8489 section 14.1), which RFC 3489-era servers send instead of
    /// XOR-MAPPED-ADDRESS.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        decode_address(self.attribute(AttributeType::MAPPED_ADDRESS)?, None)
    }

    /// PRIORITY (RFC 8445 section 16.1).
    pub fn priority(&self) -> Option<u32> {
        let value = self.attribute(AttributeType::PRIORITY)?;
        Some(u32::from_be_bytes(value.try_into().ok()?))
    }

    /// Whether USE-CANDIDATE is present (RFC 8445 section 16.1).
    pub fn use_candidate(&self) -> bool {
        self.find(AttributeType::USE_CANDIDATE).is_some()
    }

    /// ICE-CONTROLLING's tie-breaker (RFC 8445 section 16.1).
    pub fn ice_controlling(&self) -> Option<u64> {
        let value = self.attribute(AttributeType::ICE_CONTROLLING)?;
        Some(u64::from_be_bytes(value.try_into().ok()?))
    }

    /// ICE-CONTROLLED's tie-breaker (RFC 8445 section 16.1).
    pub fn ice_controlled(&self) -> Option<u64> {
        let value = self.attribute(AttributeType::ICE_CONTROLLED)?;
        Some(u64::from_be_bytes(value.try_into().ok()?))
    }

    /// ERROR-CODE (RFC 8489 section 14.8).
    pub fn error_code(&self) -> Option<ErrorCode<'_>> {
        let value = self.attribute(AttributeType::ERROR_CODE)?;
        let class = u16::from(*value.get(2)? & 0x07);
        let number = u16::from(*value.get(3)?);
        let text = value.get(4..)?;
        let reason = match std::str::from_utf8(text) {
            Ok(s) => s,
            // Keep what is valid; the phrase is for humans.
            Err(e) => std::str::from_utf8(text.get(..e.valid_up_to())?).ok()?,
        };
        Some(ErrorCode {
            code: class * 100 + number,
            reason,
        })
    }

    /// UNKNOWN-ATTRIBUTES, the types listed in a 420 response (RFC 8489 section 14.13); empty
    /// when absent.
    pub fn unknown_attributes(&self) -> impl Iterator<Item = AttributeType> + '_ {
        self.attribute(AttributeType::UNKNOWN_ATTRIBUTES)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|c| AttributeType(read_u16(c, 0)))
    }

    /// SOFTWARE, raw bytes (RFC 8489 section 14.14).
    pub fn software(&self) -> Option<&[u8]> {
        self.attribute(AttributeType::SOFTWARE)
    }

    /// REALM, raw bytes (RFC 8489 section 14.9), for long-term credentials and TURN.
    pub fn realm(&self) -> Option<&[u8]> {
        self.attribute(AttributeType::REALM)
    }

    /// NONCE, raw bytes (RFC 8489 section 14.10), for long-term credentials and TURN.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.attribute(AttributeType::NONCE)
    }

    /// The comprehension-required attributes (type below 0x8000) this module does not
    /// understand, without duplicates, at most 4 of them (RFC 8489 section 6.3.1: a request
    /// with any gets a 420 response listing them).
    pub fn unknown_comprehension_required(&self) -> SmallVec<[AttributeType; MAX_UNKNOWN]> {
        let mut unknown = SmallVec::new();
        for attr in self.attributes() {
            let kind = attr.kind;
            if kind.is_comprehension_required()
                && !KNOWN_REQUIRED.contains(&kind)
                && !unknown.contains(&kind)
                && unknown.len() < MAX_UNKNOWN
            {
                unknown.push(kind);
            }
        }
        unknown
    }
}

/// Checks the value of an attribute with a fixed size or structure.
pub(super) fn validate(attr: super::wire::RawAttribute<'_>) -> Result<(), super::WireError> {
    let value = attr.value;
    let ok = match attr.kind {
        AttributeType::MAPPED_ADDRESS | AttributeType::XOR_MAPPED_ADDRESS => {
            matches!(
                (value.get(1), value.len()),
                (Some(&FAMILY_IPV4), 8) | (Some(&FAMILY_IPV6), 20)
            )
        }
        AttributeType::USERNAME => value.len() <= MAX_USERNAME_LEN,
        AttributeType::PRIORITY | AttributeType::FINGERPRINT => value.len() == 4,
        AttributeType::ICE_CONTROLLING | AttributeType::ICE_CONTROLLED => value.len() == 8,
        AttributeType::USE_CANDIDATE => value.is_empty(),
        AttributeType::MESSAGE_INTEGRITY => value.len() == 20,
        // RFC 8489 section 14.6: 16 to 32 bytes, a multiple of 4.
        AttributeType::MESSAGE_INTEGRITY_SHA256 => {
            (16..=32).contains(&value.len()) && value.len().is_multiple_of(4)
        }
        AttributeType::ERROR_CODE => match (value.get(2), value.get(3)) {
            (Some(class), Some(number)) => {
                (3..=6).contains(&(class & 0x07))
                    && *number < 100
                    && value.len() <= 4 + MAX_TEXT_LEN
            }
            _ => false,
        },
        AttributeType::UNKNOWN_ATTRIBUTES => value.len().is_multiple_of(2),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(super::WireError::BadAttribute(attr.kind))
    }
}

/// Decodes a (XOR-)MAPPED-ADDRESS value; `tid` is `Some` for the XOR form (RFC 8489 sections
/// 14.1 and 14.2).
fn decode_address(value: &[u8], tid: Option<&TransactionId>) -> Option<SocketAddr> {
    let family = *value.get(1)?;
    let mut port = read_u16(value, 2);
    if tid.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let addr = match (family, value.len()) {
        (FAMILY_IPV4, 8) => {
            let mut bits = read_u32(value, 4);
            if tid.is_some() {
                bits ^= MAGIC_COOKIE;
            }
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        (FAMILY_IPV6, 20) => {
            let mut bytes: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            if let Some(tid) = tid {
                for (b, k) in bytes.iter_mut().zip(xor_key(tid)) {
                    *b ^= k;
                }
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(addr, port))
}

/// Encodes XOR-MAPPED-ADDRESS into `out`, returning the value length (8 or 20).
pub(crate) fn encode_xor_address(
    addr: SocketAddr,
    tid: &TransactionId,
    out: &mut [u8; 20],
) -> usize {
    out[0] = 0;
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    out[2..4].copy_from_slice(&port.to_be_bytes());
    match addr {
        SocketAddr::V4(a) => {
            out[1] = FAMILY_IPV4;
            let bits = u32::from(*a.ip()) ^ MAGIC_COOKIE;
            out[4..8].copy_from_slice(&bits.to_be_bytes());
            8
        }
        SocketAddr::V6(a) => {
            out[1] = FAMILY_IPV6;
            let key = xor_key(tid);
            for ((o, b), k) in out[4..20].iter_mut().zip(a.ip().octets()).zip(key) {
                *o = b ^ k;
            }
            20
        }
    }
}

/// The IPv6 XOR key: the magic cookie followed by the transaction ID (RFC 8489 section 14.2).
fn xor_key(tid: &TransactionId) -> [u8; 16] {
    let mut key = [0; 16];
    key[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    key[4..].copy_from_slice(tid.as_bytes());
    key
}

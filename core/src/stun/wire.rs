//! The STUN message header and attribute list (RFC 8489 sections 5 and 14): a zero-copy view.
//!
//! [`Message::new_checked`] validates the header and every attribute's TLV framing once; after
//! that no accessor can panic. Typed attribute accessors live in `attributes.rs`, integrity
//! checks in `integrity.rs`, the writer in `builder.rs`.

use std::fmt;

use rand_core::CryptoRng;

/// The byte layout of the 20-byte STUN header (RFC 8489 section 5).
pub(super) mod field {
    use std::ops::Range;

    /// Message type: two zero bits, then the interleaved method and class bits.
    pub(crate) const TYPE: Range<usize> = 0..2;
    /// Message length: the body's length in bytes, excluding this header.
    pub(crate) const LENGTH: Range<usize> = 2..4;
    /// The magic cookie, 0x2112A442.
    pub(crate) const COOKIE: Range<usize> = 4..8;
    /// The 96-bit transaction ID.
    pub(crate) const TRANSACTION_ID: Range<usize> = 8..20;
    /// Where the attributes start.
    pub(crate) const ATTRIBUTES: usize = 20;

    /// Within an attribute: its type.
    pub(crate) const ATTR_TYPE: Range<usize> = 0..2;
    /// Within an attribute: its value's length, before padding.
    pub(crate) const ATTR_LENGTH: Range<usize> = 2..4;
    /// Within an attribute: where its value starts.
    pub(crate) const ATTR_VALUE: usize = 4;
}

/// The length of the STUN header (RFC 8489 section 5).
pub(crate) const HEADER_LEN: usize = field::ATTRIBUTES;

/// The magic cookie (RFC 8489 section 5).
pub(crate) const MAGIC_COOKIE: u32 = 0x2112_A442;

/// The largest method a message type can carry: 12 bits (RFC 8489 section 5).
const MAX_METHOD: u16 = 0x0FFF;

/// The 96-bit transaction ID that pairs a response with its request (RFC 8489 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionId([u8; 12]);

impl TransactionId {
    /// A transaction ID with the given bytes.
    pub const fn new(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    /// A fresh random transaction ID, as RFC 8489 section 6 requires for every new request.
    pub fn random(rng: &mut dyn CryptoRng) -> Self {
        let mut bytes = [0; 12];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The ID's 12 bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

/// The class of a STUN message (RFC 8489 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A request, which expects a success or error response.
    Request,
    /// An indication, which expects no response.
    Indication,
    /// A success response.
    Success,
    /// An error response.
    Error,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Self::Request => 0b00,
            Self::Indication => 0b01,
            Self::Success => 0b10,
            Self::Error => 0b11,
        }
    }

    fn from_bits(bits: u16) -> Self {
        match bits & 0b11 {
            0b00 => Self::Request,
            0b01 => Self::Indication,
            0b10 => Self::Success,
            _ => Self::Error,
        }
    }
}

/// A STUN method: 12 bits (RFC 8489 section 18.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489 section 18.2).
    pub const BINDING: Self = Self(0x001);
}

/// A STUN attribute type (RFC 8489 section 18.3).
///
/// Types below 0x8000 are comprehension-required: a request carrying one the receiver does not
/// understand is rejected with a 420 (Unknown Attribute) error. Types from 0x8000 up are
/// comprehension-optional and may be ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttributeType(pub u16);

impl AttributeType {
    /// MAPPED-ADDRESS (RFC 8489 section 14.1), sent by RFC 3489-era servers.
    pub const MAPPED_ADDRESS: Self = Self(0x0001);
    /// USERNAME (RFC 8489 section 14.3).
    pub const USERNAME: Self = Self(0x0006);
    /// MESSAGE-INTEGRITY: HMAC-SHA1 (RFC 8489 section 14.5).
    pub const MESSAGE_INTEGRITY: Self = Self(0x0008);
    /// ERROR-CODE (RFC 8489 section 14.8).
    pub const ERROR_CODE: Self = Self(0x0009);
    /// UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13).
    pub const UNKNOWN_ATTRIBUTES: Self = Self(0x000A);
    /// REALM (RFC 8489 section 14.9).
    pub const REALM: Self = Self(0x0014);
    /// NONCE (RFC 8489 section 14.10).
    pub const NONCE: Self = Self(0x0015);
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256 (RFC 8489 section 14.6).
    pub const MESSAGE_INTEGRITY_SHA256: Self = Self(0x001C);
    /// PASSWORD-ALGORITHM (RFC 8489 section 14.12).
    pub const PASSWORD_ALGORITHM: Self = Self(0x001D);
    /// USERHASH (RFC 8489 section 14.4).
    pub const USERHASH: Self = Self(0x001E);
    /// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2).
    pub const XOR_MAPPED_ADDRESS: Self = Self(0x0020);
    /// PRIORITY (RFC 8445 section 16.1).
    pub const PRIORITY: Self = Self(0x0024);
    /// USE-CANDIDATE (RFC 8445 section 16.1).
    pub const USE_CANDIDATE: Self = Self(0x0025);
    /// PASSWORD-ALGORITHMS (RFC 8489 section 14.11).
    pub const PASSWORD_ALGORITHMS: Self = Self(0x8002);
    /// ALTERNATE-DOMAIN (RFC 8489 section 14.16).
    pub const ALTERNATE_DOMAIN: Self = Self(0x8003);
    /// SOFTWARE (RFC 8489 section 14.14).
    pub const SOFTWARE: Self = Self(0x8022);
    /// ALTERNATE-SERVER (RFC 8489 section 14.15).
    pub const ALTERNATE_SERVER: Self = Self(0x8023);
    /// FINGERPRINT (RFC 8489 section 14.7).
    pub const FINGERPRINT: Self = Self(0x8028);
    /// ICE-CONTROLLED (RFC 8445 section 16.1).
    pub const ICE_CONTROLLED: Self = Self(0x8029);
    /// ICE-CONTROLLING (RFC 8445 section 16.1).
    pub const ICE_CONTROLLING: Self = Self(0x802A);

    /// Whether a receiver must understand this attribute (type below 0x8000, RFC 8489
    /// section 14).
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttributeType({:#06x})", self.0)
    }
}

/// Why bytes are not a well-formed STUN message, or why one could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer bytes than the header or an attribute needs.
    #[error("stun message truncated")]
    Truncated,
    /// The header's length field disagrees with the datagram or is not a multiple of 4.
    #[error("bad stun message length")]
    BadLength,
    /// The magic cookie is not 0x2112A442.
    #[error("bad stun magic cookie")]
    BadMagicCookie,
    /// The first two bits are not zero: this is not STUN.
    #[error("not a stun message")]
    NotStun,
    /// An attribute's value has the wrong size or content for its type.
    #[error("bad stun attribute {0:?}")]
    BadAttribute(AttributeType),
    /// FINGERPRINT is absent, not last, or does not match.
    #[error("bad stun fingerprint")]
    BadFingerprint,
    /// No MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 attribute.
    #[error("stun message-integrity missing")]
    MissingIntegrity,
    /// The MESSAGE-INTEGRITY(-SHA256) value does not match the key.
    #[error("stun message-integrity mismatch")]
    BadIntegrity,
    /// The output buffer cannot hold the message.
    #[error("buffer too small for stun message")]
    BufferTooSmall,
    /// The method does not fit in 12 bits.
    #[error("stun method out of range")]
    BadMethod,
    /// An attribute was added after MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT where RFC 8489
    /// section 14.5 forbids it.
    #[error("stun attribute after message-integrity or fingerprint")]
    BadOrder,
}

/// Whether `datagram` looks like a STUN message, cheaply: the first two bits are zero, the magic
/// cookie is present and the length field matches the datagram (RFC 8489 section 5, RFC 7983).
///
/// This does not walk the attributes; use [`Message::new_checked`] for that.
pub fn is_stun(datagram: &[u8]) -> bool {
    header_check(datagram).is_ok()
}

/// Checks the fixed header; returns the body length.
fn header_check(data: &[u8]) -> Result<usize, WireError> {
    let Some(header) = data.get(..HEADER_LEN) else {
        return Err(WireError::Truncated);
    };
    let kind = read_u16(header, field::TYPE.start);
    if kind & 0xC000 != 0 {
        return Err(WireError::NotStun);
    }
    if read_u32(header, field::COOKIE.start) != MAGIC_COOKIE {
        return Err(WireError::BadMagicCookie);
    }
    let len = usize::from(read_u16(header, field::LENGTH.start));
    if !len.is_multiple_of(4) {
        return Err(WireError::BadLength);
    }
    match (HEADER_LEN + len).cmp(&data.len()) {
        std::cmp::Ordering::Equal => Ok(len),
        std::cmp::Ordering::Greater => Err(WireError::Truncated),
        std::cmp::Ordering::Less => Err(WireError::BadLength),
    }
}

/// A read-only view of a STUN message in a buffer.
///
/// Build one with [`Message::new_checked`]. The buffer must hold exactly one message: the
/// header's length field must account for every byte after the header.
///
/// Accessors follow RFC 8489 section 14.5: attributes after MESSAGE-INTEGRITY are ignored except
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, attributes after MESSAGE-INTEGRITY-SHA256 are
/// ignored except FINGERPRINT, and nothing after FINGERPRINT counts. When an attribute appears
/// twice, the first occurrence wins.
#[derive(Debug, Clone, Copy)]
pub struct Message<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Validates the header and the framing of every attribute, then wraps `buffer`.
    ///
    /// Known attributes with a fixed size or structure (addresses, PRIORITY, ICE-CONTROLLING,
    /// ICE-CONTROLLED, USE-CANDIDATE, ERROR-CODE, MESSAGE-INTEGRITY(-SHA256), FINGERPRINT,
    /// UNKNOWN-ATTRIBUTES) are checked too, so their accessors never see a malformed value.
    /// Integrity and fingerprint are not verified here: call [`Message::check_integrity`] and
    /// [`Message::check_fingerprint`].
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let data = buffer.as_ref();
        header_check(data)?;
        let mut rest = data.get(HEADER_LEN..).unwrap_or_default();
        while !rest.is_empty() {
            let (attr, next) = split_attribute(rest)?;
            super::attributes::validate(attr)?;
            rest = next;
        }
        Ok(Self { buffer })
    }

    /// The message's class.
    pub fn class(&self) -> Class {
        let kind = self.kind();
        Class::from_bits(((kind >> 7) & 0b10) | ((kind >> 4) & 0b01))
    }

    /// The message's method.
    pub fn method(&self) -> Method {
        let kind = self.kind();
        Method((kind & 0x000F) | ((kind & 0x00E0) >> 1) | ((kind & 0x3E00) >> 2))
    }

    /// The message's transaction ID.
    pub fn transaction_id(&self) -> TransactionId {
        let mut id = [0; 12];
        if let Some(bytes) = self.bytes().get(field::TRANSACTION_ID) {
            id.copy_from_slice(bytes);
        }
        TransactionId(id)
    }

    /// The attributes that count, in order, under the rules in the type's documentation.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes {
            rest: self.bytes().get(HEADER_LEN..).unwrap_or_default(),
            offset: HEADER_LEN,
            stage: Stage::Open,
        }
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The value of the first counted attribute of type `kind`.
    pub fn attribute(&self, kind: AttributeType) -> Option<&[u8]> {
        self.find(kind).map(|a| a.value)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub(crate) fn find(&self, kind: AttributeType) -> Option<RawAttribute<'_>> {
        self.attributes().find(|a| a.kind == kind)
    }

    fn kind(&self) -> u16 {
        read_u16(self.bytes(), field::TYPE.start)
    }
}

/// One attribute: its type and its value, without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The attribute's type.
    pub kind: AttributeType,
    /// The attribute's value, without the padding that follows it on the wire.
    pub value: &'a [u8],
    /// Offset of the attribute's header from the start of the message.
    pub(crate) offset: usize,
}

/// Where an attribute walk is, relative to the integrity and fingerprint attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    AfterIntegrity,
    AfterIntegritySha256,
    Done,
}

/// Iterator over the attributes of a [`Message`] that count (see [`Message`]).
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
    offset: usize,
    stage: Stage,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.stage == Stage::Done || self.rest.is_empty() {
                return None;
            }
            // The framing was validated by `new_checked`; a failure here ends the walk.
            let Ok((mut attr, rest)) = split_attribute(self.rest) else {
                self.stage = Stage::Done;
                return None;
            };
            attr.offset = self.offset;
            self.offset += self.rest.len() - rest.len();
            self.rest = rest;
            let kind = attr.kind;
            let counts = match self.stage {
                Stage::Open => true,
                Stage::AfterIntegrity => {
                    kind == AttributeType::MESSAGE_INTEGRITY_SHA256
                        || kind == AttributeType::FINGERPRINT
                }
                Stage::AfterIntegritySha256 => kind == AttributeType::FINGERPRINT,
                Stage::Done => false,
            };
            if !counts {
                continue;
            }
            if kind == AttributeType::MESSAGE_INTEGRITY {
                self.stage = Stage::AfterIntegrity;
            } else if kind == AttributeType::MESSAGE_INTEGRITY_SHA256 {
                self.stage = Stage::AfterIntegritySha256;
            } else if kind == AttributeType::FINGERPRINT {
                self.stage = Stage::Done;
            }
            return Some(attr);
        }
    }
}

/// Splits the first attribute off `data`, checking that it and its padding fit.
fn split_attribute(data: &[u8]) -> Result<(RawAttribute<'_>, &[u8]), WireError> {
    let Some(header) = data.get(..field::ATTR_VALUE) else {
        return Err(WireError::Truncated);
    };
    let kind = AttributeType(read_u16(header, field::ATTR_TYPE.start));
    let len = usize::from(read_u16(header, field::ATTR_LENGTH.start));
    let padded = padded_len(len);
    let value = data
        .get(field::ATTR_VALUE..field::ATTR_VALUE + len)
        .ok_or(WireError::Truncated)?;
    let rest = data
        .get(field::ATTR_VALUE + padded..)
        .ok_or(WireError::Truncated)?;
    Ok((
        RawAttribute {
            kind,
            value,
            offset: 0,
        },
        rest,
    ))
}

/// `len` rounded up to a multiple of 4 (RFC 8489 section 14).
pub(crate) fn padded_len(len: usize) -> usize {
    (len + 3) & !3
}

/// Encodes a class and method into the 14-bit message type (RFC 8489 section 5).
pub(crate) fn message_type(class: Class, method: Method) -> Result<u16, WireError> {
    let m = method.0;
    if m > MAX_METHOD {
        return Err(WireError::BadMethod);
    }
    let c = class.bits();
    Ok((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7))
}

/// Reads a big-endian u16 at `at`, or 0 if out of range (callers check lengths first).
pub(crate) fn read_u16(data: &[u8], at: usize) -> u16 {
    match data.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Reads a big-endian u32 at `at`, or 0 if out of range (callers check lengths first).
pub(crate) fn read_u32(data: &[u8], at: usize) -> u32 {
    match data.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

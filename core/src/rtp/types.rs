//! Newtypes for the numbers RTP and RTCP carry (RFC 3550 section 5.1).

use std::fmt;

/// A synchronization source identifier (RFC 3550 section 5.1): names one RTP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ssrc(pub u32);

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl From<u32> for Ssrc {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

/// An RTP payload type, 7 bits (RFC 3550 section 5.1; static values in RFC 3551, dynamic
/// ones 96 to 127 negotiated in SDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pt(pub u8);

impl Pt {
    /// The largest payload type: the field has 7 bits.
    pub const MAX: Self = Self(0x7F);
}

impl fmt::Display for Pt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A 16-bit RTP sequence number, which wraps (RFC 3550 section 5.1).
///
/// Comparisons that must survive the wrap use [`SeqNo::is_newer_than`] and
/// [`SeqNo::distance_to`], never `<`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNo(pub u16);

impl SeqNo {
    /// The next sequence number, wrapping after 65535.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }

    /// Signed distance from `self` to `other` in the circular space: positive when `other`
    /// comes after `self` by less than half the space.
    pub const fn distance_to(self, other: Self) -> i16 {
        other.0.wrapping_sub(self.0) as i16
    }

    /// Whether `self` comes after `other` (by less than half the sequence space).
    pub const fn is_newer_than(self, other: Self) -> bool {
        other.distance_to(self) > 0
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u16> for SeqNo {
    fn from(value: u16) -> Self {
        Self(value)
    }
}

/// A 32-bit RTP timestamp in the payload format's clock rate (RFC 3550 section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RtpTimestamp(pub u32);

impl fmt::Display for RtpTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_no_wraps() {
        assert_eq!(SeqNo(65535).next(), SeqNo(0));
        assert!(SeqNo(0).is_newer_than(SeqNo(65535)));
        assert!(!SeqNo(65535).is_newer_than(SeqNo(0)));
        assert_eq!(SeqNo(65530).distance_to(SeqNo(4)), 10);
        assert_eq!(SeqNo(4).distance_to(SeqNo(65530)), -10);
    }
}

//! Alerts (RFC 5246 section 7.2).

use super::{Reader, WireError};

/// Alert level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// warning (1).
    Warning,
    /// fatal (2).
    Fatal,
}

/// An alert description code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// close_notify (0).
    pub const CLOSE_NOTIFY: Self = Self(0);
    /// unexpected_message (10).
    pub const UNEXPECTED_MESSAGE: Self = Self(10);
    /// bad_record_mac (20).
    pub const BAD_RECORD_MAC: Self = Self(20);
    /// handshake_failure (40).
    pub const HANDSHAKE_FAILURE: Self = Self(40);
    /// bad_certificate (42).
    pub const BAD_CERTIFICATE: Self = Self(42);
    /// illegal_parameter (47).
    pub const ILLEGAL_PARAMETER: Self = Self(47);
    /// decode_error (50).
    pub const DECODE_ERROR: Self = Self(50);
    /// decrypt_error (51).
    pub const DECRYPT_ERROR: Self = Self(51);
    /// internal_error (80).
    pub const INTERNAL_ERROR: Self = Self(80);
    /// no_renegotiation (100).
    pub const NO_RENEGOTIATION: Self = Self(100);
}

/// An alert message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alert {
    /// The level.
    pub level: AlertLevel,
    /// The description.
    pub description: AlertDescription,
}

impl Alert {
    /// Encoded length.
    pub const LEN: usize = 2;

    /// Parses a two-byte alert.
    pub fn parse(buf: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(buf);
        let level = match r.u8()? {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Fatal,
            _ => return Err(WireError::BadValue("alert level")),
        };
        let description = AlertDescription(r.u8()?);
        r.finish()?;
        Ok(Self { level, description })
    }

    /// The two wire bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        let level = match self.level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        };
        [level, self.description.0]
    }
}

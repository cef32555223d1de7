//! Errors: a description that does not parse, an offer that cannot be answered, a
//! configuration that cannot make an offer.

/// A session description could not be parsed: which line and why.
///
/// `line` counts from 1; 0 means the input as a whole (for example a missing `t=` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sdp line {line}: {kind}")]
pub struct SdpError {
    /// The 1-based line number, or 0 for the whole input.
    pub line: usize,
    /// What is wrong.
    pub kind: &'static str,
}

/// An offer that cannot be answered (RFC 8829 section 5.3): the offerer's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// An m-section has no `a=mid` (JSEP requires one in every section, RFC 8829 5.2.1).
    #[error("m-section {0} has no mid")]
    MissingMid(usize),
    /// Two m-sections have the same mid.
    #[error("duplicate mid {0}")]
    DuplicateMid(String),
    /// An accepted m-section has no ICE ufrag or password, neither its own nor the session's.
    #[error("m-section {0} has no ice-ufrag or ice-pwd")]
    MissingIceCredentials(usize),
    /// An accepted m-section has no certificate fingerprint.
    #[error("m-section {0} has no fingerprint")]
    MissingFingerprint(usize),
    /// An accepted m-section offers `a=setup:holdconn` or no usable DTLS role.
    #[error("m-section {0} has an unusable setup attribute")]
    BadSetup(usize),
    /// More than one m-section would be accepted but the offer has no BUNDLE group: this
    /// implementation runs one transport for everything (max-bundle, RFC 8843).
    #[error("the offer does not bundle its m-sections")]
    NotBundled,
}

/// A configuration that cannot make an offer: the caller's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// Two media requests have the same mid.
    #[error("duplicate mid {0}")]
    DuplicateMid(String),
    /// An existing m-section would change kind in a renegotiation.
    #[error("mid {0} changes media kind")]
    KindChanged(String),
    /// The configuration offers no codec for an audio or video section.
    #[error("no codecs configured for mid {0}")]
    NoCodecs(String),
}

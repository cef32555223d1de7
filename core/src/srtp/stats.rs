//! Counters kept by a [`Context`](super::Context): every rejected packet is counted here.

use super::error::UnprotectError;

/// Statistics of one SRTP [`Context`](super::Context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SrtpStats {
    /// RTP packets protected.
    pub rtp_protected: u64,
    /// RTCP packets protected.
    pub rtcp_protected: u64,
    /// SRTP packets unprotected (authenticated, fresh and decrypted).
    pub rtp_unprotected: u64,
    /// SRTCP packets unprotected.
    pub rtcp_unprotected: u64,
    /// Received packets rejected as malformed.
    pub rejected_malformed: u64,
    /// Received packets whose tag did not verify.
    pub rejected_auth: u64,
    /// Received packets rejected as replays.
    pub rejected_replay: u64,
    /// Received packets rejected as older than the replay window.
    pub rejected_too_old: u64,
    /// Received packets from a new SSRC rejected because the context is full.
    pub rejected_ssrc_limit: u64,
}

impl SrtpStats {
    /// Every rejection of a received packet, whatever the reason.
    pub const fn rejected(&self) -> u64 {
        self.rejected_malformed
            + self.rejected_auth
            + self.rejected_replay
            + self.rejected_too_old
            + self.rejected_ssrc_limit
    }

    pub(crate) fn count(&mut self, error: UnprotectError) {
        let counter = match error {
            UnprotectError::Malformed => &mut self.rejected_malformed,
            UnprotectError::AuthFailed => &mut self.rejected_auth,
            UnprotectError::Replayed => &mut self.rejected_replay,
            UnprotectError::TooOld => &mut self.rejected_too_old,
            UnprotectError::TooManySsrcs => &mut self.rejected_ssrc_limit,
        };
        *counter += 1;
    }
}

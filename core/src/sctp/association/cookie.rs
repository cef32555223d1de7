//! The signed state cookie (RFC 9260 section 5.1.3): everything the association needs from
//! the peer's INIT, so that no state is kept before a valid COOKIE ECHO arrives.

use std::time::{Duration, Instant};

use ring::hmac;

use crate::sctp::wire::{Tsn, VerificationTag};

/// The MAC length: a full HMAC-SHA256.
const MAC_LEN: usize = 32;
/// The signed fields' length (see [`Cookie::encode`]).
const BODY_LEN: usize = 36;
/// The cookie's length on the wire.
pub(super) const COOKIE_LEN: usize = BODY_LEN + MAC_LEN;

/// The TCB fields a cookie carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cookie {
    /// When the cookie was made, in milliseconds since the association's epoch.
    pub(super) created_ms: u64,
    pub(super) local_tag: VerificationTag,
    pub(super) peer_tag: VerificationTag,
    pub(super) local_initial_tsn: Tsn,
    pub(super) peer_initial_tsn: Tsn,
    pub(super) peer_a_rwnd: u32,
    pub(super) peer_outbound_streams: u16,
    pub(super) peer_inbound_streams: u16,
    pub(super) peer_forward_tsn: bool,
    pub(super) peer_reconfig: bool,
    pub(super) peer_zero_checksum: bool,
}

/// Why a cookie was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CookieError {
    /// Wrong length or MAC: not ours, or altered.
    Invalid,
    /// Older than Valid.Cookie.Life (RFC 9260 section 5.1.5, step 3).
    Stale,
}

impl Cookie {
    /// Writes the signed cookie.
    pub(super) fn encode(&self, key: &hmac::Key) -> [u8; COOKIE_LEN] {
        let mut out = [0; COOKIE_LEN];
        out[0..8].copy_from_slice(&self.created_ms.to_be_bytes());
        out[8..12].copy_from_slice(&self.local_tag.0.to_be_bytes());
        out[12..16].copy_from_slice(&self.peer_tag.0.to_be_bytes());
        out[16..20].copy_from_slice(&self.local_initial_tsn.0.to_be_bytes());
        out[20..24].copy_from_slice(&self.peer_initial_tsn.0.to_be_bytes());
        out[24..28].copy_from_slice(&self.peer_a_rwnd.to_be_bytes());
        out[28..30].copy_from_slice(&self.peer_outbound_streams.to_be_bytes());
        out[30..32].copy_from_slice(&self.peer_inbound_streams.to_be_bytes());
        out[32] = u8::from(self.peer_forward_tsn)
            | u8::from(self.peer_reconfig) << 1
            | u8::from(self.peer_zero_checksum) << 2;
        let tag = hmac::sign(key, &out[..BODY_LEN]);
        out[BODY_LEN..].copy_from_slice(tag.as_ref());
        out
    }

    /// Checks the MAC and the age, then reads the fields.
    pub(super) fn decode(
        bytes: &[u8],
        key: &hmac::Key,
        epoch: Instant,
        now: Instant,
        lifetime: Duration,
    ) -> Result<Self, CookieError> {
        if bytes.len() != COOKIE_LEN {
            return Err(CookieError::Invalid);
        }
        hmac::verify(key, &bytes[..BODY_LEN], &bytes[BODY_LEN..])
            .map_err(|_| CookieError::Invalid)?;
        let u32_at = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let u16_at = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let mut ms = [0; 8];
        ms.copy_from_slice(&bytes[0..8]);
        let created_ms = u64::from_be_bytes(ms);
        let age = millis_since(epoch, now).saturating_sub(created_ms);
        if u128::from(age) > lifetime.as_millis() {
            return Err(CookieError::Stale);
        }
        let flags = bytes[32];
        Ok(Self {
            created_ms,
            local_tag: VerificationTag(u32_at(8)),
            peer_tag: VerificationTag(u32_at(12)),
            local_initial_tsn: Tsn(u32_at(16)),
            peer_initial_tsn: Tsn(u32_at(20)),
            peer_a_rwnd: u32_at(24),
            peer_outbound_streams: u16_at(28),
            peer_inbound_streams: u16_at(30),
            peer_forward_tsn: flags & 1 != 0,
            peer_reconfig: flags & 2 != 0,
            peer_zero_checksum: flags & 4 != 0,
        })
    }
}

/// Milliseconds from `epoch` to `now` (zero if `now` is earlier).
pub(super) fn millis_since(epoch: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(epoch).as_millis()).unwrap_or(u64::MAX)
}

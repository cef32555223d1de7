//! The SRTP/SRTCP crypto context of one direction (RFC 3711 section 3.2): session keys, and
//! per SSRC the rollover counter, the replay windows and the SRTCP index.

use super::aes_cm::{self, AesCm};
use super::error::{ProtectError, UnprotectError};
use super::gcm::{self, Gcm};
use super::kdf::{self, Label};
use super::keys::MasterKey;
use super::profile::Profile;
use super::replay::{
    IndexWindow, MAX_RTCP_INDEX, MAX_RTP_INDEX, ReplayVerdict, estimate_rtp_index,
};
use super::stats::SrtpStats;
use crate::rtp::Ssrc;

/// How many SSRCs a context tracks unless told otherwise: a BUNDLEd session with a few
/// audio and video tracks, simulcast layers and their RTX streams stays well below.
pub const DEFAULT_MAX_SSRCS: usize = 64;

/// The fixed RTP header (RFC 3550 section 5.1).
const RTP_HEADER_LEN: usize = 12;
/// The part of an RTCP packet SRTCP leaves in clear: the common header and sender SSRC.
const RTCP_HEADER_LEN: usize = 8;
/// The SRTCP E flag, the top bit of the word holding the index (RFC 3711 section 3.4).
const E_FLAG: u32 = 0x8000_0000;

/// One direction's SRTP and SRTCP crypto context (RFC 3711 section 3.2).
///
/// Create one context with the local [`MasterKey`] to protect what you send and another
/// with the remote one to unprotect what you receive. Both work in the caller's buffer:
///
/// - [`protect_rtp`](Self::protect_rtp) / [`protect_rtcp`](Self::protect_rtcp) take a buffer
///   holding the packet in its first `len` bytes with room after it for
///   [`Profile::rtp_overhead`] / [`Profile::rtcp_overhead`], encrypt in place, append the
///   tag (and SRTCP index) and return the new length;
/// - [`unprotect_rtp`](Self::unprotect_rtp) / [`unprotect_rtcp`](Self::unprotect_rtcp)
///   take exactly the received packet, check it fully (length, replay window, tag) before
///   any state changes, decrypt in place and return the plain packet's length.
///
/// Per-SSRC state (rollover counter, replay windows, SRTCP index) lives in a map sized at
/// construction ([`DEFAULT_MAX_SSRCS`] or [`with_max_ssrcs`](Self::with_max_ssrcs)); a
/// new SSRC past that is refused. Nothing is allocated per packet.
pub struct Context {
    profile: Profile,
    session: Session,
    streams: Vec<Stream>,
    max_ssrcs: usize,
    stats: SrtpStats,
}

/// The session keys of both halves of a context (RTP and RTCP have their own).
enum Session {
    AesCm { rtp: AesCm, rtcp: AesCm },
    Gcm { rtp: Gcm, rtcp: Gcm },
}

/// Per-SSRC state.
#[derive(Debug, Clone, Copy)]
struct Stream {
    ssrc: u32,
    /// The highest SRTP index protected or unprotected, and the replay window below it.
    rtp: Option<IndexWindow>,
    /// The highest SRTCP index unprotected, and the replay window below it.
    rtcp: Option<IndexWindow>,
    /// The next SRTCP index to send.
    rtcp_next: u64,
}

impl Stream {
    const fn new(ssrc: u32) -> Self {
        Self {
            ssrc,
            rtp: None,
            rtcp: None,
            rtcp_next: 0,
        }
    }
}

impl Context {
    /// A context for `key`, tracking at most [`DEFAULT_MAX_SSRCS`] SSRCs.
    pub fn new(key: &MasterKey) -> Self {
        Self::with_max_ssrcs(key, DEFAULT_MAX_SSRCS)
    }

    /// A context for `key`, tracking at most `max_ssrcs` SSRCs (the map is allocated
    /// here, once).
    pub fn with_max_ssrcs(key: &MasterKey, max_ssrcs: usize) -> Self {
        let profile = key.profile();
        let session = if profile.is_aead() {
            Session::Gcm {
                rtp: gcm_session(key, Label::RtpEncryption, Label::RtpSalt),
                rtcp: gcm_session(key, Label::RtcpEncryption, Label::RtcpSalt),
            }
        } else {
            Session::AesCm {
                rtp: aes_cm_session(
                    key,
                    Label::RtpEncryption,
                    Label::RtpAuthentication,
                    Label::RtpSalt,
                ),
                rtcp: aes_cm_session(
                    key,
                    Label::RtcpEncryption,
                    Label::RtcpAuthentication,
                    Label::RtcpSalt,
                ),
            }
        };
        Self::from_session(profile, session, max_ssrcs)
    }

    fn from_session(profile: Profile, session: Session, max_ssrcs: usize) -> Self {
        Self {
            profile,
            session,
            // Grows to the SSRCs seen (bounded by `max_ssrcs`); none for a data-only peer.
            streams: Vec::new(),
            max_ssrcs,
            stats: SrtpStats::default(),
        }
    }

    /// A context from session keys directly, bypassing the KDF: RFC 7714's vectors are given
    /// that way.
    #[cfg(test)]
    pub(crate) fn from_gcm_session_keys(
        profile: Profile,
        key: &[u8],
        salt: &[u8; gcm::SALT_LEN],
    ) -> Self {
        let session = Session::Gcm {
            rtp: Gcm::new(key, salt).expect("a test passes a 16 or 32 byte key"),
            rtcp: Gcm::new(key, salt).expect("a test passes a 16 or 32 byte key"),
        };
        Self::from_session(profile, session, DEFAULT_MAX_SSRCS)
    }

    /// The profile this context protects with.
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// Counters of protected and rejected packets.
    pub const fn stats(&self) -> &SrtpStats {
        &self.stats
    }

    /// The rollover counter of `ssrc`'s SRTP stream (RFC 3711 section 3.3.1), if a packet
    /// of that stream was protected or unprotected.
    pub fn roc(&self, ssrc: Ssrc) -> Option<u32> {
        let stream = self.streams.iter().find(|s| s.ssrc == ssrc.0)?;
        stream.rtp.map(|w| (w.highest() >> 16) as u32)
    }

    /// Protects the RTP packet in `buf[..len]` in place (RFC 3711 section 3.3, RFC 7714
    /// section 8) and returns the SRTP packet's length, `len + profile.rtp_overhead()`.
    ///
    /// The packet's index is the sequence number extended by this context's rollover
    /// counter for its SSRC, which follows the sequence numbers as they wrap (a resent old
    /// packet gets its old index back).
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, ProtectError> {
        let packet = buf.get(..len).ok_or(ProtectError::Malformed)?;
        let header_len = rtp_header_len(packet).ok_or(ProtectError::Malformed)?;
        let (ssrc, seq) = rtp_ssrc_seq(packet).ok_or(ProtectError::Malformed)?;
        let tag_len = self.profile.rtp_tag_len();
        if buf.len() < len + tag_len {
            return Err(ProtectError::BufferTooSmall);
        }
        let slot = match self.find(ssrc) {
            Some(slot) => slot,
            None => self.insert(ssrc).ok_or(ProtectError::TooManySsrcs)?,
        };
        let window = self.streams.get(slot).and_then(|s| s.rtp);
        let index = estimate_rtp_index(window.as_ref(), seq);
        if index > MAX_RTP_INDEX {
            return Err(ProtectError::IndexExhausted);
        }
        match &self.session {
            Session::AesCm { rtp, .. } => {
                rtp.apply_keystream(ssrc, index, &mut buf[header_len..len]);
                let roc = ((index >> 16) as u32).to_be_bytes();
                let tag = rtp.tag(&[&buf[..len], &roc]);
                buf[len..len + tag_len].copy_from_slice(&tag[..tag_len]);
            }
            Session::Gcm { rtp, .. } => {
                let nonce = rtp.rtp_nonce(ssrc, index);
                let (aad, rest) = buf.split_at_mut(header_len);
                let (data, after) = rest.split_at_mut(len - header_len);
                let tag = rtp
                    .seal(nonce, aad, data)
                    .ok_or(ProtectError::BufferTooSmall)?;
                after[..gcm::TAG_LEN].copy_from_slice(&tag);
            }
        }
        if let Some(stream) = self.streams.get_mut(slot) {
            match &mut stream.rtp {
                Some(w) => w.record(index),
                None => stream.rtp = Some(IndexWindow::new(index)),
            }
        }
        self.stats.rtp_protected += 1;
        Ok(len + tag_len)
    }

    /// Unprotects the SRTP packet that is all of `buf`, in place, and returns the RTP
    /// packet's length (RFC 3711 section 3.3, RFC 7714 section 8).
    ///
    /// The packet is checked fully before anything changes: length, replay window, tag.
    /// A rejected packet is counted in [`stats`](Self::stats) and leaves `buf` unspecified.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let result = self.unprotect_rtp_inner(buf);
        match result {
            Ok(_) => self.stats.rtp_unprotected += 1,
            Err(e) => self.stats.count(e),
        }
        result
    }

    fn unprotect_rtp_inner(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let tag_len = self.profile.rtp_tag_len();
        let len = buf
            .len()
            .checked_sub(tag_len)
            .ok_or(UnprotectError::Malformed)?;
        let packet = buf.get(..len).ok_or(UnprotectError::Malformed)?;
        let header_len = rtp_header_len(packet).ok_or(UnprotectError::Malformed)?;
        let (ssrc, seq) = rtp_ssrc_seq(packet).ok_or(UnprotectError::Malformed)?;
        let slot = self.find(ssrc);
        if slot.is_none() && self.streams.len() >= self.max_ssrcs {
            return Err(UnprotectError::TooManySsrcs);
        }
        let window = slot.and_then(|i| self.streams.get(i)).and_then(|s| s.rtp);
        let index = estimate_rtp_index(window.as_ref(), seq);
        if index > MAX_RTP_INDEX {
            return Err(UnprotectError::Malformed);
        }
        if let Some(w) = &window {
            w.check(index).map_err(replay_error)?;
        }
        match &self.session {
            Session::AesCm { rtp, .. } => {
                let roc = ((index >> 16) as u32).to_be_bytes();
                let (packet, tag) = buf.split_at_mut(len);
                if !rtp.verify(&[packet, &roc], tag) {
                    return Err(UnprotectError::AuthFailed);
                }
                rtp.apply_keystream(ssrc, index, &mut packet[header_len..]);
            }
            Session::Gcm { rtp, .. } => {
                let nonce = rtp.rtp_nonce(ssrc, index);
                let (aad, rest) = buf.split_at_mut(header_len);
                let (data, tag) = rest.split_at_mut(len - header_len);
                if !rtp.open(nonce, aad, data, tag) {
                    return Err(UnprotectError::AuthFailed);
                }
            }
        }
        let slot = match slot {
            Some(slot) => slot,
            None => self.insert(ssrc).ok_or(UnprotectError::TooManySsrcs)?,
        };
        if let Some(stream) = self.streams.get_mut(slot) {
            match &mut stream.rtp {
                Some(w) => w.record(index),
                None => stream.rtp = Some(IndexWindow::new(index)),
            }
        }
        Ok(len)
    }

    /// Protects the RTCP packet (or compound packet) in `buf[..len]` in place, always
    /// encrypted (E flag set), and returns the SRTCP packet's length,
    /// `len + profile.rtcp_overhead()` (RFC 3711 section 3.4, RFC 7714 section 9).
    ///
    /// The SRTCP index counts up from 0 per sender SSRC (the SSRC in bytes 4..8).
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, ProtectError> {
        let packet = buf.get(..len).ok_or(ProtectError::Malformed)?;
        let ssrc = rtcp_ssrc(packet).ok_or(ProtectError::Malformed)?;
        let overhead = self.profile.rtcp_overhead();
        if buf.len() < len + overhead {
            return Err(ProtectError::BufferTooSmall);
        }
        let slot = match self.find(ssrc) {
            Some(slot) => slot,
            None => self.insert(ssrc).ok_or(ProtectError::TooManySsrcs)?,
        };
        let index = self.streams.get(slot).map_or(0, |s| s.rtcp_next);
        if index > MAX_RTCP_INDEX {
            return Err(ProtectError::IndexExhausted);
        }
        let e_index = (E_FLAG | index as u32).to_be_bytes();
        match &self.session {
            Session::AesCm { rtcp, .. } => {
                rtcp.apply_keystream(ssrc, index, &mut buf[RTCP_HEADER_LEN..len]);
                buf[len..len + 4].copy_from_slice(&e_index);
                let tag = rtcp.tag(&[&buf[..len + 4]]);
                let tag_len = self.profile.rtcp_tag_len();
                buf[len + 4..len + 4 + tag_len].copy_from_slice(&tag[..tag_len]);
            }
            Session::Gcm { rtcp, .. } => {
                let mut aad = [0u8; RTCP_HEADER_LEN + 4];
                aad[..RTCP_HEADER_LEN].copy_from_slice(&buf[..RTCP_HEADER_LEN]);
                aad[RTCP_HEADER_LEN..].copy_from_slice(&e_index);
                let nonce = rtcp.rtcp_nonce(ssrc, index as u32);
                let tag = rtcp
                    .seal(nonce, &aad, &mut buf[RTCP_HEADER_LEN..len])
                    .ok_or(ProtectError::BufferTooSmall)?;
                buf[len..len + gcm::TAG_LEN].copy_from_slice(&tag);
                buf[len + gcm::TAG_LEN..len + gcm::TAG_LEN + 4].copy_from_slice(&e_index);
            }
        }
        if let Some(stream) = self.streams.get_mut(slot) {
            stream.rtcp_next = index + 1;
        }
        self.stats.rtcp_protected += 1;
        Ok(len + overhead)
    }

    /// Unprotects the SRTCP packet that is all of `buf`, in place, and returns the RTCP
    /// packet's length (RFC 3711 section 3.4, RFC 7714 section 9). Packets with the E flag
    /// clear are authenticated only.
    ///
    /// Checked fully before anything changes; a rejected packet is counted in
    /// [`stats`](Self::stats) and leaves `buf` unspecified.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let result = self.unprotect_rtcp_inner(buf);
        match result {
            Ok(_) => self.stats.rtcp_unprotected += 1,
            Err(e) => self.stats.count(e),
        }
        result
    }

    fn unprotect_rtcp_inner(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let tag_len = self.profile.rtcp_tag_len();
        let len = buf
            .len()
            .checked_sub(tag_len + 4)
            .ok_or(UnprotectError::Malformed)?;
        let ssrc = rtcp_ssrc(&buf[..len]).ok_or(UnprotectError::Malformed)?;
        // AES-CM: packet | E+index | tag. AES-GCM: packet | tag | E+index.
        let index_at = if self.profile.is_aead() {
            len + tag_len
        } else {
            len
        };
        let mut e_index = [0u8; 4];
        e_index.copy_from_slice(&buf[index_at..index_at + 4]);
        let word = u32::from_be_bytes(e_index);
        let encrypted = word & E_FLAG != 0;
        let index = u64::from(word & !E_FLAG);
        let slot = self.find(ssrc);
        if slot.is_none() && self.streams.len() >= self.max_ssrcs {
            return Err(UnprotectError::TooManySsrcs);
        }
        let window = slot.and_then(|i| self.streams.get(i)).and_then(|s| s.rtcp);
        if let Some(w) = &window {
            w.check(index).map_err(replay_error)?;
        }
        match &self.session {
            Session::AesCm { rtcp, .. } => {
                let (authenticated, tag) = buf.split_at_mut(len + 4);
                if !rtcp.verify(&[authenticated], tag) {
                    return Err(UnprotectError::AuthFailed);
                }
                if encrypted {
                    rtcp.apply_keystream(ssrc, index, &mut authenticated[RTCP_HEADER_LEN..len]);
                }
            }
            Session::Gcm { rtcp, .. } => {
                let nonce = rtcp.rtcp_nonce(ssrc, index as u32);
                if encrypted {
                    let mut aad = [0u8; RTCP_HEADER_LEN + 4];
                    aad[..RTCP_HEADER_LEN].copy_from_slice(&buf[..RTCP_HEADER_LEN]);
                    aad[RTCP_HEADER_LEN..].copy_from_slice(&e_index);
                    let (data, rest) = buf[RTCP_HEADER_LEN..].split_at_mut(len - RTCP_HEADER_LEN);
                    if !rtcp.open(nonce, &aad, data, &rest[..tag_len]) {
                        return Err(UnprotectError::AuthFailed);
                    }
                } else {
                    // The whole packet and E+index are associated data (RFC 7714 section
                    // 9.2); move E+index before the tag so they are contiguous.
                    buf[len..].rotate_right(4);
                    let (aad, tag) = buf.split_at_mut(len + 4);
                    if !rtcp.open(nonce, aad, &mut [], tag) {
                        return Err(UnprotectError::AuthFailed);
                    }
                }
            }
        }
        let slot = match slot {
            Some(slot) => slot,
            None => self.insert(ssrc).ok_or(UnprotectError::TooManySsrcs)?,
        };
        if let Some(stream) = self.streams.get_mut(slot) {
            match &mut stream.rtcp {
                Some(w) => w.record(index),
                None => stream.rtcp = Some(IndexWindow::new(index)),
            }
        }
        Ok(len)
    }

    fn find(&self, ssrc: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.ssrc == ssrc)
    }

    fn insert(&mut self, ssrc: u32) -> Option<usize> {
        if self.streams.len() >= self.max_ssrcs {
            return None;
        }
        self.streams.push(Stream::new(ssrc));
        Some(self.streams.len() - 1)
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("profile", &self.profile)
            .field("ssrcs", &self.streams.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

const fn replay_error(verdict: ReplayVerdict) -> UnprotectError {
    match verdict {
        ReplayVerdict::Replayed => UnprotectError::Replayed,
        ReplayVerdict::TooOld => UnprotectError::TooOld,
    }
}

fn aes_cm_session(key: &MasterKey, enc: Label, auth: Label, salt: Label) -> AesCm {
    let mut k = [0u8; 16];
    let mut a = [0u8; aes_cm::AUTH_KEY_LEN];
    let mut s = [0u8; aes_cm::SALT_LEN];
    kdf::derive(key, enc, &mut k);
    kdf::derive(key, auth, &mut a);
    kdf::derive(key, salt, &mut s);
    // Fixed-size arrays of exactly the lengths AES-128 and HMAC accept.
    AesCm::new(&k, &s, &a).expect("AES-128 and HMAC keys of fixed, valid lengths")
}

fn gcm_session(key: &MasterKey, enc: Label, salt: Label) -> Gcm {
    let mut k = [0u8; 32];
    let k = &mut k[..key.profile().key_len()];
    let mut s = [0u8; gcm::SALT_LEN];
    kdf::derive(key, enc, k);
    kdf::derive(key, salt, &mut s);
    // `key_len` is 16 or 32 for the AEAD profiles, the two lengths ring accepts.
    Gcm::new(k, &s).expect("AES-GCM keys of 16 or 32 bytes")
}

/// The RTP header's length, CSRCs and extension included (RFC 3550 section 5.1 and 5.3.1),
/// if the packet is RTP version 2 and holds it.
fn rtp_header_len(packet: &[u8]) -> Option<usize> {
    let first = *packet.first()?;
    if first >> 6 != 2 || packet.len() < RTP_HEADER_LEN {
        return None;
    }
    let mut len = RTP_HEADER_LEN + 4 * usize::from(first & 0x0F);
    if first & 0x10 != 0 {
        let words = packet.get(len + 2..len + 4)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    (len <= packet.len()).then_some(len)
}

fn rtp_ssrc_seq(packet: &[u8]) -> Option<(u32, u16)> {
    let seq = packet.get(2..4)?;
    let ssrc = packet.get(8..12)?;
    Some((
        u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]),
        u16::from_be_bytes([seq[0], seq[1]]),
    ))
}

/// The sender SSRC of an RTCP packet of version 2 (RFC 3550 section 6.4).
fn rtcp_ssrc(packet: &[u8]) -> Option<u32> {
    if packet.first()? >> 6 != 2 {
        return None;
    }
    let ssrc = packet.get(4..RTCP_HEADER_LEN)?;
    Some(u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]))
}

//! The four-way handshake (RFC 9260 sections 5.1 and 5.2): INIT, INIT ACK with a signed
//! state cookie, COOKIE ECHO, COOKIE ACK, including INITs that cross.

use std::time::Instant;

use super::cookie::{Cookie, CookieError, millis_since};
use super::snap::{LocalInit, PeerInit};
use super::timer::Timer;
use super::{Association, AssociationState, Event, PendingInitAck, SctpConfig, ZERO_CHECKSUM_DTLS};
use crate::sctp::wire::{ChunkType, ErrorCause, InitChunk, InitParams, Tsn, VerificationTag};

/// The INIT or INIT ACK fields of an association with `config`, `tag` and `initial_tsn`.
pub(super) fn init_params<'c>(
    config: &SctpConfig,
    tag: VerificationTag,
    initial_tsn: Tsn,
    cookie: Option<&'c [u8]>,
) -> InitParams<'c> {
    InitParams {
        initiate_tag: tag.0,
        a_rwnd: config.receive_window,
        outbound_streams: config.streams,
        inbound_streams: config.streams,
        initial_tsn,
        cookie,
        extensions: true,
        zero_checksum_method: config.zero_checksum.then_some(ZERO_CHECKSUM_DTLS),
    }
}

impl Association {
    /// Our INIT or INIT ACK fields. INIT and every INIT ACK carry the same tag and initial
    /// TSN, which is what RFC 9260 section 5.2.1 asks when INITs cross.
    pub(super) fn init_params<'c>(&self, cookie: Option<&'c [u8]>) -> InitParams<'c> {
        init_params(&self.config, self.local_tag, self.local_initial_tsn, cookie)
    }

    /// Starts the association from the peer's INIT received out of band (SNAP,
    /// draft-hancke-tsvwg-snap; see [`PeerInit`] and [`LocalInit`]): the peer is installed as a COOKIE ECHO would install it and the
    /// association is ESTABLISHED at once; nothing goes on the wire for the handshake. Call
    /// it where [`Association::connect`] would be called, once the transport is up, and
    /// only when the peer has ours too (it then does the same). Only in `Listening`;
    /// otherwise does nothing.
    pub fn connect_snap(&mut self, now: Instant, peer: &PeerInit) {
        let now = self.clamp(now);
        if self.state != AssociationState::Listening {
            return;
        }
        let local = LocalInit {
            tag: self.local_tag,
            initial_tsn: self.local_initial_tsn,
        };
        self.install_peer(&peer.as_cookie(local));
        self.establish(now);
    }

    /// An INIT: answer with an INIT ACK whose cookie holds everything we would need; keep
    /// nothing else (RFC 9260 section 5.1.3). In COOKIE-WAIT or COOKIE-ECHOED the answer
    /// uses our existing tag (section 5.2.1).
    pub(super) fn on_init(&mut self, now: Instant, init: &InitChunk<'_>) {
        if matches!(
            self.state,
            AssociationState::Closed | AssociationState::ShutdownAckSent
        ) {
            return;
        }
        let cookie = Cookie {
            created_ms: millis_since(self.epoch, now),
            local_tag: self.local_tag,
            peer_tag: VerificationTag(init.initiate_tag),
            local_initial_tsn: self.local_initial_tsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            peer_outbound_streams: init.outbound_streams,
            peer_inbound_streams: init.inbound_streams,
            peer_forward_tsn: init.supports_forward_tsn(),
            peer_reconfig: init.supports_chunk(ChunkType::RECONFIG),
            peer_zero_checksum: init.zero_checksum_method() == Some(ZERO_CHECKSUM_DTLS),
        };
        self.ctl.init_ack = Some(PendingInitAck {
            peer_tag: cookie.peer_tag,
            cookie: cookie.encode(&self.cookie_key),
        });
    }

    /// An INIT ACK: only in COOKIE-WAIT; learn the peer and echo its cookie.
    pub(super) fn on_init_ack(&mut self, now: Instant, ack: &InitChunk<'_>) {
        if self.state != AssociationState::CookieWait {
            return;
        }
        let Some(cookie) = ack.state_cookie() else {
            self.ctl.error = Some((ErrorCause::MISSING_PARAM, [0, 0, 0, 7]));
            return;
        };
        self.install_peer(&Cookie {
            created_ms: 0,
            local_tag: self.local_tag,
            peer_tag: VerificationTag(ack.initiate_tag),
            local_initial_tsn: self.local_initial_tsn,
            peer_initial_tsn: ack.initial_tsn,
            peer_a_rwnd: ack.a_rwnd,
            peer_outbound_streams: ack.outbound_streams,
            peer_inbound_streams: ack.inbound_streams,
            peer_forward_tsn: ack.supports_forward_tsn(),
            peer_reconfig: ack.supports_chunk(ChunkType::RECONFIG),
            peer_zero_checksum: ack.zero_checksum_method() == Some(ZERO_CHECKSUM_DTLS),
        });
        self.ctl.cookie.clear();
        self.ctl.cookie.extend_from_slice(cookie);
        self.ctl.cookie_echo = true;
        self.state = AssociationState::CookieEchoed;
        self.timers.stop(Timer::T1Init);
        self.init_retransmits = 0;
        self.timers
            .set(Timer::T1Cookie, now + self.config.rto_initial);
    }

    /// A COOKIE ECHO: check the MAC and age, then set up the association from the cookie
    /// (RFC 9260 section 5.1.5), or, if it is already up with these tags, just acknowledge it
    /// again (section 5.2.4, case D).
    pub(super) fn on_cookie_echo(&mut self, now: Instant, bytes: &[u8]) {
        let cookie = match Cookie::decode(
            bytes,
            &self.cookie_key,
            self.epoch,
            now,
            self.config.cookie_lifetime,
        ) {
            Ok(cookie) => cookie,
            Err(CookieError::Stale) => {
                self.ctl.error = Some((ErrorCause::STALE_COOKIE, [0; 4]));
                return;
            }
            Err(CookieError::Invalid) => {
                self.stats.bad_tag += 1;
                return;
            }
        };
        if cookie.local_tag != self.local_tag || cookie.local_initial_tsn != self.local_initial_tsn
        {
            self.stats.bad_tag += 1;
            return;
        }
        match self.state {
            AssociationState::Listening
            | AssociationState::CookieWait
            | AssociationState::CookieEchoed => {
                self.install_peer(&cookie);
                self.ctl.cookie_ack = true;
                self.establish(now);
            }
            AssociationState::Closed => {}
            _ => {
                if cookie.peer_tag == self.peer_tag {
                    self.ctl.cookie_ack = true;
                }
            }
        }
    }

    /// A COOKIE ACK: the handshake we started is done.
    pub(super) fn on_cookie_ack(&mut self, now: Instant) {
        if self.state == AssociationState::CookieEchoed {
            self.establish(now);
        }
    }

    pub(super) fn on_t1_init(&mut self, now: Instant) {
        if self.state != AssociationState::CookieWait {
            return;
        }
        if self.init_retransmits >= self.config.max_init_retransmits {
            self.close(super::CloseReason::HandshakeTimeout);
            return;
        }
        self.init_retransmits += 1;
        self.ctl.init = true;
        self.timers
            .set(Timer::T1Init, now + self.handshake_backoff());
    }

    pub(super) fn on_t1_cookie(&mut self, now: Instant) {
        if self.state != AssociationState::CookieEchoed {
            return;
        }
        if self.init_retransmits >= self.config.max_init_retransmits {
            self.close(super::CloseReason::HandshakeTimeout);
            return;
        }
        self.init_retransmits += 1;
        self.ctl.cookie_echo = true;
        self.timers
            .set(Timer::T1Cookie, now + self.handshake_backoff());
    }

    /// RTO.Initial doubled per retransmission, capped at RTO.Max.
    fn handshake_backoff(&self) -> std::time::Duration {
        let factor = 1u32 << self.init_retransmits.min(16);
        (self.config.rto_initial * factor).min(self.config.rto_max)
    }

    /// Records the peer's tag, initial TSN, window, streams and extensions.
    fn install_peer(&mut self, c: &Cookie) {
        self.peer_tag = c.peer_tag;
        self.peer.forward_tsn = c.peer_forward_tsn;
        self.peer.reconfig = c.peer_reconfig;
        self.peer.zero_checksum = c.peer_zero_checksum;
        self.peer.outbound_streams = self.config.streams.min(c.peer_inbound_streams);
        self.peer.inbound_streams = self.config.streams.min(c.peer_outbound_streams);
        self.out.peer_rwnd = c.peer_a_rwnd as usize;
        self.out.ssthresh = (c.peer_a_rwnd as usize).max(self.config.mtu * 4);
        self.out.max_streams = self.peer.outbound_streams;
        self.inb.start(
            Tsn(c.peer_initial_tsn.0.wrapping_sub(1)),
            self.peer.inbound_streams,
        );
        self.reconfig.peer_next_request = c.peer_initial_tsn.0;
    }

    fn establish(&mut self, now: Instant) {
        self.state = AssociationState::Established;
        self.timers.stop(Timer::T1Init);
        self.timers.stop(Timer::T1Cookie);
        self.ctl.init = false;
        self.ctl.cookie_echo = false;
        self.init_retransmits = 0;
        self.error_count = 0;
        self.timers
            .set(Timer::Heartbeat, now + self.config.heartbeat_interval);
        self.events.push_back(Event::Connected);
    }
}

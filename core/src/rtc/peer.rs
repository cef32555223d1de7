//! The peer connection machine: [`Rtc`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rand_core::CryptoRng;

use super::channels::ChannelTable;
use super::config::RtcConfig;
use super::event::{CloseReason, Event, PeerState};
use super::media::Media;
use super::negotiate::Negotiation;
use super::stats::RtcStats;
use super::transport::Transport;
use crate::ice::{Agent, CandidateError, IceConnectionState, IceEvent, RelayInput, Role};
use crate::net::{DatagramKind, Receive, Transmit};
use crate::sctp::LocalInit;

/// Events held for the application before the oldest are dropped (and counted): far more
/// than one call produces, so only a caller that never drains reaches it.
pub(crate) const EVENT_LIMIT: usize = 4096;

/// One WebRTC peer connection: ICE, DTLS, SRTP/RTP media and SCTP data channels over one
/// transport (max-bundle), negotiated by SDP offer/answer or by the direct API.
///
/// # Method groups
///
/// - construction: [`Rtc::new`], then [`Rtc::add_host_address`] for every local address;
/// - signalling: [`Rtc::create_offer`], [`Rtc::accept_answer`], [`Rtc::accept_offer`],
///   [`Rtc::add_remote_candidate`], or the direct API ([`Rtc::direct_parameters`],
///   [`Rtc::direct_connect`]);
/// - network input: [`Rtc::handle_datagram`]; timers: [`Rtc::handle_timeout`];
/// - commands: data channels ([`Rtc::open_channel`], [`Rtc::send`], [`Rtc::close_channel`]),
///   media ([`Rtc::add_track`], [`Rtc::write_frame`], [`Rtc::write_rtp`],
///   [`Rtc::request_keyframe`]), [`Rtc::close`];
/// - output: [`Rtc::poll_transmit`], [`Rtc::poll_event`], [`Rtc::poll_timeout`];
/// - getters: [`Rtc::state`], [`Rtc::stats`], [`Rtc::accepts`], [`Rtc::selected_pair`].
///
/// After any `handle_*` or command, drain [`Rtc::poll_transmit`] then [`Rtc::poll_event`]
/// until both return `None`, then sleep until [`Rtc::poll_timeout`] or the next datagram.
/// Polling more than needed is always correct.
///
/// `poll_transmit` serves, in this fixed order: ICE (STUN checks and answers), DTLS
/// (handshake flights and queued records), media (SRTP and SRTCP), then SCTP packets pulled
/// into DTLS one at a time, so no layer's queue grows behind another's.
pub struct Rtc {
    pub(crate) rng: Box<dyn CryptoRng + Send>,
    pub(crate) config: RtcConfig,
    pub(crate) last_now: Instant,
    pub(crate) ice: Agent,
    pub(crate) transport: Transport,
    pub(crate) channels: ChannelTable,
    pub(crate) media: Media,
    pub(crate) negotiation: Negotiation,
    pub(crate) events: VecDeque<Event>,
    pub(crate) state: PeerState,
    /// The path the closing DTLS alert and SCTP ABORT leave on, after ICE stopped.
    pub(crate) closing_path: Option<(SocketAddr, SocketAddr)>,
    pub(crate) stats: RtcStats,
}

impl std::fmt::Debug for Rtc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtc")
            .field("state", &self.state)
            .field("ice", &self.ice.state())
            .field("selected_pair", &self.ice.selected_pair())
            .finish_non_exhaustive()
    }
}

impl Rtc {
    /// A new peer connection at `now`, drawing its randomness (ICE credentials and
    /// tie-breaker, DTLS randoms, SCTP tags, SSRCs) from `rng`.
    ///
    /// The ICE role is decided by the signalling: the side that offers (or that passes
    /// `controlling` to [`Rtc::direct_connect`]) controls.
    pub fn new(config: RtcConfig, now: Instant, mut rng: Box<dyn CryptoRng + Send>) -> Self {
        // Controlled until the signalling decides: a check that arrives before our own
        // offer or direct_connect then causes no role conflict.
        let mut ice = Agent::new(config.ice.clone(), Role::Controlled, now, &mut *rng);
        for &server in &config.stun_servers {
            // A server of an unusable family is simply never asked; nothing to report yet.
            let _ = ice.add_stun_server(now, server);
        }
        for server in &config.turn_servers {
            // Past the limit or unusable: the allocation is not made, as for STUN servers.
            let _ = ice.add_turn_server(now, server.clone(), &mut *rng);
        }
        let mut negotiation = Negotiation::new(&config, ice.local_credentials(), &mut *rng);
        let media = Media::new(&config, &negotiation.local.cname, now);
        // Drawn now so that the first offer or answer can carry our SCTP INIT (SNAP).
        let sctp_init = LocalInit::draw(&mut *rng);
        if config.sctp_snap {
            negotiation.local.sctp_init = Some(sctp_init.chunk(&config.sctp));
        }
        Self {
            transport: Transport::new(&config, sctp_init),
            channels: ChannelTable::default(),
            media,
            negotiation,
            // Grows to the events actually queued; reused after that.
            events: VecDeque::new(),
            state: PeerState::New,
            closing_path: None,
            stats: RtcStats::default(),
            last_now: now,
            ice,
            config,
            rng,
        }
    }

    // ---- getters ----

    /// The peer connection's state.
    pub fn state(&self) -> PeerState {
        self.state
    }

    /// The ICE agent's connection state.
    pub fn ice_state(&self) -> IceConnectionState {
        self.ice.state()
    }

    /// The selected candidate pair (local, remote), once ICE has one.
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.ice.selected_pair()
    }

    /// Our current ICE username fragment (changed by [`Rtc::restart_ice`]).
    pub fn local_ufrag(&self) -> &str {
        &self.ice.local_credentials().ufrag
    }

    /// Whether `addr` is the peer's address on the selected pair or one of its candidates.
    pub fn knows_remote(&self, addr: SocketAddr) -> bool {
        self.ice.knows_remote(addr)
    }

    /// Counters in the spirit of `getStats`.
    pub fn stats(&self) -> RtcStats {
        let mut stats = self.stats.clone();
        self.transport.fill_stats(&mut stats);
        self.media.fill_stats(&mut stats);
        stats.ice = self.ice.stats();
        stats
    }

    /// The largest datagram [`Rtc::poll_transmit`] writes: size the send buffer to this.
    pub fn max_datagram_size(&self) -> usize {
        // DTLS application records may exceed the MTU by the record overhead when SCTP is
        // configured with a larger MTU; leave room for both.
        // Relayed datagrams also carry TURN framing.
        self.config.mtu.max(self.config.sctp.mtu) + 128 + crate::turn::wire::MAX_SEND_OVERHEAD
    }

    /// Whether `rx` belongs to this peer connection: a STUN request whose USERNAME starts
    /// with our username fragment, or a datagram from an address ICE knows as the peer's.
    /// An [`Endpoint`](crate::endpoint::Endpoint) uses it to route datagrams.
    pub fn accepts(&self, rx: &Receive<'_>) -> bool {
        if self.state == PeerState::Closed {
            return false;
        }
        if rx.kind() == DatagramKind::Stun
            && let Some(ufrag) = crate::ice::local_ufrag_of_request(rx.contents)
        {
            return ufrag.as_slice() == self.ice.local_credentials().ufrag.as_bytes();
        }
        self.ice.knows_remote(rx.source)
    }

    // ---- network input ----

    /// Takes in one received datagram. STUN goes to ICE, DTLS to the DTLS connection, SRTP
    /// and SRTCP to the media streams (decrypted in place in `rx.contents`); anything else,
    /// or anything that fails its checks, is dropped and counted.
    pub fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return;
        }
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += rx.contents.len() as u64;
        let rx = match self.ice.handle_relay(now, rx) {
            RelayInput::Direct(rx) | RelayInput::Relayed(rx) => rx,
            RelayInput::Consumed => {
                self.process(now);
                return;
            }
        };
        match rx.kind() {
            DatagramKind::Stun => {
                if !self.ice.handle_stun(now, &rx, &mut *self.rng) {
                    self.stats.datagrams_dropped += 1;
                }
            }
            DatagramKind::Dtls => {
                // Only from an address ICE knows: a spoofed ClientHello cannot take the
                // handshake (the server sends no cookie, RFC 8842 section 5.1).
                if !self.ice.knows_remote(rx.source)
                    || !self.transport.handle_record(now, rx.contents)
                {
                    self.stats.datagrams_dropped += 1;
                }
            }
            DatagramKind::Rtp => {
                if !self.media.handle_srtp(now, rx.contents) {
                    self.stats.datagrams_dropped += 1;
                }
            }
            _ => self.stats.datagrams_dropped += 1,
        }
        self.process(now);
    }

    /// Fires the timers that are due. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return;
        }
        if self.ice.poll_timeout().is_some_and(|t| t <= now) {
            self.ice.handle_timeout(now, &mut *self.rng);
        }
        self.transport.handle_timeout(now);
        self.media.handle_timeout(now);
        self.process(now);
    }

    // ---- commands ----

    /// Adds a local address to gather a host candidate from (the driver's socket address).
    pub fn add_host_address(
        &mut self,
        now: Instant,
        addr: SocketAddr,
    ) -> Result<(), CandidateError> {
        let now = self.clamp(now);
        self.ice.add_host_address(now, addr)?;
        self.process(now);
        Ok(())
    }

    /// Closes the peer connection: DTLS close_notify and an SCTP ABORT go out (drain
    /// [`Rtc::poll_transmit`]), then nothing more is sent or reported after
    /// [`Event::Closed`].
    pub fn close(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return;
        }
        self.transport.close(now);
        self.closing_path = self.ice.selected_pair();
        self.ice.close(now);
        self.set_state(PeerState::Closed);
        self.push_event(Event::Closed(CloseReason::Local));
    }

    // ---- output ----

    /// Writes the next datagram into `buf` (at least [`Rtc::max_datagram_size`] bytes) and
    /// says where to send it; `None` when nothing is waiting.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let now = self.clamp(now);
        debug_assert!(
            buf.len() >= self.max_datagram_size(),
            "send buffer too small"
        );
        let sent = self.poll_transmit_inner(now, buf);
        if let Some(t) = &sent {
            self.stats.datagrams_sent += 1;
            self.stats.bytes_sent += t.len as u64;
        }
        // Pulling SCTP packets can complete handshakes or free buffer space: report it.
        self.process(now);
        sent
    }

    fn poll_transmit_inner(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(t) = self.ice.poll_transmit(now, buf) {
            return Some(t);
        }
        loop {
            let Some(t) = self.poll_path(now, buf) else {
                // Last of all, once closed: release the TURN allocations.
                return self.ice.poll_release(buf);
            };
            // On a relayed pair the datagram is framed for the TURN server; one that cannot
            // be is dropped (and counted), and the next one tried.
            if let Some(t) = self.ice.wrap_relayed(now, t, buf) {
                return Some(t);
            }
        }
    }

    /// The next DTLS, media or SCTP datagram on the selected (or closing) path, unframed,
    /// leaving room in `buf` for TURN framing when the path is relayed.
    fn poll_path(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        // Before nomination, DTLS may start on a valid pair (consent is proven both ways).
        let path = self.ice.selected_pair().or(self.closing_path);
        let (local, remote) = path.or_else(|| self.ice.best_valid_pair())?;
        let room = buf.len().saturating_sub(self.ice.relay_headroom(local));
        let buf = &mut buf[..room];
        let transmit = |len| Transmit {
            source: local,
            destination: remote,
            transport: crate::net::Transport::Udp,
            len,
        };
        if let Some(len) = self.transport.poll_dtls(now, buf) {
            return Some(transmit(len));
        }
        if self.state == PeerState::Closed {
            return None;
        }
        if let Some(len) = self.media.poll_srtp(now, buf) {
            return Some(transmit(len));
        }
        self.transport.poll_sctp(now, buf).map(transmit)
    }

    /// The next event for the application, or `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Rtc::handle_timeout`] should next be called: the earliest deadline of ICE,
    /// DTLS, SCTP and media, never earlier than the latest `now` seen; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == PeerState::Closed {
            return None;
        }
        [
            self.ice.poll_timeout(),
            self.transport.poll_timeout(),
            self.media.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|t| t.max(self.last_now))
    }

    // ---- internals ----

    pub(crate) fn clamp(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        if self.events.len() >= EVENT_LIMIT {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(event);
    }

    pub(crate) fn set_state(&mut self, state: PeerState) {
        if self.state != state && self.state != PeerState::Closed {
            self.state = state;
            self.push_event(Event::StateChanged(state));
        }
    }

    /// Moves what the inner machines reported into our events and reacts to it.
    pub(crate) fn process(&mut self, now: Instant) {
        while let Some(event) = self.ice.poll_event() {
            self.on_ice_event(event);
        }
        if let Some(rtt) = self.ice.rtt() {
            self.transport.use_rtt(rtt);
        }
        self.drive_transport(now);
        while let Some(event) = self.media.poll_event() {
            self.push_event(event);
        }
        self.update_state();
    }

    fn on_ice_event(&mut self, event: IceEvent) {
        match event {
            IceEvent::StateChanged(s) => self.push_event(Event::IceStateChanged(s)),
            IceEvent::LocalCandidate(c) => self.push_event(Event::LocalCandidate(c)),
            IceEvent::GatheringComplete => {
                self.negotiation.gathering_complete = true;
                self.push_event(Event::GatheringComplete);
            }
            IceEvent::SelectedPairChanged { local, remote } => {
                self.push_event(Event::SelectedPairChanged { local, remote });
            }
            IceEvent::RelayFailed { server, error } => {
                self.push_event(Event::RelayFailed { server, error });
            }
            _ => {}
        }
    }

    fn update_state(&mut self) {
        if self.state == PeerState::Closed {
            return;
        }
        let state = match (self.ice.state(), self.transport.dtls_state()) {
            (_, super::transport::DtlsState::Failed) => PeerState::Failed,
            (_, super::transport::DtlsState::Closed) => PeerState::Closed,
            (IceConnectionState::Failed, _) => PeerState::Failed,
            (IceConnectionState::Disconnected, _) => PeerState::Disconnected,
            (
                IceConnectionState::Connected | IceConnectionState::Completed,
                super::transport::DtlsState::Connected,
            ) => PeerState::Connected,
            (IceConnectionState::New, super::transport::DtlsState::None) => PeerState::New,
            _ => PeerState::Connecting,
        };
        if state == self.state {
            return;
        }
        self.set_state(state);
        match state {
            PeerState::Failed => {
                // An ICE failure may be repaired by a restart; a DTLS failure ends it all.
                if let Some(r) = self.transport.close_reason() {
                    self.push_event(Event::Closed(CloseReason::Dtls(r)));
                }
            }
            PeerState::Closed => {
                if let Some(r) = self.transport.close_reason() {
                    self.push_event(Event::Closed(CloseReason::Dtls(r)));
                }
                self.ice.close(self.last_now);
            }
            _ => {}
        }
    }
}

//! The secure transport under the peer connection: one DTLS connection (RFC 8827) carrying
//! SCTP (RFC 8261) and keying SRTP (RFC 5764), started once the signalling has told us the
//! peer's fingerprint and our DTLS role.

use std::time::{Duration, Instant};

use crate::datachannel::{ChannelEvent, DataChannels, DtlsRole};
use crate::dtls::{self, Connection, DtlsConfig, DtlsEvent, Fingerprint};
use crate::rtc::config::RtcConfig;
use crate::rtc::event::Event;
use crate::rtc::peer::Rtc;
use crate::rtc::stats::RtcStats;
use crate::sctp::{LocalInit, PeerInit};
use crate::srtp::{KeyRole, Profile, SrtpKeys};

/// The floor of the DTLS retransmission timeout taken from the ICE round-trip time: below it a
/// busy peer's handshake computation (a signature, a key exchange) would look like loss.
const MIN_DTLS_RTO: Duration = Duration::from_millis(100);

/// Where DTLS stands, for the peer connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DtlsState {
    /// Not started: the signalling has not finished.
    None,
    /// Handshake under way.
    Connecting,
    /// Up.
    Connected,
    /// Ended cleanly.
    Closed,
    /// Failed (alert, fingerprint mismatch, timeout).
    Failed,
}

/// How long without a DTLS record before the DTLS buffers are let go. Checked whenever a
/// timer fires (ICE consent checks do every few seconds), so an idle connection holds no
/// receive chunk while a busy one never reallocates it.
const IDLE_RELEASE: Duration = Duration::from_secs(5);

/// DTLS and the SCTP association over it.
#[derive(Debug)]
pub(crate) struct Transport {
    dtls: Option<Connection>,
    role: Option<DtlsRole>,
    /// Data channels, once DTLS has started and data was negotiated.
    sctp: Option<DataChannels>,
    connected: bool,
    /// DTLS takes application data: connected, or a client in False Start (RFC 7918). SCTP
    /// runs from here on.
    writable: bool,
    close_reason: Option<dtls::CloseReason>,
    /// The fingerprint DTLS checks the peer's certificate against.
    remote_fingerprint: Option<Fingerprint>,
    /// The peer's `a=max-message-size`, once signalled.
    remote_max_message_size: Option<u64>,
    /// One SCTP packet on its way into a DTLS record.
    packet: Vec<u8>,
    /// Largest SCTP packet.
    sctp_mtu: usize,
    /// Our SCTP INIT's tag and TSN, signalled for SNAP before the association exists.
    sctp_init: LocalInit,
    /// The peer's SCTP INIT from signalling, when both sides sent one (SNAP): the
    /// association then starts established when DTLS is up.
    peer_sctp_init: Option<PeerInit>,
    /// The DTLS retransmission timeout was set from the ICE round-trip time.
    rto_from_rtt: bool,
    /// SCTP packets DTLS refused to queue (SCTP retransmits them).
    pub(crate) sctp_write_errors: u64,
    /// DTLS datagrams that arrived before DTLS started.
    pub(crate) early_records: u64,
    /// When the last DTLS datagram arrived; `None` once the buffers were let go after it.
    last_record: Option<Instant>,
}

impl Transport {
    pub(crate) fn new(config: &RtcConfig, sctp_init: LocalInit) -> Self {
        Self {
            sctp_init,
            peer_sctp_init: None,
            rto_from_rtt: false,
            dtls: None,
            role: None,
            sctp: None,
            connected: false,
            writable: false,
            close_reason: None,
            remote_fingerprint: None,
            remote_max_message_size: None,
            packet: vec![0; config.sctp.mtu],
            sctp_mtu: config.sctp.mtu,
            sctp_write_errors: 0,
            early_records: 0,
            last_record: None,
        }
    }

    pub(crate) fn role(&self) -> Option<DtlsRole> {
        self.role
    }

    pub(crate) fn is_started(&self) -> bool {
        self.dtls.is_some()
    }

    pub(crate) fn sctp(&self) -> Option<&DataChannels> {
        self.sctp.as_ref()
    }

    pub(crate) fn sctp_mut(&mut self) -> Option<&mut DataChannels> {
        self.sctp.as_mut()
    }

    /// The peer's SCTP INIT from signalling (SNAP), used if the association has not been
    /// created yet; an association already running keeps its handshake.
    pub(crate) fn set_peer_sctp_init(&mut self, init: Option<PeerInit>) {
        if self.sctp.is_none() {
            self.peer_sctp_init = init;
        }
    }

    /// Starts DTLS's retransmission timer from twice the round-trip time ICE measured
    /// (between [`MIN_DTLS_RTO`] and the 1 s default) instead of the 1 s default: a
    /// ClientHello the peer dropped because its DTLS was not ready yet (a peer that starts
    /// DTLS only once its own checks succeed) then goes again after a few round trips, not
    /// after a second. Once, before the handshake's first retransmission.
    pub(crate) fn use_rtt(&mut self, rtt: Duration) {
        if self.rto_from_rtt || self.connected {
            return;
        }
        if let Some(dtls) = &mut self.dtls {
            dtls.set_initial_rto((rtt * 2).clamp(MIN_DTLS_RTO, dtls::DEFAULT_INITIAL_RTO));
            self.rto_from_rtt = true;
        }
    }

    /// Whether the association was, or will be, started by SNAP.
    pub(crate) fn uses_snap(&self) -> bool {
        self.peer_sctp_init.is_some()
    }

    /// DTLS takes application data (a client in False Start, or connected): SCTP starts,
    /// once. The server's certificate has matched the signalled fingerprint by then; SRTP
    /// keys and [`Event::Connected`] still wait for the whole handshake.
    fn start_writing(&mut self, now: Instant) {
        if !self.writable {
            self.writable = true;
            self.connect_sctp(now);
        }
    }

    /// Starts the association's handshake, or with SNAP the association itself.
    fn connect_sctp(&mut self, now: Instant) {
        if let Some(sctp) = &mut self.sctp {
            match &self.peer_sctp_init {
                Some(peer) => sctp.connect_snap(now, peer),
                // Both WebRTC peers send INIT; the association resolves the collision.
                None => sctp.connect(now),
            }
        }
    }

    pub(crate) fn remote_fingerprint_matches(&self, fp: &Fingerprint) -> bool {
        self.remote_fingerprint
            .as_ref()
            .is_none_or(|ours| ours == fp)
    }

    /// The peer's `a=max-message-size` (RFC 8841 section 6.1: 0 means any size), applied
    /// to the channels now or when they start.
    pub(crate) fn set_remote_max_message_size(&mut self, max: u64) {
        self.remote_max_message_size = Some(max);
        if let Some(sctp) = &mut self.sctp {
            sctp.set_remote_max_message_size(max);
        }
    }

    pub(crate) fn dtls_state(&self) -> DtlsState {
        match (&self.dtls, self.close_reason) {
            (None, _) => DtlsState::None,
            (Some(_), Some(dtls::CloseReason::PeerClosed | dtls::CloseReason::LocalClosed)) => {
                DtlsState::Closed
            }
            (Some(_), Some(_)) => DtlsState::Failed,
            (Some(_), None) if self.connected => DtlsState::Connected,
            (Some(_), None) => DtlsState::Connecting,
        }
    }

    pub(crate) fn close_reason(&self) -> Option<dtls::CloseReason> {
        self.close_reason
    }

    pub(crate) fn handle_record(&mut self, now: Instant, datagram: &mut [u8]) -> bool {
        match &mut self.dtls {
            Some(dtls) => {
                self.last_record = Some(now);
                dtls.handle_record(now, datagram)
            }
            None => {
                // The peer started DTLS before our signalling finished; it retransmits.
                self.early_records += 1;
                false
            }
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Some(dtls) = &mut self.dtls
            && dtls.poll_timeout().is_some_and(|t| t <= now)
        {
            dtls.handle_timeout(now);
        }
        if let (Some(dtls), Some(last)) = (&mut self.dtls, self.last_record)
            && now.saturating_duration_since(last) >= IDLE_RELEASE
        {
            dtls.release_idle_buffers();
            self.last_record = None;
        }
        if self.writable
            && let Some(sctp) = &mut self.sctp
            && sctp.poll_timeout().is_some_and(|t| t <= now)
        {
            sctp.handle_timeout(now);
        }
    }

    pub(crate) fn poll_dtls(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.dtls.as_mut()?.poll_transmit(now, buf)
    }

    /// Pulls SCTP packets into DTLS one at a time, only when DTLS has nothing queued, and
    /// returns the first datagram DTLS makes of them.
    pub(crate) fn poll_sctp(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.writable || self.close_reason.is_some() {
            return None;
        }
        let (dtls, sctp) = (self.dtls.as_mut()?, self.sctp.as_mut()?);
        let n = sctp.poll_transmit(now, &mut self.packet[..self.sctp_mtu])?;
        if dtls.write(now, &self.packet[..n]).is_err() {
            self.sctp_write_errors += 1;
        }
        dtls.poll_transmit(now, buf)
    }

    /// Aborts the association (its ABORT goes into DTLS first) and sends close_notify.
    pub(crate) fn close(&mut self, now: Instant) {
        if let (Some(sctp), Some(dtls)) = (&mut self.sctp, &mut self.dtls) {
            sctp.abort(now);
            if self.writable {
                while let Some(n) = sctp.poll_transmit(now, &mut self.packet[..self.sctp_mtu]) {
                    // A full DTLS queue loses the ABORT; close_notify still ends the peer.
                    let _ = dtls.write(now, &self.packet[..n]);
                }
            }
        }
        if let Some(dtls) = &mut self.dtls {
            dtls.close(now);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let dtls = self.dtls.as_ref().and_then(Connection::poll_timeout);
        let sctp = self
            .sctp
            .as_ref()
            .filter(|_| self.writable)
            .and_then(DataChannels::poll_timeout);
        [dtls, sctp].into_iter().flatten().min()
    }

    pub(crate) fn fill_stats(&self, stats: &mut RtcStats) {
        if let Some(dtls) = &self.dtls {
            stats.dtls = Some(dtls.stats().clone());
        }
        if let Some(sctp) = &self.sctp {
            stats.sctp = Some(*sctp.sctp_stats());
        }
        stats.sctp_write_errors = self.sctp_write_errors;
        stats.early_dtls_records = self.early_records;
    }
}

impl Rtc {
    /// Starts DTLS (and the data channels when `data` was negotiated), once the signalling
    /// has given the peer's fingerprint and our role. Later calls only add data channels.
    pub(crate) fn start_transport(
        &mut self,
        now: Instant,
        role: DtlsRole,
        remote_fingerprint: Fingerprint,
        data: bool,
    ) {
        let t = &mut self.transport;
        if t.dtls.is_none() {
            t.remote_fingerprint = Some(remote_fingerprint.clone());
            let mut config = DtlsConfig::new(self.config.certificate.clone(), remote_fingerprint);
            config.mtu = self.config.mtu;
            config.cipher_suites = self.config.cipher_suites.clone();
            config.srtp_profiles = self.config.srtp_profiles.clone();
            // DTLS goes only to the ICE-verified path and is taken only from addresses ICE
            // knows, so the cookie round trip proves nothing more (RFC 8842 section 5.1).
            config.cookie_exchange = false;
            config.false_start = self.config.dtls_false_start;
            let dtls = match role {
                DtlsRole::Client => Connection::client(config, now, &mut *self.rng),
                DtlsRole::Server => Connection::server(config, now, &mut *self.rng),
            };
            t.dtls = Some(dtls);
            t.role = Some(role);
        }
        if data && t.sctp.is_none() {
            let role = t.role.unwrap_or(role);
            let mut sctp = DataChannels::with_local_init(
                self.config.sctp.clone(),
                role,
                now,
                &mut *self.rng,
                t.sctp_init,
            );
            if let Some(max) = t.remote_max_message_size {
                sctp.set_remote_max_message_size(max);
            }
            t.sctp = Some(sctp);
            if t.writable {
                t.connect_sctp(now);
            }
            if !t.uses_snap() {
                // An association that ran the handshake never announces an INIT again.
                self.negotiation.local.sctp_init = None;
            }
            self.open_pending_channels(now);
        }
    }

    /// Moves DTLS and data-channel events up, and reacts: keys for SRTP, SCTP connect.
    pub(crate) fn drive_transport(&mut self, now: Instant) {
        while let Some(event) = self
            .transport
            .dtls
            .as_mut()
            .and_then(Connection::poll_event)
        {
            match event {
                DtlsEvent::FalseStart { .. } => self.transport.start_writing(now),
                DtlsEvent::Connected { srtp_profile, .. } => {
                    self.on_dtls_connected(now, srtp_profile)
                }
                DtlsEvent::ApplicationData(packet) => {
                    if let Some(sctp) = &mut self.transport.sctp {
                        sctp.handle_packet(now, &packet);
                    } else {
                        self.stats.datagrams_dropped += 1;
                    }
                }
                DtlsEvent::Closed { reason } => self.transport.close_reason = Some(reason),
            }
        }
        while let Some(event) = self
            .transport
            .sctp
            .as_mut()
            .and_then(DataChannels::poll_event)
        {
            self.on_channel_event(event);
        }
    }

    fn on_dtls_connected(&mut self, now: Instant, profile: Option<dtls::SrtpProfile>) {
        let t = &mut self.transport;
        t.connected = true;
        t.start_writing(now);
        if let (Some(profile), Some(dtls), Some(role)) = (profile, &t.dtls, t.role) {
            let keys = dtls.srtp_keys().ok().and_then(|material| {
                let profile = Profile::from_id(profile.code())?;
                let role = match role {
                    DtlsRole::Client => KeyRole::Client,
                    DtlsRole::Server => KeyRole::Server,
                };
                SrtpKeys::from_keying_material(profile, material.material(), role).ok()
            });
            if let Some(keys) = keys {
                self.media.set_keys(&keys);
            }
        }
        self.push_event(Event::Connected);
    }

    fn on_channel_event(&mut self, event: ChannelEvent) {
        if let Some(event) = self.channels.translate(event, self.transport.sctp.as_ref()) {
            self.push_event(event);
        }
    }
}

//! Data channels over our DTLS, in process: [`DtlsSctpPeer`] glues one DTLS
//! [`Connection`] to one [`DataChannels`] (RFC 8261: SCTP packets ride in DTLS application
//! data records, one packet per record), and [`DtlsSctpHost`] puts a peer on a simulated
//! host with a sending workload and per-channel checkers.
//!
//! SCTP zero checksum (RFC 9653, method "DTLS") is on in [`sctp_config`]: DTLS already
//! authenticates every record.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::datachannel::{ChannelEvent, DataChannels, DtlsRole};
use sansrtc::dtls::{
    Certificate, CipherSuite, CloseReason, Connection, DtlsConfig, DtlsEvent, HashAlgorithm, Role,
};
use sansrtc::net::{Receive, Transmit, Transport};
use sansrtc::sctp::SctpConfig;

use crate::sctp::workload::{Checker, write_message};
use crate::sctp::{Machine, Outgoing};
use crate::sim::Peer;

/// The SCTP settings for data channels over DTLS: the defaults plus zero checksum.
pub fn sctp_config() -> SctpConfig {
    let mut config = SctpConfig::default();
    config.zero_checksum = true;
    config
}

/// One DTLS connection carrying one SCTP association with its data channels.
///
/// The SCTP client starts its association when DTLS connects; SCTP packets are pulled into
/// DTLS one at a time, only when DTLS has nothing queued, so a DTLS queue never overflows.
pub struct DtlsSctpPeer {
    /// The DTLS connection.
    pub dtls: Connection,
    /// The data channels on top.
    pub dc: DataChannels,
    /// The cipher suite, once DTLS connected.
    pub connected: Option<CipherSuite>,
    /// Why DTLS closed, if it did.
    pub closed: Option<CloseReason>,
    /// SCTP packets DTLS refused to queue (lost; SCTP retransmits them).
    pub write_errors: u64,
    /// One SCTP packet on its way into DTLS.
    packet: Vec<u8>,
}

impl DtlsSctpPeer {
    /// Joins `dtls` and `dc`; the channels' role must match the DTLS role.
    pub fn new(dtls: Connection, dc: DataChannels) -> Self {
        Self {
            dtls,
            dc,
            connected: None,
            closed: None,
            write_errors: 0,
            packet: vec![0; 2048],
        }
    }

    /// A DTLS client and a DTLS server, each with data channels configured by `sctp`, seeded
    /// from `seed`, at `now`.
    pub fn pair(seed: u64, now: Instant, sctp: &SctpConfig) -> (Self, Self) {
        let a = Arc::new(Certificate::generate().expect("certificate"));
        let b = Arc::new(Certificate::generate().expect("certificate"));
        let fa = a.fingerprint(HashAlgorithm::Sha256);
        let fb = b.fingerprint(HashAlgorithm::Sha256);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let client = Connection::client(DtlsConfig::new(a, fb), now, &mut rng);
        let server = Connection::server(DtlsConfig::new(b, fa), now, &mut rng);
        let dc_client = DataChannels::new(sctp.clone(), DtlsRole::Client, now, &mut rng);
        let dc_server = DataChannels::new(sctp.clone(), DtlsRole::Server, now, &mut rng);
        (Self::new(client, dc_client), Self::new(server, dc_server))
    }

    /// Takes in one datagram (decrypted in place).
    pub fn handle_datagram(&mut self, now: Instant, datagram: &mut [u8]) {
        self.dtls.handle_record(now, datagram);
        self.drain_dtls(now);
    }

    /// Fires the timers of both layers that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.dtls.poll_timeout().is_some_and(|t| t <= now) {
            self.dtls.handle_timeout(now);
            self.drain_dtls(now);
        }
        if self.connected.is_some() && self.dc.poll_timeout().is_some_and(|t| t <= now) {
            self.dc.handle_timeout(now);
        }
    }

    /// The next datagram to send: DTLS's own output first, then SCTP packets wrapped in
    /// DTLS records.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        loop {
            if let Some(n) = self.dtls.poll_transmit(now, buf) {
                return Some(n);
            }
            if self.connected.is_none() || self.closed.is_some() {
                return None;
            }
            let n = self.dc.poll_transmit(now, &mut self.packet)?;
            if self.dtls.write(now, &self.packet[..n]).is_err() {
                self.write_errors += 1;
            }
        }
    }

    /// The earlier deadline of the two layers (SCTP's only once DTLS connected).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let sctp = self.connected.and_then(|_| self.dc.poll_timeout());
        match (self.dtls.poll_timeout(), sctp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether both layers are up: DTLS connected and the SCTP association established.
    pub fn is_established(&self) -> bool {
        self.connected.is_some() && self.dc.association().is_established()
    }

    fn drain_dtls(&mut self, now: Instant) {
        while let Some(event) = self.dtls.poll_event() {
            match event {
                DtlsEvent::Connected { cipher_suite, .. } => {
                    self.connected = Some(cipher_suite);
                    if self.dtls.role() == Role::Client {
                        self.dc.connect(now);
                    }
                }
                DtlsEvent::ApplicationData(packet) => self.dc.handle_packet(now, &packet),
                DtlsEvent::Closed { reason } => self.closed = Some(reason),
                _ => {}
            }
        }
    }
}

impl Machine for DtlsSctpPeer {
    fn handle_packet(&mut self, now: Instant, packet: &mut [u8]) {
        self.handle_datagram(now, packet);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        Self::poll_transmit(self, now, buf)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
}

/// A [`DtlsSctpPeer`] on a simulated host: sends workloads and checks what it receives.
pub struct DtlsSctpHost {
    /// The machines.
    pub peer: DtlsSctpPeer,
    local: SocketAddr,
    remote: SocketAddr,
    /// Channels this host sends on.
    pub outgoing: Vec<Outgoing>,
    /// Checkers of received messages per channel (all checked as ordered).
    pub checkers: BTreeMap<u16, Checker>,
    /// Every non-message channel event.
    pub events: Vec<ChannelEvent>,
    /// The pump keeps each channel's buffered amount under this.
    pub high_water: usize,
    scratch: Vec<u8>,
}

impl DtlsSctpHost {
    /// Puts `peer` on a host sending from `local` to `remote`.
    pub fn new(peer: DtlsSctpPeer, local: SocketAddr, remote: SocketAddr) -> Self {
        Self {
            peer,
            local,
            remote,
            outgoing: Vec::new(),
            checkers: BTreeMap::new(),
            events: Vec::new(),
            high_water: 128 * 1024,
            scratch: Vec::with_capacity(64 * 1024),
        }
    }

    /// Whether every workload was handed to SCTP and SCTP has nothing left to send.
    pub fn done_sending(&self) -> bool {
        self.outgoing.iter().all(|o| o.sent >= o.target)
            && self.peer.dc.association().send_buffered() == 0
    }

    /// Tops up every workload channel to the high-water mark.
    fn pump(&mut self, now: Instant) {
        for o in &mut self.outgoing {
            while o.sent < o.target && self.peer.dc.buffered_amount(o.id) < self.high_water {
                write_message(o.next_seq, &mut self.scratch);
                if self.peer.dc.send(now, o.id, &self.scratch, true).is_err() {
                    break;
                }
                o.sent += self.scratch.len();
                o.next_seq += 1;
            }
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.peer.dc.poll_event() {
            match event {
                ChannelEvent::Message { id, data, .. } => {
                    self.checkers.entry(id.0).or_default().check(&data, true);
                }
                other => self.events.push(other),
            }
        }
    }
}

impl Peer for DtlsSctpHost {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.peer.handle_datagram(now, rx.contents);
        self.drain();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.peer.handle_timeout(now);
        self.drain();
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.peer.is_established() {
            self.pump(now);
        }
        let len = self.peer.poll_transmit(now, buf)?;
        self.drain();
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.peer.poll_timeout()
    }
}

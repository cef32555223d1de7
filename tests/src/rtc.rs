//! Our peer connection ([`Rtc`]) as a simulator peer: [`RtcPeer`] records every event, can
//! echo data-channel messages and media frames back, and counts what arrived; [`RtcPair`]
//! builds two of them on a simulated network and negotiates them by SDP.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sansrtc::dtls::Certificate;
use sansrtc::net::{Receive, Transmit};
use sansrtc::rtc::{ChannelId, Event, MediaFrame, PeerState};
use sansrtc::{Rtc, RtcConfig};

use crate::flights::FlightLedger;
use crate::sim::{HostId, LinkConfig, Peer, Realm, Sim};

/// One certificate per process for the two sides (key generation is the slow part of a
/// handshake; a test that checks certificates makes its own).
pub fn certificates() -> (Arc<Certificate>, Arc<Certificate>) {
    static CERTS: OnceLock<(Arc<Certificate>, Arc<Certificate>)> = OnceLock::new();
    CERTS
        .get_or_init(|| {
            let a = Certificate::generate().expect("certificate");
            let b = Certificate::generate().expect("certificate");
            (Arc::new(a), Arc::new(b))
        })
        .clone()
}

/// An [`Rtc`] on a simulated host.
pub struct RtcPeer {
    /// The peer connection.
    pub rtc: Rtc,
    /// Every event, in order (messages and frames included).
    pub events: Vec<Event>,
    /// Echo every data-channel message back on its channel.
    pub echo_messages: bool,
    /// Echo every received frame back on the same track.
    pub echo_frames: bool,
    /// Messages received: (channel, bytes).
    pub messages: Vec<(ChannelId, Vec<u8>)>,
    /// Frames received.
    pub frames: Vec<MediaFrame>,
    /// Datagrams sent, and when the first and last were.
    pub sent: u64,
    /// Echo sends the channel refused.
    pub echo_errors: u64,
    /// Numbers datagrams in one-way flights when set (see [`crate::flights`]).
    pub flights: Option<FlightLedger>,
    /// The highest flight received so far.
    pub depth: u32,
    /// The flight that delivered the first data-channel message.
    pub first_message_flight: Option<u32>,
    /// A message sent on the first channel that opens, as soon as it opens.
    pub greeting: Option<Vec<u8>>,
    rx: Vec<u8>,
}

impl RtcPeer {
    /// Wraps `rtc`.
    pub fn new(rtc: Rtc) -> Self {
        Self {
            rtc,
            events: Vec::new(),
            echo_messages: false,
            echo_frames: false,
            messages: Vec::new(),
            frames: Vec::new(),
            sent: 0,
            echo_errors: 0,
            flights: None,
            depth: 0,
            first_message_flight: None,
            greeting: None,
            rx: Vec::with_capacity(2048),
        }
    }

    /// A new peer connection at `now` with `cert`, RNG seeded by `seed`, a host candidate at
    /// `addr`.
    pub fn create(
        cert: Arc<Certificate>,
        seed: rand_chacha::ChaCha20Rng,
        now: Instant,
        addr: SocketAddr,
    ) -> Self {
        let mut rtc = Rtc::new(RtcConfig::new(cert), now, Box::new(seed));
        rtc.add_host_address(now, addr).expect("host address");
        Self::new(rtc)
    }

    /// The first channel the peer opened or we opened with `label`, once open.
    pub fn open_channel_labelled(&self, label: &str) -> Option<ChannelId> {
        self.events.iter().find_map(|e| match e {
            Event::ChannelOpen { id, label: l } if l == label => Some(*id),
            _ => None,
        })
    }

    /// Whether the peer connection reported `Connected` (DTLS up).
    pub fn is_connected(&self) -> bool {
        self.rtc.state() == PeerState::Connected
    }

    fn drain(&mut self, now: Instant) {
        while let Some(event) = self.rtc.poll_event() {
            match &event {
                Event::ChannelOpen { id, .. } => {
                    if let Some(greeting) = self.greeting.take()
                        && self.rtc.send(now, *id, &greeting, false).is_err()
                    {
                        self.echo_errors += 1;
                    }
                }
                Event::ChannelMessage { id, data, binary } => {
                    self.first_message_flight.get_or_insert(self.depth);
                    self.messages.push((*id, data.to_vec()));
                    if self.echo_messages && self.rtc.send(now, *id, data, *binary).is_err() {
                        self.echo_errors += 1;
                    }
                }
                Event::Frame(frame) => {
                    self.frames.push(frame.clone());
                    if self.echo_frames
                        && self
                            .rtc
                            .write_frame(
                                now,
                                &frame.mid,
                                Some(frame.pt),
                                frame.rtp_time,
                                &frame.data,
                            )
                            .is_err()
                    {
                        self.echo_errors += 1;
                    }
                }
                _ => {}
            }
            self.events.push(event);
        }
    }
}

impl Peer for RtcPeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        if let Some(ledger) = &self.flights {
            self.depth = self.depth.max(ledger.flight_of(rx.contents));
        }
        // The simulator lends its bytes; decrypt a copy in place.
        let mut buf = std::mem::take(&mut self.rx);
        buf.clear();
        buf.extend_from_slice(rx.contents);
        self.rtc
            .handle_datagram(now, Receive::udp(rx.source, rx.destination, &mut buf));
        self.rx = buf;
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.rtc.handle_timeout(now);
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let t = self.rtc.poll_transmit(now, buf);
        self.sent += u64::from(t.is_some());
        if let (Some(ledger), Some(t)) = (&self.flights, &t) {
            ledger.record(&buf[..t.len], self.depth + 1);
        }
        self.drain(now);
        t
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.rtc.poll_timeout()
    }
}

/// Two hosts on the public network with `link`, each with an [`RtcPeer`].
pub struct RtcPair {
    /// The simulator.
    pub sim: Sim,
    /// The offering host.
    pub a: HostId,
    /// The answering host.
    pub b: HostId,
}

/// The addresses of [`RtcPair`]'s hosts.
pub const ADDR_A: &str = "10.0.0.1:5000";
/// See [`ADDR_A`].
pub const ADDR_B: &str = "10.0.0.2:5000";

impl RtcPair {
    /// Two peers on `link` with RNGs from `seed`; nothing negotiated yet.
    pub fn new(seed: u64, link: LinkConfig) -> Self {
        Self::new_with(seed, link, |_, _| {})
    }

    /// As [`RtcPair::new`], with each configuration adjusted by `tweak`, which is told the
    /// host's name (`"a"` or `"b"`).
    pub fn new_with(seed: u64, link: LinkConfig, tweak: impl Fn(&str, &mut RtcConfig)) -> Self {
        let mut sim = Sim::new(seed);
        let now = sim.now();
        let (ca, cb) = certificates();
        let addr = |s: &str| s.parse::<SocketAddr>().expect("address");
        let ip = |s: &str| addr(s).ip();
        let peer = |cert, rng, a: &str| {
            let mut config = RtcConfig::new(cert);
            tweak(if a == ADDR_A { "a" } else { "b" }, &mut config);
            let mut rtc = Rtc::new(config, now, Box::new(rng));
            rtc.add_host_address(now, addr(a)).expect("host address");
            RtcPeer::new(rtc)
        };
        let pa = peer(ca, sim.peer_rng("a"), ADDR_A);
        let pb = peer(cb, sim.peer_rng("b"), ADDR_B);
        let a = sim.add_host("a", &[ip(ADDR_A)], Realm::Public, link, pa);
        let b = sim.add_host("b", &[ip(ADDR_B)], Realm::Public, link, pb);
        Self { sim, a, b }
    }

    /// The offering side.
    pub fn a(&mut self) -> &mut RtcPeer {
        self.sim.peer_mut::<RtcPeer>(self.a)
    }

    /// The answering side.
    pub fn b(&mut self) -> &mut RtcPeer {
        self.sim.peer_mut::<RtcPeer>(self.b)
    }

    /// Numbers both peers' datagrams in one-way flights from now on (see
    /// [`crate::flights`]); read [`RtcPeer::first_message_flight`].
    pub fn count_flights(&mut self) {
        let ledger = FlightLedger::new();
        self.a().flights = Some(ledger.clone());
        self.b().flights = Some(ledger);
    }

    /// `a` offers, `b` answers, `a` takes the answer: one exchange, at the current time.
    pub fn negotiate(&mut self) {
        let now = self.sim.now();
        let offer = self.a().rtc.create_offer(now).expect("offer");
        let answer = self.b().rtc.accept_offer(now, &offer).expect("answer");
        self.a()
            .rtc
            .accept_answer(now, &answer)
            .expect("accept answer");
    }

    /// Runs until both are connected, within `limit` of virtual time.
    pub fn connect(&mut self, limit: Duration) -> bool {
        let (a, b) = (self.a, self.b);
        self.sim.run_until_cond(limit, |s| {
            s.peer::<RtcPeer>(a).is_connected() && s.peer::<RtcPeer>(b).is_connected()
        })
    }
}

/// The IP of a socket address string (for hosts).
pub fn ip_of(s: &str) -> IpAddr {
    s.parse::<SocketAddr>().expect("address").ip()
}

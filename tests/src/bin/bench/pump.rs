//! Two peers in one thread, datagrams handed across in memory, on a virtual clock.
//!
//! [`Pair`] hands every datagram to the other peer at once (no latency): the fastest way to
//! push bytes through two stacks, for the throughput cases. Each exchange round moves the
//! clock on by [`ROUND_STEP`], so stacks that pace or delay (delayed SACK, pacers) see time
//! pass; when nothing moves, the clock jumps to the earliest deadline. [`DelayPair`] holds each
//! datagram for a fixed one-way delay, for the setup case, with its buffers recycled so the
//! harness itself does not allocate once warm.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansrtc::net::Receive;
use sansrtc_tests::interop::{InteropPeer, PeerConfig};

/// Virtual time per exchange round of [`Pair`].
const ROUND_STEP: Duration = Duration::from_micros(20);

/// The largest datagram any stack writes, and then some.
const BUF: usize = 65_535;

/// The offerer's and the answerer's addresses.
pub(crate) fn addrs() -> (SocketAddr, SocketAddr) {
    (
        "10.0.0.1:5000".parse().expect("address"),
        "10.0.0.2:5000".parse().expect("address"),
    )
}

/// Configurations for the two peers: no echo, nothing kept (counters only), no flight ledger.
pub(crate) fn configs(media: bool, packets: bool) -> (PeerConfig, PeerConfig) {
    let (a, b) = addrs();
    let config = |addr| {
        let mut c = PeerConfig::new(addr);
        c.echo = false;
        c.keep = false;
        c.media = media;
        c.packets = packets;
        // Room for a 1200-byte RTP payload with its headers and tag (our default is 1200
        // bytes per datagram; str0m and rtc have no such limit on written RTP).
        c.mtu = Some(1500);
        c
    };
    (config(a), config(b))
}

/// Two peers with no latency between them. `a` offers.
pub(crate) struct Pair<P> {
    pub(crate) a: P,
    pub(crate) b: P,
    pub(crate) now: Instant,
    buf: Vec<u8>,
}

impl<P: InteropPeer> Pair<P> {
    /// Builds both peers at `now` and negotiates (the offerer creates the channel and, with
    /// `media`, the tracks).
    pub(crate) fn new(now: Instant, media: bool, packets: bool) -> Self {
        Self::with_buf(now, media, packets, Vec::new())
    }

    /// Like [`Pair::new`], with `buf` as the datagram buffer (grown to its size if shorter).
    pub(crate) fn with_buf(now: Instant, media: bool, packets: bool, mut buf: Vec<u8>) -> Self {
        buf.resize(BUF, 0);
        let (ca, cb) = configs(media, packets);
        let mut a = P::build(now, &ca);
        let mut b = P::build(now, &cb);
        let offer = a.create_offer(now);
        let answer = b.accept_offer(now, &offer);
        a.accept_answer(now, &answer);
        Self { a, b, now, buf }
    }

    /// Takes the datagram buffer out (the pair cannot run until [`Pair::set_buf`]).
    pub(crate) fn take_buf(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Gives the pair a datagram buffer back.
    pub(crate) fn set_buf(&mut self, buf: Vec<u8>) {
        self.buf = buf;
        self.buf.resize(BUF, 0);
    }

    /// Runs until `done` holds or `limit` of virtual time passes; whether it held.
    pub(crate) fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// One round: every datagram either side has, handed across, then time moves on (by
    /// [`ROUND_STEP`], or to the next deadline when nothing moved) and due timers fire.
    pub(crate) fn step(&mut self) {
        let moved = self.exchange();
        let next = if moved {
            self.now + ROUND_STEP
        } else {
            let deadline = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            deadline.map_or(self.now + ROUND_STEP, |d| d.max(self.now + ROUND_STEP))
        };
        self.now = next;
        if self.a.poll_timeout().is_some_and(|t| t <= next) {
            self.a.handle_timeout(next);
        }
        if self.b.poll_timeout().is_some_and(|t| t <= next) {
            self.b.handle_timeout(next);
        }
    }

    /// Hands datagrams across until neither side has any; whether any moved.
    pub(crate) fn exchange(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        loop {
            let mut round = false;
            while let Some(t) = self.a.poll_transmit(now, &mut self.buf) {
                let rx = Receive::udp(t.source, t.destination, &mut self.buf[..t.len]);
                self.b.handle_datagram(now, rx);
                round = true;
            }
            while let Some(t) = self.b.poll_transmit(now, &mut self.buf) {
                let rx = Receive::udp(t.source, t.destination, &mut self.buf[..t.len]);
                self.a.handle_datagram(now, rx);
                round = true;
            }
            if !round {
                return moved;
            }
            moved = true;
        }
    }

    /// Runs until the channel is open on both sides (and, with media, both can send video).
    pub(crate) fn connect(&mut self, media: bool) {
        let ok = self.run_until(Duration::from_secs(30), |p| {
            let open = p.a.is_channel_open() && p.b.is_channel_open();
            let kind = sansrtc_tests::interop::MediaKind::Video;
            open && (!media || (p.a.can_send_media(kind) && p.b.can_send_media(kind)))
        });
        assert!(ok, "{}: not connected within 30 s", self.a.stack());
    }
}

/// A datagram in flight in a [`DelayPair`].
struct InFlight {
    at: Instant,
    flight: u32,
    to_b: bool,
    source: SocketAddr,
    destination: SocketAddr,
    len: usize,
    bytes: Vec<u8>,
}

/// Two peers with a fixed one-way delay between them, of the same stack or of two. `a` offers.
pub(crate) struct DelayPair<A, B = A> {
    pub(crate) a: A,
    pub(crate) b: B,
    pub(crate) now: Instant,
    delay: Duration,
    flight: VecDeque<InFlight>,
    spare: Vec<Vec<u8>>,
    /// The highest flight each side (a, b) has received (see the flight ledger in
    /// `sansrtc_tests::interop`).
    depth: [u32; 2],
    start: Instant,
    /// The receiver's flight when the first data-channel message arrived.
    first: Option<u32>,
    /// Print each datagram's flight and kind (`BENCH_TRACE=1`).
    trace: bool,
}

impl<A: InteropPeer, B: InteropPeer> DelayPair<A, B> {
    /// Builds both peers at `now` (not yet negotiated), `delay` apart.
    pub(crate) fn new(now: Instant, delay: Duration) -> Self {
        let (ca, cb) = configs(false, false);
        Self {
            a: A::build(now, &ca),
            b: B::build(now, &cb),
            now,
            delay,
            flight: VecDeque::with_capacity(256),
            spare: (0..256).map(|_| vec![0; BUF]).collect(),
            depth: [0; 2],
            start: now,
            first: None,
            trace: std::env::var_os("BENCH_TRACE").is_some(),
        }
    }

    /// Negotiates: `a` offers (creating the channel), `b` answers; SDP travels in zero time.
    pub(crate) fn negotiate(&mut self) {
        let now = self.now;
        let offer = self.a.create_offer(now);
        let answer = self.b.accept_offer(now, &offer);
        self.a.accept_answer(now, &answer);
    }

    /// Runs until `done` holds or `limit` passes; whether it held.
    pub(crate) fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        loop {
            self.collect();
            if done(self) {
                return true;
            }
            let deadline = [
                self.a.poll_timeout(),
                self.b.poll_timeout(),
                self.flight.front().map(|f| f.at),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = deadline else { return false };
            let next = next.max(self.now);
            if next > end {
                return false;
            }
            self.now = next;
            while self.flight.front().is_some_and(|f| f.at <= next) {
                let Some(mut f) = self.flight.pop_front() else {
                    break;
                };
                let side = usize::from(f.to_b);
                self.depth[side] = self.depth[side].max(f.flight);
                let rx = Receive::udp(f.source, f.destination, &mut f.bytes[..f.len]);
                let peer: &mut dyn InteropPeer = if f.to_b { &mut self.b } else { &mut self.a };
                peer.handle_datagram(next, rx);
                if self.first.is_none() && peer.state().first_message.is_some() {
                    self.first = Some(f.flight);
                }
                self.spare.push(f.bytes);
            }
            if self.a.poll_timeout().is_some_and(|t| t <= next) {
                self.a.handle_timeout(next);
            }
            if self.b.poll_timeout().is_some_and(|t| t <= next) {
                self.b.handle_timeout(next);
            }
        }
    }

    /// The flight at which the first data-channel message arrived (0 if none has).
    pub(crate) fn depth_at_first_message(&self) -> u32 {
        self.first.unwrap_or(0)
    }

    /// Takes what both sides have to send into flight.
    fn collect(&mut self) {
        let now = self.now;
        for to_b in [true, false] {
            loop {
                let mut bytes = self.spare.pop().unwrap_or_else(|| vec![0; BUF]);
                let peer: &mut dyn InteropPeer = if to_b { &mut self.a } else { &mut self.b };
                let Some(t) = peer.poll_transmit(now, &mut bytes) else {
                    self.spare.push(bytes);
                    break;
                };
                let flight = self.depth[usize::from(!to_b)] + 1;
                if self.trace {
                    let dir = if to_b { "a->b" } else { "b->a" };
                    let ms = now.duration_since(self.start).as_millis();
                    println!(
                        "  {ms:>4} ms {dir} flight {flight:>2} {}",
                        kind(&bytes[..t.len])
                    );
                }
                self.flight.push_back(InFlight {
                    at: now + self.delay,
                    flight,
                    to_b,
                    source: t.source,
                    destination: t.destination,
                    len: t.len,
                    bytes,
                });
            }
        }
    }
}

/// What a datagram carries, by its first bytes (RFC 7983 demultiplexing, then the DTLS content
/// type and handshake type of the first record), for the flight trace.
fn kind(d: &[u8]) -> String {
    match d.first().copied().unwrap_or(0) {
        0..=3 => format!(
            "STUN {:#06x}",
            u16::from_be_bytes([d[0], d.get(1).copied().unwrap_or(0)])
        ),
        20..=63 => {
            let ct = d[0];
            let name = match ct {
                20 => "ChangeCipherSpec".to_owned(),
                21 => "Alert".to_owned(),
                22 => format!("Handshake type {}", d.get(13).copied().unwrap_or(0)),
                23 => "ApplicationData (SCTP)".to_owned(),
                other => format!("content type {other}"),
            };
            format!("DTLS {name}, {} bytes", d.len())
        }
        128..=191 => format!("RTP/RTCP, {} bytes", d.len()),
        other => format!("first byte {other}"),
    }
}

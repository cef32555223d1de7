//! Two [`Rtc`]s in memory with no network between them: every datagram one writes is handed
//! to the other at once (or, with [`MemoryPair::relayed`], to a [`TurnRelay`] that hands it
//! on), and time moves a millisecond a step. For the allocation-counting tests, where the
//! simulator's own bookkeeping would blur the count.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::ice::IceConfig;
use sansrtc::net::{Receive, Transmit};
use sansrtc::rtc::{Event, RtpHeader};
use sansrtc::rtp::{Pt, RtpTimestamp, SeqNo};
use sansrtc::sdp::Mid;
use sansrtc::{Rtc, RtcConfig};

use crate::rtc::certificates;
use crate::sim::{Peer, TurnRelay};

/// The TURN server of [`MemoryPair::relayed`].
const RELAY: &str = "127.0.0.100:3478";

/// The pair; `a` at 127.0.0.1:5000, `b` at 127.0.0.2:5000 (addresses only: nothing is sent
/// on a socket).
pub struct MemoryPair {
    /// One side.
    pub a: Rtc,
    /// The other side.
    pub b: Rtc,
    /// The virtual time.
    pub now: Instant,
    /// The TURN server both peers relay through, if any.
    pub relay: Option<TurnRelay>,
    buf: Vec<u8>,
    rx: Vec<u8>,
}

impl MemoryPair {
    /// Two peers whose config `configure` adjusts, RNGs seeded 1 and 2; nothing negotiated.
    pub fn new(configure: impl Fn(&mut RtcConfig)) -> Self {
        let now = Instant::now();
        let (ca, cb) = certificates();
        let config = |cert| {
            let mut c = RtcConfig::new(cert);
            configure(&mut c);
            c
        };
        let mut a = Rtc::new(config(ca), now, Box::new(ChaCha20Rng::seed_from_u64(1)));
        let mut b = Rtc::new(config(cb), now, Box::new(ChaCha20Rng::seed_from_u64(2)));
        a.add_host_address(now, addr(0)).expect("host");
        b.add_host_address(now, addr(1)).expect("host");
        Self {
            a,
            b,
            now,
            relay: None,
            buf: vec![0; 2048],
            rx: vec![0; 2048],
        }
    }

    /// As [`new`](Self::new), but both peers are relay-only through a [`TurnRelay`] in memory;
    /// returns once both have their relayed candidate (negotiate next).
    pub fn relayed(configure: impl Fn(&mut RtcConfig)) -> Self {
        let server = TurnRelay::new(relay_addr(), "memory", "user", "pass");
        let client = server.client_config();
        let mut pair = Self::new(|c| {
            c.ice = IceConfig::default().relay_only(true);
            c.turn_servers = vec![client.clone()];
            configure(c);
        });
        pair.relay = Some(server);
        let mut gathered = 0;
        for _ in 0..10_000 {
            pair.step(|_, e| gathered += u32::from(matches!(e, Event::GatheringComplete)));
            if gathered == 2 {
                return pair;
            }
        }
        panic!("the peers did not gather their relayed candidates");
    }

    /// `a` offers, `b` answers, `a` takes the answer.
    pub fn negotiate(&mut self) {
        let offer = self.a.create_offer(self.now).expect("offer");
        let answer = self.b.accept_offer(self.now, &offer).expect("answer");
        self.a.accept_answer(self.now, &answer).expect("accept");
    }

    /// Steps until both report [`Event::Connected`]; panics after 10 s of virtual time.
    pub fn connect(&mut self) {
        let mut connected = 0;
        for _ in 0..10_000 {
            self.step(|_, e| connected += u32::from(matches!(e, Event::Connected)));
            if connected == 2 {
                return;
            }
        }
        panic!("the peers did not connect");
    }

    /// One millisecond: due timers, then every datagram each way until both are quiet;
    /// each event goes to `on_event` with whether it is `b`'s.
    pub fn step(&mut self, mut on_event: impl FnMut(bool, Event)) {
        self.now += Duration::from_millis(1);
        let now = self.now;
        for rtc in [&mut self.a, &mut self.b] {
            if rtc.poll_timeout().is_some_and(|at| at <= now) {
                rtc.handle_timeout(now);
            }
        }
        if let Some(relay) = &mut self.relay
            && relay.poll_timeout().is_some_and(|at| at <= now)
        {
            relay.handle_timeout(now);
        }
        loop {
            let mut moved = false;
            for from_a in [true, false] {
                loop {
                    let src = if from_a { &mut self.a } else { &mut self.b };
                    let Some(t) = src.poll_transmit(now, &mut self.buf) else {
                        break;
                    };
                    self.deliver(t);
                    moved = true;
                }
            }
            while let Some(t) = self
                .relay
                .as_mut()
                .and_then(|r| r.poll_transmit(now, &mut self.buf))
            {
                self.deliver(t);
                moved = true;
            }
            while let Some(e) = self.b.poll_event() {
                on_event(true, e);
            }
            while let Some(e) = self.a.poll_event() {
                on_event(false, e);
            }
            if !moved {
                break;
            }
        }
    }
}

impl MemoryPair {
    /// Writes `count` RTP packets carrying `payload` from `a` on track `mid` with payload type
    /// `pt`, 20 a millisecond, numbered from `seq` on; returns how many `b` reported as
    /// [`Event::Rtp`] (each checked to carry the whole payload). Panics when 1000 go missing.
    pub fn forward_rtp(
        &mut self,
        mid: Mid,
        pt: Pt,
        payload: &[u8],
        seq: &mut u16,
        count: u32,
    ) -> u32 {
        let (mut sent, mut got) = (0u32, 0u32);
        while got < count {
            for _ in 0..20 {
                if sent == count {
                    break;
                }
                let header = RtpHeader {
                    pt,
                    seq: SeqNo(*seq),
                    timestamp: RtpTimestamp(u32::from(*seq).wrapping_mul(3000)),
                    marker: true,
                };
                let now = self.now;
                self.a.write_rtp(now, &mid, header, payload).expect("rtp");
                *seq = seq.wrapping_add(1);
                sent += 1;
            }
            self.step(|_, e| {
                if let Event::Rtp(packet) = e {
                    assert_eq!(packet.payload.len(), payload.len());
                    got += 1;
                }
            });
            assert!(sent - got < 1000, "packets lost: sent {sent}, got {got}");
        }
        got
    }

    /// Hands the datagram in `buf` to whoever `t` is addressed to: the relay, `b` or `a`.
    fn deliver(&mut self, t: Transmit) {
        let now = self.now;
        let bytes = &mut self.rx[..t.len];
        bytes.copy_from_slice(&self.buf[..t.len]);
        let rx = Receive::udp(t.source, t.destination, bytes);
        match &mut self.relay {
            Some(relay) if t.destination.ip() == relay_addr().ip() => {
                relay.handle_datagram(now, rx);
            }
            _ if t.destination == addr(1) => self.b.handle_datagram(now, rx),
            _ => self.a.handle_datagram(now, rx),
        }
    }
}

fn relay_addr() -> SocketAddr {
    RELAY.parse().expect("addr")
}

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1 + i], 5000))
}

//! Two [`Rtc`]s in memory with no network between them: every datagram one writes is handed
//! to the other at once, and time moves a millisecond a step. For the allocation-counting
//! tests, where the simulator's own bookkeeping would blur the count.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::net::Receive;
use sansrtc::rtc::Event;
use sansrtc::{Rtc, RtcConfig};

use crate::rtc::certificates;

/// The pair; `a` at 127.0.0.1:5000, `b` at 127.0.0.2:5000 (addresses only: nothing is sent
/// on a socket).
pub struct MemoryPair {
    /// One side.
    pub a: Rtc,
    /// The other side.
    pub b: Rtc,
    /// The virtual time.
    pub now: Instant,
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
            buf: vec![0; 2048],
            rx: vec![0; 2048],
        }
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
        loop {
            let mut moved = false;
            for to_b in [true, false] {
                let (src, dst) = if to_b {
                    (&mut self.a, &mut self.b)
                } else {
                    (&mut self.b, &mut self.a)
                };
                while let Some(t) = src.poll_transmit(now, &mut self.buf) {
                    let bytes = &mut self.rx[..t.len];
                    bytes.copy_from_slice(&self.buf[..t.len]);
                    dst.handle_datagram(now, Receive::udp(t.source, t.destination, bytes));
                    moved = true;
                }
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

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1 + i], 5000))
}

//! Two sans-IO SCTP machines joined by an in-memory link with a fixed one-way latency and a
//! per-direction drop filter; virtual time jumps to the next thing due.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sansrtc::datachannel::DataChannels;
use sansrtc::sctp::Association;

/// Anything that speaks SCTP packets in the sansrtc vocabulary.
pub trait Machine {
    /// A packet arrived; the machine may modify it in place (decrypt it).
    fn handle_packet(&mut self, now: Instant, packet: &mut [u8]);
    /// Timers due.
    fn handle_timeout(&mut self, now: Instant);
    /// The next packet, if any.
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize>;
    /// The next deadline.
    fn poll_timeout(&self) -> Option<Instant>;
}

impl Machine for Association {
    fn handle_packet(&mut self, now: Instant, packet: &mut [u8]) {
        Self::handle_packet(self, now, packet);
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

impl Machine for DataChannels {
    fn handle_packet(&mut self, now: Instant, packet: &mut [u8]) {
        Self::handle_packet(self, now, packet);
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

/// A drop filter: sees each packet (its index in that direction and its bytes) and says
/// whether to drop it.
/// The largest packet the link carries (SCTP MTUs and DTLS datagrams are under it).
const PACKET_MAX: usize = 2048;

type DropFn = Box<dyn FnMut(u64, &[u8]) -> bool>;

/// One direction of the link.
struct Direction {
    /// Packets in flight: delivery time, buffer, length.
    queue: VecDeque<(Instant, Vec<u8>, usize)>,
    sent: u64,
    drop: Option<DropFn>,
}

/// Two machines `a` and `b` over a perfect (or scripted) in-memory link.
pub struct Pair<M: Machine> {
    /// The first machine.
    pub a: M,
    /// The second machine.
    pub b: M,
    now: Instant,
    epoch: Instant,
    latency: Duration,
    ab: Direction,
    ba: Direction,
    pool: Vec<Vec<u8>>,
}

impl<M: Machine> Pair<M> {
    /// Joins `a` and `b` with `latency` each way, starting at `epoch`.
    pub fn new(a: M, b: M, epoch: Instant, latency: Duration) -> Self {
        let dir = || Direction {
            queue: VecDeque::with_capacity(4096),
            sent: 0,
            drop: None,
        };
        Self {
            a,
            b,
            now: epoch,
            epoch,
            latency,
            ab: dir(),
            ba: dir(),
            pool: (0..4096).map(|_| vec![0; PACKET_MAX]).collect(),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.epoch
    }

    /// Drops packets from `a` to `b` for which `f` says so.
    pub fn drop_a_to_b(&mut self, f: impl FnMut(u64, &[u8]) -> bool + 'static) {
        self.ab.drop = Some(Box::new(f));
    }

    /// Drops packets from `b` to `a` for which `f` says so.
    pub fn drop_b_to_a(&mut self, f: impl FnMut(u64, &[u8]) -> bool + 'static) {
        self.ba.drop = Some(Box::new(f));
    }

    /// Packets sent a to b and b to a so far.
    pub fn sent(&self) -> (u64, u64) {
        (self.ab.sent, self.ba.sent)
    }

    fn drain(m: &mut M, dir: &mut Direction, pool: &mut Vec<Vec<u8>>, now: Instant, at: Instant) {
        loop {
            // Written straight into a pooled packet buffer: no copy on the way.
            let mut v = pool.pop().unwrap_or_else(|| vec![0; PACKET_MAX]);
            let Some(n) = m.poll_transmit(now, &mut v) else {
                pool.push(v);
                break;
            };
            let index = dir.sent;
            dir.sent += 1;
            if let Some(drop) = &mut dir.drop
                && drop(index, &v[..n])
            {
                pool.push(v);
                continue;
            }
            dir.queue.push_back((at, v, n));
        }
    }

    /// Sends what both sides have, then advances to the next delivery or deadline and
    /// handles it. Returns `false` when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let at = self.now + self.latency;
        Self::drain(&mut self.a, &mut self.ab, &mut self.pool, self.now, at);
        Self::drain(&mut self.b, &mut self.ba, &mut self.pool, self.now, at);
        let next = [
            self.ab.queue.front().map(|(t, ..)| *t),
            self.ba.queue.front().map(|(t, ..)| *t),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        if next > self.now {
            self.now = next;
        }
        let now = self.now;
        while self.ab.queue.front().is_some_and(|(t, ..)| *t <= now) {
            if let Some((_, mut v, n)) = self.ab.queue.pop_front() {
                self.b.handle_packet(now, &mut v[..n]);
                self.pool.push(v);
            }
        }
        while self.ba.queue.front().is_some_and(|(t, ..)| *t <= now) {
            if let Some((_, mut v, n)) = self.ba.queue.pop_front() {
                self.a.handle_packet(now, &mut v[..n]);
                self.pool.push(v);
            }
        }
        if self.a.poll_timeout().is_some_and(|t| t <= now) {
            self.a.handle_timeout(now);
        }
        if self.b.poll_timeout().is_some_and(|t| t <= now) {
            self.b.handle_timeout(now);
        }
        true
    }

    /// Steps until `cond` holds or `limit` of virtual time has passed; returns whether it
    /// held. `cond` may also drive the machines (send, poll events).
    pub fn run_until(&mut self, limit: Duration, mut cond: impl FnMut(&mut Self) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            if cond(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return cond(self);
            }
        }
    }
}

//! Access links: each host has one, with an uplink (host to network) and a downlink (network
//! to host) configured separately, after netem and str0m's `netem` crate.
//!
//! A datagram entering a link direction at time `t` goes through, in this order:
//!
//! 1. MTU: longer than [`LinkDirection::mtu`] bytes is dropped ([`DropCause::Mtu`]).
//! 2. Loss: [`LossModel`] decides ([`DropCause::Loss`]).
//! 3. Bandwidth: with [`LinkDirection::rate_bps`] set, the link serialises datagrams one after
//!    another at that rate. The backlog (bytes queued or being serialised) is bounded by
//!    [`LinkDirection::queue_bytes`]; a datagram that would exceed it is tail-dropped
//!    ([`DropCause::Queue`]). It leaves the queue once its last bit is out.
//! 4. Delay: [`LinkDirection::latency`] plus a uniform draw in `[0, jitter]`. Datagrams keep
//!    their order (a datagram never arrives before the one sent ahead of it), except:
//! 5. Reordering: with probability [`LinkDirection::reorder`] a datagram is held back an extra
//!    [`LinkDirection::reorder_delay`] and skips the ordering rule, so later ones overtake it.
//! 6. Duplication: with probability [`LinkDirection::duplicate`] a second copy arrives at the
//!    same instant, right after the first.
//!
//! Sizes are UDP payload bytes: IP and UDP headers are not modelled.
//!
//! Every direction owns a `ChaCha8Rng` derived from the scenario seed, so changing one link's
//! traffic never changes another link's random choices.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use super::seed::unit;
use super::trace::DropCause;

/// How a link direction loses datagrams.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum LossModel {
    /// Nothing is lost.
    None,
    /// Each datagram is lost independently with this probability (`0.0..=1.0`).
    Random(f64),
    /// Gilbert-Elliott: a two-state Markov chain whose state changes before each datagram,
    /// with a loss probability per state. Models bursty loss.
    GilbertElliott {
        /// Probability of moving from the good state to the bad one.
        good_to_bad: f64,
        /// Probability of moving from the bad state back to the good one.
        bad_to_good: f64,
        /// Loss probability in the good state (often 0).
        loss_good: f64,
        /// Loss probability in the bad state (often 1).
        loss_bad: f64,
    },
}

/// One direction of an access link. Start from [`LinkDirection::default`] (an ideal link:
/// no delay, no loss, unlimited rate, 1472-byte MTU) and set fields or use the `with_*`
/// helpers.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LinkDirection {
    /// Fixed one-way propagation delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `[0, jitter]` per datagram (order is kept).
    pub jitter: Duration,
    /// The loss model.
    pub loss: LossModel,
    /// Probability that a datagram is duplicated.
    pub duplicate: f64,
    /// Probability that a datagram is delayed by `reorder_delay` and may be overtaken.
    pub reorder: f64,
    /// The extra delay of a reordered datagram.
    pub reorder_delay: Duration,
    /// Bandwidth in bits per second; `None` is unlimited (no serialisation delay).
    pub rate_bps: Option<u64>,
    /// Bound on the backlog in bytes when `rate_bps` is set (tail drop beyond it).
    pub queue_bytes: usize,
    /// The largest datagram (UDP payload bytes) that passes. The default, 1472, is an
    /// Ethernet MTU of 1500 less the IPv4 and UDP headers.
    pub mtu: usize,
}

impl Default for LinkDirection {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: LossModel::None,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::ZERO,
            rate_bps: None,
            queue_bytes: 64 * 1024,
            mtu: 1472,
        }
    }
}

impl LinkDirection {
    /// Sets the one-way latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the jitter bound.
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets independent random loss with probability `p`.
    pub fn with_loss(mut self, p: f64) -> Self {
        self.loss = LossModel::Random(p);
        self
    }

    /// Sets the loss model.
    pub fn with_loss_model(mut self, loss: LossModel) -> Self {
        self.loss = loss;
        self
    }

    /// Sets the duplication probability.
    pub fn with_duplicate(mut self, p: f64) -> Self {
        self.duplicate = p;
        self
    }

    /// Delays a fraction `p` of datagrams by an extra `delay`, letting later ones overtake.
    pub fn with_reorder(mut self, p: f64, delay: Duration) -> Self {
        self.reorder = p;
        self.reorder_delay = delay;
        self
    }

    /// Limits the rate to `bps` bits per second with a `queue_bytes` backlog bound.
    pub fn with_rate(mut self, bps: u64, queue_bytes: usize) -> Self {
        self.rate_bps = Some(bps);
        self.queue_bytes = queue_bytes;
        self
    }

    /// Sets the MTU (largest UDP payload that passes).
    pub fn with_mtu(mut self, mtu: usize) -> Self {
        self.mtu = mtu;
        self
    }
}

/// A host's access link: `up` carries the host's datagrams to the network, `down` carries
/// datagrams from the network to the host. A datagram from A to B crosses A's `up`, any NATs
/// (which add no delay), then B's `down`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct LinkConfig {
    /// Host to network.
    pub up: LinkDirection,
    /// Network to host.
    pub down: LinkDirection,
}

impl LinkConfig {
    /// An ideal link both ways (see [`LinkDirection::default`]).
    pub fn ideal() -> Self {
        Self::default()
    }

    /// The same settings both ways.
    pub fn symmetric(dir: LinkDirection) -> Self {
        Self { up: dir, down: dir }
    }

    /// Separate settings per direction.
    pub fn new(up: LinkDirection, down: LinkDirection) -> Self {
        Self { up, down }
    }

    /// Both ways ideal except for a fixed `latency` each way.
    pub fn with_latency(latency: Duration) -> Self {
        Self::symmetric(LinkDirection::default().with_latency(latency))
    }
}

/// What a link direction did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transit {
    /// Dropped inside the link.
    Dropped(DropCause),
    /// Arrives at the far end at `at`; a duplicate, if any, at `duplicate`.
    Pass {
        at: Instant,
        duplicate: Option<Instant>,
    },
}

/// The running state of one link direction.
#[derive(Debug)]
pub(super) struct LinkState {
    pub(super) config: LinkDirection,
    rng: ChaCha8Rng,
    /// Gilbert-Elliott: in the bad state.
    bad: bool,
    /// When the serialiser is free again.
    busy_until: Instant,
    /// Arrival time of the last in-order datagram, so jitter does not reorder.
    last_arrival: Instant,
}

impl LinkState {
    pub(super) fn new(config: LinkDirection, rng: ChaCha8Rng, epoch: Instant) -> Self {
        Self {
            config,
            rng,
            bad: false,
            busy_until: epoch,
            last_arrival: epoch,
        }
    }

    /// Runs a `len`-byte datagram that enters the link at `now` through the steps in the
    /// module docs. Allocates nothing.
    pub(super) fn transit(&mut self, now: Instant, len: usize) -> Transit {
        let c = self.config;
        if len > c.mtu {
            return Transit::Dropped(DropCause::Mtu);
        }
        if self.lose() {
            return Transit::Dropped(DropCause::Loss);
        }
        let mut depart = now;
        if let Some(bps) = c.rate_bps.filter(|&b| b > 0) {
            let start = self.busy_until.max(now);
            // Bytes still queued or being serialised at `now`.
            let backlog = (start - now).as_nanos() * u128::from(bps) / 8 / 1_000_000_000;
            if backlog + len as u128 > c.queue_bytes as u128 {
                return Transit::Dropped(DropCause::Queue);
            }
            let nanos = (len as u128 * 8 * 1_000_000_000).div_ceil(u128::from(bps));
            self.busy_until = start + Duration::from_nanos(nanos as u64);
            depart = self.busy_until;
        }
        let mut at = depart + c.latency;
        if !c.jitter.is_zero() {
            let span = c.jitter.as_nanos() as u64;
            at += Duration::from_nanos(self.rng.next_u64() % (span + 1));
        }
        if c.reorder > 0.0 && unit(&mut self.rng) < c.reorder {
            at += c.reorder_delay;
        } else {
            at = at.max(self.last_arrival);
            self.last_arrival = at;
        }
        let duplicate = (c.duplicate > 0.0 && unit(&mut self.rng) < c.duplicate).then_some(at);
        Transit::Pass { at, duplicate }
    }

    fn lose(&mut self) -> bool {
        match self.config.loss {
            LossModel::None => false,
            LossModel::Random(p) => p > 0.0 && unit(&mut self.rng) < p,
            LossModel::GilbertElliott {
                good_to_bad,
                bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let flip = if self.bad { bad_to_good } else { good_to_bad };
                if unit(&mut self.rng) < flip {
                    self.bad = !self.bad;
                }
                let p = if self.bad { loss_bad } else { loss_good };
                p > 0.0 && unit(&mut self.rng) < p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed::sim_rng;

    fn state(config: LinkDirection) -> (LinkState, Instant) {
        let epoch = Instant::now();
        (LinkState::new(config, sim_rng(1, "t", 0), epoch), epoch)
    }

    fn arrival(t: Transit) -> Instant {
        match t {
            Transit::Pass { at, .. } => at,
            Transit::Dropped(c) => panic!("dropped: {c:?}"),
        }
    }

    #[test]
    fn serialisation_and_tail_drop() {
        // 1 Mbit/s: 1250 bytes take 10 ms. Queue of 2500 bytes holds two datagrams.
        let dir = LinkDirection::default().with_rate(1_000_000, 2500);
        let (mut link, t0) = state(dir);
        assert_eq!(
            arrival(link.transit(t0, 1250)),
            t0 + Duration::from_millis(10)
        );
        assert_eq!(
            arrival(link.transit(t0, 1250)),
            t0 + Duration::from_millis(20)
        );
        assert_eq!(link.transit(t0, 1250), Transit::Dropped(DropCause::Queue));
        // After 10 ms one datagram has left, so one more fits.
        let t = t0 + Duration::from_millis(10);
        assert_eq!(
            arrival(link.transit(t, 1250)),
            t0 + Duration::from_millis(30)
        );
    }

    #[test]
    fn jitter_keeps_order() {
        let dir = LinkDirection::default()
            .with_latency(Duration::from_millis(10))
            .with_jitter(Duration::from_millis(50));
        let (mut link, t0) = state(dir);
        let mut last = t0;
        for i in 0..1000 {
            let at = arrival(link.transit(t0 + Duration::from_millis(i), 100));
            assert!(at >= last);
            assert!(at >= t0 + Duration::from_millis(i + 10));
            last = at;
        }
    }

    #[test]
    fn gilbert_elliott_losses_come_in_bursts() {
        let ge = LossModel::GilbertElliott {
            good_to_bad: 0.01,
            bad_to_good: 0.2,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        let (mut link, t0) = state(LinkDirection::default().with_loss_model(ge));
        let lost: Vec<bool> = (0..20_000)
            .map(|_| link.transit(t0, 10) == Transit::Dropped(DropCause::Loss))
            .collect();
        let losses = lost.iter().filter(|&&l| l).count();
        // Stationary loss = 0.01 / (0.01 + 0.2) ~ 4.8 %; mean burst length 1 / 0.2 = 5.
        assert!((500..1500).contains(&losses), "{losses}");
        let bursts = lost.windows(2).filter(|w| !w[0] && w[1]).count();
        let mean_burst = losses as f64 / bursts as f64;
        assert!(mean_burst > 3.0, "mean burst {mean_burst}");
    }
}

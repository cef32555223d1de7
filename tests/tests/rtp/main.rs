//! RTP scenarios in the deterministic simulator: NACK/RTX loss recovery and RTCP report
//! figures, over SRTP. One test binary, one module per behaviour.

mod nack;
mod props;
mod report;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sansrtc_tests::media::{MediaReceiver, MediaSender};
use sansrtc_tests::sim::{HostId, LinkConfig, LinkDirection, Realm, Sim, seed_from_env};

/// One-way latency of each link direction; a path crosses two, so RTT is 4 times this.
const LATENCY: Duration = Duration::from_millis(25);

/// A sender and a receiver, each on its own access link.
struct MediaScenario {
    sim: Sim,
    sender: HostId,
    receiver: HostId,
}

impl MediaScenario {
    /// `count` packets from sequence number `first_seq`; `loss` on the media path (sender
    /// uplink) and on the RTCP path (receiver uplink); `jitter` on the sender uplink.
    fn new(seed: u64, count: u32, first_seq: u16, loss: f64, jitter: Duration) -> Self {
        let mut sim = Sim::new(seed_from_env(seed));
        let epoch = sim.epoch();
        // Wall clock for NTP times: a fixed value, never read.
        let wall: SystemTime = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let up = LinkDirection::default()
            .with_latency(LATENCY)
            .with_loss(loss);
        let down = LinkDirection::default().with_latency(LATENCY);
        let sender_link = LinkConfig::new(up.with_jitter(jitter), down);
        let receiver_link = LinkConfig::new(up, down);
        let sender = sim.add_host(
            "sender",
            &[a.ip()],
            Realm::Public,
            sender_link,
            MediaSender::new(a, b, epoch, wall, count, first_seq),
        );
        let receiver = sim.add_host(
            "receiver",
            &[b.ip()],
            Realm::Public,
            receiver_link,
            MediaReceiver::new(b, a, epoch, 4 * LATENCY + Duration::from_millis(20)),
        );
        Self {
            sim,
            sender,
            receiver,
        }
    }

    fn sender(&self) -> &MediaSender {
        self.sim.peer::<MediaSender>(self.sender)
    }

    fn receiver(&self) -> &MediaReceiver {
        self.sim.peer::<MediaReceiver>(self.receiver)
    }

    /// The sequence numbers the sender sent whose originals never arrived.
    fn lost(&self, first_seq: u16) -> Vec<u16> {
        (0..self.sender().sent())
            .map(|n| first_seq.wrapping_add(n as u16))
            .filter(|s| !self.receiver().received.contains(s))
            .collect()
    }
}

//! [`DataChannels`] as a simulator peer, with a sending workload and per-channel checkers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use sansrtc::datachannel::{ChannelEvent, DataChannels};
use sansrtc::net::{Receive, Transmit, Transport};
use sansrtc::sctp::wire::StreamId;

use super::workload::{Checker, write_message};
use crate::sim::Peer;

/// The default for [`ChannelPeer::high_water`].
const HIGH_WATER: usize = 128 * 1024;

/// What one channel sends.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The channel.
    pub id: StreamId,
    /// Stop after this many bytes.
    pub target: usize,
    /// Bytes handed to `send` so far.
    pub sent: usize,
    /// The next message's sequence number (= messages sent).
    pub next_seq: u32,
}

/// A [`DataChannels`] on a simulated host, sending workloads and checking what it receives.
pub struct ChannelPeer {
    /// The machine.
    pub dc: DataChannels,
    local: SocketAddr,
    remote: SocketAddr,
    /// Channels this peer sends on.
    pub outgoing: Vec<Outgoing>,
    /// Per-channel checkers of received messages, with whether the channel is ordered.
    pub checkers: BTreeMap<u16, (bool, Checker)>,
    /// Every non-message event, with when it came.
    pub events: Vec<(Instant, ChannelEvent)>,
    /// (time, cwnd, ssthresh) samples taken at every poll.
    pub cwnd_trace: Vec<(Instant, usize, usize)>,
    /// Whether to record `cwnd_trace`.
    pub trace_cwnd: bool,
    /// The pump keeps each channel's buffered amount under this.
    pub high_water: usize,
    scratch: Vec<u8>,
}

impl ChannelPeer {
    /// Wraps `dc`, sending from `local` to `remote`.
    pub fn new(dc: DataChannels, local: SocketAddr, remote: SocketAddr) -> Self {
        Self {
            dc,
            local,
            remote,
            outgoing: Vec::new(),
            checkers: BTreeMap::new(),
            events: Vec::new(),
            cwnd_trace: Vec::new(),
            trace_cwnd: false,
            high_water: HIGH_WATER,
            scratch: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends `target` bytes of workload messages on `id`.
    pub fn send_workload(&mut self, id: StreamId, target: usize) {
        self.outgoing.push(Outgoing {
            id,
            target,
            sent: 0,
            next_seq: 0,
        });
    }

    /// Whether every workload has been handed to the association.
    pub fn all_queued(&self) -> bool {
        self.outgoing.iter().all(|o| o.sent >= o.target)
    }

    /// Whether the association has nothing left to send or acknowledge.
    pub fn idle(&self) -> bool {
        self.dc.association().send_buffered() == 0
    }

    /// Tops up every workload channel to the high-water mark.
    pub fn pump(&mut self, now: Instant) {
        for o in &mut self.outgoing {
            while o.sent < o.target && self.dc.buffered_amount(o.id) < self.high_water {
                write_message(o.next_seq, &mut self.scratch);
                match self.dc.send(now, o.id, &self.scratch, true) {
                    Ok(()) => {
                        o.sent += self.scratch.len();
                        o.next_seq += 1;
                    }
                    Err(_) => break,
                }
            }
        }
    }

    /// Drains events into the checkers and the log.
    pub fn drain(&mut self, now: Instant) {
        while let Some(event) = self.dc.poll_event() {
            match event {
                ChannelEvent::Message { id, data, .. } => {
                    let ordered = self.dc.channel(id).is_none_or(|c| c.ordered);
                    let entry = self
                        .checkers
                        .entry(id.0)
                        .or_insert_with(|| (ordered, Checker::default()));
                    entry.1.check(&data, entry.0);
                }
                other => self.events.push((now, other)),
            }
        }
        if self.trace_cwnd {
            let a = self.dc.association();
            self.cwnd_trace.push((now, a.cwnd(), a.ssthresh()));
        }
    }
}

impl Peer for ChannelPeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.dc.handle_packet(now, rx.contents);
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.dc.handle_timeout(now);
        self.drain(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.pump(now);
        let len = self.dc.poll_transmit(now, buf)?;
        self.drain(now);
        Some(Transmit {
            source: self.local,
            destination: self.remote,
            transport: Transport::Udp,
            len,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.dc.poll_timeout()
    }
}

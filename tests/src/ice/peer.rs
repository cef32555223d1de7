//! Sans-IO machines wrapped as simulator peers: an ICE agent with its RNG, and a STUN server.

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use sansrtc::ice::{Agent, Candidate, IceConnectionState, IceEvent, RelayInput};
use sansrtc::net::{Receive, Transmit};
use sansrtc::stun::{Responder, ResponderConfig};

use crate::sim::Peer;

/// An [`Agent`] and the RNG it borrows, logging every event with the virtual time it came.
pub struct IcePeer {
    /// The agent under test. Commands may be called on it between simulator steps.
    pub agent: Agent,
    /// The RNG lent to the agent's drawing methods.
    pub rng: ChaCha20Rng,
    events: Vec<(Instant, IceEvent)>,
    /// Local candidates not yet taken by the signalling loop.
    unsignalled: Vec<Candidate>,
    /// Whether `GatheringComplete` was seen and not yet taken by the signalling loop.
    gathering_done: bool,
    last_now: Option<Instant>,
    /// Received datagrams, kept only when capturing (fuzz corpus seeds).
    captured: Option<Vec<Vec<u8>>>,
}

impl IcePeer {
    /// Wraps `agent`, lending it `rng`.
    pub fn new(agent: Agent, rng: ChaCha20Rng) -> Self {
        Self {
            agent,
            rng,
            events: Vec::new(),
            unsignalled: Vec::new(),
            gathering_done: false,
            last_now: None,
            captured: None,
        }
    }

    /// Keeps a copy of every datagram received from now on (for fuzz corpus seeds).
    pub fn capture(&mut self) {
        self.captured.get_or_insert_with(Vec::new);
    }

    /// The datagrams captured so far.
    pub fn captured(&self) -> &[Vec<u8>] {
        self.captured.as_deref().unwrap_or_default()
    }

    /// Every event so far, with the virtual time it was polled.
    pub fn events(&self) -> &[(Instant, IceEvent)] {
        &self.events
    }

    /// Every connection state the agent went through, with when.
    pub fn states(&self) -> impl Iterator<Item = (Instant, IceConnectionState)> + '_ {
        self.events.iter().filter_map(|(t, e)| match e {
            IceEvent::StateChanged(s) => Some((*t, *s)),
            _ => None,
        })
    }

    /// When the agent first entered `state`, if it did.
    pub fn first_time_in(&self, state: IceConnectionState) -> Option<Instant> {
        self.states().find(|(_, s)| *s == state).map(|(t, _)| t)
    }

    /// Takes the local candidates gathered since the last call (for trickle signalling).
    pub fn take_candidates(&mut self) -> Vec<Candidate> {
        std::mem::take(&mut self.unsignalled)
    }

    /// Takes the end-of-candidates signal, once.
    pub fn take_gathering_done(&mut self) -> bool {
        std::mem::take(&mut self.gathering_done)
    }

    /// Drains the agent's events into the log. The simulator calls this through
    /// `poll_transmit`; tests call it after commands.
    pub fn drain_events(&mut self, now: Instant) {
        while let Some(event) = self.agent.poll_event() {
            match &event {
                IceEvent::LocalCandidate(c) => self.unsignalled.push(c.clone()),
                IceEvent::GatheringComplete => self.gathering_done = true,
                _ => {}
            }
            self.events.push((now, event));
        }
    }

    /// The latest time the simulator handed this peer.
    pub fn last_now(&self) -> Option<Instant> {
        self.last_now
    }
}

impl Peer for IcePeer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.last_now = Some(now);
        if let Some(captured) = &mut self.captured {
            captured.push(rx.contents.to_vec());
        }
        // TURN traffic first: relayed data comes back addressed to the relayed candidate,
        // control messages are taken in (a no-op without TURN servers).
        let rx = match self.agent.handle_relay(now, rx) {
            RelayInput::Direct(rx) | RelayInput::Relayed(rx) => rx,
            RelayInput::Consumed => return self.drain_events(now),
        };
        // Only STUN is expected here; the agent counts what is not for it.
        self.agent.handle_stun(now, &rx, &mut self.rng);
        self.drain_events(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        self.agent.handle_timeout(now, &mut self.rng);
        self.drain_events(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.last_now = Some(now);
        let transmit = self.agent.poll_transmit(now, buf);
        self.drain_events(now);
        transmit
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.agent.poll_timeout()
    }
}

/// A public STUN server: the core's sans-IO [`Responder`].
pub struct StunServer {
    /// The responder, for its statistics.
    pub responder: Responder,
}

impl StunServer {
    /// A responder with the default configuration.
    pub fn new() -> Self {
        Self {
            responder: Responder::new(ResponderConfig::default()),
        }
    }
}

impl Default for StunServer {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer for StunServer {
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        self.responder.handle_stun(now, &rx);
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        self.responder.poll_transmit(now, buf)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.responder.poll_timeout()
    }
}

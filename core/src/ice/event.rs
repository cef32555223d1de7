//! What the agent tells the application: events, connection states and roles.

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::ice::Candidate;
use crate::turn::TurnError;

/// The ICE role of an agent (RFC 8445 section 6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Decides which pair is used by nominating it (usually the offerer).
    Controlling,
    /// Uses the pair the controlling agent nominates.
    Controlled,
}

impl Role {
    /// The other role.
    pub fn opposite(self) -> Self {
        match self {
            Self::Controlling => Self::Controlled,
            Self::Controlled => Self::Controlling,
        }
    }
}

/// The connection state of an agent, after `RTCIceConnectionState` (W3C WebRTC section 5.6).
///
/// ```text
///   New ──> Checking ──> Connected ──> Completed
///              │            │  ^           │
///              │            v  │           v
///              │        Disconnected <─────┘
///              v            │
///            Failed <───────┘        (any) ──close()──> Closed
/// ```
///
/// `Connected`/`Completed` fall to `Failed` when consent is lost; `Failed` goes back to `New`
/// (then `Checking`) only through [`Agent::restart`](super::Agent::restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IceConnectionState {
    /// Gathering or waiting for the remote credentials and candidates.
    New,
    /// Checks are running (or, for ice-lite, being answered) and no pair is selected yet.
    Checking,
    /// A nominated pair is selected; checks may continue on other pairs.
    Connected,
    /// A pair is selected, end-of-candidates was received and every check has finished.
    Completed,
    /// The selected pair stopped answering consent checks for
    /// [`IceConfig::disconnected_timeout`](super::IceConfig::disconnected_timeout); it goes
    /// back to the previous state when answers resume.
    Disconnected,
    /// Every pair failed, or consent was lost (RFC 7675). Nothing more is sent until
    /// [`Agent::restart`](super::Agent::restart).
    Failed,
    /// [`Agent::close`](super::Agent::close) was called. Terminal.
    Closed,
}

/// Something the application should know, from [`Agent::poll_event`](super::Agent::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// The connection state changed.
    StateChanged(IceConnectionState),
    /// A new local candidate (host, server-reflexive or relayed) to signal to the peer.
    LocalCandidate(Candidate),
    /// Every local candidate of this generation has been reported (signal end-of-candidates).
    GatheringComplete,
    /// A new pair is selected: send application data from `local` (a base: the driver's
    /// socket address, or a relayed address, whose datagrams go through
    /// [`Agent::wrap_relayed`](super::Agent::wrap_relayed)) to `remote`. Also reported after an ICE restart when the new session's
    /// pair is selected, even if it has the same addresses as the old one.
    SelectedPairChanged {
        /// The local base.
        local: SocketAddr,
        /// The remote address.
        remote: SocketAddr,
    },
    /// The role changed to resolve a role conflict (RFC 8445 section 7.3.1.1).
    RoleChanged(Role),
    /// A TURN allocation failed or was lost: no relayed candidate from `server` (any already
    /// signalled stops working).
    RelayFailed {
        /// The TURN server.
        server: SocketAddr,
        /// Why.
        error: TurnError,
    },
}

/// Events waiting for [`Agent::poll_event`](super::Agent::poll_event): more than a drained
/// agent ever holds (one call reports at most a handful), so only a caller that never drains
/// reaches it. The storage is reserved at construction and never grows past it.
pub(crate) const EVENT_LIMIT: usize = 128;

/// Past this many undrained events, a new event replaces an older one it supersedes (the
/// previous state, role or selected pair, a repeated report of the same candidate), so a peer
/// that makes the state flap cannot fill the queue with stale events.
const COALESCE_AT: usize = 32;

/// The agent's event queue: a `VecDeque` bounded by [`EVENT_LIMIT`].
///
/// Below [`COALESCE_AT`] events it is a plain FIFO. Above, superseded events are dropped; at
/// the limit, the oldest event is dropped.
#[derive(Debug)]
pub(crate) struct EventQueue {
    queue: VecDeque<IceEvent>,
}

impl EventQueue {
    pub(crate) fn new() -> Self {
        Self {
            // Grows to the events actually queued (bounded by EVENT_LIMIT).
            queue: VecDeque::new(),
        }
    }

    pub(crate) fn push_back(&mut self, event: IceEvent) {
        if self.queue.len() >= COALESCE_AT
            && let Some(i) = self.queue.iter().position(|old| supersedes(&event, old))
        {
            self.queue.remove(i);
        }
        if self.queue.len() >= EVENT_LIMIT {
            self.queue.pop_front();
        }
        self.queue.push_back(event);
    }

    pub(crate) fn pop_front(&mut self) -> Option<IceEvent> {
        self.queue.pop_front()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Whether `new` makes `old` stale for an application that reads both only now.
fn supersedes(new: &IceEvent, old: &IceEvent) -> bool {
    match (new, old) {
        (IceEvent::StateChanged(_), IceEvent::StateChanged(_))
        | (IceEvent::RoleChanged(_), IceEvent::RoleChanged(_))
        | (IceEvent::SelectedPairChanged { .. }, IceEvent::SelectedPairChanged { .. })
        | (IceEvent::GatheringComplete, IceEvent::GatheringComplete) => true,
        (IceEvent::LocalCandidate(a), IceEvent::LocalCandidate(b)) => a == b,
        _ => false,
    }
}

//! The agent's timers: one deadline per kind, the earliest is what `poll_timeout` returns.

use std::time::Instant;

/// The kinds of deadline the agent keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Ta (RFC 8445 section 14.2): the next new STUN transaction, a check or a gathering
    /// request, may start.
    Pacing = 0,
    /// The earliest retransmission or timeout of a check or gathering transaction.
    Transaction = 1,
    /// The controlling agent stops waiting for better pairs and nominates the best valid one.
    Nomination = 2,
    /// The next consent freshness check on the selected pair (RFC 7675 section 5.1).
    Consent = 3,
    /// The next keepalive on the selected pair (RFC 8445 section 11).
    Keepalive = 4,
    /// A consent check has been unanswered long enough to report Disconnected.
    Disconnected = 5,
    /// Consent expires (RFC 7675 section 5.1: 30 s without a response).
    ConsentExpiry = 6,
    /// The check list has nothing left to try and trickle ICE has waited long enough.
    Fail = 7,
    /// Something is due at once (an event to emit from `handle_timeout`).
    Immediate = 8,
    /// A TURN allocation's retransmission, timeout or refresh.
    Relay = 9,
}

const COUNT: usize = 10;

/// A fixed array of optional deadlines, indexed by [`Timer`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn set_opt(&mut self, timer: Timer, at: Option<Instant>) {
        self.data[timer as usize] = at;
    }

    pub(crate) fn stop_all(&mut self) {
        self.data = [None; COUNT];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

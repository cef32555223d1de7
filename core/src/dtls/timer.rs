//! The connection's timers (STYLE section 1: one table, `poll_timeout` is the minimum).

use std::time::Instant;

/// The kinds of timer a connection runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Retransmit the current flight (RFC 6347 section 4.2.4).
    Retransmit = 0,
    /// Let go of the server's last flight (ChangeCipherSpec, Finished), kept to answer a
    /// retransmitted client Finished flight.
    ReleaseFinalFlight = 1,
}

const COUNT: usize = 2;

/// Deadlines by kind.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.data[t as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, t: Timer) {
        self.data[t as usize] = None;
    }

    pub(crate) fn get(&self, t: Timer) -> Option<Instant> {
        self.data[t as usize]
    }

    /// Whether `t` is set and due at `now`.
    pub(crate) fn is_due(&self, t: Timer, now: Instant) -> bool {
        self.get(t).is_some_and(|at| at <= now)
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self) {
        self.data = [None; COUNT];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

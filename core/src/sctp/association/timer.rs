//! The association's timers: one slot per kind, the deadline is the earliest.

use std::time::Instant;

/// The kinds of timer (RFC 9260 sections 5.1, 6.3, 6.2, 8.3, 9.2; RFC 6525 section 5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    /// T1-init: retransmit INIT.
    T1Init,
    /// T1-cookie: retransmit COOKIE ECHO.
    T1Cookie,
    /// T3-rtx: retransmit outstanding DATA.
    T3Rtx,
    /// Send the delayed SACK.
    DelayedAck,
    /// Send a HEARTBEAT.
    Heartbeat,
    /// T2-shutdown: retransmit SHUTDOWN or SHUTDOWN ACK.
    T2Shutdown,
    /// Retransmit the outstanding RE-CONFIG request.
    Reconfig,
}

impl Timer {
    /// Every kind, in the order they fire when due together.
    pub(super) const ALL: [Self; 7] = [
        Self::T1Init,
        Self::T1Cookie,
        Self::T3Rtx,
        Self::DelayedAck,
        Self::Heartbeat,
        Self::T2Shutdown,
        Self::Reconfig,
    ];
}

/// One optional deadline per [`Timer`].
#[derive(Debug, Clone, Default)]
pub(super) struct TimerTable([Option<Instant>; 7]);

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.0[timer as usize] = None;
    }

    /// Brings a running `timer` forward to `at` if it is due later.
    pub(super) fn shorten(&mut self, timer: Timer, at: Instant) {
        if let Some(due) = &mut self.0[timer as usize] {
            *due = (*due).min(at);
        }
    }

    pub(super) fn is_running(&self, timer: Timer) -> bool {
        self.0[timer as usize].is_some()
    }

    /// Stops `timer` and says whether it was due at `now`.
    pub(super) fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.0[timer as usize] {
            Some(at) if at <= now => {
                self.0[timer as usize] = None;
                true
            }
            _ => false,
        }
    }

    pub(super) fn stop_all(&mut self) {
        self.0 = [None; 7];
    }

    pub(super) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
}

//! Candidate pairs (RFC 8445 section 6.1.2): priority, states and the check in flight.

use std::net::SocketAddr;
use std::time::Instant;

use crate::ice::Role;
use crate::ice::candidate::{Candidate, Foundation};
use crate::stun::{RetransmitTimer, TransactionId};

/// The pair priority of RFC 8445 section 6.1.2.3, where `g` is the priority of the
/// controlling agent's candidate and `d` the controlled agent's:
/// `2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0)`.
///
/// Candidate priorities are below 2^31 (RFC 8445 section 5.1.2.1), but a peer's PRIORITY
/// attribute may hold any 32-bit value: the result saturates rather than overflows.
pub(crate) fn pair_priority(g: u32, d: u32) -> u64 {
    (1u64 << 32)
        .saturating_mul(u64::from(g.min(d)))
        .saturating_add(2 * u64::from(g.max(d)))
        .saturating_add(u64::from(g > d))
}

/// The state of a pair in the check list (RFC 8445 section 6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairState {
    /// Waiting for a check of another pair with the same foundation to succeed.
    Frozen,
    /// Ready to be checked at a Ta tick.
    Waiting,
    /// A check is in flight.
    InProgress,
    /// A check succeeded: the pair is valid.
    Succeeded,
    /// The last check failed (timed out, error response, or non-symmetric response).
    Failed,
}

/// A connectivity check in flight: one STUN transaction.
#[derive(Debug)]
pub(crate) struct Check {
    pub(crate) tid: TransactionId,
    pub(crate) timer: RetransmitTimer,
    /// The check carries USE-CANDIDATE (the controlling agent nominates with it).
    pub(crate) use_candidate: bool,
    /// The role claimed in the request, to tell whether a 487 still calls for a switch.
    pub(crate) role: Role,
    /// The transaction this check replaced, if it was still in flight: RFC 8445 section
    /// 7.3.1.4 cancels it (no more retransmissions) but still accepts its response.
    pub(crate) cancelled_tid: Option<TransactionId>,
    /// When it was first sent, for the round-trip time.
    pub(crate) sent_at: Instant,
    /// When the replaced transaction was sent, if it was sent only once (its answer then
    /// gives a round-trip time too).
    pub(crate) cancelled_sent_at: Option<Instant>,
}

impl Check {
    /// Whether a response with `tid` answers this check (or the one it replaced).
    pub(crate) fn answers(&self, tid: &TransactionId) -> bool {
        self.tid == *tid || self.cancelled_tid == Some(*tid)
    }
}

/// One local base paired with one remote candidate.
///
/// Local server-reflexive and peer-reflexive candidates are never paired: they would be
/// replaced by their base and pruned as redundant (RFC 8445 section 6.1.2.4), so pairs are
/// formed from host candidates only, and the local side is identified by its base address.
#[derive(Debug)]
pub(crate) struct CandidatePair {
    /// The local base checks are sent from.
    pub(crate) local: SocketAddr,
    /// Priority of the local (host) candidate.
    pub(crate) local_priority: u32,
    /// PRIORITY attribute sent in checks: a peer-reflexive priority with the same local
    /// preference (RFC 8445 section 7.1.1).
    pub(crate) prflx_priority: u32,
    pub(crate) local_foundation: Foundation,
    pub(crate) remote: SocketAddr,
    pub(crate) remote_priority: u32,
    pub(crate) remote_foundation: Foundation,
    pub(crate) priority: u64,
    pub(crate) state: PairState,
    /// In the valid list (a check on it succeeded). The valid pair is identified with the
    /// checked pair even when the mapped address was peer-reflexive: both send from the same
    /// base to the same remote address.
    pub(crate) valid: bool,
    /// Nominated (RFC 8445 section 8.1.1).
    pub(crate) nominated: bool,
    /// Controlled side: a USE-CANDIDATE request arrived before this pair succeeded, so it is
    /// nominated once its check succeeds (RFC 8445 section 7.3.1.5).
    pub(crate) nominate_on_success: bool,
    /// Place in the triggered-check queue (RFC 8445 section 7.3.1.4): lower goes first.
    pub(crate) triggered: Option<u64>,
    /// The check in flight, if any.
    pub(crate) check: Option<Check>,
    /// When the pair was last checked successfully.
    pub(crate) last_success: Option<Instant>,
    /// Nomination checks (USE-CANDIDATE) sent on this pair that timed out; see
    /// [`MAX_NOMINATION_ATTEMPTS`].
    pub(crate) nominations_timed_out: u8,
}

/// How many nomination checks may time out on a valid pair before the pair is failed. A
/// valid pair has already carried a check both ways, so a lost nomination is more likely
/// loss than a dead path: the controlling agent tries again rather than fail the session.
pub(crate) const MAX_NOMINATION_ATTEMPTS: u8 = 3;

impl CandidatePair {
    /// Pairs the host candidate `local` with `remote`; the priority depends on `role`.
    pub(crate) fn new(local: &Candidate, remote: &Candidate, role: Role) -> Self {
        let mut pair = Self {
            local: local.base(),
            local_priority: local.priority(),
            prflx_priority: local.peer_reflexive_priority(),
            local_foundation: local.foundation_id(),
            remote: remote.addr(),
            remote_priority: remote.priority(),
            remote_foundation: remote.foundation_id(),
            priority: 0,
            state: PairState::Frozen,
            valid: false,
            nominated: false,
            nominate_on_success: false,
            nominations_timed_out: 0,
            triggered: None,
            check: None,
            last_success: None,
        };
        pair.update_priority(role);
        pair
    }

    /// Recomputes the priority after a role change or a remote priority update.
    pub(crate) fn update_priority(&mut self, role: Role) {
        self.priority = match role {
            Role::Controlling => pair_priority(self.local_priority, self.remote_priority),
            Role::Controlled => pair_priority(self.remote_priority, self.local_priority),
        };
    }

    /// The pair foundation: the local and remote candidates' foundations together.
    pub(crate) fn same_foundation(&self, other: &Self) -> bool {
        self.local_foundation == other.local_foundation
            && self.remote_foundation == other.remote_foundation
    }

    /// Whether the check list still has work to do on this pair.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(
            self.state,
            PairState::Frozen | PairState::Waiting | PairState::InProgress
        ) || self.check.is_some()
            || self.triggered.is_some()
    }
}

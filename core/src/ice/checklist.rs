//! The check list (RFC 8445 section 6.1.2): pair formation, pruning, limits, ordering,
//! freezing and the triggered-check queue.
//!
//! The list is a `Vec` with its capacity, the configured maximum, reserved at construction.
//! It is not kept sorted: with at most a hundred or so pairs a scan for the highest priority is
//! as cheap as keeping an order, and indices stay stable (they change only when the list is
//! cleared by an ICE restart or a remote credential change, or when a frozen or waiting pair
//! is replaced by a better one at the limit).
//!
//! Freezing (RFC 8445 section 6.1.2.6), simplified for the single data stream and component
//! WebRTC uses: a new pair starts Waiting unless another unfailed pair has the same foundation,
//! in which case it starts Frozen. A success unfreezes the pairs of its foundation (section
//! 7.2.5.3.3), and when nothing is Waiting the highest-priority Frozen pair is unfrozen, so
//! the list never stalls.

use std::net::SocketAddr;

use crate::ice::Role;
use crate::ice::candidate::Candidate;
use crate::ice::pair::{CandidatePair, PairState};
use crate::stun::TransactionId;

/// What [`CheckList::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    /// A new pair at this index.
    New(usize),
    /// The pair already existed at this index.
    Existing(usize),
    /// The list is full of pairs that rank higher or are in use: nothing was added.
    Dropped,
}

#[derive(Debug)]
pub(crate) struct CheckList {
    pub(crate) pairs: Vec<CandidatePair>,
    max_pairs: usize,
    next_trigger: u64,
}

impl CheckList {
    pub(crate) fn new(max_pairs: usize) -> Self {
        Self {
            // Grows to the pairs formed (bounded by `max_pairs`), not to the limit up front.
            pairs: Vec::new(),
            max_pairs,
            next_trigger: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn clear(&mut self) {
        self.pairs.clear();
    }

    pub(crate) fn find(&self, local: SocketAddr, remote: SocketAddr) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.local == local && p.remote == remote)
    }

    pub(crate) fn find_by_tid(&self, tid: &TransactionId) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.check.as_ref().is_some_and(|c| c.answers(tid)))
    }

    /// Pairs host candidate `local` with `remote` (same family and transport assumed).
    ///
    /// Redundant pairs (same base, same remote address) are not added twice. At the limit,
    /// the new pair replaces the lowest-priority pair that is still Frozen or Waiting if it
    /// ranks higher (RFC 8445 section 6.1.2.5), else it is dropped.
    pub(crate) fn add(&mut self, local: &Candidate, remote: &Candidate, role: Role) -> Added {
        if let Some(i) = self.find(local.base(), remote.addr()) {
            return Added::Existing(i);
        }
        let mut pair = CandidatePair::new(local, remote, role);
        pair.state = if self
            .pairs
            .iter()
            .any(|p| p.state != PairState::Failed && p.same_foundation(&pair))
        {
            PairState::Frozen
        } else {
            PairState::Waiting
        };
        if self.pairs.len() < self.max_pairs {
            self.pairs.push(pair);
            return Added::New(self.pairs.len() - 1);
        }
        let victim = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                matches!(p.state, PairState::Frozen | PairState::Waiting)
                    && p.check.is_none()
                    && !p.valid
            })
            .min_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i);
        match victim {
            Some(i) if self.pairs[i].priority < pair.priority => {
                self.pairs[i] = pair;
                Added::New(i)
            }
            _ => Added::Dropped,
        }
    }

    /// Recomputes every pair's priority for a new role (RFC 8445 section 7.2.5.1).
    pub(crate) fn set_role(&mut self, role: Role) {
        for p in &mut self.pairs {
            p.update_priority(role);
        }
    }

    /// Updates the remote priority and foundation of the pairs with `remote` after a
    /// peer-reflexive candidate was replaced by its signalled twin.
    pub(crate) fn update_remote(&mut self, remote: &Candidate, role: Role) {
        for p in self.pairs.iter_mut().filter(|p| p.remote == remote.addr()) {
            p.remote_priority = remote.priority();
            p.remote_foundation = remote.foundation_id();
            p.update_priority(role);
        }
    }

    /// Puts pair `i` at the back of the triggered-check queue (RFC 8445 section 7.3.1.4).
    pub(crate) fn trigger(&mut self, i: usize) {
        let seq = self.next_trigger;
        self.next_trigger += 1;
        if let Some(p) = self.pairs.get_mut(i) {
            if p.triggered.is_none() {
                p.triggered = Some(seq);
            }
            if matches!(p.state, PairState::Frozen | PairState::Failed) {
                p.state = PairState::Waiting;
            }
        }
    }

    /// Takes the head of the triggered-check queue.
    pub(crate) fn pop_triggered(&mut self) -> Option<usize> {
        let i = self
            .pairs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.triggered.map(|seq| (i, seq)))
            .min_by_key(|&(_, seq)| seq)
            .map(|(i, _)| i)?;
        self.pairs[i].triggered = None;
        Some(i)
    }

    /// The highest-priority Waiting pair without a check in flight (RFC 8445 section
    /// 6.1.4.2); if none, unfreezes the highest-priority Frozen pair and returns it.
    pub(crate) fn next_ordinary(&mut self) -> Option<usize> {
        let best = |state| {
            move |pairs: &[CandidatePair]| {
                pairs
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.state == state && p.check.is_none())
                    .max_by_key(|(_, p)| p.priority)
                    .map(|(i, _)| i)
            }
        };
        if let Some(i) = best(PairState::Waiting)(&self.pairs) {
            return Some(i);
        }
        let i = best(PairState::Frozen)(&self.pairs)?;
        self.pairs[i].state = PairState::Waiting;
        Some(i)
    }

    /// Whether a Ta tick would find a check to send.
    pub(crate) fn has_work(&self) -> bool {
        self.pairs.iter().any(|p| {
            p.triggered.is_some()
                || (matches!(p.state, PairState::Waiting | PairState::Frozen) && p.check.is_none())
        })
    }

    /// Unfreezes the pairs with the same foundation as pair `i` (RFC 8445 section 7.2.5.3.3).
    pub(crate) fn unfreeze_foundation(&mut self, i: usize) {
        let Some(done) = self.pairs.get(i) else {
            return;
        };
        let (lf, rf) = (done.local_foundation, done.remote_foundation);
        for p in &mut self.pairs {
            if p.state == PairState::Frozen && p.local_foundation == lf && p.remote_foundation == rf
            {
                p.state = PairState::Waiting;
            }
        }
    }

    /// Whether every pair has finished (Succeeded or Failed, nothing in flight or queued).
    pub(crate) fn is_finished(&self) -> bool {
        !self.pairs.iter().any(CandidatePair::is_pending)
    }

    /// Whether every pair (if there are any) has failed and has nothing in flight or queued.
    pub(crate) fn all_failed(&self) -> bool {
        self.pairs
            .iter()
            .all(|p| p.state == PairState::Failed && !p.is_pending())
    }

    /// The highest-priority valid pair.
    pub(crate) fn best_valid(&self) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.valid)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
    }

    /// Whether a pair ranking above `priority` may still become valid.
    pub(crate) fn better_pending(&self, priority: u64) -> bool {
        self.pairs
            .iter()
            .any(|p| p.priority > priority && !p.valid && p.is_pending())
    }
}

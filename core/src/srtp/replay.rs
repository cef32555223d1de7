//! Packet index estimation (RFC 3711 section 3.3.1 and appendix A) and the replay window
//! (section 3.3.2).

/// The replay window size in packets: a `u128` bitmap. RFC 3711 section 3.3.2 requires at
/// least 64; 128 absorbs the reordering of a video keyframe burst.
pub const REPLAY_WINDOW: u64 = 128;

/// The largest SRTP packet index: 48 bits (RFC 3711 section 3.3.1).
pub(crate) const MAX_RTP_INDEX: u64 = (1 << 48) - 1;

/// The largest SRTCP index: 31 bits (RFC 3711 section 3.4).
pub(crate) const MAX_RTCP_INDEX: u64 = 0x7FFF_FFFF;

/// The highest index seen on one stream and which of the [`REPLAY_WINDOW`] indices below it
/// were seen too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexWindow {
    /// The highest index authenticated (or sent) so far.
    highest: u64,
    /// Bit `d` is set when index `highest - d` was seen.
    seen: u128,
}

/// What [`IndexWindow::check`] found wrong with an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayVerdict {
    /// Seen before.
    Replayed,
    /// Further behind the highest index than the window reaches.
    TooOld,
}

impl IndexWindow {
    /// A window that has seen only `index`.
    pub(crate) const fn new(index: u64) -> Self {
        Self {
            highest: index,
            seen: 1,
        }
    }

    /// The highest index seen.
    pub(crate) const fn highest(&self) -> u64 {
        self.highest
    }

    /// Whether `index` would be accepted, without recording it.
    pub(crate) fn check(&self, index: u64) -> Result<(), ReplayVerdict> {
        if index > self.highest {
            return Ok(());
        }
        let behind = self.highest - index;
        if behind >= REPLAY_WINDOW {
            return Err(ReplayVerdict::TooOld);
        }
        if self.seen >> behind & 1 == 1 {
            Err(ReplayVerdict::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `index` as seen.
    pub(crate) fn record(&mut self, index: u64) {
        if index > self.highest {
            let ahead = index - self.highest;
            self.seen = if ahead >= REPLAY_WINDOW {
                0
            } else {
                self.seen << ahead
            };
            self.seen |= 1;
            self.highest = index;
        } else {
            let behind = self.highest - index;
            if behind < REPLAY_WINDOW {
                self.seen |= 1 << behind;
            }
        }
    }
}

/// The 48-bit packet index of a packet with sequence number `seq` (RFC 3711 section
/// 3.3.1 and appendix A): the rollover counter is guessed from the highest index seen,
/// as ROC - 1, ROC or ROC + 1, whichever puts `seq` nearest to it. A stream's first
/// packet gets ROC 0. A guess below zero is taken as ROC 0 (the packet then fails
/// authentication if it really was from before the first one seen).
pub(crate) fn estimate_rtp_index(window: Option<&IndexWindow>, seq: u16) -> u64 {
    let Some(window) = window else {
        return u64::from(seq);
    };
    let roc = window.highest() >> 16;
    let s_l = (window.highest() & 0xFFFF) as u16;
    let (seq_i, s_l_i) = (i32::from(seq), i32::from(s_l));
    let v = if s_l < 0x8000 {
        if seq_i - s_l_i > 0x8000 {
            roc.saturating_sub(1)
        } else {
            roc
        }
    } else if s_l_i - 0x8000 > seq_i {
        roc + 1
    } else {
        roc
    };
    v << 16 | u64::from(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_across_wrap() {
        let w = IndexWindow::new(0xFFFE);
        assert_eq!(estimate_rtp_index(Some(&w), 0xFFFF), 0xFFFF);
        assert_eq!(estimate_rtp_index(Some(&w), 0), 0x1_0000);
        assert_eq!(estimate_rtp_index(Some(&w), 5), 0x1_0005);
        let w = IndexWindow::new(0x1_0002);
        assert_eq!(estimate_rtp_index(Some(&w), 0xFFFD), 0xFFFD);
        assert_eq!(estimate_rtp_index(Some(&w), 3), 0x1_0003);
        let w = IndexWindow::new(5);
        assert_eq!(estimate_rtp_index(Some(&w), 0xFFF0), 0xFFF0);
        assert_eq!(estimate_rtp_index(None, 77), 77);
    }

    #[test]
    fn window_rejects_replays_and_old() {
        let mut w = IndexWindow::new(1000);
        assert_eq!(w.check(1000), Err(ReplayVerdict::Replayed));
        assert_eq!(w.check(999), Ok(()));
        w.record(999);
        assert_eq!(w.check(999), Err(ReplayVerdict::Replayed));
        w.record(1200);
        assert_eq!(w.check(1000), Err(ReplayVerdict::TooOld));
        assert_eq!(w.check(1100), Ok(()));
        assert_eq!(w.check(1200 - 127), Ok(()));
        assert_eq!(w.check(1200 - 128), Err(ReplayVerdict::TooOld));
        w.record(1073);
        assert_eq!(w.check(1073), Err(ReplayVerdict::Replayed));
    }
}

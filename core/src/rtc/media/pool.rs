//! Received payloads and frames handed to the application as [`Bytes`] without an
//! allocation each: they are copied into a shared chunk and cut off it. A full chunk is set
//! aside; once the application has dropped every piece cut from it, it is taken back and
//! written again ([`BytesMut::try_reclaim`]). Pieces still held cost a new chunk, never a
//! wrong byte.

use bytes::{Bytes, BytesMut};

/// The chunk size: some fifty 1200-byte packets, or five 12 KB video frames.
const CHUNK: usize = 64 * 1024;

/// Larger pieces (big keyframes) get their own allocation rather than most of a chunk.
const LARGEST_SHARED: usize = CHUNK / 4;

/// Full chunks kept for reuse. A receive burst leaves the last pieces of a chunk queued as
/// events when it fills, so the chunk is reclaimed a little later, on a later rollover.
const SPARE_CHUNKS: usize = 2;

/// The chunk being cut and the full ones set aside. Empty (no memory) until the first piece.
#[derive(Debug, Default)]
pub(super) struct PayloadPool {
    chunk: BytesMut,
    spare: Vec<BytesMut>,
    started: bool,
}

impl PayloadPool {
    /// `data` as [`Bytes`] of its own.
    pub(super) fn copy(&mut self, data: &[u8]) -> Bytes {
        if data.len() > LARGEST_SHARED {
            return Bytes::copy_from_slice(data);
        }
        if self.chunk.capacity() < data.len() {
            self.roll_over();
        }
        self.chunk.extend_from_slice(data);
        self.chunk.split().freeze()
    }

    /// Sets the full chunk aside and continues on a spare whose pieces are all gone, or on a
    /// new one.
    fn roll_over(&mut self) {
        let next = match self.spare.iter_mut().position(|b| b.try_reclaim(CHUNK)) {
            Some(i) => self.spare.swap_remove(i),
            None => BytesMut::with_capacity(CHUNK),
        };
        let full = std::mem::replace(&mut self.chunk, next);
        // Before the first rollover the chunk is `BytesMut::new()`, which holds no memory.
        if self.started && self.spare.len() < SPARE_CHUNKS {
            self.spare.push(full);
        }
        self.started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_exact_and_independent() {
        let mut pool = PayloadPool::default();
        let pieces: Vec<Bytes> = (0..200u8)
            .map(|k| pool.copy(&vec![k; 1000 + usize::from(k)]))
            .collect();
        for (k, p) in pieces.iter().enumerate() {
            assert_eq!(p.len(), 1000 + k);
            assert!(p.iter().all(|&b| usize::from(b) == k));
        }
    }

    #[test]
    fn a_dropped_chunk_is_reused() {
        let mut pool = PayloadPool::default();
        let first = pool.copy(&[1; 1200]);
        let base = first.as_ptr();
        drop(first);
        // Cut pieces, dropping each: a later chunk is the same memory.
        let mut reused = false;
        for _ in 0..200 {
            let p = pool.copy(&[2; 1200]);
            reused |= p.as_ptr() == base;
        }
        assert!(reused);
    }

    #[test]
    fn chunks_are_reused_while_a_burst_is_held() {
        let mut pool = PayloadPool::default();
        let mut chunks = std::collections::HashSet::new();
        for _ in 0..100 {
            // Twenty pieces held at a time, as a receive burst queued as events.
            let burst: Vec<Bytes> = (0..20).map(|_| pool.copy(&[5; 1200])).collect();
            for p in &burst {
                chunks.insert(p.as_ptr() as usize / CHUNK);
            }
        }
        // 2000 pieces of 1200 bytes would fill 37 chunks; three are written over and over
        // (a piece may straddle two chunk-size-aligned slots, hence the slack).
        assert!(
            chunks.len() <= 2 * (SPARE_CHUNKS + 1) + 2,
            "{} chunks",
            chunks.len()
        );
    }

    #[test]
    fn a_held_piece_is_never_overwritten() {
        let mut pool = PayloadPool::default();
        let held = pool.copy(&[7; 1200]);
        for _ in 0..500 {
            let _ = pool.copy(&[9; 1200]);
        }
        assert!(held.iter().all(|&b| b == 7));
        let big = pool.copy(&[3; LARGEST_SHARED + 1]);
        assert_eq!(big.len(), LARGEST_SHARED + 1);
    }
}

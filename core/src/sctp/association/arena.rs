//! A pool of large buffers that payloads are copied into once and handed out as slices.
//!
//! Slices of a buffer keep it alive after the pool moves on to the next one. When the
//! current buffer is full the pool first looks for a retired buffer whose slices have all
//! been dropped and takes it back without allocating ([`BytesMut::try_reclaim`]); only when
//! every buffer still has live slices does it allocate a fresh one. Once the pool holds as
//! many buffers as the data in flight needs, a steady transfer allocates nothing.

use std::collections::VecDeque;

use bytes::BytesMut;

/// A pool of copy-in buffers.
#[derive(Debug)]
pub(super) struct Arena {
    current: BytesMut,
    /// Full buffers that may still have live slices, oldest first.
    retired: VecDeque<BytesMut>,
    /// Buffers kept in `retired` at most; older ones are let go (freed with their last
    /// slice).
    max_retired: usize,
    /// The size of each buffer.
    chunk: usize,
}

impl Arena {
    /// A pool of `chunk`-byte buffers that keeps enough of them to hold `budget` bytes of
    /// live slices without allocating.
    pub(super) fn new(chunk: usize, budget: usize) -> Self {
        let max_retired = budget.div_ceil(chunk.max(1)) + 2;
        Self {
            current: BytesMut::with_capacity(chunk),
            retired: VecDeque::with_capacity(max_retired),
            max_retired,
            chunk,
        }
    }

    /// Copies `data` in and returns it as its own buffer (a slice of the pool's).
    pub(super) fn copy(&mut self, data: &[u8]) -> BytesMut {
        self.reserve(data.len());
        self.current.extend_from_slice(data);
        self.current.split()
    }

    /// Makes room for `len` contiguous bytes in the current buffer.
    pub(super) fn reserve(&mut self, len: usize) {
        if self.current.capacity() >= len || self.current.try_reclaim(len) {
            return;
        }
        let reclaimed = self.retired.iter_mut().position(|b| b.try_reclaim(len));
        let next = match reclaimed.and_then(|i| self.retired.remove(i)) {
            Some(buffer) => buffer,
            None => BytesMut::with_capacity(len.max(self.chunk)),
        };
        let full = std::mem::replace(&mut self.current, next);
        if self.retired.len() == self.max_retired {
            self.retired.pop_front();
        }
        self.retired.push_back(full);
    }

    /// Lets go of the retired buffers (the data they held is gone or about to be).
    pub(super) fn trim(&mut self) {
        self.retired.clear();
    }

    /// Frees the retired buffers nothing points into any more, so that a burst does not
    /// keep its memory for good; a later burst allocates them again.
    pub(super) fn release_idle(&mut self) {
        let chunk = self.chunk;
        // A retired buffer has less than `chunk` bytes to spare, so reclaiming `chunk`
        // succeeds exactly when it is no longer shared.
        self.retired.retain_mut(|b| !b.try_reclaim(chunk));
    }

    /// Buffers held (the current one and the retired ones).
    #[cfg(test)]
    pub(super) fn buffers(&self) -> usize {
        1 + self.retired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_buffers_once_slices_are_dropped() {
        let mut arena = Arena::new(1024, 2048);
        let mut held = VecDeque::new();
        // Fill several buffers while holding slices, then drop the oldest as we go.
        for k in 0..64u8 {
            held.push_back(arena.copy(&[k; 300]));
            if held.len() > 6 {
                held.pop_front();
            }
        }
        for (k, b) in held.iter().enumerate() {
            assert_eq!(b.len(), 300);
            assert!(b.iter().all(|&x| usize::from(x) == 58 + k));
        }
        assert!(arena.retired.len() <= arena.max_retired);
    }

    #[test]
    fn release_idle_frees_only_unshared_buffers() {
        let mut arena = Arena::new(1024, 8192);
        let kept = arena.copy(&[1; 1000]);
        let dropped: Vec<BytesMut> = (0..4).map(|_| arena.copy(&[2; 1000])).collect();
        assert_eq!(arena.buffers(), 5);
        drop(dropped);
        arena.release_idle();
        // The buffer under `kept` and the current one stay.
        assert_eq!(arena.buffers(), 2);
        assert_eq!(&kept[..], &[1; 1000][..]);
    }

    #[test]
    fn oversized_copy() {
        let mut arena = Arena::new(64, 64);
        let big = arena.copy(&[9; 1000]);
        assert_eq!(&big[..], &[9; 1000][..]);
        let small = arena.copy(&[1; 10]);
        assert_eq!(&small[..], &[1; 10][..]);
        arena.trim();
        assert!(arena.retired.is_empty());
    }
}

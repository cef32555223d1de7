//! A pool of large buffers that payloads are copied into once and handed out as slices.
//!
//! Slices of a buffer keep it alive after the pool moves on to the next one. When the
//! current buffer is full the pool first looks for a retired buffer whose slices have all
//! been dropped and takes it back without allocating ([`BytesMut::try_reclaim`]); only when
//! every buffer still has live slices does it allocate a fresh one. Once the pool holds as
//! many buffers as the data in flight needs, a steady transfer allocates nothing.
//!
//! The pool holds nothing until the first copy, and its buffers grow with demand: the first
//! is [`MIN_CHUNK`] bytes, and each fresh allocation doubles the size up to the pool's
//! chunk size, so a peer that sends a few small messages never holds a full-size buffer.
//! [`Arena::release_idle`] frees every buffer nothing points into (the current one too) and
//! starts the sizes over.

use std::collections::VecDeque;

use bytes::BytesMut;

/// The size of the first buffer a pool allocates (and of the first after an idle release).
pub(super) const MIN_CHUNK: usize = 16 * 1024;

/// A pool of copy-in buffers.
#[derive(Debug)]
pub(super) struct Arena {
    current: BytesMut,
    /// `current` points into an allocation (false while the pool holds nothing; a full
    /// buffer has no room left but is still one to retire).
    allocated: bool,
    /// Full buffers that may still have live slices, oldest first.
    retired: VecDeque<BytesMut>,
    /// Buffers kept in `retired` at most; older ones are let go (freed with their last
    /// slice).
    max_retired: usize,
    /// The size of the largest buffer.
    chunk: usize,
    /// The size of the next fresh buffer: from [`MIN_CHUNK`], doubled per fresh buffer up
    /// to `chunk`.
    next: usize,
}

impl Arena {
    /// A pool of buffers of up to `chunk` bytes that keeps enough of them to hold `budget`
    /// bytes of live slices without allocating. Allocates nothing until the first copy.
    pub(super) fn new(chunk: usize, budget: usize) -> Self {
        let chunk = chunk.max(1);
        // Buffers grow from MIN_CHUNK, so a few more than budget / chunk may be live.
        let max_retired = budget.div_ceil(chunk) + 2 + growth_steps(chunk);
        Self {
            current: BytesMut::new(),
            allocated: false,
            retired: VecDeque::new(),
            max_retired,
            chunk,
            next: MIN_CHUNK.min(chunk),
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
            None => {
                let size = len.max(self.next);
                self.next = (self.next * 2).min(self.chunk);
                BytesMut::with_capacity(size)
            }
        };
        let full = std::mem::replace(&mut self.current, next);
        if !std::mem::replace(&mut self.allocated, true) {
            // The pool was empty: nothing to retire.
            return;
        }
        if self.retired.len() == self.max_retired {
            self.retired.pop_front();
        }
        self.retired.push_back(full);
    }

    /// Lets go of every buffer (the data they held is gone or about to be); slices still
    /// out keep theirs alive until dropped.
    pub(super) fn trim(&mut self) {
        self.retired = VecDeque::new();
        self.current = BytesMut::new();
        self.allocated = false;
        self.next = MIN_CHUNK.min(self.chunk);
    }

    /// Frees the buffers nothing points into any more, the current one included, so that
    /// a burst does not keep its memory for good; a later burst allocates them again,
    /// starting small. Once all are gone the next buffer sizes start over.
    pub(super) fn release_idle(&mut self) {
        self.retired.retain_mut(|b| !is_unshared(b));
        if self.retired.is_empty() {
            self.retired = VecDeque::new();
        }
        if self.allocated && is_unshared(&mut self.current) {
            self.current = BytesMut::new();
            self.allocated = false;
        }
        if self.retired.is_empty() && !self.allocated {
            self.next = MIN_CHUNK.min(self.chunk);
        }
    }

    /// Buffers held (the current one and the retired ones).
    #[cfg(test)]
    pub(super) fn buffers(&self) -> usize {
        usize::from(self.allocated) + self.retired.len()
    }
}

/// Whether no slice points into `b`'s allocation any more (it could be reclaimed whole).
/// `b` is what is left of a buffer after its data was split off: empty, at an offset.
fn is_unshared(b: &mut BytesMut) -> bool {
    // One byte more than the spare room cannot be had trivially, only by taking back the
    // space before the offset, which succeeds exactly when no other handle is left.
    let whole = b.capacity() + 1;
    b.is_empty() && b.try_reclaim(whole)
}

/// How many doublings take [`MIN_CHUNK`] to `chunk`.
fn growth_steps(chunk: usize) -> usize {
    let mut size = MIN_CHUNK;
    let mut steps = 0;
    while size < chunk {
        size *= 2;
        steps += 1;
    }
    steps
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
        // Only the buffer under `kept` stays (the current one is unshared too).
        assert_eq!(arena.buffers(), 1);
        assert_eq!(&kept[..], &[1; 1000][..]);
    }

    #[test]
    fn starts_empty_grows_and_starts_over() {
        let mut arena = Arena::new(256 * 1024, 1024 * 1024);
        assert_eq!(arena.buffers(), 0);
        let first = arena.copy(&[1; 100]);
        assert_eq!(arena.buffers(), 1);
        assert_eq!(first.len() + arena.current.capacity(), MIN_CHUNK);
        // Holding every slice forces fresh buffers, each twice the last, up to the chunk.
        let held: Vec<BytesMut> = (0..40).map(|_| arena.copy(&[2; 8000])).collect();
        assert_eq!(arena.next, 256 * 1024);
        drop((first, held));
        arena.release_idle();
        assert_eq!(arena.buffers(), 0);
        assert_eq!(arena.next, MIN_CHUNK);
        let again = arena.copy(&[3; 10]);
        assert_eq!(&again[..], &[3; 10][..]);
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

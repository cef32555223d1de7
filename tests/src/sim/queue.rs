//! The in-flight datagrams: a time-ordered event queue and the pool of byte buffers they
//! travel in. Both are reused, so a run in steady state allocates nothing per datagram.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::Instant;

use super::HostId;

/// Where an in-flight datagram is going next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Leaving `from`'s uplink: route it (through NATs) to a destination's downlink.
    Routed { from: HostId },
    /// Leaving `to`'s downlink: hand it to `to`'s peer.
    Deliver { to: HostId },
}

/// One datagram copy in flight. Ordered by `(at, seq)`, so events due at the same instant
/// are handled in the order they were scheduled: deterministic, and FIFO per link.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub(super) at: Instant,
    pub(super) seq: u64,
    pub(super) stage: Stage,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    /// Index of the buffer in the [`BufferPool`].
    pub(super) buf: u32,
    pub(super) len: u32,
    /// FNV-1a 64 of the bytes, computed once when sent.
    pub(super) hash: u64,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the earliest first.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A min-queue of [`Event`]s with a sequence-number tie-breaker.
#[derive(Debug)]
pub(super) struct EventQueue {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl EventQueue {
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Schedules an event; `event.seq` is overwritten with the next sequence number.
    pub(super) fn push(&mut self, mut event: Event) {
        event.seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(event);
    }

    /// When the earliest event is due.
    pub(super) fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.at)
    }

    /// Removes the earliest event if it is due at or before `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<Event> {
        if self.heap.peek()?.at <= now {
            self.heap.pop()
        } else {
            None
        }
    }

    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Byte buffers for datagrams in flight: a slab of `Vec<u8>` plus a free list. A buffer keeps
/// its capacity when freed, so once the pool has grown to the run's peak in-flight count and
/// datagram size, taking and freeing buffers allocates nothing.
#[derive(Debug)]
pub(super) struct BufferPool {
    bufs: Vec<Vec<u8>>,
    free: Vec<u32>,
}

/// Initial capacity of each pooled buffer: a full Ethernet-sized datagram and some.
const BUF_CAPACITY: usize = 2048;

impl BufferPool {
    pub(super) fn with_capacity(n: usize) -> Self {
        let mut pool = Self {
            bufs: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
        };
        for i in 0..n {
            pool.bufs.push(Vec::with_capacity(BUF_CAPACITY));
            pool.free.push(i as u32);
        }
        pool
    }

    /// Copies `bytes` into a free buffer and returns its index.
    pub(super) fn take(&mut self, bytes: &[u8]) -> u32 {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.bufs
                    .push(Vec::with_capacity(BUF_CAPACITY.max(bytes.len())));
                // Keep room to free every buffer without growing the free list later.
                self.free.reserve(self.bufs.len());
                (self.bufs.len() - 1) as u32
            }
        };
        let buf = &mut self.bufs[id as usize];
        buf.clear();
        buf.extend_from_slice(bytes);
        id
    }

    /// Copies an existing buffer into a new one (for duplicates).
    pub(super) fn duplicate(&mut self, id: u32) -> u32 {
        let new = self.take(&[]);
        let (a, b) = (id as usize, new as usize);
        // Two distinct indices: split the slab to borrow both.
        let (src, dst) = if a < b {
            let (lo, hi) = self.bufs.split_at_mut(b);
            (&lo[a], &mut hi[0])
        } else {
            let (lo, hi) = self.bufs.split_at_mut(a);
            (&hi[0], &mut lo[b])
        };
        dst.extend_from_slice(src);
        new
    }

    /// The bytes of buffer `id`.
    pub(super) fn get_mut(&mut self, id: u32) -> &mut [u8] {
        &mut self.bufs[id as usize]
    }

    /// Returns buffer `id` to the free list.
    pub(super) fn release(&mut self, id: u32) {
        self.free.push(id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn event(at: Instant) -> Event {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        Event {
            at,
            seq: 0,
            stage: Stage::Deliver { to: HostId(0) },
            src: a,
            dst: a,
            buf: 0,
            len: 0,
            hash: 0,
        }
    }

    #[test]
    fn earliest_first_then_fifo() {
        let t0 = Instant::now();
        let mut q = EventQueue::with_capacity(4);
        q.push(event(t0 + Duration::from_millis(2)));
        q.push(event(t0 + Duration::from_millis(1)));
        q.push(event(t0 + Duration::from_millis(2)));
        assert_eq!(q.next_at(), Some(t0 + Duration::from_millis(1)));
        assert!(q.pop_due(t0).is_none());
        let due = t0 + Duration::from_millis(5);
        let order: Vec<u64> = std::iter::from_fn(|| q.pop_due(due).map(|e| e.seq)).collect();
        assert_eq!(order, [1, 0, 2]);
    }

    #[test]
    fn pool_reuses_buffers() {
        let mut pool = BufferPool::with_capacity(1);
        let a = pool.take(b"hello");
        let b = pool.duplicate(a);
        assert_ne!(a, b);
        assert_eq!(pool.get_mut(b), b"hello");
        pool.release(a);
        let c = pool.take(b"x");
        assert_eq!(c, a);
        assert_eq!(pool.get_mut(c), b"x");
    }
}

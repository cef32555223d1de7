//! Maps keyed by [`StreamId`] with a cheap hash: they are looked up for every DATA chunk,
//! and SipHash's protection against chosen keys buys nothing for a 16-bit key space whose
//! size is bounded by the negotiated stream counts (the per-stream state is what bounds
//! memory, not the hash).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::wire::StreamId;

/// A `HashMap` from stream ids, hashed by one multiplication.
pub(crate) type StreamMap<V> = HashMap<StreamId, V, BuildHasherDefault<StreamIdHasher>>;

/// Hashes the 16-bit stream id by a Fibonacci multiplication, which spreads it over the
/// high bits hashbrown uses for its control bytes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StreamIdHasher(u64);

impl Hasher for StreamIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u16(&mut self, n: u16) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_ids_distinct_entries() {
        let mut map = StreamMap::default();
        for id in 0..2000u16 {
            map.insert(StreamId(id), id);
        }
        assert_eq!(map.len(), 2000);
        assert!((0..2000u16).all(|id| map.get(&StreamId(id)) == Some(&id)));
    }
}

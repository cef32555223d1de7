//! A self-checking message workload: messages carry their sequence number, length and a
//! pattern derived from both, so the receiver can tell a corrupted, duplicated or reordered
//! message from a good one.

use std::collections::HashSet;

/// The header every workload message starts with: sequence number and total length.
const HEADER: usize = 8;

/// The size of message `seq`: mostly 200 to 3200 bytes, every 50th a 40 000-byte one that
/// needs fragmentation.
pub fn message_size(seq: u32) -> usize {
    if seq.is_multiple_of(50) {
        40_000
    } else {
        200 + (seq as usize * 7919) % 3000
    }
}

/// Writes message `seq` into `out` (cleared first).
pub fn write_message(seq: u32, out: &mut Vec<u8>) {
    let len = message_size(seq);
    out.clear();
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend((HEADER..len).map(|k| pattern(seq, k)));
}

fn pattern(seq: u32, k: usize) -> u8 {
    (seq.wrapping_mul(31) as usize).wrapping_add(k.wrapping_mul(7)) as u8
}

/// Checks the messages of one channel.
#[derive(Debug, Default, Clone)]
pub struct Checker {
    /// Good messages delivered.
    pub delivered: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Messages whose bytes did not match.
    pub corrupted: u64,
    /// Messages delivered twice.
    pub duplicated: u64,
    /// Messages delivered after a later one (counted for ordered channels only).
    pub out_of_order: u64,
    /// Messages skipped on an ordered channel (sequence jumped).
    pub gaps: u64,
    last: Option<u32>,
    seen: HashSet<u32>,
}

impl Checker {
    /// Checks one delivered message.
    pub fn check(&mut self, data: &[u8], ordered: bool) {
        let ok = data.len() >= HEADER && {
            let seq = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            let len = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as usize;
            len == data.len()
                && len == message_size(seq)
                && data[HEADER..]
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| b == pattern(seq, k + HEADER))
        };
        if !ok {
            self.corrupted += 1;
            return;
        }
        let seq = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        if !self.seen.insert(seq) {
            self.duplicated += 1;
            return;
        }
        if ordered {
            match self.last {
                Some(last) if seq <= last => self.out_of_order += 1,
                Some(last) if seq > last + 1 => self.gaps += u64::from(seq - last - 1),
                None if seq > 0 => self.gaps += u64::from(seq),
                _ => {}
            }
            self.last = Some(seq);
        }
        self.delivered += 1;
        self.bytes += data.len() as u64;
    }

    /// Whether every message `0..count` arrived.
    pub fn has_all(&self, count: u32) -> bool {
        (0..count).all(|s| self.seen.contains(&s))
    }
}

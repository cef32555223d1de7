//! Counting one-way flights: a [`FlightLedger`] numbers every datagram of a scenario with a
//! Lamport clock over network crossings. A datagram's flight is one more than the highest
//! flight its sender had received when it was sent, so the flight of the datagram that
//! delivers something is the length of the longest causal chain of one-way crossings that led
//! to it. Timer-driven retransmissions add virtual time but not flights.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Flight numbers of the datagrams of one scenario, shared by its peers. Keyed by a hash of
/// the bytes: a byte-identical retransmission takes the later number.
#[derive(Debug, Clone, Default)]
pub struct FlightLedger(Rc<RefCell<HashMap<u64, u32>>>);

impl FlightLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that a datagram with these bytes left as flight `flight`.
    pub fn record(&self, bytes: &[u8], flight: u32) {
        self.0.borrow_mut().insert(fnv1a(bytes), flight);
    }

    /// The flight of a datagram with these bytes (0 if none was recorded).
    pub fn flight_of(&self, bytes: &[u8]) -> u32 {
        self.0.borrow().get(&fnv1a(bytes)).copied().unwrap_or(0)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

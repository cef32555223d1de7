//! TURN: Traversal Using Relays around NAT (RFC 8656), the client side, for relayed ICE
//! candidates.
//!
//! An ICE [`Agent`](crate::ice::Agent) given a [`TurnServer`] allocates a relayed address on
//! it from each host address of the server's family and offers it as a `typ relay`
//! candidate. Checks and, once such a pair is selected, everything the peer connection sends
//! go through the server: as ChannelData on a bound channel (4 bytes of framing), or as Send
//! indications until the channel is bound. What the server relays back (ChannelData or Data
//! indications) is unwrapped and handled as if it had arrived on the relayed address.
//!
//! # What is implemented
//!
//! - Allocate over UDP with REQUESTED-TRANSPORT UDP (and REQUESTED-ADDRESS-FAMILY IPv6 from an
//!   IPv6 base), the long-term credential mechanism (RFC 8489 section 9.2: the first request
//!   unauthenticated, the 401's REALM and NONCE, the MD5 key, 438 Stale Nonce retried), and
//!   MESSAGE-INTEGRITY required on success responses to authenticated requests.
//! - Refresh before the lifetime runs out, and Refresh with LIFETIME 0 on close (section 7).
//! - CreatePermission for every remote candidate's address paired with the relayed
//!   candidate, refreshed every 4 minutes (section 9); ChannelBind for every peer data goes
//!   to, refreshed every 9 minutes (section 12).
//! - [`wire`]: ChannelData framing and Send/Data indications written and read in place.
//!
//! # Left out
//!
//! - TURN over TCP or TLS to the server, and TCP relays (RFC 6062); DNS discovery; the
//!   ALTERNATE-SERVER redirect (300); PASSWORD-ALGORITHMS and USERHASH (RFC 8489 section
//!   9.2.1 upgrades); the DONT-FRAGMENT and EVEN-PORT attributes; dual allocation (RFC 8656
//!   section 7.1's ADDITIONAL-ADDRESS-FAMILY).
//! - [`Endpoint`](crate::endpoint::Endpoint) routing of relayed traffic: it routes by the
//!   peer's address, and relayed datagrams all come from the TURN server.

mod client;
mod config;
mod stats;
#[cfg(test)]
pub(crate) mod tests;
pub mod wire;

pub(crate) use client::{AllocEvent, Allocation, State};
pub use config::{TurnError, TurnServer};
pub use stats::TurnStats;

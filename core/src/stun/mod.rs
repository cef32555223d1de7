//! STUN: Session Traversal Utilities for NAT (RFC 8489, wire-compatible with RFC 5389).
//!
//! What ICE needs from STUN, and a small server to test it against:
//!
//! - [`Message`], a zero-copy view of a received message, and [`MessageBuilder`], which writes
//!   one into the caller's buffer (RFC 8489 sections 5 and 14). Neither allocates nor panics.
//! - Attributes: XOR-MAPPED-ADDRESS for IPv4 and IPv6 (14.2), MAPPED-ADDRESS (14.1, read only),
//!   USERNAME (14.3), MESSAGE-INTEGRITY (14.5), MESSAGE-INTEGRITY-SHA256 (14.6), FINGERPRINT
//!   (14.7), ERROR-CODE (14.8), UNKNOWN-ATTRIBUTES (14.13), SOFTWARE (14.14), REALM and NONCE
//!   (14.9, 14.10, raw bytes), and ICE's PRIORITY, USE-CANDIDATE, ICE-CONTROLLING and
//!   ICE-CONTROLLED (RFC 8445 section 16.1). Anything else is reachable through
//!   [`Message::attributes`] and [`MessageBuilder::add_raw`].
//! - Integrity (RFC 8489 sections 9.1, 9.2.2, 14.5, 14.6): short-term credentials use the
//!   password as the key; [`long_term_key`] derives the MD5 long-term key.
//!   [`Message::check_integrity`] computes the HMAC with the header length cut at the
//!   integrity attribute; attributes after MESSAGE-INTEGRITY other than
//!   MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored by every accessor, and FINGERPRINT
//!   must be last.
//! - [`RetransmitTimer`]: the client transaction schedule over UDP (section 6.2.1: Rc sends with
//!   doubling RTO, then Rm × RTO of waiting).
//! - [`Responder`]: a sans-IO Binding server (sections 6.3 and 8) that answers with
//!   XOR-MAPPED-ADDRESS, or 420 with UNKNOWN-ATTRIBUTES for unknown comprehension-required
//!   attributes (section 6.3.1), with a bounded, preallocated response queue.
//!
//! # Method groups
//!
//! - Parsing: [`is_stun`] (cheap header test), [`Message::new_checked`], then getters
//!   ([`Message::class`], [`Message::method`], [`Message::transaction_id`], typed attribute
//!   accessors) and checks ([`Message::check_fingerprint`], [`Message::check_integrity`]).
//!   Recognise fully before acting: check the fingerprint and integrity before any state
//!   changes.
//! - Writing: [`MessageBuilder::new`], `add_*` in wire order, then
//!   [`MessageBuilder::finish`] or [`MessageBuilder::finish_with_fingerprint`].
//! - The responder follows the crate's drain rule: [`Responder::handle_stun`], then drain
//!   [`Responder::poll_transmit`].
//!
//! # Left out
//!
//! - Long-term credential state (nonce handling, 401/438 retry, PASSWORD-ALGORITHMS, USERHASH)
//!   and SASLprep/OpaqueString: `long_term_key` takes already-prepared strings. TURN builds on
//!   the raw REALM and NONCE accessors.
//! - Reliable-transport transactions (Ti = 39.5 s over TCP), ALTERNATE-SERVER redirection and
//!   DNS discovery (sections 6.2.2, 10, 8).
//! - RFC 3489 classic STUN without the magic cookie: such messages are rejected.
//! - Authentication in [`Responder`]; ICE checks integrity itself.

mod attributes;
mod builder;
mod integrity;
mod responder;
mod transaction;
mod wire;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

pub use attributes::ErrorCode;
pub(crate) use attributes::MAX_UNKNOWN;
pub use builder::MessageBuilder;
pub use integrity::long_term_key;
pub use responder::{Responder, ResponderConfig, ResponderStats};
pub use transaction::{RetransmitTimer, TimerOutcome};
pub use wire::{
    AttributeType, Attributes, Class, Message, Method, RawAttribute, TransactionId, WireError,
    is_stun,
};

//! STUN (RFC 8489). Being written.

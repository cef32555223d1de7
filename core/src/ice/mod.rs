//! ICE (RFC 8445). Being written.

//! `sansrtc-tokio`: binds the sans-IO [`sansrtc`] core to tokio sockets and timers.
//!
//! Not built yet: the driver arrives with the peer connection (see the project's issue list).
//! Until then this crate only re-exports the core so the workspace layout is fixed.

pub use sansrtc;

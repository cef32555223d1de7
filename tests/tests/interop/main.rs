//! Interop between the other stacks in the simulator: str0m 0.25 and webrtc-rs `rtc` 0.21,
//! through the adapters in `sansrtc_tests::interop`, each side as offerer and as answerer.
//! These prove the adapters; our own peer joins them through the same [`InteropPeer`] trait.
//!
//! [`InteropPeer`]: sansrtc_tests::interop::InteropPeer

mod datachannel;
mod media;
mod relay;
mod setup;

//! Test support for sansrtc: the deterministic network simulator and scenario helpers.

pub mod ice;
pub mod sim;

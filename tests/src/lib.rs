//! Test support for sansrtc: the deterministic network simulator and scenario helpers.

pub mod alloc;
pub mod browser;
pub mod dcdtls;
pub mod flights;
pub mod ice;
#[cfg(feature = "compare")]
pub mod interop;
pub mod media;
pub mod rtc;
pub mod rtc_memory;
pub mod sctp;
pub mod sim;

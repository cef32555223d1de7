#![no_main]
//! An ICE agent driven by an arbitrary script of datagrams, commands and time jumps.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzz::ice_agent(data));

#![no_main]
//! An ICE agent driven by an arbitrary script of datagrams, commands and time jumps.

// The harness, not the core, reads the clock: one starting instant per input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sansrtc::fuzz::ice_agent(std::time::Instant::now(), data)
});

#![no_main]
//! A relay-only ICE agent fed datagrams from its TURN server, with commands and time jumps.

// The harness, not the core, reads the clock: one starting instant per input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sansrtc::fuzz::turn_relay(std::time::Instant::now(), data)
});

#![no_main]
//! STUN parsing, attribute access, integrity and the binding responder.

// The harness, not the core, reads the clock: one starting instant per input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sansrtc::fuzz::stun_message(std::time::Instant::now(), data)
});

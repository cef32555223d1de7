#![no_main]
//! STUN parsing, attribute access, integrity and the binding responder.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzz::stun_message(data));

//! The figure: 16 KiB reliable ordered messages between two associations over a perfect
//! in-memory link, in MiB/s of wall time. Printed, never asserted.
//!
//! `cargo test --release -p sansrtc-tests --test sctp -- --ignored --nocapture sctp_throughput`

use std::time::Duration;

use sansrtc::sctp::{Event, SendOptions};

use super::*;

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn sctp_throughput_16k_messages() {
    let mut config = SctpConfig::default();
    config.receive_window = 4 * 1024 * 1024;
    config.send_buffer_limit = 8 * 1024 * 1024;
    let mut p = pair_with(config, 50, Duration::ZERO, false);
    establish(&mut p);
    let msg = vec![0x5a; 16 * 1024];
    let total: usize = 256 * 1024 * 1024;
    let (mut sent, mut received) = (0usize, 0usize);
    let wall = epoch();
    while received < total {
        while sent < total
            && p.a
                .send(p.now(), S0, BINARY, &msg, SendOptions::default())
                .is_ok()
        {
            sent += msg.len();
        }
        if !p.step() {
            break;
        }
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                received += m.data.len();
            }
        }
    }
    let secs = wall.elapsed().as_secs_f64();
    println!(
        "sctp 16 KiB reliable ordered, in memory: {} MiB in {secs:.2} s = {:.1} MiB/s",
        received / (1024 * 1024),
        received as f64 / (1024.0 * 1024.0) / secs
    );
    assert_eq!(received, total);
}

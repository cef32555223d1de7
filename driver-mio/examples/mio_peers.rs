//! Two peers exchange data-channel messages over loopback, with the direct API (no SDP):
//! `cargo run -p sansrtc-mio --example mio_peers`. Peer `a` is ticked from a game-style frame
//! loop that never blocks; peer `b` echoes from its own thread, blocking in `run_until`.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use sansrtc::datachannel::ChannelConfig;
use sansrtc::dtls::Certificate;
use sansrtc::{Event, RtcConfig};
use sansrtc_mio::Loopback;

const MESSAGES: usize = 100;

fn main() -> Result<(), Box<dyn Error>> {
    let echoed = exchange(MESSAGES)?;
    println!("{echoed} messages echoed");
    Ok(())
}

/// Connects two peers on loopback, sends `messages` from one to the other, which echoes
/// them, and returns how many came back (in order, checked).
pub(crate) fn exchange(messages: usize) -> Result<usize, Box<dyn Error>> {
    exchange_on(&["127.0.0.1:0".parse()?], messages)
}

/// [`exchange`] with both peers bound at `binds` (unspecified addresses bind one socket per
/// host address; see the crate docs).
pub(crate) fn exchange_on(binds: &[SocketAddr], messages: usize) -> Result<usize, Box<dyn Error>> {
    let config = || RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")));
    let mut a = sansrtc_mio::bind_rtc_on(binds, Loopback::default(), config())?;
    let mut b = sansrtc_mio::bind_rtc_on(binds, Loopback::default(), config())?;
    // The signalling: here, a function call.
    let (pa, pb) = (
        a.machine().direct_parameters(),
        b.machine().direct_parameters(),
    );
    let now = Instant::now();
    a.machine_mut().direct_connect(now, pb, true)?;
    b.machine_mut().direct_connect(now, pa, false)?;
    let channel = a
        .machine_mut()
        .open_channel(now, ChannelConfig::new("chat"))?;

    // b echoes every message back, sleeping in run_until between datagrams and timers.
    let stop = Arc::new(AtomicBool::new(false));
    let stop_echo = stop.clone();
    let echo = thread::spawn(move || -> std::io::Result<()> {
        while !stop_echo.load(Ordering::Relaxed) && !b.is_finished() {
            b.run_until(Instant::now() + Duration::from_millis(50))?;
            while let Some(event) = b.poll_event() {
                if let Event::ChannelMessage { id, data, binary } = event {
                    // Refused only once the channel is gone: nothing left to echo to.
                    let _ = b.machine_mut().send(Instant::now(), id, &data, binary);
                }
            }
        }
        Ok(())
    });

    // a: one tick per frame, events drained after each, never blocking.
    let started = Instant::now();
    let mut echoed = 0;
    while echoed < messages {
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("timed out with {echoed} of {messages} echoed").into());
        }
        let now = Instant::now();
        a.tick(now)?;
        while let Some(event) = a.poll_event() {
            match event {
                Event::ChannelOpen { id, label } => {
                    println!("a: channel {label} open");
                    for i in 0..messages {
                        a.machine_mut()
                            .send(now, id, format!("message {i}").as_bytes(), false)?;
                    }
                }
                Event::ChannelMessage { data, .. } => {
                    assert_eq!(data, format!("message {echoed}").as_bytes());
                    echoed += 1;
                }
                _ => {}
            }
        }
        // The rest of the frame.
        thread::sleep(Duration::from_millis(1));
    }
    println!("a: {echoed} messages echoed on {channel}");
    a.machine_mut().close(Instant::now());
    a.tick(Instant::now())?;
    stop.store(true, Ordering::Relaxed);
    echo.join().expect("echo thread")?;
    Ok(echoed)
}

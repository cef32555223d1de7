//! Two peers in two tasks exchange data-channel messages over loopback, with the direct API
//! (no SDP): `cargo run -p sansrtc-smol --example smol_peers`.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::dtls::Certificate;
use sansrtc::{Event, RtcConfig};
use sansrtc_smol::Loopback;
use smol::Timer;
use smol::future::FutureExt;

const MESSAGES: usize = 100;

fn main() -> Result<(), Box<dyn Error>> {
    let echoed = smol::block_on(exchange(MESSAGES))?;
    println!("{echoed} messages echoed");
    Ok(())
}

/// Connects two peers on loopback, sends `messages` from one to the other, which echoes
/// them, and returns how many came back (in order, checked).
pub(crate) async fn exchange(messages: usize) -> Result<usize, Box<dyn Error>> {
    exchange_on(&["127.0.0.1:0".parse()?], messages).await
}

/// [`exchange`] with both peers bound at `binds` (unspecified addresses bind one socket per
/// host address; see the crate docs).
pub(crate) async fn exchange_on(
    binds: &[SocketAddr],
    messages: usize,
) -> Result<usize, Box<dyn Error>> {
    let config = || RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")));
    let (a, mut a_events) = sansrtc_smol::bind_rtc_on(binds, Loopback::default(), config()).await?;
    let (b, mut b_events) = sansrtc_smol::bind_rtc_on(binds, Loopback::default(), config()).await?;
    // The signalling: here, a function call. The controlled side connects first: a peer
    // starts out as ICE controlling, so a check reaching it before its direct_connect is a role
    // conflict that costs about a second to resolve.
    let (pa, pb) = (a.direct_parameters().await?, b.direct_parameters().await?);
    b.direct_connect(pa, false).await??;
    a.direct_connect(pb, true).await??;
    let channel = a.open_channel(ChannelConfig::new("chat")).await??;

    // b echoes every message back.
    let echo = smol::spawn(async move {
        while let Some(event) = b_events.next().await {
            if let Event::ChannelMessage { id, data, binary } = event
                && b.send(id, data, binary).await.is_err()
            {
                break;
            }
        }
    });

    let mut echoed = 0;
    let run = async {
        while let Some(event) = a_events.next().await {
            match event {
                Event::ChannelOpen { id, label } => {
                    println!("a: channel {label} open");
                    for i in 0..messages {
                        a.send(id, format!("message {i}").into_bytes(), false)
                            .await??;
                    }
                }
                Event::ChannelMessage { data, .. } => {
                    assert_eq!(data, format!("message {echoed}").as_bytes());
                    echoed += 1;
                    if echoed == messages {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok::<_, Box<dyn Error>>(())
    };
    let timeout = async {
        Timer::after(Duration::from_secs(20)).await;
        Err("timed out".into())
    };
    run.or(timeout).await?;
    println!("a: {echoed} messages echoed on {channel}");
    a.close().await?;
    // Dropping the echo task cancels it; its handle goes with it and b's driver stops.
    drop(echo);
    Ok(echoed)
}

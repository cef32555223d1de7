//! Two peers in two tasks exchange data-channel messages over loopback, with the direct API
//! (no SDP): `cargo run -p sansrtc-tokio --example tokio_peers`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::dtls::Certificate;
use sansrtc::{Event, RtcConfig};
use sansrtc_tokio::Loopback;

const MESSAGES: usize = 100;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let echoed = exchange(MESSAGES).await?;
    println!("{echoed} messages echoed");
    Ok(())
}

/// Connects two peers on loopback, sends `messages` from one to the other, which echoes
/// them, and returns how many came back (in order, checked).
pub(crate) async fn exchange(messages: usize) -> Result<usize, Box<dyn std::error::Error>> {
    exchange_on(&["127.0.0.1:0".parse()?], messages).await
}

/// [`exchange`] with both peers bound at `binds` (unspecified addresses bind one socket per
/// host address; see the crate docs).
pub(crate) async fn exchange_on(
    binds: &[SocketAddr],
    messages: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    let config = || RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")));
    let (a, mut a_events) =
        sansrtc_tokio::bind_rtc_on(binds, Loopback::default(), config()).await?;
    let (b, mut b_events) =
        sansrtc_tokio::bind_rtc_on(binds, Loopback::default(), config()).await?;
    // The signalling: here, a function call.
    let (pa, pb) = (a.direct_parameters().await?, b.direct_parameters().await?);
    a.direct_connect(pb, true).await??;
    b.direct_connect(pa, false).await??;
    let channel = a.open_channel(ChannelConfig::new("chat")).await??;

    // b echoes every message back.
    let echo = tokio::spawn(async move {
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
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    tokio::time::timeout(Duration::from_secs(20), run).await??;
    println!("a: {echoed} messages echoed on {channel}");
    a.close().await?;
    echo.abort();
    Ok(echoed)
}

//! Two peer connections in memory: offer/answer, data channels, media, close.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;
use crate::datachannel::ChannelConfig;
use crate::dtls::Certificate;
use crate::net::Receive;
use crate::test_support::epoch;

fn peer(seed: u64, addr: &str, now: Instant) -> (Rtc, SocketAddr) {
    let cert = Arc::new(Certificate::generate().expect("certificate"));
    let mut rtc = Rtc::new(
        RtcConfig::new(cert),
        now,
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
    );
    let addr: SocketAddr = addr.parse().expect("address");
    rtc.add_host_address(now, addr).expect("host address");
    (rtc, addr)
}

/// Runs both peers until nothing is left to do before `until`, delivering every datagram
/// at once; returns the events of each.
fn run(a: &mut Rtc, b: &mut Rtc, now: &mut Instant, until: Instant) -> (Vec<Event>, Vec<Event>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let mut buf = vec![0; 2048];
    loop {
        let moved = pump(a, b, *now, &mut buf, &mut ea) | pump(b, a, *now, &mut buf, &mut eb);
        if moved {
            continue;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => {
                *now = (*now).max(t);
                a.handle_timeout(*now);
                b.handle_timeout(*now);
            }
            _ => break,
        }
    }
    (ea, eb)
}

/// Delivers everything `from` sends to `to`; collects `from`'s events.
fn pump(
    from: &mut Rtc,
    to: &mut Rtc,
    now: Instant,
    buf: &mut [u8],
    events: &mut Vec<Event>,
) -> bool {
    let mut moved = false;
    while let Some(t) = from.poll_transmit(now, buf) {
        moved = true;
        let mut data = buf[..t.len].to_vec();
        to.handle_datagram(now, Receive::udp(t.source, t.destination, &mut data));
    }
    while let Some(e) = from.poll_event() {
        events.push(e);
    }
    moved
}

#[test]
fn offer_answer_data_channel_echo() {
    let mut now = epoch();
    let (mut a, _) = peer(1, "10.0.0.1:5000", now);
    let (mut b, _) = peer(2, "10.0.0.2:5000", now);
    let id = a
        .open_channel(now, ChannelConfig::new("chat"))
        .expect("open");
    let offer = a.create_offer(now).expect("offer");
    assert!(offer.contains("m=application"), "{offer}");
    let answer = b.accept_offer(now, &offer).expect("answer");
    a.accept_answer(now, &answer).expect("accept answer");
    let (ea, eb) = run(&mut a, &mut b, &mut now, epoch() + Duration::from_secs(5));
    assert_eq!(a.state(), PeerState::Connected, "{ea:?}");
    assert_eq!(b.state(), PeerState::Connected, "{eb:?}");
    assert!(
        ea.contains(&Event::ChannelOpen {
            id,
            label: "chat".into()
        }),
        "{ea:?}"
    );
    let remote = eb
        .iter()
        .find_map(|e| match e {
            Event::ChannelOpen { id, label } if label == "chat" => Some(*id),
            _ => None,
        })
        .expect("b sees the channel");
    a.send(now, id, b"hello", false).expect("send");
    let until = now + Duration::from_secs(1);
    let (_, eb) = run(&mut a, &mut b, &mut now, until);
    assert!(eb.contains(&Event::ChannelMessage {
        id: remote,
        data: bytes::Bytes::from_static(b"hello"),
        binary: false
    }));
}

//! The cases, each generic over the stack (both peers run the same one).

use std::alloc::System;
use std::time::{Duration, Instant};

use sansrtc_tests::interop::{InteropPeer, MediaKind, PeerConfig, Scenario, frame, message};
use sansrtc_tests::sim::{LinkConfig, LinkDirection};
use stats_alloc::StatsAlloc;

use crate::measure::{Meter, Sample, peak_rss_kib, reset_peak_rss};
use crate::pump::{DelayPair, Pair};

/// Data-channel message size.
pub(crate) const DC_MESSAGE: usize = 16 * 1024;
/// RTP payload size.
pub(crate) const RTP_PAYLOAD: usize = 1200;
/// Bytes the sender keeps queued in its stack at most (the adapters' own limit too).
const HIGH_WATER: usize = 256 * 1024;
/// RTP packets written per exchange round.
const RTP_BURST: u32 = 16;
/// One-way delay of the setup case.
pub(crate) const SETUP_ONE_WAY: Duration = Duration::from_millis(25);
/// How much virtual time a transfer may take before the case gives up and reports what
/// arrived.
const LIMIT: Duration = Duration::from_secs(600);

/// How much work each case does per run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) dc_messages: u64,
    pub(crate) dc_warm: u64,
    pub(crate) rtp_packets: u64,
    pub(crate) rtp_warm: u64,
    pub(crate) frames: u64,
    pub(crate) frame_warm: u64,
    pub(crate) idle_pairs: usize,
    pub(crate) idle_for: Duration,
    pub(crate) loss_messages: u64,
}

impl Sizes {
    pub(crate) const FULL: Self = Self {
        dc_messages: 8000,
        dc_warm: 400,
        rtp_packets: 100_000,
        rtp_warm: 5000,
        frames: 2000,
        frame_warm: 100,
        idle_pairs: 10,
        idle_for: Duration::from_secs(40),
        loss_messages: 1000,
    };

    pub(crate) const QUICK: Self = Self {
        dc_messages: 100,
        dc_warm: 20,
        rtp_packets: 2000,
        rtp_warm: 200,
        frames: 40,
        frame_warm: 10,
        idle_pairs: 2,
        idle_for: Duration::from_secs(5),
        loss_messages: 40,
    };
}

type Global = &'static StatsAlloc<System>;

/// Finishes a sample: peak RSS and the stack's complaints.
fn finish<P: InteropPeer>(mut s: Sample, peers: [&P; 2]) -> Sample {
    s.rss_kib = peak_rss_kib();
    for p in peers {
        if let Some((_, e)) = p.state().errors.first() {
            eprintln!(
                "warning: {}: {} errors, first: {e}",
                p.stack(),
                p.state().errors.len()
            );
        }
    }
    s
}

/// 16 KiB reliable ordered messages one way, a to b.
pub(crate) fn dc<P: InteropPeer>(g: Global, sizes: &Sizes) -> Sample {
    let mut p = Pair::<P>::new(Instant::now(), false, false);
    p.connect(false);
    let msg = message(1, 0, DC_MESSAGE);
    send_messages(&mut p, &msg, sizes.dc_warm);
    reset_peak_rss();
    let (meter, v0) = (Meter::start(g), p.now);
    let delivered = send_messages(&mut p, &msg, sizes.dc_messages);
    let mut s = meter.stop();
    s.units = delivered as f64;
    s.bytes = (delivered * DC_MESSAGE as u64) as f64;
    s.virt = p.now - v0;
    finish(s, [&p.a, &p.b])
}

/// Sends `count` copies of `msg` from a, keeping at most [`HIGH_WATER`] in the stack; returns
/// how many b received.
fn send_messages<P: InteropPeer>(p: &mut Pair<P>, msg: &[u8], count: u64) -> u64 {
    let start = p.b.state().counters.messages_received;
    let mut sent = 0;
    p.run_until(LIMIT, |p| {
        while sent < count && p.a.buffered_amount() + msg.len() <= HIGH_WATER {
            p.a.send_message(p.now, msg);
            sent += 1;
        }
        p.b.state().counters.messages_received >= start + count
    });
    let got = p.b.state().counters.messages_received - start;
    if got < count {
        eprintln!(
            "warning: {}: {got} of {count} messages arrived",
            p.a.stack()
        );
    }
    got
}

/// A VP8 payload: a payload descriptor that starts a partition, then filler.
fn vp8_payload(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|k| (k * 7) as u8).collect();
    v[0] = 0x10;
    v
}

/// RTP forward: 1200-byte payloads through each stack's packet-level API, a to b.
pub(crate) fn rtp<P: InteropPeer>(g: Global, sizes: &Sizes) -> Sample {
    let mut p = Pair::<P>::new(Instant::now(), true, true);
    p.connect(true);
    let payload = vp8_payload(RTP_PAYLOAD);
    let mut seq = 0u16;
    send_packets(&mut p, &payload, sizes.rtp_warm, &mut seq);
    reset_peak_rss();
    let (meter, v0) = (Meter::start(g), p.now);
    let delivered = send_packets(&mut p, &payload, sizes.rtp_packets, &mut seq);
    let mut s = meter.stop();
    s.units = delivered as f64;
    s.bytes = (delivered * RTP_PAYLOAD as u64) as f64;
    s.virt = p.now - v0;
    finish(s, [&p.a, &p.b])
}

fn send_packets<P: InteropPeer>(p: &mut Pair<P>, payload: &[u8], count: u64, seq: &mut u16) -> u64 {
    let start = p.b.state().counters.packets_received;
    let mut sent = 0;
    p.run_until(LIMIT, |p| {
        for _ in 0..RTP_BURST {
            if sent == count {
                break;
            }
            let ts = u32::from(*seq).wrapping_mul(3000);
            p.a.write_rtp(p.now, MediaKind::Video, *seq, ts, true, payload);
            *seq = seq.wrapping_add(1);
            sent += 1;
        }
        p.b.state().counters.packets_received >= start + count
    });
    let got = p.b.state().counters.packets_received - start;
    if got < count {
        eprintln!("warning: {}: {got} of {count} packets arrived", p.a.stack());
    }
    got
}

/// 12 KB VP8 frames: packetized, protected, sent, unprotected, depacketized, a to b.
pub(crate) fn frames<P: InteropPeer>(g: Global, sizes: &Sizes) -> Sample {
    let mut p = Pair::<P>::new(Instant::now(), true, false);
    p.connect(true);
    // Frame 0 of the interop pattern is a 12 000-byte keyframe.
    let data = frame(MediaKind::Video, 0);
    let mut seq = 0u32;
    send_frames(&mut p, &data, sizes.frame_warm, &mut seq);
    reset_peak_rss();
    let (meter, v0) = (Meter::start(g), p.now);
    let delivered = send_frames(&mut p, &data, sizes.frames, &mut seq);
    let mut s = meter.stop();
    s.units = delivered as f64;
    s.bytes = (delivered * data.len() as u64) as f64;
    s.virt = p.now - v0;
    finish(s, [&p.a, &p.b])
}

/// Sends `count` frames, one per exchange round; returns how many were delivered, counting
/// the last as delivered once every earlier one is (`rtc`'s `SampleBuilder` holds a frame
/// until the next begins).
fn send_frames<P: InteropPeer>(p: &mut Pair<P>, data: &[u8], count: u64, seq: &mut u32) -> u64 {
    let start = p.b.state().counters.frames_received;
    let mut sent = 0;
    p.run_until(LIMIT, |p| {
        if sent < count {
            let ts = seq.wrapping_mul(3000);
            p.a.write_frame(p.now, MediaKind::Video, ts, data);
            *seq += 1;
            sent += 1;
        }
        sent == count && p.b.state().counters.frames_received + 1 >= start + count
    });
    let got = (p.b.state().counters.frames_received - start + 1).min(count);
    if got < count {
        eprintln!("warning: {}: {got} of {count} frames arrived", p.a.stack());
    }
    got
}

/// Offer/answer to the first data-channel message, 25 ms one way: CPU and allocations of
/// both peers (peer construction, which generates str0m's and rtc's certificates, is left
/// out; ours come ready-made), then the flights from the simulator.
pub(crate) fn setup<P: InteropPeer>(g: Global, seed: u64) -> Sample {
    let epoch = Instant::now();
    let mut d = DelayPair::<P>::new(epoch, SETUP_ONE_WAY);
    if std::env::var_os("BENCH_TRACE").is_some() {
        println!("setup trace, {}:", d.a.stack());
    }
    let msg = message(1, 0, 100);
    reset_peak_rss();
    let meter = Meter::start(g);
    d.a.send_message(epoch, &msg);
    d.b.send_message(epoch, &msg);
    d.negotiate();
    let arrived = d.run_until(Duration::from_secs(30), |d| {
        d.a.state().first_message.is_some() || d.b.state().first_message.is_some()
    });
    let mut s = meter.stop();
    s.flights = d.depth_at_first_message();
    if !arrived {
        eprintln!("warning: {}: no message within 30 s", d.a.stack());
    }
    s.units = 1.0;
    let (flights, virt) = flights::<P>(seed);
    if s.flights != flights {
        eprintln!(
            "note: {}: {} flights in the pump, {flights} in the simulator",
            d.a.stack(),
            s.flights
        );
    }
    s.flights = flights;
    s.virt = virt;
    finish(s, [&d.a, &d.b])
}

/// Flights and virtual time to the first message, in the simulator with a flight ledger.
fn flights<P: InteropPeer>(seed: u64) -> (u32, Duration) {
    let link = LinkConfig::with_latency(SETUP_ONE_WAY / 2);
    let mut sc = Scenario::new::<P, P>(seed, link, false);
    let now = sc.sim.now();
    let (o, a) = (sc.offerer, sc.answerer);
    sc.sim
        .peer_mut::<P>(o)
        .send_message(now, &message(1, 0, 100));
    sc.sim
        .peer_mut::<P>(a)
        .send_message(now, &message(2, 0, 100));
    sc.sim.run_until_cond(Duration::from_secs(30), |s| {
        let first = |h| s.peer::<P>(h).state().first_message.is_some();
        let connected = |h| s.peer::<P>(h).is_connected();
        (first(o) || first(a)) && connected(o) && connected(a)
    });
    sc.setup_figures::<P, P>()
        .map_or((0, Duration::ZERO), |f| (f.flights, f.first_message))
}

/// Heap held per connected idle peer with one data channel open: `pairs` pairs connected,
/// then idle for `idle_for` of virtual time; the net heap growth over all of it, per peer.
/// The one datagram buffer the pump needs is shared and left out.
pub(crate) fn idle<P: InteropPeer>(g: Global, sizes: &Sizes) -> Sample {
    let n = sizes.idle_pairs;
    let mut buf = Vec::new();
    let epoch = Instant::now();
    reset_peak_rss();
    let meter = Meter::start(g);
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let mut p = Pair::<P>::with_buf(epoch, false, false, std::mem::take(&mut buf));
        p.connect(false);
        pairs.push(p);
        buf = pairs.last_mut().map(Pair::take_buf).unwrap_or_default();
    }
    for p in &mut pairs {
        p.set_buf(std::mem::take(&mut buf));
        let end = p.now + sizes.idle_for;
        p.run_until(sizes.idle_for + Duration::from_secs(1), |p| p.now >= end);
        buf = p.take_buf();
    }
    let mut s = meter.stop();
    // The pump's datagram buffer is still allocated and counted: take it out.
    s.held -= buf.capacity() as i64;
    s.units = 2.0 * n as f64;
    let first = pairs.first().expect("at least one pair");
    let s = finish(s, [&first.a, &first.b]);
    drop(pairs);
    s
}

/// Each access link 5 ms one way (10 ms host to host); `loss` on the uplinks.
fn loss_link(loss: f64) -> LinkConfig {
    let clean = LinkDirection::default().with_latency(Duration::from_millis(5));
    LinkConfig::new(clean.with_loss(loss), clean)
}

/// The dc case in the simulator with `loss` each way: the channel opens over a clean link,
/// then the link turns lossy and `loss_messages` 16 KiB messages go from offerer to answerer.
pub(crate) fn dc_loss<P: InteropPeer>(g: Global, sizes: &Sizes, loss: f64, seed: u64) -> Sample {
    let build = |now, c: &PeerConfig| {
        let mut c = c.clone();
        c.echo = false;
        c.keep = false;
        c.flights = None;
        P::build(now, &c)
    };
    let mut sc = Scenario::with_builders(seed, loss_link(0.0), false, build, build);
    let (o, a) = (sc.offerer, sc.answerer);
    if !sc.run_until_open::<P, P>(Duration::from_secs(30)) {
        eprintln!("warning: channel did not open");
    }
    sc.sim.set_link(o, loss_link(loss));
    sc.sim.set_link(a, loss_link(loss));
    let msg = message(1, 0, DC_MESSAGE);
    let count = sizes.loss_messages;
    reset_peak_rss();
    let (meter, v0) = (Meter::start(g), sc.sim.now());
    let mut sent = 0;
    let end = v0 + LIMIT;
    while sc.sim.now() < end {
        let now = sc.sim.now();
        let peer = sc.sim.peer_mut::<P>(o);
        while sent < count && peer.buffered_amount() + msg.len() <= HIGH_WATER {
            peer.send_message(now, &msg);
            sent += 1;
        }
        if sc.sim.peer::<P>(a).state().counters.messages_received >= count {
            break;
        }
        sc.sim.run_for(Duration::from_micros(500));
    }
    let mut s = meter.stop();
    let got = sc.sim.peer::<P>(a).state().counters.messages_received;
    if got < count {
        eprintln!("warning: loss {loss}: {got} of {count} messages arrived");
    }
    s.units = got as f64;
    s.bytes = (got * DC_MESSAGE as u64) as f64;
    s.virt = sc.sim.now() - v0;
    finish(s, [sc.offerer::<P>(), sc.answerer::<P>()])
}

/// The crypto floor: ring AES-128-GCM seal and open of one 1200-byte payload (with a 12-byte
/// header as associated data), per packet.
pub(crate) fn crypto_floor(g: Global, packets: u64) -> Sample {
    use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7; 16]).expect("key"));
    let header = [0x80u8; 12];
    let mut buf = vec![0x5a; RTP_PAYLOAD];
    let meter = Meter::start(g);
    for i in 0..packets {
        let mut n = [0u8; 12];
        n[4..].copy_from_slice(&i.to_be_bytes());
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(n),
                Aad::from(header),
                &mut buf,
            )
            .expect("seal");
        buf.extend_from_slice(tag.as_ref());
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(n), Aad::from(header), &mut buf)
            .expect("open")
            .len();
        buf.truncate(plain);
    }
    let mut s = meter.stop();
    s.units = packets as f64;
    s.bytes = (packets * RTP_PAYLOAD as u64) as f64;
    s
}

/// With `BENCH_TRACE`: the setup datagrams of our peer against each other stack, each side
/// offering, with their flights (the same-stack traces come from [`setup`]).
pub(crate) fn trace_cross() {
    fn one<A: InteropPeer, B: InteropPeer>() {
        let epoch = Instant::now();
        let mut d = DelayPair::<A, B>::new(epoch, SETUP_ONE_WAY);
        println!(
            "setup trace, {} offers, {} answers:",
            d.a.stack(),
            d.b.stack()
        );
        let msg = message(1, 0, 100);
        d.a.send_message(epoch, &msg);
        d.b.send_message(epoch, &msg);
        d.negotiate();
        d.run_until(Duration::from_secs(30), |d| {
            d.a.state().first_message.is_some() || d.b.state().first_message.is_some()
        });
        println!(
            "  first message after {} flights, {:?}",
            d.depth_at_first_message(),
            d.now - epoch
        );
    }
    use sansrtc_tests::interop::{RtcPeer, SansrtcPeer, Str0mPeer};
    one::<SansrtcPeer, Str0mPeer>();
    one::<Str0mPeer, SansrtcPeer>();
    one::<SansrtcPeer, RtcPeer>();
    one::<RtcPeer, SansrtcPeer>();
}

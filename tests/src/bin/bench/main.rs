//! The side-by-side benchmark: sansrtc, str0m 0.25 and webrtc-rs `rtc` 0.21 on the same cases,
//! in one process, on one thread, in interleaved rounds.
//!
//! ```text
//! cargo run --release -p sansrtc-tests --features compare --bin bench -- [--quick] [CASE...]
//! ```
//!
//! Cases: `dc`, `rtp`, `setup`, `frame`, `idle-peer`, `dc-loss` (all by default). Both peers of
//! a case are the same stack, driven through the interop adapters ([`sansrtc_tests::interop`])
//! with datagrams handed across in memory on a virtual clock ([`pump`]); `dc-loss` and the
//! setup flights run in the simulator. Each round runs every stack once, starting with a
//! different one each round, so drift of the machine hits all alike; the tables give the
//! median and the min-max over the rounds. See [`measure`] for what the columns measure.
//!
//! Environment: `BENCH_STACKS=sansrtc[,str0m][,rtc]` runs only those stacks (to profile one);
//! `BENCH_TRACE=1` prints every datagram of the setup case with its one-way flight number and
//! kind (STUN, DTLS handshake type, SCTP inside DTLS), for every stack against itself and for
//! ours against each of the others.
//!
//! After the tables one line per case, for scripts:
//! `ratio <case> sansrtc/str0m=<x> sansrtc/rtc=<y> sansrtc_allocs_per_unit=<n>`, a ratio
//! above 1 meaning sansrtc is better (higher throughput, or less CPU, fewer flights or bytes).

mod cases;
mod measure;
mod pump;

use std::alloc::System;

use sansrtc_tests::interop::{InteropPeer, RtcPeer, SansrtcPeer, Str0mPeer};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use crate::cases::Sizes;
use crate::measure::{Sample, spread};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The stacks, in table order.
const STACKS: [&str; 3] = ["sansrtc", "str0m", "rtc"];

/// Every case, in the order they run.
const CASES: [&str; 6] = ["dc", "rtp", "setup", "frame", "idle-peer", "dc-loss"];

/// Rounds of a full run.
const ROUNDS: usize = 7;

/// The headline figure of a case, and which way is better.
#[derive(Clone, Copy)]
struct Figure {
    label: &'static str,
    of: fn(&Sample) -> f64,
    higher_is_better: bool,
}

const MIB: f64 = 1024.0 * 1024.0;

fn per_cpu_second(s: &Sample) -> f64 {
    s.units / s.cpu.as_secs_f64().max(1e-9)
}

fn mib_per_cpu_second(s: &Sample) -> f64 {
    s.bytes / MIB / s.cpu.as_secs_f64().max(1e-9)
}

fn figure(case: &str) -> Figure {
    match case {
        "dc" | "dc-loss 1%" | "dc-loss 5%" => Figure {
            label: "MiB/s (CPU)",
            of: mib_per_cpu_second,
            higher_is_better: true,
        },
        "rtp" => Figure {
            label: "packets/s (CPU)",
            of: per_cpu_second,
            higher_is_better: true,
        },
        "frame" => Figure {
            label: "frames/s (CPU)",
            of: per_cpu_second,
            higher_is_better: true,
        },
        "setup" => Figure {
            label: "setup CPU ms",
            of: |s| s.cpu.as_secs_f64() * 1e3,
            higher_is_better: false,
        },
        _ => Figure {
            label: "heap KiB/peer",
            of: |s| s.held as f64 / 1024.0 / s.units.max(1.0),
            higher_is_better: false,
        },
    }
}

/// Runs `case` once on `stack`.
fn run(case: &str, stack: &str, sizes: &Sizes, round: usize) -> Sample {
    fn on<P: InteropPeer>(case: &str, sizes: &Sizes, round: usize) -> Sample {
        let seed = 9000 + round as u64;
        match case {
            "dc" => cases::dc::<P>(GLOBAL, sizes),
            "rtp" => cases::rtp::<P>(GLOBAL, sizes),
            "setup" => cases::setup::<P>(GLOBAL, seed),
            "frame" => cases::frames::<P>(GLOBAL, sizes),
            "idle-peer" => cases::idle::<P>(GLOBAL, sizes),
            "dc-loss 1%" => cases::dc_loss::<P>(GLOBAL, sizes, 0.01, seed),
            "dc-loss 5%" => cases::dc_loss::<P>(GLOBAL, sizes, 0.05, seed),
            other => unreachable!("case {other}"),
        }
    }
    match stack {
        "sansrtc" => on::<SansrtcPeer>(case, sizes, round),
        "str0m" => on::<Str0mPeer>(case, sizes, round),
        _ => on::<RtcPeer>(case, sizes, round),
    }
}

/// The samples of one table row.
struct Row {
    stack: &'static str,
    samples: Vec<Sample>,
}

fn main() {
    let mut quick = false;
    let mut chosen = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!(
                    "usage: bench [--quick] [CASE...]; cases: {}",
                    CASES.join(" ")
                );
                return;
            }
            c if CASES.contains(&c) => chosen.push(c.to_owned()),
            other => {
                eprintln!("unknown argument {other:?}; cases: {}", CASES.join(" "));
                std::process::exit(2);
            }
        }
    }
    if chosen.is_empty() {
        chosen = CASES.iter().map(|c| (*c).to_owned()).collect();
    }
    let (sizes, rounds) = if quick {
        (Sizes::QUICK, 1)
    } else {
        (Sizes::FULL, ROUNDS)
    };
    println!(
        "sansrtc benchmark: {} round(s), {} mode; throughput per second of this thread's CPU \
         time (/proc/thread-self/schedstat); allocations from a counting global allocator",
        rounds,
        if quick { "quick" } else { "full" }
    );
    // Our adapter shares one certificate per process: make it now, outside every measurement.
    let _ = sansrtc_tests::rtc::certificates();
    // `BENCH_STACKS=sansrtc,str0m` runs only those (for profiling one stack); the tables
    // then leave the others empty and the ratio lines are not meaningful.
    let only = std::env::var("BENCH_STACKS").ok();
    let wanted = |s: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s));
    floor(&sizes);
    if std::env::var_os("BENCH_TRACE").is_some() && chosen.iter().any(|c| c == "setup") {
        cases::trace_cross();
    }
    let mut ratios = Vec::new();
    for case in &chosen {
        let parts: Vec<&str> = if case == "dc-loss" {
            vec!["dc-loss 1%", "dc-loss 5%"]
        } else {
            vec![case.as_str()]
        };
        let mut last = None;
        for part in parts {
            let mut rows: Vec<Row> = STACKS
                .iter()
                .map(|s| Row {
                    stack: s,
                    samples: Vec::new(),
                })
                .collect();
            for round in 0..rounds {
                for k in 0..STACKS.len() {
                    let i = (round + k) % STACKS.len();
                    if !wanted(STACKS[i]) {
                        continue;
                    }
                    let sample = run(part, STACKS[i], &sizes, round);
                    rows[i].samples.push(sample);
                }
            }
            print_table(part, &rows);
            last = Some((part, rows));
        }
        if let Some((part, rows)) = last {
            ratios.push(ratio_line(case, part, &rows));
        }
    }
    println!();
    for line in ratios {
        println!("{line}");
    }
}

/// The crypto floor line.
fn floor(sizes: &Sizes) {
    let s = cases::crypto_floor(GLOBAL, sizes.rtp_packets.max(10_000));
    println!(
        "crypto floor: ring AES-128-GCM seal+open of {} B: {:.2} M packets/s, {:.0} MiB/s \
         (CPU), {:.2} us per packet",
        cases::RTP_PAYLOAD,
        per_cpu_second(&s) / 1e6,
        mib_per_cpu_second(&s),
        s.cpu.as_secs_f64() * 1e6 / s.units
    );
}

fn median(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    spread(samples.iter().map(f).collect()).0
}

fn per_unit(s: &Sample, v: f64) -> f64 {
    v / s.units.max(1.0)
}

fn print_table(case: &str, rows: &[Row]) {
    let fig = figure(case);
    println!();
    println!("== {case} ==");
    println!(
        "| stack | {} median [min-max] | CPU us/unit | wall us/unit | allocs/unit | alloc B/unit \
         | peak RSS MiB | extra |",
        fig.label
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        let s = &row.samples;
        if s.is_empty() {
            continue;
        }
        let (m, lo, hi) = spread(s.iter().map(fig.of).collect());
        let cpu = median(s, |x| per_unit(x, x.cpu.as_secs_f64() * 1e6));
        let wall = median(s, |x| per_unit(x, x.wall.as_secs_f64() * 1e6));
        let allocs = median(s, |x| per_unit(x, x.allocs as f64));
        let bytes = median(s, |x| per_unit(x, x.alloc_bytes as f64));
        let rss = median(s, |x| x.rss_kib as f64) / 1024.0;
        let extra = extra(case, s);
        println!(
            "| {} | {} [{}-{}] | {cpu:.2} | {wall:.2} | {allocs:.2} | {bytes:.0} | {rss:.1} | {extra} |",
            row.stack,
            fmt(m),
            fmt(lo),
            fmt(hi)
        );
    }
}

/// The case-specific column.
fn extra(case: &str, s: &[Sample]) -> String {
    let virt_rate = |x: &Sample| x.bytes / MIB / x.virt.as_secs_f64().max(1e-9);
    match case {
        "setup" => {
            let flights = spread(s.iter().map(|x| f64::from(x.flights)).collect());
            let virt = median(s, |x| x.virt.as_secs_f64() * 1e3);
            let wait = median(s, |x| {
                (x.virt.saturating_sub(cases::SETUP_ONE_WAY * x.flights)).as_secs_f64() * 1e3
            });
            format!(
                "{:.0} one-way flights [{:.0}-{:.0}], first message at {virt:.0} ms virtual \
                 ({wait:.0} ms beyond flights x 25 ms)",
                flights.0, flights.1, flights.2
            )
        }
        "dc-loss 1%" | "dc-loss 5%" => {
            let (m, lo, hi) = spread(s.iter().map(virt_rate).collect());
            format!(
                "{} [{}-{}] MiB per virtual second; {:.0} of the units delivered",
                fmt(m),
                fmt(lo),
                fmt(hi),
                median(s, |x| x.units)
            )
        }
        "idle-peer" => format!("{:.0} peers", median(s, |x| x.units)),
        _ => {
            let wall = median(s, |x| x.bytes / MIB / x.wall.as_secs_f64().max(1e-9));
            format!("{wall:.1} MiB/s wall")
        }
    }
}

fn fmt(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `ratio <case> sansrtc/str0m=<x> sansrtc/rtc=<y> sansrtc_allocs_per_unit=<n>`; for setup
/// the figure is CPU, for dc-loss the 5% run.
fn ratio_line(case: &str, part: &str, rows: &[Row]) -> String {
    let fig = figure(part);
    let m = |i: usize| median(&rows[i].samples, fig.of);
    let r = |i: usize| {
        let (ours, theirs) = (m(0), m(i));
        if fig.higher_is_better {
            ours / theirs
        } else {
            theirs / ours
        }
    };
    let allocs = median(&rows[0].samples, |x| per_unit(x, x.allocs as f64));
    format!(
        "ratio {case} sansrtc/str0m={:.2} sansrtc/rtc={:.2} sansrtc_allocs_per_unit={allocs:.2}",
        r(1),
        r(2)
    )
}

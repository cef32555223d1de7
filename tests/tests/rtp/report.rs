//! RTCP SR/RR figures (RFC 3550 section 6.4 and appendix A.8) agree with what the simulator
//! did: cumulative loss, extended highest sequence number, jitter and round-trip time.

use std::time::Duration;

use sansrtc_tests::media::CLOCK_RATE;

use super::{LATENCY, MediaScenario};

const FIRST_SEQ: u16 = 65_300;
const JITTER: Duration = Duration::from_millis(10);

#[test]
fn rtcp_report_loss_jitter_rtt_agree_with_simulation() {
    let mut s = MediaScenario::new(11, 1000, FIRST_SEQ, 0.05, JITTER);
    s.sim.run_for(Duration::from_secs(23));
    let lost = s.lost(FIRST_SEQ);
    let r = s.receiver();
    let report = r.last_report().expect("receiver reports were sent");
    println!(
        "report: {report:?}; {} lost; rtts {:?}",
        lost.len(),
        &s.sender().rtts
    );
    // The last packet sent, extended across the wrap, unless the very last were lost.
    let last_received = u32::from(*r.received.iter().filter(|&&q| q < FIRST_SEQ).max().unwrap());
    assert_eq!(report.extended_highest_seq, 65_536 + last_received);
    let expected = i64::from(report.extended_highest_seq) - i64::from(FIRST_SEQ) + 1;
    let lost_before_highest = lost
        .iter()
        .filter(|&&q| q >= FIRST_SEQ || u32::from(q) <= last_received)
        .count();
    assert_eq!(
        i64::from(report.cumulative_lost),
        lost_before_highest as i64
    );
    assert_eq!(
        expected - r.stats().packets_received as i64,
        lost_before_highest as i64
    );

    // Uniform extra delay in [0, 10 ms] (order kept): the mean |D| is a fraction of it.
    let bound = (JITTER.as_secs_f64() * f64::from(CLOCK_RATE)) as u32;
    assert!(
        (bound / 10..=bound / 2).contains(&report.jitter),
        "jitter {} outside [{}, {}]; {}",
        report.jitter,
        bound / 10,
        bound / 2,
        s.sim.replay_hint()
    );

    // SR one way (25 + 25 ms + up to 10 ms jitter) plus RR one way (25 + 25 ms).
    let rtts = &s.sender().rtts;
    assert!(rtts.len() >= 15, "{}", rtts.len());
    let min = 4 * LATENCY;
    let max = min + JITTER + Duration::from_millis(1);
    for rtt in rtts {
        assert!(
            (min - Duration::from_millis(1)..=max).contains(rtt),
            "rtt {rtt:?} outside [{min:?}, {max:?}]; {}",
            s.sim.replay_hint()
        );
    }
}

#[test]
fn rtcp_report_no_loss_no_jitter() {
    let mut s = MediaScenario::new(12, 300, 10, 0.0, Duration::ZERO);
    s.sim.run_for(Duration::from_secs(8));
    let report = s.receiver().last_report().unwrap();
    assert_eq!(report.cumulative_lost, 0);
    assert_eq!(report.fraction_lost, 0);
    assert_eq!(report.jitter, 0);
    assert_eq!(report.extended_highest_seq, 10 + 299);
    for rtt in &s.sender().rtts {
        assert!(
            rtt.abs_diff(4 * LATENCY) < Duration::from_millis(1),
            "{rtt:?}"
        );
    }
}

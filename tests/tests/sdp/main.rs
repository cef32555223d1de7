//! SDP: parser and writer properties, browser offers answered, and JSEP offers and
//! renegotiation at the description level. One test binary, one module per concern.

mod browser;
mod jsep;
mod parse;
mod roundtrip;

use std::net::SocketAddr;
use std::path::PathBuf;

use sansrtc::ice::Candidate;
use sansrtc::sdp::{Fingerprint, LocalConfig, SessionDescription};

/// The folder of SDP samples, `tests/samples/sdp`.
fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("sdp")
}

/// Every `*.sdp` sample: file name and text.
fn samples() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(samples_dir())
        .expect("samples folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("sample text"))
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 5,
        "expected the browser samples, found {}",
        out.len()
    );
    out
}

/// One sample by file name.
fn sample(name: &str) -> String {
    std::fs::read_to_string(samples_dir().join(name)).expect("sample exists")
}

/// One sample, parsed.
fn parsed(name: &str) -> SessionDescription {
    SessionDescription::parse(&sample(name)).expect("sample parses")
}

/// Our side: fixed credentials, a SHA-256 fingerprint and one host candidate.
fn config() -> LocalConfig {
    let fp = Fingerprint::sha256(std::array::from_fn(|i| i as u8 * 7));
    let mut c = LocalConfig::new(42, "sAns", "sansrtc-password-0123456789", fp);
    let addr: SocketAddr = "192.0.2.10:40000".parse().unwrap();
    c.candidates.push(Candidate::host(addr));
    c
}

/// The lines of `text` (either line ending), empty ones dropped, sorted: a multiset to
/// compare descriptions whose line order may differ.
fn sorted_lines(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect();
    v.sort_unstable();
    v
}

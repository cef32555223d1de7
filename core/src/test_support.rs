//! Helpers shared by the unit tests; compiled only for `cargo test` (`#[cfg(test)]` on the
//! module in `lib.rs`). The core itself never reads a clock: this file is the only place in
//! `core/src` that does, to give each test one real `Instant` to count from.

use std::time::Instant;

/// The one real `Instant` a test starts from; every later time is an offset from it.
#[allow(
    clippy::disallowed_methods,
    reason = "tests need one real Instant as an epoch; the core itself never reads a clock"
)]
pub(crate) fn epoch() -> Instant {
    Instant::now()
}

//! Seeds: one scenario seed, read from `SANSRTC_SEED` when set, and the independent RNG
//! streams derived from it.
//!
//! Every random choice in a run comes from an RNG seeded by [`derive_seed`] from the scenario
//! seed and a label naming its owner (a link direction, a NAT, a peer). Adding a host therefore
//! does not shift the random choices of the hosts added before it, and a failing run replays
//! exactly from its seed.

use std::env;

use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
use rand_core::SeedableRng;

use super::trace::Fnv64;

/// The environment variable that overrides a test's default seed.
pub const SEED_ENV: &str = "SANSRTC_SEED";

/// The seed to run with: `SANSRTC_SEED` if it is set (decimal, or hex with a `0x` prefix),
/// else `default`.
///
/// # Panics
///
/// If `SANSRTC_SEED` is set but is not a number: a typo must not silently run another seed.
pub fn seed_from_env(default: u64) -> u64 {
    let Ok(text) = env::var(SEED_ENV) else {
        return default;
    };
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("{SEED_ENV}={text:?} is not a u64"))
}

/// The line to print when a seeded test fails: the seed and the command that replays it.
///
/// The test name is taken from the current thread's name, which is how libtest names the
/// thread running a test.
pub fn replay_hint(seed: u64) -> String {
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.rsplit("::").next().unwrap_or(name),
        _ => "<test name>",
    };
    format!("seed {seed}: replay with `{SEED_ENV}={seed} cargo test -p sansrtc-tests {test}`")
}

/// A seed for the stream named `label`/`index`, derived from the scenario seed. Different
/// labels or indices give unrelated seeds (FNV-1a of the label, then SplitMix64 finalising).
pub fn derive_seed(seed: u64, label: &str, index: u64) -> u64 {
    let mut h = Fnv64::new();
    h.write(label.as_bytes());
    h.write_u64(index);
    splitmix64(seed ^ splitmix64(h.finish()))
}

/// A fast RNG for simulator internals (link loss, jitter, NAT ports).
pub(super) fn sim_rng(seed: u64, label: &str, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(derive_seed(seed, label, index))
}

/// A `CryptoRng` for a peer (an ICE agent, an `Rtc`), derived from the scenario seed and the
/// peer's name.
pub fn peer_rng(seed: u64, name: &str) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(derive_seed(seed, name, u64::MAX))
}

/// SplitMix64's output function (Steele, Lea, Flood 2014): a bijection that spreads every
/// input bit over the output.
const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform `f64` in `[0, 1)` from 53 random bits.
pub(super) fn unit(rng: &mut impl rand_core::Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ() {
        let a = derive_seed(1, "up", 0);
        assert_eq!(a, derive_seed(1, "up", 0));
        assert_ne!(a, derive_seed(1, "up", 1));
        assert_ne!(a, derive_seed(1, "down", 0));
        assert_ne!(a, derive_seed(2, "up", 0));
    }

    #[test]
    fn hint_names_seed_and_command() {
        let hint = replay_hint(42);
        assert!(
            hint.contains("SANSRTC_SEED=42 cargo test -p sansrtc-tests"),
            "{hint}"
        );
        assert!(hint.contains("hint_names_seed_and_command"), "{hint}");
    }

    #[test]
    fn unit_is_in_range() {
        let mut rng = sim_rng(7, "t", 0);
        for _ in 0..1000 {
            let u = unit(&mut rng);
            assert!((0.0..1.0).contains(&u));
        }
    }
}

//! ICE scenarios in the deterministic simulator: NAT combinations, loss, consent, restart, role
//! conflicts, trickle and ice-lite. One test binary, one module per behaviour.

mod consent;
mod determinism;
mod lite;
mod loss;
mod nat;
mod restart;
mod role_conflict;
mod rtt;
mod speed;
mod trickle;

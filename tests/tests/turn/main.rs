//! TURN against a real coturn server on loopback (tests/support/coturn.rs): the harness
//! alone, then our peer connections relayed through it.

#[path = "../../support/coturn.rs"]
mod coturn;
mod harness;
mod relay;

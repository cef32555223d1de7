//! ICE scenarios in the simulator: agents wrapped as peers, a public STUN server, NATs of the
//! RFC 4787 kinds, and a signalling loop that trickles candidates between the two agents.

mod peer;
mod scenario;

pub use peer::{IcePeer, StunServer};
pub use scenario::{
    IceScenario, NatKind, STUN_SERVER, ScenarioConfig, Signalling, TURN_CREDENTIALS, TURN_SERVER,
    is_connected,
};

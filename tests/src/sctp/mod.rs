//! SCTP and data channel test support: an in-memory [`Pair`] of machines with a scriptable
//! link, a message [`workload`] with a checker, and [`ChannelPeer`], a [`DataChannels`]
//! wrapped as a simulator peer.
//!
//! [`DataChannels`]: sansrtc::datachannel::DataChannels

mod pair;
mod peer;
pub mod workload;

pub use self::pair::{Machine, Pair};
pub use self::peer::{ChannelPeer, Outgoing};

//! The peer connection end to end in the simulator: offer/answer, data channels, media,
//! renegotiation, ICE restart, close, setup cost, and arbitrary API sequences.

mod datachannel;
mod lifecycle;
mod media;
mod props;
mod setup_flights;

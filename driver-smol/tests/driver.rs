//! The driver's example, run as a test: two peers on real loopback sockets.

#[path = "../examples/peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

#[test]
fn driver_smol_two_peers_exchange_messages() {
    let echoed = smol::block_on(peers::exchange(200)).expect("exchange");
    assert_eq!(echoed, 200);
}

//! The driver's example, run as a test: two peers on real loopback sockets.

#[path = "../examples/tokio_peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

#[tokio::test]
async fn driver_tokio_two_peers_exchange_messages() {
    let echoed = peers::exchange(200).await.expect("exchange");
    assert_eq!(echoed, 200);
}

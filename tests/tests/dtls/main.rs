//! DTLS: interop with OpenSSL over in-memory datagram pipes, handshakes in the simulator
//! under loss, and the security properties (fingerprints, tampering, cookies, arbitrary
//! input). One test binary, one module per behaviour.

mod common;
mod cookie;
mod figures;
mod loss;
mod openssl;
mod props;
mod tampered;

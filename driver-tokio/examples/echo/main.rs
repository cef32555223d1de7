//! The browser echo server: `cargo run --release -p sansrtc-tokio --example echo -- --http
//! 127.0.0.1:8080`, then open the printed address in a browser.
//!
//! Serves a page (`page.html`) whose JavaScript opens a peer connection to this server, sends
//! data-channel messages (and optionally camera and microphone) and checks that they come back.
//! The HTTP side lives in `http.rs`, the command line in `args.rs`, the echo in `echo.rs`.
//!
//! Every client gets its own peer connection; all of them share one UDP socket (one per host
//! address when the UDP bind address is unspecified) through an
//! [`Endpoint`](sansrtc::Endpoint) run by the tokio driver.

mod args;
mod echo;
mod http;

use std::sync::Arc;

use args::Args;
use sansrtc_tokio::Loopback;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let listener = match TcpListener::bind(args.http).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("echo: cannot listen on {}: {e}", args.http);
            std::process::exit(1);
        }
    };
    // The driver's bind: one socket at a specific address (the --http host by default), with
    // larger buffers; one per host address for an unspecified --udp.
    let sockets = match sansrtc_tokio::bind_sockets(&[args.udp_addr()], Loopback::default()) {
        Ok(sockets) => sockets,
        Err(e) => {
            eprintln!("echo: cannot bind UDP {}: {e}", args.udp_addr());
            std::process::exit(1);
        }
    };
    let server = match echo::EchoServer::start(sockets) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("echo: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "echo: serving http://{}/ (UDP on {})",
        args.http,
        server.udp_addr()
    );
    tokio::select! {
        () = http::serve(listener, Arc::new(server)) => {}
        () = shutdown_signal() => println!("echo: shutting down"),
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

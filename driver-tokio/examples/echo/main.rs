//! The browser echo server: `cargo run --release -p sansrtc-tokio --example echo -- --http
//! 127.0.0.1:8080`, then open the printed address in a browser.
//!
//! Serves a page (`page.html`) whose JavaScript opens a peer connection to this server, sends
//! data-channel messages (and optionally camera and microphone) and checks that they come back.
//! The HTTP side lives in `http.rs`, the command line in `args.rs`.
//!
//! Not wired yet: the peer connection. Until it is, every offer is refused with a `400` that says
//! so; the page, the HTTP server and the Chromium harness (`tests/src/browser/`) already work.

mod args;
mod http;

use std::sync::Arc;

use args::Args;
use http::Answer;
use tokio::net::TcpListener;

/// Stands in for the peer connection until it is wired in: refuses every offer.
struct NotWired;

impl Answer for NotWired {
    async fn answer(&self, _offer: String) -> Result<String, String> {
        Err("the echo server's peer connection is not wired in yet".to_owned())
    }
}

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
    println!(
        "echo: serving http://{}/ (UDP on {})",
        args.http,
        args.udp_addr()
    );
    tokio::select! {
        () = http::serve(listener, Arc::new(NotWired)) => {}
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

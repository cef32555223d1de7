//! Command-line arguments of the echo server (std only).
//!
//! ```text
//! echo [--http ADDR] [--udp ADDR]
//! ```
//!
//! `--http` is where the page and `POST /offer` are served (default `127.0.0.1:8080`). `--udp`
//! is the UDP socket for the peer connections; by default it binds to the `--http` host on a port
//! the OS picks, so a browser that reaches the page reaches the media too. Addresses are IP
//! literals with a port: `127.0.0.1:8080`, `[::1]:8080`. `--http=ADDR` works as well.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The HTTP address used when `--http` is not given.
pub(crate) const DEFAULT_HTTP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The usage text printed for `--help` and after an error.
pub(crate) const USAGE: &str = "\
usage: echo [--http ADDR] [--udp ADDR]

  --http ADDR   serve the page and POST /offer on ADDR (default 127.0.0.1:8080)
  --udp ADDR    bind the peer connections' UDP socket to ADDR
                (default: the --http host, a port the OS picks)
  -h, --help    print this

ADDR is an IP address and a port: 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080.";

/// The parsed command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Args {
    /// Where the HTTP server listens.
    pub(crate) http: SocketAddr,
    /// Where the UDP socket binds, if `--udp` was given; see [`Args::udp_addr`].
    pub(crate) udp: Option<SocketAddr>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Run the server.
    Run(Args),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

impl Args {
    /// Parses the process's arguments; on a mistake prints it with [`USAGE`] and exits with
    /// status 2, on `--help` prints [`USAGE`] and exits with status 0.
    pub(crate) fn from_env() -> Self {
        match parse(std::env::args().skip(1)) {
            Ok(Command::Run(args)) => args,
            Ok(Command::Help) => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Err(e) => {
                eprintln!("echo: {e}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    /// The address to bind the UDP socket to: `--udp` if given, else the `--http` host with
    /// port 0 (the OS picks one).
    pub(crate) fn udp_addr(&self) -> SocketAddr {
        self.udp
            .unwrap_or_else(|| SocketAddr::new(self.http.ip(), 0))
    }
}

/// Parses the arguments after the program name.
pub(crate) fn parse<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    let mut parsed = Args {
        http: DEFAULT_HTTP,
        udp: None,
    };
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--http" | "--udp" => {
                let Some(value) = inline.or_else(|| args.next()) else {
                    return Err(format!("{flag} needs an address"));
                };
                let addr = parse_addr(&flag, &value)?;
                if flag == "--http" {
                    parsed.http = addr;
                } else {
                    parsed.udp = Some(addr);
                }
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Command::Run(parsed))
}

fn parse_addr(flag: &str, value: &str) -> Result<SocketAddr, String> {
    value.parse().map_err(|_| {
        format!(
            "{flag} {value:?}: expected an IP address and a port, like 127.0.0.1:8080 or [::1]:8080"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Args, String> {
        match parse(args.iter().copied())? {
            Command::Run(a) => Ok(a),
            Command::Help => Err("help".to_owned()),
        }
    }

    #[test]
    fn defaults() {
        let a = run(&[]).unwrap();
        assert_eq!(a.http, DEFAULT_HTTP);
        assert_eq!(a.udp, None);
        assert_eq!(a.udp_addr(), "127.0.0.1:0".parse().unwrap());
    }

    #[test]
    fn http_and_udp() {
        let a = run(&["--http", "[::1]:9000"]).unwrap();
        assert_eq!(a.http, "[::1]:9000".parse().unwrap());
        assert_eq!(a.udp_addr(), "[::1]:0".parse().unwrap());

        let a = run(&["--udp=127.0.0.1:5000", "--http=0.0.0.0:80"]).unwrap();
        assert_eq!(a.http, "0.0.0.0:80".parse().unwrap());
        assert_eq!(a.udp_addr(), "127.0.0.1:5000".parse().unwrap());
    }

    #[test]
    fn mistakes() {
        assert!(run(&["--http"]).unwrap_err().contains("needs an address"));
        assert!(
            run(&["--http", "localhost:80"])
                .unwrap_err()
                .contains("IP address")
        );
        assert!(
            run(&["--http", "127.0.0.1"])
                .unwrap_err()
                .contains("IP address")
        );
        assert!(run(&["--udp="]).unwrap_err().contains("IP address"));
        assert!(
            run(&["--verbose"])
                .unwrap_err()
                .contains("unknown argument")
        );
        assert!(run(&["8080"]).unwrap_err().contains("unknown argument"));
        assert_eq!(run(&["--help"]).unwrap_err(), "help");
        assert_eq!(parse(["-h"]), Ok(Command::Help));
    }
}

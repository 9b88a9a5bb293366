//! Standalone emulator: `token-exchange-emulator [--host 127.0.0.1] [--port N] [--config FILE]
//! [--state FILE] [--allowed-host NAME]...`.
//! Prints one JSON line on stdout once listening, then serves until Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;

use serde_json::json;
use token_exchange_emulator::{Emulator, EmulatorConfig};

const USAGE: &str =
    "usage: token-exchange-emulator [--host 127.0.0.1] [--port N] [--config FILE.json] [--state FILE.json]
                              [--allowed-host NAME]...

Serves an Auth0-compatible tenant (token exchange + DPoP, Management API, Actions) on loopback.
Prints one JSON line with base_url, issuer, client_id, a management_token and the
control_secret (for /emulator/... as Authorization: Bearer) once listening; stops on Ctrl-C or
SIGTERM. --state keeps what the Management API creates across restarts. --allowed-host adds a
host name the emulator answers to besides localhost and loopback addresses.";

struct Args {
    host: Option<String>,
    port: Option<u16>,
    config: Option<String>,
    state: Option<String>,
    allowed_hosts: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        host: None,
        port: None,
        config: None,
        state: None,
        allowed_hosts: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--host" => parsed.host = Some(value("--host")?),
            "--port" => {
                let v = value("--port")?;
                parsed.port = Some(v.parse().map_err(|_| format!("invalid port {v:?}"))?);
            }
            "--config" => parsed.config = Some(value("--config")?),
            "--state" => parsed.state = Some(value("--state")?),
            "--allowed-host" => parsed.allowed_hosts.push(value("--allowed-host")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(parsed))
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called (before the
/// JSON line is printed), so a signal sent right after the line is never missed.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut config = match &args.config {
        Some(path) => match EmulatorConfig::from_file(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => EmulatorConfig::default(),
    };
    if let Some(host) = &args.host {
        match host.parse() {
            Ok(ip) => config.host = ip,
            Err(_) => {
                eprintln!("error: --host must be an IP address, got {host:?}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(port) = args.port {
        config.port = port;
    }
    if let Some(state) = &args.state {
        config.state_file = Some(state.into());
    }
    config.allowed_hosts.extend(args.allowed_hosts);
    let emu = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_signal();
    let cfg = emu.config();
    let line = json!({
        "base_url": emu.base_url(),
        "issuer": emu.issuer(),
        "client_id": cfg.clients.first().map(|c| c.client_id.as_str()),
        "audience": cfg.apis.first().map(|a| a.identifier.as_str()),
        "token_endpoint": emu.token_endpoint(),
        "userinfo_endpoint": emu.userinfo_endpoint(),
        "jwks_uri": emu.jwks_uri(),
        "clients": cfg.clients.iter().map(|c| c.client_id.as_str()).collect::<Vec<_>>(),
        "management_api": emu.management_api(),
        "management_token": emu.management_token(),
        "control_secret": emu.control_secret(),
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    stop.await;
    emu.shutdown().await;
    ExitCode::SUCCESS
}

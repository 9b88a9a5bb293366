//! `te-bench-endpoint [--port N] [--exit-on-stdin-eof]`: the canned token endpoint on
//! `127.0.0.1` (an ephemeral port by default). Its first stdout line is JSON with its
//! `base_url`; it then serves until killed (or, with `--exit-on-stdin-eof`, until its standard
//! input closes, so that it never outlives the `cargo xtask bench` that started it).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use token_exchange_bench::endpoint::{Canned, serve};

fn main() -> ExitCode {
    let mut port = 0u16;
    let mut watch_stdin = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port needs a port number"),
            },
            "--exit-on-stdin-eof" => watch_stdin = true,
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("te-bench-endpoint: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().expect("a bound socket has an address").port();
    let base_url = format!("http://127.0.0.1:{port}/");
    let canned = Arc::new(Canned::new(&base_url));
    println!(
        "{}",
        serde_json::json!({"base_url": base_url, "pid": std::process::id()})
    );
    let _ = std::io::stdout().flush();
    if watch_stdin {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    // One thread: the endpoint is pinned to a core of its own and must stay cheap.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        serve(tokio::net::TcpListener::from_std(listener)?, canned, None).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("te-bench-endpoint: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("te-bench-endpoint: {problem}\nusage: te-bench-endpoint [--port N] [--exit-on-stdin-eof]");
    ExitCode::from(2)
}

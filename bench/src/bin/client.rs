//! `te-bench-client sdk|baseline --base-url URL [--dpop] [--no-id-token-validation]
//! [--mode throughput|cold|memory] [--in-flight K] [--warmup W] [--exchanges N]
//! [--checkpoint C]`: one measurement in a
//! process of its own, printed as one JSON line (`cargo xtask bench` runs it, pinned to its
//! own core).
//!
//! - `throughput` (default): W exchanges to warm up, then N measured, K in flight; prints the
//!   process CPU time (user, system) and wall time of the N.
//! - `cold`: builds a client and completes its first exchange; prints the CPU and wall time
//!   of each step. (The DPoP key exists before: an app loads it from the keystore.)
//! - `memory`: N exchanges one after the other, printing the resident set size after every C.
//!
//! Every client runs on a current-thread tokio runtime: pinned to one core, a multi-thread
//! runtime would have one worker anyway, and both clients get the same executor.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use token_exchange::SoftwareKey;
use token_exchange_bench::baseline::{Baseline, DpopKey};
use token_exchange_bench::measure::{CpuTime, resident_bytes};
use token_exchange_bench::sdk::Sdk;
use token_exchange_bench::workload::{self, Exchanger};

const USAGE: &str = "usage: te-bench-client sdk|baseline --base-url URL [--dpop] [--no-id-token-validation] \
[--mode throughput|cold|memory] [--in-flight K] [--warmup W] [--exchanges N] [--checkpoint C]";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Throughput,
    Cold,
    Memory,
}

struct Options {
    sdk: bool,
    base_url: String,
    dpop: bool,
    id_token_validation: bool,
    mode: Mode,
    in_flight: usize,
    warmup: u64,
    exchanges: u64,
    checkpoint: u64,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(problem) => {
            eprintln!("te-bench-client: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = if options.sdk {
        let key = options
            .dpop
            .then(|| Arc::new(SoftwareKey::generate().expect("a P-256 key")));
        measure(&options, &runtime, || {
            Sdk::new(&options.base_url, key, options.id_token_validation).map_err(|e| e.to_string())
        })
    } else {
        let key = options.dpop.then(DpopKey::generate);
        measure(&options, &runtime, || {
            Baseline::new(&options.base_url, key, options.id_token_validation).map_err(|e| e.to_string())
        })
    };
    match result {
        Ok(mut report) => {
            report["client"] = json!(if options.sdk { "sdk" } else { "baseline" });
            report["dpop"] = json!(options.dpop);
            report["id_token_validation"] = json!(options.id_token_validation);
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("te-bench-client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn measure<E: Exchanger>(
    options: &Options,
    runtime: &tokio::runtime::Runtime,
    build: impl FnOnce() -> Result<Arc<E>, String>,
) -> Result<Value, String> {
    match options.mode {
        Mode::Throughput => {
            let client = build()?;
            let cost =
                workload::warm_then_measure(runtime, &client, options.warmup, options.exchanges, options.in_flight)?;
            Ok(json!({
                "mode": "throughput",
                "in_flight": options.in_flight,
                "exchanges": cost.exchanges,
                "cpu_us": cost.cpu.total().as_micros() as u64,
                "user_us": cost.cpu.user.as_micros() as u64,
                "system_us": cost.cpu.system.as_micros() as u64,
                "wall_us": cost.wall.as_micros() as u64,
            }))
        }
        Mode::Cold => {
            let (cpu0, wall0) = (CpuTime::now(), Instant::now());
            let client = build()?;
            let (cpu1, wall1) = (CpuTime::now(), Instant::now());
            runtime.block_on(client.exchange_nth(0))?;
            let (cpu2, wall2) = (CpuTime::now(), Instant::now());
            Ok(json!({
                "mode": "cold",
                "build_cpu_us": cpu1.since(cpu0).total().as_micros() as u64,
                "build_wall_us": (wall1 - wall0).as_micros() as u64,
                "first_exchange_cpu_us": cpu2.since(cpu1).total().as_micros() as u64,
                "first_exchange_wall_us": (wall2 - wall1).as_micros() as u64,
            }))
        }
        Mode::Memory => {
            let client = build()?;
            let mut checkpoints = Vec::new();
            let mut done = 0;
            while done < options.exchanges {
                let step = options.checkpoint.min(options.exchanges - done);
                runtime.block_on(workload::run(&client, done, step, 1))?;
                done += step;
                checkpoints.push(json!([done, resident_bytes()]));
            }
            Ok(json!({"mode": "memory", "checkpoints": checkpoints}))
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let sdk = match args.next().as_deref() {
        Some("sdk") => true,
        Some("baseline") => false,
        _ => return Err("the first argument is the client: sdk or baseline".into()),
    };
    let mut options = Options {
        sdk,
        base_url: String::new(),
        dpop: false,
        id_token_validation: true,
        mode: Mode::Throughput,
        in_flight: 1,
        warmup: 1000,
        exchanges: 10_000,
        checkpoint: 10_000,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("`{v}` is not a number"));
        match arg.as_str() {
            "--base-url" => options.base_url = value()?,
            "--dpop" => options.dpop = true,
            "--no-id-token-validation" => options.id_token_validation = false,
            "--mode" => {
                options.mode = match value()?.as_str() {
                    "throughput" => Mode::Throughput,
                    "cold" => Mode::Cold,
                    "memory" => Mode::Memory,
                    other => return Err(format!("unknown mode `{other}`")),
                }
            }
            "--in-flight" => options.in_flight = number(value()?)?.max(1) as usize,
            "--warmup" => options.warmup = number(value()?)?,
            "--exchanges" => options.exchanges = number(value()?)?,
            "--checkpoint" => options.checkpoint = number(value()?)?.max(1),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.base_url.is_empty() {
        return Err("--base-url is required".into());
    }
    Ok(options)
}

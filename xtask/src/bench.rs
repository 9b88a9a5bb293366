//! `cargo xtask bench`: issue 15's measurements of whole exchanges, as ratios against a baseline
//! measured in the same run (see BENCHMARKS.md for the method and the recorded figures).
//!
//! It builds `token-exchange-bench` (the canned endpoint, the SDK and baseline clients) and the
//! C API's cdylib in release mode, compiles the C driver (`bench/c/driver.c`) against the
//! committed header, starts the endpoint pinned to one core and runs every client pinned to
//! another, one process per measurement:
//!
//! - **throughput**: client CPU time per exchange, SDK against the bare reqwest + ring
//!   baseline, sequential and 32 in flight, with and without DPoP (goal ≤ 1.15x); with ID token
//!   validation (the default) and, to see past its RSA signature check, without it in both;
//! - **crossing**: the C API's blocking exchange, and Kotlin's and Swift's async exchanges (the
//!   phone library, built with the `release-mobile` profile, through `HttpURLConnection` and
//!   `URLSession`) against the Rust SDK (goal ≤ 1.5x), with each platform's own HTTP floor (a
//!   bare `HttpURLConnection` POST, a bare `URLSession` request, of the same request) measured
//!   alongside ([`Crossing`]); Swift runs in the Swift chroot;
//! - **cold**: building a client and completing its first exchange, SDK and baseline;
//! - **memory**: RSS after 100,000 exchanges against after the first 10,000, Rust and C API
//!   (goal: growth ≤ 1 MB), with the baseline for reference.
//!
//! Measured pairs run in alternating rounds (A B, B A, A B...), so that drift in the machine's
//! load affects both alike; each round is one process per client, its warm-up excluded. The
//! ratio reported is the median of the rounds' ratios, with their range. With `--callgrind`,
//! instructions per exchange (valgrind's count, independent of load) are measured as well.
//! Nothing here is a test: `cargo xtask test` never runs it.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use crate::bail;
use crate::chroot::{Chroot, Invocation};
use crate::cmd::{self, Stream};
use crate::error::{Context, Error, Result};
use crate::header::HEADER;
use crate::provision::{KotlinTools, Provisioner};
use crate::size::PROFILE as MOBILE_PROFILE;
use crate::suites::{FFI_LIB, FFI_PACKAGE, MOBILE_LIB, MOBILE_PACKAGE};
use crate::workspace::{self, Workspace};

/// The benchmark crate.
const PACKAGE: &str = "token-exchange-bench";
const ENDPOINT_BIN: &str = "te-bench-endpoint";
const CLIENT_BIN: &str = "te-bench-client";
/// The C API driver's source.
const C_DRIVER: &str = "bench/c/driver.c";
/// The Kotlin driver's source, compiled with the Kotlin layer (`kotlin/src/main/kotlin`).
const KOTLIN_DRIVER: &str = "bench/kotlin/Driver.kt";
/// Its main class.
const KOTLIN_MAIN: &str = "bench.DriverKt";
/// The Swift driver's package (a SwiftPM executable over `swift/`).
const SWIFT_DRIVER: &str = "bench/swift/TeBenchSwift";
/// Its product.
const SWIFT_PRODUCT: &str = "TeBenchSwift";
/// Unmeasured exchanges before a JVM driver's measured ones, at least: the JIT compiles the
/// hot paths (the bindings, the transport, coroutines) during the first few thousand.
const JVM_WARMUP: u64 = 5_000;

/// Issue 15's goals.
const CPU_GOAL: f64 = 1.15;
const CROSSING_GOAL: f64 = 1.5;
const MEMORY_GOAL_BYTES: u64 = 1_000_000;

/// The parts of the benchmark `--only` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// SDK against baseline, CPU per exchange.
    Throughput,
    /// The C API, Kotlin and Swift against the Rust SDK.
    Crossing,
    /// First exchange of a fresh process.
    Cold,
    /// RSS over a long run.
    Memory,
}

impl Part {
    const ALL: [Part; 4] = [Part::Throughput, Part::Crossing, Part::Cold, Part::Memory];

    fn parse(name: &str) -> Result<Part> {
        Ok(match name {
            "throughput" => Part::Throughput,
            "crossing" => Part::Crossing,
            "cold" => Part::Cold,
            "memory" => Part::Memory,
            other => bail!("--only takes throughput, crossing, cold or memory, not `{other}`"),
        })
    }
}

/// What to run and how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// Alternating rounds per comparison (one process per client per round).
    pub rounds: usize,
    /// Measured exchanges per process.
    pub exchanges: u64,
    /// Unmeasured exchanges before them.
    pub warmup: u64,
    /// Fresh processes per client for the cold start.
    pub cold_samples: usize,
    /// Exchanges of the memory run, RSS compared after the first tenth and at the end.
    pub memory_exchanges: u64,
    /// Which parts run.
    pub parts: Vec<Part>,
    /// Also count instructions per exchange under valgrind's callgrind.
    pub callgrind: bool,
}

impl Options {
    /// From the command line: `--rounds N`, `--exchanges N`, `--only a,b`, `--quick` (a smoke
    /// run: 3 rounds of 500, 20,000 exchanges for memory), `--callgrind`.
    pub fn new(
        rounds: Option<&str>,
        exchanges: Option<&str>,
        only: Option<&str>,
        quick: bool,
        callgrind: bool,
    ) -> Result<Self> {
        let number = |flag: &str, v: &str| -> Result<u64> {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::msg(format!("{flag} needs a positive number, not `{v}`")))
        };
        let mut options = if quick {
            Options {
                rounds: 3,
                exchanges: 500,
                warmup: 50,
                cold_samples: 3,
                memory_exchanges: 20_000,
                parts: Part::ALL.to_vec(),
                callgrind,
            }
        } else {
            Options {
                rounds: 15,
                exchanges: 5_000,
                warmup: 500,
                cold_samples: 15,
                memory_exchanges: 100_000,
                parts: Part::ALL.to_vec(),
                callgrind,
            }
        };
        if let Some(r) = rounds {
            options.rounds = number("--rounds", r)? as usize;
            options.cold_samples = options.rounds;
        }
        if let Some(n) = exchanges {
            options.exchanges = number("--exchanges", n)?;
            options.warmup = (options.exchanges / 10).max(1);
        }
        if let Some(list) = only {
            options.parts = list
                .split(',')
                .filter(|s| !s.is_empty())
                .map(Part::parse)
                .collect::<Result<_>>()?;
        }
        Ok(options)
    }

    fn runs(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }
}

/// Who makes the exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// `token_exchange::Client` in Rust.
    Sdk,
    /// Bare reqwest + ring.
    Baseline,
    /// The C API's blocking call, from `bench/c/driver.c`.
    C,
    /// Kotlin's suspend exchange through the phone library and `HttpURLConnection`, from
    /// `bench/kotlin/Driver.kt`.
    Kotlin,
    /// The same Kotlin driver's HTTP floor: a bare `HttpURLConnection` POST of the request the
    /// library sent, in the same loop, no library call.
    KotlinHttp,
    /// Swift's async exchange through the phone library and `URLSession`, from `bench/swift/`.
    Swift,
    /// The same Swift driver's HTTP floor: a bare `URLSession` request of the request the
    /// library sent, in the same loop, no library call.
    SwiftHttp,
}

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Sdk => "SDK (Rust)",
            Who::Baseline => "baseline (reqwest + ring)",
            Who::C => "C API",
            Who::Kotlin => "Kotlin (phone library, HttpURLConnection)",
            Who::KotlinHttp => "Kotlin floor: bare HttpURLConnection POST",
            Who::Swift => "Swift (phone library, URLSession)",
            Who::SwiftHttp => "Swift floor: bare URLSession request",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Who::Sdk => "sdk",
            Who::Baseline => "baseline",
            Who::C => "c",
            Who::Kotlin => "kotlin",
            Who::KotlinHttp => "kotlin-http",
            Who::Swift => "swift",
            Who::SwiftHttp => "swift-http",
        }
    }

    /// Whether this is a platform's HTTP alone (a reference, with no goal of its own).
    fn is_floor(self) -> bool {
        matches!(self, Who::KotlinHttp | Who::SwiftHttp)
    }

    /// Unmeasured exchanges before the measured ones, given the run's.
    fn warmup(self, warmup: u64) -> u64 {
        match self {
            Who::Kotlin | Who::KotlinHttp => warmup.max(JVM_WARMUP),
            _ => warmup,
        }
    }
}

/// Foreign callers whose crossing into the library is compared with the Rust client.
///
/// Each has a driver following the contract of `bench/c/driver.c` (same exchange, same
/// options, one JSON line with `cpu_us` and `exchanges`), run with the same pinning; Kotlin's and
/// Swift's also measure their platform's HTTP alone (BENCHMARKS.md, "Kotlin and Swift
/// crossing").
#[derive(Debug, Clone, Copy)]
enum Crossing {
    C,
    Kotlin,
    Swift,
}

impl Crossing {
    const ALL: [Crossing; 3] = [Crossing::C, Crossing::Kotlin, Crossing::Swift];

    /// Who is measured: the crossing itself, then the platform's HTTP floor when it has its
    /// own HTTP stack.
    fn drivers(self) -> &'static [Who] {
        match self {
            Crossing::C => &[Who::C],
            Crossing::Kotlin => &[Who::Kotlin, Who::KotlinHttp],
            Crossing::Swift => &[Who::Swift, Who::SwiftHttp],
        }
    }
}

/// One A-against-B comparison of CPU per exchange.
struct Comparison {
    measured: Who,
    against: Who,
    in_flight: usize,
    dpop: bool,
    /// Whether both clients validate ID tokens (the default, and the production path).
    id_token_validation: bool,
    goal: f64,
}

/// Its result.
struct Compared {
    comparison: Comparison,
    measured: Vec<Value>,
    against: Vec<Value>,
}

/// Runs what `options` selects and prints the tables. Unmet goals are reported, not errors.
pub fn run(ws: &Workspace, options: &Options) -> Result<()> {
    let start = Instant::now();
    if !ws.has_package(PACKAGE) {
        bail!("the workspace has no `{PACKAGE}` package");
    }
    let out_dir = ws.scratch_dir("bench");
    fs::create_dir_all(&out_dir)?;
    let release = ws.target_dir.join("release");
    build(ws, options)?;
    let c_driver = if options.runs(Part::Crossing) || options.runs(Part::Memory) || options.callgrind {
        Some(compile_c_driver(ws, &release, &out_dir)?)
    } else {
        None
    };
    let (kotlin, swift) = if options.runs(Part::Crossing) {
        let mobile_dir = ws.target_dir.join(MOBILE_PROFILE);
        (
            Some(compile_kotlin_driver(ws, &out_dir)?),
            // The chroot is shared and Swift's toolchain is the least dependable part: without
            // it the other crossings are still measured, and the report says why Swift is not.
            build_swift_driver(ws, &mobile_dir)
                .map_err(|e| eprintln!("bench: Swift not measured: {e}"))
                .ok(),
        )
    } else {
        (None, None)
    };

    let cpus = allowed_cpus();
    let placement = Placement::choose(&cpus);
    let machine = machine(&cpus, &placement);
    println!("bench: {machine}");
    let endpoint = Endpoint::start(&release.join(ENDPOINT_BIN), &placement)?;
    println!("bench: canned endpoint at {}", endpoint.base_url);
    let runner = Runner {
        client: release.join(CLIENT_BIN),
        c_driver,
        c_library: release.join(format!("lib{FFI_LIB}.so")),
        kotlin,
        swift,
        mobile_library: ws.target_dir.join(MOBILE_PROFILE).join(format!("lib{MOBILE_LIB}.so")),
        base_url: endpoint.base_url.clone(),
        placement,
    };

    let mut report = String::new();
    let mut raw = json!({"machine": machine, "options": format!("{options:?}")});
    if options.runs(Part::Throughput) {
        let mut results = Vec::new();
        // Without ID token validation too: its RSA signature check is half of every exchange's
        // instructions in both clients, and would hide the rest of the SDK's costs.
        for id_token_validation in [true, false] {
            for (in_flight, dpop) in [(1, false), (1, true), (32, false), (32, true)] {
                let comparison = Comparison {
                    measured: Who::Sdk,
                    against: Who::Baseline,
                    in_flight,
                    dpop,
                    id_token_validation,
                    goal: CPU_GOAL,
                };
                results.push(runner.compare(comparison, options)?);
            }
        }
        report.push_str(
            "\nClient CPU time per exchange, SDK against the baseline (goal <= 1.15x), with ID token \
             validation (the default) and without it in both clients:\n\n",
        );
        report.push_str(&comparison_table(&results));
        raw["throughput"] = raw_comparisons(&results);
    }
    if options.runs(Part::Crossing) {
        let mut results = Vec::new();
        let mut missing = Vec::new();
        for crossing in Crossing::ALL {
            if matches!(crossing, Crossing::Swift) && runner.swift.is_none() {
                missing.push("Swift: not measured (its driver did not build; the error is above)");
                continue;
            }
            for &who in crossing.drivers() {
                for (in_flight, dpop) in [(1, false), (1, true), (32, true)] {
                    let comparison = Comparison {
                        measured: who,
                        against: Who::Sdk,
                        in_flight,
                        dpop,
                        id_token_validation: true,
                        goal: CROSSING_GOAL,
                    };
                    results.push(runner.compare(comparison, options)?);
                }
            }
        }
        report.push_str(
            "\nCrossing the boundary: CPU time per exchange against the Rust SDK (goal <= 1.5x; \
             the C API with 32 in flight is 32 threads sharing one client, Kotlin 32 coroutines, Swift 32 \
             child tasks; a floor is the platform's HTTP alone, the same request without the library):\n\n",
        );
        report.push_str(&comparison_table(&results));
        report.push_str(&floor_lines(&results));
        for why in missing {
            report.push_str(&format!("\n{why}\n"));
        }
        raw["crossing"] = raw_comparisons(&results);
    }
    if options.runs(Part::Cold) {
        let (table, samples) = runner.cold(options)?;
        report.push_str(
            "\nCold start (DPoP): a fresh process builds a client and completes its first exchange \
             (JWKS fetch, connection, token request, ID token validation); µs, median (min-max):\n\n",
        );
        report.push_str(&table);
        raw["cold"] = samples;
    }
    if options.runs(Part::Memory) {
        let (table, samples) = runner.memory(options)?;
        report.push_str(&format!(
            "\nMemory (DPoP, one client, one exchange after the other): resident set size after the first \
             {} exchanges and after {} (goal: growth <= 1 MB):\n\n",
            thousands(options.memory_exchanges / 10),
            thousands(options.memory_exchanges)
        ));
        report.push_str(&table);
        raw["memory"] = samples;
    }
    if options.callgrind {
        let (table, counts) = runner.callgrind(options, &out_dir)?;
        report.push_str(&table);
        raw["callgrind"] = counts;
    }
    drop(endpoint);

    let results = out_dir.join("results.json");
    fs::write(&results, serde_json::to_string_pretty(&raw).unwrap_or_default())
        .with_context(|| format!("writing {}", results.display()))?;
    println!("{report}");
    println!(
        "bench: load average at the end {}; raw samples in {}; done in {}",
        load_average(),
        results.display(),
        cmd::elapsed(start)
    );
    Ok(())
}

/// Release builds: the bench binaries, then the C API's cdylib and the phone library each on
/// its own, exactly as users build them (one invocation would unify the bench crate's
/// dependency features into them).
fn build(ws: &Workspace, options: &Options) -> Result<()> {
    let cargo = || {
        let mut c = Command::new(workspace::cargo());
        c.current_dir(&ws.root);
        c
    };
    cmd::run(cargo().args(["build", "--release", "-p", PACKAGE, "--bins"]))?;
    if options.runs(Part::Crossing) || options.runs(Part::Memory) || options.callgrind {
        cmd::run(cargo().args(["build", "--release", "-p", FFI_PACKAGE, "--lib"]))?;
    }
    if options.runs(Part::Crossing) {
        // The phone library as the size report builds it (without its link flags), for Kotlin.
        cmd::run(cargo().args(["build", "--profile", MOBILE_PROFILE, "-p", MOBILE_PACKAGE, "--lib"]))?;
    }
    Ok(())
}

/// The Kotlin driver's jar and how to run it.
struct KotlinDriver {
    java: PathBuf,
    classpath: String,
}

/// `kotlinc` (the Kotlin suite's) of the driver with the Kotlin layer and its generated
/// bindings into one jar.
fn compile_kotlin_driver(ws: &Workspace, out_dir: &Path) -> Result<KotlinDriver> {
    let tools: KotlinTools = Provisioner::new(workspace::cache_dir()).kotlin()?;
    let jar = out_dir.join("te-bench-kotlin.jar");
    let compile_classpath = [tools.jna.as_path(), tools.coroutines.as_path()];
    cmd::run(
        Command::new(&tools.kotlinc)
            .arg("-cp")
            .arg(join_paths(&compile_classpath))
            .arg("-d")
            .arg(&jar)
            .arg(ws.root.join(crate::suites::kotlin::MAIN_DIR))
            .arg(ws.root.join(KOTLIN_DRIVER)),
    )?;
    let classpath = join_paths(&[jar.as_path(), &tools.jna, &tools.coroutines, &tools.stdlib]);
    Ok(KotlinDriver {
        java: tools.java,
        classpath,
    })
}

/// The Swift driver, built in the Swift chroot, and what it needs mounted there.
struct SwiftDriver {
    chroot: Chroot,
    exe: PathBuf,
    binds: Vec<PathBuf>,
    /// `PKG_CONFIG_PATH` and `LD_LIBRARY_PATH` of the phone library it links.
    env: Vec<(String, String)>,
}

/// `swift build -c release` of the driver's package in the Swift chroot, linked to the phone
/// library in `mobile_dir` through the root package's pkg-config module (written by
/// [`crate::swiftpm::dev_setup`] for that library; the driver runs with the same environment).
fn build_swift_driver(ws: &Workspace, mobile_dir: &Path) -> Result<SwiftDriver> {
    let chroot = Provisioner::new(workspace::cache_dir()).swift()?;
    let mut binds = vec![ws.root.clone()];
    if ws.target_outside_root() {
        binds.push(ws.target_dir.clone());
    }
    let package = ws.root.join(SWIFT_DRIVER);
    let ffi = crate::suites::Ffi {
        lib: mobile_dir.join(format!("lib{MOBILE_LIB}.so")),
        lib_dir: mobile_dir.to_path_buf(),
    };
    let env = crate::swiftpm::dev_setup(ws, &ffi)?;
    let invocation = Invocation {
        argv: ["swift", "build", "-c", "release", "--product", SWIFT_PRODUCT]
            .map(str::to_owned)
            .to_vec(),
        cwd: package.clone(),
        env: env.clone(),
        binds: binds.clone(),
        timeout: Some(crate::suites::swift::BUILD_LIMIT),
    };
    let status = chroot.run(&invocation, |_, line| eprintln!("{line}"))?;
    if !status.success() {
        bail!("bench: `swift build` of {SWIFT_DRIVER} failed ({status})");
    }
    Ok(SwiftDriver {
        chroot,
        exe: package.join(".build/release").join(SWIFT_PRODUCT),
        binds,
        env,
    })
}

fn join_paths(paths: &[&Path]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// `gcc -O2` of the C driver against the committed header and the release cdylib.
fn compile_c_driver(ws: &Workspace, release: &Path, out_dir: &Path) -> Result<PathBuf> {
    let compiler = ["gcc", "cc"]
        .into_iter()
        .find(|c| cmd::which(c).is_some())
        .ok_or_else(|| Error::msg("bench: no C compiler (gcc or cc) on PATH for the C API driver"))?;
    let exe = out_dir.join("te-bench-c");
    let include = ws.root.join(HEADER);
    let include = include.parent().unwrap_or(&ws.root);
    cmd::run(
        Command::new(compiler)
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(include)
            .arg(ws.root.join(C_DRIVER))
            .arg("-L")
            .arg(release)
            .arg(format!("-l{FFI_LIB}"))
            .arg(format!("-Wl,-rpath,{}", release.display()))
            .args(["-lpthread", "-ldl", "-o"])
            .arg(&exe),
    )?;
    Ok(exe)
}

/// Which cores the endpoint and the clients run on.
#[derive(Debug, Clone)]
struct Placement {
    endpoint: Option<u32>,
    client: Option<u32>,
    taskset: bool,
}

impl Placement {
    /// The client on the first allowed core and the endpoint on the second, when there are
    /// two and `taskset` exists; otherwise wherever the scheduler puts them.
    fn choose(cpus: &[u32]) -> Placement {
        let taskset = cmd::which("taskset").is_some();
        match cpus {
            [client, endpoint, ..] if taskset => Placement {
                endpoint: Some(*endpoint),
                client: Some(*client),
                taskset,
            },
            _ => Placement {
                endpoint: None,
                client: None,
                taskset,
            },
        }
    }

    fn command(&self, cpu: Option<u32>, program: &Path) -> Command {
        match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &cpu.to_string()]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn describe(&self) -> String {
        match (self.client, self.endpoint) {
            (Some(c), Some(e)) => format!("clients pinned to CPU {c}, endpoint to CPU {e} (taskset)"),
            _ if !self.taskset => "not pinned (no taskset)".to_owned(),
            _ => "not pinned (fewer than two CPUs allowed)".to_owned(),
        }
    }
}

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`).
fn allowed_cpus() -> Vec<u32> {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(list) = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")) else {
        return Vec::new();
    };
    parse_cpu_list(list.trim())
}

/// `0-1,4` → `[0, 1, 4]`.
fn parse_cpu_list(list: &str) -> Vec<u32> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<u32>().ok()),
        }
    }
    cpus
}

/// One line about the machine, for BENCHMARKS.md.
fn machine(cpus: &[u32], placement: &Placement) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let commit = cmd::read(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned());
    format!(
        "{model}, {} CPUs allowed, {}; load average {}; commit {commit}",
        cpus.len(),
        placement.describe(),
        load_average()
    )
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// The canned endpoint, running until dropped.
struct Endpoint {
    child: Child,
    /// Closing it tells the endpoint to exit, should this process die without dropping it.
    _stdin: ChildStdin,
    base_url: String,
}

impl Endpoint {
    fn start(program: &Path, placement: &Placement) -> Result<Endpoint> {
        let mut command = placement.command(placement.endpoint, program);
        command
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        cmd::echo(&command);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot run `{}`", cmd::display(&command)))?;
        let stdin = child.stdin.take().expect("piped");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
        let base_url = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["base_url"].as_str().map(str::to_owned));
        match base_url {
            Some(base_url) => Ok(Endpoint {
                child,
                _stdin: stdin,
                base_url,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the endpoint did not print its base_url (it printed {line:?})")
            }
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the client processes.
struct Runner {
    client: PathBuf,
    c_driver: Option<PathBuf>,
    /// The cdylib the C driver must have loaded.
    c_library: PathBuf,
    kotlin: Option<KotlinDriver>,
    swift: Option<SwiftDriver>,
    /// The phone library (`release-mobile`), which the Kotlin driver must have loaded.
    mobile_library: PathBuf,
    base_url: String,
    placement: Placement,
}

impl Runner {
    /// The program that runs `who` and its first arguments (the client, the endpoint).
    fn invocation(&self, who: Who) -> Result<(PathBuf, Vec<String>)> {
        let mut args = Vec::new();
        let program = match who {
            Who::Sdk | Who::Baseline => {
                args.push(who.key().to_owned());
                self.client.clone()
            }
            Who::C => self
                .c_driver
                .clone()
                .ok_or_else(|| Error::msg("the C driver was not built"))?,
            Who::Kotlin | Who::KotlinHttp => {
                let kotlin = self
                    .kotlin
                    .as_ref()
                    .ok_or_else(|| Error::msg("the Kotlin driver was not built"))?;
                let lib_dir = self.mobile_library.parent().unwrap_or(Path::new("."));
                args.extend([
                    format!("-Djna.library.path={}", lib_dir.display()),
                    "-cp".to_owned(),
                    kotlin.classpath.clone(),
                    KOTLIN_MAIN.to_owned(),
                    "--mode".to_owned(),
                    if who == Who::Kotlin { "exchange" } else { "http" }.to_owned(),
                ]);
                kotlin.java.clone()
            }
            Who::Swift | Who::SwiftHttp => {
                let swift = self
                    .swift
                    .as_ref()
                    .ok_or_else(|| Error::msg("the Swift driver was not built"))?;
                args.extend([
                    "--mode".to_owned(),
                    if who == Who::Swift { "exchange" } else { "http" }.to_owned(),
                ]);
                swift.exe.clone()
            }
        };
        args.extend(["--base-url".to_owned(), self.base_url.clone()]);
        Ok((program, args))
    }

    /// `who`'s command line, pinned to the clients' core. Without `LD_LIBRARY_PATH`: `cargo
    /// run` sets it to the debug target directory, and it would take precedence over the C
    /// driver's RUNPATH to the release cdylib.
    fn command(&self, who: Who) -> Result<Command> {
        let (program, args) = self.invocation(who)?;
        let mut command = self.placement.command(self.placement.client, &program);
        command.args(args).env_remove("LD_LIBRARY_PATH");
        Ok(command)
    }

    /// The JSON line a client printed last, after checking that a foreign driver measured the
    /// library it was meant to (the release C API, the `release-mobile` phone library).
    fn sample(&self, who: Who, command: &Command, stdout: &str) -> Result<Value> {
        let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let sample: Value =
            serde_json::from_str(line).with_context(|| format!("`{}` printed {line:?}", cmd::display(command)))?;
        if let Some(library) = sample["library"].as_str() {
            let loaded = fs::canonicalize(library).unwrap_or_else(|_| PathBuf::from(library));
            let expected = match who {
                Who::Kotlin | Who::KotlinHttp | Who::Swift | Who::SwiftHttp => &self.mobile_library,
                _ => &self.c_library,
            };
            let expected = fs::canonicalize(expected).unwrap_or_else(|_| expected.clone());
            if loaded != expected {
                bail!(
                    "the {} driver loaded {} instead of {}",
                    who.key(),
                    loaded.display(),
                    expected.display()
                );
            }
        }
        Ok(sample)
    }

    /// One measurement process; its JSON line.
    fn measure(&self, who: Who, args: &[String]) -> Result<Value> {
        if let (Who::Swift | Who::SwiftHttp, Some(swift)) = (who, &self.swift) {
            return self.measure_in_chroot(who, swift, args);
        }
        let mut command = self.command(who)?;
        command.args(args);
        let out = cmd::read(&mut command)?;
        self.sample(who, &command, &out)
    }

    /// [`Runner::measure`] for a driver in the Swift chroot: `taskset` inside it pins the
    /// driver to the clients' core (the endpoint on loopback is reachable: same network
    /// namespace).
    fn measure_in_chroot(&self, who: Who, swift: &SwiftDriver, args: &[String]) -> Result<Value> {
        let (program, first) = self.invocation(who)?;
        let mut argv = Vec::new();
        if let Some(cpu) = self.placement.client {
            argv.extend(["taskset".to_owned(), "-c".to_owned(), cpu.to_string()]);
        }
        argv.push(program.display().to_string());
        argv.extend(first);
        argv.extend(args.iter().cloned());
        let invocation = Invocation {
            cwd: self.mobile_library.parent().unwrap_or(Path::new("/")).to_path_buf(),
            argv,
            env: swift.env.clone(),
            binds: swift.binds.clone(),
            timeout: None,
        };
        let mut stdout = String::new();
        let status = swift.chroot.run(&invocation, |stream, line| {
            if stream == Stream::Stdout {
                stdout.push_str(line);
                stdout.push('\n');
            } else {
                eprintln!("{line}");
            }
        })?;
        let described = Command::new(invocation.argv.join(" "));
        if !status.success() {
            bail!("`{}` in the Swift chroot failed ({status})", cmd::display(&described));
        }
        self.sample(who, &described, &stdout)
    }

    fn compare(&self, comparison: Comparison, options: &Options) -> Result<Compared> {
        let mut args = vec![
            "--in-flight".to_owned(),
            comparison.in_flight.to_string(),
            "--exchanges".to_owned(),
            options.exchanges.to_string(),
        ];
        if comparison.dpop {
            args.push("--dpop".to_owned());
        }
        if !comparison.id_token_validation {
            args.push("--no-id-token-validation".to_owned());
        }
        let (a, b) = (comparison.measured, comparison.against);
        let title = row_title(&comparison);
        let mut result = Compared {
            comparison,
            measured: Vec::new(),
            against: Vec::new(),
        };
        for round in 0..options.rounds {
            // A B, then B A: neither client always runs first.
            let order = if round % 2 == 0 { [a, b] } else { [b, a] };
            for who in order {
                let warmup = ["--warmup".to_owned(), who.warmup(options.warmup).to_string()];
                let sample = self.measure(who, &[&args[..], &warmup[..]].concat())?;
                if who == a {
                    result.measured.push(sample);
                } else {
                    result.against.push(sample);
                }
            }
            let (x, y) = (
                per_exchange(&result.measured[round], "cpu_us"),
                per_exchange(&result.against[round], "cpu_us"),
            );
            eprintln!(
                "bench: {title}, round {}/{}: {} {x:.1} µs, {} {y:.1} µs CPU per exchange ({:.3}x)",
                round + 1,
                options.rounds,
                a.key(),
                b.key(),
                x / y
            );
        }
        Ok(result)
    }

    /// Alternating fresh processes of the SDK and the baseline, each building a client and
    /// making its first exchange.
    fn cold(&self, options: &Options) -> Result<(String, Value)> {
        let args = ["--mode".to_owned(), "cold".to_owned(), "--dpop".to_owned()];
        let mut samples: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
        let clients = [Who::Sdk, Who::Baseline];
        for round in 0..options.cold_samples {
            for i in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
                samples[i].push(self.measure(clients[i], &args)?);
            }
            eprintln!("bench: cold start, sample {}/{}", round + 1, options.cold_samples);
        }
        let total = |s: &Value, what: &str| {
            s[format!("build_{what}_us")].as_f64().unwrap_or(0.0)
                + s[format!("first_exchange_{what}_us")].as_f64().unwrap_or(0.0)
        };
        let mut table = String::from(
            "| client | build, wall | build, CPU | first exchange, wall | first exchange, CPU | total, wall | total, CPU |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for (i, who) in clients.iter().enumerate() {
            let column = |key: &str| spread(samples[i].iter().map(|s| s[key].as_f64().unwrap_or(0.0)).collect());
            let totals = |what: &str| spread(samples[i].iter().map(|s| total(s, what)).collect());
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                who.label(),
                column("build_wall_us"),
                column("build_cpu_us"),
                column("first_exchange_wall_us"),
                column("first_exchange_cpu_us"),
                totals("wall"),
                totals("cpu"),
            ));
        }
        let ratios = |what: &str| {
            let r: Vec<f64> = samples[0]
                .iter()
                .zip(&samples[1])
                .map(|(s, b)| total(s, what) / total(b, what))
                .collect();
            ratio_spread(r)
        };
        table.push_str(&format!(
            "| SDK / baseline | | | | | {} | {} |\n",
            ratios("wall"),
            ratios("cpu")
        ));
        let [sdk, baseline] = samples;
        Ok((table, json!({"sdk": sdk, "baseline": baseline})))
    }

    /// One long run per client, RSS after every tenth.
    fn memory(&self, options: &Options) -> Result<(String, Value)> {
        let first = options.memory_exchanges / 10;
        let args = [
            "--mode".to_owned(),
            "memory".to_owned(),
            "--dpop".to_owned(),
            "--exchanges".to_owned(),
            options.memory_exchanges.to_string(),
            "--checkpoint".to_owned(),
            first.to_string(),
        ];
        let mut table = String::from(
            "| client | RSS after the first tenth | RSS at the end | growth | goal |\n| --- | --- | --- | --- | --- |\n",
        );
        let mut raw = json!({});
        for who in [Who::Sdk, Who::C, Who::Baseline] {
            eprintln!(
                "bench: memory, {} ({} exchanges)",
                who.key(),
                thousands(options.memory_exchanges)
            );
            let sample = self.measure(who, &args)?;
            let points: Vec<(u64, u64)> = sample["checkpoints"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| Some((p[0].as_u64()?, p[1].as_u64()?)))
                        .collect()
                })
                .unwrap_or_default();
            let (Some(&(_, early)), Some(&(_, end))) = (points.first(), points.last()) else {
                bail!("the memory run of {} printed no checkpoints: {sample}", who.key());
            };
            let growth = end as i64 - early as i64;
            let goal = match who {
                Who::Baseline => "(reference)".to_owned(),
                _ => format!(
                    "<= 1 MB: {}",
                    if growth <= MEMORY_GOAL_BYTES as i64 {
                        "met"
                    } else {
                        "NOT met"
                    }
                ),
            };
            table.push_str(&format!(
                "| {} | {} | {} | {:+} KiB | {goal} |\n",
                who.label(),
                kib(early),
                kib(end),
                growth / 1024
            ));
            raw[who.key()] = sample;
        }
        Ok((table, raw))
    }

    /// Instructions per exchange (sequential) under callgrind: a run of `warmup + N` exchanges
    /// minus a run of `warmup` alone, so start-up and warm-up cancel out. The larger run's
    /// profile is kept for `callgrind_annotate`.
    fn callgrind(&self, options: &Options, out_dir: &Path) -> Result<(String, Value)> {
        if cmd::which("valgrind").is_none() {
            bail!("--callgrind needs valgrind on PATH");
        }
        let n = options.exchanges.min(2_000);
        let warmup = options.warmup.min(200);
        // (client, DPoP, ID token validation): production first, then without the crypto, whose
        // cost is the same in both clients (the C API has no switch for validation).
        let runs = [
            (Who::Sdk, true, true),
            (Who::Baseline, true, true),
            (Who::C, true, true),
            (Who::Sdk, true, false),
            (Who::Baseline, true, false),
            (Who::Sdk, false, false),
            (Who::Baseline, false, false),
        ];
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut counts = Vec::new();
        for (who, dpop, validation) in runs {
            let name = format!(
                "{}{}{}",
                who.key(),
                if dpop { "" } else { "-no-dpop" },
                if validation { "" } else { "-no-id-token-validation" }
            );
            let mut instructions = [0u64; 2];
            for (slot, exchanges) in [(0, 0), (1, n)] {
                let out = out_dir.join(format!("callgrind.{name}.{exchanges}.out"));
                let (program, args) = self.invocation(who)?;
                // Not pinned: valgrind runs one thread at a time anyway.
                let mut command = Command::new("valgrind");
                command
                    .args(["--tool=callgrind", "--quiet"])
                    .arg(format!("--callgrind-out-file={}", out.display()))
                    .arg(program)
                    .args(args)
                    .args(["--warmup", &warmup.to_string(), "--exchanges", &exchanges.to_string()])
                    .args(dpop.then_some("--dpop"))
                    .args((!validation).then_some("--no-id-token-validation"))
                    .env_remove("LD_LIBRARY_PATH");
                eprintln!("bench: callgrind, {name} with {exchanges} measured exchanges");
                let stdout = cmd::read(&mut command)?;
                self.sample(who, &command, &stdout)?;
                instructions[slot] = callgrind_total(&out)?;
            }
            let per_exchange = instructions[1].saturating_sub(instructions[0]) / n.max(1);
            counts.push(((who, dpop, validation), name, per_exchange));
        }
        let per = |run: (Who, bool, bool)| counts.iter().find(|c| c.0 == run).map_or(f64::NAN, |c| c.2 as f64);
        let mut table = format!(
            "\nInstructions per exchange under callgrind (sequential, {n} exchanges after {warmup}; independent \
             of load):\n\n| client | DPoP | ID token validated | instructions per exchange |\n| --- | --- | --- | --- |\n"
        );
        for ((who, dpop, validation), _, count) in &counts {
            table.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                who.label(),
                yes(*dpop),
                yes(*validation),
                thousands(*count)
            ));
        }
        for (a, b, dpop, validation) in [
            (Who::Sdk, Who::Baseline, true, true),
            (Who::Sdk, Who::Baseline, true, false),
            (Who::Sdk, Who::Baseline, false, false),
            (Who::C, Who::Sdk, true, true),
        ] {
            table.push_str(&format!(
                "| {} / {} | {} | {} | {:.3}x |\n",
                a.label(),
                b.label(),
                yes(dpop),
                yes(validation),
                per((a, dpop, validation)) / per((b, dpop, validation))
            ));
        }
        table.push_str(&format!(
            "\nProfiles: `callgrind_annotate {}` (and the other `callgrind.*.{n}.out` files there).\n",
            out_dir.join(format!("callgrind.sdk.{n}.out")).display()
        ));
        let raw = counts
            .iter()
            .map(|(_, name, count)| (name.clone(), json!(count)))
            .collect::<serde_json::Map<_, _>>();
        Ok((table, Value::Object(raw)))
    }
}

/// The `summary:` (or `totals:`) instruction count of a callgrind output file.
fn callgrind_total(path: &Path) -> Result<u64> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .find_map(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| Error::msg(format!("{} has no instruction total", path.display())))
}

fn row_title(c: &Comparison) -> String {
    format!(
        "{} / {}, {}, {}{}",
        c.measured.key(),
        c.against.key(),
        if c.in_flight == 1 {
            "sequential".to_owned()
        } else {
            format!("{} in flight", c.in_flight)
        },
        if c.dpop { "DPoP" } else { "no DPoP" },
        if c.id_token_validation {
            ""
        } else {
            ", no ID token validation"
        }
    )
}

fn per_exchange(sample: &Value, key: &str) -> f64 {
    let exchanges = sample["exchanges"].as_f64().unwrap_or(1.0).max(1.0);
    sample[key].as_f64().unwrap_or(0.0) / exchanges
}

fn comparison_table(results: &[Compared]) -> String {
    let mut out = String::from(
        "| measured / against | in flight | DPoP | ID token validated | measured, µs CPU | against, µs CPU | ratio | ratio range | goal | \
         user + system µs, measured / against | wall µs, measured / against |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let c = &r.comparison;
        let column =
            |samples: &[Value], key: &str| -> Vec<f64> { samples.iter().map(|s| per_exchange(s, key)).collect() };
        let ratios: Vec<f64> = column(&r.measured, "cpu_us")
            .iter()
            .zip(column(&r.against, "cpu_us"))
            .map(|(a, b)| a / b)
            .collect();
        let ratio = median(&ratios);
        let (lo, hi) = min_max(&ratios);
        let goal = if c.measured.is_floor() {
            "(platform HTTP: no goal)".to_owned()
        } else {
            format!("<= {}x: {}", c.goal, if ratio <= c.goal { "met" } else { "NOT met" })
        };
        out.push_str(&format!(
            "| {} / {} | {} | {} | {} | {} | {} | **{ratio:.3}x** | {lo:.3}-{hi:.3} | {goal} | {:.0} + {:.0} / {:.0} + {:.0} \
             | {:.0} / {:.0} |\n",
            c.measured.label(),
            c.against.label(),
            c.in_flight,
            if c.dpop { "yes" } else { "no" },
            if c.id_token_validation { "yes" } else { "no" },
            spread(column(&r.measured, "cpu_us")),
            spread(column(&r.against, "cpu_us")),
            median(&column(&r.measured, "user_us")),
            median(&column(&r.measured, "system_us")),
            median(&column(&r.against, "user_us")),
            median(&column(&r.against, "system_us")),
            median(&column(&r.measured, "wall_us")),
            median(&column(&r.against, "wall_us")),
        ));
    }
    out
}

/// For each crossing measured with its platform's HTTP floor: what is left once the floor is
/// taken away (the crossing and the library), per exchange and against the Rust SDK.
fn floor_lines(results: &[Compared]) -> String {
    let mut out = String::new();
    let cpu = |samples: &[Value]| median(&samples.iter().map(|s| per_exchange(s, "cpu_us")).collect::<Vec<_>>());
    for (crossing, floor) in [(Who::Kotlin, Who::KotlinHttp), (Who::Swift, Who::SwiftHttp)] {
        for r in results.iter().filter(|r| r.comparison.measured == crossing) {
            let c = &r.comparison;
            let Some(f) = results.iter().find(|f| {
                f.comparison.measured == floor && f.comparison.in_flight == c.in_flight && f.comparison.dpop == c.dpop
            }) else {
                continue;
            };
            let (whole, http, sdk) = (cpu(&r.measured), cpu(&f.measured), cpu(&r.against));
            out.push_str(&format!(
                "\n{}, {} in flight, {}: {whole:.1} µs per exchange = HTTP floor {http:.1} + crossing and library {:.1} \
                 ({:.3}x the Rust SDK's {sdk:.1})",
                crossing.label(),
                c.in_flight,
                if c.dpop { "DPoP" } else { "no DPoP" },
                whole - http,
                (whole - http) / sdk,
            ));
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn raw_comparisons(results: &[Compared]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|r| {
                json!({
                    "comparison": row_title(&r.comparison),
                    "measured": r.measured,
                    "against": r.against,
                })
            })
            .collect(),
    )
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    })
}

/// `median (min-max)`, one decimal.
fn spread(values: Vec<f64>) -> String {
    let (lo, hi) = min_max(&values);
    format!("{:.1} ({lo:.1}-{hi:.1})", median(&values))
}

/// `median (min-max)` of ratios.
fn ratio_spread(values: Vec<f64>) -> String {
    let (lo, hi) = min_max(&values);
    format!("{:.3}x ({lo:.3}-{hi:.3})", median(&values))
}

fn kib(bytes: u64) -> String {
    format!("{} KiB", thousands(bytes / 1024))
}

/// `100000` → `100,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(min_max(&[2.0, 5.0, 1.0]), (1.0, 5.0));
        assert_eq!(spread(vec![1.0, 2.0, 10.0]), "2.0 (1.0-10.0)");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1"), [0, 1]);
        assert_eq!(parse_cpu_list("0,2-3,7"), [0, 2, 3, 7]);
        assert_eq!(parse_cpu_list(""), Vec::<u32>::new());
    }

    #[test]
    fn options_from_the_command_line() {
        let o = Options::new(Some("5"), Some("2000"), Some("cold,memory"), false, true).unwrap();
        assert_eq!((o.rounds, o.exchanges, o.warmup), (5, 2000, 200));
        assert_eq!(o.parts, [Part::Cold, Part::Memory]);
        assert!(o.callgrind);
        assert!(Options::new(Some("0"), None, None, false, false).is_err());
        assert!(Options::new(None, None, Some("speed"), false, false).is_err());
        assert_eq!(Options::new(None, None, None, true, false).unwrap().rounds, 3);
    }

    #[test]
    fn callgrind_totals_are_read() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("callgrind.out");
        fs::write(
            &file,
            "version: 1\nevents: Ir\nfn=main\n1 5\nsummary: 123456\ntotals: 123456\n",
        )
        .unwrap();
        assert_eq!(callgrind_total(&file).unwrap(), 123_456);
        fs::write(&file, "events: Ir\n").unwrap();
        assert!(callgrind_total(&file).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}

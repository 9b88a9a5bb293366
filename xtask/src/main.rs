//! Project automation for token-exchange, run as `cargo xtask <command>`.
//!
//! See `cargo xtask --help` for the commands. Toolchains are cached outside the repository
//! (see [`workspace::cache_dir`]); build products go to Cargo's target directory, wherever
//! `CARGO_TARGET_DIR` or Cargo's configuration puts it.

mod bench;
mod bindgen;
mod chroot;
mod cmd;
mod emulator;
mod error;
mod fuzz;
mod header;
mod install;
mod jar;
mod lang;
mod provision;
mod report;
mod size;
mod suites;
mod swiftpm;
mod version;
mod workspace;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use error::{Context, Error, Result};
use lang::Lang;
use provision::Provisioner;
use suites::TestOptions;
use workspace::Workspace;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  provision [--lang LANG]...   Install what the C, Kotlin, Swift and packages suites need
                               (idempotent). LANG: c, kotlin, swift, packages or all (default:
                               all).
  test [--lang LANG]... [--skip LANG]... [--summary-file PATH]
                               Run the test suites (rust, c, kotlin, swift, packages: the
                               consumer projects of packages/consumers/ built against a fresh
                               install; all but rust when their directory exists), then print
                               one line per suite and the overall `N passed, M failed`.
                               Exits non-zero if anything failed. --lang runs only the
                               named suites, --skip leaves suites out; --summary-file also
                               writes the summary there.
  header [--check]             Regenerate bindings/include/token_exchange.h with cbindgen, or
                               check that the committed header is up to date.
  bindgen [--check] [--lang kotlin|swift|all]
                               Regenerate the uniffi Kotlin/Swift bindings with the workspace's
                               uniffi-bindgen, or check the committed ones are up to date.
  install --prefix DIR         Build the C library in release mode and install it under DIR:
                               lib/libtoken_exchange.so (+ SONAME links), lib/libtoken_exchange.a,
                               include/token_exchange.h, lib/pkgconfig/token-exchange.pc and
                               the CMake package lib/cmake/TokenExchange/.
  jar [--out DIR]              Build the JVM jar com.tokenexchange:token-exchange into DIR
                               (default: <target>/jar): the Kotlin classes, the Rust library
                               in JNA's resource layout (linux-x86-64/...) and the POM.
  swift-dev                    Build the debug library the Swift package links on Linux and
                               write its pkg-config file; prints the PKG_CONFIG_PATH and
                               LD_LIBRARY_PATH to export before `swift build` / `swift test` /
                               `swift run` (at the root or in a package depending on it).
  version [--set X.Y.Z]        Check that every statement of the version (crates, C header,
                               Kotlin artifact, README, consumers, git tag, CHANGELOG) agrees
                               with the workspace version; --set changes it everywhere (and
                               regenerates the C header).
  size                         Build the cdylib with the release-mobile profile and print its
                               stripped and gzipped size.
  bench [--rounds N] [--exchanges N] [--only PART,...] [--quick] [--callgrind]
                               Measure whole exchanges in release mode (issue 15): client CPU
                               per exchange against a bare reqwest + ring baseline, the C API
                               against Rust, cold start, memory over 100,000 exchanges; prints
                               ratios and goals (see BENCHMARKS.md). PART: throughput,
                               crossing, cold, memory. Not part of `test`.
  fuzz [--cases N]             Run every property test (`prop_*`, any crate) in release mode
                               with N cases each (default 1000000), one at a time, and print
                               each one's time. Exits non-zero if one failed.
  help                         Print this help.

LANG may be repeated or comma-separated (--lang c,kotlin).

Environment:
  TOKEN_EXCHANGE_CACHE   toolchain cache (default: $HOME/.cache/token-exchange)
  CARGO_TARGET_DIR       honoured for every build product
  CI=true                CI mode: a present suite whose toolchain is missing is a failure
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        print!("{HELP}");
        return Ok(ExitCode::from(2));
    };
    let mut opts = Args::parse(rest)?;
    let code = match command.as_str() {
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        "provision" => {
            opts.only(&["--lang"])?;
            provision(&opts.langs(Lang::PROVISIONABLE.to_vec())?)
        }
        "test" => {
            opts.only(&["--lang", "--skip", "--summary-file"])?;
            test(
                TestOptions {
                    only: opts.langs(vec![])?,
                    skip: opts.lang_list("--skip")?,
                },
                opts.value("--summary-file").map(PathBuf::from),
            )?
        }
        "header" => {
            opts.only(&["--check"])?;
            header(opts.flag("--check"))?
        }
        "bindgen" => {
            opts.only(&["--check", "--lang"])?;
            bindgen(opts.flag("--check"), &opts.langs(vec![Lang::Kotlin, Lang::Swift])?)?
        }
        "fuzz" => {
            opts.only(&["--cases"])?;
            let cases = match opts.value("--cases") {
                Some(n) => n
                    .parse()
                    .map_err(|_| Error::msg(format!("--cases needs a number of cases, not `{n}`")))?,
                None => fuzz::DEFAULT_CASES,
            };
            if fuzz::run(&Workspace::load()?, cases)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        "bench" => {
            opts.only(&["--rounds", "--exchanges", "--only", "--quick", "--callgrind"])?;
            let options = bench::Options::new(
                opts.value("--rounds"),
                opts.value("--exchanges"),
                opts.value("--only"),
                opts.flag("--quick"),
                opts.flag("--callgrind"),
            )?;
            bench::run(&Workspace::load()?, &options)?;
            ExitCode::SUCCESS
        }
        "install" => {
            opts.only(&["--prefix"])?;
            let prefix = opts
                .value("--prefix")
                .ok_or_else(|| Error::msg("install needs --prefix DIR"))?;
            install::run(&Workspace::load()?, prefix.as_ref())?;
            ExitCode::SUCCESS
        }
        "jar" => {
            opts.only(&["--out"])?;
            let ws = Workspace::load()?;
            let out = opts
                .value("--out")
                .map_or_else(|| ws.target_dir.join("jar"), PathBuf::from);
            let tools = Provisioner::new(workspace::cache_dir()).kotlin()?;
            jar::build(&ws, &tools, &out)?;
            ExitCode::SUCCESS
        }
        "swift-dev" => {
            opts.only(&[])?;
            let ws = Workspace::load()?;
            let ffi = swiftpm::build_library(&ws)?;
            for (name, value) in swiftpm::dev_setup(&ws, &ffi)? {
                println!("export {name}={value}");
            }
            ExitCode::SUCCESS
        }
        "version" => {
            opts.only(&["--set"])?;
            version(opts.value("--set"))?
        }
        "size" => {
            opts.only(&[])?;
            size::run(&Workspace::load()?)?;
            ExitCode::SUCCESS
        }
        other => {
            return Err(Error::msg(format!(
                "unknown command `{other}`; see `cargo xtask --help`"
            )));
        }
    };
    Ok(code)
}

/// `xtask provision`: installs each language's toolchain, reporting every failure.
fn provision(langs: &[Lang]) -> ExitCode {
    let start = Instant::now();
    let mut prov = Provisioner::new(workspace::cache_dir());
    eprintln!("provision: cache at {}", prov.cache().display());
    // Compiling cbindgen is CPU-bound while the other steps mostly download: overlap them.
    // (The C step below then finds cbindgen installed, or waits for this thread's lock.)
    let mut cbindgen = langs.contains(&Lang::C).then(|| {
        let cache = prov.cache().to_path_buf();
        std::thread::spawn(move || Provisioner::new(cache).cbindgen().map(drop))
    });
    let mut order = langs.to_vec();
    order.sort_by_key(|l| *l == Lang::C); // C last, after cbindgen had time to build
    let mut ok = true;
    for &lang in &order {
        if lang == Lang::C
            && let Some(Ok(Err(e))) = cbindgen.take().map(|h| h.join())
        {
            suites::loud(&format!("provision: c FAILED: cbindgen: {e}"));
            ok = false;
            continue;
        }
        let t = Instant::now();
        match prov.provision(lang) {
            Ok(()) => eprintln!("provision: {lang} ready ({})", cmd::elapsed(t)),
            Err(e) => {
                suites::loud(&format!("provision: {lang} FAILED: {e}"));
                ok = false;
            }
        }
    }
    eprintln!("provision: done in {}", cmd::elapsed(start));
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `xtask test`: runs the suites and prints the summary.
fn test(opts: TestOptions, summary_file: Option<PathBuf>) -> Result<ExitCode> {
    let ws = Workspace::load()?;
    let start = Instant::now();
    if workspace::in_ci() {
        eprintln!("test: CI mode: a present suite whose toolchain is unavailable counts as failed");
    } else {
        eprintln!(
            "test: toolchains are provisioned as needed; one that cannot be is counted as failed \
             (use --skip LANG to leave a suite out)"
        );
    }
    let report = suites::run_all(&ws, &opts);
    let mut out = String::new();
    if !report.problems().is_empty() {
        out.push('\n');
        for p in report.problems() {
            out.push_str(&format!("problem: {p}\n"));
        }
    }
    out.push_str(&format!("\ntest: finished in {}\n", cmd::elapsed(start)));
    out.push_str(&report.summary());
    let _ = std::io::stderr().flush();
    print!("{out}");
    let _ = std::io::stdout().flush();
    if let Some(path) = summary_file {
        std::fs::write(&path, report.summary()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `xtask header [--check]`.
fn header(check: bool) -> Result<ExitCode> {
    let ws = Workspace::load()?;
    if !ws.root.join(header::CONFIG).is_file() {
        return Err(Error::msg(format!("{} does not exist yet", header::CONFIG)));
    }
    let cbindgen = Provisioner::new(workspace::cache_dir()).cbindgen()?;
    if check {
        Ok(if header::check(&ws, &cbindgen)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    } else {
        header::write(&ws, &cbindgen)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `xtask version [--set X.Y.Z]`.
fn version(set: Option<&str>) -> Result<ExitCode> {
    let ws = Workspace::load()?;
    if let Some(new) = set {
        version::set(&ws, &version::Version::parse(new)?)?;
        // Records the members' new version in Cargo.lock (and nothing else).
        cmd::run(
            std::process::Command::new(workspace::cargo())
                .args(["update", "--workspace"])
                .current_dir(&ws.root),
        )?;
        let ws = Workspace::load()?;
        header::write(&ws, &Provisioner::new(workspace::cache_dir()).cbindgen()?)?;
    }
    let mismatches = version::check(&Workspace::load()?)?;
    for m in &mismatches {
        eprintln!("version: {m}");
    }
    Ok(if mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `xtask bindgen [--check]`.
fn bindgen(check: bool, langs: &[Lang]) -> Result<ExitCode> {
    let ws = Workspace::load()?;
    if !bindgen::available(&ws) {
        eprintln!(
            "bindgen: the workspace has no `{}` package yet: nothing to do",
            bindgen::PACKAGE
        );
        return Ok(ExitCode::SUCCESS);
    }
    // The uniffi API is the same in both libraries; Swift and Kotlin load the phone one.
    let ffi = suites::build_library(&ws, suites::Library::Mobile, false)?;
    let mut fresh = true;
    for &lang in langs {
        if check {
            fresh &= bindgen::check(&ws, lang, &ffi.lib)?;
        } else {
            bindgen::write(&ws, lang, &ffi.lib)?;
        }
    }
    Ok(if fresh { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Hand-parsed options: `--flag`, `--key value` and `--key=value`, keys may repeat.
struct Args {
    pairs: Vec<(String, Option<String>)>,
}

impl Args {
    const TAKES_VALUE: [&str; 9] = [
        "--prefix",
        "--set",
        "--lang",
        "--skip",
        "--summary-file",
        "--cases",
        "--rounds",
        "--exchanges",
        "--only",
    ];

    fn parse(args: &[String]) -> Result<Self> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if !arg.starts_with("--") {
                return Err(Error::msg(format!(
                    "unexpected argument `{arg}`; see `cargo xtask --help`"
                )));
            }
            if let Some((k, v)) = arg.split_once('=') {
                pairs.push((k.to_owned(), Some(v.to_owned())));
            } else if Self::TAKES_VALUE.contains(&arg.as_str()) {
                let v = it.next().ok_or_else(|| Error::msg(format!("{arg} needs a value")))?;
                pairs.push((arg.clone(), Some(v.clone())));
            } else {
                pairs.push((arg.clone(), None));
            }
        }
        Ok(Args { pairs })
    }

    /// Fails on any option not in `allowed`.
    fn only(&mut self, allowed: &[&str]) -> Result<()> {
        match self.pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(Error::msg(format!(
                "unknown option `{k}` for this command; see `cargo xtask --help`"
            ))),
            None => Ok(()),
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Languages given with `name` (repeated and/or comma-separated); `all` means every one.
    fn lang_list(&self, name: &str) -> Result<Vec<Lang>> {
        let mut langs = Vec::new();
        for (_, v) in self.pairs.iter().filter(|(k, _)| k == name) {
            for item in v.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()) {
                if item == "all" {
                    langs.extend(Lang::ALL);
                } else {
                    langs.push(item.parse()?);
                }
            }
        }
        langs.sort();
        langs.dedup();
        Ok(langs)
    }

    /// `--lang` values restricted to `default` when `all` was given, or `default` if none.
    fn langs(&self, default: Vec<Lang>) -> Result<Vec<Lang>> {
        let langs = self.lang_list("--lang")?;
        if langs.is_empty() {
            return Ok(default);
        }
        if default.is_empty() {
            return Ok(langs);
        }
        let explicit = langs.len() < Lang::ALL.len(); // not `all`
        if let Some(bad) = langs.iter().find(|l| !default.contains(l))
            && explicit
        {
            return Err(Error::msg(format!("--lang {bad} does not apply to this command")));
        }
        Ok(langs.into_iter().filter(|l| default.contains(l)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        Args::parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn parses_languages() {
        let a = args("--lang c,kotlin --lang=swift --skip rust");
        assert_eq!(a.lang_list("--lang").unwrap(), vec![Lang::C, Lang::Kotlin, Lang::Swift]);
        assert_eq!(a.lang_list("--skip").unwrap(), vec![Lang::Rust]);
        assert_eq!(
            args("--lang all").langs(Lang::PROVISIONABLE.to_vec()).unwrap(),
            Lang::PROVISIONABLE.to_vec()
        );
        assert_eq!(
            args("").langs(Lang::PROVISIONABLE.to_vec()).unwrap(),
            Lang::PROVISIONABLE.to_vec()
        );
        assert!(args("--lang rust").langs(Lang::PROVISIONABLE.to_vec()).is_err());
        assert!(args("--lang cobol").lang_list("--lang").is_err());
    }

    #[test]
    fn rejects_unknown_options() {
        assert!(args("--check --bogus").only(&["--check"]).is_err());
        assert!(Args::parse(&["positional".to_owned()]).is_err());
    }
}

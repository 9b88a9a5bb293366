//! What the library links, read from `cargo tree`: without its default feature
//! (`reqwest-transport`) there is no HTTP client, no TLS stack and no tokio networking in it, so
//! a build for phones carries only the protocol code and uses the platform's networking.

use std::collections::BTreeMap;
use std::process::Command;

/// Crates of an HTTP or TLS stack, or of tokio's networking (mio is its I/O driver).
const NETWORK_STACK: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "rustls",
    "rustls-platform-verifier",
    "rustls-webpki",
    "rustls-native-certs",
    "tokio-rustls",
    "webpki-roots",
    "mio",
    "socket2",
];

/// The normal (non-dev) dependencies of the library with each one's enabled features.
fn linked(default_features: bool) -> BTreeMap<String, Vec<String>> {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut command = Command::new(cargo);
    command.args(["tree", "--offline", "--manifest-path", manifest, "-p", "token-exchange"]);
    command.args(["-e", "normal", "--prefix", "none", "--format", "{p}|{f}"]);
    if !default_features {
        command.arg("--no-default-features");
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut linked = BTreeMap::<String, Vec<String>>::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        let name = package.split(' ').next().unwrap_or_default().to_owned();
        let features = features.trim_end_matches(" (*)").trim();
        // A crate in two versions gets the features of both.
        let entry = linked.entry(name).or_default();
        entry.extend(features.split(',').filter(|f| !f.is_empty()).map(str::to_owned));
    }
    linked
}

#[test]
fn without_the_builtin_transport_no_http_or_tls_stack_is_linked() {
    let linked = linked(false);
    assert!(
        linked.contains_key("token-exchange") && linked.contains_key("ring"),
        "{linked:?}"
    );
    let stack: Vec<_> = NETWORK_STACK.iter().filter(|c| linked.contains_key(**c)).collect();
    assert!(stack.is_empty(), "linked without the feature: {stack:?}");
    let tokio = &linked["tokio"];
    assert!(!tokio.iter().any(|f| f == "net"), "tokio features: {tokio:?}");
}

/// The check above looks at the right names: with the feature, they are all there.
#[test]
fn the_builtin_transport_brings_reqwest_rustls_and_tokio_networking() {
    let linked = linked(true);
    for name in ["reqwest", "hyper", "rustls", "rustls-platform-verifier", "mio"] {
        assert!(linked.contains_key(name), "{name} missing from {linked:?}");
    }
    assert!(linked["tokio"].iter().any(|f| f == "net"), "{:?}", linked["tokio"]);
}

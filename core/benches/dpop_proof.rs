//! DPoP proof creation against the raw ECDSA P-256 signature it contains, in the same run.
//!
//! `cargo bench -p token-exchange --bench dpop_proof` prints both medians and their ratio (goal:
//! proof creation within 1.2x of the raw sign). Under `cargo test` it runs a few iterations only,
//! as a smoke test.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use token_exchange::{Dpop, DpopSigner, SoftwareKey};
use url::Url;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, per_round) = if full { (41, 2000) } else { (3, 10) };

    let key = Arc::new(SoftwareKey::generate().expect("key"));
    let dpop = Dpop::new(key.clone()).expect("dpop");
    let url = Url::parse("https://tenant.us.auth0.com/oauth/token").unwrap();
    dpop.set_nonce(&url, "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    // The signing input of a typical proof, so the raw sign hashes the same number of bytes.
    let proof = dpop.proof("POST", &url, Some("access-token")).unwrap();
    let signing_input = proof.rsplit_once('.').unwrap().0.to_owned();

    let mut raw = Vec::with_capacity(rounds);
    let mut proofs = Vec::with_capacity(rounds);
    // Interleave the two so drift in machine load affects both alike.
    for _ in 0..rounds {
        raw.push(time(per_round, || {
            black_box(key.sign(black_box(signing_input.as_bytes())).unwrap());
        }));
        proofs.push(time(per_round, || {
            black_box(
                dpop.proof(black_box("POST"), black_box(&url), black_box(Some("access-token")))
                    .unwrap(),
            );
        }));
    }
    let raw = median(raw);
    let proof = median(proofs);
    let ratio = proof.as_secs_f64() / raw.as_secs_f64();
    println!("raw ES256 sign:        {:>8.2} µs/op", raw.as_secs_f64() * 1e6);
    println!("DPoP proof creation:   {:>8.2} µs/op", proof.as_secs_f64() * 1e6);
    println!("ratio proof/raw sign:  {ratio:>8.3}x (goal <= 1.2x)");
}

fn time(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

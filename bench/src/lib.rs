//! Whole-exchange benchmarks of token-exchange (issue 15), run by `cargo xtask bench`.
//!
//! The pieces, each used by its own process so that the client's CPU time is measured alone:
//!
//! - [`endpoint`]: a canned local token endpoint (plain HTTP on loopback, one fixed token
//!   response with a correctly signed ID token, and the JWKS that verifies it);
//! - [`sdk`]: the exchange through `token_exchange::Client`, the code under measurement;
//! - [`baseline`]: the identical request made with bare reqwest + ring, parsed into a struct;
//! - [`workload`]: warm-up, then N exchanges sequentially or with K in flight, reporting the
//!   client process's CPU time ([`measure`]).
//!
//! Both clients send byte-for-byte the same form and headers and the same DPoP proof claims
//! (`tests/identical_requests.rs` checks it) and both validate the ID token (RS256 against the
//! endpoint's JWKS, `iss`, `aud`, `exp`, `iat`), so the comparison is the production path on
//! both sides; `te-bench-client --no-id-token-validation` turns validation off in either, to
//! measure the rest without the RSA signature check.

#![warn(missing_docs)]

pub mod baseline;
pub mod endpoint;
pub mod measure;
pub mod sdk;
pub mod workload;

/// The `client_id` both clients send and the ID token's `aud`.
pub const CLIENT_ID: &str = "bench-native-app";
/// The API the access token is requested for.
pub const AUDIENCE: &str = "https://api.example.com/";
/// The user's name, sent as `user_profile` as Sign in with Apple gives it on the first sign-in.
pub const FIRST_NAME: &str = "John";
/// See [`FIRST_NAME`].
pub const LAST_NAME: &str = "Appleseed";
/// The scope both clients send: the SDK's default, which the baseline spells out.
pub const SCOPE: &str = "openid profile email offline_access";

/// The Apple authorization code of exchange number `i`: a fresh single-use code each time,
/// shaped and sized like the real ones (`c` + 32 hex digits + `.0.` + a suffix, 70 characters).
pub fn authorization_code(i: u64) -> String {
    format!("c{i:032x}.0.srsv.Qm9vdHN0cmFwcGVkQ29kZUZvckJlbmNo")
}

/// `http://127.0.0.1:port/` without the trailing slash: what both clients are configured with.
pub fn domain(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

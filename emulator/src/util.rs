//! Small helpers shared by the modules: base64url, randomness, clocks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// base64url without padding.
pub(crate) fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (padding or other alphabets are errors).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// `n` random bytes from the OS, base64url-encoded.
pub(crate) fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    OsRng.fill_bytes(&mut buf);
    b64url(buf)
}

/// base64url(SHA-256(data)).
pub(crate) fn sha256_b64url(data: impl AsRef<[u8]>) -> String {
    b64url(Sha256::digest(data.as_ref()))
}

/// Whether two secrets are equal, compared through their SHA-256 digests so that the time
/// taken does not depend on where the first differing byte is.
pub(crate) fn secrets_equal(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Longest lifetime or delay the emulator takes from an input (configuration, control request,
/// Rust API): 10 years. Control requests asking for more get `400`; configurations are refused;
/// values given through the Rust API are clamped to it. Time arithmetic on inputs therefore
/// never overflows.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// `d`, at most [`MAX_LIFETIME_SECS`].
pub(crate) fn clamp_lifetime(d: Duration) -> Duration {
    d.min(Duration::from_secs(MAX_LIFETIME_SECS))
}

/// A lifetime in seconds from a control request; the error is the `400` description.
pub(crate) fn requested_secs(field: &str, secs: u64) -> Result<Duration, String> {
    if secs > MAX_LIFETIME_SECS {
        return Err(format!("{field} must be at most {MAX_LIFETIME_SECS} seconds"));
    }
    Ok(Duration::from_secs(secs))
}

/// A delay in milliseconds from a control request; the error is the `400` description.
pub(crate) fn requested_millis(field: &str, ms: u64) -> Result<Duration, String> {
    if ms / 1000 > MAX_LIFETIME_SECS {
        return Err(format!("{field} must be at most {MAX_LIFETIME_SECS} seconds"));
    }
    Ok(Duration::from_millis(ms))
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

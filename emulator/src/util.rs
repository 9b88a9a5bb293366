//! Small helpers shared by the modules: base64url, randomness, digests, constant-time
//! comparison, system time, timestamps, and the bound on lifetimes taken from inputs.

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

/// `n` random ASCII letters and digits.
pub(crate) fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut buf = [0u8; 32];
        OsRng.fill_bytes(&mut buf);
        // 248 = 4 * 62: rejecting larger bytes keeps the choice uniform.
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| ALPHABET[(*b % 62) as usize] as char)
                .take(n - out.len()),
        );
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a time in milliseconds since the Unix epoch.
pub(crate) fn iso8601_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The current time as [`iso8601_millis`].
pub(crate) fn now_iso8601() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    iso8601_millis(ms)
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(1_704_067_200_000), "2024-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601_millis(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }

    #[test]
    fn alnum_ids() {
        let id = random_alnum(32);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, random_alnum(32));
    }
}

//! Calendar arithmetic for the few timestamps the protocols carry as text (`Retry-After`
//! dates, `updated_at`), and "now" as Unix seconds for JWT claims.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub(crate) fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `t` as whole seconds since the Unix epoch (negative before it, saturating at the `i64`
/// range): how expiry times cross to Swift, Kotlin and C.
pub fn to_unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The time `seconds` after (or before) the Unix epoch, the inverse of [`to_unix_seconds`].
/// Any stored value is usable: a time before what the platform's clock can represent is the
/// epoch (long expired); one after it is `None`, no known expiry (never expires within any
/// leeway).
pub fn from_unix_seconds(seconds: i64) -> Option<SystemTime> {
    let offset = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        Some(UNIX_EPOCH.checked_sub(offset).unwrap_or(UNIX_EPOCH))
    }
}

/// The instant of a UTC calendar date and time, or `None` when a field is out of range or
/// the date is before 1970. `second` may be 60 (a leap second, counted as the next second).
pub(crate) fn from_civil(year: u64, month: u64, day: u64, hour: u64, minute: u64, second: u64) -> Option<SystemTime> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year < 1970 || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), valid for the Gregorian calendar.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// An RFC 3339 date-time (`2024-05-01T12:34:56.789Z`, `2024-05-01T14:34:56+02:00`), as
/// Auth0 sends `updated_at`. Fractions of a second are dropped.
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = s.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let at = from_civil(
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    )?;
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => Some(at),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let [h1, h2, m1, m2] = digits.map(|d| u64::from(d - b'0'));
            let (hours, minutes) = (h1 * 10 + h2, m1 * 10 + m2);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = Duration::from_secs(hours * 3600 + minutes * 60);
            // Local time = UTC + offset, so UTC = local - offset.
            if *sign == b'+' {
                at.checked_sub(offset)
            } else {
                at.checked_add(offset)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_round_trip_and_saturate() {
        for seconds in [0, 1, -1, 1_700_000_000, -86_400] {
            assert_eq!(
                to_unix_seconds(from_unix_seconds(seconds).unwrap()),
                seconds,
                "{seconds}"
            );
        }
        assert!(from_unix_seconds(i64::MIN).is_some());
        let _ = from_unix_seconds(i64::MAX).map(to_unix_seconds);
    }

    fn unix(t: SystemTime) -> u64 {
        t.duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn civil_dates() {
        assert_eq!(from_civil(1970, 1, 1, 0, 0, 0).map(unix), Some(0));
        // RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(from_civil(1994, 11, 6, 8, 49, 37).map(unix), Some(784_111_777));
        assert_eq!(from_civil(2000, 2, 29, 0, 0, 0).map(unix), Some(951_782_400));
        assert_eq!(from_civil(1969, 12, 31, 23, 59, 59), None);
        assert_eq!(from_civil(2024, 13, 1, 0, 0, 0), None);
        assert_eq!(from_civil(2024, 1, 1, 24, 0, 0), None);
    }

    #[test]
    fn rfc3339() {
        // 2024-05-01T12:34:56Z is 1714566896.
        for s in [
            "2024-05-01T12:34:56Z",
            "2024-05-01T12:34:56.789Z",
            "2024-05-01t12:34:56z",
            "2024-05-01T14:34:56+02:00",
            "2024-05-01T10:04:56.1-02:30",
        ] {
            assert_eq!(parse_rfc3339(s).map(unix), Some(1_714_566_896), "{s}");
        }
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:34:56",
            "2024-05-01T12:34:56.Z",
            "2024-05-01T12:34:56+2:00",
            "2024-05-01T12:34:56+24:00",
            "2024-5-01T12:34:56Z",
            "2024-05-01T12:34:5xZ",
            "+024-05-01T12:34:56Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}

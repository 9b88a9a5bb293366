//! Generators of what a server may send, for the property tests of every parser of server input
//! (`prop_*` tests next to each parser). Test-only.
//!
//! Each test runs `PROPTEST_CASES` cases (default 2,000, so `cargo xtask test` stays fast;
//! `cargo xtask fuzz` runs a million). The generators mix structure the parsers expect (the
//! members and headers they read, with values of every JSON type, absurd numbers, near-miss
//! dates) with arbitrary bytes, so that both the deep paths and the early refusals are reached.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

use crate::http::RawResponse;

/// The case count: `PROPTEST_CASES`, or 2,000. No regression files are written into the source
/// tree: a failure prints its minimal input.
pub(crate) fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Members the client's parsers look for, in every body shape they read.
const KNOWN_MEMBERS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "id_token",
    "refresh_token",
    "scope",
    "issued_token_type",
    "recovery_code",
    "error",
    "error_description",
    "code",
    "description",
    "mfa_token",
    "mfa_requirements",
    "challenge",
    "enroll",
    "type",
    "statusCode",
    "message",
    "errorCode",
    "exp",
    "sub",
    "act",
];

/// A member name: mostly one the parsers read, sometimes anything.
fn member() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KNOWN_MEMBERS).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

/// Numbers around every limit the parsers apply: negative, fractional, beyond `u64`, as JSON
/// numbers or as strings.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Finite by construction (JSON has no NaN or infinity): no case is rejected.
        (proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO)
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0u64..=4_000_000_000).prop_map(Value::from),
        "-?[0-9]{1,30}(\\.[0-9]{1,3})?(e[0-9]{1,3})?".prop_map(Value::from),
    ]
}

/// Any JSON value, nested a few levels.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        "\\PC{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(member(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object whose members are mostly the ones the parsers read.
pub(crate) fn json_object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(member(), json_value(), 0..10).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A response body: a JSON object, any JSON, JSON cut short, or arbitrary bytes.
pub(crate) fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_object().prop_map(|v| v.to_string().into_bytes()),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => (json_object(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            text[..cut.index(text.len() + 1)].to_vec()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A `Retry-After` value: seconds of any size, HTTP-dates of the three forms (real ones and
/// near misses), or any visible text.
pub(crate) fn retry_after() -> impl Strategy<Value = String> {
    let date = (0u64..=253_402_300_799)
        .prop_map(|secs| httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)));
    prop_oneof![
        "[0-9]{1,30}",
        date,
        "(Mon|Tue|Sun|Sunday|Xyz), [0-9]{1,3} (Jan|Feb|Nov|Foo) [0-9]{1,13} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (GMT|PST)",
        "(Sunday|Monday), [0-9]{2}-(Nov|Feb)-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        "(Sun|Mon) (Nov|Feb) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}",
        "[ -~]{0,40}",
    ]
}

/// A header value as a transport hands it over: any character but controls other than tab
/// (visible ASCII, spaces, any UTF-8; transports leave out values that are not UTF-8).
pub(crate) fn header_value() -> impl Strategy<Value = String> {
    prop_oneof!["[!-~]{1,40}", r"[\t\PC]{0,40}"]
}

/// A `WWW-Authenticate` value: a challenge with parameters in every quoting, or any text.
pub(crate) fn www_authenticate() -> impl Strategy<Value = String> {
    let param = (
        prop_oneof![
            Just("error".to_owned()),
            Just("error_description".to_owned()),
            "[a-z_]{1,8}"
        ],
        prop_oneof![
            r#""[^"]{0,12}""#,
            "[!-~&&[^,\"]]{0,12}",
            r#""[^"]{0,12}"#,
            Just(String::new())
        ],
    )
        .prop_map(|(k, v)| format!("{k}={v}"));
    prop_oneof![
        3 => (
            prop_oneof![Just("DPoP"), Just("Bearer"), Just("dpop"), Just("Basic"), Just("")],
            proptest::collection::vec(param, 0..5),
            prop_oneof![Just(", "), Just(","), Just(" ")],
        )
            .prop_map(|(scheme, params, sep)| format!("{scheme} {}", params.join(sep))),
        1 => "\\PC{0,60}",
    ]
}

/// A response of `status` with `body`, optional `Retry-After` and `DPoP-Nonce` values, and a
/// content type.
pub(crate) fn response() -> impl Strategy<Value = RawResponse> {
    (
        prop_oneof![
            Just(200u16),
            Just(400),
            Just(401),
            Just(403),
            Just(429),
            Just(503),
            100u16..=599
        ],
        body(),
        proptest::option::of(retry_after()),
        proptest::option::of(header_value()),
        proptest::option::of(prop_oneof![
            Just("application/json"),
            Just("text/html; charset=utf-8"),
            Just("text/plain")
        ]),
    )
        .prop_map(|(status, body, retry_after, nonce, content_type)| {
            let mut headers = Vec::new();
            if let Some(value) = retry_after {
                headers.push(("retry-after".to_owned(), value));
            }
            if let Some(nonce) = nonce {
                headers.push((crate::dpop::NONCE_HEADER.to_owned(), nonce));
            }
            if let Some(ct) = content_type {
                headers.push(("content-type".to_owned(), ct.to_owned()));
            }
            RawResponse { status, headers, body }
        })
}

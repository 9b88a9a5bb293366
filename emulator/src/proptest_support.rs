//! Support for the property tests of the parsers of untrusted input (test builds only): the
//! case count and input generators that reach past the first check (JSON objects with the
//! members a parser looks for, JWS-shaped strings, header values).
//!
//! Convention shared with the rest of the workspace: every property test function is named
//! `prop_*`; the case count is `PROPTEST_CASES` (default [`DEFAULT_CASES`], or
//! [`DEFAULT_COSTLY_CASES`] where a case signs or verifies RSA), so `cargo xtask fuzz` can run
//! `cargo test --release --workspace prop_` with a million cases.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Cases per property when `PROPTEST_CASES` is not set.
pub(crate) const DEFAULT_CASES: u32 = 2_000;
/// Cases per property whose cases are costly (RSA, a whole request), when not set.
pub(crate) const DEFAULT_COSTLY_CASES: u32 = 300;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The configuration of a property test.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(DEFAULT_CASES),
        ..ProptestConfig::default()
    }
}

/// The configuration of a property test whose cases are costly.
pub(crate) fn costly_config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(DEFAULT_COSTLY_CASES),
        ..ProptestConfig::default()
    }
}

/// Values the sample tenant knows, so that generated requests sometimes get past validation.
const KNOWN: &[&str] = &[
    "urn:acme:property-test",
    "https://api.example.com",
    "https://calendar-backend.example.com",
    "http://127.0.0.1:8787/api/v2/",
    "act_google",
    "custom_authentication",
    "Property Test",
    "native",
    "regular_web",
    "non_interactive",
    "resource_server",
    "native-app",
    "management-client",
    "read:messages",
    "read:clients",
    "tep_google_sample",
    "google-oauth2",
    "apple|property",
];

/// Any string, biased towards short ones with separators parsers split on, and values the
/// sample tenant knows.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[ -~]{0,40}",
        2 => "[a-zA-Z0-9_.:/%+= |,@-]{0,40}",
        2 => prop::sample::select(KNOWN.to_vec()).prop_map(str::to_owned),
        1 => Just(String::new()),
    ]
}

/// Any JSON value, nested a few levels, with keys from `keys` (and others).
pub(crate) fn json_value(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(keys), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A member name: one of `keys` most of the time.
fn key(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let known = prop::sample::select(keys.to_vec()).prop_map(str::to_owned);
    if keys.is_empty() {
        text().boxed()
    } else {
        prop_oneof![4 => known, 1 => text()].boxed()
    }
}

/// A JSON object whose members are mostly `keys`, with any values.
pub(crate) fn json_object(keys: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(keys), json_value(keys)), 0..8).prop_map(|m| m.into_iter().collect())
}

/// Bytes of a request body: JSON objects with `keys`, other JSON, or anything.
pub(crate) fn json_body(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_object(keys).prop_map(|m| Value::Object(m).to_string().into_bytes()),
        1 => json_value(keys).prop_map(|v| v.to_string().into_bytes()),
        1 => any::<Vec<u8>>(),
    ]
}

fn b64url(bytes: impl AsRef<[u8]>) -> String {
    crate::util::b64url(bytes)
}

/// Compact-JWS-shaped strings: base64url JSON header and payload (with `keys`), any
/// signature bytes; sometimes broken (wrong part count, bad base64, non-JSON).
pub(crate) fn jws(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => json_object(keys).prop_map(|m| b64url(Value::Object(m).to_string())),
        1 => any::<Vec<u8>>().prop_map(b64url),
        1 => text(),
    ];
    prop_oneof![
        6 => (segment.clone(), segment, prop::collection::vec(any::<u8>(), 0..80))
            .prop_map(|(h, p, s)| format!("{h}.{p}.{}", b64url(s))),
        1 => prop::collection::vec(text(), 0..5).prop_map(|parts| parts.join(".")),
        1 => text(),
    ]
}

/// Header values as an HTTP client could send them (visible ASCII and spaces).
pub(crate) fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,80}",
        ("(Bearer|bearer|Basic|basic|DPoP|dpop|Digest)", "[ -~]{0,80}").prop_map(|(s, v)| format!("{s} {v}")),
    ]
}

/// `n` `Authorization` headers (0 to 2) with any values.
pub(crate) fn authorization_headers() -> impl Strategy<Value = axum::http::HeaderMap> {
    prop::collection::vec(header_value(), 0..3).prop_map(|values| {
        let mut headers = axum::http::HeaderMap::new();
        for v in values {
            if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
                headers.append(axum::http::header::AUTHORIZATION, v);
            }
        }
        headers
    })
}

/// A fresh sample tenant (the process's signing key; no Node.js needed) for one case.
pub(crate) fn tenant() -> crate::tenant::AppState {
    tenant_with(crate::EmulatorConfig::default())
}

/// A fresh tenant with `config` for one case.
pub(crate) fn tenant_with(config: crate::EmulatorConfig) -> crate::tenant::AppState {
    let signer = crate::jose::Signer::new(None, false).expect("the process key");
    std::sync::Arc::new(crate::tenant::Tenant::new(
        config,
        "http://127.0.0.1:8787".to_owned(),
        signer,
    ))
}

/// `Authorization: Bearer <management token>` valid for every tenant of [`tenant`] (same key
/// and base URL), minted once.
pub(crate) fn management_headers() -> axum::http::HeaderMap {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let token = TOKEN.get_or_init(|| {
        let scopes: Vec<String> = crate::config::MANAGEMENT_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        crate::management::mint_token(&tenant(), "prop-admin", &scopes, 3600)
    });
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        axum::http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    headers
}

/// Runs a future to completion on a current-thread runtime.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

//! The benchmark compares like with like: against the canned endpoint, the SDK and the baseline
//! send the same requests (request line, headers, form body byte for byte, the same DPoP JOSE
//! header and claims), and both accept the endpoint's answer, ID token validation included.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use token_exchange::SoftwareKey;
use token_exchange_bench::baseline::{Baseline, DpopKey};
use token_exchange_bench::endpoint::{Canned, serve};
use token_exchange_bench::sdk::Sdk;
use token_exchange_bench::workload::Exchanger;

/// One request as the endpoint received it.
#[derive(Debug)]
struct Request {
    line: String,
    headers: BTreeMap<String, String>,
    body: String,
}

fn parse(raw: &[u8]) -> Request {
    let text = std::str::from_utf8(raw).expect("UTF-8 request");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap().to_owned();
    let mut headers = BTreeMap::new();
    for l in lines {
        let (name, value) = l.split_once(':').expect("a header line");
        let previous = headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        assert!(previous.is_none(), "header {name} sent twice");
    }
    Request {
        line,
        headers,
        body: body.to_owned(),
    }
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The member names of a JSON object, in the order they were sent.
fn member_order(part: &str) -> Vec<String> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
    let mut names = Vec::new();
    let mut rest = text.as_str();
    // Top-level and nested names alike: enough to compare two encoders' orders.
    while let Some(start) = rest.find("\":") {
        let name_start = rest[..start].rfind('"').unwrap() + 1;
        names.push(rest[name_start..start].to_owned());
        rest = &rest[start + 2..];
    }
    names
}

struct Endpoint {
    base_url: String,
    requests: UnboundedReceiver<Vec<u8>>,
}

impl Endpoint {
    async fn start() -> Endpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/", listener.local_addr().unwrap());
        let canned = Arc::new(Canned::new(&base_url));
        let (capture, requests) = unbounded_channel();
        tokio::spawn(serve(listener, canned, Some(capture)));
        Endpoint { base_url, requests }
    }

    /// The requests received since the last call.
    fn received(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        while let Ok(raw) = self.requests.try_recv() {
            out.push(parse(&raw));
        }
        out
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Compares two DPoP proofs: the same JOSE header members (the key itself differs), the same
/// claims in the same order, the same `htm` and `htu`, a fresh `jti` each.
fn assert_same_proof_shape(sdk: &str, baseline: &str) {
    let parts = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
    let (s, b) = (parts(sdk), parts(baseline));
    assert_eq!((s.len(), b.len()), (3, 3));
    assert_eq!(member_order(&s[0]), member_order(&b[0]), "JOSE header members");
    let (sh, bh) = (decode_json(&s[0]), decode_json(&b[0]));
    for path in ["/typ", "/alg", "/jwk/crv", "/jwk/kty"] {
        assert_eq!(sh.pointer(path), bh.pointer(path), "{path}");
    }
    assert_eq!(member_order(&s[1]), member_order(&b[1]), "claims");
    let (sc, bc) = (decode_json(&s[1]), decode_json(&b[1]));
    assert_eq!(sc["htm"], bc["htm"]);
    assert_eq!(sc["htu"], bc["htu"]);
    assert_ne!(sc["jti"], bc["jti"]);
    assert_eq!(sc["jti"].as_str().unwrap().len(), bc["jti"].as_str().unwrap().len());
    assert_eq!(
        (
            URL_SAFE_NO_PAD.decode(&s[2]).unwrap().len(),
            URL_SAFE_NO_PAD.decode(&b[2]).unwrap().len()
        ),
        (64, 64),
        "raw ES256 signatures"
    );
}

fn assert_same_requests(dpop: bool, id_token_validation: bool) {
    runtime().block_on(async {
        let mut endpoint = Endpoint::start().await;
        let key = dpop.then(|| Arc::new(SoftwareKey::generate().unwrap()));
        let sdk = Sdk::new(&endpoint.base_url, key, id_token_validation).unwrap();
        sdk.exchange_nth(7).await.expect("the SDK accepts the canned answer");
        let from_sdk = endpoint.received();
        let baseline = Baseline::new(&endpoint.base_url, dpop.then(DpopKey::generate), id_token_validation).unwrap();
        baseline
            .exchange_nth(7)
            .await
            .expect("the baseline accepts the canned answer");
        let from_baseline = endpoint.received();

        // With validation, the key set first (before a single-use code is spent); then the
        // token request.
        let expected = if id_token_validation { 2 } else { 1 };
        assert_eq!(from_sdk.len(), expected, "{from_sdk:?}");
        assert_eq!(from_baseline.len(), expected, "{from_baseline:?}");
        for (s, b) in from_sdk.iter().zip(&from_baseline) {
            assert_eq!(s.line, b.line);
            assert_eq!(s.body, b.body, "the form, byte for byte");
            let names = |r: &Request| r.headers.keys().cloned().collect::<Vec<_>>();
            assert_eq!(names(s), names(b));
            for (name, value) in &s.headers {
                if name != "dpop" {
                    assert_eq!(Some(value), b.headers.get(name), "{name}");
                }
            }
        }
        let (s, b) = (from_sdk.last().unwrap(), from_baseline.last().unwrap());
        assert_eq!(s.line, "POST /oauth/token HTTP/1.1");
        assert!(s.body.contains("&subject_token=c00000000000000000000000000000007.0."));
        assert_eq!(s.headers.contains_key("dpop"), dpop);
        if dpop {
            assert_same_proof_shape(&s.headers["dpop"], &b.headers["dpop"]);
        }
    });
}

#[test]
fn with_dpop_both_clients_send_the_same_requests() {
    assert_same_requests(true, true);
}

#[test]
fn without_dpop_both_clients_send_the_same_requests() {
    assert_same_requests(false, true);
}

#[test]
fn without_id_token_validation_neither_client_fetches_the_key_set() {
    assert_same_requests(true, false);
}

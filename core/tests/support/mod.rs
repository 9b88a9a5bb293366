//! Shared test fixtures: the emulator, clients pointed at it, and a scripted HTTP peer for
//! wire-level assertions (which headers and how many requests the client sends).

#![allow(dead_code)]

pub mod http1;
pub mod id_tokens;

use std::sync::{Arc, Mutex};

use token_exchange::{Client, ClientBuilder, NativeSocialExchange, SoftwareKey, TokenSet};
use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig, SAMPLE_ROTATING_CLIENT_ID};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "native-app";
pub const API: &str = "https://api.example.com";

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder(emu.base_url(), CLIENT_ID)
}

pub fn client(emu: &Emulator) -> Client {
    builder(emu).build().expect("client builds")
}

pub fn dpop_client(emu: &Emulator) -> Client {
    builder(emu)
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .expect("client builds")
}

/// A client of the sample `rotating-app` (its refresh tokens rotate, with no reuse interval)
/// holding `key`.
pub fn rotating_client(emu: &Emulator, key: Arc<SoftwareKey>) -> Client {
    Client::builder(emu.base_url(), SAMPLE_ROTATING_CLIENT_ID)
        .dpop(key)
        .build()
        .expect("client builds")
}

/// Signs `sub` in through `client` with a fresh Sign in with Apple code, for the sample API and
/// the default scope (a refresh token included).
pub async fn sign_in(emu: &Emulator, client: &Client, sub: &str) -> TokenSet {
    let code = emu.apple_authorization_code(AppleCode::new(sub));
    client
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(API))
        .await
        .expect("the exchange succeeds")
}

/// A port nothing listens on.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// One request as received on the wire.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }

    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes()).into_owned().collect()
    }

    pub fn form_value(&self, key: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// A scripted response: status, headers, body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// How long the peer waits before answering (to keep a request in flight).
    pub delay: std::time::Duration,
    /// When set, the peer answers only once a permit is added (the request stays in flight
    /// until the test says so).
    pub gate: Option<Arc<tokio::sync::Semaphore>>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: std::time::Duration::ZERO,
            gate: None,
        }
    }

    /// A reply without a body.
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: std::time::Duration::ZERO,
            gate: None,
        }
    }

    pub fn delayed(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers only after `gate` gets a permit.
    pub fn held(mut self, gate: Arc<tokio::sync::Semaphore>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The path a client fetches the tenant's signing keys from.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// A minimal HTTP/1.1 server that answers each connection's request with the next scripted
/// reply (the last one repeats) and records what it received.
///
/// `GET /.well-known/jwks.json` is the tenant's key set, not part of the script: it is
/// answered from `jwks` (the next set each time, the last one repeating; by default one empty
/// set) and recorded in `jwks_requests` only.
pub struct Scripted {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    pub jwks_requests: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<Vec<Reply>>>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> Scripted {
        Self::with_jwks(vec![serde_json::json!({ "keys": [] })], replies).await
    }

    /// A peer whose JWKS endpoint answers the sets of `jwks` in turn.
    pub async fn with_jwks(jwks: Vec<serde_json::Value>, replies: Vec<Reply>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let jwks_requests = Arc::new(Mutex::new(Vec::new()));
        let (log, jwks_log) = (requests.clone(), jwks_requests.clone());
        let script = Arc::new(Mutex::new((0usize, 0usize)));
        let replies = Arc::new(Mutex::new(replies));
        let scripted_replies = replies.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, jwks_log, script) = (log.clone(), jwks_log.clone(), script.clone());
                let (replies, jwks) = (scripted_replies.clone(), jwks.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let header_end = loop {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..read]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap_or_default().split(' ');
                    let method = first.next().unwrap_or_default().to_owned();
                    let path = first.next().unwrap_or_default().to_owned();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k == "content-length")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < header_end + len {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..read]);
                    }
                    let body = String::from_utf8_lossy(&buf[header_end..]).to_string();
                    let recorded = Recorded {
                        method,
                        path,
                        headers,
                        body,
                    };
                    // The reply is chosen when the request has arrived, so the script follows
                    // the order of requests rather than of connections.
                    let reply = {
                        let mut counters = script.lock().unwrap();
                        if recorded.method == "GET" && recorded.path == JWKS_PATH {
                            jwks_log.lock().unwrap().push(recorded);
                            counters.1 += 1;
                            Reply::json(200, jwks[(counters.1 - 1).min(jwks.len() - 1)].clone())
                        } else {
                            log.lock().unwrap().push(recorded);
                            counters.0 += 1;
                            let replies = replies.lock().unwrap();
                            replies[(counters.0 - 1).min(replies.len() - 1)].clone()
                        }
                    };
                    tokio::time::sleep(reply.delay).await;
                    if let Some(gate) = &reply.gate {
                        gate.acquire().await.unwrap().forget();
                    }
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(&reply.body);
                    let _ = stream.write_all(out.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Scripted {
            base_url,
            requests,
            jwks_requests,
            replies,
        }
    }

    /// Replaces the script (for replies that depend on `base_url`, such as ID tokens whose
    /// issuer is this peer).
    pub fn set_replies(&self, replies: Vec<Reply>) {
        *self.replies.lock().unwrap() = replies;
    }

    /// The issuer a client of this peer expects: its base URL with a trailing slash.
    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many times the key set was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.jwks_requests.lock().unwrap().len()
    }
}

/// A successful token response body.
pub fn token_body(token_type: &str) -> serde_json::Value {
    serde_json::json!({
        "access_token": "scripted-access-token",
        "token_type": token_type,
        "expires_in": 3600,
        "scope": "openid",
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"
    })
}

/// The payload of a JWT (access token, ID token, DPoP proof), decoded without verification.
pub fn claims(jwt: &str) -> serde_json::Value {
    jws_part(jwt, 1)
}

/// The protected header of a JWT, decoded.
pub fn header(jwt: &str) -> serde_json::Value {
    jws_part(jwt, 0)
}

fn jws_part(jwt: &str, index: usize) -> serde_json::Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(index).expect("a compact JWS");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// An HTTPS server on loopback whose certificate (`core/testdata/tls`, signed by a test CA) no
/// trust store knows: every handshake fails on the client's side. Returns its base URL.
pub fn untrusted_https_server() -> String {
    use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
    use std::io::Read;

    let testdata = |name: &str| std::fs::read(format!("{}/testdata/tls/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(testdata("ec-cert.der"))],
            PrivatePkcs8KeyDer::from(testdata("ec-key.der")).into(),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            // Reading drives the handshake until the client gives up on the certificate.
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let _ = tls.read(&mut [0u8; 1]);
        }
    });
    base_url
}

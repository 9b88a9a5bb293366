//! The canned token endpoint: plain HTTP/1.1 on loopback, answering every `POST /oauth/token`
//! with one fixed, realistic token response and `GET /.well-known/jwks.json` with the key that
//! signed its ID token. It validates nothing and drains each request body, so that it costs as
//! little as possible and the clients' costs are what the benchmark measures.
//!
//! The responses are built once at start-up: a token set of the size Auth0 issues (an access
//! token JWT, an ID token signed RS256 for [`crate::CLIENT_ID`] with `iss` the endpoint's base
//! URL and `exp` ten hours ahead, a rotating refresh token, `expires_in`, `scope`), with
//! `token_type` `DPoP` when the request carried a `DPoP` header and `Bearer` otherwise.

use std::io;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;

use crate::{AUDIENCE, CLIENT_ID, SCOPE};

/// The key id of the endpoint's signing key in its JWKS.
pub const KID: &str = "bench-signing-key-1";

/// Where a captured request is sent: its head and body, byte for byte (tests only).
pub type Capture = UnboundedSender<Vec<u8>>;

/// The complete HTTP responses the endpoint sends.
pub struct Canned {
    token_dpop: Vec<u8>,
    token_bearer: Vec<u8>,
    jwks: Vec<u8>,
    not_found: Vec<u8>,
}

impl Canned {
    /// Generates a signing key (RSA 2048, as Auth0 tenants use) and builds every response for
    /// an endpoint reachable at `base_url` (`http://127.0.0.1:port/`).
    pub fn new(base_url: &str) -> Canned {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key generation");
        let signer = SigningKey::<Sha256>::new(key.clone());
        let sign = |typ: &str, claims: &Value| {
            let header = json!({"alg": "RS256", "typ": typ, "kid": KID});
            let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
            jwt.push('.');
            URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jwt);
            let signature = signer.sign(jwt.as_bytes()).to_vec();
            jwt.push('.');
            URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
            jwt
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let sub = "apple|001234.5f8a3b2c9d0e4f1a8b7c6d5e4f3a2b1c.1234";
        let id_token = sign(
            "JWT",
            &json!({
                "given_name": crate::FIRST_NAME,
                "family_name": crate::LAST_NAME,
                "nickname": "john.appleseed",
                "name": "John Appleseed",
                "picture": "https://s.gravatar.com/avatar/6a5f3e2d1c0b9a8f7e6d5c4b3a291807?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fja.png",
                "updated_at": "2026-11-30T09:12:44.120Z",
                "email": "x7k2m9q4p1@privaterelay.appleid.com",
                "email_verified": true,
                "iss": base_url,
                "aud": CLIENT_ID,
                "sub": sub,
                "iat": now,
                "exp": now + 36_000,
                "auth_time": now,
                "sid": "Xk9Qm2Lr7Tz4Wb8Nc1Vd5Fh3Jg6Ks0Pa",
            }),
        );
        let access_token = |bound: bool| {
            let mut claims = json!({
                "iss": base_url,
                "sub": sub,
                "aud": [AUDIENCE, format!("{base_url}userinfo")],
                "iat": now,
                "exp": now + 86_400,
                "scope": SCOPE,
                "azp": CLIENT_ID,
                "jti": "b3f1c2d4e5a6978812ab34cd56ef7890",
                "client_id": CLIENT_ID,
            });
            if bound {
                claims["cnf"] = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
            }
            sign("at+jwt", &claims)
        };
        let token_response = |token_type: &str| {
            let body = json!({
                "access_token": access_token(token_type == "DPoP"),
                "id_token": id_token,
                "refresh_token": "v1.MrQ5kVb2N8xZ4Jt7Lw1Pc9Hs3Fd6Gy0Ra5Ue8Io2Kp4Mn7Bv1Cx3Zl9Qw6Er0Ty5Ui8Op2As4Df7Gh1Jk3Lz6Xc9Vb0Nm2Qa5Ws8Ed1Rf4Tg7Yh0Uj3Ik6Ol9Pz2Xs5Cd8Fv1Gb4Hn7Jm0Kl3Lq6Wi9Ez",
                "expires_in": 86_400,
                "scope": SCOPE,
                "token_type": token_type,
            });
            http_response(
                "200 OK",
                &[("cache-control", "no-store"), ("pragma", "no-cache")],
                &body.to_string(),
            )
        };
        let jwks = json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        }]});
        Canned {
            token_dpop: token_response("DPoP"),
            token_bearer: token_response("Bearer"),
            jwks: http_response("200 OK", &[("cache-control", "max-age=15")], &jwks.to_string()),
            not_found: http_response("404 Not Found", &[], r#"{"error":"not_found"}"#),
        }
    }

    fn response(&self, head: &Head) -> &[u8] {
        match head.route {
            Route::Token if head.dpop => &self.token_dpop,
            Route::Token => &self.token_bearer,
            Route::Jwks => &self.jwks,
            Route::NotFound => &self.not_found,
        }
    }
}

fn http_response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// Accepts connections until the listener fails, serving each on its own task (HTTP/1.1
/// keep-alive: the clients reuse their connections, as they would with Auth0).
pub async fn serve(listener: TcpListener, canned: Arc<Canned>, capture: Option<Capture>) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(connection(stream, canned.clone(), capture.clone()));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Token,
    Jwks,
    NotFound,
}

/// What the endpoint reads of a request head.
#[derive(Debug)]
struct Head {
    /// Bytes of the head, the blank line included.
    len: usize,
    content_length: usize,
    route: Route,
    dpop: bool,
    close: bool,
}

async fn connection(mut stream: TcpStream, canned: Arc<Canned>, capture: Option<Capture>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        let head = loop {
            if let Some(head) = parse_head(&buf) {
                break head;
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let end = head.len + head.content_length;
        while buf.len() < end {
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        if let Some(capture) = &capture {
            let _ = capture.send(buf[..end].to_vec());
        }
        buf.drain(..end);
        stream.write_all(canned.response(&head)).await?;
        if head.close {
            return Ok(());
        }
    }
}

/// The head at the start of `buf`, once it is complete.
fn parse_head(buf: &[u8]) -> Option<Head> {
    let len = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (request_line.next()?, request_line.next()?);
    let route = match (method, path) {
        ("POST", "/oauth/token") => Route::Token,
        ("GET", "/.well-known/jwks.json") => Route::Jwks,
        _ => Route::NotFound,
    };
    let mut head = Head {
        len,
        content_length: 0,
        route,
        dpop: false,
        close: false,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = value.trim().parse().ok()?;
        } else if name.eq_ignore_ascii_case("dpop") {
            head.dpop = true;
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.trim().eq_ignore_ascii_case("close");
        }
    }
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read_once_complete() {
        let request = b"POST /oauth/token HTTP/1.1\r\nhost: x\r\nDPoP: a.b.c\r\nContent-Length: 12\r\n\r\ngrant_type=x";
        assert!(parse_head(&request[..30]).is_none());
        let head = parse_head(request).unwrap();
        assert_eq!(head.route, Route::Token);
        assert!(head.dpop && !head.close);
        assert_eq!(head.content_length, 12);
        assert_eq!(head.len + head.content_length, request.len());

        let head = parse_head(b"GET /.well-known/jwks.json HTTP/1.1\r\nconnection: close\r\n\r\n").unwrap();
        assert_eq!(
            (head.route, head.dpop, head.close, head.content_length),
            (Route::Jwks, false, true, 0)
        );
        assert_eq!(
            parse_head(b"GET /other HTTP/1.1\r\n\r\n").unwrap().route,
            Route::NotFound
        );
    }
}

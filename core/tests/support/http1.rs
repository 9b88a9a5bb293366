//! A small HTTP/1.1 client written for the tests over tokio's `TcpStream`: an [`HttpTransport`]
//! that shares no code with the built-in reqwest transport (and compiles without it), so that
//! what a test sees through it is what the client does with any transport. Plain `http://`
//! only, one connection per request (`connection: close`), never a redirect followed.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use token_exchange::{HttpRequest, HttpResponse, HttpTransport, TransportError, TransportFuture};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// What the transport was asked to send (the body left out).
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub max_response_bytes: usize,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub struct Http1 {
    sent: Mutex<Vec<Sent>>,
    enforce_cap: bool,
}

impl Http1 {
    /// A transport that keeps its contract: the body cap enforced while reading.
    pub fn new() -> Arc<Self> {
        Arc::new(Http1 {
            sent: Mutex::new(Vec::new()),
            enforce_cap: true,
        })
    }

    /// A transport that reads whole bodies whatever the request's cap says.
    pub fn ignoring_the_cap() -> Arc<Self> {
        Arc::new(Http1 {
            sent: Mutex::new(Vec::new()),
            enforce_cap: false,
        })
    }

    /// Every request handed to the transport, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// `"METHOD /path"` of every request, in order (queries left out).
    pub fn calls(&self) -> Vec<String> {
        self.sent()
            .iter()
            .map(|s| format!("{} {}", s.method, s.target.split('?').next().unwrap_or_default()))
            .collect()
    }
}

impl HttpTransport for Http1 {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        self.sent.lock().unwrap().push(Sent {
            method: request.method.clone(),
            target: target(&request),
            headers: request.headers.clone(),
            timeout: request.timeout,
            max_response_bytes: request.max_response_bytes,
        });
        Box::pin(exchange(request, self.enforce_cap))
    }
}

fn target(request: &HttpRequest) -> String {
    match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    }
}

/// `work`, unless `deadline` passes first.
async fn within<T>(deadline: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, work).await.ok(),
        None => Some(work.await),
    }
}

async fn exchange(request: HttpRequest, enforce_cap: bool) -> Result<HttpResponse, TransportError> {
    if request.url.scheme() != "http" {
        return Err(TransportError::InvalidRequest);
    }
    let deadline = Instant::now().checked_add(request.timeout);
    let host = request.url.host_str().ok_or(TransportError::InvalidRequest)?.to_owned();
    let port = request
        .url
        .port_or_known_default()
        .ok_or(TransportError::InvalidRequest)?;
    let connect = TcpStream::connect((host.trim_matches(['[', ']']), port));
    let stream = within(deadline, connect)
        .await
        .ok_or(TransportError::Timeout {
            request_may_have_reached_server: false,
        })?
        .map_err(|_| TransportError::Connect)?;
    within(deadline, talk(stream, request, enforce_cap))
        .await
        .ok_or(TransportError::Timeout {
            request_may_have_reached_server: true,
        })?
}

async fn talk(mut stream: TcpStream, request: HttpRequest, enforce_cap: bool) -> Result<HttpResponse, TransportError> {
    let io = |_: std::io::Error| lost();
    let authority = match request.url.port() {
        Some(port) => format!("{}:{port}", request.url.host_str().unwrap_or_default()),
        None => request.url.host_str().unwrap_or_default().to_owned(),
    };
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n",
        request.method,
        target(&request)
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = &request.body {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    if let Some(body) = &request.body {
        stream.write_all(body).await.map_err(io)?;
    }

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.map_err(io)?;
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(lost)?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await.map_err(io)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let max = request.max_response_bytes;
    let too_large = |headers: &Vec<(String, String)>| TransportError::BodyTooLarge {
        status,
        headers: headers.clone(),
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line).await.map_err(io)?;
            let size = line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size, 16).map_err(|_| lost())?;
            if size == 0 {
                break;
            }
            if enforce_cap && body.len() + size > max {
                return Err(too_large(&headers));
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).await.map_err(io)?;
            line.clear();
            reader.read_line(&mut line).await.map_err(io)?;
        }
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if enforce_cap && length > max {
            return Err(too_large(&headers));
        }
        body.resize(length, 0);
        reader.read_exact(&mut body).await.map_err(io)?;
    } else {
        let limit = if enforce_cap { max as u64 + 1 } else { u64::MAX };
        (&mut reader).take(limit).read_to_end(&mut body).await.map_err(io)?;
        if enforce_cap && body.len() > max {
            return Err(too_large(&headers));
        }
    }
    Ok(HttpResponse { status, headers, body })
}

/// Once any byte is written, the server may have received the request.
fn lost() -> TransportError {
    TransportError::ConnectionLost {
        request_may_have_reached_server: true,
    }
}

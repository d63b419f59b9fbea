//! A scripted HTTP/1.1 server on loopback standing in for a Jira Align site that answers
//! badly: bodies that are not JSON, cut short, of unexpected types, or echoing the token.
//! Written on raw TCP so that it can also send what a proper server never would (a body
//! shorter than its `Content-Length`, garbage instead of a status line). One request per
//! connection; every request is recorded.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::loopback::{Listening, serve};

/// A request as the server saw it.
#[derive(Clone, Debug, Default)]
pub struct SeenRequest {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

impl SeenRequest {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// How to answer one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A well-formed answer with this status, content type and body.
    Answer {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// These bytes as they are, then the connection is closed.
    Raw(Vec<u8>),
    /// Nothing, ever.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Answer {
            status,
            content_type: "application/json; charset=utf-8",
            body: body.into(),
        }
    }

    /// A 200 whose `Content-Length` promises more than the body holds.
    pub fn truncated(body: &[u8], promised: usize) -> Reply {
        let mut raw = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {promised}\r\n\
             connection: close\r\n\r\n"
        )
        .into_bytes();
        raw.extend_from_slice(body);
        Reply::Raw(raw)
    }
}

/// Chooses the reply to each request.
pub type Responder = Arc<dyn Fn(&SeenRequest) -> Reply + Send + Sync>;

/// The running server; dropping it stops accepting.
pub struct FakeJira {
    server: Listening,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl FakeJira {
    pub async fn start(responder: Responder) -> FakeJira {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let server = serve(move |stream| answer(stream, responder.clone(), log.clone())).await;
        FakeJira { server, seen }
    }

    /// `http://127.0.0.1:PORT`, the site URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen
            .lock()
            .expect("the log lock is never poisoned")
            .clone()
    }

    /// Requests other than GET.
    pub fn writes(&self) -> usize {
        self.seen().iter().filter(|r| r.method != "GET").count()
    }
}

async fn answer(mut stream: TcpStream, responder: Responder, seen: Arc<Mutex<Vec<SeenRequest>>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    seen.lock()
        .expect("the log lock is never poisoned")
        .push(request.clone());
    let bytes = match responder(&request) {
        Reply::Answer {
            status,
            content_type,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-type: {content_type}\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend(body);
            out
        }
        Reply::Raw(bytes) => bytes,
        Reply::Hang => return std::future::pending().await,
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// Reads the request line, the headers and a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> Option<SeenRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let mut request = SeenRequest {
        method: request_line.next()?.to_string(),
        target: request_line.next()?.to_string(),
        ..SeenRequest::default()
    };
    let mut length = 0;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("authorization") {
            request.authorization = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        }
    }
    let mut body = buffer.split_off(head_end + 4);
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    request.body = body;
    Some(request)
}

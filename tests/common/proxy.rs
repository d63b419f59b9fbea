//! A TCP proxy on loopback that forwards to a server and, on demand, cuts or freezes the
//! connection after the server has sent a given number of bytes: a server that dies in the
//! middle of an answer, or an answer that never finishes arriving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::loopback::{Listening, serve};

/// What happens once the server has sent the byte limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mischief {
    /// Forward everything.
    None,
    /// Close both connections after this many bytes from the server.
    CutAfter(u64),
    /// Stop forwarding after this many bytes from the server, keeping the connection open.
    StallAfter(u64),
}

/// A running proxy; dropping it stops accepting (open connections end with their tasks).
pub struct Proxy {
    server: Listening,
    /// Bytes sent by the server over every connection so far.
    forwarded: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts forwarding `127.0.0.1:<free port>` to `upstream`.
    pub async fn start(upstream: SocketAddr, mischief: Mischief) -> Proxy {
        let forwarded = Arc::new(AtomicU64::new(0));
        let counter = forwarded.clone();
        let server = serve(move |client| {
            let counter = counter.clone();
            async move {
                if let Ok(server) = TcpStream::connect(upstream).await {
                    relay(client, server, mischief, counter).await;
                }
            }
        })
        .await;
        Proxy { server, forwarded }
    }

    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// Bytes the server has sent through the proxy so far.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }
}

async fn relay(client: TcpStream, server: TcpStream, mischief: Mischief, counter: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });

    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(read) = server_read.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        let before = counter.fetch_add(read as u64, Ordering::Relaxed);
        let limit = match mischief {
            Mischief::None => u64::MAX,
            Mischief::CutAfter(limit) | Mischief::StallAfter(limit) => limit,
        };
        let allowed = limit.saturating_sub(before).min(read as u64) as usize;
        if client_write.write_all(&buffer[..allowed]).await.is_err() {
            break;
        }
        if allowed < read {
            if let Mischief::StallAfter(_) = mischief {
                // Hold both halves open and send nothing more, until the test ends.
                std::future::pending::<()>().await;
            }
            break;
        }
    }
    upstream.abort();
}

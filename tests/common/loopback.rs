//! A server on a free loopback port: every accepted connection is handed to its own task,
//! and the server stops accepting when its handle is dropped.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A listening server.
pub struct Listening {
    pub addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Binds `127.0.0.1:0` and serves each connection with `handle`.
pub async fn serve<F, Fut>(handle: F) -> Listening
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port is free");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream));
        }
    });
    Listening { addr, accept }
}

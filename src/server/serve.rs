//! The accept loop and the connections, with the limits of `docs/PROTOCOL.md#limits`.
//! `axum::serve` has none: a client that sent nothing, or its headers a byte at a time, held its
//! connection and task for as long as it liked. hyper's own `header_read_timeout` runs from the
//! moment a connection is ready for a request, so it cannot tell a slow head from an idle
//! keep-alive connection; the watch below does, by what the connection reads, writes and serves.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// How long the server waits for a client, and how many it serves at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// From the accept, or from the first byte of a later request on the connection, until the
    /// request line and headers are in; then the connection is closed without an answer.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait between requests (from the end of a response to
    /// the next request's first byte), and a response may wait for the client to read it.
    pub idle_timeout: Duration,
    /// From the request head until its whole body is in; then `408`.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait, not accepted yet, in the listen backlog.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// Serves `router` until `shutdown`; then stops accepting, lets every connection finish the
/// request it is serving, and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = limits.max_connections.clamp(1, u32::MAX as usize);
    let free = Arc::new(Semaphore::new(slots));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        // A slot first: at the bound, new connections wait in the backlog, unaccepted.
        let slot = tokio::select! {
            slot = free.clone().acquire_owned() => slot.map_err(io::Error::other)?,
            () = shutdown.as_mut() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            stopped.clone(),
            slot,
        ));
    }
    drop(listener);
    stop.send_replace(true);
    // Each connection holds its slot until it is closed.
    let _all_closed = free.acquire_many(slots as u32).await;
    Ok(())
}

async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    // One client's failure; others (too many open files) last, so do not spin on them.
    if !matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        tracing::error!("accepting a connection failed: {e}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn connection(
    stream: TcpStream,
    router: Router,
    limits: ServerLimits,
    mut stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let peer = stream.peer_addr().ok();
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let service = Tracked {
        router: TowerToHyperService::new(router),
        activity: activity.clone(),
    };
    let mut http = http1::Builder::new();
    // Only a backstop: the watch below closes a connection before hyper's timer would.
    http.timer(TokioTimer::new()).header_read_timeout(
        limits
            .idle_timeout
            .saturating_add(limits.header_read_timeout),
    );
    let mut conn = pin!(http.serve_connection(io, service));
    let mut stopping = false;
    loop {
        let deadline = activity.deadline(&limits).map(|(at, _)| at);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(?peer, "connection failed: {e}");
                }
                return;
            }
            () = activity.changed.notified() => {}
            () = sleep_until(deadline) => {
                if let Some(why) = activity.expired(&limits) {
                    tracing::debug!(?peer, "closing the connection: {why}");
                    return;
                }
            }
            _ = stopped.wait_for(|&stop| stop), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a connection is doing, as far as its limits care; shared by its IO, service and watch.
struct Activity {
    state: Mutex<State>,
    /// Woken when a deadline may have come nearer.
    changed: Notify,
}

struct State {
    /// Requests whose response hyper has not yet taken in full.
    in_flight: usize,
    /// When the head being read began: at the accept, or at the first byte after a response.
    head_since: Option<Instant>,
    /// When the last response was taken in full.
    idle_since: Instant,
    /// Since when a write has waited for the client to read.
    write_blocked_since: Option<Instant>,
}

impl Activity {
    fn new() -> Activity {
        let now = Instant::now();
        Activity {
            state: Mutex::new(State {
                in_flight: 0,
                head_since: Some(now),
                idle_since: now,
                write_blocked_since: None,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is to be closed if nothing happens before, and why.
    fn deadline(&self, limits: &ServerLimits) -> Option<(Instant, &'static str)> {
        let s = self.lock();
        let (since, limit, why) = if let Some(since) = s.write_blocked_since {
            (
                since,
                limits.idle_timeout,
                "the client does not read the response",
            )
        } else if s.in_flight > 0 {
            // A request is being served: a slow handler (a business-logic delay) is no fault.
            return None;
        } else if let Some(since) = s.head_since {
            (
                since,
                limits.header_read_timeout,
                "no complete request head",
            )
        } else {
            (s.idle_since, limits.idle_timeout, "idle")
        };
        since.checked_add(limit).map(|at| (at, why))
    }

    fn expired(&self, limits: &ServerLimits) -> Option<&'static str> {
        let (at, why) = self.deadline(limits)?;
        (at <= Instant::now()).then_some(why)
    }

    fn read_some(&self) {
        let mut s = self.lock();
        if s.in_flight == 0 && s.head_since.is_none() {
            s.head_since = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    fn wrote(&self, blocked: bool) {
        let mut s = self.lock();
        match (blocked, s.write_blocked_since) {
            (true, None) => {
                s.write_blocked_since = Some(Instant::now());
                drop(s);
                self.changed.notify_one();
            }
            (false, Some(_)) => s.write_blocked_since = None,
            _ => {}
        }
    }
}

/// Counts a request in flight from its head until hyper has taken its whole response.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> InFlight {
        let mut s = activity.lock();
        s.in_flight += 1;
        s.head_since = None;
        drop(s);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight -= 1;
        if s.in_flight == 0 {
            s.idle_since = Instant::now();
            drop(s);
            self.0.changed.notify_one();
        }
    }
}

/// The router, telling the connection's [`Activity`] when a request starts and ends.
struct Tracked {
    router: TowerToHyperService<Router>,
    activity: Arc<Activity>,
}

type Answer = Result<hyper::Response<TrackedBody>, Infallible>;

impl hyper::service::Service<hyper::Request<Incoming>> for Tracked {
    type Response = hyper::Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let guard = InFlight::new(self.activity.clone());
        let response = self.router.call(req);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| TrackedBody {
                body,
                _guard: guard,
            }))
        })
    }
}

/// A response body that ends its request's [`InFlight`] when hyper drops it: once sent whole.
struct TrackedBody {
    body: Body,
    _guard: InFlight,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling the connection's [`Activity`] what it reads and writes.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.activity.wrote(poll.is_pending());
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.activity.wrote(poll.is_pending());
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_follows_what_the_connection_does() {
        let limits = ServerLimits::default();
        let a = Arc::new(Activity::new());
        let why = |a: &Activity| a.deadline(&limits).map(|(_, why)| why);
        let after = |a: &Activity| a.deadline(&limits).map(|(at, _)| at - Instant::now());
        assert_eq!(why(&a), Some("no complete request head"));
        assert!(after(&a).unwrap() <= limits.header_read_timeout);
        let request = InFlight::new(a.clone());
        a.read_some();
        assert_eq!(why(&a), None, "a request being served has no deadline");
        a.wrote(true);
        assert_eq!(why(&a), Some("the client does not read the response"));
        assert!(after(&a).unwrap() > limits.header_read_timeout);
        a.wrote(false);
        assert_eq!(why(&a), None);
        drop(request);
        assert_eq!(why(&a), Some("idle"));
        assert!(after(&a).unwrap() > limits.header_read_timeout);
        a.read_some();
        assert_eq!(why(&a), Some("no complete request head"));
        assert!(after(&a).unwrap() <= limits.header_read_timeout);
    }
}

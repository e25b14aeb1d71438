//! The connection limits of docs/PROTOCOL.md#limits: slow or silent clients are closed in the
//! documented time while others are served, idle keep-alive connections too (later), a stalled
//! body gets 408, the bound on connections holds, and none of it stops a graceful shutdown.
//! Raw TCP clients, so that the test, not an HTTP client, decides what is sent and when.

mod server_common;

use std::time::Duration;

use autosync::server::ServerLimits;
use reqwest::{Method, StatusCode};
use serde_json::json;
use server_common::Harness;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout_at};

const MS: Duration = Duration::from_millis(1);
/// Slack for a loaded machine: a close is expected by its deadline plus this.
const MARGIN: Duration = Duration::from_millis(1500);

fn limits(header_ms: u32, idle_ms: u32) -> ServerLimits {
    ServerLimits {
        header_read_timeout: header_ms * MS,
        idle_timeout: idle_ms * MS,
        body_read_timeout: 3000 * MS,
        max_connections: 16,
    }
}

fn session_request() -> &'static [u8] {
    b"GET /api/v1/session HTTP/1.1\r\nHost: test\r\nAuthorization: Basic ZGVtbzpkZW1v\r\n\r\n"
}

async fn connect(h: &Harness) -> TcpStream {
    TcpStream::connect(h.server.addr()).await.unwrap()
}

/// Reads until the server closes the connection (EOF or reset); returns how long after `since`
/// that was and what was received. Panics if it is still open at `since + within`.
async fn closed(
    stream: &mut (impl AsyncRead + Unpin),
    since: Instant,
    within: Duration,
) -> (Duration, Vec<u8>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match timeout_at(since + within, stream.read(&mut buf)).await {
            Err(_) => panic!("still open {within:?} later; received {received:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return (since.elapsed(), received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response with a `Content-Length`: its status and its head as text.
async fn response(stream: &mut TcpStream) -> (u16, String) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + MARGIN;
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                assert_eq!(data.len(), end + 4 + length, "one response only");
                let status = head[9..12].parse().unwrap();
                return (status, head);
            }
        }
        let n = timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(n > 0, "closed mid-response: {data:?}");
        data.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn the_default_limits_are_the_documented_ones() {
    let d = ServerLimits::default();
    assert_eq!(
        d,
        ServerLimits {
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    );
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let secs = |d: Duration| format!("{} s", d.as_secs());
    for row in [
        format!("| header-read timeout | {} |", secs(d.header_read_timeout)),
        format!("| idle timeout | {} |", secs(d.idle_timeout)),
        format!("| body-read timeout | {} |", secs(d.body_read_timeout)),
        format!("| connections at once | {} |", d.max_connections),
    ] {
        assert!(doc.contains(&row), "docs/PROTOCOL.md lacks `{row}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_clients_are_closed_by_the_header_timeout_while_others_are_served() {
    let h = Harness::start_with_limits(limits(300, 5000)).await;
    let started = Instant::now();
    let mut silent = connect(&h).await;
    let mut half = connect(&h).await;
    half.write_all(b"GET /api/v1/ses").await.unwrap();
    // Drips a header a byte every 50 ms, never ending it: each byte is progress, none enough.
    let (mut dripping, mut drip) = connect(&h).await.into_split();
    drip.write_all(b"GET /api/v1/session HTTP/1.1\r\nX-Slow: ")
        .await
        .unwrap();
    let dripper = tokio::spawn(async move {
        while drip.write_all(b"a").await.is_ok() {
            sleep(50 * MS).await;
        }
    });

    sleep(100 * MS).await;
    let r = h.user(Method::GET, "/api/v1/session").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let served = started.elapsed();

    for (what, (after, received)) in [
        (
            "silent",
            closed(&mut silent, started, 300 * MS + MARGIN).await,
        ),
        (
            "half a line",
            closed(&mut half, started, 300 * MS + MARGIN).await,
        ),
        (
            "dripping",
            closed(&mut dripping, started, 300 * MS + MARGIN).await,
        ),
    ] {
        assert!(after >= 300 * MS, "{what}: closed after {after:?}");
        assert!(received.is_empty(), "{what}: {received:?}");
        assert!(served < after, "{what}: the other client waited for it");
    }
    dripper.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_before() {
    let h = Harness::start_with_limits(limits(300, 1200)).await;
    let mut conn = connect(&h).await;
    conn.write_all(session_request()).await.unwrap();
    assert_eq!(response(&mut conn).await.0, 200);
    // Idle for twice the header timeout: still open, and it serves the next request.
    sleep(600 * MS).await;
    conn.write_all(session_request()).await.unwrap();
    assert_eq!(response(&mut conn).await.0, 200);
    let idle = Instant::now();
    let (after, received) = closed(&mut conn, idle, 1200 * MS + MARGIN).await;
    // The server's idle clock starts a moment before the client has read the response.
    assert!(after >= 1100 * MS, "closed after {after:?}");
    assert!(received.is_empty(), "{received:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_coming_is_408_and_the_connection_is_closed() {
    let mut limits = limits(300, 5000);
    limits.body_read_timeout = 500 * MS;
    let h = Harness::start_with_limits(limits).await;
    let before = h.record("account", "acc-0001").await;
    let mut conn = connect(&h).await;
    let started = Instant::now();
    conn.write_all(
        b"PATCH /api/v1/entities/account/acc-0001 HTTP/1.1\r\nHost: test\r\n\
          Authorization: Basic ZGVtbzpkZW1v\r\nIf-Match: *\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fields\":",
    )
    .await
    .unwrap();
    // The head is in, so the (shorter) header timeout no longer applies: the body's does.
    let (status, head) = response(&mut conn).await;
    let after = started.elapsed();
    assert_eq!(status, 408, "{head}");
    assert!(head.contains("application/problem+json") && head.contains("connection: close"));
    assert!(after >= 500 * MS && after < 500 * MS + MARGIN, "{after:?}");
    closed(&mut conn, Instant::now(), MARGIN).await;
    assert_eq!(h.record("account", "acc-0001").await, before);
}

/// Opens four silent connections, then asks for the session; returns when it was answered.
async fn answered_behind_four_silent_clients(max_connections: usize) -> Duration {
    let mut limits = limits(500, 5000);
    limits.max_connections = max_connections;
    let h = Harness::start_with_limits(limits).await;
    let started = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(connect(&h).await);
    }
    let r = h.user(Method::GET, "/api/v1/session").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let answered = started.elapsed();
    for conn in &mut silent {
        let (after, _) = closed(conn, started, 500 * MS + MARGIN).await;
        assert!(after >= 500 * MS, "{after:?}");
    }
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_bound_a_client_waits_until_a_slot_frees() {
    // Below the bound, the fifth connection is served at once.
    let answered = answered_behind_four_silent_clients(5).await;
    assert!(answered < 250 * MS, "{answered:?}");
    // At it, it waits, not refused, until the header timeout frees a slot.
    let answered = answered_behind_four_silent_clients(4).await;
    assert!(
        answered >= 500 * MS && answered < 500 * MS + MARGIN,
        "{answered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_a_request_in_flight_and_is_not_held_by_slow_clients() {
    let h = Harness::start_with_limits(limits(300, 10_000)).await;
    let r = h
        .admin(Method::PUT, "/admin/delays/account")
        .json(&json!({"ms": 400}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut idle = connect(&h).await;
    idle.write_all(session_request()).await.unwrap();
    assert_eq!(response(&mut idle).await.0, 200);
    let mut half = connect(&h).await;
    half.write_all(b"GET /api/v1/session HTTP/1.1\r\nHost:")
        .await
        .unwrap();
    let write = h
        .user(Method::PATCH, "/api/v1/entities/account/acc-0001")
        .header("If-Match", "*")
        .json(&json!({"fields": {"city": "Linz"}}))
        .send();
    let in_flight = tokio::spawn(write);
    sleep(100 * MS).await;

    let started = Instant::now();
    tokio::time::timeout(300 * MS + MARGIN, h.shutdown())
        .await
        .expect("shutdown in time");
    let took = started.elapsed();
    assert!(took < 300 * MS + MARGIN, "shutdown took {took:?}");
    let r = in_flight.await.unwrap().unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the write in flight was finished"
    );
    // Both were closed by then: the idle one at once, the half-sent one by its header timeout.
    closed(&mut idle, Instant::now(), 100 * MS).await;
    closed(&mut half, Instant::now(), 100 * MS).await;
}

//! The demo sync server: the HTTP protocol a device synchronizes with (see `docs/PROTOCOL.md`),
//! the server's business logic, and a control API to make it slow, conflicting, updated or broken
//! on demand. It runs standalone (`autosync server`) or embedded in another program on an
//! ephemeral loopback port ([`start_embedded`]).

mod admin;
mod api;
mod auth;
mod db;
mod extract;
mod faults;
mod files;
mod logic;
mod pages;
mod problem;
mod request_log;
mod schema;
mod seed;
mod serve;
mod state;
mod store;
mod tokens;
mod wal;
mod writes;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::Config;
use crate::wire::MAX_BODY_BYTES;
use state::AppState;

pub use db::OpenError;
pub use logic::normalize_phone;
pub use request_log::CAPACITY as REQUEST_LOG_CAPACITY;
pub use serve::ServerLimits;

/// `autosync server`: run the demo sync server in the foreground.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on [default: `server.listen` of the config file, i.e. 127.0.0.1:8787].
    /// A non-loopback address exposes the demo users' well-known passwords to the network.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Bearer token for the control API under /admin/ [default: a random one, printed at start]
    #[arg(
        long,
        env = "AUTOSYNC_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Serve(String),
}

/// The server database inside a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("server.db")
}

/// Runs `autosync server` until Ctrl-C or SIGTERM. `data_dir` is the resolved data directory.
pub async fn run_standalone(
    args: ServerArgs,
    config: &Config,
    data_dir: &Path,
) -> Result<(), ServerError> {
    let generated = args.admin_token.is_none();
    let admin_token = args.admin_token.unwrap_or_else(new_admin_token);
    let limits = ServerLimits::default();
    let router = build(data_dir, Clock::system(), admin_token.clone(), limits).await?;
    let listen = args.listen.unwrap_or_else(|| config.server.listen.clone());
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: listen.clone(),
        source,
    })?;
    if !addr.ip().is_loopback() {
        tracing::warn!(
            "listening on {addr}, which is not a loopback address: anyone who can reach it can sign in with the demo users' published passwords"
        );
    }
    if generated {
        // Printed once, here, and logged nowhere: it is the only way to learn a generated token.
        eprintln!("admin token: {admin_token}");
    }
    tracing::info!(
        "autosync server listening on http://{addr} (database {})",
        database_path(data_dir).display()
    );
    serve::serve(listener, router, limits, shutdown_signal())
        .await
        .map_err(|e| ServerError::Serve(e.to_string()))?;
    tracing::info!("autosync server stopped");
    Ok(())
}

/// A server running inside this process on an ephemeral loopback port. Dropping it stops it.
pub struct EmbeddedServer {
    addr: SocketAddr,
    url: String,
    admin_token: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl EmbeddedServer {
    /// The base URL, e.g. `http://127.0.0.1:54321` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Stops accepting connections, lets requests in flight finish, and waits until it has.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result.map_err(|e| ServerError::Serve(e.to_string())),
                Err(e) => Err(ServerError::Serve(e.to_string())),
            },
            None => Ok(()),
        }
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the server on `127.0.0.1:0` with its database in `data_dir` (created if needed).
/// Without `admin_token`, a random one is made; read it with [`EmbeddedServer::admin_token`].
pub async fn start_embedded(
    data_dir: &Path,
    clock: Clock,
    admin_token: Option<String>,
) -> Result<EmbeddedServer, ServerError> {
    start_embedded_with_limits(data_dir, clock, admin_token, ServerLimits::default()).await
}

/// [`start_embedded`] with other timeouts or connection bound (tests use short ones).
pub async fn start_embedded_with_limits(
    data_dir: &Path,
    clock: Clock,
    admin_token: Option<String>,
    limits: ServerLimits,
) -> Result<EmbeddedServer, ServerError> {
    let admin_token = admin_token.unwrap_or_else(new_admin_token);
    let router = build(data_dir, clock, admin_token.clone(), limits).await?;
    let bind = |source| ServerError::Bind {
        addr: "127.0.0.1:0".into(),
        source,
    };
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve::serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));
    Ok(EmbeddedServer {
        addr,
        url: format!("http://{addr}"),
        admin_token,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Opens (or creates and seeds) the database and assembles the routes.
async fn build(
    data_dir: &Path,
    clock: Clock,
    admin_token: String,
    limits: ServerLimits,
) -> Result<Router, ServerError> {
    std::fs::create_dir_all(data_dir).map_err(|source| ServerError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let path = database_path(data_dir);
    let now = clock.now();
    let db = tokio::task::spawn_blocking(move || {
        db::Db::open(&path, |tx| seed::seed(tx, now).map(|_| ()))
    })
    .await
    .map_err(|e| ServerError::Serve(e.to_string()))??;
    let project = db
        .read(|tx| store::current_project(tx))
        .await
        .map_err(|e| ServerError::Serve(e.problem.detail))?;
    let mut state = AppState::new(db, clock, admin_token, project);
    state.body_read_timeout = limits.body_read_timeout;
    let state = Arc::new(state);
    let api = api::router().layer(from_fn_with_state(state.clone(), faults::middleware));
    let router = Router::new()
        .merge(api)
        .merge(admin::router())
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), request_log::middleware))
        .with_state(state);
    Ok(router)
}

async fn no_route(method: Method, uri: axum::http::Uri) -> problem::ApiError {
    problem::ApiError::new(
        StatusCode::NOT_FOUND,
        "no-such-endpoint",
        format!(
            "there is no endpoint {method} {}; see docs/PROTOCOL.md",
            uri.path()
        ),
    )
}

async fn no_method(method: Method, uri: axum::http::Uri) -> problem::ApiError {
    problem::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "{} does not accept {method}; see docs/PROTOCOL.md",
            uri.path()
        ),
    )
}

fn new_admin_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

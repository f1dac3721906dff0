//! parley over HTTP: one negotiation record shared by a mediator, the parties and the public,
//! each through a bearer token that sees only what its viewer may.
//!
//! The server is an adapter over `parley-service`, like the command line: every read answers
//! the same bytes as `parley <command> --json --viewer V`, and every write is turned into events
//! in one place ([`writes::record`]) and appended in one append after the head the client named.
//! Processes keep no state another process must see (tokens and the log are read from the
//! database on every request), so several `parley serve` on one PostgreSQL act as one service.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let state = parley_server::AppState::open("parley.db")?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7878").await?;
//! parley_server::serve_on(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod auth;
pub mod batch;
pub mod cache;
pub mod domains;
pub mod error;
pub mod fastwrite;
pub mod ids;
pub mod job_limits;
pub mod jobs;
pub mod likes;
pub mod listen;
pub mod lookups;
pub mod openapi;
pub mod precondition;
pub mod reads;
pub mod signing;
pub mod state;
pub mod stream;
pub mod viewhead;
pub mod web;
pub mod writes;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;

pub use error::{ApiError, CODES, Code};
use openapi::ProblemResponses;
pub use state::AppState;

/// How long a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The OpenAPI document, generated from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "parley", description = "The shared negotiation record. See docs/api.md."),
    paths(
        reads::negotiations, reads::status, reads::diff, reads::claims, reads::analysis, reads::frontier, reads::events,
        reads::export, reads::scenario, writes::stances, writes::statements, writes::rounds, writes::revisions,
        writes::red_lines, writes::demands, writes::preferences, writes::import, stream::stream, jobs::simulations,
        jobs::tournaments, jobs::job, jobs::domains,
    ),
    modifiers(&BearerAuth, &ProblemResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The limits a router enforces (`app` uses the defaults: [`REQUEST_TIMEOUT`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long a request may take, from its head being read to its answer.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { request_timeout: REQUEST_TIMEOUT }
    }
}

/// The one router: every route, its limits and its logging.
pub fn app(state: AppState) -> Router {
    app_with(state, Limits::default())
}

/// The router with other limits (tests shorten the timeout).
pub fn app_with(state: AppState, limits: Limits) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route("/negotiations", get(reads::negotiations))
        .route("/negotiations/{id}/status", get(reads::status))
        .route("/negotiations/{id}/diff", get(reads::diff))
        .route("/negotiations/{id}/claims", get(reads::claims))
        .route("/negotiations/{id}/analysis", get(reads::analysis))
        .route("/negotiations/{id}/frontier", get(reads::frontier))
        .route("/negotiations/{id}/events", get(reads::events))
        .route("/negotiations/{id}/events/stream", get(stream::stream))
        .route("/negotiations/{id}/simulations", post(jobs::simulations))
        .route("/negotiations/{id}/tournaments", post(jobs::tournaments))
        .route("/negotiations/{id}/jobs/{job}", get(jobs::job))
        .route("/domains", get(jobs::domains))
        .route("/negotiations/{id}/export", get(reads::export))
        .route("/negotiations/{id}/scenario", get(reads::scenario))
        .route("/negotiations/{id}/stances", post(writes::stances))
        .route("/negotiations/{id}/statements", post(writes::statements))
        .route("/negotiations/{id}/rounds", post(writes::rounds))
        .route("/negotiations/{id}/revisions", post(writes::revisions))
        .route("/negotiations/{id}/red-lines", post(writes::red_lines))
        .route("/negotiations/{id}/demands", post(writes::demands))
        .route("/negotiations/{id}/preferences", post(writes::preferences))
        .route("/negotiations/{id}/import", post(writes::import))
        .route("/openapi.json", get(openapi));
    Router::new()
        .nest("/api/v1", api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs").url("/api/v1/docs/openapi.json", ApiDoc::openapi()))
        .merge(web::router())
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .fallback(|| async { ApiError::new(Code::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async { ApiError::new(Code::MethodNotAllowed, "this route does not take that method") })
        .layer(DefaultBodyLimit::max(writes::MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        // The timeout layer answers with an empty body: make it a problem like every error.
        .layer(axum::middleware::map_response(timeout_problem))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        // The trace logs method, path and status: never headers (they hold the token).
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: a query may hold a token (`/sign-in?token=`).
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    let id = request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn timeout_problem(response: Response) -> Response {
    if response.status() == StatusCode::REQUEST_TIMEOUT && !response.headers().contains_key(axum::http::header::CONTENT_TYPE) {
        return ApiError::new(Code::Timeout, "the request was not answered in time; nothing was recorded unless a later read shows it")
            .into_response();
    }
    response
}

async fn openapi() -> Response {
    let text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// 200 when the database answers, 503 otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.with_store(|store| store.negotiations().map_err(ApiError::store)).await {
        Ok(_) => "ready\n".into_response(),
        Err(_) => ApiError::new(Code::DatabaseUnavailable, "the database cannot be reached").into_response(),
    }
}

/// Serves `state` on `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Limits::default(), shutdown).await
}

/// [`serve_on`] with other limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app_with(state, limits)).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
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
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The runtime [`serve`] runs on (tests add their own worker count): store work runs on blocking
/// threads, at most [`state::MAX_BLOCKING`] rather than tokio's 512, so that a burst of requests
/// queues in the runtime instead of contending for the cores as threads (the machine this serves
/// on may have two), and the stores in use at once stay within the pool's idle cap.
pub fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.max_blocking_threads(state::MAX_BLOCKING).enable_all();
    builder
}

/// Runs the server on `listener` (already bound, so the caller can print its address) until
/// SIGINT or SIGTERM, on a runtime of its own ([`runtime_builder`]).
pub fn serve(listener: std::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let runtime = runtime_builder().build()?;
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        serve_on(listener, state, shutdown_signal()).await
    })
}

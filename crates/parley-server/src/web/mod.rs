//! The workbench: server-rendered HTML pages over the same reads and writes as the API.
//!
//! A page is a function of the signed-in token's viewer and the query string, rendered with
//! `maud` (templates checked at compile time). Pages read through `parley_service` on the
//! viewer's copy of the record, exactly as `reads` does, and write through [`crate::writes::record`]
//! with the head the page was rendered at. Every page reads without JavaScript; `assets/live.js`
//! (our own, a few lines) only refreshes the parts marked `data-live` when the event stream
//! (the API's, served here by cookie) brings an event the viewer may see.
//!
//! Sessions are stateless: the session cookie carries the token itself (HttpOnly,
//! SameSite=Strict), and every request looks the token up in the database, so a revoked token is
//! signed out at its next request and several processes share sessions without a table in memory.
//! Every form carries a CSRF token derived from the session's token (see [`session`]).

mod asof;
mod forms;
mod guard;
mod layout;
mod pages;
mod record;
pub mod session;
mod simulations;
mod worddiff;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The workbench's stylesheet, embedded in the binary.
const STYLE: &str = include_str!("assets/web.css");
/// The script that refreshes live parts of a page (optional: every page reads without it).
const LIVE: &str = include_str!("assets/live.js");

/// The workbench's routes, merged into the application's router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/negotiations") }))
        .route("/sign-in", get(session::sign_in_page).post(session::sign_in_form))
        .route("/sign-out", post(session::sign_out))
        .route("/negotiations", get(pages::negotiations))
        .route("/n/{id}", get(pages::dashboard))
        .route("/n/{id}/items/{label}", get(pages::item))
        .route("/n/{id}/timeline", get(pages::timeline))
        .route("/n/{id}/claims", get(pages::claims))
        .route("/n/{id}/analysis", get(pages::analysis))
        .route("/n/{id}/simulations", get(simulations::simulations))
        .route("/n/{id}/simulations/jobs", post(simulations::simulation_job))
        .route("/n/{id}/tournaments/jobs", post(simulations::tournament_job))
        .route("/n/{id}/jobs/{job}", get(simulations::job_page))
        .route("/n/{id}/head", get(pages::head))
        .route("/n/{id}/events/stream", get(events))
        .route("/n/{id}/record/stance", post(forms::stance))
        .route("/n/{id}/record/statement", post(forms::statement))
        .route("/n/{id}/record/demand", post(forms::demand))
        .route("/n/{id}/record/round", post(forms::round))
        .route("/n/{id}/record/revision", post(forms::revision))
        .route("/assets/web.css", get(|| async { asset(STYLE, "text/css; charset=utf-8") }))
        .route("/assets/live.js", get(|| async { asset(LIVE, "text/javascript; charset=utf-8") }))
}

/// The API's event stream (`events/stream`) for the session's token: a browser's `EventSource`
/// cannot send a bearer header, so pages subscribe here, with their cookie.
async fn events(
    State(state): State<AppState>,
    session: session::Session,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, session::WebError> {
    Ok(crate::stream::stream(State(state), session.caller, Path(id), headers).await?)
}

fn asset(text: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], text).into_response()
}

//! The reads under `/api/v1`: each the same bytes as the CLI's `--json` for the token's viewer.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use parley_store::Store;
use serde::{Deserialize, Serialize};

use crate::auth::{Bearer, Caller};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::viewhead::ViewHead;

/// A log's chain head: the number and hash of its last event. Only a viewer who sees everything
/// is told it; every answer carries the viewer's own head ([`ViewHead`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The number of the last event.
    pub seq: u64,
    /// Its hash (hex).
    pub hash: String,
}

/// The head of `id`, or 404 when it has no events.
pub fn head_of(store: &mut dyn Store, id: &str) -> Result<Head, ApiError> {
    match store.head(id).map_err(ApiError::store)? {
        Some((seq, hash)) => Ok(Head { seq, hash }),
        None => Err(ApiError::no_negotiation(id)),
    }
}

/// A body as the CLI prints it (`--json`: pretty, one newline), with the viewer's head as `ETag`.
pub fn json_response(value: &impl Serialize, head: Option<&ViewHead>) -> Result<Response, ApiError> {
    let text = serde_json::to_string_pretty(value).map_err(ApiError::internal)? + "\n";
    Ok(text_response(text, "application/json", head))
}

/// A text body of `content_type`, with the viewer's head as `ETag`.
pub fn text_response(text: impl Into<axum::body::Bytes>, content_type: &'static str, head: Option<&ViewHead>) -> Response {
    let mut response = text.into().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(value) = head.and_then(|head| HeaderValue::from_str(&head.etag()).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(value)| value).map_err(|rejection| ApiError::new(Code::BadQuery, rejection.body_text()))
}

/// A negotiation the token may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listed {
    /// The negotiation's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The viewer the token reads as.
    pub viewer: String,
    /// Whether the token may write.
    pub write: bool,
    /// The token's viewer's head (`ETag` form, quoted) the next write must name in `If-Match`.
    pub head: String,
}

/// `?as_of=`: a round, a date, `start` or `now` (the default).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    /// The point.
    pub as_of: Option<String>,
}

/// `?from=&to=` (default `start` and `now`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The window's start.
    pub from: Option<String>,
    /// Its end.
    pub to: Option<String>,
}

/// The negotiations the token may see (its own, once it holds events).
#[utoipa::path(get, path = "/api/v1/negotiations", tag = "reads", security(("bearer" = [])),
    responses((status = 200, body = [Listed]), (status = 401, description = "no valid token")))]
pub async fn negotiations(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let token = caller.token.clone();
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    let listed = state
        .with_store(move |store| {
            if store.head(&token.negotiation).map_err(ApiError::store)?.is_none() {
                return Ok(Vec::new());
            }
            let (negotiation, _, head) = cache.viewed(store, &token.negotiation, &viewer)?;
            let (id, title) = (negotiation.id.clone(), negotiation.title.clone());
            Ok(vec![Listed { id, title, viewer, write: token.write, head: head.etag() }])
        })
        .await?;
    json_response(&listed, None)
}

/// Runs `read` on the viewer's copy of negotiation `id` folded at its head; `request` names the
/// read and its parameters, under which the answer is kept for that viewer and its head (or is the
/// request's bad query, answered once the token is known good). The token and the head are read
/// by one statement ([`parley_store::TokenStore::token_and_head`]).
async fn viewed<T: Serialize + Send + 'static, R>(
    state: &AppState,
    bearer: Bearer,
    id: String,
    request: Result<(String, R), ApiError>,
) -> Result<Response, ApiError>
where
    R: FnOnce(&parley_service::View) -> Result<T, ApiError> + Send + 'static,
{
    let cache = state.cache();
    // A read whose answer is kept for its viewer's head at the log's head: the token and the
    // head looked up by one statement, answered without a blocking thread of its own (on SQLite
    // on the request's thread; on PostgreSQL with the other reads waiting, one statement for all).
    // On a miss the lookup goes on to the path below; anything else, errors included (but an
    // unknown token's 401), takes that path from the start.
    let mut looked_up = None;
    if let Some(name) = request.as_ref().ok().map(|(name, _)| name.clone()) {
        let found = match state.inline(|store| bearer.caller_and_head(store, &id)) {
            Some(found) => Some(found),
            None => bearer.caller_and_head_batched(state, &id).await,
        };
        match found {
            Some(Ok((caller, head))) => {
                let kept = head.as_ref().and_then(|head| {
                    let id = caller.negotiation(&id).ok()?;
                    let view_head = cache.kept_view_head(&id, caller.viewer(), head)?;
                    Some((cache.answer(&answer_key(&id, caller.viewer(), &name), &view_head)?, view_head))
                });
                if let Some((text, head)) = kept {
                    return Ok(text_response(text, "application/json", Some(&head)));
                }
                looked_up = Some((caller, head));
            }
            Some(Err(error)) if error.code == Code::Unauthorized => return Err(error),
            Some(Err(_)) | None => {}
        }
    }
    let (text, head) = state
        .with_store(move |store| {
            let (caller, head) = match looked_up {
                Some(found) => found,
                None => bearer.caller_and_head(store, &id)?,
            };
            let (request, read) = request?;
            let id = caller.negotiation(&id)?;
            let viewer = caller.viewer().to_owned();
            let head = head.ok_or_else(|| ApiError::no_negotiation(&id))?;
            let key = answer_key(&id, &viewer, &request);
            cache.answer_read(store, &id, &viewer, head, &key, |view| {
                // Kept as bytes: each answer sends the same buffer, not a copy.
                Ok(axum::body::Bytes::from(serde_json::to_string_pretty(&read(view)?).map_err(ApiError::internal)? + "\n"))
            })
        })
        .await?;
    Ok(text_response(text, "application/json", Some(&head)))
}

/// The key a read's answer is kept under: its negotiation, viewer and request.
fn answer_key(id: &str, viewer: &str, request: &str) -> String {
    format!("{id}\0{viewer}\0{request}")
}

/// The status as of a point (`parley status --json --viewer V --as-of P`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/status", tag = "reads", security(("bearer" = [])), params(("id" = String, Path), AsOf),
    responses((status = 200, description = "the status", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn status(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    as_of: Result<Query<AsOf>, QueryRejection>,
) -> Result<Response, ApiError> {
    let request = query(as_of).map(|as_of| {
        let as_of = as_of.as_of.unwrap_or_else(|| "now".to_owned());
        (format!("status\0{as_of}"), move |view: &parley_service::View| view.status(&as_of).map_err(ApiError::service))
    });
    viewed(&state, bearer, id, request).await
}

/// What happened between two points (`parley diff --json --viewer V FROM TO`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/diff", tag = "reads", security(("bearer" = [])), params(("id" = String, Path), Window),
    responses((status = 200, description = "the diff", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn diff(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    window: Result<Query<Window>, QueryRejection>,
) -> Result<Response, ApiError> {
    let request = query(window).map(|window| {
        let from = window.from.unwrap_or_else(|| "start".to_owned());
        let to = window.to.unwrap_or_else(|| "now".to_owned());
        (format!("diff\0{from}\0{to}"), move |view: &parley_service::View| view.diff(&from, &to).map_err(ApiError::service))
    });
    viewed(&state, bearer, id, request).await
}

/// Verdicts on public claims (`parley claims --json --viewer V`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/claims", tag = "reads", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the claims report", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn claims(State(state): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> Result<Response, ApiError> {
    viewed(&state, bearer, id, Ok(("claims".to_owned(), |view: &parley_service::View| Ok(view.claims(None))))).await
}

/// The viewer's record as JSON.
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/scenario", tag = "reads", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the negotiation as the viewer sees it", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn scenario(State(state): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> Result<Response, ApiError> {
    viewed(&state, bearer, id, Ok(("scenario".to_owned(), |view: &parley_service::View| Ok(view.negotiation().clone())))).await
}

/// Bargaining analysis (`parley analyze --json --viewer V --as-of P`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/analysis", tag = "reads", security(("bearer" = [])), params(("id" = String, Path), AsOf),
    responses((status = 200, description = "the analysis", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    as_of: Result<Query<AsOf>, QueryRejection>,
) -> Result<Response, ApiError> {
    let as_of = query(as_of)?.as_of.unwrap_or_else(|| "now".to_owned());
    let id = caller.negotiation(&id)?;
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    let (report, head) = state
        .with_store(move |store| {
            let (negotiation, _, head) = cache.viewed(store, &id, &viewer)?;
            let viewer = parley_service::viewer(&negotiation, &viewer).map_err(ApiError::service)?;
            let options = parley_analysis::frontier::FrontierOptions::default();
            let mut report = parley_service::analysis(&negotiation, &as_of, &viewer, None, options).map_err(ApiError::service)?;
            parley_service::hint_frontier_budget(&mut report.warnings, parley_service::FrontEnd::Server);
            Ok((report, head))
        })
        .await?;
    json_response(&report, Some(&head))
}

/// The Pareto frontier of the viewer's problem (`parley frontier --json --viewer V`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/frontier", tag = "reads", security(("bearer" = [])), params(("id" = String, Path), AsOf),
    responses((status = 200, description = "the frontier", body = Object), (status = 404, description = "no such negotiation for this token")))]
pub async fn frontier(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    as_of: Result<Query<AsOf>, QueryRejection>,
) -> Result<Response, ApiError> {
    let as_of = query(as_of)?.as_of.unwrap_or_else(|| "now".to_owned());
    let id = caller.negotiation(&id)?;
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    let (report, head) = state
        .with_store(move |store| {
            let (negotiation, _, head) = cache.viewed(store, &id, &viewer)?;
            let (source, _warnings) = parley_service::scenario_problem(&negotiation, &as_of, &viewer, None).map_err(ApiError::service)?;
            let frontier = source.frontier(&parley_analysis::frontier::FrontierOptions::default()).map_err(ApiError::service)?;
            Ok((parley_service::frontier_report(&source, &frontier), head))
        })
        .await?;
    json_response(&report, Some(&head))
}

/// The log as the viewer may see it, one JSON object a line (`parley log --json --viewer V`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/events", tag = "reads", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "newline-delimited JSON events", content_type = "application/x-ndjson", body = String),
        (status = 404, description = "no such negotiation for this token")))]
pub async fn events(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    let (text, head) = state
        .with_store(move |store| {
            let (_, chain, head) = cache.viewed(store, &id, &viewer)?;
            let mut events = store.events(&id).map_err(ApiError::store)?;
            // The log as of the head the answer names (a write may have come since).
            events.retain(|event| event.seq <= chain.seq);
            let view = parley_service::LogView::of(store, &id, &events, &viewer).map_err(ApiError::service)?;
            let visible = view.visible(&events, None);
            let mut text = String::new();
            for line in event_lines(&view, &visible)? {
                text.push_str(&line);
                text.push('\n');
            }
            Ok((text, head))
        })
        .await?;
    Ok(text_response(text, "application/x-ndjson", Some(&head)))
}

/// The events `visible` (of `view.visible`) as the viewer is shown them, one JSON text each: the
/// whole event for a viewer who sees everything, else the redacted form (no number, no chain
/// fields). The `events` route and the event stream both show events through this one function.
pub fn event_lines(view: &parley_service::LogView, visible: &[&parley_store::Event]) -> Result<Vec<String>, ApiError> {
    if *view.viewer() == parley_core::visibility::Viewer::Everything {
        visible.iter().map(|event| serde_json::to_string(event).map_err(ApiError::internal)).collect()
    } else {
        view.redacted(visible).iter().map(|viewed| serde_json::to_string(viewed).map_err(ApiError::internal)).collect()
    }
}

/// The viewer's record as scenario TOML (`parley export --viewer V`).
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/export", tag = "reads", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "scenario TOML", content_type = "application/toml", body = String),
        (status = 404, description = "no such negotiation for this token")))]
pub async fn export(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    let (text, head) = state
        .with_store(move |store| {
            let (_, chain, head) = cache.viewed(store, &id, &viewer)?;
            let exported = parley_service::export(store, &id, Some(chain.seq), &viewer).map_err(ApiError::service)?;
            Ok((served_export(&id, &exported.viewer.to_string(), &exported.text), head))
        })
        .await?;
    Ok(text_response(text, "application/toml", Some(&head)))
}

/// An export as the server sends it: the command's first line names the database (a server's
/// file path or URL) and the number of the head event, which count events hidden from the
/// viewer; the server's names neither, only the negotiation and the viewer. The rest is the
/// command's text.
pub fn served_export(id: &str, viewer: &str, text: &str) -> String {
    let rest = text.split_once('\n').map_or("", |(_, rest)| rest);
    format!("# `{id}` as served to viewer {viewer}.\n{rest}")
}

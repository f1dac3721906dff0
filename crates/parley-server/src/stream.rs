//! `GET …/events/stream`: the log as Server-Sent Events, each new event pushed to every
//! subscriber as the `events` route would show it to that subscriber's viewer.
//!
//! What a subscriber learns is exactly what re-reading `events` would tell it, no more: an event
//! it may not see sends nothing (no empty message), and an event's SSE `id` is its position in
//! the viewer's own list of visible events (1, 2, …), never the log's sequence number, which
//! would count the hidden ones. `Last-Event-ID: N` resumes after the N-th visible event (`0`
//! replays them all); without it the stream starts at the head. Keep-alive comments go out on a
//! fixed timer, never in answer to an append, so their timing tells nothing either.
//!
//! A stream wakes when this process appends (a `watch` poked by every write), when the
//! PostgreSQL listener hears a `NOTIFY` from any process, and otherwise every [`POLL`] (the head
//! is one indexed read), which is how a SQLite server sees writes made by another process. On
//! waking it reads the head; only when the head moved does it read the log, re-check its token
//! (a revoked token ends the stream there) and send the events after its position.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use parley_store::Store;

use crate::auth::Caller;
use crate::error::{ApiError, Code};
use crate::reads::{event_lines, head_of};
use crate::state::AppState;

/// How often a stream reads the head when nothing woke it (SQLite: writes of other processes
/// are seen this way).
pub const POLL: Duration = Duration::from_millis(500);

/// As [`POLL`] on PostgreSQL, where `LISTEN` wakes the streams and the poll is only a net for
/// notifications missed while its connection was down.
pub const POLL_LISTENING: Duration = Duration::from_secs(5);

/// How often a keep-alive comment is sent.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where a stream is: the log's sequence number it has read up to (kept here, never sent).
#[derive(Clone, Copy, Debug)]
struct Position {
    seq: u64,
}

/// What one look at the log found.
enum Look {
    /// The events to send, each with its `id`.
    Events(Vec<(usize, String)>),
    /// The token was revoked: the stream ends.
    Revoked,
}

/// The log as Server-Sent Events for the token's viewer.
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/events/stream", tag = "reads", security(("bearer" = [])),
    params(("id" = String, Path), ("Last-Event-ID" = Option<String>, Header, description = "resume after this many visible events (the last `id` received)")),
    responses((status = 200, description = "Server-Sent Events: `event: event`, `id:` the event's position among those the viewer may see, `data:` the event as one line of the `events` route",
        content_type = "text/event-stream", body = String),
        (status = 400, description = "a Last-Event-ID that is not a number"), (status = 404, description = "no such negotiation for this token")))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<usize>().ok())
                .ok_or_else(|| ApiError::new(Code::BadQuery, "Last-Event-ID must be the number of the last event received"))?,
        ),
    };
    let viewer = caller.viewer().to_owned();
    let (start, first) = {
        let (id, viewer) = (id.clone(), viewer.clone());
        state.with_store(move |store| start(store, &id, &viewer, resume)).await?
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<SseEvent>(64);
    tokio::spawn(follow(state, caller, id, viewer, start, first, sender));
    let sse = Sse::new(Events { receiver }).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    Ok(sse.into_response())
}

/// The position a stream starts at, and the events to send first (those after `resume`).
fn start(store: &mut dyn Store, id: &str, viewer: &str, resume: Option<usize>) -> Result<(Position, Vec<(usize, String)>), ApiError> {
    let head = head_of(store, id)?;
    let events = store.events(id).map_err(ApiError::store)?;
    let view = parley_service::LogView::of(store, id, &events, viewer).map_err(ApiError::service)?;
    let visible = view.visible(&events, None);
    let seq = events.last().map_or(head.seq, |event| event.seq);
    let Some(after) = resume else { return Ok((Position { seq }, Vec::new())) };
    let after = after.min(visible.len());
    let lines = event_lines(&view, &visible[after..])?;
    let first = lines.into_iter().enumerate().map(|(index, line)| (after + index + 1, line)).collect();
    Ok((Position { seq }, first))
}

/// The visible events after `position`, moving it on; nothing read but the head when the head
/// has not moved.
fn look(store: &mut dyn Store, id: &str, viewer: &str, token: &str, position: &mut Position) -> Result<Look, ApiError> {
    let head = head_of(store, id)?;
    if head.seq == position.seq {
        return Ok(Look::Events(Vec::new()));
    }
    let negotiation = id.to_owned();
    let valid = store.tokens(Some(&negotiation)).map_err(ApiError::store)?.iter().any(|held| held.id == token && held.revoked_at.is_none());
    if !valid {
        return Ok(Look::Revoked);
    }
    let events = store.events(id).map_err(ApiError::store)?;
    let view = parley_service::LogView::of(store, id, &events, viewer).map_err(ApiError::service)?;
    let visible = view.visible(&events, None);
    // The events appended since: a viewer's rights can only be judged over the whole log, so
    // the new ones are those of its visible list past the position's sequence number.
    let shown_before = visible.iter().filter(|event| event.seq <= position.seq).count();
    let fresh: Vec<_> = visible.iter().copied().filter(|event| event.seq > position.seq).collect();
    let lines = event_lines(&view, &fresh)?;
    let out = lines.into_iter().enumerate().map(|(index, line)| (shown_before + index + 1, line)).collect();
    position.seq = events.last().map_or(head.seq, |event| event.seq);
    Ok(Look::Events(out))
}

fn sse_event(id: usize, line: String) -> SseEvent {
    SseEvent::default().event("event").id(id.to_string()).data(line)
}

/// Sends `first`, then follows the log until the subscriber goes, the token is revoked or the
/// negotiation cannot be read.
async fn follow(
    state: AppState,
    caller: Caller,
    id: String,
    viewer: String,
    mut position: Position,
    first: Vec<(usize, String)>,
    sender: tokio::sync::mpsc::Sender<SseEvent>,
) {
    for (number, line) in first {
        if sender.send(sse_event(number, line)).await.is_err() {
            return;
        }
    }
    let mut appended = state.appended();
    let poll = if state.listens() { POLL_LISTENING } else { POLL };
    let token = caller.token.id.clone();
    loop {
        tokio::select! {
            changed = appended.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep(poll) => {}
            () = sender.closed() => return,
        }
        let (id, viewer, token) = (id.clone(), viewer.clone(), token.clone());
        let looked = state
            .with_store(move |store| {
                let found = look(store, &id, &viewer, &token, &mut position);
                found.map(|look| (look, position))
            })
            .await;
        match looked {
            Ok((Look::Events(events), moved)) => {
                position = moved;
                for (number, line) in events {
                    if sender.send(sse_event(number, line)).await.is_err() {
                        return;
                    }
                }
            }
            Ok((Look::Revoked, _)) => return,
            Err(error) => {
                tracing::warn!(code = error.code.text(), "an event stream ended");
                return;
            }
        }
    }
}

/// The receiving end of a stream's channel, as the `Stream` that `Sse` sends.
struct Events {
    receiver: tokio::sync::mpsc::Receiver<SseEvent>,
}

impl futures_core::Stream for Events {
    type Item = Result<SseEvent, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(context).map(|event| event.map(Ok))
    }
}

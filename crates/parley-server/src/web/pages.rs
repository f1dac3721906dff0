//! The pages that read: negotiations, dashboard, item, timeline, claims, analysis.
//!
//! Each page folds the negotiation at its head (the same cache as the API), takes the viewer's
//! copy once (`parley_service::view`) and computes everything from that copy, so a page can
//! show nothing the viewer's export would not hold.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use parley_core::model::{Moment, Negotiation};
use parley_core::status::{ItemStatus, Status};
use parley_service::View;
use serde::Deserialize;

use crate::error::ApiError;
use crate::reads::Head;
use crate::state::AppState;

use super::layout::{self, Frame};
use super::record;
use super::session::{Session, WebError};
use super::worddiff;

/// What a page's body is computed from, on a blocking thread.
pub(super) struct Context<'a> {
    pub view: &'a View,
    /// The whole record (for the analysis, which takes its viewer itself, as the API's does).
    pub negotiation: &'a Negotiation,
    pub head: &'a Head,
    pub session: &'a Session,
}

/// Renders a page of negotiation `id`: `body` gives its title and content.
pub(super) async fn render(
    state: &AppState,
    session: Session,
    id: &str,
    current: &'static str,
    body: impl FnOnce(&Context<'_>) -> Result<(String, Markup), ApiError> + Send + 'static,
) -> Result<Response, WebError> {
    let id = session.caller.negotiation(id)?;
    let cache = state.cache();
    let page = state
        .with_store(move |store| {
            let (negotiation, head, shown) = cache.viewed(store, &id, session.caller.viewer())?;
            let view = viewed(&negotiation, &head, session.caller.viewer())?;
            // The page names the viewer's own head (`crate::viewhead`), never the chain head.
            let head = shown_head(store, &id, session.caller.viewer(), &shown, &head)?;
            let context = Context { view: &view, negotiation: &negotiation, head: &head, session: &session };
            let (title, content) = body(&context)?;
            let frame = Frame {
                session: &session,
                negotiation: Some((&negotiation.id, &view.negotiation().title)),
                current,
                head: Some(&head.hash),
            };
            Ok(layout::page(&frame, &title, content))
        })
        .await?;
    Ok(page.into_response())
}

/// The head a page carries for its viewer: its view head, with the chain head's number for a
/// viewer who sees everything, and otherwise the number of events the viewer may see (its own
/// count, as the event stream's ids: it counts no hidden event).
pub(super) fn shown_head(
    store: &mut dyn parley_store::Store,
    id: &str,
    viewer: &str,
    shown: &crate::viewhead::ViewHead,
    chain: &Head,
) -> Result<Head, ApiError> {
    let seq = match shown.seq {
        Some(seq) => seq,
        None => {
            // Which events a viewer may see depends on the whole log (a readout published later
            // shows the stances on it), so the count is kept per chain head, not carried forward.
            let counts = SHOWN.get_or_init(Shown::default);
            let key = (id.to_owned(), viewer.to_owned());
            let cached = counts.lock().ok().and_then(|map| map.get(&key).cloned());
            match cached {
                Some((hash, count)) if hash == chain.hash => count,
                _ => {
                    let events = store.events(id).map_err(ApiError::store)?;
                    let view = parley_service::LogView::of(store, id, &events, viewer).map_err(ApiError::service)?;
                    let count = view.visible(&events, None).len() as u64;
                    if let Ok(mut map) = counts.lock() {
                        if map.len() >= MAX_VIEWS && !map.contains_key(&key) {
                            map.clear();
                        }
                        map.insert(key, (chain.hash.clone(), count));
                    }
                    count
                }
            }
        }
    };
    Ok(Head { seq, hash: shown.tag.clone() })
}

/// The number of events each viewer may see, by (negotiation, viewer), with the chain head it was
/// counted at: counting reads and judges the whole log, which a page would otherwise pay per request.
type Shown = Mutex<HashMap<(String, String), (String, u64)>>;

static SHOWN: OnceLock<Shown> = OnceLock::new();

/// The most lines a list of a page shows (blockers, changes); each item's page has the rest.
pub(super) const MAX_LISTED: usize = 100;

/// The viewers' copies of the negotiations, by (negotiation, viewer), each with the head it was
/// taken at: a copy costs a clone of the whole record, which a page would otherwise pay per
/// request. Like `FoldCache`, it is only a cache: the head every request reads decides.
type Views = Mutex<HashMap<(String, String), (String, Arc<View>)>>;

/// The most copies kept (a handful of viewers of a handful of negotiations).
const MAX_VIEWS: usize = 64;

static VIEWS: OnceLock<Views> = OnceLock::new();

/// The viewer's copy of `negotiation` at `head`, taken once per head.
pub(super) fn viewed(negotiation: &Negotiation, head: &Head, viewer: &str) -> Result<Arc<View>, ApiError> {
    let views = VIEWS.get_or_init(Views::default);
    let key = (negotiation.id.clone(), viewer.to_owned());
    if let Some((hash, view)) = views.lock().ok().and_then(|map| map.get(&key).cloned()) {
        if hash == head.hash {
            return Ok(view);
        }
    }
    let view = Arc::new(parley_service::view(negotiation.clone(), viewer).map_err(ApiError::service)?);
    if let Ok(mut map) = views.lock() {
        if map.len() >= MAX_VIEWS && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (head.hash.clone(), view.clone()));
    }
    Ok(view)
}

/// `?as_of=` (or `?at=N`, the as-of slider's stop, sent by its form without JavaScript)
#[derive(Debug, Default, Deserialize)]
pub struct AsOfQuery {
    as_of: Option<String>,
    at: Option<String>,
}

/// `GET /negotiations`: the negotiations the token may see, each with its state in one line.
pub async fn negotiations(State(state): State<AppState>, session: Session) -> Result<Response, WebError> {
    let token = session.caller.token.clone();
    let viewer = session.caller.viewer().to_owned();
    let cache = state.cache();
    let listed = state
        .with_store(move |store| {
            if store.head(&token.negotiation).map_err(ApiError::store)?.is_none() {
                return Ok(None);
            }
            let (negotiation, _) = cache.folded(store, &token.negotiation)?;
            let view = parley_service::view((*negotiation).clone(), &viewer).map_err(ApiError::service)?;
            let status = view.status("now").map_err(ApiError::service)?;
            Ok(Some((negotiation.id.clone(), view.negotiation().title.clone(), summary(&status))))
        })
        .await?;
    let frame = Frame { session: &session, negotiation: None, current: "", head: None };
    let body = html! {
        @match listed {
            Some((id, title, summary)) => ul.negotiations {
                li { a href={ "/n/" (id) } dir="auto" { (title) } " — " (summary) }
            },
            None => p { "This token's negotiation holds no events yet." },
        }
    };
    Ok(layout::page(&frame, "Negotiations", body).into_response())
}

/// The framework's state in one line.
fn summary(status: &Status) -> String {
    let framework = &status.framework;
    let accepted = if framework.accepted { "accepted" } else { "not accepted" };
    format!(
        "{} items: {} agreed, {} open, {} disputed, {} blocked; framework {accepted}",
        framework.items, framework.agreed, framework.open, framework.disputed, framework.blocked
    )
}

/// The points a page may be viewed at: `start`, each dated round (in time order), `now`.
fn points(negotiation: &Negotiation) -> Vec<(String, String)> {
    let mut rounds: Vec<_> = negotiation.rounds.iter().filter(|round| round.date.is_some()).collect();
    rounds.sort_by_key(|round| round.date);
    let mut points = vec![("start".to_owned(), "the start".to_owned())];
    for round in rounds {
        let date = round.date.map(|date| date.to_string()).unwrap_or_default();
        points.push((round.id.clone(), format!("{} — {} ({date})", round.id, round.title)));
    }
    points.push(("now".to_owned(), "now".to_owned()));
    points
}

/// The point before `as_of` among `points` (for "what changed since the previous round"): the
/// point before it, or for a date the last round before that date.
fn previous(negotiation: &Negotiation, points: &[(String, String)], as_of: &str) -> Option<String> {
    if let Some(position) = points.iter().position(|(id, _)| id == as_of) {
        return (position > 0).then(|| points[position - 1].0.clone());
    }
    let date = as_of.parse::<parley_core::date::Date>().ok()?;
    let before = negotiation.rounds.iter().filter(|round| round.date.is_some_and(|day| day < date)).max_by_key(|round| round.date);
    Some(before.map_or_else(|| "start".to_owned(), |round| round.id.clone()))
}

/// The as-of control: a slider over the start, the dated rounds, the other dated events and now
/// (see [`super::asof`]), and a date field; GET forms, so they work without JavaScript and the
/// point stays in the address.
fn as_of_control(path: &str, stops: &[super::asof::Stop], as_of: &str) -> Markup {
    html! {
        div.asof {
            (super::asof::slider(path, stops, as_of))
            form method="get" action=(path) {
                label for="as_of_date" { "or the date" }
                input #as_of_date type="date" name="as_of" value=[looks_like_date(as_of).then_some(as_of)];
                button type="submit" { "Show" }
            }
        }
    }
}

fn looks_like_date(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(index, byte)| if index == 4 || index == 7 { byte == b'-' } else { byte.is_ascii_digit() })
}

/// An item's label: `N`, or `DOC:N` in a record with documents.
pub(super) fn label(document: &str, number: u32) -> String {
    if document.is_empty() { number.to_string() } else { format!("{document}:{number}") }
}

/// The parties shown as columns: the signatories, then every other party holding a stance.
fn columns(status: &Status) -> Vec<String> {
    let mut parties = status.signatories.clone();
    for item in &status.items {
        for stance in &item.stances {
            if !parties.contains(&stance.party) {
                parties.push(stance.party.clone());
            }
        }
    }
    parties
}

/// `GET /n/{id}`: the dashboard.
pub async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, WebError> {
    if let (None, Some(at)) = (&query.as_of, &query.at) {
        return super::asof::to_stop(&state, &session, &id, &format!("/n/{id}"), at).await;
    }
    let as_of = query.as_of.filter(|text| !text.is_empty()).unwrap_or_else(|| "now".to_owned());
    render(&state, session, &id.clone(), "", move |context| {
        let view = context.view;
        // The view's one index, for the status and the diff.
        let record = view.record();
        let point = parley_service::point(&record, "as_of", &as_of).map_err(ApiError::service)?;
        let status = record.status(&point);
        let points = points(view.negotiation());
        let since = previous(view.negotiation(), &points, &as_of);
        let changes = match &since {
            Some(from) => {
                let from = parley_service::point(&record, "from", from).map_err(ApiError::service)?;
                Some(record.diff(&from, &point).map_err(|error| ApiError::new(crate::error::Code::BadQuery, error.to_string()))?)
            }
            None => None,
        };
        let path = format!("/n/{id}");
        let stops = super::asof::stops(view.negotiation());
        let body = html! {
            (as_of_control(&path, &stops, &as_of))
            p.summary data-live="summary" { "As of " strong { (status.as_of.label) } ": " (summary(&status)) }
            @if !status.documents.is_empty() {
                section aria-labelledby="documents" {
                    h2 #documents { "Documents" }
                    ul data-live="documents" {
                        @for document in &status.documents {
                            li dir="auto" { (document.id) " — " (document.title) ": " (layout::state(&document.state.map_or_else(|| "no state".to_owned(), |state| state.to_string()))) }
                        }
                    }
                }
            }
            section aria-labelledby="matrix" {
                h2 #matrix { "Items and stances" }
                (legend())
                div.scroll data-live="matrix" { (matrix(&id, &status, &as_of)) }
            }
            section aria-labelledby="blockers" {
                h2 #blockers { "Blockers" }
                div data-live="blockers" { (blockers(&status)) }
            }
            @if let (Some(from), Some(changes)) = (&since, &changes) {
                section aria-labelledby="changes" {
                    h2 #changes { "Changed since " (from) }
                    div data-live="changes" { (record::diff_summary(changes)) }
                }
            }
            (record::forms_for_dashboard(context))
        };
        Ok((view.negotiation().title.clone(), body))
    })
    .await
}

fn legend() -> Markup {
    use parley_core::model::Position;
    html! {
        p.legend {
            "Stances: "
            @for position in Position::ALL { (layout::position(position)) " " }
            span.stale-mark { "† given on an earlier version (stale)" }
        }
    }
}

/// A stance cell: the symbol and a one-letter class (its colour, and its word for screen readers
/// by CSS `content`, see `web.css`), `†` and class `st` when stale; nothing without a stance.
fn cell(out: &mut String, item: &ItemStatus, party: &str) {
    use parley_core::model::Position;
    let Some(stance) = item.stances.iter().find(|stance| stance.party == party) else {
        out.push_str("<td>");
        return;
    };
    let (symbol, class) = match stance.position {
        Position::Accepts => ("✓", "a"),
        Position::AcceptsWithReservations => ("≈", "r"),
        Position::Undecided => ("?", "u"),
        Position::Opposes => ("✗", "o"),
        Position::RedLine => ("!", "l"),
    };
    let stale = if stance.stale { (" st", "†") } else { ("", "") };
    let _ = write!(out, "<td class=\"{class}{}\">{symbol}{}", stale.0, stale.1);
}

/// The items × parties matrix. Its rows are written directly, without the optional end tags of
/// cells and rows (valid HTML): a 500-item, 12-party record's matrix stays near 130 KB.
fn matrix(id: &str, status: &Status, as_of: &str) -> Markup {
    let parties = columns(status);
    let query = if as_of == "now" { String::new() } else { format!("?as_of={}", escape(as_of)) };
    let mut rows = String::with_capacity(status.items.len() * (60 + 16 * parties.len()));
    for item in &status.items {
        let label = escape(&label(&item.document, item.number));
        let _ = write!(
            rows,
            "<tr><th scope=\"row\"><a href=\"/n/{}/items/{label}{query}\">{label}</a> {}<td class=\"state {state}\">{state}",
            escape(id),
            escape(&item.title),
            state = item.state.keyword(),
        );
        for party in &parties {
            cell(&mut rows, item, party);
        }
        rows.push('\n');
    }
    html! {
        table.matrix {
            caption.sr { "Each item's state and each party's stance" }
            thead { tr {
                th scope="col" { "Item" }
                th scope="col" { "State" }
                @for party in &parties { th scope="col" dir="auto" { (party) } }
            } }
            tbody { (PreEscaped(rows)) }
        }
    }
}

/// `text` escaped for HTML text and attribute values.
fn escape(text: &str) -> String {
    html! { (text) }.into_string()
}

fn blockers(status: &Status) -> Markup {
    let blocked: Vec<&ItemStatus> = status.items.iter().filter(|item| !item.reasons.is_empty()).collect();
    let broken: Vec<_> = status.red_lines.iter().filter(|check| check.holds == Some(false)).collect();
    let reasons: Vec<_> = blocked.iter().flat_map(|item| item.reasons.iter().map(move |reason| (*item, reason))).collect();
    html! {
        @if blocked.is_empty() && broken.is_empty() { p { "Nothing blocks the framework." } }
        @if !broken.is_empty() {
            h3 { "Red lines broken by the proposed values" }
            ul { @for check in broken { li dir="auto" { (check.party) " " (check.id) ": " code { (check.expression) } } } }
        }
        @if !blocked.is_empty() {
            ul.reasons {
                @for (item, reason) in reasons.iter().take(MAX_LISTED) {
                    li dir="auto" { (reason.describe(&format!("item {}", label(&item.document, item.number)), reason.party())) }
                }
            }
            @if reasons.len() > MAX_LISTED { p { "… and " (reasons.len() - MAX_LISTED) " more: each item's page lists its own." } }
        }
    }
}

/// `?a=&b=` (versions to compare) and `?as_of=`
#[derive(Debug, Default, Deserialize)]
pub struct ItemQuery {
    a: Option<usize>,
    b: Option<usize>,
    as_of: Option<String>,
}

/// `GET /n/{id}/items/{label}`: an item's versions, diff, readouts, stances and red lines.
pub async fn item(
    State(state): State<AppState>,
    session: Session,
    Path((id, wanted)): Path<(String, String)>,
    Query(query): Query<ItemQuery>,
) -> Result<Response, WebError> {
    let as_of = query.as_of.clone().filter(|text| !text.is_empty()).unwrap_or_else(|| "now".to_owned());
    render(&state, session, &id.clone(), "item", move |context| {
        let view = context.view;
        let negotiation = view.negotiation();
        let Some(item) = negotiation.items.iter().find(|item| label(&item.document, item.number) == wanted) else {
            return Err(ApiError::new(crate::error::Code::NotFound, format!("no item {wanted}")));
        };
        let status = view.status(&as_of).map_err(ApiError::service)?;
        let current = status.items.iter().find(|shown| shown.number == item.number && shown.document == item.document);
        let versions = record::versions(item);
        let last = versions.len();
        let b = query.b.unwrap_or(last).clamp(1, last);
        let a = query.a.unwrap_or(b.saturating_sub(1).max(1)).clamp(1, last);
        let old = &versions[a - 1];
        let new = &versions[b - 1];
        let title = format!("Item {} — {}", label(&item.document, item.number), current.map_or(item.title.as_str(), |shown| &shown.title));
        let body = html! {
            div data-live="item-state" {
                @if let Some(shown) = current {
                    p { "State as of " (status.as_of.label) ": " (layout::state(shown.state.keyword())) " (version " (shown.version) ")" }
                    @if !shown.reasons.is_empty() {
                        ul.reasons { @for reason in &shown.reasons { li dir="auto" { (reason.describe("this item", reason.party())) } } }
                    }
                }
            }
            section aria-labelledby="versions" {
                h2 #versions { "Versions" }
                ol { @for version in &versions { li dir="auto" { (version.heading) } } }
                form method="get" {
                    label for="a" { "Compare version" }
                    select #a name="a" { @for index in 1..=last { option value=(index) selected[index == a] { (index) } } }
                    label for="b" { "with version" }
                    select #b name="b" { @for index in 1..=last { option value=(index) selected[index == b] { (index) } } }
                    button type="submit" { "Compare" }
                }
                h3 { "Version " (a) " → version " (b) }
                div.diff dir="auto" { (worddiff::render(&old.text(), &new.text())) }
            }
            @if let Some(shown) = current.filter(|shown| !shown.readouts.is_empty()) {
                section aria-labelledby="readouts" {
                    h2 #readouts { "Readouts" }
                    div.side {
                        div.readout { h3 { "Joint text" } p dir="auto" { (shown.text) } }
                        @for readout in &shown.readouts {
                            div.readout {
                                h3 dir="auto" { (readout.party) " (" (readout.since) ")" @if readout.text_differs { " — differs" } }
                                p dir="auto" { (readout.text) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="history" {
                h2 #history { "Stance history" }
                div data-live="history" { (record::stance_history(negotiation, item)) }
            }
            section aria-labelledby="redlines" {
                h2 #redlines { "Red lines touching it" }
                @let touching: Vec<_> = status.red_lines.iter().filter(|check| check.items.contains(&item.number)).collect();
                @if touching.is_empty() { p { "None that this viewer sees." } }
                ul { @for check in touching {
                    li dir="auto" {
                        (check.party) " " (check.id) ": " code { (check.expression) }
                        " — " @match check.holds { Some(true) => "holds", Some(false) => "broken", None => "undetermined" }
                    }
                } }
            }
            (record::forms_for_item(context, item))
        };
        Ok((title, body))
    })
    .await
}

/// `GET /n/{id}/timeline`: rounds, what each changed, deadlines.
pub async fn timeline(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    render(&state, session, &id.clone(), "/timeline", move |context| {
        let view = context.view;
        let negotiation = view.negotiation();
        let points = points(negotiation);
        let status = view.status("now").map_err(ApiError::service)?;
        // The dated rounds are points[1..len-1]; a page holds ROUNDS_PER_PAGE of them, the last
        // page (the latest rounds) by default.
        let dated = points.len().saturating_sub(2);
        let pages = dated.div_ceil(ROUNDS_PER_PAGE).max(1);
        let shown = query.page.unwrap_or(pages).clamp(1, pages);
        let first = (shown - 1) * ROUNDS_PER_PAGE;
        let mut rounds = Vec::new();
        // One index of the record for every round's diff.
        let record = parley_core::status::Record::new(negotiation);
        for pair in points.windows(2).skip(first).take(ROUNDS_PER_PAGE) {
            let (from, to) = (&pair[0].0, &pair[1].0);
            if to == "now" {
                break;
            }
            let round = negotiation.rounds.iter().find(|round| &round.id == to);
            let window = (
                parley_service::point(&record, "from", from).map_err(ApiError::service)?,
                parley_service::point(&record, "to", to).map_err(ApiError::service)?,
            );
            let changes =
                record.diff(&window.0, &window.1).map_err(|error| ApiError::new(crate::error::Code::BadQuery, error.to_string()))?;
            rounds.push((round, to.clone(), changes));
        }
        let planned: Vec<_> = negotiation.rounds.iter().filter(|round| round.date.is_none()).collect();
        let pager = html! {
            @if pages > 1 {
                nav.pager aria-label="Timeline pages" {
                    "Rounds " (first + 1) "–" (first + rounds.len()) " of " (dated) ". "
                    @if shown > 1 { a href={ "/n/" (id) "/timeline?page=" (shown - 1) } { "Earlier rounds" } " " }
                    @if shown < pages { a href={ "/n/" (id) "/timeline?page=" (shown + 1) } { "Later rounds" } }
                }
            }
        };
        let body = html! {
            (pager)
            ol.timeline data-live="timeline" start=(first + 1) {
                @for (round, round_id, changes) in &rounds {
                    li {
                        h2 dir="auto" {
                            a href={ "/n/" (id) "?as_of=" (round_id) } { (round_id) }
                            @if let Some(round) = round { " — " (round.title) }
                        }
                        @if let Some(round) = round {
                            p dir="auto" {
                                @if let Some(date) = round.date { (date) }
                                @if let Some(end) = round.end { " to " (end) }
                                @if !round.venue.is_empty() { ", " (round.venue) }
                                @if round.planned { " (planned)" }
                            }
                            @if !round.summary.is_empty() { p dir="auto" { (round.summary) } }
                        }
                        (record::diff_summary(changes))
                    }
                }
            }
            @if !planned.is_empty() {
                h2 { "Planned rounds without a date" }
                ul { @for round in planned { li dir="auto" { (round.id) " — " (round.title) } } }
            }
            section aria-labelledby="deadlines" {
                h2 #deadlines { "Deadlines" }
                @if status.deadlines.is_empty() { p { "None." } }
                ul { @for deadline in &status.deadlines {
                    li dir="auto" { (deadline.title) ": due " (deadline.due) " — " (format!("{:?}", deadline.state).to_lowercase())
                        @if deadline.extensions > 0 { " (" (deadline.extensions) " extensions)" } }
                } }
            }
            (record::forms_for_timeline(context))
        };
        Ok(("Timeline".to_owned(), body))
    })
    .await
}

/// The most rounds the timeline shows on one page.
const ROUNDS_PER_PAGE: usize = 25;

/// `?page=` (the timeline's; 1 is the earliest rounds).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

/// `?speaker=&verdict=`
#[derive(Debug, Default, Deserialize)]
pub struct ClaimsQuery {
    speaker: Option<String>,
    verdict: Option<String>,
}

/// `GET /n/{id}/claims`: statements by date with verdicts, filterable.
pub async fn claims(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<ClaimsQuery>,
) -> Result<Response, WebError> {
    render(&state, session, &id, "/claims", move |context| {
        let report = context.view.claims(None);
        let speaker = query.speaker.filter(|text| !text.is_empty());
        let verdict = query.verdict.filter(|text| !text.is_empty());
        let mut speakers: Vec<&str> = report.statements.iter().map(|statement| statement.speaker.as_str()).collect();
        speakers.sort_unstable();
        speakers.dedup();
        let mut statements: Vec<_> = report
            .statements
            .iter()
            .filter(|statement| speaker.as_deref().is_none_or(|wanted| statement.speaker == wanted))
            .filter(|statement| {
                verdict.as_deref().is_none_or(|wanted| statement.claims.iter().any(|claim| claim.verdict.keyword() == wanted))
            })
            .collect();
        statements.sort_by(|a, b| a.date.cmp(&b.date));
        let body = html! {
            p { (report.consistent) " consistent, " (report.contradicted) " contradicted, " (report.unverifiable) " unverifiable." }
            form.filters method="get" {
                label for="speaker" { "Speaker" }
                select #speaker name="speaker" {
                    option value="" { "anyone" }
                    @for name in &speakers { option value=(name) selected[speaker.as_deref() == Some(*name)] dir="auto" { (name) } }
                }
                label for="verdict" { "Verdict" }
                select #verdict name="verdict" {
                    option value="" { "any" }
                    @for name in ["consistent", "contradicted", "unverifiable"] {
                        option value=(name) selected[verdict.as_deref() == Some(name)] { (name) }
                    }
                }
                button type="submit" { "Filter" }
            }
            ol.statements data-live="claims" {
                @for statement in statements {
                    li.statement {
                        p.meta dir="auto" { (statement.date) " · " strong { (statement.speaker) } @if !statement.outlet.is_empty() { " · " (statement.outlet) } }
                        blockquote dir="auto" { (statement.quote) }
                        ul.claims {
                            @for claim in &statement.claims {
                                li {
                                    span dir="auto" { (claim.claim) } " "
                                    span.badges {
                                        "then: " (layout::verdict(claim.verdict.keyword()))
                                        " now: " (layout::verdict(claim.hindsight.verdict.keyword()))
                                    }
                                    p.finding dir="auto" { (claim.finding) }
                                    @if !claim.evidence.is_empty() {
                                        details { summary { "Evidence" } ul { @for evidence in &claim.evidence { li dir="auto" { (evidence.fact) } } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (record::forms_for_claims(context))
        };
        Ok(("Claims".to_owned(), body))
    })
    .await
}

/// `GET /n/{id}/analysis`: red-line conflicts, zones, the Pareto plot, skew, trajectories.
pub async fn analysis(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, WebError> {
    if let (None, Some(at)) = (&query.as_of, &query.at) {
        return super::asof::to_stop(&state, &session, &id, &format!("/n/{id}/analysis"), at).await;
    }
    let as_of = query.as_of.filter(|text| !text.is_empty()).unwrap_or_else(|| "now".to_owned());
    render(&state, session, &id.clone(), "/analysis", move |context| {
        let viewer = parley_service::viewer(context.negotiation, context.session.caller.viewer()).map_err(ApiError::service)?;
        let options = parley_analysis::frontier::FrontierOptions::default();
        let report = parley_service::analysis(context.negotiation, &as_of, &viewer, None, options.clone()).map_err(ApiError::service)?;
        let plot = parley_service::scenario_problem(context.negotiation, &as_of, context.session.caller.viewer(), None)
            .ok()
            .and_then(|(source, _)| source.plot(&options).ok())
            .map(|(svg, _)| svg);
        let positions = context.view.positions(&as_of).map_err(ApiError::service)?;
        let trajectories = (!positions.issues.is_empty()).then(|| context.view.positions_svg(&positions));
        let stops = super::asof::stops(context.view.negotiation());
        let body = html! {
            (as_of_control(&format!("/n/{id}/analysis"), &stops, &as_of))
            section aria-labelledby="conflicts" {
                h2 #conflicts { "Red-line conflicts" }
                p { (report.red_lines.considered) " red lines considered; "
                    @match report.red_lines.all_can_hold { Some(true) => "they can all hold together.", Some(false) => "they cannot all hold together.", None => "whether they can all hold was out of reach." } }
                ul { @for conflict in &report.red_lines.conflicts { li dir="auto" { (conflict.explanation) } } }
            }
            section aria-labelledby="zones" {
                h2 #zones { "Zones of agreement" }
                @if report.zopa.is_empty() { p { "No issue is constrained by red lines or demands this viewer sees." } }
                @for zopa in &report.zopa { (record::zone(zopa)) }
            }
            section aria-labelledby="pareto" {
                h2 #pareto { "Pareto frontier" }
                @match &plot { Some(svg) => (layout::svg(svg, "The Pareto frontier, the bargaining solutions and the proposal in the parties' utilities")), None => p { "No bargaining problem for this viewer (preferences are needed)." } }
            }
            @if let Some(proposal) = &report.proposal {
                section aria-labelledby="skew" {
                    h2 #skew { "The proposal's skew" }
                    table { thead { tr { th scope="col" { "Party" } th scope="col" { "Utility" } th scope="col" { "Reservation" } th scope="col" { "Share of the surplus" } } }
                        tbody { @for party in &proposal.utilities {
                            tr { th scope="row" dir="auto" { (party.party) } td { (format!("{:.3}", party.utility)) } td { (format!("{:.3}", party.reservation)) }
                                td { @match party.surplus_share { Some(share) => (format!("{:.0} %", share * 100.0)), None => "—" } } }
                        } } }
                }
            }
            section aria-labelledby="trajectories" {
                h2 #trajectories { "Positions over time" }
                @match &trajectories { Some(svg) => (layout::svg(svg, "Each party's demands over time, per issue")), None => p { "No demands recorded that this viewer sees." } }
            }
            @if !report.warnings.is_empty() { ul.warnings { @for warning in &report.warnings { li { (warning) } } } }
        };
        Ok(("Analysis".to_owned(), body))
    })
    .await
}

/// `GET /n/{id}/head`: the viewer's head alone (`crate::viewhead`), which `live.js` polls
/// (cheap: computed once per chain head and viewer).
pub async fn head(State(state): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = session.caller.negotiation(&id)?;
    let cache = state.cache();
    let viewer = session.caller.viewer().to_owned();
    let (_, _, head) = state.with_store(move |store| cache.viewed(store, &id, &viewer)).await?;
    let mut text = String::new();
    let _ = write!(text, "{}", head.tag);
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], text).into_response())
}

/// A moment as the record writes it.
pub(super) fn moment(moment: &Moment) -> String {
    moment.to_string()
}

//! The recording forms' handlers: a form becomes the same JSON body the API takes, then the same
//! [`crate::writes::record`], against the head the page was rendered at.
//!
//! A refused write (a stale head, an invalid value, a forbidden change) answers a page that says
//! why — for a stale head, who recorded what since, as far as this viewer may see — and shows the
//! form again filled with what the user wrote, so nothing is lost; its head is then the current
//! one, so sending it again records the change on top of the other.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

use crate::auth::{Caller, Role};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::writes::{Change, RevisionRequest, record};

use super::layout::{self, Frame};
use super::pages::Context;
use super::record::{self as parts, Fields};
use super::session::{Session, WebError, check_csrf};

/// Which form was sent.
#[derive(Clone, Copy, Debug)]
enum Form_ {
    Stance,
    Statement,
    Demand,
    Round,
    Revision,
}

/// `POST /n/{id}/record/stance`
pub async fn stance(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    submit(state, session, id, fields, Form_::Stance).await
}

/// `POST /n/{id}/record/statement`
pub async fn statement(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    submit(state, session, id, fields, Form_::Statement).await
}

/// `POST /n/{id}/record/demand`
pub async fn demand(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    submit(state, session, id, fields, Form_::Demand).await
}

/// `POST /n/{id}/record/round`
pub async fn round(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    submit(state, session, id, fields, Form_::Round).await
}

/// `POST /n/{id}/record/revision`
pub async fn revision(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    submit(state, session, id, fields, Form_::Revision).await
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", |text| text.trim())
}

/// A moment as the API's JSON writes it: a date, or a round id.
fn moment(text: &str) -> Value {
    if text.parse::<parley_core::date::Date>().is_ok() { json!({"date": text}) } else { json!({"round": text}) }
}

/// A value typed in a form: a number when it reads as one, else text.
fn typed(text: &str) -> Value {
    if let Ok(integer) = text.parse::<i64>() {
        return json!(integer);
    }
    if let Ok(real) = text.parse::<f64>() {
        return json!(real);
    }
    match text {
        "true" | "yes" => json!(true),
        "false" | "no" => json!(false),
        _ => json!(text),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(body).map_err(|error| ApiError::field(error.path().to_string(), error.into_inner().to_string()))
}

/// The change a form asks for, built as the API's JSON body of the same route.
fn change(form: Form_, fields: &Fields, caller: &Caller) -> Result<Change, ApiError> {
    let party = match caller.role() {
        Role::Party(party) => party,
        _ => field(fields, "party").to_owned(),
    };
    let item = || field(fields, "item").parse::<u32>().map_err(|_| ApiError::field("item", "not an item number"));
    Ok(match form {
        Form_::Stance => Change::Stance(parse(json!({
            "party": party, "item": item()?, "position": field(fields, "position"), "at": moment(field(fields, "at")),
            "source": "", "visibility": field(fields, "visibility"), "note": field(fields, "note"), "document": field(fields, "document"),
        }))?),
        Form_::Demand => Change::Demand(parse(json!({
            "party": party, "issue": field(fields, "issue"), "value": typed(field(fields, "value")), "visibility": field(fields, "visibility"),
            "source": "", "at": moment(field(fields, "at")),
        }))?),
        Form_::Statement => {
            let mut claims = Vec::new();
            let claimed = field(fields, "claim_item");
            if !claimed.is_empty() {
                let (document, number) = claimed.rsplit_once(':').unwrap_or(("", claimed));
                let number = number.parse::<u32>().map_err(|_| ApiError::field("claim_item", "not an item"))?;
                claims.push(json!({"kind": {"kind": "item-agreed", "item": number, "document": document},
                    "negated": field(fields, "claim_negated") == "yes", "note": ""}));
            }
            let party = (!party.is_empty()).then_some(party);
            Change::Statement(parse(json!({
                "id": field(fields, "id"), "speaker": field(fields, "speaker"), "party": party, "date": field(fields, "date"),
                "round": null, "venue": "", "outlet": "", "attribution": "named", "quote": field(fields, "quote"), "source": "",
                "claims": claims,
            }))?)
        }
        Form_::Round => Change::Round(parse(json!({
            "id": field(fields, "id"), "title": field(fields, "title"), "date": field(fields, "date"), "planned": false,
            "venue": field(fields, "venue"), "kind": "meeting", "participants": [], "summary": "",
        }))?),
        Form_::Revision => Change::Revision(parse::<RevisionRequest>(json!({
            "item": item()?, "document": field(fields, "document"),
            "revision": {"round": field(fields, "round"), "by": null, "title": null, "text": field(fields, "text"), "proposes": {},
                "removed": false, "restored": false, "note": field(fields, "note"), "source": ""},
        }))?),
    })
}

/// Where to go after the write: the page the form was on (a page of this negotiation only).
fn back(fields: &Fields, id: &str) -> String {
    let back = field(fields, "back");
    let own = format!("/n/{id}");
    if (back == own || back.starts_with(&format!("{own}/"))) && !back.contains("//") { back.to_owned() } else { own }
}

async fn submit(state: AppState, session: Session, id: String, fields: Fields, form: Form_) -> Result<Response, WebError> {
    check_csrf(&session, field(&fields, "csrf"))?;
    let id = session.caller.negotiation(&id)?;
    let back = back(&fields, &id);
    let cache = state.cache();
    let page = back.clone();
    // A form's write takes its turn among the API's writes to this negotiation (`writes::write`).
    let queue = cache.queue(&id);
    let _turn = queue.lock().await;
    let outcome = state
        .with_store(move |store| {
            let attempt = session
                .caller
                .writer()
                .and_then(|_| change(form, &fields, &session.caller))
                .and_then(|change| record(store, &cache, &id, &session.caller, field(&fields, "head"), &change));
            let error = match attempt {
                Ok(_) => return Ok(None),
                Err(error) => error,
            };
            // Refused: explain, and give the form back filled, at the current head.
            let (negotiation, chain, shown) = cache.viewed(store, &id, session.caller.viewer())?;
            let head = super::pages::shown_head(store, &id, session.caller.viewer(), &shown, &chain)?;
            let view = parley_service::view((*negotiation).clone(), session.caller.viewer()).map_err(ApiError::service)?;
            let since = field(&fields, "seq").parse::<u64>().unwrap_or(head.seq);
            let explanation = explain(store, &id, &session.caller, &error, since)?;
            let context = Context { view: &view, negotiation: &negotiation, head: &head, session: &session };
            let again = form_again(&context, form, &fields);
            let frame = Frame {
                session: &session,
                negotiation: Some((&negotiation.id, &view.negotiation().title)),
                current: "none",
                head: Some(&head.hash),
            };
            let body = html! {
                div.problem role="alert" { (explanation) }
                (again)
                p { a href=(page) { "Back without recording" } }
            };
            let status = if error.code == Code::StaleHead { StatusCode::CONFLICT } else { error.code.status() };
            Ok(Some((status, layout::page(&frame, "Not recorded", body))))
        })
        .await?;
    Ok(match outcome {
        None => Redirect::to(&back).into_response(),
        Some((status, page)) => (status, page).into_response(),
    })
}

/// Why the write was refused; for a stale head, the events recorded since `since` that this
/// viewer may see, with who recorded them.
fn explain(store: &mut dyn parley_store::Store, id: &str, caller: &Caller, error: &ApiError, since: u64) -> Result<Markup, ApiError> {
    if error.code != Code::StaleHead {
        return Ok(html! {
            p { strong { "Your change was not recorded: " } (error.detail) }
            @if !error.errors.is_empty() { ul { @for problem in &error.errors { li { code { (problem.field) } ": " (problem.message) } } } }
        });
    }
    let events = store.events(id).map_err(ApiError::store)?;
    let view = parley_service::LogView::of(store, id, &events, caller.viewer()).map_err(ApiError::service)?;
    let visible = view.visible(&events, None);
    // Numbered as the page numbered them: by the log for a viewer who sees everything, else by
    // the viewer's own count of the events it may see (never a number that counts hidden ones).
    let newer: Vec<_> = if *view.viewer() == parley_core::visibility::Viewer::Everything {
        visible.into_iter().filter(|event| event.seq > since).map(|event| (event.seq, event)).collect()
    } else {
        let since = usize::try_from(since).unwrap_or(usize::MAX);
        visible.into_iter().enumerate().skip(since).map(|(index, event)| (index as u64 + 1, event)).collect()
    };
    Ok(html! {
        p { strong { "Your change was not recorded: the record changed after this page was shown." }
            " Review what changed, then send the form again (it keeps what you wrote)." }
        @if newer.is_empty() {
            p { "The changes since are not visible to you." }
        } @else {
            table {
                caption { "Recorded since" }
                thead { tr { th scope="col" { "#" } th scope="col" { "By" } th scope="col" { "What" } th scope="col" { "When (UTC)" } } }
                tbody { @for (number, event) in newer {
                    tr { td { (number) } td dir="auto" { (event.actor) } td dir="auto" { (event.kind) " " (event.key) " (" (format!("{:?}", event.op).to_lowercase()) ")" } td { (event.recorded_at) } }
                } }
            }
        }
    })
}

fn form_again(context: &Context<'_>, form: Form_, fields: &Fields) -> Markup {
    let party = match context.session.caller.role() {
        Role::Party(party) => party,
        _ => String::new(),
    };
    let item = || {
        let number = field(fields, "item").parse::<u32>().ok()?;
        let document = field(fields, "document");
        context.view.negotiation().items.iter().find(|item| item.number == number && item.document == document).cloned()
    };
    match form {
        Form_::Stance => item().map_or_else(|| html! {}, |item| parts::stance_form(context, &party, &item, fields)),
        Form_::Revision => item().map_or_else(|| html! {}, |item| parts::revision_form(context, &item, fields)),
        Form_::Round => parts::round_form(context, fields),
        Form_::Demand => parts::demand_form(context, &party, fields),
        Form_::Statement => parts::statement_form(context, (!party.is_empty()).then_some(party.as_str()), fields),
    }
}

//! The writes under `/api/v1`: one place turns a request into events.
//!
//! Every write names the head it was made against (`If-Match`): the writer's own head
//! ([`crate::viewhead`]), compared with the writer's head at the current chain head, so that an
//! event hidden from the writer never makes its write stale. The write is applied to the record
//! folded at the current chain head — first to the writer's own view, so that an entity hidden
//! from it is answered exactly like one that does not exist — written out and read back by the
//! scenario reader (the same checks as a scenario file), turned into the events that differ
//! (`changes`), checked against the token's role, and appended in one append after that chain
//! head, or not at all. When another writer appended in between (a store conflict), all of it is
//! done again at the new chain head, up to [`WRITE_ATTEMPTS`] times.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parley_core::model::{Demand, Negotiation, Preference, RedLine, Revision, Round, Stance, Statement};
use parley_core::visibility::view;
use parley_store::Store;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Role};
use crate::cache::FoldCache;
use crate::error::{ApiError, Code, FieldError};
use crate::reads::{Head, json_response};
use crate::state::AppState;
use crate::viewhead::ViewHead;

/// How many times a write is tried against a chain head that another writer keeps moving.
pub const WRITE_ATTEMPTS: usize = 5;

/// The largest request body accepted, in bytes (a whole scenario for `import`).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What a write adds to the record.
#[derive(Clone, Debug)]
pub enum Change {
    /// A stance (`stances`).
    Stance(Stance),
    /// A statement with its claims (`statements`).
    Statement(Statement),
    /// A round (`rounds`).
    Round(Round),
    /// An item's revision (`revisions`).
    Revision(RevisionRequest),
    /// A red line (`red-lines`).
    RedLine(RedLine),
    /// A demand (`demands`).
    Demand(Demand),
    /// A party's preferences, replacing its earlier ones (`preferences`).
    Preference(Preference),
    /// A whole scenario, recorded as the differences from the head (`parley import`).
    Import(Box<Negotiation>),
}

/// A revision of an item: which item (its number, and its document when there are several) and
/// the revision, with the fields of a scenario's `[[items.revisions]]`.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionRequest {
    /// The item's number.
    pub item: u32,
    /// The item's document (empty in a record without documents).
    #[serde(default)]
    pub document: String,
    /// The revision, as `[[items.revisions]]`.
    #[schema(value_type = Object)]
    pub revision: Revision,
}

/// What a successful write answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Written {
    /// The writer's new head, in the `ETag` form the next write names in `If-Match`.
    pub head: String,
    /// The number of the head event: only for a viewer who sees everything (`admin`); another
    /// viewer is told no number, which would count the events hidden from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// How many events the write appended (0 when it changed nothing).
    pub appended: usize,
    /// The id of the round, red line or statement the write created (`docs/api.md`, "Ids of new
    /// entities").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Change {
    /// The section of the scenario file the change adds to, for naming fields.
    fn section(&self) -> &'static str {
        match self {
            Change::Stance(_) => "stances",
            Change::Statement(_) => "statements",
            Change::Round(_) => "rounds",
            Change::Revision(_) => "items",
            Change::RedLine(_) => "red_lines",
            Change::Demand(_) => "demands",
            Change::Preference(_) => "preferences",
            Change::Import(_) => "",
        }
    }

    /// Who may make it.
    fn allowed(&self, role: &Role) -> bool {
        match (self, role) {
            (_, Role::Admin) => true,
            (Change::Import(_), _) | (_, Role::Public) => false,
            (Change::Round(_) | Change::Revision(_), Role::Mediator) => true,
            (Change::Statement(_), Role::Mediator | Role::Party(_)) => true,
            (Change::Stance(_) | Change::RedLine(_) | Change::Demand(_) | Change::Preference(_), Role::Party(_)) => true,
            _ => false,
        }
    }

    /// Applies the change to `negotiation`; the entity it names must exist there.
    fn apply(&self, negotiation: &mut Negotiation) -> Result<(), ApiError> {
        match self {
            Change::Stance(stance) => negotiation.stances.push(std::sync::Arc::new(stance.clone())),
            Change::Statement(statement) => negotiation.statements.push(statement.clone()),
            Change::Round(round) => negotiation.rounds.push(round.clone()),
            Change::RedLine(red_line) => negotiation.red_lines.push(red_line.clone()),
            Change::Demand(demand) => negotiation.demands.push(demand.clone()),
            Change::Preference(preference) => {
                negotiation.preferences.retain(|held| held.party != preference.party);
                negotiation.preferences.push(preference.clone());
            }
            Change::Revision(request) => {
                let item = negotiation
                    .items
                    .iter_mut()
                    .find(|item| item.number == request.item && item.document == request.document)
                    .ok_or_else(|| ApiError::field("item", format!("no item {}", request.item)))?;
                item.revisions.push(request.revision.clone());
            }
            Change::Import(wanted) => *negotiation = (**wanted).clone(),
        }
        Ok(())
    }
}

/// The event kinds each role may append (by any write route), and whose they must be.
fn permitted(role: &Role, kind: &str, actor: &str) -> bool {
    match role {
        Role::Admin => true,
        Role::Mediator => matches!(kind, "round" | "item" | "statement"),
        Role::Party(party) => matches!(kind, "stance" | "statement" | "demand" | "preference" | "red-line") && actor == party,
        Role::Public => false,
    }
}

/// `If-Match`: the quoted head of the writer (an `ETag`), or for `admin` the quoted head number
/// (`"0"` for an empty log).
fn if_match(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(header::IF_MATCH)
        .ok_or_else(|| ApiError::new(Code::IfMatchRequired, "a write must carry If-Match: the quoted head (the ETag of any read)"))?;
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    Ok(text.trim_matches('"').to_owned())
}

/// The body as `T`: a JSON object with no field `T` does not know.
pub(crate) fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    content_type(headers, "application/json")?;
    let bytes = body_bytes(body)?;
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let mut unknown = Vec::new();
    let mut note = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let parsed: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&mut deserializer, &mut note));
    let value = match parsed {
        Ok(value) => value,
        Err(error) => {
            let field = error.path().to_string();
            let inner = error.into_inner();
            if !inner.is_data() {
                return Err(ApiError::new(Code::MalformedJson, inner.to_string()));
            }
            let field = if field == "." { field_of(&inner.to_string()) } else { field };
            return Err(ApiError::field(field, inner.to_string()));
        }
    };
    deserializer.end().map_err(|error| ApiError::new(Code::MalformedJson, error.to_string()))?;
    if !unknown.is_empty() {
        let errors = unknown.iter().map(|field| FieldError { field: field.clone(), message: "unknown field".to_owned() }).collect();
        return Err(ApiError { errors, ..ApiError::new(Code::Invalid, format!("unknown field `{}`", unknown[0])) });
    }
    Ok(value)
}

/// The field a serde message names (`missing field `x``, `unknown variant` …), or the body.
fn field_of(message: &str) -> String {
    message.split('`').nth(1).filter(|_| message.starts_with("missing field")).unwrap_or("").to_owned()
}

fn content_type(headers: &HeaderMap, wanted: &str) -> Result<(), ApiError> {
    let given = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(wanted) {
        Ok(())
    } else {
        Err(ApiError::new(Code::UnsupportedMediaType, format!("expected Content-Type: {wanted}, got `{given}`")))
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(Code::BodyTooLarge, format!("the body is over {MAX_BODY_BYTES} bytes"))
        } else {
            ApiError::new(Code::MalformedJson, rejection.body_text())
        }
    })
}

/// The record's reader's verdict on `negotiation`: the negotiation as a scenario file reads it,
/// or the problems, fields named relative to the request where they are the new entity's.
fn checked(negotiation: &Negotiation, change: &Change, index: usize) -> Result<Negotiation, ApiError> {
    let text = parley_core::writer::to_toml(negotiation);
    match parley_core::scenario::parse(&text) {
        Ok(scenario) => Ok(scenario.negotiation),
        Err(problems) => {
            let own = format!("{}[{index}]", change.section());
            let errors: Vec<FieldError> = problems
                .iter()
                .filter(|problem| problem.severity == parley_core::diagnostic::Severity::Error)
                .map(|problem| {
                    let field = match problem.path.strip_prefix(&own).map(|rest| rest.trim_start_matches('.')) {
                        // An item's revision: `revisions[N].round` is the body's `revision.round`.
                        Some(rest) if matches!(change, Change::Revision(_)) && rest.starts_with("revisions[") => {
                            rest.split_once(']').map_or(rest.to_owned(), |(_, field)| format!("revision{field}"))
                        }
                        Some(rest) => rest.to_owned(),
                        // Another entity's field (an import's, or a clash with what exists).
                        None => problem.path.clone(),
                    };
                    FieldError { field, message: problem.message.clone() }
                })
                .collect();
            let detail = errors.first().map(|error| format!("{}: {}", error.field, error.message)).unwrap_or_default();
            Err(ApiError { errors, ..ApiError::new(Code::Invalid, detail) })
        }
    }
}

/// Where the new entity lands in its section (for naming its fields).
fn index_of(change: &Change, negotiation: &Negotiation) -> usize {
    match change {
        Change::Stance(_) => negotiation.stances.len(),
        Change::Statement(_) => negotiation.statements.len(),
        Change::Round(_) => negotiation.rounds.len(),
        Change::RedLine(_) => negotiation.red_lines.len(),
        Change::Demand(_) => negotiation.demands.len(),
        Change::Preference(preference) => negotiation.preferences.iter().filter(|held| held.party != preference.party).count(),
        Change::Revision(request) => {
            negotiation.items.iter().position(|item| item.number == request.item && item.document == request.document).unwrap_or_default()
        }
        Change::Import(_) => 0,
    }
}

/// Records `change` in negotiation `id` for `caller`, against the head `expected`, folding
/// through the process's `cache` (which keeps the write's result and the heads it handed out).
pub fn record(
    store: &mut dyn Store,
    cache: &FoldCache,
    id: &str,
    caller: &Caller,
    expected: &str,
    change: &Change,
) -> Result<(Written, ViewHead), ApiError> {
    let write = Write { id, caller, expected, change, signing: &crate::signing::Signing::None };
    match record_signed(store, cache, &write)? {
        crate::signing::Recorded::Written(written, head) => Ok((written, head)),
        crate::signing::Recorded::Prepared(_) => Err(ApiError::internal("an unsigned write was only prepared")),
    }
}

/// As [`record`], for a write a party signs (`crate::signing`): `Prepare` answers the events
/// the write would append, sealed, without appending; `Signed` appends them with the party's
/// signatures, checked against its key.
pub fn record_signed(store: &mut dyn Store, cache: &FoldCache, write: &Write<'_>) -> Result<crate::signing::Recorded, ApiError> {
    let writer = cache.writer(write.id);
    let _turn = writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    record_in_turn(store, cache, write)
}

/// One write: the change, by whom, against which head it was made, in which negotiation, and how
/// it is signed.
#[derive(Clone, Copy, Debug)]
pub struct Write<'a> {
    /// The negotiation written to.
    pub id: &'a str,
    /// Who writes (its token's viewer, role and label).
    pub caller: &'a Caller,
    /// The head the writer names (`If-Match`).
    pub expected: &'a str,
    /// What the write changes.
    pub change: &'a Change,
    /// Unsigned, prepared for the party's signature, or signed.
    pub signing: &'a crate::signing::Signing,
}

/// As [`record_signed`], in the write turn of the negotiation that the caller already holds.
pub(crate) fn record_in_turn(store: &mut dyn Store, cache: &FoldCache, write: &Write<'_>) -> Result<crate::signing::Recorded, ApiError> {
    let Write { id, caller, .. } = *write;
    for _ in 0..WRITE_ATTEMPTS {
        if let Some(recorded) = attempt(store, cache, write)? {
            return Ok(recorded);
        }
    }
    let now = match store.head(id).map_err(ApiError::store)? {
        Some((seq, hash)) => {
            let head = Head { seq, hash };
            let current = cache.at_head(store, id, &head)?;
            cache.view_head(&current, &head, id, caller.viewer())?
        }
        None => return Err(ApiError::no_negotiation(id)),
    };
    Err(ApiError { head: Some(now.tag), ..ApiError::new(Code::StaleHead, "other writers kept appending first; re-read and retry") })
}

/// One try of [`record_signed`] at the current chain head; `None` when another writer appended
/// first (the store's conflict), to be tried again.
fn attempt(store: &mut dyn Store, cache: &FoldCache, write: &Write<'_>) -> Result<Option<crate::signing::Recorded>, ApiError> {
    let Write { id, caller, expected, change, signing } = *write;
    let role = caller.role();
    let head = match store.head(id).map_err(ApiError::store)? {
        Some((seq, hash)) => Head { seq, hash },
        None if matches!(change, Change::Import(_)) => Head { seq: 0, hash: String::new() },
        None => return Err(ApiError::no_negotiation(id)),
    };
    let current = if head.seq == 0 {
        std::sync::Arc::new(Negotiation { id: id.to_owned(), ..Negotiation::default() })
    } else {
        cache.at_head(store, id, &head)?
    };
    // The writer's head at the chain head: what it named must be what it would read now, or an
    // older head of the writer's since which nothing the write depends on changed as it sees it.
    let seen_head = if head.seq == 0 {
        ViewHead { tag: head.hash.clone(), seq: Some(0) }
    } else {
        cache.view_head(&current, &head, id, caller.viewer())?
    };
    let at = crate::precondition::At { id, head: &head, current: &current };
    let holds = seen_head.named_by(expected) || (head.seq > 0 && crate::precondition::holds(cache, store, at, caller, expected, change)?);
    if !holds {
        let number = seen_head.seq.map(|seq| format!(" (event #{seq})")).unwrap_or_default();
        let detail = format!("the head is {}{number}, not `{expected}`: re-read and retry", seen_head.etag());
        return Err(ApiError { head: Some(seen_head.tag.clone()), ..ApiError::new(Code::StaleHead, detail) });
    }
    if let Change::Import(wanted) = change {
        if wanted.id != id {
            return Err(ApiError::field("negotiation.id", format!("the scenario is `{}`, not `{id}`", wanted.id)));
        }
    }
    // First on the writer's own view: what it cannot see is, to it, what does not exist.
    let viewer = if head.seq == 0 {
        parley_core::visibility::Viewer::Everything
    } else {
        parley_service::viewer(&current, caller.viewer()).map_err(ApiError::service)?
    };
    crate::ids::foreign(change, &role, &caller.token.viewer)?;
    let source = crate::ids::Source::of(signing, id, caller.viewer(), expected);
    let everything = viewer == parley_core::visibility::Viewer::Everything;
    let assigned = crate::ids::assign(change, everything, source, &current)?;
    let (change, created) = assigned.as_ref().map_or((change, None), |(change, id)| (change, Some(id.clone())));
    if viewer != parley_core::visibility::Viewer::Everything {
        let mut seen = view(&current, &viewer);
        let index = index_of(change, &seen);
        change.apply(&mut seen)?;
        checked(&seen, change, index)?;
    }
    let mut wanted = (*current).clone();
    let index = index_of(change, &wanted);
    change.apply(&mut wanted)?;
    let wanted = checked(&wanted, change, index)?;
    let current = (head.seq > 0).then_some(&*current);
    for event in parley_store::changes(current, &wanted) {
        if !permitted(&role, &event.kind, &event.actor) {
            return Err(ApiError::new(
                Code::Forbidden,
                format!("a `{}` token may not record this {} (it would be `{}`'s)", caller.token.viewer, event.kind, event.actor),
            ));
        }
    }
    let presigned = match signing {
        crate::signing::Signing::None => None,
        crate::signing::Signing::Prepare => {
            return crate::signing::prepare(store, &wanted, &head, &seen_head, &caller.token.label)
                .map(|prepared| Some(crate::signing::Recorded::Prepared(prepared)));
        }
        crate::signing::Signing::Signed(presigned) => Some(presigned),
    };
    // Reads that see the new head wait until it is applied (and remembered, for stances).
    let folding = cache.folding(id);
    let publishing = folding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let appended = match store.import_presigned_from(current, &wanted, None, presigned, head.seq, &caller.token.label) {
        Ok(appended) => appended,
        Err(parley_store::StoreError::Conflict { .. }) => return Ok(None),
        Err(error) => return Err(ApiError::store(error)),
    };
    let new = match appended.last() {
        None => seen_head,
        Some(last) => {
            let new = Head { seq: last.seq, hash: last.hash.clone() };
            // Stances added and nothing else, as a group commit appends them: remembered as one,
            // so that view heads continue over them and older heads stay usable after them —
            // before the new head is installed, which a read may find without waiting for the fold.
            let before = current.map_or(0, |current| current.stances.len());
            if head.seq > 0 && appended.iter().all(|event| event.kind == "stance") && before + appended.len() == wanted.stances.len() {
                cache.batches().stances_appended(id, &head, &new, &wanted, appended.len());
            }
            let folded = match cache.advance(id, &head, &appended)? {
                Some(folded) => folded,
                None => cache.at_head_folding(store, id, &new)?,
            };
            drop(publishing);
            cache.view_head(&folded, &new, id, caller.viewer())?
        }
    };
    let written = Written { head: new.etag(), seq: new.seq, appended: appended.len(), id: created };
    Ok(Some(crate::signing::Recorded::Written(written, new)))
}

/// Parses, authorises and records one write.
async fn write(
    state: AppState,
    caller: Caller,
    id: String,
    headers: HeaderMap,
    change: Result<Change, ApiError>,
) -> Result<Response, ApiError> {
    let role = caller.writer()?;
    let id = caller.negotiation(&id)?;
    let expected = if_match(&headers)?;
    let change = change?;
    if !change.allowed(&role) {
        return Err(ApiError::new(Code::Forbidden, format!("a `{}` token may not use this route", caller.token.viewer)));
    }
    let signing = crate::signing::Signing::of(&headers, &role)?.bound_to(&expected);
    let cache = state.cache();
    let queue = cache.queue(&id);
    let negotiation = id.clone();
    let recorded = match (&change, &signing) {
        // A plain stance joins its negotiation's group commit (`crate::batch`).
        (Change::Stance(stance), crate::signing::Signing::None) => {
            let (reply, mut answer) = tokio::sync::oneshot::channel();
            cache.batches().push(&id, crate::batch::Pending { caller, expected, stance: stance.clone(), reply });
            let _turn = queue.lock().await;
            match answer.try_recv() {
                // Recorded in the group of the writer that had the turn before.
                Ok(recorded) => recorded?,
                Err(_) => {
                    let leader = cache.clone();
                    state
                        .with_store(move |store| {
                            let batch = leader.batches().take(&id);
                            crate::batch::record(store, &leader, &id, batch);
                            Ok(())
                        })
                        .await?;
                    answer.await.map_err(|_| ApiError::internal("a grouped write was not answered"))??
                }
            }
        }
        _ => {
            let _turn = queue.lock().await;
            let written = change.clone();
            state
                .with_store(move |store| {
                    let write = Write { id: &id, caller: &caller, expected: &expected, change: &written, signing: &signing };
                    record_signed(store, &cache, &write)
                })
                .await?
        }
    };
    let (written, head) = match recorded {
        crate::signing::Recorded::Written(written, head) => (written, head),
        crate::signing::Recorded::Prepared(prepared) => return json_response(&prepared, None),
    };
    tracing::info!(appended = written.appended, "recorded");
    if written.appended > 0 {
        state.poke();
    }
    let status = if written.appended > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let mut response = json_response(&written, Some(&head))?;
    *response.status_mut() = status;
    crate::ids::locate(&mut response, &negotiation, &change, written.id.as_deref());
    Ok(response.into_response())
}

macro_rules! json_write {
    ($name:ident, $path:literal, $model:ty, $variant:ident, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(post, path = $path, tag = "writes", security(("bearer" = [])),
                            params(("id" = String, Path), ("If-Match" = String, Header, description = "the quoted head (an ETag; for admin also the head number)"),
                                ("Parley-Sign" = Option<String>, Header, description = "`prepare`: answer the events the write would append, to sign; append nothing"),
                                ("Parley-Signature" = Option<String>, Header, description = "a party's signed write: `RECORDED_AT SIG,SIG…` (docs/security.md)")),
                            request_body(content = Object, content_type = "application/json", description = $what),
                            responses((status = 201, body = Written, headers(("Location" = String, description = "a created round, red line or statement: the `scenario` read, `#SECTION/ID`"))),
                                (status = 200, description = "prepared (or nothing changed)", body = crate::signing::Prepared),
                                (status = 400, description = "a malformed signing header"), (status = 403, description = "not this token's to write"),
                                (status = 412, description = "stale head"), (status = 422, description = "invalid")))]
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Result<Bytes, BytesRejection>,
        ) -> Result<Response, ApiError> {
            let change = json_body::<$model>(&headers, body).map(Change::$variant);
            write(state, caller, id, headers, change).await
        }
    };
}

json_write!(stances, "/api/v1/negotiations/{id}/stances", Stance, Stance, "A stance, with the fields of a scenario's `[[stances]]`.");
json_write!(statements, "/api/v1/negotiations/{id}/statements", Statement, Statement, "A statement with its claims, as `[[statements]]`.");
json_write!(rounds, "/api/v1/negotiations/{id}/rounds", Round, Round, "A round, as `[[rounds]]`.");
json_write!(revisions, "/api/v1/negotiations/{id}/revisions", RevisionRequest, Revision, "An item's revision.");
json_write!(red_lines, "/api/v1/negotiations/{id}/red-lines", RedLine, RedLine, "A red line, as `[[red_lines]]`.");
json_write!(demands, "/api/v1/negotiations/{id}/demands", Demand, Demand, "A demand, as `[[demands]]`.");
json_write!(
    preferences,
    "/api/v1/negotiations/{id}/preferences",
    Preference,
    Preference,
    "A party's preferences (replacing its earlier ones)."
);

/// A whole scenario (TOML), recorded as its differences from the head, as `parley import`.
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/import", tag = "writes", security(("bearer" = [])),
    params(("id" = String, Path), ("If-Match" = String, Header, description = "the quoted head (an ETag or the head number); \"0\" for a new negotiation")),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 201, body = Written), (status = 403, description = "admin only"), (status = 412, description = "stale head"),
        (status = 422, description = "the scenario does not read")))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let change = (|| {
        content_type(&headers, "application/toml")?;
        let bytes = body_bytes(body)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::new(Code::MalformedJson, "the scenario is not UTF-8"))?;
        match parley_core::scenario::parse(text) {
            Ok(scenario) => Ok(Change::Import(Box::new(scenario.negotiation))),
            Err(problems) => {
                let errors: Vec<FieldError> = problems
                    .iter()
                    .map(|problem| FieldError {
                        field: problem.path.clone(),
                        message: format!(
                            "{} (line {}, column {})",
                            problem.message,
                            problem.line.unwrap_or(0),
                            problem.column.unwrap_or(0)
                        ),
                    })
                    .collect();
                let detail = errors.first().map(|error| format!("{}: {}", error.field, error.message)).unwrap_or_default();
                Err(ApiError { errors, ..ApiError::new(Code::Invalid, detail) })
            }
        }
    })();
    write(state, caller, id, headers, change).await
}

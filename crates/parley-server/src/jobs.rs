//! Simulations and tournaments as jobs: `POST …/simulations` and `POST …/tournaments` answer
//! `202` with a job at once; `GET …/jobs/{job}` gives its state, progress and result.
//!
//! A job runs on the token viewer's view of the record at the head when it was asked for, as
//! `parley simulate --viewer V` would (never on data the viewer may not see), through the same
//! `parley_service` calls and limits as the command line; its result is the JSON the command
//! line prints (`simulate --json`, a tournament's `results.json`). Its state lives in the
//! `jobs` table: the process running it renews its heartbeat every [`BEAT`]; a job left unfinished
//! by a process that stopped is marked `failed` with the reason by the next process that reads
//! it (`parley_store::jobs`). Only tokens of the job's negotiation and viewer see it; to any other
//! it does not exist (404).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use parley_analysis::frontier::FrontierOptions;
use parley_service::ProblemSource;
use parley_sim::agents::AgentKind;
use parley_store::Job;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::{ApiError, Code};
use crate::reads::json_response;
use crate::state::AppState;
use crate::writes::json_body;

/// How often a running job's heartbeat and progress are written.
pub const BEAT: Duration = Duration::from_secs(1);

/// How many jobs one process runs at once (the others wait, `queued`).
pub const JOBS_AT_ONCE: usize = 1;

/// This process's side of the `jobs` table: its id as the jobs' owner, and its job slots.
#[derive(Debug)]
pub struct Runner {
    owner: String,
    slots: Arc<tokio::sync::Semaphore>,
    counter: AtomicU64,
    /// The unfinished jobs by token and negotiation (`crate::job_limits`).
    active: crate::job_limits::Active,
}

impl Default for Runner {
    fn default() -> Runner {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_nanos()).unwrap_or(0);
        let owner = format!("{:x}-{now:x}", std::process::id());
        Runner { owner, slots: Arc::new(tokio::sync::Semaphore::new(JOBS_AT_ONCE)), counter: AtomicU64::new(0), active: Default::default() }
    }
}

impl Runner {
    /// The unfinished jobs by token and negotiation.
    pub(crate) fn active(&self) -> &crate::job_limits::Active {
        &self.active
    }

    /// A fresh job id: unguessable in practice, though access never rests on it.
    fn next_id(&self) -> String {
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_nanos()).unwrap_or(0);
        let digest = Sha256::digest(format!("{}/{count}/{now}", self.owner).as_bytes());
        digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect()
    }
}

/// A simulation: one session of `agents` (one per party, in party order) on the viewer's view.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationRequest {
    /// One agent per party, in party order (`parley simulate --agents`).
    pub agents: Vec<String>,
    /// `alternating` (the default) or `single-text`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// The deadline in rounds (default 100, at most 100,000).
    #[serde(default)]
    pub rounds: Option<u32>,
    /// The seed (default 0).
    #[serde(default)]
    pub seed: u64,
    /// The point of the record the problem is read at (default `now`).
    #[serde(default)]
    pub as_of: Option<String>,
    /// A GENIUS domain of the server's catalogue (`GET /api/v1/domains`) to run on instead of
    /// the record's problem: its name, never a path (then `as_of` does not apply).
    #[serde(default)]
    pub domain: Option<String>,
}

/// A tournament of `agents` on the viewer's view (`parley tournament` on one scenario).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TournamentRequest {
    /// The agent types taking part.
    pub agents: Vec<String>,
    /// Repetitions of every assignment (default 1).
    #[serde(default)]
    pub reps: Option<u32>,
    /// `alternating` (the default) or `single-text`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// The deadline in rounds (default 100, at most 100,000).
    #[serde(default)]
    pub rounds: Option<u32>,
    /// The seed (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Let an agent type negotiate against itself (default true).
    #[serde(default)]
    pub self_play: Option<bool>,
    /// Rotate the profiles among the agents (default true).
    #[serde(default)]
    pub rotate: Option<bool>,
    /// The point of the record the problem is read at (default `now`).
    #[serde(default)]
    pub as_of: Option<String>,
    /// A GENIUS domain of the server's catalogue (`GET /api/v1/domains`) to run on instead of
    /// the record's problem: its name, never a path (then `as_of` does not apply).
    #[serde(default)]
    pub domain: Option<String>,
}

/// A job as its viewer sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobReport {
    /// The job's id.
    pub id: String,
    /// `simulation` or `tournament`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// From 0 to 1.
    pub progress: f64,
    /// Once `done`: what `parley simulate --json` prints, or a tournament's `results.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Once `failed`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was asked for (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
}

impl JobReport {
    fn of(job: Job) -> JobReport {
        JobReport {
            result: job.result.as_deref().and_then(|text| serde_json::from_str(text).ok()),
            id: job.id,
            kind: job.kind,
            state: job.state,
            progress: job.progress,
            error: job.error,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// The work of a job, checked and ready to run.
enum Work {
    Simulation(Box<ProblemSource>, parley_service::SessionRequest),
    Tournament(Box<ProblemSource>, parley_sim::tournament::TournamentConfig),
}

impl Work {
    fn kind(&self) -> &'static str {
        match self {
            Work::Simulation(..) => "simulation",
            Work::Tournament(..) => "tournament",
        }
    }

    /// Runs the work, setting `progress` (an `f64`'s bits) as it goes; the result as JSON text.
    fn run(self, progress: &AtomicU64) -> Result<String, String> {
        let frontier = FrontierOptions::default();
        match self {
            Work::Simulation(source, request) => {
                let simulation = parley_service::simulate(&source, &request, &frontier).map_err(|error| error.to_string())?;
                let report = parley_service::simulation_report(&source, &request, &simulation);
                serde_json::to_string(&report).map_err(|error| error.to_string())
            }
            Work::Tournament(source, config) => {
                let (scenarios, _warnings) = parley_service::tournament_scenarios(vec![*source], &frontier);
                let report = |done: usize, of: usize| {
                    progress.store((done as f64 / of.max(1) as f64).to_bits(), Ordering::Relaxed);
                };
                let result = parley_service::tournament(&config, &scenarios, Some(1), &report).map_err(|error| error.to_string())?;
                serde_json::to_string(&result).map_err(|error| error.to_string())
            }
        }
    }
}

/// A service's refusal of the request's content: 422 (`ApiError::service` makes bad input a bad
/// query, which is right for reads but not for a body).
fn refused(error: parley_service::ServiceError) -> ApiError {
    match error {
        parley_service::ServiceError::BadInput(message) => ApiError::new(Code::Invalid, message),
        other => ApiError::service(other),
    }
}

fn agents(names: &[String]) -> Result<Vec<AgentKind>, ApiError> {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| name.parse::<AgentKind>().map_err(|error| ApiError::field(format!("agents[{index}]"), error.to_string())))
        .collect()
}

fn protocol(name: Option<&str>) -> Result<parley_sim::session::Protocol, ApiError> {
    parley_service::parse_protocol(name.unwrap_or("alternating")).map_err(|message| ApiError::field("protocol", message))
}

fn rounds(rounds: Option<u32>) -> Result<u32, ApiError> {
    let rounds = rounds.unwrap_or(100);
    parley_service::check_session_rounds(rounds).map_err(|error| ApiError::field("rounds", error.to_string()))?;
    Ok(rounds)
}

/// The viewer's problem at `as_of` (or the catalogue's domain named `domain`), and `build`'s work
/// on it, checked before the job is queued.
async fn prepare(
    state: &AppState,
    caller: &Caller,
    id: &str,
    (as_of, domain): (Option<String>, Option<String>),
    build: impl FnOnce(ProblemSource) -> Result<Work, ApiError> + Send + 'static,
) -> Result<Work, ApiError> {
    let id = caller.negotiation(id)?;
    let viewer = caller.viewer().to_owned();
    let cache = state.cache();
    if let Some(name) = domain {
        if as_of.is_some() {
            return Err(ApiError::field("as_of", "a point of the record does not apply to a domain: give one or the other"));
        }
        let catalogue = state.settings().domains.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let source = catalogue.problem(&name, "domain")?;
            parley_service::check_listing(&source.problem, &source.name, FrontierOptions::default().max_work).map_err(refused)?;
            build(source)
        })
        .await;
        return joined.unwrap_or_else(|error| Err(ApiError::internal(format!("reading a domain failed: {error}"))));
    }
    let as_of = as_of.unwrap_or_else(|| "now".to_owned());
    state
        .with_store(move |store| {
            let (negotiation, _head) = cache.folded(store, &id)?;
            let (source, _warnings) = parley_service::scenario_problem(&negotiation, &as_of, &viewer, None).map_err(refused)?;
            let max_work = FrontierOptions::default().max_work;
            parley_service::check_listing(&source.problem, &source.name, max_work).map_err(refused)?;
            build(source)
        })
        .await
}

/// The server's GENIUS domain catalogue (`parley serve --domains`): the same for every token.
#[utoipa::path(get, path = "/api/v1/domains", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, description = "every folder of the catalogue, in name order; unreadable ones with their error", body = [crate::domains::Domain])))]
pub async fn domains(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    json_response(&state.settings().domains.domains(), None)
}

/// Queues `work` for the caller and starts it; answers 202 with the job.
async fn submit(
    state: AppState,
    caller: Caller,
    id: String,
    request: String,
    work: Work,
    admitted: crate::job_limits::Admitted,
) -> Result<Response, ApiError> {
    let runner = state.jobs();
    let job = Job {
        id: runner.next_id(),
        negotiation: id.clone(),
        viewer: caller.token.viewer.clone(),
        kind: work.kind().to_owned(),
        request,
        state: "queued".to_owned(),
        progress: 0.0,
        result: None,
        error: None,
        owner: runner.owner.clone(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let stored = job.clone();
    state.with_store(move |store| store.create_job(&stored).map_err(ApiError::store)).await?;
    tracing::info!(job = %job.id, kind = %job.kind, "job queued");
    tokio::spawn(run(state.clone(), job.id.clone(), work, admitted));
    let location = format!("/api/v1/negotiations/{id}/jobs/{}", job.id);
    let now = parley_store::store::now_utc();
    let report = JobReport { created_at: now.clone(), updated_at: now, ..JobReport::of(job) };
    let mut response = json_response(&report, None)?;
    *response.status_mut() = StatusCode::ACCEPTED;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Writes a job's state, logging (not failing) when the database does not answer: the
/// heartbeat will then go stale and the job be reported failed, never silently lost.
async fn set(state: &AppState, id: &str, job_state: &'static str, progress: f64, result: Option<String>, error: Option<String>) {
    let id = id.to_owned();
    let written = state
        .with_store(move |store| store.update_job(&id, job_state, progress, result.as_deref(), error.as_deref()).map_err(ApiError::store))
        .await;
    if let Err(error) = written {
        tracing::warn!(code = error.code.text(), "a job's state could not be written");
    }
}

/// Waits for a slot, runs the work on a blocking thread and records the outcome, renewing the
/// heartbeat (and progress) every [`BEAT`] meanwhile.
async fn run(state: AppState, id: String, work: Work, admitted: crate::job_limits::Admitted) {
    let mut beat = tokio::time::interval(BEAT);
    let slot = state.jobs().slots.clone().acquire_owned();
    tokio::pin!(slot);
    let permit = loop {
        tokio::select! {
            permit = &mut slot => break permit,
            _ = beat.tick() => set(&state, &id, "queued", 0.0, None, None).await,
        }
    };
    let progress = Arc::new(AtomicU64::new(0f64.to_bits()));
    set(&state, &id, "running", 0.0, None, None).await;
    let shared = progress.clone();
    let task = tokio::task::spawn_blocking(move || work.run(&shared));
    tokio::pin!(task);
    let outcome = loop {
        tokio::select! {
            joined = &mut task => break joined,
            _ = beat.tick() => set(&state, &id, "running", f64::from_bits(progress.load(Ordering::Relaxed)), None, None).await,
        }
    };
    drop(permit);
    match outcome {
        Ok(Ok(result)) => set(&state, &id, "done", 1.0, Some(result), None).await,
        Ok(Err(error)) => set(&state, &id, "failed", f64::from_bits(progress.load(Ordering::Relaxed)), None, Some(error)).await,
        Err(_) => set(&state, &id, "failed", 0.0, None, Some("the job stopped unexpectedly".to_owned())).await,
    }
    tracing::info!(job = %id, "job finished");
    drop(admitted);
}

/// Runs a session on the viewer's view (`parley simulate --json --viewer V`), as a job.
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/simulations", tag = "jobs", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = SimulationRequest, content_type = "application/json"),
    responses((status = 202, description = "the job, queued; its URL in Location", body = JobReport),
        (status = 403, description = "a read-only or public token"), (status = 404, description = "no such negotiation for this token"),
        (status = 422, description = "invalid"),
        (status = 429, description = "too many jobs of this token or negotiation queued or running", headers(("Retry-After" = u64, description = "seconds")))))]
pub async fn simulations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    caller.writer()?;
    let mut raw = String::new();
    let body = body.inspect(|bytes| raw = String::from_utf8_lossy(bytes).into_owned());
    let request: SimulationRequest = json_body(&headers, body)?;
    let session = parley_service::SessionRequest {
        agents: agents(&request.agents)?,
        protocol: protocol(request.protocol.as_deref())?,
        rounds: rounds(request.rounds)?,
        time_limit: None,
        seed: request.seed,
        // The job's report has no trace.
        trace: false,
    };
    let admitted = crate::job_limits::admit(&state, &caller.token.id, &id, caller.viewer())?;
    let work = prepare(&state, &caller, &id, (request.as_of, request.domain), move |source| {
        let parties = source.problem.parties.len();
        if session.agents.len() != parties {
            return Err(ApiError::field(
                "agents",
                format!("{} agents for {parties} parties: give one per party, in party order", session.agents.len()),
            ));
        }
        Ok(Work::Simulation(Box::new(source), session))
    })
    .await?;
    submit(state, caller, id, raw, work, admitted).await
}

/// Runs a tournament on the viewer's view (`parley tournament` on one scenario), as a job.
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/tournaments", tag = "jobs", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = TournamentRequest, content_type = "application/json"),
    responses((status = 202, description = "the job, queued; its URL in Location", body = JobReport),
        (status = 403, description = "a read-only or public token"), (status = 404, description = "no such negotiation for this token"),
        (status = 422, description = "invalid"),
        (status = 429, description = "too many jobs of this token or negotiation queued or running", headers(("Retry-After" = u64, description = "seconds")))))]
pub async fn tournaments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    caller.writer()?;
    let mut raw = String::new();
    let body = body.inspect(|bytes| raw = String::from_utf8_lossy(bytes).into_owned());
    let request: TournamentRequest = json_body(&headers, body)?;
    let settings = parley_sim::tournament::Settings {
        repetitions: request.reps.unwrap_or(1),
        rounds: rounds(request.rounds)?,
        time_limit: None,
        protocol: protocol(request.protocol.as_deref())?,
        self_play: request.self_play.unwrap_or(true),
        rotate: request.rotate.unwrap_or(true),
        seed: request.seed,
    };
    if request.agents.is_empty() {
        return Err(ApiError::field("agents", "name at least one agent type"));
    }
    let config = parley_sim::tournament::TournamentConfig { agents: agents(&request.agents)?, settings, shard: None };
    let admitted = crate::job_limits::admit(&state, &caller.token.id, &id, caller.viewer())?;
    let work = prepare(&state, &caller, &id, (request.as_of, request.domain), move |source| {
        if source.problem.parties.len() < 2 {
            return Err(ApiError::new(Code::Invalid, "the viewer's problem has fewer than two parties"));
        }
        if source.problem.space.issues.is_empty() {
            return Err(ApiError::new(Code::Invalid, "the viewer's problem has no open issues to negotiate"));
        }
        parley_service::check_tournament(&config, std::slice::from_ref(&source), None).map_err(refused)?;
        Ok(Work::Tournament(Box::new(source), config))
    })
    .await?;
    submit(state, caller, id, raw, work, admitted).await
}

/// A job's state, progress and result; 404 for a job of another negotiation or viewer.
#[utoipa::path(get, path = "/api/v1/negotiations/{id}/jobs/{job}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path), ("job" = String, Path)),
    responses((status = 200, body = JobReport), (status = 404, description = "no such job for this token")))]
pub async fn job(State(state): State<AppState>, caller: Caller, Path((id, job)): Path<(String, String)>) -> Result<Response, ApiError> {
    let id = caller.negotiation(&id)?;
    let viewer = caller.token.viewer.clone();
    let found = state
        .with_store(move |store| {
            store.fail_orphans().map_err(ApiError::store)?;
            store.job(&job).map_err(ApiError::store)
        })
        .await?;
    match found {
        Some(job) if job.negotiation == id && job.viewer == viewer => json_response(&JobReport::of(job), None),
        _ => Err(ApiError::new(Code::NotFound, "no such job")),
    }
}

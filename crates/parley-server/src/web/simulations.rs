//! The simulations page: agents negotiate on the viewer's own bargaining problem (the scenario
//! as it may see it, as of now): one session run synchronously within small limits, its trace
//! plotted and measured; or sessions and tournaments as the API's jobs, followed on a job page.
//!
//! The problem is the viewer's (`parley_service::scenario_problem` with its viewer), so the
//! agents know only preferences and red lines it may see. Sessions are small (at most
//! [`MAX_ROUNDS`] rounds and [`TIME_LIMIT`]); longer runs and tournaments go to the API's jobs,
//! through their own handlers.
//!
//! The page can also run on a GENIUS domain of the server's catalogue (`?domain=NAME`,
//! `parley serve --domains`): the same for every viewer, read exactly as `parley simulate
//! FOLDER` reads it.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use parley_sim::agents::AgentKind;
use parley_sim::session::Protocol;

use crate::error::ApiError;
use crate::state::AppState;

use super::layout;
use super::pages::render;
use super::session::{Session, WebError, check_csrf};

/// The most rounds a session run from the page may take.
pub const MAX_ROUNDS: u32 = 500;
/// The wall-clock limit of a session run from the page.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// `?agent-0=…&agent-1=…&rounds=N&seed=S&protocol=` (or `agents=a,b`); no agents: the form only.
type SimulationQuery = BTreeMap<String, String>;

/// `GET /n/{id}/simulations`
pub async fn simulations(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<SimulationQuery>,
) -> Result<Response, WebError> {
    let catalogue = state.settings().domains.clone();
    render(&state, session, &id.clone(), "/simulations", move |context| {
        let viewer = context.session.caller.viewer().to_owned();
        let domain = query.get("domain").filter(|name| !name.is_empty()).cloned();
        let chooser = problem_chooser(&catalogue, domain.as_deref());
        let loaded = match &domain {
            Some(name) => catalogue.problem(name, "domain").map_err(|error| error.detail),
            None => parley_service::scenario_problem(context.negotiation, "now", &viewer, None)
                .map(|(source, _warnings)| source)
                .map_err(|error| format!("No bargaining problem for this viewer: {error}")),
        };
        let source = match loaded {
            Ok(source) => source,
            Err(error) => {
                let body = html! { (chooser) p.problem role="alert" { (error) } };
                return Ok(("Simulations".to_owned(), body));
            }
        };
        let domain_field = domain.clone().unwrap_or_default();
        let of_what = match &domain {
            Some(name) => format!("of the GENIUS domain {name}"),
            None => "of the problem this viewer sees (as of now)".to_owned(),
        };
        let csrf = context.session.csrf.clone();
        // Jobs are the API's: a token that may write starts them, on its own view.
        let can_run_jobs = context.session.caller.writer().is_ok();
        let parties: Vec<String> = source.problem.parties.iter().map(|party| party.name.clone()).collect();
        let mut chosen: Vec<String> = (0..parties.len()).map_while(|index| query.get(&format!("agent-{index}")).cloned()).collect();
        if chosen.is_empty() {
            chosen = query.get("agents").map_or("", String::as_str).split(',').filter(|name| !name.is_empty()).map(str::to_owned).collect();
        }
        let rounds = query.get("rounds").and_then(|text| text.parse::<u32>().ok()).unwrap_or(100).clamp(1, MAX_ROUNDS);
        let seed = query.get("seed").and_then(|text| text.parse::<u64>().ok()).unwrap_or(1);
        let single_text = query.get("protocol").map(String::as_str) == Some("single-text");
        let result = if chosen.is_empty() { None } else { Some(run(&source, &chosen, rounds, seed, single_text)) };
        let body = html! {
            (chooser)
            form.record method="get" {
                p dir="auto" { "One agent per party " (of_what) ", run here within "
                    (MAX_ROUNDS) " rounds and " (TIME_LIMIT.as_secs()) " s." }
                input type="hidden" name="domain" value=(domain_field);
                @for (index, party) in parties.iter().enumerate() {
                    @let field = format!("agent-{index}");
                    label for=(field) dir="auto" { "Agent of " (party) }
                    select id=(field) name=(field) {
                        @for kind in AgentKind::ALL {
                            option value=(kind.name()) selected[chosen.get(index).map(String::as_str) == Some(kind.name())] { (kind.name()) }
                        }
                    }
                }
                label for="rounds" { "Rounds" }
                input #rounds type="number" name="rounds" min="1" max=(MAX_ROUNDS) value=(rounds);
                label for="seed" { "Seed" }
                input #seed type="number" name="seed" min="0" value=(seed);
                label for="protocol" { "Protocol" }
                select #protocol name="protocol" {
                    option value="alternating-offers" { "alternating offers" }
                    option value="single-text" selected[single_text] { "single text" }
                }
                button type="submit" { "Run" }
                @if can_run_jobs {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" formmethod="post" formaction={ "/n/" (id) "/simulations/jobs" } { "Run as a server job" }
                }
            }
            @if can_run_jobs {
                form.record method="post" action={ "/n/" (id) "/tournaments/jobs" } {
                    h2 { "Tournament" }
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="domain" value=(domain_field);
                    fieldset {
                        legend { "Agent types (each plays every role)" }
                        @for kind in AgentKind::ALL {
                            label.inline { input type="checkbox" name="agent" value=(kind.name()) checked[matches!(kind, AgentKind::Boulware | AgentKind::Conceder)]; " " (kind.name()) }
                        }
                    }
                    label for="tournament-rounds" { "Rounds" }
                    input #tournament-rounds type="number" name="rounds" min="1" max=(MAX_ROUNDS) value="50";
                    button type="submit" { "Run the tournament as a server job" }
                }
            }
            @match result {
                None => {},
                Some(Err(error)) => p.problem role="alert" { (error.detail) },
                Some(Ok(shown)) => (shown),
            }
        };
        Ok(("Simulations".to_owned(), body))
    })
    .await
}

/// The problem chooser: the record's own problem, or a domain of the catalogue (a GET form, so
/// the choice stays in the address); folders that could not be read are listed with why.
fn problem_chooser(catalogue: &crate::domains::Catalogue, chosen: Option<&str>) -> Markup {
    let domains = catalogue.domains();
    let unreadable: Vec<_> = domains.iter().filter(|domain| domain.error.is_some()).collect();
    html! {
        @if !domains.is_empty() {
            form.chooser method="get" {
                label for="domain" { "Problem" }
                select #domain name="domain" {
                    option value="" selected[chosen.is_none()] { "this negotiation, as you see it" }
                    @for domain in domains.iter().filter(|domain| domain.error.is_none()) {
                        option value=(domain.name) selected[chosen == Some(domain.name.as_str())] dir="auto" {
                            "GENIUS: " (domain.name) " (" (domain.parties.len()) " parties, " (domain.issues) " issues, "
                            (domain.outcomes) " outcomes)"
                        }
                    }
                }
                button type="submit" { "Choose" }
            }
            @if !unreadable.is_empty() {
                details.unreadable {
                    summary { (unreadable.len()) " folder(s) of the domain catalogue could not be read" }
                    ul { @for domain in &unreadable { li dir="auto" { code { (domain.name) } ": " (domain.error.as_deref().unwrap_or("")) } } }
                }
            }
        }
    }
}

fn run(source: &parley_service::ProblemSource, chosen: &[String], rounds: u32, seed: u64, single_text: bool) -> Result<Markup, ApiError> {
    let agents = chosen
        .iter()
        .map(|name| name.parse::<AgentKind>().map_err(|error| ApiError::field("agents", error.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let request = parley_service::SessionRequest {
        agents,
        protocol: if single_text { Protocol::SingleText } else { Protocol::AlternatingOffers },
        rounds,
        time_limit: Some(TIME_LIMIT),
        seed,
        trace: true,
    };
    let options = parley_analysis::frontier::FrontierOptions::default();
    let simulation = parley_service::simulate(source, &request, &options).map_err(ApiError::service)?;
    let trace = parley_service::trace_csv(source, &simulation.session.trace).map_err(ApiError::service)?;
    let plot = parley_service::plot_trace(&trace, &source.name).ok();
    let session = &simulation.session;
    let metrics = serde_json::to_value(&session.metrics).unwrap_or_default();
    Ok(html! {
        section aria-labelledby="result" {
            h2 #result { "Result" }
            @match &simulation.agreement.values {
                Some(values) => {
                    p { "Agreement in round " (session.agreement_round.unwrap_or(session.rounds)) " after " (session.offers) " offers:" }
                    ul { @for (issue, value) in values { li dir="auto" { (issue) " = " (value.to_string()) } } }
                }
                None => p { "No agreement after " (session.rounds) " rounds and " (session.offers) " offers." },
            }
            @if !simulation.agreement.breaks.is_empty() { p { "It breaks the red lines " (simulation.agreement.breaks.join(", ")) "." } }
            h3 { "Metrics" }
            table { tbody { @if let Some(object) = metrics.as_object() { @for (name, value) in object {
                tr { th scope="row" { (name) } td { (value.to_string()) } }
            } } } }
            @if let Some(plot) = plot { h3 { "Trace" } (layout::svg(&plot.svg, "The session's offers in the parties' utilities, and each party's utility over the rounds")) }
        }
    })
}

/// `POST /n/{id}/simulations/jobs`: the session as a server job (the API's `simulations`), then
/// its page.
pub async fn simulation_job(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    check_csrf(&session, fields.get("csrf").map_or("", String::as_str))?;
    let agents: Vec<&String> = (0..64).map_while(|index| fields.get(&format!("agent-{index}"))).collect();
    let body = serde_json::json!({
        "agents": agents,
        "rounds": fields.get("rounds").and_then(|text| text.parse::<u32>().ok()),
        "seed": fields.get("seed").and_then(|text| text.parse::<u64>().ok()).unwrap_or(1),
        "protocol": fields.get("protocol"),
        "domain": fields.get("domain").filter(|name| !name.is_empty()),
    });
    let answer =
        crate::jobs::simulations(State(state), session.caller, Path(id.clone()), json_headers(), Ok(body.to_string().into())).await?;
    to_job_page(&id, answer).await
}

/// `POST /n/{id}/tournaments/jobs`: a tournament of the ticked agent types on the viewer's
/// problem, as a server job (the API's `tournaments`), then its page.
pub async fn tournament_job(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    check_csrf(&session, field("csrf").unwrap_or(""))?;
    let agents: Vec<&str> = fields.iter().filter(|(key, _)| key == "agent").map(|(_, value)| value.as_str()).collect();
    let body = serde_json::json!({
        "agents": agents,
        "rounds": field("rounds").and_then(|text| text.parse::<u32>().ok()),
        "seed": field("seed").and_then(|text| text.parse::<u64>().ok()).unwrap_or(1),
        "domain": field("domain").filter(|name| !name.is_empty()),
    });
    let answer =
        crate::jobs::tournaments(State(state), session.caller, Path(id.clone()), json_headers(), Ok(body.to_string().into())).await?;
    to_job_page(&id, answer).await
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

/// The job's page, from the API's answer (a `JobReport`).
async fn to_job_page(id: &str, answer: Response) -> Result<Response, WebError> {
    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20).await.map_err(ApiError::internal)?;
    let report: serde_json::Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    let job = report["id"].as_str().unwrap_or_default();
    Ok(Redirect::to(&format!("/n/{id}/jobs/{job}")).into_response())
}

/// `GET /n/{id}/jobs/{job}`: a job's state and progress (refreshed every second while it runs by
/// `live.js`, or by a link without it), then its result.
pub async fn job_page(
    State(state): State<AppState>,
    session: Session,
    Path((id, job)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let answer = crate::jobs::job(State(state.clone()), session.caller.clone(), Path((id.clone(), job))).await?;
    let bytes = axum::body::to_bytes(answer.into_body(), 16 << 20).await.map_err(ApiError::internal)?;
    let report: serde_json::Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    render(&state, session, &id.clone(), "/simulations", move |_context| {
        let running = matches!(report["state"].as_str(), Some("queued" | "running"));
        let progress = report["progress"].as_f64().unwrap_or(0.0);
        let body = html! {
            p { "A " (report["kind"].as_str().unwrap_or("job")) " job: " strong { (report["state"].as_str().unwrap_or("")) } }
            label for="progress" { "Progress" }
            progress #progress max="1" value=(progress) { (format!("{:.0} %", progress * 100.0)) }
            // While it runs, live.js reloads the page every second; without it, the link does.
            @if running { p data-refresh { a href={ "/n/" (id) "/jobs/" (report["id"].as_str().unwrap_or("")) } { "Check again" } } }
            @if let Some(error) = report["error"].as_str() { p.problem role="alert" { (error) } }
            @if let Some(result) = report.get("result").filter(|result| !result.is_null()) { (job_result(result)) }
            p { a href={ "/n/" (id) "/simulations" } { "Back to the simulations" } }
        };
        Ok(("Simulation job".to_owned(), body))
    })
    .await
}

/// A job's result: a session's agreement and metrics, or a tournament's ranking.
fn job_result(result: &serde_json::Value) -> Markup {
    let ranking = result
        .get("ranking")
        .or_else(|| result.get("agents"))
        .and_then(|rows| rows.as_array())
        .filter(|rows| rows.first().is_some_and(|row| row.is_object()));
    html! {
        section aria-labelledby="result" {
            h2 #result { "Result" }
            @if let Some(rows) = ranking {
                @let columns: Vec<&String> = rows[0].as_object().map(|row| row.keys().collect()).unwrap_or_default();
                div.scroll { table {
                    caption { "Ranking" }
                    thead { tr { @for column in &columns { th scope="col" { (column) } } } }
                    tbody { @for row in rows { tr { @for column in &columns { td dir="auto" { (plain(&row[column.as_str()])) } } } } }
                } }
            }
            @if let Some(object) = result.as_object() {
                table { tbody { @for (name, value) in object {
                    @if !(value.is_array() && ranking.is_some()) { tr { th scope="row" { (name) } td dir="auto" { (plain(value)) } } }
                } } }
            }
        }
    }
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

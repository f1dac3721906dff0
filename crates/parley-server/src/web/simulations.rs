//! The simulations page: agents negotiate on the viewer's own bargaining problem (the scenario
//! as it may see it, as of now), one session run synchronously within small limits, its trace
//! plotted and measured.
//!
//! The problem is the viewer's (`parley_service::scenario_problem` with its viewer), so the
//! agents know only preferences and red lines it may see. Sessions are small (at most
//! [`MAX_ROUNDS`] rounds and [`TIME_LIMIT`]); long runs and tournaments belong to the API's jobs.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use parley_sim::agents::AgentKind;
use parley_sim::session::Protocol;

use crate::error::ApiError;
use crate::state::AppState;

use super::layout;
use super::pages::render;
use super::session::{Session, WebError};

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
    render(&state, session, &id.clone(), "/simulations", move |context| {
        let viewer = context.session.caller.viewer().to_owned();
        let source = match parley_service::scenario_problem(context.negotiation, "now", &viewer, None) {
            Ok((source, _warnings)) => source,
            Err(error) => {
                let body = html! { p { "No bargaining problem for this viewer: " (error.to_string()) } };
                return Ok(("Simulations".to_owned(), body));
            }
        };
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
            form.record method="get" {
                p { "One agent per party of the problem this viewer sees (as of now), run here within "
                    (MAX_ROUNDS) " rounds and " (TIME_LIMIT.as_secs()) " s." }
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

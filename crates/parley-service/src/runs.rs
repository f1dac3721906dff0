//! What a simulation or tournament may ask for (one set of limits for the command line and the
//! server), and a session's report as `parley simulate --json` prints it.

use parley_sim::tournament::{TournamentConfig, job_count};

use crate::{ProblemSource, ServiceError, Simulation};

/// The most rounds one session may run (a session keeps every offer).
pub const MAX_SESSION_ROUNDS: u32 = 100_000;

/// The most negotiations one tournament lists (each job is held in memory with its result).
pub const MAX_TOURNAMENT_JOBS: u128 = 1_000_000;

/// The most rounds one tournament may run in all (negotiations × `--rounds`): about half an hour
/// of work on two cores when no negotiation ends early.
pub const MAX_TOURNAMENT_ROUNDS: u128 = 1_000_000_000;

/// Worker threads allowed per available core.
pub const THREADS_PER_CORE: usize = 4;

/// A protocol by name: `alternating` (or `alternating-offers`, `sao`) or `single-text` (or
/// `mediator`, `snt`).
pub fn parse_protocol(text: &str) -> Result<parley_sim::session::Protocol, String> {
    use parley_sim::session::Protocol;
    match text {
        "alternating" | "alternating-offers" | "sao" => Ok(Protocol::AlternatingOffers),
        "single-text" | "mediator" | "snt" => Ok(Protocol::SingleText),
        other => Err(format!("unknown protocol `{other}` (expected alternating or single-text)")),
    }
}

/// Refuses a session's round count out of 1 to [`MAX_SESSION_ROUNDS`].
pub fn check_session_rounds(rounds: u32) -> Result<(), ServiceError> {
    if rounds == 0 || rounds > MAX_SESSION_ROUNDS {
        return Err(ServiceError::BadInput(format!("rounds {rounds}: expected 1 to {MAX_SESSION_ROUNDS}")));
    }
    Ok(())
}

/// Refuses a tournament whose job list would be too large to hold, and a thread count out of range.
pub fn check_tournament(config: &TournamentConfig, sources: &[ProblemSource], threads: Option<usize>) -> Result<(), ServiceError> {
    if let Some(threads) = threads {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let most = cores * THREADS_PER_CORE;
        if threads == 0 || threads > most {
            return Err(ServiceError::BadInput(format!(
                "--threads {threads}: expected 1 to {most} ({THREADS_PER_CORE} per available core; this machine has {cores})"
            )));
        }
    }
    let parties: Vec<usize> = sources.iter().map(|source| source.problem.parties.len()).collect();
    let jobs = job_count(config, &parties);
    if jobs > MAX_TOURNAMENT_JOBS {
        return Err(ServiceError::BadInput(format!(
            "the tournament would run {jobs} negotiations (limit {MAX_TOURNAMENT_JOBS}); lower --reps, or use fewer agents or scenarios"
        )));
    }
    let rounds = jobs.saturating_mul(u128::from(config.settings.rounds));
    if rounds > MAX_TOURNAMENT_ROUNDS {
        return Err(ServiceError::BadInput(format!(
            "the tournament could run {rounds} rounds ({jobs} negotiations × --rounds {}; limit {MAX_TOURNAMENT_ROUNDS}); lower --rounds or --reps",
            config.settings.rounds
        )));
    }
    Ok(())
}

/// A session's report, as `parley simulate --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct SimulationReport<'a> {
    domain: &'a str,
    parties: Vec<&'a str>,
    agents: Vec<&'a str>,
    protocol: parley_sim::session::Protocol,
    rounds_limit: u32,
    seed: u64,
    agreement: Option<serde_json::Map<String, serde_json::Value>>,
    agreement_round: Option<u32>,
    rounds: u32,
    offers: u64,
    /// The party whose agent walked away, if one did.
    ended_by: Option<&'a str>,
    metrics: &'a parley_sim::metrics::Metrics,
    /// Agents' set-up and the session, in this process (loading excluded).
    seconds: f64,
    /// A scenario's: each party's own red lines in force its agent was bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    red_lines_applied: Option<serde_json::Map<String, serde_json::Value>>,
    /// A scenario's: issues of the agreement nobody values, with no proposed value, that the
    /// red lines leave free.
    #[serde(skip_serializing_if = "Option::is_none")]
    agreement_unset: Option<&'a [String]>,
    /// A scenario's: red lines in force (of any party) the agreement breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    agreement_breaks: Option<&'a [String]>,
}

/// The report of `simulation`, run on `source` as `request` asked.
pub fn simulation_report<'a>(
    source: &'a ProblemSource,
    request: &'a crate::SessionRequest,
    simulation: &'a Simulation,
) -> SimulationReport<'a> {
    let problem = &source.problem;
    let session = &simulation.session;
    let agreement = simulation
        .agreement
        .values
        .as_ref()
        .map(|values| values.iter().map(|(issue, label)| (issue.clone(), serde_json::to_value(label).unwrap_or_default())).collect());
    let scenario = source.reader.is_some();
    let red_lines_applied = scenario.then(|| {
        simulation
            .bound
            .own_red_lines
            .iter()
            .filter(|own| own.allowed.is_some())
            .map(|own| (own.party.clone(), serde_json::json!(own.red_lines)))
            .collect()
    });
    SimulationReport {
        domain: &source.name,
        parties: problem.parties.iter().map(|party| party.name.as_str()).collect(),
        agents: request.agents.iter().map(|agent| agent.name()).collect(),
        protocol: request.protocol,
        rounds_limit: request.rounds,
        seed: request.seed,
        agreement,
        agreement_round: session.agreement_round,
        rounds: session.rounds,
        offers: session.offers,
        ended_by: session.ended_by.and_then(|index| problem.parties.get(index)).map(|party| party.name.as_str()),
        metrics: &session.metrics,
        seconds: simulation.seconds,
        red_lines_applied,
        agreement_unset: scenario.then_some(simulation.agreement.unset.as_slice()),
        agreement_breaks: scenario.then_some(simulation.agreement.breaks.as_slice()),
    }
}

//! Automated negotiation on a bargaining problem: one session, or the scenarios of a tournament.

use std::time::Duration;

use parley_analysis::frontier::FrontierOptions;
use parley_analysis::scenario::feasible_frontier;
use parley_analysis::solutions::solve;
use parley_sim::acceptable::Acceptable;
use parley_sim::agents::AgentKind;
use parley_sim::inverter::InverseCache;
use parley_sim::metrics::Reference;
use parley_sim::session::{Protocol, Session, SessionConfig, run_session_within};
use parley_sim::tournament::{self, Scenario};

use crate::{BoundAgents, ProblemSource, ServiceError};

/// One session to run.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    /// One agent per party, in party order.
    pub agents: Vec<AgentKind>,
    /// Alternating offers or single text.
    pub protocol: Protocol,
    /// The most rounds.
    pub rounds: u32,
    /// A wall-clock limit; without one, time decides nothing.
    pub time_limit: Option<Duration>,
    /// The seed of every random choice.
    pub seed: u64,
    /// Whether every offer is kept (`Session::trace`), for a trace to write or draw.
    pub trace: bool,
}

/// A session run, with what its report needs.
#[derive(Debug)]
pub struct Simulation {
    /// The session: agreement, rounds, offers, metrics, trace.
    pub session: Session,
    /// What bound the agents: each party's own red lines.
    pub bound: BoundAgents,
    /// The agreement in the problem's terms.
    pub agreement: AgreementReport,
    /// The agents' set-up and the session, in seconds.
    pub seconds: f64,
    /// Parties whose own red lines could not be applied to their agents.
    pub warnings: Vec<String>,
}

/// Runs one session of `request.agents` on `source`, measuring it against the frontier when that
/// is within the `frontier` budget. A wrong number of agents, or a space too large to list for
/// them, is bad input.
pub fn simulate(source: &ProblemSource, request: &SessionRequest, frontier: &FrontierOptions) -> Result<Simulation, ServiceError> {
    let problem = &source.problem;
    if request.agents.len() != problem.parties.len() {
        let names: Vec<&str> = problem.parties.iter().map(|party| party.name.as_str()).collect();
        return Err(ServiceError::BadInput(format!(
            "{} for {} ({}); give one agent per party, in party order",
            counted(request.agents.len(), "agent", "agents"),
            counted(names.len(), "party", "parties"),
            names.join(", ")
        )));
    }
    check_listing(problem, &source.name, frontier.max_work)?;
    let bound = source.bind_agents();
    let warnings = bound.unapplied_warnings();
    let reference = reference(source, frontier);
    let config = SessionConfig {
        protocol: request.protocol,
        rounds: request.rounds,
        seed: request.seed,
        record_trace: request.trace,
        time_limit: request.time_limit,
    };
    let started = std::time::Instant::now();
    let session = run_session_within(problem, &bound.acceptable, &request.agents, &config, reference.as_ref(), &InverseCache::default())
        .map_err(|error| ServiceError::BadInput(error.to_string()))?;
    let seconds = started.elapsed().as_secs_f64();
    let agreement = read_agreement(source, &bound.acceptable, session.agreement.as_deref());
    Ok(Simulation { session, bound, agreement, seconds, warnings })
}

/// The scenarios of a tournament, each with its reference frontier (within the `frontier`
/// budget), its agents bound by their parties' own red lines and a judge of the red lines an
/// agreement breaks; with a warning per party whose red lines could not be applied.
pub fn tournament_scenarios(sources: Vec<ProblemSource>, frontier: &FrontierOptions) -> (Vec<Scenario>, Vec<String>) {
    let mut warnings = Vec::new();
    let scenarios = sources
        .into_iter()
        .map(|source| {
            let bound = source.bind_agents();
            for warning in bound.unapplied_warnings() {
                warnings.push(format!("{}: {warning}", source.name));
            }
            let reference = reference(&source, frontier);
            let mut scenario = Scenario::new(source.name, source.problem, reference);
            if let Some(reader) = source.reader {
                let acceptable = bound.acceptable.clone();
                scenario = scenario.with_judge(std::sync::Arc::new(RedLineJudge { reader, acceptable }));
            }
            if bound.acceptable.constrains() { scenario.with_acceptable(bound.acceptable) } else { scenario }
        })
        .collect();
    (scenarios, warnings)
}

/// Runs a tournament (or its shard) on `threads` worker threads (one per core for `None`; one is
/// the calling thread), reporting `progress` as (negotiations done, of). Results are in job order whatever the threads.
pub fn tournament(
    config: &tournament::TournamentConfig,
    scenarios: &[Scenario],
    threads: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<tournament::TournamentResult, ServiceError> {
    if threads == Some(1) {
        return Ok(tournament::run_here(config, scenarios, progress));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|error| ServiceError::Failed(format!("starting worker threads: {error}")))?;
    Ok(pool.install(|| tournament::run(config, scenarios, progress)))
}

/// Agents list and sort the outcomes of spaces up to `SORTED_LIMIT` outcomes; for hyper-rectangle
/// profiles that tests every outcome against every rectangle, which must fit the work budget.
pub fn check_listing(problem: &parley_analysis::space::Problem, name: &str, max_work: u64) -> Result<(), ServiceError> {
    let outcomes = problem.space.count().approximate();
    if problem.is_additive() || outcomes > parley_sim::inverter::SORTED_LIMIT as f64 {
        return Ok(());
    }
    let work = parley_analysis::frontier::enumeration_work(problem);
    if work > max_work as f64 {
        return Err(ServiceError::BadInput(format!(
            "{name}: listing the outcomes for the agents takes {work:.3e} hyper-rectangle tests (limit {max_work}); raise --max-work to try it"
        )));
    }
    Ok(())
}

fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The frontier and solutions a session's distances are measured against, when within reach: over
/// the outcomes a scenario's signatories' red lines allow, as `parley frontier` draws it.
pub fn reference(source: &ProblemSource, frontier: &FrontierOptions) -> Option<Reference> {
    let problem = &source.problem;
    let frontier = feasible_frontier(problem, source.feasible.as_ref(), frontier).ok()?;
    let solutions = solve(&frontier, &problem.reservations());
    Some(Reference { frontier, solutions })
}

/// An agreement as `simulate` reports it.
#[derive(Debug)]
pub struct AgreementReport {
    /// Issue and value, in space order; `None` without agreement.
    pub values: Option<Vec<(String, parley_analysis::space::Label)>>,
    /// A scenario's issues nobody values, with no proposed value, that the red lines leave free.
    pub unset: Vec<String>,
    /// The red lines in force (of any party) the agreement breaks.
    pub breaks: Vec<String>,
}

/// A scenario's agreement in its terms: issues nobody values at the proposal's value or unset,
/// and the red lines in force it breaks; a GENIUS domain's as it is.
fn read_agreement(source: &ProblemSource, acceptable: &Acceptable, agreement: Option<&[u32]>) -> AgreementReport {
    let issues = &source.problem.space.issues;
    let (Some(outcome), Some(reader)) = (agreement, &source.reader) else {
        return AgreementReport {
            values: agreement.map(|outcome| source.problem.space.describe(outcome)),
            unset: Vec::new(),
            breaks: Vec::new(),
        };
    };
    let read = reader.read(outcome, &|outcome| acceptable.by_all(outcome));
    let values = issues
        .iter()
        .zip(&read.values)
        .filter_map(|(issue, value)| Some((issue.name.clone(), issue.values.get((*value)? as usize)?.clone())))
        .collect();
    let unset = issues.iter().zip(&read.values).filter(|(_, value)| value.is_none()).map(|(issue, _)| issue.name.clone()).collect();
    AgreementReport { values: Some(values), unset, breaks: read.breaks }
}

/// The trace as CSV: `round, proposer, u_<party>…, <issue>…`, and for a scenario a last column
/// `breaks` with the red lines in force each offer breaks (none of its proposer's own).
pub fn trace_csv(source: &ProblemSource, trace: &[parley_sim::session::TraceEntry]) -> Result<String, ServiceError> {
    let problem = &source.problem;
    let mut writer = csv_writer();
    let mut header = vec!["round".to_owned(), "proposer".to_owned()];
    header.extend(problem.parties.iter().map(|party| format!("u_{}", party.name)));
    header.extend(problem.space.issues.iter().map(|issue| issue.name.clone()));
    // A space without issues still has its (empty) issue part, as traces always had.
    let no_issues = problem.space.issues.is_empty();
    if no_issues {
        header.push(String::new());
    }
    if source.reader.is_some() {
        header.push("breaks".to_owned());
    }
    writer.write_record(&header).map_err(csv_failed)?;
    for entry in trace {
        let proposer = entry.proposer.map_or("mediator".to_owned(), |party| problem.parties[party].name.clone());
        let mut row = vec![entry.round.to_string(), proposer];
        row.extend(entry.utilities.iter().map(|value| value.to_string()));
        row.extend(problem.space.describe(&entry.outcome).into_iter().map(|(_, label)| label.to_string()));
        if no_issues {
            row.push(String::new());
        }
        if let Some(reader) = &source.reader {
            let values: Vec<Option<u32>> = entry.outcome.iter().map(|&index| Some(index)).collect();
            row.push(reader.breaks(&values).join(" "));
        }
        writer.write_record(&row).map_err(csv_failed)?;
    }
    csv_text(writer)
}

/// A tournament's results as CSV, one line per negotiation: its index, scenario, repetition,
/// seed, agreement, rounds, welfare, distances and error, then each party's agent, utility and
/// advantage.
pub fn results_csv(result: &tournament::TournamentResult) -> Result<String, ServiceError> {
    let parties = result.results.iter().map(|job| job.agents.len()).max().unwrap_or(0);
    let mut writer = csv_writer();
    let mut header: Vec<String> = [
        "index",
        "scenario",
        "repetition",
        "seed",
        "agreement",
        "rounds",
        "welfare",
        "distance_to_frontier",
        "distance_to_nash",
        "distance_to_kalai_smorodinsky",
        "error",
    ]
    .map(str::to_owned)
    .to_vec();
    for party in 0..parties {
        header.extend([format!("agent_{party}"), format!("utility_{party}"), format!("advantage_{party}")]);
    }
    writer.write_record(&header).map_err(csv_failed)?;
    let option = |value: Option<f64>| value.map_or(String::new(), |value| value.to_string());
    for job in &result.results {
        let mut row = vec![
            job.index.to_string(),
            job.scenario.clone(),
            job.repetition.to_string(),
            job.seed.to_string(),
            job.metrics.agreement.to_string(),
            job.rounds.to_string(),
            job.metrics.welfare.to_string(),
            option(job.metrics.distance_to_frontier),
            option(job.metrics.distance_to_nash),
            option(job.metrics.distance_to_kalai_smorodinsky),
            job.error.clone().unwrap_or_default(),
        ];
        for party in 0..parties {
            match job.agents.get(party) {
                Some(agent) => row.extend([
                    agent.to_string(),
                    job.metrics.utilities.get(party).map_or(String::new(), f64::to_string),
                    job.metrics.advantages.get(party).map_or(String::new(), f64::to_string),
                ]),
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        writer.write_record(&row).map_err(csv_failed)?;
    }
    csv_text(writer)
}

/// A Pareto frontier as CSV: each party's utility, then each issue's value, one line per point.
pub fn frontier_csv(
    problem: &parley_analysis::space::Problem,
    frontier: &parley_analysis::frontier::Frontier,
) -> Result<String, ServiceError> {
    let mut writer = csv_writer();
    let header =
        problem.parties.iter().map(|party| party.name.as_str()).chain(problem.space.issues.iter().map(|issue| issue.name.as_str()));
    writer.write_record(header).map_err(csv_failed)?;
    for point in &frontier.points {
        let mut fields: Vec<String> = point.utilities.iter().map(|value| format!("{value}")).collect();
        fields.extend(problem.space.describe(&point.outcome).into_iter().map(|(_, label)| label.to_string()));
        writer.write_record(&fields).map_err(csv_failed)?;
    }
    csv_text(writer)
}

/// Fields quoted only when they must be (a comma, a quote, a line break), lines ended by `\n`.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new())
}

fn csv_text(writer: csv::Writer<Vec<u8>>) -> Result<String, ServiceError> {
    let bytes = writer.into_inner().map_err(|error| ServiceError::Failed(format!("writing CSV: {}", error.error())))?;
    String::from_utf8(bytes).map_err(|error| ServiceError::Failed(format!("writing CSV: {error}")))
}

fn csv_failed(error: csv::Error) -> ServiceError {
    ServiceError::Failed(format!("writing CSV: {error}"))
}

/// Names the red lines in force a tournament's agreement on a scenario breaks, reading it as
/// `simulate` does (issues nobody values at the proposal's value or unset).
#[derive(Debug)]
struct RedLineJudge {
    reader: parley_analysis::scenario::OutcomeReader,
    acceptable: Acceptable,
}

impl tournament::Judge for RedLineJudge {
    fn breaks(&self, outcome: &[u32]) -> Vec<String> {
        self.reader.read(outcome, &|outcome| self.acceptable.by_all(outcome)).breaks
    }
}
/// A trace drawn as SVG.
#[derive(Debug)]
pub struct TracePlot {
    /// The picture (`parley_analysis::plot::trace`).
    pub svg: String,
    /// How many offers it shows.
    pub offers: usize,
}

/// Draws a trace CSV written by [`trace_csv`] (named `name` in messages): offers in the first two
/// parties' utility space, and each party's utility of the offers over the rounds. Anything else
/// is bad input naming the line.
pub fn plot_trace(text: &str, name: &str) -> Result<TracePlot, ServiceError> {
    // One reader over the whole text: a quoted field may hold a line break, as `trace_csv` writes
    // one when a party's or a value's name has it.
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let malformed = |line: u64| ServiceError::BadInput(format!("{name}:{line}: malformed trace row"));
    let header: Vec<String> = match records.next() {
        None => return Err(ServiceError::BadInput(format!("{name}: empty trace"))),
        Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
        Some(Err(_)) => Vec::new(),
    };
    let utility_columns: Vec<usize> =
        header.iter().enumerate().filter(|(_, name)| name.starts_with("u_")).map(|(index, _)| index).collect();
    if header.first().map(String::as_str) != Some("round") || utility_columns.len() < 2 {
        return Err(ServiceError::BadInput(format!("{name}: not a trace (expected columns round, proposer, u_<party>...)")));
    }
    // Names go into SVG text: escaped once here, so that comparisons between them still hold.
    let names: Vec<String> = utility_columns.iter().map(|&index| parley_analysis::plot::escape(&header[index][2..])).collect();
    let mut rows: Vec<(u32, String, Vec<f64>)> = Vec::new();
    for record in records {
        let fields = record.map_err(|error| malformed(error.position().map_or(0, csv::Position::line)))?;
        let line = fields.position().map_or(0, csv::Position::line);
        let parse = |index: usize| fields.get(index).and_then(|field| field.parse::<f64>().ok());
        let round = fields.get(0).and_then(|field| field.parse::<u32>().ok());
        let utilities: Option<Vec<f64>> = utility_columns.iter().map(|&index| parse(index)).collect();
        match (round, utilities) {
            (Some(round), Some(utilities)) => rows.push((round, parley_analysis::plot::escape(fields.get(1).unwrap_or("")), utilities)),
            _ => return Err(malformed(line)),
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let svg = parley_analysis::plot::trace::svg(&names, &rows);
    Ok(TracePlot { svg, offers: rows.len() })
}

#[cfg(test)]
mod tests {
    use super::plot_trace;

    #[test]
    fn a_trace_reads_back_with_quoted_commas_and_line_breaks() {
        // Regression: the trace was read line by line, so a name holding a line break, which the
        // writer quotes, made parley refuse a trace it wrote itself.
        let text = "round,proposer,u_a,u_b\n0,\"Ports, Inc\",0.9,0.1\n1,\"two\nlines\",0.5,0.5\n";
        assert_eq!(plot_trace(text, "t.csv").unwrap().offers, 2);
        let error = plot_trace("round,proposer,u_a,u_b\n0,a,0.9,0.1\n1,b,x,0.5\n", "t.csv").err().unwrap();
        assert!(error.to_string().contains("t.csv:3: malformed trace row"), "{error}");
    }
}

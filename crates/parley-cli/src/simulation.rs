//! `parley simulate`, `parley tournament`, `parley merge` and `parley plot-trace`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use parley_sim::agents::AgentKind;
use parley_sim::session::Protocol;
use parley_sim::tournament::{self, TournamentConfig, TournamentResult};

use crate::BadInput;
use crate::files::{write_output, write_outputs};
use crate::input::read_text;
use crate::output::{counted, write_json};
use parley_service::ProblemSource;

pub fn parse_agents(names: &[String]) -> Result<Vec<AgentKind>> {
    names.iter().map(|name| name.parse::<AgentKind>().map_err(|error| BadInput(error.to_string()).into())).collect()
}

/// A `--protocol` (read by clap, so a bad one is a usage error, exit 2, before anything loads).
pub fn parse_protocol(text: &str) -> Result<Protocol, String> {
    parley_service::parse_protocol(text)
}

/// A `--time-limit` in seconds: positive and finite (read by clap, like `--protocol`).
pub fn parse_time_limit(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 => Ok(std::time::Duration::from_secs_f64(seconds)),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

pub struct SimulateOptions {
    pub agents: Vec<AgentKind>,
    pub protocol: Protocol,
    pub rounds: u32,
    pub time_limit: Option<std::time::Duration>,
    pub seed: u64,
    pub json: bool,
    pub trace: Option<PathBuf>,
}

pub fn simulate_command(source: &ProblemSource, options: &SimulateOptions, out: &mut dyn Write) -> Result<()> {
    let problem = &source.problem;
    let request = parley_service::SessionRequest {
        agents: options.agents.clone(),
        protocol: options.protocol,
        rounds: options.rounds,
        time_limit: options.time_limit,
        seed: options.seed,
        trace: options.trace.is_some(),
    };
    let mut simulation = parley_service::simulate(source, &request, &crate::limits::frontier_options())?;
    for warning in std::mem::take(&mut simulation.warnings) {
        to_stderr!(line "warning: {warning}");
    }
    if let Some(path) = &options.trace {
        write_output(path, parley_service::trace_csv(source, &simulation.session.trace)?.as_bytes())?;
    }
    if options.json {
        return write_json(out, &parley_service::simulation_report(source, &request, &simulation));
    }
    let parley_service::Simulation { session, bound, agreement, .. } = simulation;
    let parley_service::AgreementReport { values: reported, unset, breaks } = agreement;
    let unset: Vec<&str> = unset.iter().map(String::as_str).collect();
    let breaks = breaks.as_slice();
    // Each party's own red lines its agent was bound by.
    let bound: Vec<(&str, &[String])> =
        bound.own_red_lines.iter().filter(|own| own.allowed.is_some()).map(|own| (own.party.as_str(), own.red_lines.as_slice())).collect();
    let pairs: Vec<String> =
        problem.parties.iter().zip(&options.agents).map(|(party, agent)| format!("{} as {}", agent.name(), party.name)).collect();
    writeln!(out, "{} — {}", source.name, pairs.join(", "))?;
    if !bound.is_empty() {
        let described: Vec<String> = bound.iter().map(|(party, ids)| format!("{party} ({})", ids.join(", "))).collect();
        writeln!(out, "Agents bound by their own red lines: {}", described.join(", "))?;
    }
    match (&reported, session.agreement_round) {
        (Some(values), Some(round)) => {
            writeln!(
                out,
                "Agreement in round {} of {} after {}:",
                round + 1,
                options.rounds,
                counted(session.offers as usize, "offer", "offers")
            )?;
            let values: Vec<String> = values.iter().map(|(issue, label)| format!("{issue} = {label}")).collect();
            writeln!(out, "  {}", values.join("; "))?;
            if !unset.is_empty() {
                writeln!(out, "  unset (nobody values them, nothing is proposed): {}", unset.join(", "))?;
            }
            if !breaks.is_empty() {
                writeln!(out, "  It breaks red lines: {}", breaks.join(", "))?;
            }
        }
        _ => match session.ended_by.and_then(|index| problem.parties.get(index)) {
            Some(party) => writeln!(
                out,
                "No agreement: {} ended the negotiation in round {} after {}",
                party.name,
                session.rounds,
                counted(session.offers as usize, "offer", "offers")
            )?,
            None => writeln!(
                out,
                "No agreement after {} and {}",
                counted(session.rounds as usize, "round", "rounds"),
                counted(session.offers as usize, "offer", "offers")
            )?,
        },
    }
    let metrics = &session.metrics;
    for (index, party) in problem.parties.iter().enumerate() {
        writeln!(out, "  {}: utility {:.4} (advantage {:+.4})", party.name, metrics.utilities[index], metrics.advantages[index])?;
    }
    writeln!(out, "Welfare {:.4}", metrics.welfare)?;
    if let Some(distance) = metrics.distance_to_frontier {
        // Without a rational outcome there is no Nash or Kalai–Smorodinsky point to measure from.
        let from = |distance: Option<f64>| match distance {
            Some(distance) => format!("{distance:.4}"),
            None => "none (no outcome is rational for every party)".to_owned(),
        };
        writeln!(
            out,
            "Distance to the frontier {distance:.4}, to Nash {}, to Kalai–Smorodinsky {}",
            from(metrics.distance_to_nash),
            from(metrics.distance_to_kalai_smorodinsky)
        )?;
    }
    if let Some(path) = &options.trace {
        writeln!(out, "Trace of {} written to {}", counted(session.trace.len(), "offer", "offers"), path.display())?;
    }
    Ok(())
}

pub struct TournamentOptions {
    pub config: TournamentConfig,
    pub output: PathBuf,
    pub threads: Option<usize>,
}

pub fn tournament_command(sources: Vec<ProblemSource>, options: TournamentOptions, out: &mut dyn Write) -> Result<()> {
    // The cheap checks before any scenario's reference frontier is computed.
    for source in &sources {
        if source.problem.parties.len() < 2 {
            return Err(BadInput(format!("scenario {} has fewer than two parties", source.name)).into());
        }
        if source.problem.space.issues.is_empty() {
            return Err(BadInput(format!("scenario {} has no open issues to negotiate", source.name)).into());
        }
    }
    crate::limits::check_tournament(&options.config, &sources, options.threads)?;
    for source in &sources {
        crate::limits::check_listing(&source.problem, &source.name)?;
    }
    let (scenarios, warnings) = parley_service::tournament_scenarios(sources, &crate::limits::frontier_options());
    for warning in warnings {
        to_stderr!(line "warning: {warning}");
    }
    let interactive = std::io::stderr().is_terminal();
    let progress = |done: usize, of: usize| {
        if interactive && (done == of || done % 64 == 0) {
            let width = 40;
            let filled = done * width / of.max(1);
            to_stderr!(inline "\r[{}{}] {done}/{of} negotiations", "#".repeat(filled), " ".repeat(width - filled));
            if done == of {
                to_stderr!(line "");
            }
        }
    };
    let started = std::time::Instant::now();
    let result = parley_service::tournament(&options.config, &scenarios, options.threads, &progress)?;
    let seconds = started.elapsed().as_secs_f64();
    let ranking = write_results(&result, &options.output)?;
    writeln!(
        out,
        "{} ({} in the whole tournament) in {seconds:.3} s: {:.0} negotiations per second",
        counted(result.results.len(), "negotiation", "negotiations"),
        result.total_jobs,
        result.results.len() as f64 / seconds.max(1e-9)
    )?;
    out.write_all(&ranking)?;
    writeln!(out, "Results in {}", options.output.display())?;
    Ok(())
}

/// Writes results.json, results.csv and ranking.txt; returns the ranking's text.
pub fn write_results(result: &TournamentResult, directory: &Path) -> Result<Vec<u8>> {
    std::fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
    let mut json = serde_json::to_string_pretty(result)?;
    json.push('\n');
    let csv = parley_service::results_csv(result)?;
    let mut ranking = Vec::new();
    print_ranking(result, &mut ranking)?;
    write_outputs(&[
        (&directory.join("results.json"), json.as_bytes()),
        (&directory.join("results.csv"), csv.as_bytes()),
        (&directory.join("ranking.txt"), &ranking),
    ])?;
    Ok(ranking)
}

pub fn print_ranking(result: &TournamentResult, out: &mut dyn Write) -> Result<()> {
    let ranks = tournament::ranking(result);
    let agreements = result.results.iter().filter(|job| job.metrics.agreement).count();
    let errors = result.results.iter().filter(|job| job.error.is_some()).count();
    writeln!(
        out,
        "Agreement rate {:.3} over {}{}",
        agreements as f64 / result.results.len().max(1) as f64,
        counted(result.results.len(), "negotiation", "negotiations"),
        if errors > 0 { format!(" ({errors} could not run)") } else { String::new() }
    )?;
    writeln!(
        out,
        "{:<4} {:<12} {:>12} {:>10} {:>14} {:>14}",
        "rank", "agent", "negotiations", "agreement", "mean utility", "mean advantage"
    )?;
    for (position, rank) in ranks.iter().enumerate() {
        writeln!(
            out,
            "{:<4} {:<12} {:>12} {:>10.3} {:>14.4} {:>14.4}",
            position + 1,
            rank.agent,
            rank.negotiations,
            rank.agreement_rate,
            rank.mean_utility,
            rank.mean_advantage
        )?;
    }
    Ok(())
}

pub fn merge_command(inputs: &[PathBuf], output: &Path, out: &mut dyn Write) -> Result<()> {
    let mut shards = Vec::new();
    for input in inputs {
        let path = if input.is_dir() { input.join("results.json") } else { input.clone() };
        let text = read_text(&path)?;
        let shard: TournamentResult =
            serde_json::from_str(&text).map_err(|error| BadInput(format!("{}: not a tournament result: {error}", path.display())))?;
        shards.push(shard);
    }
    let merged = tournament::merge(shards).map_err(|error| BadInput(error.to_string()))?;
    let ranking = write_results(&merged, output)?;
    writeln!(out, "merged {} into {}", counted(merged.results.len(), "negotiation", "negotiations"), output.display())?;
    out.write_all(&ranking)?;
    Ok(())
}

/// Draws a trace CSV written by `parley simulate --trace`: offers in the first two parties'
/// utility space, and each party's utility of the offers over the rounds.
pub fn plot_trace_command(trace: &Path, output: &Path, out: &mut dyn Write) -> Result<()> {
    let text = read_text(trace)?;
    let parley_service::TracePlot { svg, offers } = parley_service::plot_trace(&text, &trace.display().to_string())?;
    write_output(output, svg.as_bytes())?;
    writeln!(out, "wrote {} ({})", output.display(), counted(offers, "offer", "offers"))?;
    Ok(())
}

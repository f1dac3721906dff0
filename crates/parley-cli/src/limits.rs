//! The budgets that keep every command's work bounded (`docs/cli.md`, Limits): each is checked
//! from an estimate before the work starts, and a refusal names the option that raises it.

use std::sync::OnceLock;

use anyhow::Result;
use parley_analysis::frontier::{FrontierError, FrontierOptions};
use parley_sim::tournament::{TournamentConfig, job_count};

use crate::BadInput;
use parley_service::ProblemSource;

/// The most negotiations one tournament lists (each job is held in memory with its result).
pub const MAX_TOURNAMENT_JOBS: u128 = 1_000_000;

/// Worker threads allowed per available core.
pub const THREADS_PER_CORE: usize = 4;

/// Refuses a tournament whose job list would be too large to hold, and a thread count out of range.
pub fn check_tournament(config: &TournamentConfig, sources: &[ProblemSource], threads: Option<usize>) -> Result<()> {
    if let Some(threads) = threads {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let most = cores * THREADS_PER_CORE;
        if threads == 0 || threads > most {
            return Err(BadInput(format!(
                "--threads {threads}: expected 1 to {most} ({THREADS_PER_CORE} per available core; this machine has {cores})"
            ))
            .into());
        }
    }
    let parties: Vec<usize> = sources.iter().map(|source| source.problem.parties.len()).collect();
    let jobs = job_count(config, &parties);
    if jobs > MAX_TOURNAMENT_JOBS {
        return Err(BadInput(format!(
            "the tournament would run {jobs} negotiations (limit {MAX_TOURNAMENT_JOBS}); lower --reps, or use fewer agents or scenarios"
        ))
        .into());
    }
    let rounds = jobs.saturating_mul(u128::from(config.settings.rounds));
    if rounds > MAX_TOURNAMENT_ROUNDS {
        return Err(BadInput(format!(
            "the tournament could run {rounds} rounds ({jobs} negotiations × --rounds {}; limit {MAX_TOURNAMENT_ROUNDS}); lower --rounds or --reps",
            config.settings.rounds
        ))
        .into());
    }
    Ok(())
}

/// The most rounds one tournament may run in all (negotiations × `--rounds`): about half an hour
/// of work on two cores when no negotiation ends early.
pub const MAX_TOURNAMENT_ROUNDS: u128 = 1_000_000_000;

/// The default of `--max-memory`, in MiB.
pub const DEFAULT_MAX_MEMORY_MIB: u64 = parley_analysis::frontier::DEFAULT_MAX_MEMORY >> 20;

/// `--max-memory` (MiB) and `--max-work` as set for this run; read by every frontier computed.
static FRONTIER_BUDGET: OnceLock<(u64, u64)> = OnceLock::new();

/// Sets this run's frontier budget (once: the options are read once per command).
pub fn set_frontier_budget(max_memory_mib: u64, max_work: u64) {
    let _ = FRONTIER_BUDGET.set((max_memory_mib, max_work));
}

/// The frontier options of this run: the defaults, with `--max-memory` and `--max-work`.
pub fn frontier_options() -> FrontierOptions {
    let mut options = FrontierOptions::default();
    if let Some(&(memory_mib, work)) = FRONTIER_BUDGET.get() {
        options.max_memory = memory_mib.saturating_mul(1 << 20);
        options.max_work = work;
    }
    options
}

/// A refused frontier as a usage problem that names the option raising the limit.
pub fn frontier_refusal(error: FrontierError) -> anyhow::Error {
    let hint = match &error {
        FrontierError::TooMuchMemory { bytes, .. } => {
            format!("; raise --max-memory (MiB) to at least {} to try it", bytes.div_ceil(1 << 20))
        }
        FrontierError::TooMuchWork { .. } => "; raise --max-work to try it".to_owned(),
        _ => String::new(),
    };
    BadInput(format!("{error}{hint}")).into()
}

/// The most distinct partial vectors, and outcomes enumerated, for counting rational outcomes
/// within the frontier's budget (beyond them the count is reported as not counted).
///
/// Each step of the additive count extends every kept partial vector by every value of an issue,
/// then sorts the extensions: a step holds `states × values` candidates (their utilities twice,
/// their multiplicity twice and their sort order) and sorts them, once per issue. Enumerating a
/// non-additive space tests every outcome against every hyper-rectangle.
pub fn rational_budget(problem: &parley_analysis::space::Problem, options: &FrontierOptions) -> (usize, f64) {
    let parties = problem.parties.len() as u64;
    let issues = problem.space.issues.len().max(1) as u64;
    let values = problem.space.issues.iter().map(|issue| issue.values.len() as u64).max().unwrap_or(1).max(1);
    let bytes_per_candidate = 16 * parties + 40;
    let by_memory = options.max_memory / bytes_per_candidate / values;
    // n log n per step, with log n at most 32 at these sizes.
    let by_work = options.max_work / issues / values / 32;
    let max_states = by_memory.min(by_work).min(2_000_000) as usize;
    let per_outcome = parley_analysis::frontier::enumeration_work(problem) / problem.space.count().approximate().max(1.0);
    let max_enumerated = (50_000_000.0f64).min(options.max_work as f64 / per_outcome.max(1.0));
    (max_states, max_enumerated)
}

/// Agents list and sort the outcomes of spaces up to `SORTED_LIMIT` outcomes; for hyper-rectangle
/// profiles that tests every outcome against every rectangle, which must fit the work budget.
pub fn check_listing(problem: &parley_analysis::space::Problem, name: &str) -> Result<()> {
    Ok(parley_service::check_listing(problem, name, frontier_options().max_work)?)
}

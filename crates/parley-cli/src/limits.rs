//! The budgets that keep every command's work bounded (`docs/cli.md`, Limits): each is checked
//! from an estimate before the work starts, and a refusal names the option that raises it.

use std::sync::OnceLock;

use anyhow::Result;
use parley_analysis::frontier::FrontierOptions;
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

/// Agents list and sort the outcomes of spaces up to `SORTED_LIMIT` outcomes; for hyper-rectangle
/// profiles that tests every outcome against every rectangle, which must fit the work budget.
pub fn check_listing(problem: &parley_analysis::space::Problem, name: &str) -> Result<()> {
    Ok(parley_service::check_listing(problem, name, frontier_options().max_work)?)
}

//! The budgets that keep every command's work bounded (`docs/cli.md`, Limits): each is checked
//! from an estimate before the work starts, and a refusal names the option that raises it.

use std::sync::OnceLock;

use anyhow::Result;
use parley_analysis::frontier::FrontierOptions;
use parley_sim::tournament::TournamentConfig;

use parley_service::ProblemSource;

/// Refuses a tournament whose job list would be too large to hold, and a thread count out of
/// range (the limits live in `parley-service`, shared with the server's jobs).
pub fn check_tournament(config: &TournamentConfig, sources: &[ProblemSource], threads: Option<usize>) -> Result<()> {
    Ok(parley_service::check_tournament(config, sources, threads)?)
}

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

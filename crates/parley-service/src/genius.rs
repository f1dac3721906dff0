//! GENIUS domains: reading a folder, and the analysis `parley analyze` gives of a problem.

use std::path::Path;
use std::time::Instant;

use parley_analysis::frontier::{Frontier, FrontierError, FrontierOptions, frontier};
use parley_analysis::genius::{self, GeniusFile, LoadOptions};
use parley_analysis::rational::count_rational;
use parley_analysis::solutions::{Solutions, solve};
use parley_analysis::space::Problem;

use crate::ServiceError;

/// A problem read from disk, with what is needed to report on it.
#[derive(Debug)]
pub struct GeniusSource {
    /// The domain's name.
    pub name: String,
    /// The domain and the profiles.
    pub problem: Problem,
    /// The reader's warnings (also part of `analyze --json`).
    pub warnings: Vec<String>,
    /// Seconds spent reading and parsing the files.
    pub load_seconds: f64,
    /// The files that were not read (not regular files), as warnings.
    pub skipped: Vec<String>,
}

/// Reads a GENIUS folder: the one domain file and the profiles in file-name order (or as named).
pub fn load_genius_folder(folder: &Path, parties: Option<&[String]>) -> Result<GeniusSource, ServiceError> {
    let started = Instant::now();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let entries =
        std::fs::read_dir(folder).map_err(|error| ServiceError::BadInput(format!("cannot read {}: {error}", folder.display())))?;
    for entry in entries {
        let path = entry.map_err(|error| ServiceError::BadInput(format!("cannot read {}: {error}", folder.display())))?.path();
        if !path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("xml")) {
            continue;
        }
        // Only regular files (through links): opening a FIFO would wait for a writer forever, and
        // a device may never end.
        if !std::fs::metadata(&path).is_ok_and(|metadata| metadata.is_file()) {
            skipped.push(format!("{}: not a regular file; skipped", path.display()));
            continue;
        }
        let text = crate::read_text(&path)?;
        files.push(GeniusFile::new(path.display().to_string(), text));
    }
    let loaded = genius::load_folder(&folder.display().to_string(), files, parties, &LoadOptions::default())
        .map_err(|error| ServiceError::BadInput(error.to_string()))?;
    Ok(GeniusSource {
        name: loaded.domain_name,
        problem: loaded.problem,
        warnings: loaded.warnings,
        load_seconds: started.elapsed().as_secs_f64(),
        skipped,
    })
}

/// Seconds spent on each step, measured in the process.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Timings {
    /// Reading and parsing the files.
    pub load_s: f64,
    /// The frontier.
    pub frontier_s: f64,
    /// The four solutions.
    pub solutions_s: f64,
    /// Frontier plus the four solutions: the work NegMAS's `pareto_frontier` and `*_points` do.
    pub frontier_and_solutions_s: f64,
    /// Counting the rational outcomes.
    pub rational_count_s: f64,
}

/// Everything `analyze` computes.
#[derive(Debug)]
pub struct ProblemAnalysis {
    /// The exact Pareto frontier.
    pub frontier: Frontier,
    /// Nash, Kalai–Smorodinsky, egalitarian and utilitarian points.
    pub solutions: Solutions,
    /// The number of rational outcomes, when it could be counted within the budget.
    pub rational: Option<parley_analysis::space::Count>,
    /// Seconds per step.
    pub timings: Timings,
}

/// The frontier, the solutions and the rational outcomes of `problem`, within `options`' budget
/// (a frontier out of reach is bad input naming the option that raises it).
pub fn analyse_problem(problem: &Problem, load_seconds: f64, options: &FrontierOptions) -> Result<ProblemAnalysis, ServiceError> {
    let started = Instant::now();
    let frontier = frontier(problem, options).map_err(frontier_refusal)?;
    let frontier_s = started.elapsed().as_secs_f64();
    let solutions = solve(&frontier, &problem.reservations());
    let frontier_and_solutions_s = started.elapsed().as_secs_f64();
    let counting = Instant::now();
    let (max_states, max_enumerated) = rational_budget(problem, options);
    let rational = count_rational(problem, max_states, max_enumerated);
    let timings = Timings {
        load_s: load_seconds,
        frontier_s,
        solutions_s: frontier_and_solutions_s - frontier_s,
        frontier_and_solutions_s,
        rational_count_s: counting.elapsed().as_secs_f64(),
    };
    Ok(ProblemAnalysis { frontier, solutions, rational, timings })
}

/// A refused frontier as a usage problem that names the option raising the limit.
pub fn frontier_refusal(error: FrontierError) -> ServiceError {
    let hint = match &error {
        FrontierError::TooMuchMemory { bytes, .. } => {
            format!("; raise --max-memory (MiB) to at least {} to try it", bytes.div_ceil(1 << 20))
        }
        FrontierError::TooMuchWork { .. } => "; raise --max-work to try it".to_owned(),
        _ => String::new(),
    };
    ServiceError::BadInput(format!("{error}{hint}"))
}

/// The most distinct partial vectors, and outcomes enumerated, for counting rational outcomes
/// within the frontier's budget (beyond them the count is reported as not counted).
///
/// Each step of the additive count extends every kept partial vector by every value of an issue,
/// then sorts the extensions: a step holds `states × values` candidates (their utilities twice,
/// their multiplicity twice and their sort order) and sorts them, once per issue. Enumerating a
/// non-additive space tests every outcome against every hyper-rectangle.
pub fn rational_budget(problem: &Problem, options: &FrontierOptions) -> (usize, f64) {
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

//! `parley analyze`, `parley frontier` and `parley plot` on GENIUS folders.

use std::io::Write;
use std::time::Instant;
use std::path::Path;

use anyhow::{Context, Result};
use parley_analysis::frontier::{Frontier, FrontierOptions, Point, frontier};
use parley_analysis::genius::{self, GeniusFile, LoadOptions};
use parley_analysis::rational::count_rational;
use parley_analysis::solutions::{Solutions, solve};
use parley_analysis::space::{Label, Problem};
use serde::Serialize;

use crate::BadInput;

/// A problem read from disk, with what is needed to report on it.
pub struct Source {
    pub name: String,
    pub problem: Problem,
    pub warnings: Vec<String>,
    /// Seconds spent reading and parsing the files.
    pub load_seconds: f64,
}

/// Reads a GENIUS folder: the one domain file and the profiles in file-name order (or as named).
pub fn load_genius_folder(folder: &Path, parties: Option<&[String]>) -> Result<Source> {
    let started = Instant::now();
    let mut files = Vec::new();
    let entries = std::fs::read_dir(folder).map_err(|error| BadInput(format!("cannot read {}: {error}", folder.display())))?;
    for entry in entries {
        let path = entry.map_err(|error| BadInput(format!("cannot read {}: {error}", folder.display())))?.path();
        if !path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("xml")) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|error| BadInput(format!("cannot read {}: {error}", path.display())))?;
        let text = String::from_utf8(bytes).map_err(|error| {
            BadInput(format!("{}: not UTF-8 text (invalid byte at offset {})", path.display(), error.utf8_error().valid_up_to()))
        })?;
        files.push(GeniusFile::new(path.display().to_string(), text));
    }
    let loaded = genius::load_folder(&folder.display().to_string(), files, parties, &LoadOptions::default())
        .map_err(|error| BadInput(error.to_string()))?;
    Ok(Source { name: loaded.domain_name, problem: loaded.problem, warnings: loaded.warnings, load_seconds: started.elapsed().as_secs_f64() })
}

#[derive(Serialize)]
struct SolutionJson {
    utilities: Vec<f64>,
    outcome: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct AnalysisJson<'a> {
    domain: &'a str,
    parties: Vec<&'a str>,
    issues: Vec<IssueJson<'a>>,
    n_outcomes: String,
    frontier_size: usize,
    reservation: Vec<f64>,
    disagreement: &'a [f64],
    ideal: &'a Option<Vec<f64>>,
    rational_outcomes: Option<String>,
    rational_frontier_points: usize,
    solutions: SolutionsJson,
    warnings: &'a [String],
    timings: Timings,
}

/// Seconds spent on each step, measured in the process.
#[derive(Clone, Copy, Serialize)]
pub struct Timings {
    pub load_s: f64,
    pub frontier_s: f64,
    pub solutions_s: f64,
    /// Frontier plus the four solutions: the work NegMAS's `pareto_frontier` and `*_points` do.
    pub frontier_and_solutions_s: f64,
    pub rational_count_s: f64,
}

#[derive(Serialize)]
struct IssueJson<'a> {
    name: &'a str,
    values: usize,
}

#[derive(Serialize)]
struct SolutionsJson {
    nash: Option<SolutionJson>,
    kalai_smorodinsky: Option<SolutionJson>,
    egalitarian: Option<SolutionJson>,
    utilitarian: Option<SolutionJson>,
}

fn label_json(label: &Label) -> serde_json::Value {
    serde_json::to_value(label).unwrap_or(serde_json::Value::Null)
}

fn solution_json(problem: &Problem, point: &Option<Point>) -> Option<SolutionJson> {
    point.as_ref().map(|point| SolutionJson {
        utilities: point.utilities.clone(),
        outcome: problem.space.describe(&point.outcome).into_iter().map(|(issue, label)| (issue, label_json(&label))).collect(),
    })
}

/// Everything `analyze` computes.
pub struct Analysis {
    pub frontier: Frontier,
    pub solutions: Solutions,
    pub rational: Option<parley_analysis::space::Count>,
    pub timings: Timings,
}

pub fn analyse(problem: &Problem, load_seconds: f64) -> Result<Analysis> {
    let started = Instant::now();
    let frontier = frontier(problem, &FrontierOptions::default()).map_err(|error| BadInput(error.to_string()))?;
    let frontier_s = started.elapsed().as_secs_f64();
    let solutions = solve(&frontier, &problem.reservations());
    let frontier_and_solutions_s = started.elapsed().as_secs_f64();
    let counting = Instant::now();
    let rational = count_rational(problem, 2_000_000, 50_000_000.0);
    let timings = Timings {
        load_s: load_seconds,
        frontier_s,
        solutions_s: frontier_and_solutions_s - frontier_s,
        frontier_and_solutions_s,
        rational_count_s: counting.elapsed().as_secs_f64(),
    };
    Ok(Analysis { frontier, solutions, rational, timings })
}

pub fn analyze_command(source: &Source, json: bool, out: &mut dyn Write) -> Result<()> {
    for warning in &source.warnings {
        eprintln!("warning: {warning}");
    }
    let problem = &source.problem;
    let analysis = analyse(problem, source.load_seconds)?;
    if json {
        let report = AnalysisJson {
            domain: &source.name,
            parties: problem.parties.iter().map(|party| party.name.as_str()).collect(),
            issues: problem.space.issues.iter().map(|issue| IssueJson { name: &issue.name, values: issue.values.len() }).collect(),
            n_outcomes: problem.space.count().to_string(),
            frontier_size: analysis.frontier.points.len(),
            reservation: problem.reservations(),
            disagreement: &analysis.solutions.disagreement,
            ideal: &analysis.solutions.ideal,
            rational_outcomes: analysis.rational.as_ref().map(ToString::to_string),
            rational_frontier_points: analysis.solutions.rational_frontier_points,
            solutions: SolutionsJson {
                nash: solution_json(problem, &analysis.solutions.nash),
                kalai_smorodinsky: solution_json(problem, &analysis.solutions.kalai_smorodinsky),
                egalitarian: solution_json(problem, &analysis.solutions.egalitarian),
                utilitarian: solution_json(problem, &analysis.solutions.utilitarian),
            },
            warnings: &source.warnings,
            timings: analysis.timings,
        };
        let mut text = serde_json::to_string_pretty(&report).context("encoding the analysis")?;
        text.push('\n');
        out.write_all(text.as_bytes())?;
        return Ok(());
    }
    let names: Vec<&str> = problem.parties.iter().map(|party| party.name.as_str()).collect();
    writeln!(out, "{} — {} parties: {}", source.name, names.len(), names.join(", "))?;
    writeln!(out, "Issues: {}, outcomes: {}", problem.space.issues.len(), problem.space.count())?;
    let reservations: Vec<String> = problem.reservations().iter().map(|value| format!("{value:.4}")).collect();
    writeln!(out, "Reservation values (disagreement point): {}", reservations.join(", "))?;
    match &analysis.rational {
        Some(count) => writeln!(out, "Rational outcomes: {count}")?,
        None => writeln!(out, "Rational outcomes: not counted (too many distinct partial utilities)")?,
    }
    writeln!(
        out,
        "Pareto frontier: {} points, {} of them rational",
        analysis.frontier.points.len(),
        analysis.solutions.rational_frontier_points
    )?;
    if let Some(ideal) = &analysis.solutions.ideal {
        let ideal: Vec<String> = ideal.iter().map(|value| format!("{value:.4}")).collect();
        writeln!(out, "Ideal point: ({})", ideal.join(", "))?;
    }
    writeln!(out)?;
    for (title, point) in [
        ("Nash", &analysis.solutions.nash),
        ("Kalai–Smorodinsky", &analysis.solutions.kalai_smorodinsky),
        ("Egalitarian", &analysis.solutions.egalitarian),
        ("Utilitarian", &analysis.solutions.utilitarian),
    ] {
        match point {
            None => writeln!(out, "{title}: none (no outcome is rational for every party)")?,
            Some(point) => {
                let utilities: Vec<String> = point.utilities.iter().map(|value| format!("{value:.4}")).collect();
                writeln!(out, "{title}: ({})", utilities.join(", "))?;
                let values: Vec<String> =
                    problem.space.describe(&point.outcome).into_iter().map(|(issue, label)| format!("{issue} = {label}")).collect();
                writeln!(out, "    {}", values.join("; "))?;
            }
        }
    }
    Ok(())
}

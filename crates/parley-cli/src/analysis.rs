//! `parley analyze`, `parley frontier` and `parley plot` on GENIUS folders.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use parley_analysis::frontier::Point;
use parley_analysis::genius;
use parley_analysis::space::Problem;
use serde::Serialize;

use parley_service::{GeniusSource, ProblemSource, Timings};

use crate::BadInput;
use crate::output::{counted, write_json};

use parley_service::SolutionReport as SolutionJson;

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

fn solution_json(problem: &Problem, point: &Option<Point>) -> Option<SolutionJson> {
    point.as_ref().map(|point| parley_service::solution_report(problem, point))
}

pub fn analyze_command(source: &GeniusSource, json: bool, out: &mut dyn Write) -> Result<()> {
    for warning in &source.warnings {
        to_stderr!(line "warning: {warning}");
    }
    let problem = &source.problem;
    let analysis = parley_service::analyse_problem(problem, source.load_seconds, &crate::limits::frontier_options())?;
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
        return write_json(out, &report);
    }
    let names: Vec<&str> = problem.parties.iter().map(|party| party.name.as_str()).collect();
    writeln!(out, "{} — {}: {}", source.name, counted(names.len(), "party", "parties"), names.join(", "))?;
    writeln!(out, "Issues: {}, outcomes: {}", problem.space.issues.len(), problem.space.count())?;
    let reservations: Vec<String> = problem.reservations().iter().map(|value| format!("{value:.4}")).collect();
    writeln!(out, "Reservation values (disagreement point): {}", reservations.join(", "))?;
    match &analysis.rational {
        Some(count) => writeln!(out, "Rational outcomes: {count}")?,
        None => writeln!(out, "Rational outcomes: not counted (too many distinct partial utilities)")?,
    }
    writeln!(
        out,
        "Pareto frontier: {}, {} rational",
        counted(analysis.frontier.points.len(), "point", "points"),
        match (analysis.frontier.points.len(), analysis.solutions.rational_frontier_points) {
            (1, 1) => "it is".to_owned(),
            (1, _) => "it is not".to_owned(),
            (_, 0) => "none of them".to_owned(),
            (_, rational) => format!("{rational} of them"),
        }
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

/// `parley analyze` on a scenario file.
pub fn scenario_command(
    negotiation: &parley_core::model::Negotiation,
    as_of: &str,
    viewer: &parley_core::visibility::Viewer,
    parties: Option<Vec<String>>,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    use parley_analysis::scenario::Zone;
    let mut analysis = parley_service::analysis(negotiation, as_of, viewer, parties, crate::limits::frontier_options())?;
    parley_service::hint_frontier_budget(&mut analysis.warnings, parley_service::FrontEnd::CommandLine);
    for warning in &analysis.warnings {
        to_stderr!(line "warning: {warning}");
    }
    if json {
        return write_json(out, &analysis);
    }
    writeln!(out, "{} — analysis as of {} for viewer {}", analysis.negotiation, analysis.as_of.label, analysis.viewer)?;
    writeln!(out, "Open issues: {}", if analysis.open_issues.is_empty() { "none".to_owned() } else { analysis.open_issues.join(", ") })?;
    if !analysis.fixed.is_empty() {
        let fixed: Vec<String> = analysis.fixed.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
        writeln!(out, "Agreed: {}", fixed.join(", "))?;
    }
    if !analysis.unsettled_issues.is_empty() {
        writeln!(out, "Named by red lines, settled by no item: {}", analysis.unsettled_issues.join(", "))?;
    }
    writeln!(out)?;
    let findings = &analysis.red_lines;
    let verdict = match findings.all_can_hold {
        Some(true) => "yes: some deal satisfies every red line",
        Some(false) => "NO: no deal satisfies every red line",
        None => "undetermined (the decision ran out of its budget; see the warnings)",
    };
    match findings.considered {
        0 => writeln!(out, "Red lines in force: none")?,
        1 => writeln!(out, "Can the one red line in force hold? {verdict}")?,
        count => writeln!(out, "Can all {count} red lines hold together? {verdict}")?,
    }
    for conflict in &findings.conflicts {
        writeln!(out, "  - {}", conflict.explanation)?;
        for red_line in &conflict.red_lines {
            if let (Some(id), Some(expression)) = (&red_line.id, &red_line.expression) {
                writeln!(out, "      {} {id}: {expression}", red_line.party)?;
            }
        }
    }
    if !analysis.zopa.is_empty() {
        writeln!(out)?;
        writeln!(out, "Zones of agreement:")?;
        for zone in &analysis.zopa {
            let marker = match zone.zone {
                Zone::Interval { .. } => "  ",
                Zone::None { .. } => "✗ ",
            };
            writeln!(out, "  {marker}{}", zone.explanation)?;
            for range in &zone.parties {
                writeln!(out, "       {}: {}", range.party, range.values)?;
            }
            for position in &zone.positions {
                writeln!(out, "       {} demands {}", position.party, position.demand)?;
            }
        }
    }
    if let Some(bargaining) = &analysis.bargaining {
        writeln!(out)?;
        writeln!(
            out,
            "Bargaining over the open issues ({} {}, parties {}): frontier of {}",
            // A count of any size, as text.
            bargaining.n_outcomes,
            if bargaining.n_outcomes == "1" { "outcome" } else { "outcomes" },
            bargaining.parties.join(", "),
            counted(bargaining.frontier_size, "point", "points")
        )?;
        if bargaining.feasible_only {
            writeln!(
                out,
                "  (over the outcomes the signatories' {} {})",
                counted(bargaining.red_lines_applied, "red line", "red lines"),
                if bargaining.red_lines_applied == 1 { "allows" } else { "allow" }
            )?;
        }
        for solution in &bargaining.solutions {
            match &solution.utilities {
                None => writeln!(out, "  {}: none (no outcome is rational for every party)", solution.name)?,
                Some(utilities) => {
                    let utilities: Vec<String> = utilities.iter().map(|value| format!("{value:.3}")).collect();
                    let values: Vec<String> = solution.outcome.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
                    writeln!(out, "  {}: ({}) {}", solution.name, utilities.join(", "), values.join("; "))?;
                    if !solution.breaks.is_empty() {
                        writeln!(out, "      breaks red lines: {}", solution.breaks.join(", "))?;
                    }
                }
            }
        }
    }
    if let Some(proposal) = &analysis.proposal {
        writeln!(out)?;
        writeln!(out, "The current proposal:")?;
        let values: Vec<String> = proposal.values.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
        writeln!(out, "  {}", values.join("; "))?;
        if !proposal.missing.is_empty() {
            writeln!(out, "  no proposed value for: {}", proposal.missing.join(", "))?;
        }
        if let Some(reason) = &proposal.not_evaluated {
            writeln!(out, "  Not evaluated: {reason}.")?;
        }
        if !proposal.breaks.is_empty() {
            writeln!(out, "  It breaks red lines: {}", proposal.breaks.join(", "))?;
        }
        for evaluation in &proposal.utilities {
            let share = evaluation.surplus_share.map(|share| format!(", {:.0}% of the surplus", share * 100.0)).unwrap_or_default();
            writeln!(out, "  {}: utility {:.3} (reservation {:.3}{share})", evaluation.party, evaluation.utility, evaluation.reservation)?;
        }
        match proposal.on_frontier {
            Some(true) => writeln!(out, "  It is Pareto-optimal.")?,
            Some(false) => {
                writeln!(out, "  It is NOT Pareto-optimal.")?;
                if let Some(improvement) = &proposal.improvement {
                    let utilities: Vec<String> = improvement.utilities.iter().flatten().map(|value| format!("{value:.3}")).collect();
                    let values: Vec<String> = improvement.outcome.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
                    writeln!(out, "  A Pareto improvement (no party worse off) gives ({}): {}", utilities.join(", "), values.join("; "))?;
                }
            }
            None => {}
        }
        writeln!(out, "  Skew: {}", proposal.summary)?;
        for skew in &proposal.skew {
            let matched = if skew.matches.is_empty() { "no one".to_owned() } else { skew.matches.join(", ") };
            let agreed = if skew.agreed { " (agreed)" } else { "" };
            writeln!(out, "    {} = {}{agreed}: matches {matched}", skew.issue, skew.proposed)?;
        }
    }
    Ok(())
}

pub fn load_problem(path: Option<&Path>, as_of: &str, viewer: &str, parties: Option<Vec<String>>) -> Result<ProblemSource> {
    if let Some(path) = path.filter(|path| path.is_dir()) {
        let source = load_genius_folder(path, parties.as_deref())?;
        for warning in &source.warnings {
            to_stderr!(line "warning: {warning}");
        }
        return Ok(ProblemSource::genius(source.name, source.problem));
    }
    let negotiation = crate::input::load(path)?;
    scenario_problem(&negotiation, as_of, viewer, parties)
}

/// The bargaining problem of a scenario as of a point, for a viewer, its warnings printed.
pub fn scenario_problem(
    negotiation: &parley_core::model::Negotiation,
    as_of: &str,
    viewer: &str,
    parties: Option<Vec<String>>,
) -> Result<ProblemSource> {
    let (source, warnings) = parley_service::scenario_problem(negotiation, as_of, viewer, parties)?;
    for warning in &warnings {
        to_stderr!(line "warning: {warning}");
    }
    Ok(source)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontierFormat {
    Table,
    Csv,
    Json,
}

pub fn frontier_command(source: &ProblemSource, format: FrontierFormat, out: &mut dyn Write) -> Result<()> {
    let problem = &source.problem;
    let frontier = source.frontier(&crate::limits::frontier_options())?;
    let names: Vec<&str> = problem.parties.iter().map(|party| party.name.as_str()).collect();
    match format {
        FrontierFormat::Json => {
            write_json(out, &parley_service::frontier_report(source, &frontier))?;
        }
        FrontierFormat::Csv => {
            out.write_all(parley_service::frontier_csv(problem, &frontier)?.as_bytes())?;
        }
        FrontierFormat::Table => {
            writeln!(
                out,
                "{} — Pareto frontier: {} (utilities of {})",
                source.name,
                counted(frontier.points.len(), "point", "points"),
                names.join(", ")
            )?;
            for point in &frontier.points {
                let utilities: Vec<String> = point.utilities.iter().map(|value| format!("{value:.4}")).collect();
                let values: Vec<String> =
                    problem.space.describe(&point.outcome).into_iter().map(|(issue, label)| format!("{issue} = {label}")).collect();
                writeln!(out, "({})  {}", utilities.join(", "), values.join("; "))?;
            }
        }
    }
    Ok(())
}

pub fn plot_command(source: &ProblemSource, output: &Path, out: &mut dyn Write) -> Result<()> {
    let problem = &source.problem;
    let (svg, frontier) = source.plot(&crate::limits::frontier_options())?;
    crate::files::write_output(output, svg.as_bytes())?;
    writeln!(
        out,
        "wrote {} ({}, {})",
        output.display(),
        counted(frontier.points.len(), "frontier point", "frontier points"),
        counted(problem.parties.len(), "party", "parties")
    )?;
    Ok(())
}

pub fn to_genius_command(source: &ProblemSource, directory: &Path, out: &mut dyn Write) -> Result<()> {
    if let Some(warning) = source.unconstrained_warning("GENIUS profiles cannot hold red lines; the exported domain holds") {
        to_stderr!(line "warning: {warning}");
    }
    let exported = genius::export(&source.problem, &source.name).map_err(|error| BadInput(error.to_string()))?;
    std::fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
    let domain_path = directory.join(format!("{}-domain.xml", file_stem(&source.name)));
    crate::files::write_output(&domain_path, exported.domain.as_bytes())?;
    writeln!(out, "wrote {}", domain_path.display())?;
    for (party, text) in &exported.profiles {
        let path = directory.join(format!("{}.xml", file_stem(party)));
        crate::files::write_output(&path, text.as_bytes())?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}

/// A name made safe for a file name.
fn file_stem(name: &str) -> String {
    let stem: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if stem.is_empty() { "unnamed".to_owned() } else { stem }
}

/// Reads a GENIUS folder, saying which files it skipped.
pub fn load_genius_folder(folder: &Path, parties: Option<&[String]>) -> Result<GeniusSource> {
    let source = parley_service::load_genius_folder(folder, parties)?;
    for skipped in &source.skipped {
        to_stderr!(line "warning: {skipped}");
    }
    Ok(source)
}

//! JSON reports that more than one front end prints: a frontier's points with their outcomes.

use parley_analysis::frontier::{Frontier, Point};
use parley_analysis::space::Problem;
use serde::Serialize;

use crate::ProblemSource;

/// One point of a frontier or one bargaining solution: its utilities (in the problem's party
/// order) and an outcome attaining them, issue by issue.
#[derive(Clone, Debug, Serialize)]
pub struct SolutionReport {
    /// Each party's utility.
    pub utilities: Vec<f64>,
    /// The outcome: each issue's value label.
    pub outcome: serde_json::Map<String, serde_json::Value>,
}

/// A frontier as `parley frontier --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct FrontierReport {
    /// The domain's or scenario's name.
    pub domain: String,
    /// The parties, in the order of each point's utilities.
    pub parties: Vec<String>,
    /// The frontier's points.
    pub points: Vec<SolutionReport>,
}

/// A point of `problem` as a report.
pub fn solution_report(problem: &Problem, point: &Point) -> SolutionReport {
    SolutionReport {
        utilities: point.utilities.clone(),
        outcome: problem
            .space
            .describe(&point.outcome)
            .into_iter()
            .map(|(issue, label)| (issue, serde_json::to_value(label).unwrap_or(serde_json::Value::Null)))
            .collect(),
    }
}

/// The frontier of `source` as a report.
pub fn frontier_report(source: &ProblemSource, frontier: &Frontier) -> FrontierReport {
    let problem = &source.problem;
    FrontierReport {
        domain: source.name.clone(),
        parties: problem.parties.iter().map(|party| party.name.clone()).collect(),
        points: frontier.points.iter().map(|point| solution_report(problem, point)).collect(),
    }
}

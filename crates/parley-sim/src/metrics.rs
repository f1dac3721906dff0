//! What a session achieved, measured against the problem's analysis: NegMAS's optimality
//! measures (distances to the frontier, the Nash point and the Kalai–Smorodinsky point) and each
//! agent's utility and advantage.

use parley_analysis::frontier::Frontier;
use parley_analysis::solutions::Solutions;
use serde::{Deserialize, Serialize};

/// The reference points of a problem, computed once per scenario and shared by its sessions.
#[derive(Clone, Debug)]
pub struct Reference {
    pub frontier: Frontier,
    pub solutions: Solutions,
}

/// The default is what a negotiation that never ran achieved: nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub agreement: bool,
    /// Each party's utility of the result (its reservation value without agreement).
    pub utilities: Vec<f64>,
    /// Utility minus reservation value, per party.
    pub advantages: Vec<f64>,
    pub welfare: f64,
    /// Euclidean distance in utility space to the nearest frontier point.
    pub distance_to_frontier: Option<f64>,
    pub distance_to_nash: Option<f64>,
    pub distance_to_kalai_smorodinsky: Option<f64>,
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

pub fn measure(utilities: Vec<f64>, agreement: bool, reservations: &[f64], reference: Option<&Reference>) -> Metrics {
    let advantages = utilities.iter().zip(reservations).map(|(u, d)| u - d).collect();
    let welfare = utilities.iter().sum();
    let (distance_to_frontier, distance_to_nash, distance_to_kalai_smorodinsky) = match reference {
        Some(reference) => (
            reference.frontier.points.iter().map(|point| distance(&point.utilities, &utilities)).min_by(f64::total_cmp),
            reference.solutions.nash.as_ref().map(|point| distance(&point.utilities, &utilities)),
            reference.solutions.kalai_smorodinsky.as_ref().map(|point| distance(&point.utilities, &utilities)),
        ),
        None => (None, None, None),
    };
    Metrics { agreement, utilities, advantages, welfare, distance_to_frontier, distance_to_nash, distance_to_kalai_smorodinsky }
}

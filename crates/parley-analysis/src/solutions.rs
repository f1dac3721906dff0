//! Bargaining solutions over the frontier (`docs/genius-format.md`, "The analysis contract").
//!
//! With reservation values `d` (the disagreement point) and rational outcomes `u ≥ d`:
//! Nash maximises `Π (u_i − d_i)`; Kalai–Smorodinsky maximises `min_i (u_i − d_i)/(ideal_i − d_i)`
//! where `ideal_i` is the best `u_i` among rational outcomes (a party whose ideal equals its
//! reservation counts as fully satisfied, ratio 1); egalitarian maximises `min_i (u_i − d_i)`;
//! utilitarian maximises `Σ u_i`. Ties go to the larger `Σ u_i`, then to the lexicographically
//! larger utility vector. Each optimum is attained on the frontier — an outcome dominating another
//! is at least as good for every criterion and wins its ties — so only frontier points are scanned.

use serde::Serialize;

use crate::frontier::{Frontier, Point};

/// The solutions of a problem, each `None` when no outcome is rational.
#[derive(Clone, Debug, Serialize)]
pub struct Solutions {
    pub nash: Option<Point>,
    pub kalai_smorodinsky: Option<Point>,
    pub egalitarian: Option<Point>,
    pub utilitarian: Option<Point>,
    /// Each party's best utility among rational outcomes (`None` when none is rational).
    pub ideal: Option<Vec<f64>>,
    pub disagreement: Vec<f64>,
    /// Frontier points that are rational.
    pub rational_frontier_points: usize,
}

pub fn solve(frontier: &Frontier, reservations: &[f64]) -> Solutions {
    let rational: Vec<&Point> =
        frontier.points.iter().filter(|point| point.utilities.iter().zip(reservations).all(|(u, d)| u >= d)).collect();
    let ideal = (!rational.is_empty()).then(|| {
        (0..reservations.len())
            .map(|party| rational.iter().map(|point| point.utilities[party]).fold(f64::NEG_INFINITY, f64::max))
            .collect::<Vec<f64>>()
    });
    let gains = |point: &Point| -> Vec<f64> { point.utilities.iter().zip(reservations).map(|(u, d)| u - d).collect() };
    let best = |score: &dyn Fn(&Point) -> f64| -> Option<Point> {
        let mut best: Option<(&Point, f64, f64)> = None;
        for &point in &rational {
            let value = score(point);
            let sum: f64 = point.utilities.iter().sum();
            let better = match best {
                None => true,
                Some((incumbent, best_value, best_sum)) => {
                    value > best_value
                        || (value == best_value && sum > best_sum)
                        || (value == best_value && sum == best_sum && lexicographically_greater(&point.utilities, &incumbent.utilities))
                }
            };
            if better {
                best = Some((point, value, sum));
            }
        }
        best.map(|(point, _, _)| point.clone())
    };
    let nash = best(&|point| gains(point).iter().product());
    let egalitarian = best(&|point| gains(point).iter().copied().fold(f64::INFINITY, f64::min));
    let utilitarian = best(&|point| point.utilities.iter().sum());
    let kalai_smorodinsky = match &ideal {
        Some(ideal) => best(&|point| {
            point
                .utilities
                .iter()
                .zip(reservations)
                .zip(ideal)
                .map(|((u, d), top)| if top > d { (u - d) / (top - d) } else { 1.0 })
                .fold(f64::INFINITY, f64::min)
        }),
        None => None,
    };
    Solutions {
        nash,
        kalai_smorodinsky,
        egalitarian,
        utilitarian,
        ideal,
        disagreement: reservations.to_vec(),
        rational_frontier_points: rational.len(),
    }
}

fn lexicographically_greater(a: &[f64], b: &[f64]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return true;
        }
        if x < y {
            return false;
        }
    }
    false
}

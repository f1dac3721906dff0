//! Frontier kernels. Run with `cargo bench -p parley-analysis`.
//!
//! `thirty_issues_two_parties` is the headline: 30 issues of 4 values (about 1.15e18 outcomes),
//! solved exactly. The others measure random additive domains of the sizes NegMAS handles.

use parley_analysis::frontier::{FrontierOptions, frontier};
use parley_analysis::solutions::solve;
use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};

fn main() {
    divan::main();
}

/// A deterministic random additive problem with GENIUS-like weights (summing to 1) and
/// evaluations (best value 1).
pub fn random_problem(issues: usize, values: usize, parties: usize, seed: u64) -> Problem {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let space = OutcomeSpace {
        issues: (0..issues)
            .map(|issue| IssueSpace { name: format!("issue{issue}"), values: (0..values as i64).map(Label::Integer).collect() })
            .collect(),
    };
    let parties = (0..parties)
        .map(|party| {
            let weights: Vec<f64> = (0..issues).map(|_| next() + 0.05).collect();
            let total: f64 = weights.iter().sum();
            let tables = weights
                .iter()
                .map(|weight| {
                    let raw: Vec<f64> = (0..values).map(|_| next()).collect();
                    let best = raw.iter().copied().fold(0.0, f64::max);
                    raw.iter().map(|value| weight / total * value / best).collect()
                })
                .collect();
            Party { name: format!("p{party}"), utility: Utility::Additive(Additive { tables }), reservation: 0.0, discount: None }
        })
        .collect();
    Problem { space, parties }
}

fn solve_all(problem: &Problem) -> usize {
    let frontier = frontier(problem, &FrontierOptions::default()).expect("solved");
    let solutions = solve(&frontier, &problem.reservations());
    frontier.points.len() + usize::from(solutions.nash.is_some())
}

#[divan::bench(sample_count = 10)]
fn thirty_issues_two_parties(bencher: divan::Bencher<'_, '_>) {
    let problem = random_problem(30, 4, 2, 7);
    bencher.bench(|| solve_all(divan::black_box(&problem)));
}

#[divan::bench(args = [(5, 10), (6, 10), (8, 5)], sample_count = 20)]
fn two_parties(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = random_problem(issues, values, 2, 11);
    bencher.bench(|| solve_all(divan::black_box(&problem)));
}

#[divan::bench(args = [(5, 10), (6, 10), (8, 5)], sample_count = 10)]
fn three_parties(bencher: divan::Bencher<'_, '_>, (issues, values): (usize, usize)) {
    let problem = random_problem(issues, values, 3, 13);
    bencher.bench(|| solve_all(divan::black_box(&problem)));
}

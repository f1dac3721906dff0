//! Exact Pareto frontiers.
//!
//! **Additive utilities** are never enumerated. Issues are combined one at a time: the partial
//! utility vectors of the first `k` issues are extended by every value of issue `k + 1`, and every
//! partial vector that another weakly dominates is dropped. This is exact: if partial `a` is
//! dominated by partial `b`, every completion of `a` is dominated by (or equal to) the same
//! completion of `b`, because floating-point addition is monotone. Partial sums are formed in issue
//! order, exactly as [`Utility::evaluate`](crate::space::Utility::evaluate) forms them, so the
//! frontier holds bit-identical utilities to a brute-force enumeration. Spaces of 1e18 outcomes and
//! beyond are solved in milliseconds when their frontiers are moderate.
//!
//! **Other utilities** (hyper-rectangle profiles) are enumerated in a stream with bounded memory:
//! outcomes are generated in batches and merged into the running frontier. Spaces above
//! [`FrontierOptions::max_enumerated`] are refused with a size estimate rather than attempted.
//!
//! The frontier counts distinct utility vectors; each carries one outcome that attains it.

use std::cmp::Ordering;

use serde::Serialize;

use crate::space::{Outcome, Problem};

#[derive(Clone, Debug)]
pub struct FrontierOptions {
    /// Refuse when the intermediate candidate set of one combination step would exceed this.
    pub max_candidates: usize,
    /// Refuse to enumerate non-additive problems with more outcomes than this.
    pub max_enumerated: f64,
    /// Refuse a combination step whose estimated memory (its candidates at
    /// [`bytes_per_candidate`] each, plus what earlier steps keep) exceeds this many bytes.
    pub max_memory: u64,
    /// Stop with an error once this many comparisons have been made (sorting each step's
    /// candidates, `n log n`, and the dominance checks of more than two parties, quadratic in the
    /// frontier's size, one per party's utility), and refuse to enumerate more outcomes ×
    /// hyper-rectangles than this.
    pub max_work: u64,
}

impl Default for FrontierOptions {
    fn default() -> FrontierOptions {
        FrontierOptions {
            max_candidates: 40_000_000,
            max_enumerated: 50_000_000.0,
            max_memory: DEFAULT_MAX_MEMORY,
            max_work: DEFAULT_MAX_WORK,
        }
    }
}

/// The default of [`FrontierOptions::max_memory`]: 1 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

/// The default of [`FrontierOptions::max_work`]: a few seconds of work.
pub const DEFAULT_MAX_WORK: u64 = 1_000_000_000;

/// The bytes one candidate of a combination step may take: its utilities and origin, its place in
/// the sort order and its sum, and (if kept) its copy in the next step.
pub fn bytes_per_candidate(parties: usize) -> u64 {
    2 * 8 * parties as u64 + 32
}

/// The comparisons and hyper-rectangle tests enumerating a non-additive problem takes: every
/// outcome is tested against every party's rectangles.
pub fn enumeration_work(problem: &Problem) -> f64 {
    let tests: usize = problem
        .parties
        .iter()
        .map(|party| match &party.utility {
            crate::space::Utility::Rectangles(rectangles) => rectangles.rectangles.len().max(1),
            crate::space::Utility::Additive(additive) => additive.tables.len().max(1),
        })
        .sum();
    problem.space.count().approximate() * tests.max(1) as f64
}

/// A point of the frontier: a utility vector and one outcome attaining it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub utilities: Vec<f64>,
    pub outcome: Outcome,
}

/// The Pareto frontier, sorted by the first party's utility, descending (then the next, ...).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Frontier {
    pub points: Vec<Point>,
}

/// Why an exact frontier was not computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FrontierError {
    #[error(
        "the exact frontier is out of reach: combining issue {issue} of {issues} would examine {candidates} partial outcomes (limit {limit}); the outcome space has about {outcomes:.3e} outcomes"
    )]
    TooManyCandidates { issue: usize, issues: usize, candidates: usize, limit: usize, outcomes: f64 },
    #[error(
        "the exact frontier is out of reach: non-additive utilities must be enumerated and the space has about {outcomes:.3e} outcomes (limit {limit:.0e}); consider fewer issues or additive profiles"
    )]
    TooManyOutcomes { outcomes: f64, limit: f64 },
    #[error("no parties: a frontier needs at least one utility function")]
    NoParties,
    #[error(
        "the exact frontier is out of reach: combining issue {issue} of {issues} would hold {candidates} partial outcomes, about {bytes} bytes (limit {limit} bytes)"
    )]
    TooMuchMemory { issue: usize, issues: usize, candidates: usize, bytes: u64, limit: u64 },
    #[error("the exact frontier is out of reach: it needs more than {limit} comparisons or hyper-rectangle tests{}", estimated(*.work))]
    TooMuchWork {
        /// The estimate, when the work was estimated before it began (`None`: the budget ran out).
        work: Option<f64>,
        limit: u64,
    },
}

/// Computes the exact frontier of a problem.
pub fn frontier(problem: &Problem, options: &FrontierOptions) -> Result<Frontier, FrontierError> {
    if problem.parties.is_empty() {
        return Err(FrontierError::NoParties);
    }
    if problem.is_additive() { additive_frontier(problem, options) } else { enumerated_frontier(problem, options) }
}

/// A set of utility vectors stored flat, `width` numbers each.
#[derive(Clone, Debug, Default)]
struct Vectors {
    width: usize,
    values: Vec<f64>,
}

impl Vectors {
    fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    fn get(&self, index: usize) -> &[f64] {
        &self.values[index * self.width..(index + 1) * self.width]
    }
}

/// `a` weakly dominates `b`: at least as good for everyone (equal vectors included).
fn covers(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y)
}

fn descending(a: &[f64], b: &[f64]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match y.total_cmp(x) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

/// Indices of the non-dominated vectors among `candidates`, one per distinct vector, in descending
/// lexicographic order.
fn non_dominated(candidates: &Vectors, budget: &mut u64) -> Result<Vec<usize>, ()> {
    let count = candidates.len();
    let mut order: Vec<usize> = (0..count).collect();
    if candidates.width == 2 {
        // Two parties: sort by the first utility (then the second) descending; a point survives when
        // its second utility beats everything before it.
        order.sort_unstable_by(|&a, &b| descending(candidates.get(a), candidates.get(b)));
        let mut kept = Vec::new();
        let mut best_second = f64::NEG_INFINITY;
        for index in order {
            let second = candidates.get(index)[1];
            if second > best_second {
                best_second = second;
                kept.push(index);
            }
        }
        return Ok(kept);
    }
    // Any number of parties: sort by the sum descending (a dominating vector has a sum at least
    // as large, and ties are broken lexicographically so a dominator comes first), then keep a
    // point when nothing kept covers it.
    let sums: Vec<f64> = (0..count).map(|index| candidates.get(index).iter().sum()).collect();
    order.sort_unstable_by(|&a, &b| sums[b].total_cmp(&sums[a]).then_with(|| descending(candidates.get(a), candidates.get(b))));
    let mut kept: Vec<usize> = Vec::new();
    for index in order {
        // Each point is compared with at most every point kept so far, one utility per party.
        *budget = budget.checked_sub((kept.len() * candidates.width) as u64).ok_or(())?;
        let point = candidates.get(index);
        if !kept.iter().any(|&other| covers(candidates.get(other), point)) {
            kept.push(index);
        }
    }
    kept.sort_unstable_by(|&a, &b| descending(candidates.get(a), candidates.get(b)));
    Ok(kept)
}

fn additive_frontier(problem: &Problem, options: &FrontierOptions) -> Result<Frontier, FrontierError> {
    let parties = problem.parties.len();
    let tables: Vec<&Vec<Vec<f64>>> =
        problem.parties.iter().map(|party| &party.utility.as_additive().expect("checked additive").tables).collect();
    let issues = problem.space.issues.len();
    // One level per issue: for each kept partial vector, (index of its parent in the previous
    // level, value chosen for this issue).
    let mut levels: Vec<Vec<(u32, u32)>> = Vec::with_capacity(issues);
    let mut current = Vectors { width: parties, values: vec![0.0; parties] };
    let mut budget = options.max_work;
    for issue in 0..issues {
        let values = problem.space.issues[issue].values.len();
        let candidates_count = current.len() * values;
        if candidates_count > options.max_candidates {
            return Err(FrontierError::TooManyCandidates {
                issue: issue + 1,
                issues,
                candidates: candidates_count,
                limit: options.max_candidates,
                outcomes: problem.space.count().approximate(),
            });
        }
        let retained: u64 = levels.iter().map(|level| 8 * level.len() as u64).sum::<u64>() + 8 * current.values.len() as u64;
        let bytes = (candidates_count as u64).saturating_mul(bytes_per_candidate(parties)).saturating_add(retained);
        if bytes > options.max_memory {
            return Err(FrontierError::TooMuchMemory {
                issue: issue + 1,
                issues,
                candidates: candidates_count,
                bytes,
                limit: options.max_memory,
            });
        }
        let mut candidates = Vectors { width: parties, values: Vec::with_capacity(candidates_count * parties) };
        let mut origins: Vec<(u32, u32)> = Vec::with_capacity(candidates_count);
        for parent in 0..current.len() {
            let partial = current.get(parent);
            for value in 0..values {
                for party in 0..parties {
                    candidates.values.push(partial[party] + tables[party][issue][value]);
                }
                origins.push((parent as u32, value as u32));
            }
        }
        // Sorting the candidates is work too: about n log n comparisons.
        let sorting = candidates_count as u64 * u64::from(usize::BITS - candidates_count.leading_zeros());
        budget = budget.checked_sub(sorting).ok_or_else(|| too_much_work(options))?;
        let kept = non_dominated(&candidates, &mut budget).map_err(|()| too_much_work(options))?;
        let mut next = Vectors { width: parties, values: Vec::with_capacity(kept.len() * parties) };
        let mut level = Vec::with_capacity(kept.len());
        for index in kept {
            next.values.extend_from_slice(candidates.get(index));
            level.push(origins[index]);
        }
        levels.push(level);
        current = next;
    }
    // Walk the back-pointers to recover one outcome per point.
    let points = (0..current.len())
        .map(|index| {
            let mut outcome = vec![0u32; issues];
            let mut at = index;
            for issue in (0..issues).rev() {
                let (parent, value) = levels[issue][at];
                outcome[issue] = value;
                at = parent as usize;
            }
            Point { utilities: current.get(index).to_vec(), outcome }
        })
        .collect();
    Ok(Frontier { points })
}

/// Calls `visit` with every outcome of the space, in odometer order (last issue fastest).
pub fn for_each_outcome(problem: &Problem, visit: &mut dyn FnMut(&[u32])) {
    let sizes: Vec<u32> = problem.space.issues.iter().map(|issue| issue.values.len() as u32).collect();
    if sizes.contains(&0) {
        return;
    }
    let mut outcome = vec![0u32; sizes.len()];
    loop {
        visit(&outcome);
        let mut position = sizes.len();
        loop {
            if position == 0 {
                return;
            }
            position -= 1;
            outcome[position] += 1;
            if outcome[position] < sizes[position] {
                break;
            }
            outcome[position] = 0;
        }
    }
}

/// Streams every outcome through a bounded buffer merged into the running frontier.
fn enumerated_frontier(problem: &Problem, options: &FrontierOptions) -> Result<Frontier, FrontierError> {
    let outcomes = problem.space.count().approximate();
    if outcomes > options.max_enumerated {
        return Err(FrontierError::TooManyOutcomes { outcomes, limit: options.max_enumerated });
    }
    // Every outcome is tested against every rectangle: their count is work too.
    let work = enumeration_work(problem);
    if work > options.max_work as f64 {
        return Err(FrontierError::TooMuchWork { work: Some(work), limit: options.max_work });
    }
    let mut budget = options.max_work;
    let parties = problem.parties.len();
    const BATCH: usize = 1 << 18;
    let mut frontier = Vectors { width: parties, values: Vec::new() };
    let mut frontier_outcomes: Vec<Outcome> = Vec::new();
    let mut batch = Vectors { width: parties, values: Vec::with_capacity(BATCH * parties) };
    let mut batch_outcomes: Vec<Outcome> = Vec::with_capacity(BATCH);
    let mut exhausted = false;
    let mut merge =
        |batch: &mut Vectors, batch_outcomes: &mut Vec<Outcome>, frontier: &mut Vectors, frontier_outcomes: &mut Vec<Outcome>| {
            batch.values.extend_from_slice(&frontier.values);
            batch_outcomes.append(frontier_outcomes);
            let Ok(kept) = non_dominated(batch, &mut budget) else {
                exhausted = true;
                batch.values.clear();
                batch_outcomes.clear();
                return;
            };
            let mut values = Vec::with_capacity(kept.len() * parties);
            let mut outcomes = Vec::with_capacity(kept.len());
            for index in kept {
                values.extend_from_slice(batch.get(index));
                outcomes.push(std::mem::take(&mut batch_outcomes[index]));
            }
            frontier.values = values;
            *frontier_outcomes = outcomes;
            batch.values.clear();
            batch_outcomes.clear();
        };
    for_each_outcome(problem, &mut |outcome| {
        for party in &problem.parties {
            batch.values.push(party.utility.evaluate(outcome));
        }
        batch_outcomes.push(outcome.to_vec());
        if batch_outcomes.len() == BATCH {
            merge(&mut batch, &mut batch_outcomes, &mut frontier, &mut frontier_outcomes);
        }
    });
    merge(&mut batch, &mut batch_outcomes, &mut frontier, &mut frontier_outcomes);
    if exhausted {
        return Err(too_much_work(options));
    }
    let points = frontier_outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| Point { utilities: frontier.get(index).to_vec(), outcome })
        .collect();
    Ok(Frontier { points })
}

/// The frontier by brute force: every outcome evaluated, then filtered. For tests and tiny spaces.
pub fn brute_force_frontier(problem: &Problem) -> Frontier {
    let parties = problem.parties.len();
    let mut all = Vectors { width: parties, values: Vec::new() };
    let mut outcomes = Vec::new();
    for_each_outcome(problem, &mut |outcome| {
        all.values.extend(problem.utilities(outcome));
        outcomes.push(outcome.to_vec());
    });
    // Quadratic on purpose: an independent reading of the definition.
    let mut points: Vec<Point> = Vec::new();
    for index in 0..all.len() {
        let point = all.get(index);
        let dominated = (0..all.len()).any(|other| {
            let candidate = all.get(other);
            covers(candidate, point) && candidate != point
        });
        if !dominated && !points.iter().any(|kept| kept.utilities == point) {
            points.push(Point { utilities: point.to_vec(), outcome: outcomes[index].clone() });
        }
    }
    points.sort_by(|a, b| descending(&a.utilities, &b.utilities));
    Frontier { points }
}

fn too_much_work(options: &FrontierOptions) -> FrontierError {
    FrontierError::TooMuchWork { work: None, limit: options.max_work }
}

fn estimated(work: Option<f64>) -> String {
    match work {
        Some(work) => format!(" (estimated {work:.3e})"),
        None => " (it ran out of them)".to_owned(),
    }
}

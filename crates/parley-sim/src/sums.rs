//! Exact inverse utility over the distinct partial sums, for additive spaces the halves cannot
//! split.
//!
//! An additive utility is summed issue by issue from the first: after `i` issues the running total
//! is one floating-point number, and what the remaining issues add to it depends on that number
//! only. So the outcomes group by their running totals — level by level, the distinct sums, each
//! with the first and the last prefix (in listing order) reaching it — and the last level holds
//! every distinct utility exactly, to the last bit, with the first and last outcome of each. The
//! first outcome of a utility extends the first prefix of its state one level up (any outcome
//! through the same state can swap its prefix for that one), so one back pointer per state and end
//! suffices. The set-up grows with the number of distinct running totals, not with the outcomes:
//! tables on a common grid (the usual GENIUS evaluations and weights) keep it small whatever the
//! number of issues; tables of unrelated reals make it grow like the outcomes themselves, and past
//! [`STATES_LIMIT`] states a level gives up (the caller falls back).
//!
//! Queries are binary searches over the last level. The walk down through tied outcomes (the
//! k-th best) marks the states that can still reach the tied utility and descends in listing
//! order from the last.

use parley_analysis::space::{Outcome, Problem, Utility};

use crate::acceptable::Region;
use crate::halves::{Bound, Halves, Place, Want};

/// A level may hold at most this many distinct running totals (per box).
pub const STATES_LIMIT: usize = 1 << 16;

/// One level's distinct running totals, ascending.
#[derive(Debug)]
struct Level {
    sums: Vec<f64>,
    /// `(state one level up, value)` of the first and of the last prefix reaching each sum.
    first: Vec<(u32, u32)>,
    last: Vec<(u32, u32)>,
    /// Each state's first (last) prefix's rank among the level's first (last) prefixes, in
    /// listing order.
    first_rank: Vec<u32>,
    last_rank: Vec<u32>,
}

/// The running totals of one box.
#[derive(Debug)]
struct Lattice {
    allowed: Vec<Vec<u32>>,
    /// `levels[i]`: after `i` issues (`levels[0]` holds 0 alone).
    levels: Vec<Level>,
}

/// `(box, utility's bits, per level whether each state can reach it)`.
type Marks = (usize, u64, Vec<Vec<bool>>);

/// A party's additive utility over a union of boxes, by distinct running totals.
#[derive(Debug)]
pub struct Sums {
    tables: Vec<Vec<f64>>,
    sizes: Vec<u32>,
    /// Places split the issues here (as the halves would), so that each part fits 64 bits.
    at: usize,
    boxes: Vec<Lattice>,
    /// The marks of the last walk through ties: `(box, utility, reachable per level)`.
    marks: std::sync::Mutex<Option<Marks>>,
}

impl Sums {
    /// `None` when the utility is not additive, a place does not fit, or a level exceeds
    /// [`STATES_LIMIT`].
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Sums> {
        let Utility::Additive(additive) = &problem.parties[party].utility else { return None };
        let tables = additive.tables.clone();
        let sizes: Vec<u32> = tables.iter().map(|table| table.len() as u32).collect();
        if sizes.is_empty() || sizes.contains(&0) || tables.iter().flatten().any(|value| !value.is_finite()) {
            return None;
        }
        let at = sizes.len() / 2;
        let fits = |issues: &[u32]| issues.iter().try_fold(1u64, |product, &size| product.checked_mul(u64::from(size))).is_some();
        if !fits(&sizes[..at]) || !fits(&sizes[at..]) {
            return None;
        }
        let every: Vec<Vec<bool>> = sizes.iter().map(|&size| vec![true; size as usize]).collect();
        let masks: Vec<&[Vec<bool>]> = match region {
            None => vec![every.as_slice()],
            Some(region) => region.boxes().iter().map(Vec::as_slice).collect(),
        };
        if masks.is_empty() || masks.len() > 64 {
            return None;
        }
        let mut boxes = Vec::with_capacity(masks.len());
        for mask in masks {
            let allowed: Vec<Vec<u32>> =
                mask.iter().map(|values| (0..values.len() as u32).filter(|&value| values[value as usize]).collect()).collect();
            if allowed.iter().any(Vec::is_empty) {
                continue;
            }
            boxes.push(Lattice::new(&tables, allowed)?);
        }
        if boxes.is_empty() {
            return None;
        }
        Some(Sums { tables, sizes, at, boxes, marks: std::sync::Mutex::default() })
    }

    /// How many outcomes the boxes hold, when known: one box.
    pub fn count(&self) -> Option<u64> {
        match self.boxes.as_slice() {
            [lattice] => lattice.allowed.iter().try_fold(1u64, |product, values| product.checked_mul(values.len() as u64)),
            _ => None,
        }
    }

    pub fn outcome(&self, place: Place) -> Outcome {
        let mut outcome = crate::inverter::decode(place.0, &self.sizes[..self.at]);
        outcome.extend(crate::inverter::decode(place.1, &self.sizes[self.at..]));
        outcome
    }

    fn place(&self, outcome: &[u32]) -> Place {
        let index = |values: &[u32], sizes: &[u32]| {
            values.iter().zip(sizes).fold(0u64, |index, (&value, &size)| index * u64::from(size) + u64::from(value))
        };
        (index(&outcome[..self.at], &self.sizes[..self.at]), index(&outcome[self.at..], &self.sizes[self.at..]))
    }

    /// The first outcome in listing order, with its utility.
    pub fn first(&self) -> (f64, Outcome) {
        let outcome =
            self.boxes.iter().map(|lattice| lattice.allowed.iter().map(|values| values[0]).collect::<Vec<u32>>()).min().expect("a box");
        let mut total = 0.0;
        for (table, &value) in self.tables.iter().zip(&outcome) {
            total += table[value as usize];
        }
        (total, outcome)
    }

    /// As [`Halves::find`].
    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        let mut best: Option<(f64, Place)> = None;
        for lattice in &self.boxes {
            let sums = &lattice.levels[lattice.levels.len() - 1].sums;
            let from =
                low.map_or(0, |bound| sums.partition_point(|&sum| if bound.inclusive { sum < bound.value } else { sum <= bound.value }));
            let to = high.map_or(sums.len(), |bound| {
                sums.partition_point(|&sum| if bound.inclusive { sum <= bound.value } else { sum < bound.value })
            });
            if from >= to {
                continue;
            }
            let (state, last) = match want {
                Want::Lowest => (from, false),
                Want::Highest => (to - 1, false),
                Want::HighestLast => (to - 1, true),
            };
            let candidate = (sums[state], self.place(&lattice.outcome(state, last)));
            let better = match (want, best) {
                (_, None) => true,
                (Want::Lowest, Some(best)) => candidate.0 < best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
                (Want::Highest, Some(best)) => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
                (Want::HighestLast, Some(best)) => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1),
            };
            if better {
                best = Some(candidate);
            }
        }
        best
    }

    /// As [`Halves::next_down`].
    pub fn next_down(&self, (utility, place): (f64, Place)) -> Option<(f64, Place)> {
        let mut best: Option<(f64, Place)> = None;
        let target = self.outcome(place);
        for (number, lattice) in self.boxes.iter().enumerate() {
            let sums = &lattice.levels[lattice.levels.len() - 1].sums;
            let tied = sums.partition_point(|&sum| sum < utility);
            let mut candidate = None;
            if sums.get(tied) == Some(&utility) {
                let mut marks = self.marks.lock().expect("marks lock");
                let fresh = marks.as_ref().is_some_and(|(at, bits, _)| *at == number && *bits == utility.to_bits());
                if !fresh {
                    *marks = Some((number, utility.to_bits(), lattice.reaching(&self.tables, tied)));
                }
                let reach = &marks.as_ref().expect("marks").2;
                candidate = lattice.last_below(&self.tables, reach, &target).map(|outcome| (utility, self.place(&outcome)));
            }
            if candidate.is_none() && tied > 0 {
                candidate = Some((sums[tied - 1], self.place(&lattice.outcome(tied - 1, true))));
            }
            if let Some(candidate) = candidate
                && best.is_none_or(|best| candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1))
            {
                best = Some(candidate);
            }
        }
        best
    }
}

impl Lattice {
    fn new(tables: &[Vec<f64>], allowed: Vec<Vec<u32>>) -> Option<Lattice> {
        let mut levels =
            vec![Level { sums: vec![0.0], first: vec![(u32::MAX, 0)], last: vec![(u32::MAX, 0)], first_rank: vec![0], last_rank: vec![0] }];
        for (table, values) in tables.iter().zip(&allowed) {
            let level = &levels[levels.len() - 1];
            if level.sums.len() * values.len() > 4 * STATES_LIMIT {
                return None;
            }
            // Every (state, value) step, grouped by the sum it reaches.
            let mut steps: Vec<(f64, u32, u32)> = Vec::with_capacity(level.sums.len() * values.len());
            for (state, &sum) in level.sums.iter().enumerate() {
                for &value in values {
                    steps.push((sum + table[value as usize], state as u32, value));
                }
            }
            steps.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let (mut sums, mut first, mut last) = (Vec::new(), Vec::new(), Vec::new());
            let mut group = 0;
            while group < steps.len() {
                let sum = steps[group].0;
                let mut end = group + 1;
                // Equal sums (0 and -0 included) are one state: they add alike from here on.
                while end < steps.len() && steps[end].0 == sum {
                    end += 1;
                }
                let key_first = |&(_, state, value): &(f64, u32, u32)| (level.first_rank[state as usize], value);
                let key_last = |&(_, state, value): &(f64, u32, u32)| (level.last_rank[state as usize], value);
                let earliest = steps[group..end].iter().min_by_key(|step| key_first(step)).expect("a step");
                let latest = steps[group..end].iter().max_by_key(|step| key_last(step)).expect("a step");
                sums.push(sum);
                first.push((earliest.1, earliest.2));
                last.push((latest.1, latest.2));
                group = end;
            }
            if sums.len() > STATES_LIMIT {
                return None;
            }
            let rank = |pointers: &[(u32, u32)], ranks: &[u32]| -> Vec<u32> {
                let mut order: Vec<u32> = (0..pointers.len() as u32).collect();
                order.sort_unstable_by_key(|&state| {
                    let (parent, value) = pointers[state as usize];
                    (ranks[parent as usize], value)
                });
                let mut result = vec![0u32; pointers.len()];
                for (position, &state) in order.iter().enumerate() {
                    result[state as usize] = position as u32;
                }
                result
            };
            let first_rank = rank(&first, &level.first_rank);
            let last_rank = rank(&last, &level.last_rank);
            levels.push(Level { sums, first, last, first_rank, last_rank });
        }
        Some(Lattice { allowed, levels })
    }

    /// The first (or last) outcome reaching a state of the last level.
    fn outcome(&self, mut state: usize, last: bool) -> Outcome {
        let mut outcome = vec![0u32; self.allowed.len()];
        for issue in (0..self.allowed.len()).rev() {
            let level = &self.levels[issue + 1];
            let (parent, value) = if last { level.last[state] } else { level.first[state] };
            outcome[issue] = value;
            state = parent as usize;
        }
        outcome
    }

    /// The state a step reaches (it exists: every step was listed).
    fn step(&self, tables: &[Vec<f64>], issue: usize, state: usize, value: u32) -> usize {
        let sum = self.levels[issue].sums[state] + tables[issue][value as usize];
        let next = &self.levels[issue + 1].sums;
        next.partition_point(|&other| other < sum)
    }

    /// Per level, the states from which the last level's state `end` can be reached.
    fn reaching(&self, tables: &[Vec<f64>], end: usize) -> Vec<Vec<bool>> {
        let issues = self.allowed.len();
        let mut reach: Vec<Vec<bool>> = self.levels.iter().map(|level| vec![false; level.sums.len()]).collect();
        reach[issues][end] = true;
        for issue in (0..issues).rev() {
            for state in 0..self.levels[issue].sums.len() {
                reach[issue][state] = self.allowed[issue].iter().any(|&value| reach[issue + 1][self.step(tables, issue, state, value)]);
            }
        }
        reach
    }

    /// The last outcome in listing order before `target` that reaches the marked end.
    fn last_below(&self, tables: &[Vec<f64>], reach: &[Vec<bool>], target: &[u32]) -> Option<Outcome> {
        let mut outcome = Vec::with_capacity(target.len());
        if self.descend(tables, reach, target, 0, 0, &mut outcome) { Some(outcome) } else { None }
    }

    /// Extends `outcome` (equal to `target` so far) below `target`, as late as possible.
    fn descend(
        &self,
        tables: &[Vec<f64>],
        reach: &[Vec<bool>],
        target: &[u32],
        issue: usize,
        state: usize,
        outcome: &mut Vec<u32>,
    ) -> bool {
        if issue == self.allowed.len() {
            return false;
        }
        for &value in self.allowed[issue].iter().rev().filter(|&&value| value <= target[issue]) {
            let next = self.step(tables, issue, state, value);
            if !reach[issue + 1][next] {
                continue;
            }
            outcome.push(value);
            if value < target[issue] {
                // Below the target already: the latest completion.
                let mut at = next;
                for later in issue + 1..self.allowed.len() {
                    let value = *self.allowed[later]
                        .iter()
                        .rev()
                        .find(|&&value| reach[later + 1][self.step(tables, later, at, value)])
                        .expect("a marked state reaches the end");
                    at = self.step(tables, later, at, value);
                    outcome.push(value);
                }
                return true;
            }
            if self.descend(tables, reach, target, issue + 1, next, outcome) {
                return true;
            }
            outcome.pop();
        }
        false
    }
}

/// The query engine of an additive utility: halves when they fit, else distinct running totals.
#[derive(Debug)]
pub enum Engine {
    Halves(Halves),
    Sums(Sums),
}

impl Engine {
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Engine> {
        Halves::new(problem, party, region).map(Engine::Halves).or_else(|| Sums::new(problem, party, region).map(Engine::Sums))
    }

    pub fn count(&self) -> Option<u64> {
        match self {
            Engine::Halves(halves) => halves.count(),
            Engine::Sums(sums) => sums.count(),
        }
    }

    pub fn outcome(&self, place: Place) -> Outcome {
        match self {
            Engine::Halves(halves) => halves.outcome(place),
            Engine::Sums(sums) => sums.outcome(place),
        }
    }

    pub fn first(&self) -> (f64, Outcome) {
        match self {
            Engine::Halves(halves) => halves.first(),
            Engine::Sums(sums) => sums.first(),
        }
    }

    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        match self {
            Engine::Halves(halves) => halves.find(low, high, want),
            Engine::Sums(sums) => sums.find(low, high, want),
        }
    }

    pub fn find_two(
        &self,
        first: (Option<Bound>, Option<Bound>, Want),
        second: (Option<Bound>, Option<Bound>, Want),
    ) -> [Option<(f64, Place)>; 2] {
        match self {
            Engine::Halves(halves) => halves.find_two(first, second),
            Engine::Sums(sums) => [sums.find(first.0, first.1, first.2), sums.find(second.0, second.1, second.2)],
        }
    }

    pub fn next_down(&self, at: (f64, Place)) -> Option<(f64, Place)> {
        match self {
            Engine::Halves(halves) => halves.next_down(at),
            Engine::Sums(sums) => sums.next_down(at),
        }
    }
}

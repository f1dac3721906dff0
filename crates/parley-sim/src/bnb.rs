//! Exact inverse utility by branch and bound, for additive spaces neither the running totals nor
//! the halves take (tables of unrelated reals over more outcomes than the halves can list).
//!
//! A query — the lowest (or highest) utility in a range, ties broken by listing order — descends
//! the issues sorted by value range, widest first, each issue's values in the order of the wanted
//! end. A node's partial sum plus the lowest and highest the remaining issues can add bounds every
//! outcome below it (widened by a slack for rounding, as in [`crate::halves`]); nodes whose bounds
//! miss the range, or cannot match the best found so far, are pruned. Every leaf is re-evaluated in
//! the utility's own summation order (issue by issue from the first), so the answer is the exact one
//! the listing would give, and ties are compared by listing place.
//!
//! A query visits at most [`NODE_LIMIT`] nodes. Pruning is strong near the ends of the utility
//! range and weak in its middle when the space is dense: on 30 issues of 4 unrelated real values
//! (4^30 outcomes, a utility step far below the slack) a target a few percent below the best
//! already needs more. A query that would stops there: it answers nothing, and the engine records
//! that it was cut short ([`Bnb::exhausted`]) and answers nothing more — never an inexact answer.
//! Because of this the engine is not chosen for sessions ([`crate::sums::Engine::new`]): spaces
//! neither the running totals nor the halves take still fall back to utility buckets
//! ([`crate::inverter`]); it is reached through [`crate::queries::Queries::by_bnb`].

use std::sync::atomic::{AtomicBool, Ordering};

use parley_analysis::space::{Outcome, Problem};

use crate::acceptable::Region;
use crate::halves::{Bound, Place, Want};
use crate::sums::Layout;

/// Nodes one query may visit.
pub const NODE_LIMIT: u64 = 20_000_000;

/// One box's issues in search order.
#[derive(Debug)]
struct Tree {
    /// Issues, widest value range first.
    order: Vec<usize>,
    /// Per issue (by issue number), the allowed values ascending by utility (then by value).
    ascending: Vec<Vec<u32>>,
    /// `rest_low[d]`, `rest_high[d]`: the least and most the issues from depth `d` on can add.
    rest_low: Vec<f64>,
    rest_high: Vec<f64>,
    /// The box's first outcome in listing order.
    first: Outcome,
}

/// A party's additive utility over a union of boxes, searched by branch and bound.
#[derive(Debug)]
pub struct Bnb {
    tables: Vec<Vec<f64>>,
    sizes: Vec<u32>,
    /// Places split the issues here (as the halves would), so that each part fits 64 bits.
    at: usize,
    trees: Vec<Tree>,
    slack: f64,
    limit: u64,
    exhausted: AtomicBool,
}

/// One query: its range, its wanted end, which outcomes it admits, its best so far.
struct Search<'a> {
    low: Option<Bound>,
    high: Option<Bound>,
    want: Want,
    admit: &'a dyn Fn(f64, Place) -> bool,
    best: Option<(f64, Place)>,
    nodes: u64,
    values: Vec<u32>,
}

impl Bnb {
    /// `None` when the utility is not additive or a place would not fit 64 bits.
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Bnb> {
        Bnb::with_limit(problem, party, region, NODE_LIMIT)
    }

    /// As [`Bnb::new`], each query visiting at most `limit` nodes.
    pub fn with_limit(problem: &Problem, party: usize, region: Option<&Region>, limit: u64) -> Option<Bnb> {
        let Layout { tables, sizes, slack, at, boxes } = Layout::of(problem, party, region)?;
        let mut trees = Vec::new();
        for mut ascending in boxes {
            let first: Outcome = ascending.iter().map(|values| values[0]).collect();
            for (issue, values) in ascending.iter_mut().enumerate() {
                values.sort_by(|&a, &b| tables[issue][a as usize].total_cmp(&tables[issue][b as usize]).then(a.cmp(&b)));
            }
            let low = |issue: usize| tables[issue][ascending[issue][0] as usize];
            let high = |issue: usize| tables[issue][ascending[issue][ascending[issue].len() - 1] as usize];
            let mut order: Vec<usize> = (0..tables.len()).collect();
            order.sort_by(|&a, &b| (high(b) - low(b)).total_cmp(&(high(a) - low(a))).then(a.cmp(&b)));
            let mut rest_low = vec![0.0; order.len() + 1];
            let mut rest_high = vec![0.0; order.len() + 1];
            for depth in (0..order.len()).rev() {
                rest_low[depth] = rest_low[depth + 1] + low(order[depth]);
                rest_high[depth] = rest_high[depth + 1] + high(order[depth]);
            }
            trees.push(Tree { order, ascending, rest_low, rest_high, first });
        }
        if trees.is_empty() {
            return None;
        }
        Some(Bnb { tables, sizes, at, trees, slack, limit, exhausted: AtomicBool::new(false) })
    }

    /// Whether a query was cut short at the node limit; the limit when so.
    pub fn exhausted(&self) -> Option<u64> {
        self.exhausted.load(Ordering::Relaxed).then_some(self.limit)
    }

    /// How many outcomes the boxes hold, when known: one box.
    pub fn count(&self) -> Option<u64> {
        match self.trees.as_slice() {
            [tree] => tree.ascending.iter().try_fold(1u64, |product, values| product.checked_mul(values.len() as u64)),
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

    fn evaluate(&self, outcome: &[u32]) -> f64 {
        // The same sum as `Utility::evaluate`, in the same order.
        let mut total = 0.0;
        for (table, &value) in self.tables.iter().zip(outcome) {
            total += table[value as usize];
        }
        total
    }

    /// The first outcome in listing order, with its utility.
    pub fn first(&self) -> (f64, Outcome) {
        let outcome = self.trees.iter().map(|tree| tree.first.clone()).min().expect("a box");
        (self.evaluate(&outcome), outcome)
    }

    /// As [`crate::halves::Halves::find`]; `None` also when the query was cut short.
    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        self.find_admitting(low, high, want, &|_, _| true)
    }

    /// As [`crate::halves::Halves::next_down`].
    pub fn next_down(&self, (utility, place): (f64, Place)) -> Option<(f64, Place)> {
        let admit = |other: f64, other_place: Place| other < utility || other_place < place;
        self.find_admitting(None, Some(Bound { value: utility, inclusive: true }), Want::HighestLast, &admit)
    }

    fn find_admitting(
        &self,
        low: Option<Bound>,
        high: Option<Bound>,
        want: Want,
        admit: &dyn Fn(f64, Place) -> bool,
    ) -> Option<(f64, Place)> {
        // Once cut short the engine answers nothing more: the session it serves is void, and
        // every further query would run to the limit too.
        if self.exhausted.load(Ordering::Relaxed) {
            return None;
        }
        let mut search = Search { low, high, want, admit, best: None, nodes: 0, values: vec![0; self.tables.len()] };
        for tree in &self.trees {
            if !self.descend(tree, &mut search, 0, 0.0) {
                self.exhausted.store(true, Ordering::Relaxed);
                return None;
            }
        }
        search.best
    }

    /// Searches below a node at `depth` with partial sum `partial`; `false` when cut short.
    fn descend(&self, tree: &Tree, search: &mut Search<'_>, depth: usize, partial: f64) -> bool {
        search.nodes += 1;
        if search.nodes > self.limit {
            return false;
        }
        if depth == tree.order.len() {
            let utility = self.evaluate(&search.values);
            let inside = search.low.is_none_or(|bound| if bound.inclusive { utility >= bound.value } else { utility > bound.value })
                && search.high.is_none_or(|bound| if bound.inclusive { utility <= bound.value } else { utility < bound.value });
            if inside {
                let place = self.place(&search.values);
                if (search.admit)(utility, place) && search.best.is_none_or(|best| better(search.want, (utility, place), best)) {
                    search.best = Some((utility, place));
                }
            }
            return true;
        }
        let issue = tree.order[depth];
        let values = &tree.ascending[issue];
        let table = &self.tables[issue];
        let count = values.len();
        for step in 0..count {
            let value = match search.want {
                Want::Lowest => values[step],
                Want::Highest | Want::HighestLast => values[count - 1 - step],
            };
            let sum = partial + table[value as usize];
            let floor = sum + tree.rest_low[depth + 1] - self.slack;
            let ceiling = sum + tree.rest_high[depth + 1] + self.slack;
            if search.low.is_some_and(|bound| ceiling < bound.value) || search.high.is_some_and(|bound| floor > bound.value) {
                continue;
            }
            // Values come in the wanted order: once one cannot match the best, neither can the rest.
            let hopeless = match (search.want, search.best) {
                (_, None) => false,
                (Want::Lowest, Some(best)) => floor > best.0,
                (Want::Highest | Want::HighestLast, Some(best)) => ceiling < best.0,
            };
            if hopeless {
                break;
            }
            search.values[issue] = value;
            if !self.descend(tree, search, depth + 1, sum) {
                return false;
            }
        }
        true
    }
}

fn better(want: Want, candidate: (f64, Place), best: (f64, Place)) -> bool {
    match want {
        Want::Lowest => candidate.0 < best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
        Want::Highest => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
        Want::HighestLast => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1),
    }
}

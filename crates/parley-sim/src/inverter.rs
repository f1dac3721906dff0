//! Finding outcomes by utility, as agents need to: "the cheapest outcome I value at least `u`",
//! "my i-th best outcome", "walk down from my best".
//!
//! Additive utilities are answered by query, without listing ([`Inverse::Queries`], see
//! [`crate::halves`], [`crate::sums`] and [`crate::queries`]), whenever the agent needs no arbitrary
//! position; what follows serves the rest (non-additive utilities, a random agent bound to a region,
//! additive spaces neither query engine takes).
//!
//! Spaces of up to [`SORTED_LIMIT`] outcomes are listed once and sorted by the party's utility, the
//! way NegMAS's presorting inverter does — its exact selection rule ([`Sorted::worst_in`]) is
//! reproduced so that sessions match NegMAS offer for offer. A sorted list is shared by every
//! session of a scenario. Larger additive spaces are never listed: a dynamic programme over the
//! issues keeps, for each of a few thousand utility buckets, one outcome reaching it, so a target
//! is met to within one bucket (1/4096 of the party's utility range) in time linear in the issues.

use std::sync::Arc;

use parley_analysis::space::{Outcome, Problem, Utility};

use crate::acceptable::Region;

/// Spaces up to this many outcomes are listed and sorted.
pub const SORTED_LIMIT: u64 = 4_000_000;

const BUCKETS: usize = 4096;

/// Spaces up to this many outcomes are listed whatever the agent: a binary search in a short
/// sorted list beats a query, and sorting it is cheap.
pub const LIST_UP_TO: u64 = 16_384;

/// Decodes an outcome index (mixed radix, last issue fastest: the order outcomes are listed in).
pub fn decode(index: u64, sizes: &[u32]) -> Outcome {
    let mut outcome = vec![0u32; sizes.len()];
    let mut rest = index;
    for issue in (0..sizes.len()).rev() {
        let size = u64::from(sizes[issue]);
        outcome[issue] = (rest % size) as u32;
        rest /= size;
    }
    outcome
}

pub fn sizes_of(problem: &Problem) -> Vec<u32> {
    problem.space.issues.iter().map(|issue| issue.values.len() as u32).collect()
}

/// A party's outcomes by utility.
#[derive(Debug)]
pub enum Inverse {
    Sorted(Sorted),
    Buckets(Buckets),
    /// Additive utilities, found by query without listing: answers `min`, `max`, `worst_in`,
    /// `outcome_at` and, when the number of outcomes is known, `last` and `utility_at_position`
    /// near either end (a random agent bound to a region, drawing any position, takes a listing).
    Queries(crate::queries::Queries),
}

/// Outcomes sorted ascending by utility (ties by listing order). With `rational_only`, the
/// outcomes the party values below its reservation value follow unsorted, in listing order. A
/// party bound to a region lists only the outcomes in it (the others are worth less to it than
/// disagreement), and its `min` and `max` are over those.
#[derive(Debug)]
pub struct Sorted {
    pub utilities: Vec<f64>,
    outcomes: Vec<u64>,
    /// Index of the last sorted entry.
    pub last: usize,
    /// How many entries are sorted (0 when no outcome is rational).
    rational: usize,
    /// The highest utility in the unsorted tail (-inf when it is empty): the tail is scanned only
    /// when it can hold a candidate.
    tail_max: f64,
    pub min: f64,
    pub max: f64,
    sizes: Vec<u32>,
}

/// An integer that orders utilities as `f64::total_cmp` does.
fn sort_key(utility: f64) -> u64 {
    let bits = utility.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// Representatives of utility buckets, ascending, for spaces too large to list.
#[derive(Debug)]
pub struct Buckets {
    /// `(utility, outcome)`, ascending by utility, one per reachable bucket.
    pub entries: Vec<(f64, Outcome)>,
    pub min: f64,
    pub max: f64,
}

/// Why an agent cannot find outcomes by utility.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("party {party}: its utility is not additive and the space has more than {limit} outcomes to list")]
pub struct InverseError {
    pub party: String,
    pub limit: u64,
}

impl Inverse {
    /// The party's outcomes by utility; only those in `allowed`, when given.
    pub fn new(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>) -> Result<Inverse, InverseError> {
        let reservation = problem.parties[party].reservation;
        match problem.space.count().exact() {
            Some(count) if count <= SORTED_LIMIT => {
                Ok(Inverse::Sorted(Sorted::new(problem, party, count, rational_only, reservation, allowed)))
            }
            _ => match &problem.parties[party].utility {
                Utility::Additive(additive) => Ok(Inverse::Buckets(match allowed {
                    None => Buckets::new(&additive.tables, rational_only, reservation),
                    Some(region) => Buckets::within(&additive.tables, rational_only, reservation, region),
                })),
                Utility::Rectangles(_) => Err(InverseError { party: problem.parties[party].name.clone(), limit: SORTED_LIMIT }),
            },
        }
    }

    pub fn min(&self) -> f64 {
        match self {
            Inverse::Sorted(sorted) => sorted.min,
            Inverse::Buckets(buckets) => buckets.min,
            Inverse::Queries(queries) => queries.min,
        }
    }

    pub fn max(&self) -> f64 {
        match self {
            Inverse::Sorted(sorted) => sorted.max,
            Inverse::Buckets(buckets) => buckets.max,
            Inverse::Queries(queries) => queries.max,
        }
    }

    /// The number of listed positions.
    pub fn len(&self) -> usize {
        match self {
            Inverse::Sorted(sorted) => sorted.utilities.len(),
            Inverse::Buckets(buckets) => buckets.entries.len(),
            Inverse::Queries(queries) => queries.count.expect("a query inverse with positions") as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the last sorted (rational) position.
    pub fn last(&self) -> usize {
        match self {
            Inverse::Sorted(sorted) => sorted.last,
            Inverse::Buckets(buckets) => buckets.entries.len().saturating_sub(1),
            Inverse::Queries(_) => self.len() - 1,
        }
    }

    /// The outcome and utility at a listed position.
    pub fn at(&self, position: usize) -> (f64, Outcome) {
        match self {
            Inverse::Sorted(sorted) => (sorted.utilities[position], decode(sorted.outcomes[position], &sorted.sizes)),
            Inverse::Buckets(buckets) => buckets.entries[position].clone(),
            Inverse::Queries(_) => unreachable!("query inverses have no positions"),
        }
    }

    pub fn utility_at_position(&self, position: usize) -> f64 {
        match self {
            Inverse::Sorted(sorted) => sorted.utilities[position],
            Inverse::Buckets(buckets) => buckets.entries[position].0,
            // Tit-for-tat asks the worst (position 0) and a few down from the best.
            Inverse::Queries(queries) if position == 0 => queries.min,
            // `None` only when the query failed (past the running totals' limit): the session
            // runs again on listings, whatever this answers.
            Inverse::Queries(queries) => queries.kth(self.last() - position).map_or(queries.min, |(utility, _)| utility),
        }
    }

    /// The party's `i`-th best rational outcome (0 = best); past the sorted part, the unsorted
    /// tail in listing order (as NegMAS's `outcome_at`).
    pub fn outcome_at(&self, i: usize) -> Option<(f64, Outcome)> {
        if let Inverse::Queries(queries) = self {
            // Past the rational outcomes the listing has those below the reservation value, which
            // no agent offers: `None` serves the same.
            return if i == 0 { Some(queries.best()) } else { queries.kth(i) };
        }
        if i >= self.len() {
            return None;
        }
        let last = self.last();
        let position = if i <= last { last - i } else { i };
        Some(self.at(position))
    }

    /// NegMAS's `worst_in(lo, hi)`: the lowest-utility outcome at or above `lo` — unless one lies
    /// less than 1e-6 below `lo` and nearer to it — or `None` when nothing is near the range.
    pub fn worst_in(&self, low: f64, high: f64) -> Option<(f64, Outcome)> {
        match self {
            Inverse::Sorted(sorted) => sorted.worst_in(low, high).map(|position| self.at(position)),
            Inverse::Buckets(buckets) => {
                let start = buckets.entries.partition_point(|entry| entry.0 < low);
                buckets.entries.get(start).filter(|entry| entry.0 <= high + 2e-6).cloned()
            }
            Inverse::Queries(queries) => queries.worst_in(low, high),
        }
    }
}

impl Sorted {
    fn new(problem: &Problem, party: usize, count: u64, rational_only: bool, reservation: f64, allowed: Option<&Region>) -> Sorted {
        let sizes: Vec<u32> = sizes_of(problem);
        let utility = &problem.parties[party].utility;
        // Every outcome's utility, in listing order (an odometer, not a decode per outcome).
        let mut all: Vec<f64> = Vec::with_capacity(count as usize);
        let (min, max, rational, tail): (f64, f64, Vec<u64>, Vec<u64>) = match allowed {
            None => {
                parley_analysis::frontier::for_each_outcome(problem, &mut |outcome| all.push(utility.evaluate(outcome)));
                let min = all.iter().copied().fold(f64::INFINITY, f64::min);
                let max = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (rational, tail) = if rational_only {
                    (0..count).partition(|&index| all[index as usize] >= reservation)
                } else {
                    ((0..count).collect(), Vec::new())
                };
                (min, max, rational, tail)
            }
            Some(region) => {
                let mut listed: Vec<u64> = Vec::new();
                let mut index = 0u64;
                parley_analysis::frontier::for_each_outcome(problem, &mut |outcome| {
                    all.push(utility.evaluate(outcome));
                    if region.contains(outcome) {
                        listed.push(index);
                    }
                    index += 1;
                });
                let min = listed.iter().map(|&index| all[index as usize]).fold(f64::INFINITY, f64::min);
                let max = listed.iter().map(|&index| all[index as usize]).fold(f64::NEG_INFINITY, f64::max);
                let (rational, tail) = if rational_only {
                    listed.into_iter().partition(|&index| all[index as usize] >= reservation)
                } else {
                    (listed, Vec::new())
                };
                (min, max, rational, tail)
            }
        };
        // Sort by (utility, listing index) through integer keys that order like `total_cmp`; keys
        // are unique, so the unstable sort is deterministic.
        let mut keyed: Vec<(u64, u64)> = rational.iter().map(|&index| (sort_key(all[index as usize]), index)).collect();
        keyed.sort_unstable();
        let rational: Vec<u64> = keyed.into_iter().map(|(_, index)| index).collect();
        let (last, rational_count) = (rational.len().saturating_sub(1), rational.len());
        let tail_max = tail.iter().map(|&index| all[index as usize]).fold(f64::NEG_INFINITY, f64::max);
        let outcomes: Vec<u64> = rational.into_iter().chain(tail).collect();
        let utilities = outcomes.iter().map(|&index| all[index as usize]).collect();
        Sorted { utilities, outcomes, last, rational: rational_count, tail_max, min, max, sizes }
    }

    /// The same outcomes listed for `rational_only` (this listing being for the other): every
    /// outcome below `reservation` sorts before every rational one, so the whole sorted list is
    /// the others sorted followed by the rational part, and the rational part is the sorted list
    /// from the first rational outcome on, followed by the others in listing order. Only the
    /// others are sorted again, as the whole sort would order them.
    fn regrouped(&self, rational_only: bool, reservation: f64) -> Sorted {
        // The rational part of a listing with an unsorted tail is not the whole list.
        debug_assert!(!rational_only || self.rational == self.utilities.len(), "regrouped from a listing for rational outcomes");
        let (utilities, outcomes, rational) = if rational_only {
            let cut = self.utilities[..self.rational].partition_point(|&utility| utility < reservation);
            let mut others: Vec<(u64, f64)> = self.outcomes[..cut].iter().copied().zip(self.utilities[..cut].iter().copied()).collect();
            others.sort_unstable_by_key(|&(index, _)| index);
            let utilities = self.utilities[cut..].iter().copied().chain(others.iter().map(|&(_, utility)| utility)).collect();
            let outcomes = self.outcomes[cut..].iter().copied().chain(others.iter().map(|&(index, _)| index)).collect();
            (utilities, outcomes, self.rational - cut)
        } else {
            let mut others: Vec<(u64, u64, f64)> = self.outcomes[self.rational..]
                .iter()
                .zip(&self.utilities[self.rational..])
                .map(|(&index, &utility)| (sort_key(utility), index, utility))
                .collect();
            others.sort_unstable_by_key(|&(key, index, _)| (key, index));
            let utilities: Vec<f64> =
                others.iter().map(|&(_, _, utility)| utility).chain(self.utilities[..self.rational].iter().copied()).collect();
            let outcomes = others.iter().map(|&(_, index, _)| index).chain(self.outcomes[..self.rational].iter().copied()).collect();
            let count = utilities.len();
            (utilities, outcomes, count)
        };
        // The highest utility in the unsorted tail (none when the whole list is sorted).
        let tail_max = utilities[rational..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Sorted {
            utilities,
            outcomes,
            last: rational.saturating_sub(1),
            rational,
            tail_max,
            min: self.min,
            max: self.max,
            sizes: self.sizes.clone(),
        }
    }

    /// The position `worst_in` selects (see [`Inverse::worst_in`]).
    pub fn worst_in(&self, low: f64, high: f64) -> Option<usize> {
        if self.rational == 0 {
            return None;
        }
        let sorted = &self.utilities[..=self.last];
        let at_or_above = sorted.partition_point(|&utility| utility < low).min(self.last);
        let (window_low, window_high) = (low - 1e-6, high + 2e-6);
        // Among the sorted entries only those between window_low and the first entry at or above
        // `low` can be nearer to `low`; the unsorted tail is scanned whole, if it can hold one.
        let from = sorted.partition_point(|&utility| utility < window_low);
        let tail = if self.tail_max >= window_low { self.last + 1..self.utilities.len() } else { 0..0 };
        let mut best: Option<(usize, f64)> = None;
        for position in (from..=at_or_above.min(self.last)).chain(tail) {
            let utility = self.utilities[position];
            if (window_low..=window_high).contains(&utility) {
                let gap = (utility - low).abs();
                if best.is_none_or(|(_, best_gap)| gap < best_gap) {
                    best = Some((position, gap));
                }
            }
        }
        let chosen = match best {
            Some((position, gap)) if gap < (self.utilities[at_or_above] - low).abs() => position,
            _ => at_or_above,
        };
        if (self.utilities[chosen] - low).abs() > 2e-6 && chosen != at_or_above {
            return None;
        }
        Some(chosen)
    }
}

impl Buckets {
    fn new(tables: &[Vec<f64>], rational_only: bool, reservation: f64) -> Buckets {
        let minimum = |row: &Vec<f64>| row.iter().copied().fold(f64::INFINITY, f64::min);
        let maximum = |row: &Vec<f64>| row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min: f64 = tables.iter().map(minimum).sum();
        let max: f64 = tables.iter().map(maximum).sum();
        let mut entries = representatives(tables, None, min, max);
        entries.sort_by(|a, b| a.0.total_cmp(&b.0));
        Buckets::keep(entries, rational_only, reservation, min, max)
    }

    /// The representatives of the outcomes in `region` only: each box's own, merged, one per bucket
    /// of the whole space's utility range; `min` and `max` are over the region.
    fn within(tables: &[Vec<f64>], rational_only: bool, reservation: f64, region: &Region) -> Buckets {
        let minimum = |row: &Vec<f64>| row.iter().copied().fold(f64::INFINITY, f64::min);
        let maximum = |row: &Vec<f64>| row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (whole_min, whole_max): (f64, f64) = (tables.iter().map(minimum).sum(), tables.iter().map(maximum).sum());
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut entries: Vec<(f64, Outcome)> = Vec::new();
        for mask in region.boxes() {
            let allowed =
                |issue: usize| tables[issue].iter().enumerate().filter(move |(value, _)| mask[issue][*value]).map(|(_, &utility)| utility);
            min = min.min((0..tables.len()).map(|issue| allowed(issue).fold(f64::INFINITY, f64::min)).sum());
            max = max.max((0..tables.len()).map(|issue| allowed(issue).fold(f64::NEG_INFINITY, f64::max)).sum());
            entries.extend(representatives(tables, Some(mask), whole_min, whole_max));
        }
        entries.sort_by(|a, b| a.0.total_cmp(&b.0));
        let bucket = |utility: f64| bucket_of(utility, whole_min, whole_max);
        entries.dedup_by(|later, earlier| bucket(later.0) == bucket(earlier.0));
        Buckets::keep(entries, rational_only, reservation, min, max)
    }

    fn keep(mut entries: Vec<(f64, Outcome)>, rational_only: bool, reservation: f64, min: f64, max: f64) -> Buckets {
        let first_rational = if rational_only { entries.partition_point(|entry| entry.0 < reservation) } else { 0 };
        // Keep the rational part only, as the sorted inverter's positions would.
        let entries = entries.split_off(first_rational);
        Buckets { entries, min, max }
    }
}

/// The bucket of a utility in a range.
fn bucket_of(utility: f64, min: f64, max: f64) -> usize {
    if max <= min {
        return 0;
    }
    (((utility - min) / (max - min)) * BUCKETS as f64).clamp(0.0, BUCKETS as f64) as usize
}

/// One outcome per reachable utility bucket of `min..=max` (unsorted), by a dynamic programme over
/// the issues; with a mask, over the values it allows only.
fn representatives(tables: &[Vec<f64>], mask: Option<&[Vec<bool>]>, min: f64, max: f64) -> Vec<(f64, Outcome)> {
    let allowed = |issue: usize, value: usize| mask.is_none_or(|mask| mask[issue][value]);
    let minimum = |issue: usize| {
        tables[issue]
            .iter()
            .enumerate()
            .filter(|(value, _)| allowed(issue, *value))
            .map(|(_, &utility)| utility)
            .fold(f64::INFINITY, f64::min)
    };
    let bucket = |utility: f64| bucket_of(utility, min, max);
    // Suffix minima: the lowest utility the remaining issues can add.
    let mut remaining_low = vec![0.0; tables.len() + 1];
    for issue in (0..tables.len()).rev() {
        remaining_low[issue] = remaining_low[issue + 1] + minimum(issue);
    }
    let mut current: Vec<Option<f64>> = vec![None; BUCKETS + 1];
    current[bucket(remaining_low[0])] = Some(0.0);
    let mut levels: Vec<Vec<Option<(usize, u32)>>> = Vec::with_capacity(tables.len());
    for (issue, row) in tables.iter().enumerate() {
        let mut next: Vec<Option<f64>> = vec![None; BUCKETS + 1];
        let mut level: Vec<Option<(usize, u32)>> = vec![None; BUCKETS + 1];
        for (from, partial) in current.iter().enumerate() {
            let Some(partial) = partial else { continue };
            for (value, contribution) in row.iter().enumerate() {
                if !allowed(issue, value) {
                    continue;
                }
                let sum = partial + contribution;
                // Bucket by the lowest full utility this partial can still reach.
                let target = bucket(sum + remaining_low[issue + 1]);
                if next[target].is_none() {
                    next[target] = Some(sum);
                    level[target] = Some((from, value as u32));
                }
            }
        }
        levels.push(level);
        current = next;
    }
    let mut entries: Vec<(f64, Outcome)> = Vec::new();
    for (end, utility) in current.iter().enumerate() {
        let Some(utility) = utility else { continue };
        let mut outcome = vec![0u32; tables.len()];
        let mut at = end;
        for issue in (0..tables.len()).rev() {
            let Some((from, value)) = levels[issue][at] else { break };
            outcome[issue] = value;
            at = from;
        }
        entries.push((*utility, outcome));
    }
    entries
}

/// Inverses shared by every session of a scenario: built once per party and kind.
#[derive(Debug, Default)]
pub struct InverseCache {
    entries: std::sync::Mutex<Vec<CacheEntry>>,
    /// Listings only, no inverse by query: what a session falls back to when a query on running
    /// totals failed (see [`crate::sums::take_failed`]).
    listings_only: bool,
    /// The running totals a query inverse may hold ([`crate::sums::TOTAL_LIMIT`] when `None`).
    sums_limit: Option<usize>,
    /// The listings sessions fall back to, shared by them as this cache is.
    fallback: std::sync::OnceLock<Box<InverseCache>>,
}

/// `((party, rational only, mode), slot)` (mode: 0 listing, 1 queries, 2 queries with positions):
/// the slot is filled once, by the first caller; others wait.
type CacheEntry = ((usize, bool, u8), Arc<std::sync::OnceLock<Result<Arc<Inverse>, InverseError>>>);

impl InverseCache {
    /// A cache that lists every party's outcomes (sorted, or in utility buckets past
    /// [`SORTED_LIMIT`]) and never answers by query.
    pub fn listings_only() -> InverseCache {
        InverseCache { listings_only: true, ..InverseCache::default() }
    }

    /// A cache whose query inverses hold at most `limit` running totals (a smaller limit than the
    /// default bounds their memory sooner; sessions fall back to listings past it).
    pub fn with_sums_limit(limit: usize) -> InverseCache {
        InverseCache { sums_limit: Some(limit), ..InverseCache::default() }
    }

    /// The listings-only cache the sessions sharing this one fall back to.
    pub fn fallback(&self) -> &InverseCache {
        self.fallback.get_or_init(|| Box::new(InverseCache::listings_only()))
    }

    /// The party's inverse (only the outcomes in `allowed`, when given). A cache serves one problem
    /// with one set of regions: the key is the party and `rational_only`.
    pub fn get(
        &self,
        problem: &Problem,
        party: usize,
        rational_only: bool,
        allowed: Option<&Region>,
    ) -> Result<Arc<Inverse>, InverseError> {
        self.slot(problem, party, rational_only, allowed, 0)
    }

    /// Like [`InverseCache::get`], for agents that ask `min`, `max`, `worst_in` and `outcome_at`
    /// (and, with `positions`, `last` and `utility_at_position` near the ends): additive utilities
    /// get a [`crate::queries::Queries`] inverse (no listing), others a listing as `get` gives.
    pub fn get_queries(
        &self,
        problem: &Problem,
        party: usize,
        rational_only: bool,
        allowed: Option<&Region>,
        positions: bool,
    ) -> Result<Arc<Inverse>, InverseError> {
        self.slot(problem, party, rational_only, allowed, 1 + u8::from(positions))
    }

    fn slot(
        &self,
        problem: &Problem,
        party: usize,
        rational_only: bool,
        allowed: Option<&Region>,
        mode: u8,
    ) -> Result<Arc<Inverse>, InverseError> {
        let key = (party, rational_only, mode);
        let slot = {
            let mut entries = self.entries.lock().expect("cache lock");
            match entries.iter().find(|(stored, _)| *stored == key) {
                Some((_, slot)) => slot.clone(),
                None => {
                    let slot = Arc::default();
                    entries.push((key, Arc::clone(&slot)));
                    slot
                }
            }
        };
        // Built outside the cache lock, once per key, however many threads ask at the same time.
        slot.get_or_init(|| {
            // A small space is listed even for query agents: sorting it costs less than the
            // queries a tournament's sessions would make.
            let small = problem.space.count().exact().is_some_and(|count| count <= LIST_UP_TO);
            let limit = self.sums_limit.unwrap_or(crate::sums::TOTAL_LIMIT);
            let queries = match mode {
                _ if small || self.listings_only => None,
                0 => None,
                1 => crate::queries::Queries::with_limit(problem, party, rational_only, allowed, limit),
                _ => crate::queries::Queries::with_limit(problem, party, rational_only, allowed, limit)
                    .filter(|queries| queries.count.is_some()),
            };
            match queries {
                Some(queries) => Ok(Arc::new(Inverse::Queries(queries))),
                None => match self.listed(party) {
                    // One sort per party: the other listings are the same list, or its rational
                    // part and the rest (see `Sorted::regrouped`).
                    Some(listed) if listed.rational_only == rational_only => Ok(listed.inverse),
                    Some(listed) => {
                        let Inverse::Sorted(sorted) = &*listed.inverse else { unreachable!("a listing") };
                        Ok(Arc::new(Inverse::Sorted(sorted.regrouped(rational_only, problem.parties[party].reservation))))
                    }
                    None => Inverse::new(problem, party, rational_only, allowed).map(Arc::new),
                },
            }
        })
        .clone()
    }

    /// A listing of the party's outcomes already built (sorted, not bucketed), if any.
    fn listed(&self, party: usize) -> Option<Listed> {
        let entries = self.entries.lock().expect("cache lock");
        entries.iter().filter(|((stored, _, _), _)| *stored == party).find_map(|((_, rational_only, _), slot)| match slot.get() {
            Some(Ok(inverse)) if matches!(**inverse, Inverse::Sorted(_)) => {
                Some(Listed { rational_only: *rational_only, inverse: Arc::clone(inverse) })
            }
            _ => None,
        })
    }
}

/// A listing in the cache and whether it sorts the rational outcomes only.
struct Listed {
    rational_only: bool,
    inverse: Arc<Inverse>,
}

#[cfg(test)]
mod tests {
    use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
    use proptest::prelude::*;

    use super::Sorted;
    use crate::acceptable::Region;

    fn problem(tables: Vec<Vec<f64>>, reservation: f64) -> Problem {
        let issues = tables
            .iter()
            .enumerate()
            .map(|(issue, table)| IssueSpace { name: format!("i{issue}"), values: (0..table.len() as i64).map(Label::Integer).collect() })
            .collect();
        let party = Party { name: "A".into(), utility: Utility::Additive(Additive { tables }), reservation, discount: None };
        Problem { space: OutcomeSpace { issues }, parties: vec![party] }
    }

    /// Every field, floats by their bits.
    fn fields(sorted: &Sorted) -> (Vec<u64>, Vec<u64>, usize, usize, u64, u64, u64) {
        (
            sorted.utilities.iter().map(|utility| utility.to_bits()).collect(),
            sorted.outcomes.clone(),
            sorted.last,
            sorted.rational,
            sorted.tail_max.to_bits(),
            sorted.min.to_bits(),
            sorted.max.to_bits(),
        )
    }

    proptest! {
        /// A listing regrouped from the other one (rational part and the rest, or the whole) is
        /// the listing built directly, field for field, with and without a region, on grids that
        /// tie often and reservation values below, inside and above the range.
        #[test]
        fn a_regrouped_listing_is_the_one_built_directly(
            grid in prop::collection::vec(prop::collection::vec(0u32..6, 1..5), 1..5),
            reservation in prop_oneof![Just(-1.0), Just(0.0), Just(0.5), Just(1.0), Just(2.0), Just(9.0)],
            keep in prop::collection::vec(0u32..4, 4),
        ) {
            let tables: Vec<Vec<f64>> = grid.iter().map(|row| row.iter().map(|&cell| f64::from(cell) * 0.25).collect()).collect();
            let problem = problem(tables, reservation);
            let sizes: Vec<u32> = grid.iter().map(|row| row.len() as u32).collect();
            // A point and, beside it, all but one value of each issue.
            let point: Vec<Vec<u32>> = sizes.iter().zip(&keep).map(|(&size, &keep)| vec![keep % size]).collect();
            let most: Vec<Vec<u32>> = sizes
                .iter()
                .zip(&keep)
                .map(|(&size, &keep)| (0..size).filter(|&value| size == 1 || value != (keep + 1) % size).collect())
                .collect();
            let boxes = vec![point, most];
            let region = Region::from_boxes(&sizes, &boxes);
            let count = problem.space.count().exact().unwrap();
            for allowed in [None, Some(&region)] {
                let all = Sorted::new(&problem, 0, count, false, reservation, allowed);
                let rational = Sorted::new(&problem, 0, count, true, reservation, allowed);
                prop_assert_eq!(fields(&all.regrouped(true, reservation)), fields(&rational));
                prop_assert_eq!(fields(&rational.regrouped(false, reservation)), fields(&all));
            }
        }
    }
}

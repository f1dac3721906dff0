//! NegMAS's `worst_in` selection answered by queries on [`Halves`] instead of a sorted listing.
//!
//! The listing ([`crate::inverter::Sorted`]) orders the rational outcomes ascending by (utility,
//! listing index), followed by the others (below the reservation value) in listing order, and
//! `worst_in(low, high)` scans it. The same choice, by queries:
//!
//! - `A`: the lowest rational utility at or above `low`, first in listing order among ties; when
//!   there is none, the highest rational one, last in listing order among ties;
//! - the candidates met before `A` in the scan: the highest rational utility in
//!   `[low − 1e-6, low)`, first among ties; then, after the rational part, the non-rational
//!   outcome in the window `[low − 1e-6, high + 2e-6]` nearest to `low`, first among ties;
//! - the first candidate strictly nearer to `low` than `A` wins, and is dropped when more than
//!   2e-6 from `low`.

use parley_analysis::space::{Outcome, Problem};

use crate::acceptable::Region;
use crate::halves::{Bound, Place, Want};
use crate::sums::Engine;

/// A party's inverse by query.
#[derive(Debug)]
pub struct Queries {
    halves: Engine,
    /// The reservation value when only outcomes at or above it are "rational" (sorted).
    rational_from: Option<f64>,
    /// The highest utility, last in listing order among ties.
    top: (f64, Outcome),
    top_place: Place,
    pub min: f64,
    pub max: f64,
    /// How many outcomes are listed, when known (no region, or a region of one box).
    pub count: Option<u64>,
    /// The walk down from the best found so far: the k-th best rational outcome at index k.
    walk: std::sync::Mutex<Vec<(f64, Place)>>,
    /// The last `worst_in`'s lower bound and the lowest outcome at or above it.
    last_lowest: std::sync::Mutex<Option<LowestFrom>>,
}

/// A lower bound and the lowest outcome at or above it (first in listing order among ties).
type LowestFrom = (f64, Option<(f64, Place)>);

impl Queries {
    /// `None` when the utility is not additive, or too large to split and of too many distinct
    /// running totals (see [`crate::sums`]).
    pub fn new(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>) -> Option<Queries> {
        Queries::with_limit(problem, party, rational_only, allowed, crate::sums::TOTAL_LIMIT)
    }

    /// As [`Queries::new`], running totals held to `limit` (see [`crate::sums::Sums::windowed`]).
    pub fn with_limit(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>, limit: usize) -> Option<Queries> {
        Queries::over(Engine::new(problem, party, allowed, limit)?, problem, party, rational_only)
    }

    /// Over the distinct running totals ([`crate::sums::Sums`], every utility at once) whatever the size: for tests
    /// against the halves and the listing.
    pub fn by_sums(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>) -> Option<Queries> {
        let sums = crate::sums::Sums::with_limit(problem, party, allowed, crate::sums::TOTAL_LIMIT)?;
        Queries::over(Engine::Sums(Box::new(sums)), problem, party, rational_only)
    }

    /// Over running totals built by windows deepened as queries need, each window at most
    /// `limit` totals, every utility built on another thread or not (`background`): for tests of
    /// the windows against the listing.
    pub fn by_window(
        problem: &Problem,
        party: usize,
        rational_only: bool,
        allowed: Option<&Region>,
        limit: usize,
        background: bool,
    ) -> Option<Queries> {
        let sums = crate::sums::Sums::windowed(problem, party, allowed, limit, background)?;
        Queries::over(Engine::Sums(Box::new(sums)), problem, party, rational_only)
    }

    /// Over the halves ([`crate::halves::Halves`]) even where the running totals are few: for
    /// tests of the one against the other.
    pub fn by_halves(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>) -> Option<Queries> {
        let halves = crate::halves::Halves::new(problem, party, allowed)?;
        Queries::over(Engine::Halves(halves), problem, party, rational_only)
    }

    /// By branch and bound ([`crate::bnb::Bnb`]) whatever the size, each query visiting at most
    /// `limit` nodes: for tests against the listing.
    pub fn by_bnb(problem: &Problem, party: usize, rational_only: bool, allowed: Option<&Region>, limit: u64) -> Option<Queries> {
        let bnb = crate::bnb::Bnb::with_limit(problem, party, allowed, limit)?;
        Queries::over(Engine::Bnb(bnb), problem, party, rational_only)
    }

    /// The node limit, when a query was cut short at it (its answer is then not to be used).
    pub fn exhausted(&self) -> Option<u64> {
        self.halves.exhausted()
    }

    fn over(halves: Engine, problem: &Problem, party: usize, rational_only: bool) -> Option<Queries> {
        let min = halves.min()?;
        let (max, place) = halves.find(None, None, Want::HighestLast)?;
        let rational_from = rational_only.then_some(problem.parties[party].reservation);
        let top = (max, halves.outcome(place));
        let count = halves.count();
        Some(Queries {
            halves,
            rational_from,
            top,
            top_place: place,
            min,
            max,
            count,
            walk: std::sync::Mutex::default(),
            last_lowest: std::sync::Mutex::default(),
        })
    }

    /// The k-th best rational outcome (0 = best; descending by utility, then by listing order from
    /// the last), or `None` past the last rational one.
    pub fn kth(&self, k: usize) -> Option<(f64, Outcome)> {
        let mut walk = self.walk.lock().expect("walk lock");
        if walk.is_empty() && self.rational() {
            walk.push((self.top.0, self.top_place));
        }
        while walk.len() <= k {
            let last = *walk.last()?;
            let next = self.halves.next_down(last)?;
            if self.rational_from.is_some_and(|reservation| next.0 < reservation) {
                return None;
            }
            walk.push(next);
        }
        if self.exhausted().is_some() || crate::sums::failed() {
            return None;
        }
        let (utility, place) = walk[k];
        Some((utility, self.halves.outcome(place)))
    }

    fn rational(&self) -> bool {
        self.rational_from.is_none_or(|reservation| self.max >= reservation)
    }

    /// The best rational outcome (highest utility, last in listing order among ties); with none
    /// rational, the first outcome in listing order (where the listing's unsorted part begins).
    pub fn best(&self) -> (f64, Outcome) {
        if self.rational() { self.top.clone() } else { self.halves.first() }
    }

    /// See the module documentation and [`crate::inverter::Inverse::worst_in`].
    pub fn worst_in(&self, low: f64, high: f64) -> Option<(f64, Outcome)> {
        if !self.rational() {
            return None;
        }
        let (window_low, window_high) = (low - 1e-6, high + 2e-6);
        let floor = |value: f64| self.rational_from.map_or(value, |reservation| value.max(reservation));
        // Both searches near `low` in one sweep. The lowest at or above `floor(low)` is, when an
        // earlier query answered it for a bound no lower, the lowest in the strip between the two
        // bounds if there is one (it is below everything above the strip), else that answer: a
        // conceding agent's strips are narrow, searched in one sweep without a first scan.
        let bound = floor(low);
        let previous = *self.last_lowest.lock().expect("last_lowest lock");
        let strip = previous.filter(|&(from, _)| bound <= from);
        let upper = strip.map(|(from, _)| Bound::below(from));
        let [in_strip, below] = self.halves.find_two(
            (Some(Bound::at_least(bound)), upper, Want::Lowest),
            (Some(Bound::at_least(floor(window_low))), Some(Bound::below(low)), Want::Highest),
        );
        let at_or_above = match strip {
            Some((_, above)) => in_strip.or(above),
            None => in_strip,
        };
        // A failed search (past the running totals' limit) answers `None` for what exists: not
        // kept for later queries (the session runs again on listings).
        if !crate::sums::failed() {
            *self.last_lowest.lock().expect("last_lowest lock") = Some((bound, at_or_above));
        }
        let anchor = match at_or_above {
            Some((utility, place)) => (utility, place),
            None => (self.top.0, self.top_place),
        };
        // The non-rational outcomes lie below the reservation value: only a window reaching below
        // it can hold one.
        let tail = self.rational_from.filter(|&reservation| window_low < reservation).and_then(|reservation| {
            let under = self.halves.find(Some(Bound::at_least(window_low)), Some(Bound::below(low.min(reservation))), Want::Highest);
            let cap = if reservation <= window_high { Bound::below(reservation) } else { Bound { value: window_high, inclusive: true } };
            let over = self.halves.find(Some(Bound::at_least(low)), Some(cap), Want::Lowest);
            match (under, over) {
                (Some(a), Some(b)) => {
                    let (gap_a, gap_b) = ((a.0 - low).abs(), (b.0 - low).abs());
                    Some(if gap_a < gap_b || (gap_a == gap_b && a.1 < b.1) { a } else { b })
                }
                (a, b) => a.or(b),
            }
        });
        let in_window = |candidate: &(f64, Place)| (window_low..=window_high).contains(&candidate.0);
        let mut best: Option<((f64, Place), f64)> = None;
        for candidate in [below, Some(anchor), tail].into_iter().flatten().filter(in_window) {
            let gap = (candidate.0 - low).abs();
            if best.is_none_or(|(_, best_gap)| gap < best_gap) {
                best = Some((candidate, gap));
            }
        }
        let anchor_gap = (anchor.0 - low).abs();
        let chosen = match best {
            Some((candidate, gap)) if gap < anchor_gap => candidate,
            _ => anchor,
        };
        // A search cut short found nothing it could vouch for.
        if (chosen != anchor && (chosen.0 - low).abs() > 2e-6) || self.exhausted().is_some() || crate::sums::failed() {
            return None;
        }
        Some((chosen.0, self.halves.outcome(chosen.1)))
    }
}

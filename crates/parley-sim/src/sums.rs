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
//! A state costs 16 bytes: its sum and two back pointers of 32 bits (the state one level down
//! times the number of values, plus the value's index). On a set-up of a millisecond, fresh pages
//! cost more than the arithmetic (a page fault each), so one level's scratch is reused by the next
//! and the last level, extended no further, is not ranked.
//!
//! Past the halves (spaces too large to split), the totals are built for a window at the top of
//! the utility range first and rebuilt deeper only when a query reaches below it ([`Sums`]): a
//! negotiation that ends after a little concession never pays for the totals of the middle of
//! the range, where they are densest.
//!
//! Queries are binary searches over the last level. The walk down through tied outcomes (the
//! k-th best) marks the states that can still reach the tied utility and descends in listing
//! order from the last.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use parley_analysis::space::{Outcome, Problem, Utility};

use crate::acceptable::Region;
use crate::halves::{Bound, Halves, Place, Want};

/// Windows are rungs of one ladder: rung `k` below [`RUNGS`] holds the top `2^(k/2) / 16` of the
/// utility range (a sixteenth, then about 9 %, 12.5 %, 18 %, 25 %, 35 %, 50 % and 71 %); rung
/// `RUNGS` every utility. Fixed rungs make whether a query fits the limit a property of the query
/// alone (see [`Sums`]).
const RUNGS: usize = 8;

/// The share of the range rung `rung` (below [`RUNGS`]) holds.
fn share(rung: usize) -> f64 {
    2f64.powf(rung as f64 / 2.0) / 16.0
}

thread_local! {
    /// Set when a query on this thread could not be answered within the limit (see [`Sums`]).
    static FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a query on this thread failed since the last call (and clears it): a session checks it
/// after running, and runs again on listings if so.
pub fn take_failed() -> bool {
    FAILED.with(|failed| failed.replace(false))
}

/// Whether a query on this thread failed since the last [`take_failed`] (left as it is).
pub fn failed() -> bool {
    FAILED.with(std::cell::Cell::get)
}

/// Records a failed query on this thread (for a failure seen on another thread, such as an
/// agent's set-up run in parallel).
pub fn note_failed() {
    FAILED.with(|failed| failed.set(true));
}

/// A level may hold at most this many distinct running totals (per box).
pub const STATES_LIMIT: usize = 1 << 20;

/// All levels of all boxes together at most this many (the default of a window's limit).
pub const TOTAL_LIMIT: usize = 1 << 23;

/// Running totals this few (all levels together) are preferred to the halves: ANAC Energy's
/// parties have about 4,000 and 17,000, where the halves sort 78,125 partial sums each and sweep
/// them per query. A table of unrelated reals reaches the limit within a few levels and gives up.
const FEW_TOTALS: usize = 1 << 16;

/// One level's distinct running totals, ascending.
#[derive(Debug)]
struct Level {
    sums: Vec<f64>,
    /// The step of the first and of the last prefix reaching each sum, as `state one level down ×
    /// number of values + value's index` (below 2^32: a level has at most 4 × [`STATES_LIMIT`]
    /// steps).
    first: Vec<u32>,
    last: Vec<u32>,
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
///
/// The running totals can be built for a window of utilities only: a running total from which
/// no outcome can reach the window (by the tables' highest and lowest rest, widened by the
/// rounding slack) is dropped, and the last level keeps the utilities within the window alone.
/// Every outcome of a utility in the window then passes through kept totals only, so the window's
/// utilities are held with their first and last outcome exactly as without it.
///
/// [`Sums::new`] starts with the first rung of a ladder of windows (the top sixteenth of the
/// range, see [`RUNGS`]) and moves down it when a query reaches below: to the rung holding half
/// as much again as the query asks for, or, for a query without a bound (the next one down), two
/// rungs. The first time, the totals of every utility are also built on another thread; the next
/// time a query reaches below, it takes those (waiting for them if need be). An agent that
/// concedes a little pays for the totals near the top only; one that concedes far pays for about
/// one build of everything.
///
/// A rung past the limit is not kept: the rungs above it are tried in turn, deepest first, and
/// the query is answered if one of them holds its answer, else it fails (`None`, and
/// [`take_failed`] tells the session, which then runs again on listings). So a query fails
/// exactly when the shallowest rung holding its answer exceeds the limit, whatever was asked
/// before it.
#[derive(Debug)]
pub struct Sums {
    tables: Vec<Vec<f64>>,
    sizes: Vec<u32>,
    /// Places split the issues here (as the halves would), so that each part fits 64 bits.
    at: usize,
    /// Per box, per issue, the values allowed.
    allowed: Vec<Vec<Vec<u32>>>,
    /// Bounds how far a running total strays from the real partial sum.
    slack: f64,
    /// The highest and lowest real sum over the boxes.
    top: f64,
    bottom: f64,
    /// The lowest utility (summed as the utility sums).
    min: f64,
    /// Running totals a window may hold, all levels of all boxes together.
    limit: usize,
    window: RwLock<Window>,
    /// The running totals of every utility, built on another thread from the first time a query
    /// reaches below the first window (the session goes on meanwhile on the window rebuilt for
    /// it), and taken at the next.
    every: Mutex<Every>,
    /// Set when the sums are dropped: a build on another thread stops at its next level.
    cancel: Arc<AtomicBool>,
    /// The marks of the last walk through ties: `(window's generation, box, utility, reachable
    /// per level)`.
    marks: Mutex<Option<(u64, Marks)>>,
}

/// Where the build of every utility on another thread stands.
#[derive(Debug, Default)]
enum Every {
    #[default]
    NotStarted,
    Running(std::thread::JoinHandle<Option<Vec<Lattice>>>),
    /// Taken, failed, or not wanted.
    Done,
}

impl Window {
    /// Takes rung `rung`'s totals (the marks of the window before are not read again).
    fn adopt(&mut self, rung: usize, floor: f64, boxes: Vec<Lattice>) {
        (self.rung, self.floor, self.boxes) = (rung, floor, boxes);
        self.generation += 1;
    }
}

impl Drop for Sums {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The running totals of the utilities at or above `floor` (all of them at `-inf`).
#[derive(Debug)]
struct Window {
    /// The rung of the ladder ([`RUNGS`] when every utility is held).
    rung: usize,
    floor: f64,
    boxes: Vec<Lattice>,
    /// Counts the rebuilds, so that marks of an earlier window are not read.
    generation: u64,
    /// The shallowest rung found past the limit (every deeper one is too).
    past_limit: usize,
}

/// What the exact engines over one party's additive utility start from (the running totals here,
/// the branch and bound in `crate::bnb`): its tables, the issues' sizes, the summation slack, the
/// split of a place into two 64-bit halves, and each box's allowed values per issue.
pub(crate) struct Layout {
    pub tables: Vec<Vec<f64>>,
    pub sizes: Vec<u32>,
    /// A sum in any order strays from the real sum by at most (n - 1)·u·Σ|a|; this bounds it.
    pub slack: f64,
    /// Places split before this issue, each half fitting 64 bits.
    pub at: usize,
    /// Per box (all values when there is no region), per issue, the values allowed, ascending;
    /// boxes allowing no value of some issue are left out.
    pub boxes: Vec<Vec<Vec<u32>>>,
}

impl Layout {
    /// `None` when the utility is not additive, a table is empty or not finite, a half does not
    /// fit 64 bits, or the region has no box or more than 64.
    pub(crate) fn of(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Layout> {
        let Utility::Additive(additive) = &problem.parties[party].utility else { return None };
        let tables = additive.tables.clone();
        let sizes: Vec<u32> = tables.iter().map(|table| table.len() as u32).collect();
        let magnitude: f64 = tables.iter().map(|table| table.iter().fold(0.0f64, |high, value| high.max(value.abs()))).sum();
        // Sums stay finite, rounding included (no NaN to break their order, no infinity to pass
        // for the end of a run).
        if sizes.is_empty() || sizes.contains(&0) || !(2.0 * magnitude).is_finite() {
            return None;
        }
        let slack = 4.0 * (tables.len() as f64 + 1.0) * f64::EPSILON * magnitude + f64::MIN_POSITIVE;
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
        // Every query visits every box: a region of many boxes is listed instead.
        if masks.is_empty() || masks.len() > 64 {
            return None;
        }
        let boxes = masks
            .into_iter()
            .map(|mask| {
                mask.iter()
                    .map(|values| (0..values.len() as u32).filter(|&value| values[value as usize]).collect::<Vec<u32>>())
                    .collect::<Vec<_>>()
            })
            .filter(|allowed: &Vec<Vec<u32>>| !allowed.iter().any(Vec::is_empty))
            .collect();
        Some(Layout { tables, sizes, slack, at, boxes })
    }
}

impl Sums {
    /// A window deepened as queries reach below it (see [`Sums`]), starting with the top
    /// sixteenth of the range. `None` when the utility is not additive, a place does not fit, or
    /// the first window (or the totals near the bottom, for the lowest utility) exceeds the
    /// limits.
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Sums> {
        Sums::windowed(problem, party, region, TOTAL_LIMIT, true)
    }

    /// As [`Sums::new`], each window at most `limit` running totals (all levels of all boxes;
    /// [`TOTAL_LIMIT`] at most), every utility built on another thread or not (`background`).
    pub fn windowed(problem: &Problem, party: usize, region: Option<&Region>, limit: usize, background: bool) -> Option<Sums> {
        let sums = Sums::build(Layout::of(problem, party, region)?, limit.min(TOTAL_LIMIT), 0)?;
        if !background {
            *sums.every.lock().expect("every lock") = Every::Done;
        }
        Some(sums)
    }

    /// Every utility at once, or `None` as soon as all levels of all boxes together hold more
    /// than `limit` running totals (the set-up stops there: it costs at most about `limit` steps
    /// per value).
    pub fn with_limit(problem: &Problem, party: usize, region: Option<&Region>, limit: usize) -> Option<Sums> {
        Sums::build(Layout::of(problem, party, region)?, limit.min(TOTAL_LIMIT), RUNGS)
    }

    /// The first window is rung `rung` of the ladder.
    fn build(layout: Layout, limit: usize, rung: usize) -> Option<Sums> {
        let Layout { tables, sizes, slack, at, boxes: allowed } = layout;
        if allowed.is_empty() {
            return None;
        }
        let mut sums = Sums {
            tables,
            sizes,
            at,
            allowed,
            slack,
            top: 0.0,
            bottom: 0.0,
            min: 0.0,
            limit,
            window: RwLock::new(Window { rung: RUNGS, floor: f64::NEG_INFINITY, boxes: Vec::new(), generation: 0, past_limit: RUNGS + 1 }),
            every: Mutex::default(),
            cancel: Arc::default(),
            marks: Mutex::default(),
        };
        (sums.top, sums.bottom) = (
            sums.allowed.iter().map(|allowed| sums.extreme(allowed, true)).fold(f64::NEG_INFINITY, f64::max),
            sums.allowed.iter().map(|allowed| sums.extreme(allowed, false)).fold(f64::INFINITY, f64::min),
        );
        let floor = sums.floor_of(rung);
        let boxes = sums.lattices((floor, f64::INFINITY), limit)?;
        // The lowest utility: when the window does not reach it, from the totals up to the
        // lowest sum and twice the slack (the lowest utility, summed in floating point, strays
        // from its real sum by less than the slack).
        sums.min = if floor == f64::NEG_INFINITY {
            Sums::lowest(&boxes)?
        } else {
            Sums::lowest(&sums.lattices((f64::NEG_INFINITY, sums.bottom + 2.0 * sums.slack), limit)?)?
        };
        let window = sums.window.get_mut().expect("window lock");
        (window.rung, window.floor, window.boxes) = (rung, floor, boxes);
        Some(sums)
    }

    /// The sum of each issue's highest (or lowest) allowed value.
    fn extreme(&self, allowed: &[Vec<u32>], highest: bool) -> f64 {
        let (start, pick): (f64, fn(f64, f64) -> f64) = if highest { (f64::NEG_INFINITY, f64::max) } else { (f64::INFINITY, f64::min) };
        self.tables.iter().zip(allowed).map(|(table, values)| values.iter().map(|&value| table[value as usize]).fold(start, pick)).sum()
    }

    /// The floor of rung `rung`: `-inf` for [`RUNGS`], and once it reaches below every utility.
    fn floor_of(&self, rung: usize) -> f64 {
        if rung >= RUNGS {
            return f64::NEG_INFINITY;
        }
        let floor = self.top - share(rung) * (self.top - self.bottom);
        if floor.is_finite() && floor >= self.bottom - 2.0 * self.slack { floor } else { f64::NEG_INFINITY }
    }

    /// The shallowest rung holding half as much again as down to `bound`.
    fn rung_for(&self, bound: f64) -> usize {
        let wanted = 1.5 * (self.top - bound) / (self.top - self.bottom);
        (0..RUNGS).find(|&rung| share(rung) >= wanted).unwrap_or(RUNGS)
    }

    /// Whether `window` holds every utility.
    fn whole(&self, window: &Window) -> bool {
        window.floor <= self.min
    }

    /// Each box's running totals of the utilities within `window`, or `None` past `limit`.
    fn lattices(&self, window: (f64, f64), limit: usize) -> Option<Vec<Lattice>> {
        lattices(&self.tables, &self.allowed, self.slack, window, limit, &self.cancel)
    }

    /// Starts building every utility's running totals on another thread (`None` when no thread
    /// can be started).
    fn build_every(&self) -> Option<std::thread::JoinHandle<Option<Vec<Lattice>>>> {
        let (tables, allowed, slack, limit) = (self.tables.clone(), self.allowed.clone(), self.slack, self.limit);
        let cancel = Arc::clone(&self.cancel);
        let every = (f64::NEG_INFINITY, f64::INFINITY);
        std::thread::Builder::new()
            .name("running-totals".into())
            .spawn(move || lattices(&tables, &allowed, slack, every, limit, &cancel))
            .ok()
    }

    /// The lowest utility of the boxes' last levels.
    fn lowest(boxes: &[Lattice]) -> Option<f64> {
        boxes.iter().filter_map(|lattice| lattice.levels[lattice.levels.len() - 1].sums.first().copied()).reduce(f64::min)
    }

    /// The lowest utility.
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Answers `query` from the window, moved down the ladder until it can: the query gives
    /// `Err(bound)` when it needs every utility at or above `bound` (`-inf`: deeper, however
    /// far), and must answer once the window holds every utility. `None` (and [`note_failed`])
    /// when no rung within the limit holds the answer.
    fn answer<T>(&self, query: impl Fn(&Window) -> Result<T, f64>) -> Option<T> {
        if let Ok(answer) = query(&self.window.read().expect("window lock")) {
            return Some(answer);
        }
        let mut window = self.window.write().expect("window lock");
        loop {
            let bound = match query(&window) {
                Ok(answer) => return Some(answer),
                Err(bound) => bound,
            };
            debug_assert!(window.rung < RUNGS, "a query of every utility answers");
            // Every utility, built meanwhile: taken when done, or waited for the second time a
            // query reaches below (a session that went below the first rung is likely to go
            // further). Past the limit, the rungs go on.
            let mut every = self.every.lock().expect("every lock");
            let take = matches!(&*every, Every::Running(handle) if handle.is_finished() || window.generation > 0);
            if take && let Every::Running(handle) = std::mem::replace(&mut *every, Every::Done) {
                match handle.join() {
                    Ok(Some(boxes)) => {
                        window.adopt(RUNGS, f64::NEG_INFINITY, boxes);
                        continue;
                    }
                    Ok(None) => window.past_limit = window.past_limit.min(RUNGS),
                    // A panic in the build (none is expected) leaves the rungs to go on.
                    Err(_) => {}
                }
            }
            let wanted = if bound.is_finite() { self.rung_for(bound) } else { window.rung + 2 };
            let target = wanted.max(window.rung + 1).min(RUNGS).min(window.past_limit - 1);
            // No rung is left between the window and the limit.
            if target <= window.rung {
                note_failed();
                return None;
            }
            if target < RUNGS && matches!(*every, Every::NotStarted) {
                *every = self.build_every().map_or(Every::Done, Every::Running);
            }
            drop(every);
            // The target, else the deepest rung above it within the limit: found from the
            // shallowest up (a build past the limit costs the whole limit; one within it, less).
            let build = |rung: usize| {
                let floor = self.floor_of(rung);
                self.lattices((floor, f64::INFINITY), self.limit).map(|boxes| (rung, floor, boxes))
            };
            let mut built = build(target);
            if built.is_none() {
                window.past_limit = window.past_limit.min(target);
                for rung in window.rung + 1..target {
                    match build(rung) {
                        Some(fits) => built = Some(fits),
                        None => {
                            window.past_limit = window.past_limit.min(rung);
                            break;
                        }
                    }
                }
            }
            match built {
                Some((rung, floor, boxes)) => window.adopt(rung, floor, boxes),
                None => {
                    note_failed();
                    return None;
                }
            }
        }
    }

    /// How many outcomes the boxes hold, when known: one box.
    pub fn count(&self) -> Option<u64> {
        match self.allowed.as_slice() {
            [allowed] => allowed.iter().try_fold(1u64, |product, values| product.checked_mul(values.len() as u64)),
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

    /// The place of the first (or last) outcome reaching a state of `lattice`'s last level, read
    /// off its back pointers from the last issue to the first (no outcome is built).
    fn place_of(&self, lattice: &Lattice, mut state: usize, last: bool) -> Place {
        let (mut place, mut weight) = ((0u64, 0u64), (1u64, 1u64));
        for issue in (0..lattice.allowed.len()).rev() {
            let step = if last { lattice.levels[issue + 1].last[state] } else { lattice.levels[issue + 1].first[state] } as usize;
            let values = &lattice.allowed[issue];
            let value = u64::from(values[step % values.len()]);
            let size = u64::from(self.sizes[issue]);
            // Each half's outcomes are numbered in 64 bits (`Layout::of`), so neither overflows.
            if issue >= self.at {
                place.1 += value * weight.1;
                weight.1 *= size;
            } else {
                place.0 += value * weight.0;
                weight.0 *= size;
            }
            state = step / values.len();
        }
        place
    }

    /// The first outcome in listing order, with its utility.
    pub fn first(&self) -> (f64, Outcome) {
        let outcome = self.allowed.iter().map(|allowed| allowed.iter().map(|values| values[0]).collect::<Vec<u32>>()).min().expect("a box");
        let mut total = 0.0;
        for (table, &value) in self.tables.iter().zip(&outcome) {
            total += table[value as usize];
        }
        (total, outcome)
    }

    /// As [`Halves::find`].
    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        self.answer(|window| {
            let best = self.find_in(&window.boxes, low, high, want);
            // Every utility at or above the floor is held, with its first and last outcome.
            let held = self.whole(window) || low.is_some_and(|bound| bound.value >= window.floor);
            let deeper = || Err(low.map_or(f64::NEG_INFINITY, |bound| bound.value));
            match want {
                // The lowest above a bound below the floor may lie below it.
                Want::Lowest if !held => deeper(),
                // The highest found is the highest there is; none found, one may lie below.
                Want::Highest | Want::HighestLast if best.is_none() && !held => deeper(),
                _ => Ok(best),
            }
        })
        .flatten()
    }

    fn find_in(&self, boxes: &[Lattice], low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        let mut best: Option<(f64, Place)> = None;
        for lattice in boxes {
            let sums = &lattice.levels[lattice.levels.len() - 1].sums;
            let from = low.map_or(0, |bound| count_below(sums, bound.value, !bound.inclusive));
            let to = high.map_or(sums.len(), |bound| count_below(sums, bound.value, bound.inclusive));
            if from >= to {
                continue;
            }
            let (state, last) = match want {
                Want::Lowest => (from, false),
                Want::Highest => (to - 1, false),
                Want::HighestLast => (to - 1, true),
            };
            let candidate = (sums[state], self.place_of(lattice, state, last));
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
        let target = self.outcome(place);
        self.answer(|window| {
            let mut best: Option<(f64, Place)> = None;
            for (number, lattice) in window.boxes.iter().enumerate() {
                let sums = &lattice.levels[lattice.levels.len() - 1].sums;
                let tied = sums.partition_point(|&sum| sum < utility);
                let mut candidate = None;
                // The tied outcomes before `place` exist only when `place` is not the first of them.
                if sums.get(tied) == Some(&utility) && self.place_of(lattice, tied, false) < place {
                    let mut marks = self.marks.lock().expect("marks lock");
                    let fresh = marks.as_ref().is_some_and(|(generation, (at, bits, _))| {
                        *generation == window.generation && *at == number && *bits == utility.to_bits()
                    });
                    if !fresh {
                        let reach = lattice.reaching(&self.tables, tied, self.slack);
                        *marks = Some((window.generation, (number, utility.to_bits(), reach)));
                    }
                    let reach = &marks.as_ref().expect("marks").1.2;
                    candidate = lattice.last_below(&self.tables, reach, &target).map(|outcome| (utility, self.place(&outcome)));
                }
                if candidate.is_none() && tied > 0 {
                    candidate = Some((sums[tied - 1], self.place_of(lattice, tied - 1, true)));
                }
                if let Some(candidate) = candidate
                    && best.is_none_or(|best| candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1))
                {
                    best = Some(candidate);
                }
            }
            // The next one down found is the next there is; none found, it may lie below.
            if best.is_none() && !self.whole(window) { Err(f64::NEG_INFINITY) } else { Ok(best) }
        })
        .flatten()
    }
}

impl Lattice {
    /// The running totals of the utilities within `[floor, ceiling]` (see [`Sums`]): a level
    /// keeps a total only when the rest of the issues can take it there (their real lowest and
    /// highest, widened by `slack`), the last level only the utilities within. `None` past
    /// `limit` running totals over all levels.
    /// Also `None` as soon as `cancel` is set (checked level by level).
    fn new(
        tables: &[Vec<f64>],
        allowed: Vec<Vec<u32>>,
        limit: usize,
        (floor, ceiling): (f64, f64),
        slack: f64,
        cancel: &AtomicBool,
    ) -> Option<Lattice> {
        // What the issues from each level on can add, at least and at most.
        let issues = allowed.len();
        let (mut rest_low, mut rest_high) = (vec![0.0; issues + 1], vec![0.0; issues + 1]);
        for issue in (0..issues).rev() {
            let added = allowed[issue].iter().map(|&value| tables[issue][value as usize]);
            rest_low[issue] = rest_low[issue + 1] + added.clone().fold(f64::INFINITY, f64::min);
            rest_high[issue] = rest_high[issue + 1] + added.fold(f64::NEG_INFINITY, f64::max);
        }
        let mut levels = vec![Level { sums: vec![0.0], first: vec![0], last: vec![0] }];
        // Each state's first (last) prefix's rank among the level's first (last) prefixes, in
        // listing order, times the number of values of the next issue: only the level being
        // extended needs them. A step's key, its state's entry plus the value's index, orders the
        // steps as the listing does.
        let (mut first_rank, mut last_rank): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        let mut steps: Vec<(f64, u32, u32)> = Vec::new();
        let mut scratch: Vec<(f64, u32, u32)> = Vec::new();
        let mut slots: Vec<u32> = Vec::new();
        // Each state's first (last) step's key, below `keys_below` (level 0's one state: 0), from
        // which the ranks are found when the level is extended (the last level never is).
        let (mut first_key, mut last_key) = (vec![0u32], vec![0u32]);
        let mut keys_below = 1usize;
        let mut total = 1usize;
        for (table, values) in tables.iter().zip(&allowed) {
            let level = &levels[levels.len() - 1];
            let count = level.sums.len() * values.len();
            if count > 4 * STATES_LIMIT || level.sums.len() + total > limit || cancel.load(Ordering::Relaxed) {
                return None;
            }
            let scale = values.len() as u32;
            rank(&first_key, keys_below, scale, &mut slots, &mut first_rank);
            rank(&last_key, keys_below, scale, &mut slots, &mut last_rank);
            let adds: Vec<f64> = values.iter().map(|&value| table[value as usize]).collect();
            // The totals this level keeps: from the first that can still rise to the floor to
            // the last that can still fall to the ceiling (each test monotone in the total).
            let after = levels.len();
            let (to_floor, to_ceiling) = if after == issues { (0.0, 0.0) } else { (rest_high[after] + slack, rest_low[after] - slack) };
            let kept = |sum: f64| sum + to_floor >= floor && sum + to_ceiling <= ceiling;
            let range = |add: f64| {
                let from = level.sums.partition_point(|&sum| sum + add + to_floor < floor);
                let to = level.sums.partition_point(|&sum| sum + add + to_ceiling <= ceiling);
                (from, to.max(from))
            };
            let mut runs = [(0usize, 0usize); 8];
            for (run, &add) in runs.iter_mut().zip(&adds) {
                *run = range(add);
            }
            // Room for every step kept (pages never written cost nothing): no copy on growth.
            let kept_steps = if adds.len() <= 8 { runs.iter().map(|(from, to)| to - from).sum() } else { count };
            let capacity = kept_steps.min(STATES_LIMIT + 1);
            let mut next =
                Level { sums: Vec::with_capacity(capacity), first: Vec::with_capacity(capacity), last: Vec::with_capacity(capacity) };
            first_key.clear();
            last_key.clear();
            let ranks = Ranks { first: &first_rank, last: &last_rank };
            // Every (state, value index) step: one sorted run per value (addition is monotone).
            // Few values: the runs are merged at once, each distinct sum taken with its steps as
            // it comes (no list of steps).
            let keys = (&mut first_key, &mut last_key);
            let mut kept_steps = kept_steps;
            match values.len() {
                1..=2 => merge_few::<2>(&level.sums, &adds, &runs, ranks, &mut next, keys),
                3..=4 => merge_few::<4>(&level.sums, &adds, &runs, ranks, &mut next, keys),
                5..=8 => merge_few::<8>(&level.sums, &adds, &runs, ranks, &mut next, keys),
                _ => {
                    steps.clear();
                    for (index, &add) in adds.iter().enumerate() {
                        steps.extend(level.sums.iter().enumerate().map(|(state, &sum)| (sum + add, state as u32, index as u32)));
                    }
                    // Merged into one list ascending by the sum reached, then the kept ones
                    // grouped.
                    merge_runs(&mut steps, &mut scratch, level.sums.len());
                    let from = steps.partition_point(|step| step.0 + to_floor < floor);
                    let to = steps.partition_point(|step| step.0 + to_ceiling <= ceiling).max(from);
                    kept_steps = to - from;
                    group_steps(&steps[from..to], values.len() as u32, ranks, &mut next, keys);
                }
            }
            debug_assert!(next.sums.iter().all(|&sum| kept(sum)));
            total += next.sums.len();
            if next.sums.len() > STATES_LIMIT || total > limit {
                return None;
            }
            // Tables of unrelated reals never share a total: when a level of thousands of totals
            // merged none and the rest would multiply it past the limit, give up now rather than
            // at the limit (the caller's fallback is the same, sooner). A window's later levels
            // need not multiply, but a window of unrelated reals also fills the limit: giving up
            // a window that would have fitted only costs exactness the buckets never had.
            let rest: f64 = allowed[levels.len()..].iter().map(|values| values.len() as f64).product();
            if next.sums.len() == kept_steps && next.sums.len() >= 4096 && next.sums.len() as f64 * rest > limit as f64 {
                return None;
            }
            keys_below = count;
            levels.push(next);
        }
        Some(Lattice { allowed, levels })
    }

    /// The state a step reaches, unless the window left it out (no outcome through it is held).
    fn step(&self, tables: &[Vec<f64>], issue: usize, state: usize, value: u32) -> Option<usize> {
        let sum = self.levels[issue].sums[state] + tables[issue][value as usize];
        let next = &self.levels[issue + 1].sums;
        let at = next.partition_point(|&other| other < sum);
        (next.get(at) == Some(&sum)).then_some(at)
    }

    /// Per level, the states from which the last level's state `end` can be reached.
    fn reaching(&self, tables: &[Vec<f64>], end: usize, slack: f64) -> Vec<Vec<bool>> {
        let issues = self.allowed.len();
        let mut reach: Vec<Vec<bool>> = self.levels.iter().map(|level| vec![false; level.sums.len()]).collect();
        reach[issues][end] = true;
        let target = self.levels[issues].sums[end];
        // What the issues from each level on can add, at least and at most.
        let (mut rest_low, mut rest_high) = (0.0, 0.0);
        for issue in (0..issues).rev() {
            let added = self.allowed[issue].iter().map(|&value| tables[issue][value as usize]);
            rest_low += added.clone().fold(f64::INFINITY, f64::min);
            rest_high += added.fold(f64::NEG_INFINITY, f64::max);
            // Only running totals within reach of the target (widened by the rounding slack).
            let sums = &self.levels[issue].sums;
            let from = sums.partition_point(|&sum| sum < target - rest_high - slack);
            let to = sums.partition_point(|&sum| sum <= target - rest_low + slack);
            for state in from..to {
                reach[issue][state] = self.allowed[issue]
                    .iter()
                    .any(|&value| self.step(tables, issue, state, value).is_some_and(|next| reach[issue + 1][next]));
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
            let Some(next) = self.step(tables, issue, state, value).filter(|&next| reach[issue + 1][next]) else { continue };
            outcome.push(value);
            if value < target[issue] {
                // Below the target already: the latest completion.
                let mut at = next;
                for later in issue + 1..self.allowed.len() {
                    let (value, next) = self.allowed[later]
                        .iter()
                        .rev()
                        .find_map(|&value| Some((value, self.step(tables, later, at, value).filter(|&next| reach[later + 1][next])?)))
                        .expect("a marked state reaches the end");
                    at = next;
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

/// Each box's running totals of the utilities within `window`, or `None` past `limit` (all boxes
/// together) or once `cancel` is set.
fn lattices(
    tables: &[Vec<f64>],
    allowed: &[Vec<Vec<u32>>],
    slack: f64,
    window: (f64, f64),
    limit: usize,
    cancel: &AtomicBool,
) -> Option<Vec<Lattice>> {
    let mut budget = limit;
    let mut boxes = Vec::with_capacity(allowed.len());
    for allowed in allowed {
        let lattice = Lattice::new(tables, allowed.clone(), budget, window, slack, cancel)?;
        budget -= lattice.levels.iter().map(|level| level.sums.len()).sum::<usize>();
        boxes.push(lattice);
    }
    Some(boxes)
}

/// The query engine of an additive utility: halves when they fit, else distinct running totals
/// (branch and bound on request).
#[derive(Debug)]
pub enum Engine {
    Halves(Halves),
    /// Boxed: its window and marks are behind locks, larger than the other engines.
    Sums(Box<Sums>),
    Bnb(crate::bnb::Bnb),
}

impl Engine {
    /// Running totals when they are few (tables on a grid: their set-up is then cheaper than
    /// sorting the halves, and a query is a binary search instead of a sweep), else the halves
    /// when they fit, else running totals however many, by windows deepened as queries need. Branch and bound ([`crate::bnb`]) is not
    /// chosen here: on dense spaces its queries in the middle of the range exceed its node limit.
    /// Running totals are held to `limit` ([`TOTAL_LIMIT`] by default).
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>, limit: usize) -> Option<Engine> {
        Sums::with_limit(problem, party, region, FEW_TOTALS.min(limit))
            .map(|sums| Engine::Sums(Box::new(sums)))
            .or_else(|| Halves::new(problem, party, region).map(Engine::Halves))
            .or_else(|| Sums::windowed(problem, party, region, limit, true).map(|sums| Engine::Sums(Box::new(sums))))
    }

    /// The node limit, when a branch-and-bound query was cut short at it (running totals
    /// report a query past their limit by [`take_failed`] instead).
    pub fn exhausted(&self) -> Option<u64> {
        match self {
            Engine::Bnb(bnb) => bnb.exhausted(),
            Engine::Sums(_) | Engine::Halves(_) => None,
        }
    }

    /// The lowest utility.
    pub fn min(&self) -> Option<f64> {
        match self {
            Engine::Sums(sums) => Some(sums.min()),
            Engine::Halves(_) | Engine::Bnb(_) => self.find(None, None, Want::Lowest).map(|(utility, _)| utility),
        }
    }

    pub fn count(&self) -> Option<u64> {
        match self {
            Engine::Halves(halves) => halves.count(),
            Engine::Sums(sums) => sums.count(),
            Engine::Bnb(bnb) => bnb.count(),
        }
    }

    pub fn outcome(&self, place: Place) -> Outcome {
        match self {
            Engine::Halves(halves) => halves.outcome(place),
            Engine::Sums(sums) => sums.outcome(place),
            Engine::Bnb(bnb) => bnb.outcome(place),
        }
    }

    pub fn first(&self) -> (f64, Outcome) {
        match self {
            Engine::Halves(halves) => halves.first(),
            Engine::Sums(sums) => sums.first(),
            Engine::Bnb(bnb) => bnb.first(),
        }
    }

    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        match self {
            Engine::Halves(halves) => halves.find(low, high, want),
            Engine::Sums(sums) => sums.find(low, high, want),
            Engine::Bnb(bnb) => bnb.find(low, high, want),
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
            Engine::Bnb(bnb) => [bnb.find(first.0, first.1, first.2), bnb.find(second.0, second.1, second.2)],
        }
    }

    pub fn next_down(&self, at: (f64, Place)) -> Option<(f64, Place)> {
        match self {
            Engine::Halves(halves) => halves.next_down(at),
            Engine::Sums(sums) => sums.next_down(at),
            Engine::Bnb(bnb) => bnb.next_down(at),
        }
    }
}

/// How many of the ascending `sums` lie below `value` (or at it, `or_equal`): one search whose
/// comparison is chosen before it starts, not at each step.
fn count_below(sums: &[f64], value: f64, or_equal: bool) -> usize {
    if or_equal { sums.partition_point(|&sum| sum <= value) } else { sums.partition_point(|&sum| sum < value) }
}

/// The ranks of the level being extended, scaled: see [`Lattice::new`].
#[derive(Clone, Copy)]
struct Ranks<'a> {
    first: &'a [u32],
    last: &'a [u32],
}

/// Merges the runs `sums[from..to] + adds[index]` (one per value, `(from, to) = runs[index]`,
/// each ascending) into `next`'s distinct totals, each with its first and last step, and their
/// keys. `LANES` (a power of two, at least
/// the number of values) runs' next sums are compared at once, the smallest found and the runs
/// at it marked without a branch per run (which runs reach the smallest total next is a coin toss
/// the branch predictor loses); only the marked runs are then visited.
fn merge_few<const LANES: usize>(
    sums: &[f64],
    adds: &[f64],
    runs: &[(usize, usize); 8],
    ranks: Ranks<'_>,
    next: &mut Level,
    (first_key, last_key): (&mut Vec<u32>, &mut Vec<u32>),
) {
    let k = adds.len();
    debug_assert!(k <= LANES && LANES <= runs.len());
    // Each run's position, end and next sum; +inf once the run is spent and for lanes beyond the
    // values (the sums are finite, see `Layout::of`, so +inf equals none of them).
    let mut heads = [0usize; LANES];
    let mut ends = [0usize; LANES];
    let mut ahead = [f64::INFINITY; LANES];
    let mut step = [0.0f64; LANES];
    step[..k].copy_from_slice(adds);
    for index in 0..k {
        (heads[index], ends[index]) = runs[index];
        if heads[index] < ends[index] {
            ahead[index] = sums[heads[index]] + step[index];
        }
    }
    loop {
        let sum = smallest(&ahead);
        if sum == f64::INFINITY {
            break;
        }
        // The runs at `sum` now (equal sums, 0 and -0 included, are one state: they add alike
        // from here on).
        let mut at = 0u32;
        for (index, &value) in ahead.iter().enumerate() {
            at |= u32::from(value == sum) << index;
        }
        // Keys in the high half, steps in the low: the smallest first key and the largest last
        // key win, each with its step.
        let (mut earliest, mut latest) = (u64::MAX, 0u64);
        // Each run at `sum` takes one step per pass, and a pass's runs do not wait on each other
        // (which the processor overlaps): a run's next sum is looked at by the next pass only.
        // Two totals of a run can round to one sum, so passes go on while a run is still at it.
        while at != 0 {
            let mut again = 0u32;
            while at != 0 {
                let index = at.trailing_zeros() as usize;
                let state = heads[index];
                let step_at = u64::from((state * k + index) as u32);
                earliest = earliest.min(u64::from(ranks.first[state] + index as u32) << 32 | step_at);
                latest = latest.max(u64::from(ranks.last[state] + index as u32) << 32 | step_at);
                heads[index] = state + 1;
                let following = if state + 1 < ends[index] { sums[state + 1] + step[index] } else { f64::INFINITY };
                ahead[index] = following;
                again |= u32::from(following == sum) << index;
                at &= at - 1;
            }
            at = again;
        }
        next.sums.push(sum);
        next.first.push(earliest as u32);
        next.last.push(latest as u32);
        first_key.push((earliest >> 32) as u32);
        last_key.push((latest >> 32) as u32);
    }
}

/// The smallest of a few sums, by a tree of comparisons (no branch).
fn smallest<const LANES: usize>(sums: &[f64; LANES]) -> f64 {
    let mut lanes = *sums;
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for index in 0..width {
            let (a, b) = (lanes[index], lanes[index + width]);
            lanes[index] = if b < a { b } else { a };
        }
    }
    lanes[0]
}

/// Groups merged steps (ascending by sum) of `k` values into `next`'s distinct totals, each with
/// its first and last step, and their keys.
fn group_steps(
    steps: &[(f64, u32, u32)],
    k: u32,
    ranks: Ranks<'_>,
    next: &mut Level,
    (first_key, last_key): (&mut Vec<u32>, &mut Vec<u32>),
) {
    let key = |ranks: &[u32], &(_, state, index): &(f64, u32, u32)| ranks[state as usize] + index;
    let mut group = 0;
    while group < steps.len() {
        let sum = steps[group].0;
        let mut end = group + 1;
        // Equal sums (0 and -0 included) are one state: they add alike from here on.
        while end < steps.len() && steps[end].0 == sum {
            end += 1;
        }
        let earliest = steps[group..end].iter().min_by_key(|step| key(ranks.first, step)).expect("a step");
        let latest = steps[group..end].iter().max_by_key(|step| key(ranks.last, step)).expect("a step");
        next.sums.push(sum);
        next.first.push(earliest.1 * k + earliest.2);
        next.last.push(latest.1 * k + latest.2);
        first_key.push(key(ranks.first, earliest));
        last_key.push(key(ranks.last, latest));
        group = end;
    }
}

/// Each state's rank by its (distinct) key, keys below `count`, times `scale` (the product fits: it
/// is below the steps of the level extended, checked against 4 × [`STATES_LIMIT`]), into `ranks`: by
/// placing each state in a slot of its key, linear, no sort. Empty slots point past the states,
/// at a rank nobody reads, so the scan has no branch.
fn rank(keys: &[u32], count: usize, scale: u32, slots: &mut Vec<u32>, ranks: &mut Vec<u32>) {
    let empty = keys.len() as u32;
    slots.clear();
    slots.resize(count, empty);
    for (state, &key) in keys.iter().enumerate() {
        slots[key as usize] = state as u32;
    }
    ranks.clear();
    ranks.resize(keys.len() + 1, 0);
    let mut position = 0u32;
    for &state in slots.iter() {
        ranks[state as usize] = position;
        position += scale * u32::from(state != empty);
    }
    ranks.truncate(keys.len());
}

/// Merges consecutive sorted runs of `run` entries each of `entries` into one list ascending by
/// sum, pairwise (`scratch` is overwritten). Equal sums keep no particular order.
fn merge_runs(entries: &mut Vec<(f64, u32, u32)>, scratch: &mut Vec<(f64, u32, u32)>, mut run: usize) {
    while run < entries.len() {
        scratch.clear();
        scratch.resize(entries.len(), (0.0, 0, 0));
        for (chunk, out) in entries.chunks(2 * run).zip(scratch.chunks_mut(2 * run)) {
            let (a, b) = chunk.split_at(run.min(chunk.len()));
            // Without branches on the comparison: which side is taken is a coin toss, and a
            // mispredicted branch per entry costs more than both loads.
            let (mut i, mut j, mut k) = (0, 0, 0);
            while i < a.len() && j < b.len() {
                let take_b = b[j].0 < a[i].0;
                out[k] = if take_b { b[j] } else { a[i] };
                j += usize::from(take_b);
                i += usize::from(!take_b);
                k += 1;
            }
            out[k..k + a.len() - i].copy_from_slice(&a[i..]);
            k += a.len() - i;
            out[k..].copy_from_slice(&b[j..]);
        }
        std::mem::swap(entries, scratch);
        run *= 2;
    }
}

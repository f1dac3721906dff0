//! Exact inverse utility for additive utilities without listing the outcomes: meet in the middle.
//!
//! The issues are split in two halves; each half's partial utilities are listed and sorted once
//! (set-up grows with the square root of the number of outcomes, not with it). A query — "the
//! lowest utility at or above `x`", "the highest below `x`" — sweeps the two sorted halves with two
//! pointers for the pairs whose approximate sum `left + right` lies in a window, and re-evaluates
//! those in the order the utility itself sums (issue by issue from the first), so that the answer
//! is the exact one the listing would give, ties broken by listing order. The approximate sum
//! differs from the exact one by at most a slack bounded from the number of issues and the tables'
//! magnitudes, so a window widened by it on both sides is sure to hold the answer.
//!
//! A party bound to a region (a union of boxes, each allowing some values per issue) gets one pair
//! of halves per box; an answer is the best over the boxes (boxes may overlap: the same outcome
//! found twice changes nothing).

use parley_analysis::space::{Outcome, Problem, Utility};

use crate::acceptable::Region;
use crate::guide::{Guide, gallop};
use crate::inverter::decode;

/// A half may list at most this many partial outcomes (per box); larger spaces are not split.
pub const HALF_LIMIT: u64 = 1 << 21;

/// Utility ranges this narrow are swept whole at once.
const NARROW: f64 = 1e-5;

/// An outcome's place in the listing order: (index of the first half's values, index of the
/// second half's), both mixed radix over the whole space's issue sizes.
pub type Place = (u64, u64);

/// One box's halves.
#[derive(Debug)]
struct Split {
    /// Issues `..at` form the first half, `at..` the second.
    at: usize,
    /// `(partial utility, index)`, ascending by partial utility.
    left: Vec<(f64, u64)>,
    right: Vec<(f64, u64)>,
    /// Find each left entry's range in the right half by binary search (the left half is much
    /// smaller), rather than by moving pointers.
    search: bool,
    /// Where searches of the right half start.
    guide: Guide,
    /// The right half's values, issue by issue for each entry in sorted order, when each fits a
    /// byte and all of them stay small: a pair's exact utility is then the left entry's partial sum
    /// (summed in the utility's own order) plus these values' table entries, without decoding.
    digits: Option<Digits>,
}

/// The right half's values per entry, `issues` bytes each.
#[derive(Debug)]
struct Digits {
    values: Vec<u8>,
    /// Laid out by listing index (a box allowing every value: made by counting, without
    /// division), rather than by sorted position.
    by_index: bool,
}

/// A party's additive utility over a union of boxes, split in halves.
#[derive(Debug)]
pub struct Halves {
    tables: Vec<Vec<f64>>,
    sizes: Vec<u32>,
    splits: Vec<Split>,
    /// The largest difference between a pair's approximate sum and its exact utility.
    slack: f64,
    /// The lowest and highest approximate sums over every box.
    approx_low: f64,
    approx_high: f64,
    /// The first outcome in listing order.
    first: Place,
}

/// Which end of a range an answer comes from, and how ties are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The lowest utility, the first in listing order among ties.
    Lowest,
    /// The highest utility, the first in listing order among ties.
    Highest,
    /// The highest utility, the last in listing order among ties.
    HighestLast,
}

/// A bound of a utility range.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub value: f64,
    pub inclusive: bool,
}

impl Bound {
    pub fn at_least(value: f64) -> Bound {
        Bound { value, inclusive: true }
    }

    pub fn below(value: f64) -> Bound {
        Bound { value, inclusive: false }
    }
}

impl Halves {
    /// The party's halves (over `region` only, when given), or `None` when its utility is not
    /// additive or a half would list more than [`HALF_LIMIT`] partial outcomes.
    pub fn new(problem: &Problem, party: usize, region: Option<&Region>) -> Option<Halves> {
        let Utility::Additive(additive) = &problem.parties[party].utility else { return None };
        let tables = additive.tables.clone();
        let sizes: Vec<u32> = tables.iter().map(|table| table.len() as u32).collect();
        if sizes.is_empty() || sizes.contains(&0) {
            return None;
        }
        let every: Vec<Vec<bool>> = sizes.iter().map(|&size| vec![true; size as usize]).collect();
        let boxes: Vec<&[Vec<bool>]> = match region {
            None => vec![every.as_slice()],
            Some(region) => region.boxes().iter().map(Vec::as_slice).collect(),
        };
        if boxes.is_empty() {
            return None;
        }
        let at = split_point(&sizes);
        // Listing places are indices over each half's whole issues: they must fit 64 bits.
        let fits = |issues: &[u32]| issues.iter().try_fold(1u64, |product, &size| product.checked_mul(u64::from(size))).is_some();
        if !fits(&sizes[..at]) || !fits(&sizes[at..]) {
            return None;
        }
        let mut splits = Vec::with_capacity(boxes.len());
        let mut first: Option<Place> = None;
        // Every box's halves together stay within twice a half's limit (memory, and every query
        // sweeps every box): a region of many boxes is listed instead.
        let mut entries = 0u64;
        for mask in boxes {
            let allowed: Vec<Vec<u32>> =
                mask.iter().map(|values| (0..values.len() as u32).filter(|&value| values[value as usize]).collect()).collect();
            let count = |issues: &[Vec<u32>]| issues.iter().fold(1u64, |product, values| product.saturating_mul(values.len() as u64));
            entries = entries.saturating_add(count(&allowed[..at])).saturating_add(count(&allowed[at..]));
            if entries > 2 * HALF_LIMIT {
                return None;
            }
            let split = Split::new(&tables, &sizes, &allowed, at)?;
            let place = (place_of(&allowed[..split.at], &sizes[..split.at]), place_of(&allowed[split.at..], &sizes[split.at..]));
            first = Some(first.map_or(place, |first: Place| first.min(place)));
            splits.push(split);
        }
        let magnitude: f64 = tables.iter().map(|table| table.iter().fold(0.0f64, |high, value| high.max(value.abs()))).sum();
        // Sequential and split sums each stray from the real sum by at most (n - 1)·u·Σ|a|.
        let slack = 4.0 * (tables.len() as f64 + 1.0) * f64::EPSILON * magnitude + f64::MIN_POSITIVE;
        let approx_low = splits.iter().map(|split| split.left[0].0 + split.right[0].0).fold(f64::INFINITY, f64::min);
        let approx_high = splits
            .iter()
            .map(|split| split.left[split.left.len() - 1].0 + split.right[split.right.len() - 1].0)
            .fold(f64::NEG_INFINITY, f64::max);
        Some(Halves { tables, sizes, splits, slack, approx_low, approx_high, first: first? })
    }

    /// How many outcomes the boxes hold, when that is known without listing: one box.
    pub fn count(&self) -> Option<u64> {
        match self.splits.as_slice() {
            [split] => (split.left.len() as u64).checked_mul(split.right.len() as u64),
            _ => None,
        }
    }

    /// The outcome at a place.
    pub fn outcome(&self, place: Place) -> Outcome {
        let at = self.splits[0].at;
        let mut outcome = decode(place.0, &self.sizes[..at]);
        outcome.extend(decode(place.1, &self.sizes[at..]));
        outcome
    }

    /// The first outcome in listing order.
    pub fn first(&self) -> (f64, Outcome) {
        let outcome = self.outcome(self.first);
        (self.evaluate(&outcome), outcome)
    }

    fn evaluate(&self, outcome: &[u32]) -> f64 {
        // The same sum as `Utility::evaluate`, in the same order.
        let mut total = 0.0;
        for (table, &value) in self.tables.iter().zip(outcome) {
            total += table[value as usize];
        }
        total
    }

    /// The outcome `want` asks for among those whose exact utility lies between `low` and `high`
    /// (unbounded when `None`), with its utility.
    pub fn find(&self, low: Option<Bound>, high: Option<Bound>, want: Want) -> Option<(f64, Place)> {
        self.find_admitting(low, high, want, &|_, _| true)
    }

    /// The outcome after `(utility, place)` in descending order of (utility, listing place): the
    /// next one down a walk from the best.
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
        let [answer] = self.find_each([Request { low, high, want, admit }]);
        answer
    }

    /// Two queries answered by one sweep per round of widening, as [`Halves::find`] answers each.
    pub fn find_two(
        &self,
        first: (Option<Bound>, Option<Bound>, Want),
        second: (Option<Bound>, Option<Bound>, Want),
    ) -> [Option<(f64, Place)>; 2] {
        let all: &dyn Fn(f64, Place) -> bool = &|_, _| true;
        self.find_each([
            Request { low: first.0, high: first.1, want: first.2, admit: all },
            Request { low: second.0, high: second.1, want: second.2, admit: all },
        ])
    }

    /// Each request's answer. Every request searches its own windows exactly as it would alone
    /// (the same pairs, the same widening); requests still open share one sweep over the span of
    /// their windows, so that a pair is decoded and summed once for all of them.
    fn find_each<const N: usize>(&self, requests: [Request<'_>; N]) -> [Option<(f64, Place)>; N] {
        let mut answers = [None; N];
        let mut open: [Option<Search>; N] = [None; N];
        for (slot, request) in open.iter_mut().zip(&requests) {
            *slot = self.start(request);
        }
        // Only pairs of splits without digits are decoded into this.
        let mut outcome = Vec::new();
        while open.iter().any(Option::is_some) {
            // The window of approximate sums each open request searches this time.
            let windows: [Option<(f64, f64)>; N] =
                std::array::from_fn(|index| open[index].map(|search| search.window(requests[index].want)));
            let span = windows
                .iter()
                .flatten()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(from, to), window| (from.min(window.0), to.max(window.1)));
            let mut best: [Option<(f64, Place)>; N] = [None; N];
            for split in &self.splits {
                split.pairs(span.0, span.1, &mut |&(partial, left), position| {
                    let approximate = partial + split.right[position].0;
                    let right = split.right[position].1;
                    let mut utility = None;
                    for index in 0..N {
                        let Some((from, to)) = windows[index] else { continue };
                        if approximate < from || approximate > to {
                            continue;
                        }
                        let utility = *utility.get_or_insert_with(|| self.exact(split, partial, left, right, position, &mut outcome));
                        let request = &requests[index];
                        if request.inside(utility)
                            && (request.admit)(utility, (left, right))
                            && best[index].is_none_or(|best| request.better((utility, (left, right)), best))
                        {
                            best[index] = Some((utility, (left, right)));
                        }
                    }
                });
            }
            for index in 0..N {
                let (Some(search), Some((from, to))) = (open[index].as_mut(), windows[index]) else { continue };
                let whole = from <= search.floor && to >= search.ceiling;
                // Any pair outside the window is off from it by more than the slack in exact utility.
                let settled = match (requests[index].want, best[index]) {
                    (_, _) if whole => true,
                    (Want::Lowest, Some((utility, _))) => utility + self.slack < to,
                    (Want::Highest | Want::HighestLast, Some((utility, _))) => utility - self.slack > from,
                    (_, None) => false,
                };
                if settled {
                    answers[index] = best[index];
                    open[index] = None;
                } else {
                    search.width *= 8.0;
                }
            }
        }
        answers
    }

    /// Where a request's search begins, or `None` when nothing can be in its range.
    fn start(&self, request: &Request<'_>) -> Option<Search> {
        // Approximate sums outside [floor, ceiling] cannot be in the range.
        let floor = request.low.map_or(self.approx_low, |bound| bound.value - self.slack).max(self.approx_low);
        let ceiling = request.high.map_or(self.approx_high, |bound| bound.value + self.slack).min(self.approx_high);
        if floor > ceiling {
            return None;
        }
        // A narrow range (worst_in's windows of a few 1e-6) is searched whole in one sweep;
        // otherwise the first window reaches just past the nearest approximate sum from the wanted
        // end.
        let nearest = match request.want {
            _ if ceiling - floor <= NARROW => ceiling - floor,
            Want::Lowest => self.splits.iter().filter_map(|split| split.lowest_from(floor)).fold(f64::INFINITY, f64::min) - floor,
            Want::Highest | Want::HighestLast => {
                ceiling - self.splits.iter().filter_map(|split| split.highest_to(ceiling)).fold(f64::NEG_INFINITY, f64::max)
            }
        };
        if !nearest.is_finite() {
            return None;
        }
        let width = if ceiling - floor <= NARROW { nearest } else { nearest + 4.0 * self.slack };
        Some(Search { floor, ceiling, width })
    }

    /// A pair's exact utility, summed in the utility's own order.
    fn exact(&self, split: &Split, partial: f64, left: u64, right: u64, position: usize, outcome: &mut Vec<u32>) -> f64 {
        match &split.digits {
            Some(digits) => {
                let issues = self.tables.len() - split.at;
                let row = if digits.by_index { right as usize } else { position };
                let values = &digits.values[row * issues..(row + 1) * issues];
                // The same sum as `evaluate`: the left partial is its first `at` steps.
                self.tables[split.at..].iter().zip(values).fold(partial, |total, (table, &value)| total + table[usize::from(value)])
            }
            None => {
                outcome.resize(self.tables.len(), 0);
                self.fill(split.at, left, right, outcome);
                self.evaluate(outcome)
            }
        }
    }

    fn fill(&self, at: usize, left: u64, right: u64, outcome: &mut [u32]) {
        let mut rest = left;
        for issue in (0..at).rev() {
            let size = u64::from(self.sizes[issue]);
            outcome[issue] = (rest % size) as u32;
            rest /= size;
        }
        let mut rest = right;
        for issue in (at..self.sizes.len()).rev() {
            let size = u64::from(self.sizes[issue]);
            outcome[issue] = (rest % size) as u32;
            rest /= size;
        }
    }
}

/// One query of [`Halves::find_each`].
struct Request<'a> {
    low: Option<Bound>,
    high: Option<Bound>,
    want: Want,
    admit: &'a dyn Fn(f64, Place) -> bool,
}

impl Request<'_> {
    fn inside(&self, utility: f64) -> bool {
        self.low.is_none_or(|bound| if bound.inclusive { utility >= bound.value } else { utility > bound.value })
            && self.high.is_none_or(|bound| if bound.inclusive { utility <= bound.value } else { utility < bound.value })
    }

    fn better(&self, candidate: (f64, Place), best: (f64, Place)) -> bool {
        match self.want {
            Want::Lowest => candidate.0 < best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
            Want::Highest => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 < best.1),
            Want::HighestLast => candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1),
        }
    }
}

/// An open request's search: the approximate sums that can be in its range, and how wide a
/// window from its wanted end it searches next.
#[derive(Clone, Copy, Debug)]
struct Search {
    floor: f64,
    ceiling: f64,
    width: f64,
}

impl Search {
    fn window(&self, want: Want) -> (f64, f64) {
        match want {
            Want::Lowest => (self.floor, (self.floor + self.width).min(self.ceiling)),
            Want::Highest | Want::HighestLast => ((self.ceiling - self.width).max(self.floor), self.ceiling),
        }
    }
}

/// The split point: the second half as large as [`RIGHT_AT_LEAST`] or the balanced split's larger
/// half, whichever is larger, so that a small space has few first-half entries to sweep (each
/// finding its range in the second half by binary search).
fn split_point(sizes: &[u32]) -> usize {
    let total: f64 = sizes.iter().map(|&size| f64::from(size)).product();
    let target = total.sqrt().max(RIGHT_AT_LEAST);
    let mut suffix = 1.0;
    let mut at = sizes.len();
    while at > 1 && suffix * f64::from(sizes[at - 1]) <= target {
        at -= 1;
        suffix *= f64::from(sizes[at]);
    }
    at
}

/// The second half may hold this many entries even when the first is smaller.
const RIGHT_AT_LEAST: f64 = 65_536.0;

/// The listing index, within issues of `sizes`, of the first outcome allowing `allowed` values.
fn place_of(allowed: &[Vec<u32>], sizes: &[u32]) -> u64 {
    allowed.iter().zip(sizes).fold(0u64, |index, (values, &size)| index * u64::from(size) + u64::from(values[0]))
}

impl Split {
    /// The halves of one box, split before issue `at` (the same for every box, so that places
    /// compare across boxes).
    fn new(tables: &[Vec<f64>], sizes: &[u32], allowed: &[Vec<u32>], at: usize) -> Option<Split> {
        let limit = HALF_LIMIT as f64;
        let left_count: f64 = allowed[..at].iter().map(|values| values.len() as f64).product();
        let right_count: f64 = allowed[at..].iter().map(|values| values.len() as f64).product();
        if left_count > limit || right_count > limit {
            return None;
        }
        let left = half(&tables[..at], &sizes[..at], &allowed[..at]);
        let right = half(&tables[at..], &sizes[at..], &allowed[at..]);
        let search = (left.len() as f64) * (right.len() as f64).log2().max(1.0) < (left.len() + right.len()) as f64;
        let guide = Guide::new(&right, |entry| entry.0);
        let digits = digits(&right, &sizes[at..], &allowed[at..]);
        Some(Split { at, left, right, search, guide, digits })
    }

    /// The lowest approximate sum at or above `from`.
    fn lowest_from(&self, from: f64) -> Option<f64> {
        let (left, right) = (&self.left, &self.right);
        let start = left.partition_point(|entry| entry.0 + right[right.len() - 1].0 < from);
        let mut begin = right.len();
        let mut lowest: Option<f64> = None;
        for &(value, _) in &left[start..] {
            if self.search || begin == right.len() {
                begin = self.guide.partition_point(right, from - value, |entry| value + entry.0 < from);
            }
            while begin > 0 && value + right[begin - 1].0 >= from {
                begin -= 1;
            }
            if let Some(entry) = right.get(begin) {
                let sum = value + entry.0;
                if lowest.is_none_or(|lowest| sum < lowest) {
                    lowest = Some(sum);
                }
            }
            if begin == 0 {
                break;
            }
        }
        lowest
    }

    /// The highest approximate sum at or below `to`.
    fn highest_to(&self, to: f64) -> Option<f64> {
        let (left, right) = (&self.left, &self.right);
        let end = left.partition_point(|entry| entry.0 + right[0].0 <= to);
        // As the left value falls, more right entries fit below `to`.
        let mut finish = 0;
        let mut highest: Option<f64> = None;
        for &(value, _) in left[..end].iter().rev() {
            if self.search || finish == 0 {
                finish = self.guide.partition_point(right, to - value, |entry| value + entry.0 <= to);
            }
            while finish < right.len() && value + right[finish].0 <= to {
                finish += 1;
            }
            if finish > 0 {
                let sum = value + right[finish - 1].0;
                if highest.is_none_or(|highest| sum > highest) {
                    highest = Some(sum);
                }
            }
            if finish == right.len() {
                break;
            }
        }
        highest
    }

    /// Calls `each(left index, right index)` for every pair whose approximate sum lies in
    /// `[from, to]`: a two-pointer sweep (floating-point addition is monotone in each argument).
    fn pairs(&self, from: f64, to: f64, each: &mut impl FnMut(&(f64, u64), usize)) {
        let (left, right) = (&self.left, &self.right);
        let (low_right, high_right) = (right[0].0, right[right.len() - 1].0);
        // Only left entries that can reach the window with some right entry.
        let start = left.partition_point(|entry| entry.0 + high_right < from);
        let end = left.partition_point(|entry| entry.0 + low_right <= to);
        // As the left value grows, the right ranges move down.
        let (mut begin, mut finish) = match left.get(start) {
            Some(first) if start < end => (
                self.guide.partition_point(right, from - first.0, |entry| first.0 + entry.0 < from),
                self.guide.partition_point(right, to - first.0, |entry| first.0 + entry.0 <= to),
            ),
            _ => return,
        };
        for entry in &left[start..end] {
            let value = entry.0;
            if self.search {
                begin = self.guide.partition_point(right, from - value, |entry| value + entry.0 < from);
                // The window is usually narrow: its end lies a few entries past its start.
                finish = gallop(right, begin, |entry| value + entry.0 <= to);
            }
            while begin > 0 && value + right[begin - 1].0 >= from {
                begin -= 1;
            }
            while finish > 0 && value + right[finish - 1].0 > to {
                finish -= 1;
            }
            for position in begin..finish.max(begin) {
                each(entry, position);
            }
        }
    }
}

/// At most this many bytes of right-half values are kept per box.
const DIGITS_LIMIT: usize = 1 << 24;

/// The values of each entry of a right half (see [`Split::digits`]).
fn digits(right: &[(f64, u64)], sizes: &[u32], allowed: &[Vec<u32>]) -> Option<Digits> {
    if sizes.iter().any(|&size| size > 256) || right.len().checked_mul(sizes.len())? > DIGITS_LIMIT {
        return None;
    }
    let mut digits = vec![0u8; right.len() * sizes.len()];
    if allowed.iter().zip(sizes).all(|(values, &size)| values.len() == size as usize) {
        // Every value allowed: listing indices are 0..len, and counting up lists their values.
        let mut current = vec![0u8; sizes.len()];
        for row in digits.chunks_exact_mut(sizes.len().max(1)) {
            row.copy_from_slice(&current);
            for (value, &size) in current.iter_mut().zip(sizes).rev() {
                if u32::from(*value) + 1 < size {
                    *value += 1;
                    break;
                }
                *value = 0;
            }
        }
        return Some(Digits { values: digits, by_index: true });
    }
    let narrow = sizes.iter().try_fold(1u32, |product, &size| product.checked_mul(size)).is_some();
    for (values, &(_, index)) in digits.chunks_exact_mut(sizes.len().max(1)).zip(right) {
        if narrow {
            // 32-bit division is several times faster than 64-bit.
            let mut rest = index as u32;
            for (value, &size) in values.iter_mut().zip(sizes).rev() {
                *value = (rest % size) as u8;
                rest /= size;
            }
        } else {
            let mut rest = index;
            for (value, &size) in values.iter_mut().zip(sizes).rev() {
                *value = (rest % u64::from(size)) as u8;
                rest /= u64::from(size);
            }
        }
    }
    Some(Digits { values: digits, by_index: false })
}

/// Every combination of the allowed values of a half's issues: `(partial sum, index)`, ascending
/// by partial sum (ties in no particular order: queries compare places themselves).
fn half(tables: &[Vec<f64>], sizes: &[u32], allowed: &[Vec<u32>]) -> Vec<(f64, u64)> {
    let total = allowed.iter().fold(1usize, |product, values| product.saturating_mul(values.len()));
    // Two buffers of the final size, used in turn: no allocation per issue or per merge pass.
    let mut entries: Vec<(f64, u64)> = Vec::with_capacity(total);
    let mut other: Vec<(f64, u64)> = Vec::with_capacity(total);
    entries.push((0.0, 0));
    for ((table, &size), values) in tables.iter().zip(sizes).zip(allowed) {
        // Value by value: adding one value's table entry keeps the sorted sums sorted (addition is
        // monotone), so each value gives a sorted run and the runs only need merging.
        other.clear();
        for &value in values {
            other.extend(entries.iter().map(|&(sum, index)| (sum + table[value as usize], index * u64::from(size) + u64::from(value))));
        }
        let run = entries.len();
        std::mem::swap(&mut entries, &mut other);
        merge_runs(&mut entries, &mut other, run);
    }
    entries
}

/// Merges consecutive sorted runs of `run` entries each (the last may be shorter) of `entries` into
/// one list ascending by sum, pairwise, as the bottom passes of a merge sort (`scratch` is
/// overwritten).
fn merge_runs(entries: &mut Vec<(f64, u64)>, scratch: &mut Vec<(f64, u64)>, mut run: usize) {
    while run < entries.len() {
        scratch.clear();
        for chunk in entries.chunks(2 * run) {
            let (mut a, mut b) = chunk.split_at(run.min(chunk.len()));
            while let (Some(x), Some(y)) = (a.first(), b.first()) {
                if y.0 < x.0 {
                    scratch.push(*y);
                    b = &b[1..];
                } else {
                    scratch.push(*x);
                    a = &a[1..];
                }
            }
            scratch.extend_from_slice(a);
            scratch.extend_from_slice(b);
        }
        std::mem::swap(entries, scratch);
        run *= 2;
    }
}

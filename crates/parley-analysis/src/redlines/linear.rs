//! Linear atoms: `Σ cᵢ·xᵢ ≤ k` (or `<`) over numeric variables, decided in exact arithmetic.
//!
//! A variable's values grow with its keys (an integer issue's `min + key·step`, a real issue's
//! `f64` of the key), so over a box of key hulls a sum is smallest and largest at corners, and a
//! corner's sum is compared exactly ([`parley_core::expr::linear::compare_sum`]). That gives the
//! three exact questions the search asks: does the atom hold on the whole box (*entailed*), on
//! none of it (*refuted*), and what are the tightest hull bounds of one variable given the
//! others' (*bound propagation*, a binary search over its keys with exact comparisons). A set of
//! comparisons between two issues each that contradicts itself around a cycle (`a < b`,
//! `b < a`) is caught by [`difference_cycle`], exactly, in rationals.

use std::cmp::Ordering;

use parley_core::expr::linear::{Exact, compare_sum};

use super::sets::real_of_key;

/// `Σ coefficient·var + Σ fixed ≤ constant` (`<` when strict).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinearAtom {
    pub(crate) terms: Vec<(usize, i128)>,
    /// Terms whose issue is fixed: coefficient and value.
    pub(crate) fixed: Vec<(i128, Exact)>,
    pub(crate) constant: i128,
    pub(crate) strict: bool,
}

/// How a variable's key becomes its value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scale {
    /// `min + key·step`.
    Grid { min: i128, step: i128 },
    /// The `f64` of the key.
    Real,
}

impl Scale {
    pub(crate) fn value(self, key: i128) -> Exact {
        match self {
            Scale::Grid { min, step } => Exact { mantissa: min + key * step, exponent: 0 },
            Scale::Real => Exact::real(real_of_key(key)).unwrap_or(Exact { mantissa: 0, exponent: 0 }),
        }
    }
}

impl LinearAtom {
    /// The atom that holds exactly where this one does not: `Σ > k` is `−Σ < −k`.
    pub(crate) fn negated(&self) -> LinearAtom {
        LinearAtom {
            terms: self.terms.iter().map(|&(var, coefficient)| (var, -coefficient)).collect(),
            fixed: self.fixed.iter().map(|&(coefficient, value)| (-coefficient, value)).collect(),
            constant: -self.constant,
            strict: !self.strict,
        }
    }

    /// Whether the atom holds with each variable at the key `key` gives it.
    pub(crate) fn holds(&self, key: &dyn Fn(usize) -> i128, scale: &dyn Fn(usize) -> Scale) -> bool {
        let values = self.terms.iter().map(|&(var, coefficient)| (coefficient, scale(var).value(key(var))));
        self.accepts(compare_sum(values.chain(self.fixed.iter().copied()), self.constant))
    }

    fn accepts(&self, ordering: Ordering) -> bool {
        if self.strict { ordering == Ordering::Less } else { ordering != Ordering::Greater }
    }

    /// The sum's order against the constant at the corner that makes it largest (`largest`) or
    /// smallest, given each variable's key hull.
    fn corner(&self, hull: &dyn Fn(usize) -> (i128, i128), scale: &dyn Fn(usize) -> Scale, largest: bool) -> Ordering {
        let values = self.terms.iter().map(|&(var, coefficient)| {
            let (low, high) = hull(var);
            let key = if (coefficient > 0) == largest { high } else { low };
            (coefficient, scale(var).value(key))
        });
        compare_sum(values.chain(self.fixed.iter().copied()), self.constant)
    }

    /// True on every point of the box.
    pub(crate) fn entailed(&self, hull: &dyn Fn(usize) -> (i128, i128), scale: &dyn Fn(usize) -> Scale) -> bool {
        self.accepts(self.corner(hull, scale, true))
    }

    /// False on every point of the box.
    pub(crate) fn refuted(&self, hull: &dyn Fn(usize) -> (i128, i128), scale: &dyn Fn(usize) -> Scale) -> bool {
        !self.accepts(self.corner(hull, scale, false))
    }

    /// The key hull of the term at `position` that the atom allows given the other variables'
    /// hulls: the keys for which the sum, with the others at their smallest, still holds.
    /// `None` when no key does.
    pub(crate) fn bound(
        &self,
        position: usize,
        hull: &dyn Fn(usize) -> (i128, i128),
        scale: &dyn Fn(usize) -> Scale,
    ) -> Option<(i128, i128)> {
        let (var, coefficient) = self.terms[position];
        let (low, high) = hull(var);
        let others: Vec<(i128, Exact)> = self
            .terms
            .iter()
            .enumerate()
            .filter(|&(at, _)| at != position)
            .map(|(_, &(other, c))| {
                let (other_low, other_high) = hull(other);
                (c, scale(other).value(if c > 0 { other_low } else { other_high }))
            })
            .chain(self.fixed.iter().copied())
            .collect();
        let holds_at = |key: i128| {
            let mine = (coefficient, scale(var).value(key));
            self.accepts(compare_sum(others.iter().copied().chain(std::iter::once(mine)), self.constant))
        };
        // The sum grows with the key when the coefficient is positive: the allowed keys are a
        // prefix of the hull then, a suffix otherwise.
        if coefficient > 0 {
            if holds_at(high) {
                return Some((low, high));
            }
            if !holds_at(low) {
                return None;
            }
            let (mut good, mut bad) = (low, high + 1);
            while bad - good > 1 {
                let middle = good + (bad - good) / 2;
                if holds_at(middle) { good = middle } else { bad = middle }
            }
            Some((low, good))
        } else {
            if holds_at(low) {
                return Some((low, high));
            }
            if !holds_at(high) {
                return None;
            }
            let (mut bad, mut good) = (low - 1, high);
            while good - bad > 1 {
                let middle = bad + (good - bad) / 2;
                if holds_at(middle) { good = middle } else { bad = middle }
            }
            Some((good, high))
        }
    }

    /// `x − y ≤ w` (or `<`), when the atom is `c·x − c·y ≤ k` with no fixed terms: `(x, y, k/c)`
    /// as a reduced fraction `(numerator, denominator)`.
    fn difference(&self) -> Option<(usize, usize, (i128, i128))> {
        match self.terms.as_slice() {
            [(a, ca), (b, cb)] if *ca == -*cb && self.fixed.is_empty() => {
                let (x, y, c) = if *ca > 0 { (*a, *b, *ca) } else { (*b, *a, *cb) };
                Some((x, y, reduce(self.constant, c)?))
            }
            _ => None,
        }
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn reduce(numerator: i128, denominator: i128) -> Option<(i128, i128)> {
    let divisor = gcd(numerator, denominator).max(1);
    let (numerator, denominator) = (numerator / divisor, denominator / divisor);
    if denominator < 0 { Some((numerator.checked_neg()?, denominator.checked_neg()?)) } else { Some((numerator, denominator)) }
}

fn add((a, b): (i128, i128), (c, d): (i128, i128)) -> Option<(i128, i128)> {
    reduce(a.checked_mul(d)?.checked_add(c.checked_mul(b)?)?, b.checked_mul(d)?)
}

/// A path weight: a sum of bounds, and whether any of them is strict.
type Weight = ((i128, i128), bool);

/// Whether `a` is a tighter bound than `b` (false when comparing them would overflow, which only
/// keeps a looser bound: sound).
fn lighter((a, strict_a): Weight, (b, strict_b): Weight) -> bool {
    let (Some(left), Some(right)) = (a.0.checked_mul(b.1), b.0.checked_mul(a.1)) else { return false };
    match left.cmp(&right) {
        Ordering::Less => true,
        Ordering::Equal => strict_a && !strict_b,
        Ordering::Greater => false,
    }
}

/// Whether the atoms among `atoms` that compare two variables by their difference (`x − y ≤ w`,
/// `x − y < w`) contradict each other around a cycle: weights summing below zero, or to zero
/// through a strict one. Exact in rationals; a sum too large for `i128` is not followed (the
/// answer is then "no cycle found", which is always sound). Between two `integral` variables
/// (whole-number values) a strict bound is first made the non-strict one below it: `x − y < 1`
/// is `x − y ≤ 0`.
pub(crate) fn difference_cycle(atoms: &[LinearAtom], integral: &dyn Fn(usize) -> bool) -> bool {
    let edges: Vec<(usize, usize, (i128, i128), bool)> = atoms
        .iter()
        .filter_map(|atom| {
            let (x, y, weight) = atom.difference()?;
            if atom.strict && integral(x) && integral(y) {
                // The largest whole number below p/q.
                let (p, q) = weight;
                let below = p.div_euclid(q) - i128::from(p.rem_euclid(q) == 0);
                return Some((x, y, (below, 1), false));
            }
            Some((x, y, weight, atom.strict))
        })
        .collect();
    if edges.len() < 2 {
        return false;
    }
    let mut nodes: Vec<usize> = edges.iter().flat_map(|&(x, y, _, _)| [x, y]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let index = |var: usize| nodes.binary_search(&var).unwrap_or(0);
    let n = nodes.len();
    // dist[i][j]: the lightest known bound on x_i − x_j.
    let mut dist: Vec<Vec<Option<Weight>>> = vec![vec![None; n]; n];
    for &(x, y, weight, strict) in &edges {
        let slot = &mut dist[index(x)][index(y)];
        if slot.is_none_or(|known| lighter((weight, strict), known)) {
            *slot = Some((weight, strict));
        }
    }
    for k in 0..n {
        for i in 0..n {
            let Some(first) = dist[i][k] else { continue };
            for j in 0..n {
                let Some(second) = dist[k][j] else { continue };
                let Some(sum) = add(first.0, second.0) else { continue };
                let through = (sum, first.1 || second.1);
                if dist[i][j].is_none_or(|known| lighter(through, known)) {
                    dist[i][j] = Some(through);
                }
            }
            if dist[i][i].is_some_and(|weight| lighter(weight, ((0, 1), false))) {
                return true;
            }
        }
    }
    false
}

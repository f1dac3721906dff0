//! Counting rational outcomes (`u_i ≥ d_i` for every party) exactly, without enumeration when the
//! utilities are additive.
//!
//! Issues are combined one at a time, keeping each distinct partial utility vector with the number
//! of partial outcomes reaching it. A partial vector that cannot reach every reservation value even
//! with the best remaining values is dropped; one that reaches them all even with the worst
//! remaining values is counted at once, times the number of its completions. Completions are
//! bounded by adding the per-issue minima (maxima) in issue order, which by the monotonicity of
//! floating-point addition bounds every completion's computed utility exactly.

use crate::frontier::for_each_outcome;
use crate::space::{Count, Problem};

/// The number of rational outcomes, or `None` when the count would need more than `max_states`
/// distinct partial vectors (additive) or more than `max_enumerated` outcomes (other utilities).
pub fn count_rational(problem: &Problem, max_states: usize, max_enumerated: f64) -> Option<Count> {
    let reservations = problem.reservations();
    if !problem.is_additive() {
        if problem.space.count().approximate() > max_enumerated {
            return None;
        }
        let mut count = 0u64;
        for_each_outcome(problem, &mut |outcome| {
            if problem.utilities(outcome).iter().zip(&reservations).all(|(u, d)| u >= d) {
                count += 1;
            }
        });
        let mut total = Count::one();
        total.multiply(count);
        return Some(total);
    }
    let tables: Vec<&Vec<Vec<f64>>> =
        problem.parties.iter().filter_map(|party| party.utility.as_additive()).map(|additive| &additive.tables).collect();
    let sizes: Vec<u64> = problem.space.issues.iter().map(|issue| issue.values.len() as u64).collect();
    if sizes.contains(&0) {
        return Some(Count::zero());
    }
    // Most spaces have fewer than 2^127 outcomes: count in machine integers.
    if problem.space.count().approximate() < 1.0e38 {
        count_additive::<u128>(&tables, &sizes, &reservations, max_states).map(Count::from)
    } else {
        count_additive::<Count>(&tables, &sizes, &reservations, max_states)
    }
}

/// What the count is kept in: `u128` for most spaces, [`Count`] beyond.
trait Tally: Clone {
    fn zero() -> Self;
    fn one() -> Self;
    fn add(&mut self, other: &Self);
    fn times(&self, other: &Self) -> Self;
    fn times_size(&self, size: u64) -> Self;
}

impl Tally for u128 {
    fn zero() -> u128 {
        0
    }
    fn one() -> u128 {
        1
    }
    fn add(&mut self, other: &u128) {
        *self += other;
    }
    fn times(&self, other: &u128) -> u128 {
        self * other
    }
    fn times_size(&self, size: u64) -> u128 {
        self * u128::from(size)
    }
}

impl Tally for Count {
    fn zero() -> Count {
        Count::zero()
    }
    fn one() -> Count {
        Count::one()
    }
    fn add(&mut self, other: &Count) {
        Count::add(self, other);
    }
    fn times(&self, other: &Count) -> Count {
        Count::times(self, other)
    }
    fn times_size(&self, size: u64) -> Count {
        let mut product = self.clone();
        product.multiply(size);
        product
    }
}

/// The count for additive utilities, issue by issue, merging equal partial vectors (sorted, not
/// hashed) and settling every partial vector that is certain or hopeless at once.
fn count_additive<T: Tally>(tables: &[&Vec<Vec<f64>>], sizes: &[u64], reservations: &[f64], max_states: usize) -> Option<T> {
    let parties = tables.len();
    let issues = sizes.len();
    // completions[k] = number of ways to complete issues k..
    let mut completions = vec![T::one(); issues + 1];
    for issue in (0..issues).rev() {
        completions[issue] = completions[issue + 1].times_size(sizes[issue]);
    }
    let extremes = |pick: fn(f64, f64) -> f64, start: f64| -> Vec<Vec<f64>> {
        tables.iter().map(|table| table.iter().map(|row| row.iter().copied().fold(start, pick)).collect()).collect()
    };
    let (minimum, maximum) = (extremes(f64::min, f64::INFINITY), extremes(f64::max, f64::NEG_INFINITY));
    let complete = |partial: f64, party: usize, from: usize, extremes: &[Vec<f64>]| -> f64 {
        let mut total = partial;
        for issue in from..issues {
            total += extremes[party][issue];
        }
        total
    };
    let mut sure = T::zero();
    // Flat states: `parties` numbers per state, and a multiplicity per state.
    let mut values: Vec<f64> = vec![0.0; parties];
    let mut counts: Vec<T> = vec![T::one()];
    let mut extended = vec![0.0; parties];
    for issue in 0..issues {
        let mut next_values: Vec<f64> = Vec::new();
        let mut next_counts: Vec<T> = Vec::new();
        for (state, multiplicity) in counts.iter().enumerate() {
            let partial = &values[state * parties..(state + 1) * parties];
            for value in 0..sizes[issue] as usize {
                for party in 0..parties {
                    extended[party] = partial[party] + tables[party][issue][value];
                }
                if !(0..parties).all(|party| complete(extended[party], party, issue + 1, &maximum) >= reservations[party]) {
                    continue;
                }
                if (0..parties).all(|party| complete(extended[party], party, issue + 1, &minimum) >= reservations[party]) {
                    sure.add(&multiplicity.times(&completions[issue + 1]));
                    continue;
                }
                next_values.extend_from_slice(&extended);
                next_counts.push(multiplicity.clone());
            }
        }
        // Merge equal partial vectors: sort their indices, then add up runs.
        let vector = |index: usize| &next_values[index * parties..(index + 1) * parties];
        let mut order: Vec<usize> = (0..next_counts.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            vector(a)
                .iter()
                .zip(vector(b))
                .map(|(x, y)| x.total_cmp(y))
                .find(|ordering| ordering.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut merged_values: Vec<f64> = Vec::with_capacity(next_values.len());
        let mut merged_counts: Vec<T> = Vec::with_capacity(next_counts.len());
        for index in order {
            let same = !merged_counts.is_empty() && {
                let last = &merged_values[merged_values.len() - parties..];
                last.iter().zip(vector(index)).all(|(a, b)| a.to_bits() == b.to_bits())
            };
            if same {
                merged_counts.last_mut().expect("not empty").add(&next_counts[index]);
            } else {
                merged_values.extend_from_slice(vector(index));
                merged_counts.push(next_counts[index].clone());
            }
        }
        if merged_counts.len() > max_states {
            return None;
        }
        values = merged_values;
        counts = merged_counts;
    }
    // Whatever is left is complete and was not certain: it failed some reservation.
    Some(sure)
}

#[cfg(test)]
mod tests {
    use super::{Count, count_additive};

    /// The big-number path (used only beyond 1e38 outcomes) counts exactly what the u128 path counts.
    #[test]
    fn both_tallies_agree() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..40 {
            let (issues, values, parties) = (1 + case % 4, 2 + case % 5, 2 + case % 3);
            let tables: Vec<Vec<Vec<f64>>> =
                (0..parties).map(|_| (0..issues).map(|_| (0..values).map(|_| (next() * 4.0).round() / 10.0).collect()).collect()).collect();
            let borrowed: Vec<&Vec<Vec<f64>>> = tables.iter().collect();
            let sizes = vec![values as u64; issues];
            let reservations: Vec<f64> = (0..parties).map(|_| next() * 0.4 * issues as f64).collect();
            let small = count_additive::<u128>(&borrowed, &sizes, &reservations, usize::MAX).unwrap();
            let big = count_additive::<Count>(&borrowed, &sizes, &reservations, usize::MAX).unwrap();
            assert_eq!(big, Count::from(small), "case {case}");
        }
    }
}

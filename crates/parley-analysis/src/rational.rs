//! Counting rational outcomes (`u_i ≥ d_i` for every party) exactly, without enumeration when the
//! utilities are additive.
//!
//! Issues are combined one at a time, keeping each distinct partial utility vector with the number
//! of partial outcomes reaching it. A partial vector that cannot reach every reservation value even
//! with the best remaining values is dropped; one that reaches them all even with the worst
//! remaining values is counted at once, times the number of its completions. Completions are
//! bounded by adding the per-issue minima (maxima) in issue order, which by the monotonicity of
//! floating-point addition bounds every completion's computed utility exactly.

use std::collections::HashMap;

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
    let parties = tables.len();
    let issues = problem.space.issues.len();
    let sizes: Vec<u64> = problem.space.issues.iter().map(|issue| issue.values.len() as u64).collect();
    if sizes.contains(&0) {
        return Some(Count::zero());
    }
    // completions[k] = number of ways to complete issues k.. ; extremes per party per issue.
    let mut completions = vec![Count::one(); issues + 1];
    for issue in (0..issues).rev() {
        let mut count = completions[issue + 1].clone();
        count.multiply(sizes[issue]);
        completions[issue] = count;
    }
    let minimum: Vec<Vec<f64>> =
        tables.iter().map(|table| table.iter().map(|row| row.iter().copied().fold(f64::INFINITY, f64::min)).collect()).collect();
    let maximum: Vec<Vec<f64>> =
        tables.iter().map(|table| table.iter().map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max)).collect()).collect();
    let complete = |partial: f64, party: usize, from: usize, extremes: &[Vec<f64>]| -> f64 {
        let mut total = partial;
        for issue in from..issues {
            total += extremes[party][issue];
        }
        total
    };

    // Most spaces have fewer than 2^127 outcomes: count in machine integers, merging equal partial
    // vectors by sorting rather than hashing.
    if problem.space.count().approximate() < 1.0e38 {
        return count_small(&tables, &sizes, &reservations, &minimum, &maximum, max_states).map(|count| {
            let mut total = Count::zero();
            let (high, low) = ((count >> 64) as u64, count as u64);
            let mut high_part = Count::one();
            high_part.multiply(high);
            high_part.multiply(1 << 32);
            high_part.multiply(1 << 32);
            let mut low_part = Count::one();
            low_part.multiply(low);
            total.add(&high_part);
            total.add(&low_part);
            total
        });
    }

    let mut sure = Count::zero();
    let mut states: HashMap<Vec<u64>, Count> = HashMap::new();
    states.insert(vec![0f64.to_bits(); parties], Count::one());
    for issue in 0..issues {
        let mut next: HashMap<Vec<u64>, Count> = HashMap::new();
        for (key, multiplicity) in &states {
            for value in 0..sizes[issue] as usize {
                let partial: Vec<f64> = (0..parties).map(|party| f64::from_bits(key[party]) + tables[party][issue][value]).collect();
                let reachable = (0..parties).all(|party| complete(partial[party], party, issue + 1, &maximum) >= reservations[party]);
                if !reachable {
                    continue;
                }
                let certain = (0..parties).all(|party| complete(partial[party], party, issue + 1, &minimum) >= reservations[party]);
                if certain {
                    sure.add(&multiplicity.times(&completions[issue + 1]));
                    continue;
                }
                let key: Vec<u64> = partial.iter().map(|value| value.to_bits()).collect();
                next.entry(key).or_insert_with(Count::zero).add(multiplicity);
            }
        }
        if next.len() > max_states {
            return None;
        }
        states = next;
    }
    // Whatever is left is complete and was not certain: it failed some reservation.
    Some(sure)
}

/// The same count in `u128`, for spaces of fewer than 1e38 outcomes.
fn count_small(
    tables: &[&Vec<Vec<f64>>],
    sizes: &[u64],
    reservations: &[f64],
    minimum: &[Vec<f64>],
    maximum: &[Vec<f64>],
    max_states: usize,
) -> Option<u128> {
    let parties = tables.len();
    let issues = sizes.len();
    let mut completions = vec![1u128; issues + 1];
    for issue in (0..issues).rev() {
        completions[issue] = completions[issue + 1] * u128::from(sizes[issue]);
    }
    let complete = |partial: f64, party: usize, from: usize, extremes: &[Vec<f64>]| -> f64 {
        let mut total = partial;
        for issue in from..issues {
            total += extremes[party][issue];
        }
        total
    };
    let mut sure: u128 = 0;
    // Flat states: `parties` numbers per state, and a multiplicity per state.
    let mut values: Vec<f64> = vec![0.0; parties];
    let mut counts: Vec<u128> = vec![1];
    let mut extended = vec![0.0; parties];
    for issue in 0..issues {
        let mut next_values: Vec<f64> = Vec::new();
        let mut next_counts: Vec<u128> = Vec::new();
        for (state, &multiplicity) in counts.iter().enumerate() {
            let partial = &values[state * parties..(state + 1) * parties];
            for value in 0..sizes[issue] as usize {
                for party in 0..parties {
                    extended[party] = partial[party] + tables[party][issue][value];
                }
                if !(0..parties).all(|party| complete(extended[party], party, issue + 1, maximum) >= reservations[party]) {
                    continue;
                }
                if (0..parties).all(|party| complete(extended[party], party, issue + 1, minimum) >= reservations[party]) {
                    sure += multiplicity * completions[issue + 1];
                    continue;
                }
                next_values.extend_from_slice(&extended);
                next_counts.push(multiplicity);
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
        let mut merged_counts: Vec<u128> = Vec::with_capacity(next_counts.len());
        for index in order {
            let same = !merged_counts.is_empty() && {
                let last = &merged_values[merged_values.len() - parties..];
                last.iter().zip(vector(index)).all(|(a, b)| a.to_bits() == b.to_bits())
            };
            if same {
                *merged_counts.last_mut().expect("not empty") += next_counts[index];
            } else {
                merged_values.extend_from_slice(vector(index));
                merged_counts.push(next_counts[index]);
            }
        }
        if merged_counts.len() > max_states {
            return None;
        }
        values = merged_values;
        counts = merged_counts;
    }
    Some(sure)
}

//! Sets of values as sorted, disjoint, closed intervals of `i128` keys.
//!
//! Every issue's values map to integer keys in an order-preserving way: an option's index, a
//! yes-no issue's 0 and 1, an integer issue's step count from its minimum, and a real issue's
//! [`real_key`] (the finite `f64`s in order, so that `x > 3` is `x >= next f64 above 3`). One set
//! type then serves every kind, and complements and strict bounds stay exact.

use std::cmp::Ordering;

/// A union of closed key intervals, sorted and pairwise separated by at least one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct KeySet {
    ranges: Vec<(i128, i128)>,
}

impl KeySet {
    /// The keys `low..=high` (empty when `low > high`).
    pub fn range(low: i128, high: i128) -> KeySet {
        if low > high { KeySet::default() } else { KeySet { ranges: vec![(low, high)] } }
    }

    /// One key.
    pub fn single(key: i128) -> KeySet {
        KeySet::range(key, key)
    }

    /// The set of the given keys.
    pub fn from_keys(keys: impl IntoIterator<Item = i128>) -> KeySet {
        let mut keys: Vec<i128> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        let mut set = KeySet::default();
        for key in keys {
            set.push(key, key);
        }
        set
    }

    /// The closed intervals, in order.
    pub fn ranges(&self) -> &[(i128, i128)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn min(&self) -> Option<i128> {
        self.ranges.first().map(|range| range.0)
    }

    pub fn max(&self) -> Option<i128> {
        self.ranges.last().map(|range| range.1)
    }

    pub fn contains(&self, key: i128) -> bool {
        self.ranges
            .binary_search_by(|&(low, high)| {
                if high < key {
                    Ordering::Less
                } else if low > key {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
            .is_ok()
    }

    /// Appends an interval after every one held, merging when adjacent.
    fn push(&mut self, low: i128, high: i128) {
        if let Some(last) = self.ranges.last_mut() {
            if last.1.checked_add(1).is_some_and(|next| next >= low) {
                last.1 = last.1.max(high);
                return;
            }
        }
        self.ranges.push((low, high));
    }

    pub fn intersection(&self, other: &KeySet) -> KeySet {
        let mut result = KeySet::default();
        let (mut left, mut right) = (0, 0);
        while left < self.ranges.len() && right < other.ranges.len() {
            let (a, b) = (self.ranges[left], other.ranges[right]);
            let low = a.0.max(b.0);
            let high = a.1.min(b.1);
            if low <= high {
                result.push(low, high);
            }
            if a.1 < b.1 {
                left += 1;
            } else {
                right += 1;
            }
        }
        result
    }

    /// The keys of `self` that are not in `other`.
    pub fn difference(&self, other: &KeySet) -> KeySet {
        let mut result = KeySet::default();
        let mut right = 0;
        for &(low, high) in &self.ranges {
            let mut start = low;
            while right < other.ranges.len() && other.ranges[right].1 < start {
                right += 1;
            }
            let mut scan = right;
            while start <= high {
                match other.ranges.get(scan) {
                    Some(&(cut_low, cut_high)) if cut_low <= high => {
                        if cut_low > start {
                            result.push(start, cut_low - 1);
                        }
                        if cut_high >= high {
                            break;
                        }
                        start = cut_high + 1;
                        scan += 1;
                    }
                    _ => {
                        result.push(start, high);
                        break;
                    }
                }
            }
        }
        result
    }

    pub fn union(&self, other: &KeySet) -> KeySet {
        let mut all: Vec<(i128, i128)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut result = KeySet::default();
        for (low, high) in all {
            result.push(low, high);
        }
        result
    }

    /// Whether every key of `self` is in `other`.
    pub fn is_subset(&self, other: &KeySet) -> bool {
        let mut right = 0;
        for &(low, high) in &self.ranges {
            while right < other.ranges.len() && other.ranges[right].1 < low {
                right += 1;
            }
            match other.ranges.get(right) {
                Some(&(cover_low, cover_high)) if cover_low <= low && high <= cover_high => {}
                _ => return false,
            }
        }
        true
    }

    /// Whether `self` and `other` share no key.
    pub fn is_disjoint(&self, other: &KeySet) -> bool {
        let (mut left, mut right) = (0, 0);
        while left < self.ranges.len() && right < other.ranges.len() {
            let (a, b) = (self.ranges[left], other.ranges[right]);
            if a.0.max(b.0) <= a.1.min(b.1) {
                return false;
            }
            if a.1 < b.1 {
                left += 1;
            } else {
                right += 1;
            }
        }
        true
    }
}

/// The order-preserving key of a finite `f64`: consecutive `f64`s have consecutive keys, and
/// `-0.0` and `0.0` (which compare equal) share the key 0.
pub fn real_key(value: f64) -> i128 {
    let bits = value.to_bits() as i64;
    i128::from(if bits < 0 { -(bits & i64::MAX) } else { bits })
}

/// The `f64` of a key made by [`real_key`].
pub fn real_of_key(key: i128) -> f64 {
    let magnitude = key.unsigned_abs() as u64;
    if key < 0 { f64::from_bits(magnitude | (1 << 63)) } else { f64::from_bits(magnitude) }
}

/// The keys in `low..=high` whose value compares to a literal as `wanted` says, given `order`,
/// the comparison of the value at a key with the literal, which must be monotone (Less, then
/// Equal, then Greater as the key grows).
pub fn monotone_region(low: i128, high: i128, order: &dyn Fn(i128) -> Ordering, less: bool, equal: bool, greater: bool) -> KeySet {
    if low > high {
        return KeySet::default();
    }
    // First key whose order is at least Equal, and first whose order is Greater.
    let first = |at_least: Ordering| -> i128 {
        let (mut start, mut end) = (low, high + 1);
        while start < end {
            let middle = start + (end - start) / 2;
            if order(middle) >= at_least {
                end = middle;
            } else {
                start = middle + 1;
            }
        }
        start
    };
    let equal_start = first(Ordering::Equal);
    let greater_start = first(Ordering::Greater);
    let mut set = KeySet::default();
    if less {
        set = set.union(&KeySet::range(low, equal_start - 1));
    }
    if equal {
        set = set.union(&KeySet::range(equal_start, greater_start - 1));
    }
    if greater {
        set = set.union(&KeySet::range(greater_start, high));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_agree_with_key_by_key() {
        let a = KeySet::from_keys([1, 2, 3, 7, 9, 10]);
        let b = KeySet::from_keys([0, 3, 4, 9, 11]);
        let keys = |set: &KeySet| (-2..14).filter(|&key| set.contains(key)).collect::<Vec<i128>>();
        assert_eq!(keys(&a.intersection(&b)), vec![3, 9]);
        assert_eq!(keys(&a.difference(&b)), vec![1, 2, 7, 10]);
        assert_eq!(keys(&a.union(&b)), vec![0, 1, 2, 3, 4, 7, 9, 10, 11]);
        assert!(!a.is_disjoint(&b));
        assert!(KeySet::from_keys([3, 9]).is_subset(&a));
        assert_eq!(a.ranges(), &[(1, 3), (7, 7), (9, 10)]);
    }

    /// The next `f64` above (`f64::next_up` is newer than the supported Rust).
    fn next_up(value: f64) -> f64 {
        if value == 0.0 {
            f64::from_bits(1)
        } else if value > 0.0 {
            f64::from_bits(value.to_bits() + 1)
        } else {
            f64::from_bits(value.to_bits() - 1)
        }
    }

    #[test]
    fn real_keys_are_ordered_and_adjacent() {
        for value in [-3.5, -0.0, 0.0, 1e-300, 3.0, f64::MAX] {
            assert_eq!(real_of_key(real_key(value)), value, "{value}");
            assert_eq!(real_key(next_up(value)), real_key(value) + 1, "{value}");
        }
        assert_eq!(real_key(-0.0), real_key(0.0));
        assert!(real_key(-1.0) < real_key(-0.5));
    }
}

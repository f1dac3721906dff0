//! Binary searches over a sorted half started near their answer.
//!
//! A query searches the second half once per first-half entry, for where `value + entry` crosses a
//! bound: a plain binary search walks ~log2(n) steps through memory for each. A [`Guide`] maps a
//! key to a bucket of a fixed grid over the half's range and keeps where each bucket starts, so a
//! search begins at the bucket of `bound − value` and gallops from there with the exact predicate.
//! The grid only chooses where to start: the answer is the one `partition_point` gives, whatever
//! rounding did to `bound − value`.

/// Where each bucket of a uniform grid over sorted keys starts.
#[derive(Debug)]
pub struct Guide {
    low: f64,
    scale: f64,
    /// `starts[b]`: the first position whose key falls in bucket `b` or later.
    starts: Vec<u32>,
}

/// About this many keys per bucket.
const PER_BUCKET: usize = 4;

impl Guide {
    /// A guide over `keys` (ascending), read through `key`.
    pub fn new<T>(entries: &[T], key: impl Fn(&T) -> f64) -> Guide {
        let buckets = (entries.len() / PER_BUCKET).clamp(1, 1 << 20);
        let (low, high) = match entries {
            [] => (0.0, 0.0),
            [first, .., last] => (key(first), key(last)),
            [only] => (key(only), key(only)),
        };
        let scale = if high > low { buckets as f64 / (high - low) } else { 0.0 };
        let mut guide = Guide { low, scale, starts: vec![entries.len() as u32; buckets + 1] };
        // Walk the keys once: bucket numbers are non-decreasing along them.
        let mut next = 0;
        for (position, entry) in entries.iter().enumerate() {
            let bucket = guide.bucket(key(entry));
            while next <= bucket {
                guide.starts[next] = position as u32;
                next += 1;
            }
        }
        guide
    }

    fn bucket(&self, key: f64) -> usize {
        let place = (key - self.low) * self.scale;
        if place.is_nan() || place <= 0.0 { 0 } else { (place as usize).min(self.starts.len() - 1) }
    }

    /// `entries.partition_point(holds)` (`holds` true for a prefix), starting near the first key at
    /// or above `near`.
    pub fn partition_point<T>(&self, entries: &[T], near: f64, holds: impl Fn(&T) -> bool) -> usize {
        let hint = self.starts[self.bucket(near)] as usize;
        gallop(entries, hint.min(entries.len()), holds)
    }
}

/// `entries.partition_point(holds)`, found by doubling steps away from `hint` and a binary search
/// over the last step.
pub fn gallop<T>(entries: &[T], hint: usize, holds: impl Fn(&T) -> bool) -> usize {
    let (low, high) = if hint < entries.len() && holds(&entries[hint]) {
        // The answer lies after the hint.
        let mut low = hint + 1;
        let mut step = 1;
        loop {
            let probe = hint + step;
            if probe >= entries.len() {
                break (low, entries.len());
            }
            if !holds(&entries[probe]) {
                break (low, probe);
            }
            low = probe + 1;
            step *= 2;
        }
    } else {
        // The answer is at or before the hint.
        let mut high = hint;
        let mut step = 1;
        loop {
            if step > hint {
                break (0, high);
            }
            let probe = hint - step;
            if holds(&entries[probe]) {
                break (probe + 1, high);
            }
            high = probe;
            step *= 2;
        }
    };
    low + entries[low..high].partition_point(holds)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Against the standard library's binary search, from every hint and for bounds on and
        /// between keys (ties included).
        #[test]
        fn gallop_finds_what_partition_point_finds(mut keys in prop::collection::vec(-4i32..4, 0..40), bound in -5i32..5, hint in 0usize..45) {
            keys.sort_unstable();
            let keys: Vec<f64> = keys.iter().map(|&key| f64::from(key) * 0.25).collect();
            let bound = f64::from(bound) * 0.25;
            let expected = keys.partition_point(|&key| key < bound);
            prop_assert_eq!(gallop(&keys, hint.min(keys.len()), |&key| key < bound), expected);
            prop_assert_eq!(gallop(&keys, hint.min(keys.len()), |&key| key <= bound), keys.partition_point(|&key| key <= bound));
        }

        /// A guide's search is the exact partition point for sums `value + key` against a bound,
        /// however the grid falls.
        #[test]
        fn guided_search_is_exact(mut keys in prop::collection::vec(-1.0f64..1.0, 0..200), value in -1.0f64..1.0, bound in -2.0f64..2.0) {
            keys.sort_unstable_by(f64::total_cmp);
            let guide = Guide::new(&keys, |&key| key);
            let below = |key: &f64| value + key < bound;
            prop_assert_eq!(guide.partition_point(&keys, bound - value, below), keys.partition_point(below));
            let up_to = |key: &f64| value + key <= bound;
            prop_assert_eq!(guide.partition_point(&keys, bound - value, up_to), keys.partition_point(up_to));
        }
    }

    #[test]
    fn a_guide_over_equal_or_no_keys_still_searches() {
        let same = [0.5; 7];
        let guide = Guide::new(&same, |&key| key);
        assert_eq!(guide.partition_point(&same, 0.5, |&key| key < 0.5), 0);
        assert_eq!(guide.partition_point(&same, 0.5, |&key| key <= 0.5), 7);
        let none: [f64; 0] = [];
        assert_eq!(Guide::new(&none, |&key| key).partition_point(&none, 1.0, |&key| key < 1.0), 0);
    }
}

//! A list whose copies share their elements by chunks.
//!
//! A long record is mostly stances, and copies of it are many: the record at each new head of the
//! log, each viewer's view, the earlier heads a server keeps. With a plain `Vec`, every copy
//! copies every element (for shared elements, one reference count each), so a copy costs the
//! length of the record. [`SharedVec`] holds its elements in chunks of [`CHUNK`], each behind its
//! own reference count: a copy costs one count per chunk, and a copy that then changes touches the
//! chunks it changes alone (copy on write). Pushing onto a copy copies the last chunk at most.
//!
//! Every chunk but the last is full, so the element at `index` is at chunk `index / CHUNK`, place
//! `index % CHUNK`: reading is as direct as a `Vec`'s, one indirection more.

use std::ops::{Bound, Index, IndexMut, RangeBounds};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How many elements a chunk holds (a power of two).
pub const CHUNK: usize = 128;
const SHIFT: u32 = CHUNK.trailing_zeros();

/// A list of `T` whose copies share their chunks (see the module's documentation).
#[derive(Clone)]
pub struct SharedVec<T> {
    /// Every chunk but the last holds [`CHUNK`] elements; none is empty (so the length follows).
    chunks: Vec<Arc<Vec<T>>>,
}

impl<T> Default for SharedVec<T> {
    fn default() -> SharedVec<T> {
        SharedVec::new()
    }
}

impl<T> SharedVec<T> {
    pub const fn new() -> SharedVec<T> {
        SharedVec { chunks: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.chunks.last().map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index >> SHIFT)?.get(index & (CHUNK - 1))
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// The elements in order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self, 0, self.len())
    }

    /// The elements within `range`, in order (as `&list[range]` of a slice, and like it, panics
    /// when the range is out of bounds or decreasing).
    pub fn range(&self, range: impl RangeBounds<usize>) -> Iter<'_, T> {
        let front = match range.start_bound() {
            Bound::Included(&start) => start,
            Bound::Excluded(&start) => start + 1,
            Bound::Unbounded => 0,
        };
        let back = match range.end_bound() {
            Bound::Included(&end) => end + 1,
            Bound::Excluded(&end) => end,
            Bound::Unbounded => self.len(),
        };
        assert!(front <= back && back <= self.len(), "range {front}..{back} out of a list of {}", self.len());
        Iter::new(self, front, back)
    }

    /// The index of the first element for which `pred` is false, the elements being partitioned
    /// by it (all true, then all false), as [`slice::partition_point`].
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if pred(&self[middle]) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// Whether this list begins with the elements of `prefix`, each `same` as this list's: a chunk
    /// the two share is the same without looking at its elements, so for a copy that was only
    /// pushed onto since, this costs one comparison per chunk and a look at the last one.
    pub fn begins_with_by(&self, prefix: &SharedVec<T>, mut same: impl FnMut(&T, &T) -> bool) -> bool {
        prefix.len() <= self.len()
            && prefix
                .chunks
                .iter()
                .zip(&self.chunks)
                .all(|(theirs, ours)| Arc::ptr_eq(theirs, ours) || theirs.iter().zip(ours.iter()).all(|(their, our)| same(their, our)))
    }
}

impl<T: Clone> SharedVec<T> {
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => Arc::make_mut(chunk).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(Arc::new(chunk));
            }
        }
    }

    /// Keeps the first `len` elements (all of them when there are fewer).
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        self.chunks.truncate(len.div_ceil(CHUNK));
        let kept = len - self.chunks.len().saturating_sub(1) * CHUNK;
        if let Some(chunk) = self.chunks.last_mut()
            && kept < chunk.len()
        {
            Arc::make_mut(chunk).truncate(kept);
        }
    }

    /// Removes and returns the element at `index`, shifting the later ones down (the chunks
    /// before it stay shared). Panics when `index` is out of bounds.
    pub fn remove(&mut self, index: usize) -> T {
        assert!(index < self.len(), "index {index} out of a list of {}", self.len());
        let removed = self[index].clone();
        let later: Vec<T> = self.range(index + 1..).cloned().collect();
        self.truncate(index);
        self.extend(later);
        removed
    }

    /// Keeps the elements for which `keep` is true (called once for each element, in order; the
    /// chunks before the first one dropped stay shared).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let Some(first) = self.iter().position(|value| !keep(value)) else { return };
        let later: Vec<T> = self.range(first + 1..).filter(|value| keep(value)).cloned().collect();
        self.truncate(first);
        self.extend(later);
    }

    /// The elements in order, each changeable (the chunks are unshared first).
    pub fn iter_mut(&mut self) -> IterMut<'_, T> {
        self.chunks.iter_mut().flat_map(unshare as fn(&mut Arc<Vec<T>>) -> std::slice::IterMut<'_, T>)
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T> Index<usize> for SharedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => panic!("index {index} out of a list of {}", self.len()),
        }
    }
}

impl<T: Clone> IndexMut<usize> for SharedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        assert!(index < self.len(), "index {index} out of a list of {}", self.len());
        &mut Arc::make_mut(&mut self.chunks[index >> SHIFT])[index & (CHUNK - 1)]
    }
}

impl<T: Clone> Extend<T> for SharedVec<T> {
    /// Fills the last chunk (unshared once), then new ones.
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        let mut values = values.into_iter();
        loop {
            if let Some(chunk) = self.chunks.last_mut().filter(|chunk| chunk.len() < CHUNK) {
                let chunk = Arc::make_mut(chunk);
                let room = CHUNK - chunk.len();
                chunk.extend(values.by_ref().take(room));
                if chunk.len() < CHUNK {
                    return;
                }
            }
            let Some(value) = values.next() else { return };
            let mut chunk = Vec::with_capacity(CHUNK);
            chunk.push(value);
            self.chunks.push(Arc::new(chunk));
        }
    }
}

impl<T: Clone> FromIterator<T> for SharedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> SharedVec<T> {
        let mut list = SharedVec::new();
        list.extend(values);
        list
    }
}

impl<T: Clone> From<Vec<T>> for SharedVec<T> {
    fn from(values: Vec<T>) -> SharedVec<T> {
        values.into_iter().collect()
    }
}

impl<T: PartialEq> PartialEq for SharedVec<T> {
    fn eq(&self, other: &SharedVec<T>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for SharedVec<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for SharedVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for SharedVec<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de> + Clone> Deserialize<'de> for SharedVec<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SharedVec<T>, D::Error> {
        Vec::<T>::deserialize(deserializer).map(SharedVec::from)
    }
}

/// The elements of a [`SharedVec`] (or of a range of it), in order: chunk by chunk, each as a
/// slice is walked.
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    /// What is left of the first chunk.
    front: std::slice::Iter<'a, T>,
    /// The whole chunks between.
    middle: std::slice::Iter<'a, Arc<Vec<T>>>,
    /// What is left of the last chunk (when it is not the first).
    back: std::slice::Iter<'a, T>,
    remaining: usize,
}

impl<'a, T> Iter<'a, T> {
    /// The elements at `front..back` of `list`.
    fn new(list: &'a SharedVec<T>, front: usize, back: usize) -> Iter<'a, T> {
        let empty = Iter { front: [].iter(), middle: [].iter(), back: [].iter(), remaining: back - front };
        if front == back {
            return empty;
        }
        let (first, last) = (front >> SHIFT, (back - 1) >> SHIFT);
        let (start, end) = (front & (CHUNK - 1), ((back - 1) & (CHUNK - 1)) + 1);
        if first == last {
            return Iter { front: list.chunks[first][start..end].iter(), ..empty };
        }
        Iter {
            front: list.chunks[first][start..].iter(),
            middle: list.chunks[first + 1..last].iter(),
            back: list.chunks[last][..end].iter(),
            ..empty
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let value = take_end(&mut self.front, || self.middle.next(), &mut self.back, Iterator::next)?;
        self.remaining -= 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Skips whole chunks at a time (`skip` goes through it).
    fn nth(&mut self, mut n: usize) -> Option<&'a T> {
        loop {
            let here = self.front.len();
            if n < here {
                self.remaining -= n + 1;
                return self.front.nth(n);
            }
            n -= here;
            self.remaining -= here;
            self.front = [].iter();
            match self.middle.next() {
                Some(chunk) => self.front = chunk.iter(),
                None => break,
            }
        }
        let here = self.back.len();
        if n < here {
            self.remaining -= n + 1;
            return self.back.nth(n);
        }
        self.remaining -= here;
        self.back = [].iter();
        None
    }

    fn fold<B, F: FnMut(B, &'a T) -> B>(self, init: B, mut f: F) -> B {
        let mut accumulated = self.front.fold(init, &mut f);
        for chunk in self.middle {
            accumulated = chunk.iter().fold(accumulated, &mut f);
        }
        self.back.fold(accumulated, f)
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let value = take_end(&mut self.back, || self.middle.next_back(), &mut self.front, DoubleEndedIterator::next_back)?;
        self.remaining -= 1;
        Some(value)
    }
}

/// One element from one end of an [`Iter`]: from what is left of the near chunk, else from the
/// next whole chunk from that end, else from what is left of the far chunk. `step` takes from
/// the near end of a slice's elements.
fn take_end<'a, T>(
    near: &mut std::slice::Iter<'a, T>,
    mut next_chunk: impl FnMut() -> Option<&'a Arc<Vec<T>>>,
    far: &mut std::slice::Iter<'a, T>,
    step: fn(&mut std::slice::Iter<'a, T>) -> Option<&'a T>,
) -> Option<&'a T> {
    loop {
        if let Some(value) = step(near) {
            return Some(value);
        }
        match next_chunk() {
            Some(chunk) => *near = chunk.iter(),
            None => return step(far),
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<T> std::iter::FusedIterator for Iter<'_, T> {}

impl<'a, T> IntoIterator for &'a SharedVec<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The elements of a [`SharedVec`], each changeable.
pub type IterMut<'a, T> = std::iter::FlatMap<
    std::slice::IterMut<'a, Arc<Vec<T>>>,
    std::slice::IterMut<'a, T>,
    fn(&'a mut Arc<Vec<T>>) -> std::slice::IterMut<'a, T>,
>;

/// A chunk's elements, the chunk unshared first.
fn unshare<T: Clone>(chunk: &mut Arc<Vec<T>>) -> std::slice::IterMut<'_, T> {
    Arc::make_mut(chunk).iter_mut()
}

impl<'a, T: Clone> IntoIterator for &'a mut SharedVec<T> {
    type Item = &'a mut T;
    type IntoIter = IterMut<'a, T>;

    fn into_iter(self) -> IterMut<'a, T> {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, SharedVec};

    /// Runs `change` on a `Vec` and on a [`SharedVec`] (and on a copy of it made before, which
    /// must not change), for lengths around the chunks' edges.
    fn agrees(change: impl Fn(&mut Vec<u32>), change_shared: impl Fn(&mut SharedVec<u32>)) {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5] {
            let mut plain: Vec<u32> = (0..len as u32).collect();
            let mut shared: SharedVec<u32> = plain.iter().copied().collect();
            let before = shared.clone();
            change(&mut plain);
            change_shared(&mut shared);
            assert_eq!(shared.to_vec(), plain, "length {len}");
            assert_eq!(shared.len(), plain.len());
            assert_eq!(before.to_vec(), (0..len as u32).collect::<Vec<_>>(), "a copy made before changed (length {len})");
            assert_eq!(shared.iter().rev().copied().collect::<Vec<_>>(), plain.iter().rev().copied().collect::<Vec<_>>());
            assert_eq!(shared.iter().len(), plain.len());
        }
    }

    #[test]
    fn changes_agree_with_a_vec_and_leave_copies_alone() {
        agrees(|list| list.push(7), |list| list.push(7));
        agrees(|list| list.extend([1, 2, 3]), |list| list.extend([1, 2, 3]));
        for at in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK] {
            agrees(|list| list.truncate(at), |list| list.truncate(at));
            agrees(
                |list| {
                    if at < list.len() {
                        list.remove(at);
                    }
                },
                |list| {
                    if at < list.len() {
                        list.remove(at);
                    }
                },
            );
            agrees(
                |list| {
                    if let Some(value) = list.get_mut(at) {
                        *value = 99;
                    }
                },
                |list| {
                    if at < list.len() {
                        list[at] = 99;
                    }
                },
            );
        }
        agrees(|list| list.retain(|value| value % 3 != 0), |list| list.retain(|value| value % 3 != 0));
        agrees(|list| list.retain(|value| *value < CHUNK as u32 + 2), |list| list.retain(|value| *value < CHUNK as u32 + 2));
        agrees(|list| list.iter_mut().for_each(|value| *value *= 2), |list| list.iter_mut().for_each(|value| *value *= 2));
    }

    #[test]
    fn reads_agree_with_a_slice() {
        let plain: Vec<u32> = (0..(3 * CHUNK + 5) as u32).map(|value| value * 2).collect();
        let shared: SharedVec<u32> = plain.clone().into();
        for at in [0, 1, CHUNK, 2 * CHUNK + 3, plain.len()] {
            assert_eq!(shared.range(at..).copied().collect::<Vec<_>>(), plain[at..]);
            assert_eq!(shared.range(..at).copied().collect::<Vec<_>>(), plain[..at]);
            for n in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 1, plain.len()] {
                let mut iter = shared.range(at..);
                assert_eq!(iter.nth(n), plain[at..].get(n));
                assert_eq!(iter.len(), plain[at..].len().saturating_sub(n + 1));
                assert_eq!(iter.copied().collect::<Vec<_>>(), plain[at..].get(n + 1..).unwrap_or_default());
            }
            let mut ends = Vec::new();
            let mut iter = shared.range(..at);
            while let (Some(front), back) = (iter.next(), iter.next_back()) {
                ends.push(*front);
                ends.extend(back.copied());
            }
            ends.sort_unstable();
            assert_eq!(ends, plain[..at]);
            assert_eq!(shared.get(at), plain.get(at));
            let target = at as u32;
            assert_eq!(shared.partition_point(|&value| value < target), plain.partition_point(|&value| value < target));
        }
        assert_eq!(shared.last(), plain.last());
        assert_eq!(shared.first(), plain.first());
        let json = serde_json::to_string(&shared).unwrap();
        assert_eq!(json, serde_json::to_string(&plain).unwrap());
        assert_eq!(serde_json::from_str::<SharedVec<u32>>(&json).unwrap(), shared);
    }

    #[test]
    fn a_copy_pushed_onto_begins_with_the_original() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let original: SharedVec<u32> = (0..len as u32).collect();
            let mut longer = original.clone();
            longer.extend([7, 8]);
            assert!(longer.begins_with_by(&original, |a, b| a == b));
            assert!(original.begins_with_by(&original, |a, b| a == b));
            assert!(!original.begins_with_by(&longer, |a, b| a == b), "longer than the list");
            // Equal elements in chunks of their own: compared one by one.
            let rebuilt: SharedVec<u32> = original.iter().copied().collect();
            assert!(rebuilt.begins_with_by(&original, |a, b| a == b));
            if len > 0 {
                let mut changed = longer.clone();
                changed[len - 1] = 99;
                assert!(!changed.begins_with_by(&original, |a, b| a == b), "length {len}");
            }
        }
    }

    proptest::proptest! {
        /// Any sequence of changes, with copies taken between them: the list always reads as a
        /// `Vec` changed alike, and every copy still reads as the list did when it was taken.
        #[test]
        fn any_changes_agree_with_a_vec_and_copies_never_change(
            ops in proptest::collection::vec((0u8..8, 0usize..600, 0u32..1000), 1..200)
        ) {
            let (mut plain, mut shared) = (Vec::<u32>::new(), SharedVec::<u32>::new());
            let mut copies: Vec<(Vec<u32>, SharedVec<u32>)> = Vec::new();
            for (op, at, value) in ops {
                match op {
                    0 | 1 => {
                        plain.push(value);
                        shared.push(value);
                    }
                    2 => {
                        let more = (0..at as u32 % 300).map(|offset| value + offset);
                        plain.extend(more.clone());
                        shared.extend(more);
                    }
                    3 => {
                        plain.truncate(at);
                        shared.truncate(at);
                    }
                    4 if at < plain.len() => {
                        proptest::prop_assert_eq!(shared.remove(at), plain.remove(at));
                    }
                    5 if at < plain.len() => {
                        plain[at] = value;
                        shared[at] = value;
                    }
                    6 => {
                        plain.retain(|held| held % (value % 7 + 2) != 0);
                        shared.retain(|held| held % (value % 7 + 2) != 0);
                    }
                    _ => copies.push((plain.clone(), shared.clone())),
                }
                proptest::prop_assert_eq!(shared.len(), plain.len());
                proptest::prop_assert_eq!(shared.last(), plain.last());
            }
            proptest::prop_assert_eq!(&shared.to_vec(), &plain);
            for (then, copy) in &copies {
                proptest::prop_assert_eq!(&copy.to_vec(), then);
                proptest::prop_assert!(shared.begins_with_by(copy, |a, b| a == b) == plain.starts_with(then));
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of a list")]
    fn a_range_past_the_end_panics_as_a_slice_would() {
        let shared: SharedVec<u32> = vec![1, 2].into();
        let _ = shared.range(3..);
    }
}

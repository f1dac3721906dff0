//! Which outcomes each party's agent may offer and accept.
//!
//! A scenario's party may have red lines: an outcome that breaks one of them is, for that party,
//! worth less than its reservation value — disagreement is better. [`Acceptable`] gives, per
//! party, the [`Region`] of outcomes it may agree to (every outcome when `None`). Agents never
//! offer an outcome outside their party's region (their outcome lists hold only the region) and
//! never accept one. A problem without constraints (a GENIUS domain) takes [`Acceptable::default`],
//! and its sessions run exactly as they would without this module.
//!
//! ```
//! use parley_sim::acceptable::{Acceptable, Region};
//!
//! // Two issues of 3 and 2 values; the first party refuses value 0 of the first issue.
//! let region = Region::from_boxes(&[3, 2], &[vec![vec![1, 2], vec![0, 1]]]);
//! let acceptable = Acceptable::new(vec![Some(region), None]);
//! assert!(!acceptable.by(0, &[0, 1]));
//! assert!(acceptable.by(0, &[2, 1]));
//! assert!(acceptable.by(1, &[0, 1]));
//! ```

use std::sync::Arc;

/// A set of outcomes as a union of boxes: each box allows, per issue, some of its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Per box, per issue, whether each value (by index) is allowed.
    boxes: Vec<Vec<Vec<bool>>>,
}

impl Region {
    /// The union of `boxes`, each a list of allowed value indices per issue of a space whose
    /// issues have `sizes` values. Indices out of range are ignored.
    pub fn from_boxes(sizes: &[u32], boxes: &[Vec<Vec<u32>>]) -> Region {
        let boxes = boxes
            .iter()
            .map(|allowed| {
                sizes
                    .iter()
                    .enumerate()
                    .map(|(issue, &size)| {
                        let mut mask = vec![false; size as usize];
                        for &index in allowed.get(issue).map(Vec::as_slice).unwrap_or_default() {
                            if let Some(slot) = mask.get_mut(index as usize) {
                                *slot = true;
                            }
                        }
                        mask
                    })
                    .collect::<Vec<Vec<bool>>>()
            })
            // A box with an issue that allows nothing holds no outcome.
            .filter(|mask: &Vec<Vec<bool>>| mask.iter().all(|issue| issue.contains(&true)))
            .collect();
        Region { boxes: merged(boxes, sizes.len()) }
    }

    /// Whether the region holds the outcome.
    pub fn contains(&self, outcome: &[u32]) -> bool {
        self.boxes.iter().any(|mask| mask.iter().zip(outcome).all(|(allowed, &value)| allowed.get(value as usize) == Some(&true)))
    }

    /// Whether the region holds no outcome.
    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    /// The boxes: per issue, whether each value is allowed.
    pub fn boxes(&self) -> &[Vec<Vec<bool>>] {
        &self.boxes
    }
}

/// Per party, the outcomes its agent may offer and accept (`None`: every outcome).
#[derive(Clone, Debug, Default)]
pub struct Acceptable {
    parties: Vec<Option<Arc<Region>>>,
}

impl Acceptable {
    /// One entry per party, in party order; parties past the end are unconstrained.
    pub fn new(parties: Vec<Option<Region>>) -> Acceptable {
        Acceptable { parties: parties.into_iter().map(|region| region.map(Arc::new)).collect() }
    }

    /// The region of a party, when it is constrained.
    pub fn of(&self, party: usize) -> Option<&Arc<Region>> {
        self.parties.get(party).and_then(Option::as_ref)
    }

    /// Whether the party may agree to the outcome.
    pub fn by(&self, party: usize, outcome: &[u32]) -> bool {
        self.of(party).is_none_or(|region| region.contains(outcome))
    }

    /// Whether every party may agree to the outcome.
    pub fn by_all(&self, outcome: &[u32]) -> bool {
        self.parties.iter().flatten().all(|region| region.contains(outcome))
    }

    /// Whether some party is constrained.
    pub fn constrains(&self) -> bool {
        self.parties.iter().any(Option::is_some)
    }
}

/// The same union in fewer boxes: boxes that agree on every issue but one become one box allowing
/// the values either allows there, issue by issue. Box order follows first appearance, so the
/// result is deterministic.
fn merged(mut boxes: Vec<Vec<Vec<bool>>>, issues: usize) -> Vec<Vec<Vec<bool>>> {
    for issue in 0..issues {
        let mut kept: Vec<Vec<Vec<bool>>> = Vec::with_capacity(boxes.len());
        let mut index: std::collections::HashMap<Vec<Vec<bool>>, usize> = std::collections::HashMap::new();
        for mut mask in boxes {
            // The key: the box with this issue blanked out.
            let own = std::mem::take(&mut mask[issue]);
            match index.get(&mask) {
                Some(&at) => {
                    for (allowed, more) in kept[at][issue].iter_mut().zip(&own) {
                        *allowed |= *more;
                    }
                }
                None => {
                    index.insert(mask.clone(), kept.len());
                    mask[issue] = own;
                    kept.push(mask);
                }
            }
        }
        boxes = kept;
    }
    boxes
}

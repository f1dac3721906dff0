//! Outcome spaces and utility functions.
//!
//! Every issue is a finite list of values (integer ranges are listed, real ranges discretised), and
//! an outcome is one value index per issue. A party's utility is either additive — a table per
//! issue giving each value's weighted contribution, summed in issue order — or a sum of
//! hyper-rectangle bonuses (GENIUS's nonlinear profiles).

use std::fmt;

use serde::Serialize;

/// The product of the issues' value lists.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OutcomeSpace {
    pub issues: Vec<IssueSpace>,
}

/// One issue with its values.
#[derive(Clone, Debug, Serialize)]
pub struct IssueSpace {
    pub name: String,
    pub values: Vec<Label>,
}

/// A value of an issue as shown to people and in JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Label {
    Text(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
    Set(Vec<String>),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Text(text) => f.write_str(text),
            Label::Integer(number) => write!(f, "{number}"),
            Label::Real(number) => write!(f, "{number}"),
            Label::Bool(flag) => f.write_str(if *flag { "yes" } else { "no" }),
            Label::Set(elements) => write!(f, "{{{}}}", elements.join(", ")),
        }
    }
}

/// An outcome: for each issue, the index of its value.
pub type Outcome = Vec<u32>;

impl OutcomeSpace {
    /// The exact number of outcomes.
    pub fn count(&self) -> Count {
        let mut count = Count::one();
        for issue in &self.issues {
            count.multiply(issue.values.len() as u64);
        }
        count
    }

    /// The outcome's values, as `(issue, label)` pairs.
    pub fn describe(&self, outcome: &[u32]) -> Vec<(String, Label)> {
        self.issues
            .iter()
            .zip(outcome)
            .map(|(issue, &value)| (issue.name.clone(), issue.values.get(value as usize).cloned().unwrap_or(Label::Text(String::new()))))
            .collect()
    }
}

impl From<u128> for Count {
    fn from(number: u128) -> Count {
        let mut limbs = Vec::new();
        let mut rest = number;
        loop {
            limbs.push((rest % u128::from(LIMB)) as u32);
            rest /= u128::from(LIMB);
            if rest == 0 {
                return Count { limbs };
            }
        }
    }
}

/// A non-negative integer of any size, for outcome counts (1e50 and beyond).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// Little-endian base-1e9 limbs.
    limbs: Vec<u32>,
}

const LIMB: u64 = 1_000_000_000;

impl Count {
    pub fn one() -> Count {
        Count { limbs: vec![1] }
    }

    pub fn zero() -> Count {
        Count { limbs: vec![0] }
    }

    pub fn add(&mut self, other: &Count) {
        let mut carry = 0u64;
        for index in 0..self.limbs.len().max(other.limbs.len()) {
            if index == self.limbs.len() {
                self.limbs.push(0);
            }
            let sum = u64::from(self.limbs[index]) + u64::from(other.limbs.get(index).copied().unwrap_or(0)) + carry;
            self.limbs[index] = (sum % LIMB) as u32;
            carry = sum / LIMB;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// This count times another.
    pub fn times(&self, other: &Count) -> Count {
        let mut product = vec![0u64; self.limbs.len() + other.limbs.len() + 1];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                let total = product[i + j] + u64::from(a) * u64::from(b) + carry;
                product[i + j] = total % LIMB;
                carry = total / LIMB;
            }
            let mut position = i + other.limbs.len();
            while carry > 0 {
                let total = product[position] + carry;
                product[position] = total % LIMB;
                carry = total / LIMB;
                position += 1;
            }
        }
        while product.len() > 1 && product.last() == Some(&0) {
            product.pop();
        }
        Count { limbs: product.into_iter().map(|limb| limb as u32).collect() }
    }

    pub fn multiply(&mut self, factor: u64) {
        if factor == 0 {
            self.limbs = vec![0];
            return;
        }
        // Multiply limb by limb through u128 so that any u64 factor is exact.
        let mut carry: u128 = 0;
        for limb in &mut self.limbs {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = (product % u128::from(LIMB)) as u32;
            carry = product / u128::from(LIMB);
        }
        while carry > 0 {
            self.limbs.push((carry % u128::from(LIMB)) as u32);
            carry /= u128::from(LIMB);
        }
    }

    /// The count as a float (for size estimates and progress).
    pub fn approximate(&self) -> f64 {
        self.limbs.iter().rev().fold(0.0, |total, &limb| total * LIMB as f64 + f64::from(limb))
    }

    /// The count if it fits in a `u64`.
    pub fn exact(&self) -> Option<u64> {
        let mut total: u64 = 0;
        for &limb in self.limbs.iter().rev() {
            total = total.checked_mul(LIMB)?.checked_add(u64::from(limb))?;
        }
        Some(total)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limbs = self.limbs.iter().rev();
        write!(f, "{}", limbs.next().copied().unwrap_or(0))?;
        for limb in limbs {
            write!(f, "{limb:09}")?;
        }
        Ok(())
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A party's valuation of outcomes.
#[derive(Clone, Debug)]
pub enum Utility {
    Additive(Additive),
    Rectangles(Rectangles),
}

/// `u(o) = Σ_k table[k][o_k]`, summed in issue order.
#[derive(Clone, Debug)]
pub struct Additive {
    /// Per issue, per value: the weighted contribution.
    pub tables: Vec<Vec<f64>>,
}

/// `u(o) = weight · Σ { bonus of each rectangle containing o } / max_utility`.
#[derive(Clone, Debug)]
pub struct Rectangles {
    pub rectangles: Vec<Rectangle>,
    pub max_utility: f64,
    pub weight: f64,
}

/// A region of the outcome space: inside every `includes` range and outside every `excludes`
/// range, ranges given as inclusive value-index bounds of one issue.
#[derive(Clone, Debug)]
pub struct Rectangle {
    pub bonus: f64,
    pub includes: Vec<(usize, u32, u32)>,
    pub excludes: Vec<(usize, u32, u32)>,
}

impl Rectangle {
    pub fn contains(&self, outcome: &[u32]) -> bool {
        self.includes.iter().all(|&(issue, low, high)| (low..=high).contains(&outcome[issue]))
            && self.excludes.iter().all(|&(issue, low, high)| !(low..=high).contains(&outcome[issue]))
    }
}

impl Utility {
    pub fn evaluate(&self, outcome: &[u32]) -> f64 {
        match self {
            Utility::Additive(additive) => {
                let mut total = 0.0;
                for (table, &value) in additive.tables.iter().zip(outcome) {
                    total += table[value as usize];
                }
                total
            }
            Utility::Rectangles(rectangles) => {
                let mut total = 0.0;
                for rectangle in &rectangles.rectangles {
                    if rectangle.contains(outcome) {
                        total += rectangle.bonus;
                    }
                }
                rectangles.weight * total / rectangles.max_utility
            }
        }
    }

    /// Whether every outcome's utility is a finite number: the largest magnitude any sum can
    /// reach is finite (each partial sum is at most the sum of the magnitudes).
    pub fn is_finite(&self) -> bool {
        match self {
            Utility::Additive(additive) => additive
                .tables
                .iter()
                .map(|table| table.iter().fold(0.0, |most: f64, value| most.max(value.abs())))
                .sum::<f64>()
                .is_finite(),
            Utility::Rectangles(rectangles) => {
                let most: f64 = rectangles.rectangles.iter().map(|rectangle| rectangle.bonus.abs()).sum();
                (rectangles.weight.abs() * most / rectangles.max_utility).is_finite()
            }
        }
    }

    pub fn as_additive(&self) -> Option<&Additive> {
        match self {
            Utility::Additive(additive) => Some(additive),
            Utility::Rectangles(_) => None,
        }
    }
}

/// A negotiating party of an analysis: a name, a utility function and its reservation value.
#[derive(Clone)]
pub struct Party {
    pub name: String,
    pub utility: Utility,
    /// Utility of no agreement, on the utility's scale (0 when absent).
    pub reservation: f64,
    /// GENIUS discount factor `d` in (0, 1), if any; utilities at normalised time `t` are `u·d^t`.
    /// Bargaining analysis ignores it.
    pub discount: Option<f64>,
}

// Private preferences never appear in debug output.
impl fmt::Debug for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Party").field("name", &self.name).field("utility", &"<redacted>").finish_non_exhaustive()
    }
}

/// A bargaining problem: an outcome space and the parties valuing it.
#[derive(Clone, Debug, Default)]
pub struct Problem {
    pub space: OutcomeSpace,
    pub parties: Vec<Party>,
}

impl Problem {
    pub fn utilities(&self, outcome: &[u32]) -> Vec<f64> {
        self.parties.iter().map(|party| party.utility.evaluate(outcome)).collect()
    }

    pub fn reservations(&self) -> Vec<f64> {
        self.parties.iter().map(|party| party.reservation).collect()
    }

    pub fn is_additive(&self) -> bool {
        self.parties.iter().all(|party| party.utility.as_additive().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_beyond_u64() {
        let mut count = Count::one();
        for _ in 0..50 {
            count.multiply(10);
        }
        assert_eq!(count.to_string(), format!("1{}", "0".repeat(50)));
        assert_eq!(count.exact(), None);
        let mut small = Count::one();
        small.multiply(390_625);
        assert_eq!(small.to_string(), "390625");
        assert_eq!(small.exact(), Some(390_625));
        let mut huge = Count::one();
        huge.multiply(u64::MAX);
        huge.multiply(u64::MAX);
        assert_eq!(huge.to_string(), "340282366920938463426481119284349108225");
        let mut sum = huge.clone();
        sum.add(&small);
        assert_eq!(sum.to_string(), "340282366920938463426481119284349498850");
        assert_eq!(small.times(&small).to_string(), "152587890625");
        assert_eq!(huge.times(&Count::zero()).to_string(), "0");
    }
}

//! Linear comparisons between numeric issues: `emissions_2035 <= emissions_2030`,
//! `eu_share + us_share <= 100`, `tariff_2030 <= 0.5 * tariff_2025 - 2 %`.
//!
//! Coefficients and constants are exact decimals, issue values exact integers or `f64`s (each an
//! exact binary fraction), and a comparison is decided in exact arithmetic: the whole comparison
//! is scaled to integer coefficients and the sign of `Σ cᵢ·vᵢ − k` is computed on big integers,
//! so `a + b <= 0.3` with `a = 0.1`, `b = 0.2` holds or fails as the real numbers do, never as a
//! rounding does.

use std::cmp::Ordering;
use std::ops::Range;

use crate::model::{IssueKind, Value};

use super::{CompareOp, ExprError, Name};

/// An exact decimal `mantissa · 10^-scale`, as written in an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// At most this many decimal places: enough for any figure a negotiation writes, and every
/// scaled coefficient stays far inside `i128`.
const MAX_SCALE: u32 = 18;

/// Mantissas up to 10^30: scaled by up to 10^18, a coefficient stays below 2^127.
const MAX_MANTISSA: i128 = 1_000_000_000_000_000_000_000_000_000_000;

impl Decimal {
    pub const ONE: Decimal = Decimal { mantissa: 1, scale: 0 };

    /// Reads a number as written (`800_000`, `-2.5`, `1e6`, `1.5e-3`); `None` when it is not one
    /// or needs more than 18 decimal places or 30 digits.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text: String = text.chars().filter(|&c| c != '_').collect();
        let (number, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
            None => (&text[..], 0),
        };
        let (negative, digits) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number.strip_prefix('+').unwrap_or(number)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut mantissa: i128 = 0;
        for digit in whole.chars().chain(fraction.chars()) {
            mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(digit.to_digit(10)?))?;
            if mantissa > MAX_MANTISSA {
                return None;
            }
        }
        let mut scale = fraction.len() as i64 - i64::from(exponent);
        while scale < 0 {
            mantissa = mantissa.checked_mul(10)?;
            scale += 1;
        }
        while scale > 0 && mantissa % 10 == 0 && mantissa != 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if mantissa == 0 {
            scale = 0;
        }
        if scale > i64::from(MAX_SCALE) || mantissa > MAX_MANTISSA {
            return None;
        }
        Some(Decimal { mantissa: if negative { -mantissa } else { mantissa }, scale: scale as u32 })
    }

    /// The mantissa at `scale` (at least this decimal's own scale).
    fn at_scale(self, scale: u32) -> Option<i128> {
        self.mantissa.checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    fn negated(self) -> Decimal {
        Decimal { mantissa: -self.mantissa, scale: self.scale }
    }

    /// The nearest `f64` (for display and estimates, never for deciding).
    pub fn approximate(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

/// One term of a sum: `coefficient · issue`, or a constant when `issue` is `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub coefficient: Decimal,
    pub issue: Option<Name>,
    /// A unit written after a constant (`5 %`, `600000 troops`).
    pub unit: Option<String>,
    pub span: Range<usize>,
}

/// `left OP right`, each side a sum of terms, at least one naming an issue. Both sides are kept
/// as written, for display and for errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub left: Vec<Term>,
    pub op: CompareOp,
    pub right: Vec<Term>,
}

/// `Σ coefficient · issue  OP  constant` with integer coefficients: a [`Linear`] with every term
/// moved left and every constant right, and the whole scaled by a power of ten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normal {
    /// Issue id and coefficient (never zero), each issue once, in order of first mention.
    pub terms: Vec<(String, i128)>,
    pub op: CompareOp,
    pub constant: i128,
}

impl Linear {
    /// The issues named, in order, with their spans.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.left.iter().chain(&self.right).filter_map(|term| term.issue.as_ref())
    }

    /// The comparison in normal form; `None` when scaling to integers would overflow (which
    /// [`Decimal::parse`]'s limits prevent for any expression of the token limit's size).
    pub fn normal(&self) -> Option<Normal> {
        let scale = self.left.iter().chain(&self.right).map(|term| term.coefficient.scale).max().unwrap_or(0);
        let mut terms: Vec<(String, i128)> = Vec::new();
        let mut constant: i128 = 0;
        let sides = self.left.iter().map(|term| (term, false)).chain(self.right.iter().map(|term| (term, true)));
        for (term, moved) in sides {
            let coefficient = if moved { term.coefficient.negated() } else { term.coefficient }.at_scale(scale)?;
            match &term.issue {
                Some(name) => match terms.iter_mut().find(|(id, _)| *id == name.id) {
                    Some((_, sum)) => *sum = sum.checked_add(coefficient)?,
                    None => terms.push((name.id.clone(), coefficient)),
                },
                None => constant = constant.checked_sub(coefficient)?,
            }
        }
        terms.retain(|(_, coefficient)| *coefficient != 0);
        Some(Normal { terms, op: self.op, constant })
    }

    /// Every problem with the comparison: unknown issues, issues that are not numbers, units that
    /// differ (between issues, or a constant's from the issues').
    pub fn check(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Vec<ExprError> {
        let mut errors = Vec::new();
        let mut unit: Option<(&Name, String)> = None;
        for name in self.names() {
            match issue_kind(&name.id) {
                None => errors.push(ExprError::new(name.span.clone(), format!("unknown issue `{}`", name.id))),
                Some(IssueKind::Integer { unit: issue_unit, .. } | IssueKind::Real { unit: issue_unit, .. }) => match &unit {
                    None => unit = Some((name, issue_unit)),
                    Some((first, first_unit)) if *first_unit != issue_unit => errors.push(ExprError::new(
                        name.span.clone(),
                        format!(
                            "`{}` is in {} but `{}` is in {}: only issues of the same unit are compared or added (parley does not convert units)",
                            name.id,
                            unit_words(&issue_unit),
                            first.id,
                            unit_words(first_unit)
                        ),
                    )),
                    Some(_) => {}
                },
                Some(kind) => errors.push(ExprError::new(
                    name.span.clone(),
                    format!(
                        "`{}` is {} issue: only integer and real issues are compared with other issues or added",
                        name.id,
                        crate::scenario::with_article(kind.keyword())
                    ),
                )),
            }
        }
        if let Some((first, issue_unit)) = &unit {
            for term in self.left.iter().chain(&self.right) {
                if let Some(written) = &term.unit {
                    if written != issue_unit {
                        errors.push(ExprError::new(
                            term.span.clone(),
                            format!("`{written}` is not the unit of `{}`, which is in {}", first.id, unit_words(issue_unit)),
                        ));
                    }
                }
            }
        }
        if self.normal().is_none() {
            let span = self.left.first().map_or(0..0, |term| term.span.clone());
            errors.push(ExprError::new(span, "the numbers of this comparison are too large to compare exactly"));
        }
        errors
    }

    /// The comparison against an outcome, exactly; `None` when an issue it names has no value.
    pub fn evaluate(&self, value_of: &dyn Fn(&str) -> Option<Value>) -> Option<bool> {
        let normal = self.normal()?;
        let mut values = Vec::with_capacity(normal.terms.len());
        for (id, _) in &normal.terms {
            values.push(match value_of(id)? {
                Value::Integer(number) => Exact::integer(number),
                Value::Real(number) => Exact::real(number)?,
                _ => return None,
            });
        }
        Some(normal.holds(&values))
    }
}

fn unit_words(unit: &str) -> String {
    if unit.is_empty() { "no unit".to_owned() } else { format!("`{unit}`") }
}

impl Normal {
    /// Whether the comparison holds for these values of its terms' issues (in order).
    pub fn holds(&self, values: &[Exact]) -> bool {
        self.op.accepts(compare_sum(self.terms.iter().map(|(_, coefficient)| *coefficient).zip(values.iter().copied()), self.constant))
    }
}

/// A number as an exact binary fraction `mantissa · 2^exponent`: every `i64` and every finite
/// `f64` is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    pub mantissa: i128,
    pub exponent: i32,
}

impl Exact {
    pub fn integer(number: i64) -> Exact {
        Exact { mantissa: i128::from(number), exponent: 0 }
    }

    /// `None` for NaN and infinities.
    pub fn real(number: f64) -> Option<Exact> {
        if !number.is_finite() {
            return None;
        }
        if number == 0.0 {
            return Some(Exact { mantissa: 0, exponent: 0 });
        }
        let bits = number.to_bits();
        let sign = if bits >> 63 == 1 { -1 } else { 1 };
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = (bits & ((1 << 52) - 1)) as i128;
        let (mantissa, exponent) = if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased - 1075) };
        Some(Exact { mantissa: sign * mantissa, exponent })
    }
}

/// The sign of `Σ cᵢ·vᵢ − constant`, exactly.
pub fn compare_sum(terms: impl Iterator<Item = (i128, Exact)>, constant: i128) -> Ordering {
    // Every product and the constant as (negative, magnitude limbs, binary exponent).
    let mut parts: Vec<(bool, Vec<u64>, i32)> = Vec::new();
    for (coefficient, value) in terms {
        if coefficient == 0 || value.mantissa == 0 {
            continue;
        }
        let negative = (coefficient < 0) != (value.mantissa < 0);
        parts.push((negative, multiply(coefficient.unsigned_abs(), value.mantissa.unsigned_abs()), value.exponent));
    }
    if constant != 0 {
        parts.push((constant > 0, limbs(constant.unsigned_abs()), 0));
    }
    let Some(lowest) = parts.iter().map(|part| part.2).min() else { return Ordering::Equal };
    let (mut positive, mut negative) = (Vec::new(), Vec::new());
    for (is_negative, magnitude, exponent) in parts {
        let shifted = shift_left(&magnitude, (exponent - lowest) as u32);
        if is_negative {
            add(&mut negative, &shifted);
        } else {
            add(&mut positive, &shifted);
        }
    }
    compare_magnitudes(&positive, &negative)
}

fn limbs(value: u128) -> Vec<u64> {
    let mut limbs = vec![value as u64, (value >> 64) as u64];
    trim(&mut limbs);
    limbs
}

fn trim(limbs: &mut Vec<u64>) {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
}

fn multiply(left: u128, right: u128) -> Vec<u64> {
    let (a, b) = (limbs(left), limbs(right));
    let mut product = vec![0u64; a.len() + b.len() + 1];
    for (i, &x) in a.iter().enumerate() {
        let mut carry: u128 = 0;
        for (j, &y) in b.iter().enumerate() {
            let sum = u128::from(x) * u128::from(y) + u128::from(product[i + j]) + carry;
            product[i + j] = sum as u64;
            carry = sum >> 64;
        }
        let mut at = i + b.len();
        while carry != 0 {
            let sum = u128::from(product[at]) + carry;
            product[at] = sum as u64;
            carry = sum >> 64;
            at += 1;
        }
    }
    trim(&mut product);
    product
}

fn shift_left(value: &[u64], bits: u32) -> Vec<u64> {
    let (words, bits) = ((bits / 64) as usize, bits % 64);
    let mut shifted = vec![0u64; words];
    let mut carry = 0u64;
    for &limb in value {
        shifted.push(if bits == 0 { limb } else { (limb << bits) | carry });
        carry = if bits == 0 { 0 } else { limb >> (64 - bits) };
    }
    shifted.push(carry);
    trim(&mut shifted);
    shifted
}

fn add(sum: &mut Vec<u64>, value: &[u64]) {
    if sum.len() < value.len() {
        sum.resize(value.len(), 0);
    }
    let mut carry = 0u64;
    for (at, slot) in sum.iter_mut().enumerate() {
        let (partial, first) = slot.overflowing_add(value.get(at).copied().unwrap_or(0));
        let (total, second) = partial.overflowing_add(carry);
        *slot = total;
        carry = u64::from(first) + u64::from(second);
    }
    if carry != 0 {
        sum.push(carry);
    }
}

fn compare_magnitudes(left: &[u64], right: &[u64]) -> Ordering {
    let (mut left, mut right) = (left.to_vec(), right.to_vec());
    trim(&mut left);
    trim(&mut right);
    left.len().cmp(&right.len()).then_with(|| left.iter().rev().cmp(right.iter().rev()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_written() {
        assert_eq!(Decimal::parse("800_000"), Some(Decimal { mantissa: 800_000, scale: 0 }));
        assert_eq!(Decimal::parse("-2.50"), Some(Decimal { mantissa: -25, scale: 1 }));
        assert_eq!(Decimal::parse("1e6"), Some(Decimal { mantissa: 1_000_000, scale: 0 }));
        assert_eq!(Decimal::parse("1.5e-3"), Some(Decimal { mantissa: 15, scale: 4 }));
        assert_eq!(Decimal::parse("1e-40"), None);
        assert_eq!(Decimal::parse("1e400"), None);
        assert_eq!(Decimal::parse("abc"), None);
        assert_eq!(Decimal::parse("0.000"), Some(Decimal { mantissa: 0, scale: 0 }));
        assert_eq!(Decimal::parse("-2.5").unwrap().to_string(), "-2.5");
        assert_eq!(Decimal::parse("0.05").unwrap().to_string(), "0.05");
    }

    #[test]
    fn sums_are_compared_exactly() {
        let real = |number: f64| Exact::real(number).unwrap();
        // 0.1 + 0.2 as f64s is not 0.3 as an f64; exactly, the two binary fractions sum to more
        // than 3/10.
        assert_eq!(compare_sum([(10, real(0.1)), (10, real(0.2))].into_iter(), 3), Ordering::Greater);
        assert_eq!(compare_sum([(1, Exact::integer(i64::MAX)), (1, Exact::integer(i64::MAX))].into_iter(), 0), Ordering::Greater);
        assert_eq!(compare_sum([(1, Exact::integer(5)), (-1, Exact::integer(5))].into_iter(), 0), Ordering::Equal);
        assert_eq!(compare_sum([(1, real(f64::MIN_POSITIVE / 4.0)), (-1, real(1e308))].into_iter(), -1), Ordering::Less);
        assert_eq!(compare_sum([(1, real(1e308)), (1, real(-1e308)), (1, real(5e-324))].into_iter(), 0), Ordering::Greater);
        assert_eq!(compare_sum([(3, real(0.5))].into_iter(), 1), Ordering::Greater);
        assert_eq!(compare_sum([(2, real(0.5))].into_iter(), 1), Ordering::Equal);
    }

    #[test]
    fn exact_comparison_agrees_with_integer_arithmetic() {
        // Every small integer case against i128 arithmetic.
        for a in -6i64..=6 {
            for b in -6i64..=6 {
                for (ca, cb, k) in [(1i128, -1i128, 0i128), (2, 3, 7), (-5, 1, -3), (1, 1, 10)] {
                    let expected = (ca * i128::from(a) + cb * i128::from(b)).cmp(&k);
                    let got = compare_sum([(ca, Exact::integer(a)), (cb, Exact::real(b as f64).unwrap())].into_iter(), k);
                    assert_eq!(got, expected, "{ca}*{a} + {cb}*{b} vs {k}");
                }
            }
        }
    }
}

//! Comparisons whose number lies outside its issue's domain. `cap >= 5000` on an issue of
//! `0..=100` holds for no value the issue can take, and `cap == 15` on a grid of tens for none
//! either: such a test is constant, which is almost always a mistake in the red line.

use std::ops::Range;

use super::{CompareOp, ExprError, Linear, Literal, compare};
use crate::model::{IssueKind, Value};

/// The error for a comparison of a numeric issue with a number outside its domain, if it is one.
pub(super) fn constant_comparison(
    issue: &str,
    kind: &IssueKind,
    op: CompareOp,
    literal: &Literal,
    span: &Range<usize>,
) -> Option<ExprError> {
    let shown = match literal {
        Literal::Integer(number) => number.to_string(),
        Literal::Real(number) => number.to_string(),
        _ => return None,
    };
    let (lowest, in_range, on_grid, domain) = match kind {
        IssueKind::Integer { min, max, step, .. } => {
            let (in_range, on_grid) = match literal {
                Literal::Integer(number) => {
                    (min <= number && number <= max, (i128::from(*number) - i128::from(*min)) % i128::from(*step) == 0)
                }
                Literal::Real(number) => {
                    let in_range = *min as f64 <= *number && *number <= *max as f64;
                    // A fractional number is never an integer issue's value.
                    (in_range, number.fract() == 0.0 && (*number - *min as f64) % *step as f64 == 0.0)
                }
                _ => return None,
            };
            let domain = if *step == 1 { format!("{min}..={max}") } else { format!("{min}..={max} in steps of {step}") };
            (Value::Integer(*min), in_range, on_grid, domain)
        }
        IssueKind::Real { min, max, .. } => {
            let number = match literal {
                Literal::Integer(number) => *number as f64,
                Literal::Real(number) => *number,
                _ => return None,
            };
            (Value::Real(*min), *min <= number && number <= *max, true, format!("{min}..={max}"))
        }
        _ => return None,
    };
    let test = format!("`{issue} {} {shown}`", op.symbol());
    let message = if !in_range {
        // Outside the range, every value of the issue compares alike, the lowest included.
        let always = compare(&lowest, op, literal)?;
        format!("{shown} is outside `{issue}`'s range {domain}, so {test} is always {always}")
    } else if !on_grid && matches!(op, CompareOp::Eq | CompareOp::Ne) {
        let always = op == CompareOp::Ne;
        format!("{shown} is not a value of `{issue}` ({domain}), so {test} is always {always}")
    } else {
        return None;
    };
    Some(ExprError { span: span.clone(), message })
}

/// The error for a linear test on one issue that its domain decides (`cap <= 5000 %` on
/// `0..=100`), if it is one: an ordering test is monotone in the issue's value, so it is constant
/// when the lowest and highest values decide it alike.
pub(super) fn constant_linear(linear: &Linear, kind: &IssueKind, span: Range<usize>) -> Option<ExprError> {
    let normal = linear.normal()?;
    let [(issue, _)] = normal.terms.as_slice() else { return None };
    if matches!(normal.op, CompareOp::Eq | CompareOp::Ne) {
        return None;
    }
    let (lowest, highest, domain) = match kind {
        IssueKind::Integer { min, max, step, .. } if *step > 0 && min <= max => {
            let last = i128::from(*min) + (i128::from(*max) - i128::from(*min)) / i128::from(*step) * i128::from(*step);
            let domain = if *step == 1 { format!("{min}..={max}") } else { format!("{min}..={max} in steps of {step}") };
            (Value::Integer(*min), Value::Integer(i64::try_from(last).ok()?), domain)
        }
        IssueKind::Real { min, max, .. } if min <= max => (Value::Real(*min), Value::Real(*max), format!("{min}..={max}")),
        _ => return None,
    };
    let at = |value: &Value| linear.evaluate(&|id| (id == issue).then(|| value.clone()));
    let (low, high) = (at(&lowest)?, at(&highest)?);
    (low == high).then(|| ExprError {
        span,
        message: format!(
            "`{linear_text}` is always {low} on `{issue}`'s range {domain}",
            linear_text = super::Expr::Linear(linear.clone())
        ),
    })
}

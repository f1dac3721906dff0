//! A red-line comparison with a number outside its issue's domain is reported as constant, and
//! the constant it reports is what evaluation gives for every value of the issue (brute force).

use parley_core::expr::Expr;
use parley_core::model::{IssueKind, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const OPERATORS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

// Regression: `cap >= 5000` on an issue of 0..=100, and `cap == 15` on a grid of tens, passed
// `check` although no value of the issue could ever make them hold.
#[test]
fn comparisons_outside_an_integer_domain_are_reported_with_what_they_always_give() {
    let mut runner = TestRunner::new(Config { cases: 2000, failure_persistence: None, ..Config::default() });
    let strategy = (-20i64..20, 0i64..30, 1i64..6, 0usize..6, -40i64..60, any::<bool>(), any::<bool>());
    runner
        .run(&strategy, |(min, span, step, operator, literal, real, flipped)| {
            let max = min + span - span % step;
            let kind = IssueKind::Integer { min, max, step, unit: String::new() };
            let op = OPERATORS[operator];
            // A real literal: half of the integers are written with a fraction.
            let shown = if real { format!("{literal}.5") } else { literal.to_string() };
            let number: f64 = shown.parse().unwrap();
            let text = if flipped { format!("{shown} {} cap", flip(op)) } else { format!("cap {op} {shown}") };
            let expr = Expr::parse(&text).unwrap();
            let kind_of = |issue: &str| (issue == "cap").then(|| kind.clone());
            prop_assert!(expr.check(&kind_of).is_empty(), "{}", text);
            let errors = expr.constant_comparisons(&kind_of);
            let domain: Vec<i64> = (min..=max).step_by(step as usize).collect();
            let results: Vec<bool> = domain.iter().map(|&value| expr.evaluate(&|_: &str| Some(Value::Integer(value))).unwrap()).collect();
            let outside = number < min as f64 || number > max as f64;
            let off_grid = real || (literal - min) % step != 0;
            let due = outside || (off_grid && (op == "==" || op == "!="));
            prop_assert_eq!(errors.len(), usize::from(due), "{} on {}..={} step {}: {:?}", text, min, max, step, errors);
            if let Some(error) = errors.first() {
                let always = error.message.ends_with("always true");
                prop_assert!(error.message.ends_with("always true") || error.message.ends_with("always false"), "{}", error.message);
                prop_assert!(results.iter().all(|&result| result == always), "{}: {} but {:?}", text, error.message, results);
                // Reported at the literal.
                let at = if flipped { 0 } else { text.len() - shown.len() };
                prop_assert_eq!(error.span.start, at, "{}", text);
            }
            Ok(())
        })
        .unwrap();
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        other => other,
    }
}

#[test]
fn comparisons_outside_a_real_domain_are_reported() {
    let kind = IssueKind::Real { min: 0.0, max: 1.0, unit: String::new() };
    let check = |text: &str| {
        Expr::parse(text)
            .unwrap()
            .constant_comparisons(&|_: &str| Some(kind.clone()))
            .into_iter()
            .map(|error| error.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(check("share <= 1.5"), ["1.5 is outside `share`'s range 0..=1, so `share <= 1.5` is always true"]);
    assert_eq!(check("share == -1"), ["-1 is outside `share`'s range 0..=1, so `share == -1` is always false"]);
    assert!(check("share < 1").is_empty());
    assert!(check("share == 0.25").is_empty());
}

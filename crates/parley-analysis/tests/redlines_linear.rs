//! Linear red lines (comparisons between issues, sums with decimal coefficients) in the decision
//! procedure, against brute force: integer issues are small enough to try every value, so
//! satisfiability, every minimal conflict and every projection are checked exactly; yes-no issues
//! and fixed issues mix in Boolean structure. Real issues, which brute force cannot exhaust, are
//! checked through their witnesses (each must satisfy every expression, evaluated exactly) and
//! through contradictions whose answer is known.

use std::collections::BTreeMap;

use parley_analysis::redlines::{Budget, ConflictOptions, Problem, ProjectedValues, Verdict};
use parley_core::expr::Expr;
use parley_core::model::{Issue, IssueKind, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn issue(id: &str, kind: IssueKind) -> Issue {
    Issue { name: id.to_owned(), id: id.to_owned(), description: String::new(), kind }
}

struct Case {
    issues: Vec<Issue>,
    fixed: BTreeMap<String, Value>,
    texts: Vec<String>,
    expressions: Vec<Expr>,
}

fn random_linear_test(random: &mut Random, numbers: &[String]) -> String {
    let op = *random.pick(&["<", "<=", ">", ">=", "==", "!="]);
    let terms = 1 + random.below(3);
    let mut text = String::new();
    for term in 0..terms {
        let coefficient = *random.pick(&["", "", "2 * ", "0.5 * ", "3 * "]);
        let issue = random.pick(numbers);
        let sign = if term == 0 { if random.below(4) == 0 { "-" } else { "" } } else { *random.pick(&[" + ", " - "]) };
        text.push_str(&format!("{sign}{coefficient}{issue}"));
    }
    match random.below(3) {
        0 => format!("{text} {op} {}", random.pick(numbers)),
        1 => format!("{text} {op} {} + {}", random.pick(numbers), random.below(7) as i64 - 3),
        _ => format!("{text} {op} {}", random.below(13) as i64 - 6),
    }
}

fn random_expression(random: &mut Random, numbers: &[String], depth: usize) -> String {
    if depth == 0 || random.below(3) == 0 {
        return if random.below(6) == 0 { "flag".to_owned() } else { random_linear_test(random, numbers) };
    }
    let left = random_expression(random, numbers, depth - 1);
    let right = random_expression(random, numbers, depth - 1);
    match random.below(4) {
        0 => format!("({left}) and ({right})"),
        1 => format!("({left}) or ({right})"),
        2 => format!("not ({left})"),
        _ => format!("({left}) implies ({right})"),
    }
}

fn random_case(seed: u64) -> Case {
    let mut random = Random(seed);
    let mut issues = Vec::new();
    let count = 2 + random.below(2);
    for index in 0..count {
        let min = random.below(5) as i64 - 2;
        let step = 1 + random.below(2) as i64;
        let max = min + step * (1 + random.below(4) as i64);
        issues.push(issue(&format!("n{index}"), IssueKind::Integer { min, max, step, unit: "t".to_owned() }));
    }
    issues.push(issue("flag", IssueKind::YesNo));
    let numbers: Vec<String> = (0..count).map(|index| format!("n{index}")).collect();
    let mut fixed = BTreeMap::new();
    if random.below(4) == 0 {
        let IssueKind::Integer { min, .. } = issues[0].kind else { unreachable!() };
        fixed.insert("n0".to_owned(), Value::Integer(min));
    }
    let texts: Vec<String> = (0..2 + random.below(3)).map(|_| random_expression(&mut random, &numbers, 2)).collect();
    let expressions = texts.iter().map(|text| Expr::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))).collect();
    Case { issues, fixed, texts, expressions }
}

/// Every outcome, with the set of expressions it satisfies.
fn brute_force(case: &Case) -> Vec<(BTreeMap<String, Value>, u32)> {
    let mut outcomes = vec![BTreeMap::new()];
    for issue in &case.issues {
        let values: Vec<Value> = match (case.fixed.get(&issue.id), &issue.kind) {
            (Some(value), _) => vec![value.clone()],
            (None, IssueKind::Integer { min, max, step, .. }) => {
                (0..).map(|k| min + k * step).take_while(|v| v <= max).map(Value::Integer).collect()
            }
            (None, _) => vec![Value::Bool(false), Value::Bool(true)],
        };
        outcomes = outcomes
            .into_iter()
            .flat_map(|outcome| {
                values.iter().map(move |value| {
                    let mut next = outcome.clone();
                    next.insert(issue.id.clone(), value.clone());
                    next
                })
            })
            .collect();
    }
    outcomes
        .into_iter()
        .map(|outcome| {
            let mask = case
                .expressions
                .iter()
                .enumerate()
                .filter(|(_, expr)| expr.evaluate(&|id| outcome.get(id).cloned()) == Some(true))
                .map(|(at, _)| 1u32 << at)
                .sum();
            (outcome, mask)
        })
        .collect()
}

fn holds(outcomes: &[(BTreeMap<String, Value>, u32)], set: u32) -> bool {
    outcomes.iter().any(|(_, mask)| mask & set == set)
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: 256, rng_seed: RngSeed::Fixed(20_261_202), failure_persistence: None, ..Config::default() })
}

#[test]
fn linear_red_lines_match_brute_force() {
    runner()
        .run(&any::<u64>(), |seed| {
            let case = random_case(seed);
            let outcomes = brute_force(&case);
            let problem =
                Problem::new(&case.issues, &case.fixed, &case.expressions).unwrap_or_else(|error| panic!("{:?}: {error}", case.texts));
            let count = case.expressions.len();
            let all: Vec<usize> = (0..count).collect();
            let verdict = problem.check(&all, &Budget::default());
            prop_assert_eq!(verdict.holds(), Some(holds(&outcomes, (1 << count) - 1)), "{:?} fixed {:?}", case.texts, case.fixed);
            if let Verdict::Sat(witness) = &verdict {
                let value_of = |id: &str| witness.values.get(id).or_else(|| case.fixed.get(id)).cloned();
                for (text, expr) in case.texts.iter().zip(&case.expressions) {
                    prop_assert_eq!(expr.evaluate(&value_of), Some(true), "{} under {:?}", text, witness.values);
                }
            }
            // Every minimal conflict.
            let conflicts = problem.conflicts(&all, &ConflictOptions { max_size: 4, ..ConflictOptions::default() });
            let members = |set: u32| (0..32).filter(|at| set >> at & 1 == 1).collect::<Vec<usize>>();
            let mut expected: Vec<Vec<usize>> = (1u32..1 << count)
                .filter(|&set| !holds(&outcomes, set) && members(set).iter().all(|&member| holds(&outcomes, set & !(1 << member))))
                .map(members)
                .collect();
            expected.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            prop_assert!(conflicts.complete);
            prop_assert_eq!(&conflicts.minimal, &expected, "{:?} fixed {:?}", case.texts, case.fixed);
            // Every projection of a number issue.
            for issue in case.issues.iter().filter(|issue| matches!(issue.kind, IssueKind::Integer { .. })) {
                let projection = problem.projection(&issue.id, &all, &Budget::default()).unwrap();
                prop_assert!(projection.complete);
                let ProjectedValues::Integers(ranges) = &projection.values else { panic!("integer projection") };
                let mut possible: Vec<i64> = outcomes
                    .iter()
                    .filter(|(_, mask)| *mask == (1 << count) - 1)
                    .filter_map(|(outcome, _)| match outcome[&issue.id] {
                        Value::Integer(number) => Some(number),
                        _ => None,
                    })
                    .collect();
                possible.sort_unstable();
                possible.dedup();
                let IssueKind::Integer { min, max, step, .. } = issue.kind else { unreachable!() };
                let grid = (0..).map(|k| min + k * step).take_while(|v| *v <= max);
                let shown: Vec<i64> = grid.filter(|v| ranges.iter().any(|(low, high)| low <= v && v <= high)).collect();
                let expected = match case.fixed.get(&issue.id) {
                    Some(Value::Integer(number)) if !possible.is_empty() => vec![*number],
                    Some(_) => Vec::new(),
                    None => possible,
                };
                prop_assert_eq!(shown, expected, "{} for {:?}", issue.id, case.texts);
            }
            Ok(())
        })
        .unwrap();
}

fn reals(ids: &[&str]) -> Vec<Issue> {
    ids.iter().map(|id| issue(id, IssueKind::Real { min: -1e6, max: 1e6, unit: String::new() })).collect()
}

fn decide(issues: &[Issue], texts: &[&str]) -> Verdict {
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(issues, &BTreeMap::new(), &expressions).unwrap();
    let all: Vec<usize> = (0..texts.len()).collect();
    problem.check(&all, &Budget::default())
}

#[test]
fn a_comparison_cycle_between_real_issues_is_a_conflict() {
    let issues = reals(&["emissions_2030", "emissions_2035", "emissions_2040"]);
    let cycle = ["emissions_2035 < emissions_2030", "emissions_2040 <= emissions_2035", "emissions_2030 <= emissions_2040"];
    assert_eq!(decide(&issues, &cycle), Verdict::Unsat);
    // Without the strict step, all three equal holds.
    let equal = ["emissions_2035 <= emissions_2030", "emissions_2040 <= emissions_2035", "emissions_2030 <= emissions_2040"];
    assert!(matches!(decide(&issues, &equal), Verdict::Sat(_)));
    // A chain of cuts that bounds cannot meet.
    let issues = reals(&["a", "b", "c"]);
    let cuts = ["b <= a - 400000", "c <= b - 400000", "c >= a - 700000", "a <= 1000000"];
    assert_eq!(decide(&issues, &cuts), Verdict::Unsat);
}

#[test]
fn sums_of_real_issues_are_decided_exactly() {
    let issues: Vec<Issue> = ["eu", "us"].iter().map(|id| issue(id, IssueKind::Real { min: 0.0, max: 100.0, unit: "%".into() })).collect();
    assert!(matches!(decide(&issues, &["eu + us <= 100 %", "eu >= 60", "us >= 40"]), Verdict::Sat(_)));
    assert_eq!(decide(&issues, &["eu + us <= 100", "eu >= 60", "us > 40"]), Verdict::Unsat);
    // The f64s 0.1 and 0.2 are binary fractions whose exact sum is above 3/10: no values at or
    // above them sum below 0.3, although 0.1 + 0.2 rounds to 0.30000000000000004 in f64.
    assert_eq!(decide(&issues, &["eu + us < 0.3", "eu >= 0.1", "us >= 0.2"]), Verdict::Unsat);
    assert!(matches!(decide(&issues, &["eu + us < 0.31", "eu >= 0.1", "us >= 0.2"]), Verdict::Sat(_)));
}

#[test]
fn integer_strictness_is_exact() {
    let issues: Vec<Issue> =
        ["x", "y"].iter().map(|id| issue(id, IssueKind::Integer { min: 0, max: 1_000_000, step: 1, unit: String::new() })).collect();
    // y < x < y + 1 has no whole-number solution.
    assert_eq!(decide(&issues, &["x < y + 1", "y < x"]), Verdict::Unsat);
    assert!(matches!(decide(&issues, &["x <= y + 1", "y < x"]), Verdict::Sat(_)));
}

#[test]
fn a_real_issue_compared_with_another_projects_to_a_range() {
    // Regression: a point accepted at a leaf proved a single key, so projecting a real issue under
    // `a <= b` took one key per search and ran out of budget.
    let issues = vec![
        issue("a", IssueKind::Real { min: 0.0, max: 100.0, unit: String::new() }),
        issue("b", IssueKind::Real { min: 0.0, max: 50.0, unit: String::new() }),
    ];
    let expressions = vec![Expr::parse("a <= b").unwrap()];
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let projection = problem.projection("a", &[0], &Budget::default()).unwrap();
    assert!(projection.complete, "{projection:?}");
    let ProjectedValues::Reals(intervals) = &projection.values else { panic!("real projection") };
    assert_eq!(intervals.len(), 1, "{intervals:?}");
    assert_eq!((intervals[0].low, intervals[0].high), (0.0, 50.0), "{intervals:?}");
}

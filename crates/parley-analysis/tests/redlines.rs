//! The red-line decision procedure against brute force on many random small problems: every
//! issue kind (ordered and unordered choices, integers with steps, reals with open and closed
//! bounds, subsets, yes-no), random expressions over them, and random fixed issues.
//!
//! Brute force is exact: it tries every value of every finite issue, and for a real issue every
//! literal compared with it, the `f64`s just below and above each, the midpoints between them and
//! the issue's ends — between two of those, no test changes its value.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use parley_analysis::redlines::{Budget, ConflictOptions, Problem, ProjectedValues, Projection, Verdict};
use parley_core::expr::{Expr, Literal, rank_value};
use parley_core::model::{Issue, IssueKind, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

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

/// SplitMix64: the random problems come from one seed each.
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

fn issue(id: String, kind: IssueKind) -> Issue {
    Issue { name: id.clone(), id, description: String::new(), kind }
}

fn random_issues(random: &mut Random) -> Vec<Issue> {
    let count = 1 + random.below(3);
    (0..count)
        .map(|index| {
            let id = format!("i{index}");
            let names = |prefix: &str, count: usize| (0..count).map(|at| format!("{prefix}{at}")).collect::<Vec<String>>();
            let kind = match random.below(5) {
                0 => IssueKind::Choice { options: names("o", 1 + random.below(3)), ordered: random.below(2) == 0 },
                1 => {
                    let min = random.below(6) as i64 - 3;
                    let step = 1 + random.below(3) as i64;
                    let max = min + step * random.below(5) as i64 + random.below(step as usize) as i64;
                    IssueKind::Integer { min, max, step, unit: String::new() }
                }
                2 => {
                    let min = *random.pick(&[-1.0, 0.0, 0.5, 1.0]);
                    IssueKind::Real { min, max: min + random.pick(&[0.0, 0.5, 1.0, 2.0, 3.0]), unit: String::new() }
                }
                3 => IssueKind::Subset { elements: names("e", 1 + random.below(3)) },
                _ => IssueKind::YesNo,
            };
            issue(id, kind)
        })
        .collect()
}

fn quoted(names: &[String]) -> String {
    format!("[{}]", names.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(", "))
}

fn some_of(random: &mut Random, names: &[String]) -> Vec<String> {
    names.iter().filter(|_| random.below(2) == 0).cloned().collect()
}

fn random_test(random: &mut Random, issue: &Issue) -> String {
    let id = &issue.id;
    let op = *random.pick(&["==", "!=", "<", "<=", ">", ">="]);
    match &issue.kind {
        IssueKind::Choice { options, ordered } => {
            let option = random.pick(options);
            match random.below(3) {
                0 => format!("{id} {} {}", if random.below(2) == 0 { "in" } else { "not in" }, quoted(&some_of(random, options))),
                1 if *ordered => format!("\"{option}\" {op} {id}"),
                _ if *ordered => format!("{id} {op} \"{option}\""),
                _ => format!("{id} {} \"{option}\"", random.pick(&["==", "!="])),
            }
        }
        IssueKind::Integer { .. } | IssueKind::Real { .. } => {
            let number = *random.pick(&["-2", "-1", "-0.5", "0", "0.5", "1", "1.0", "1.5", "2", "2.5", "3", "4", "5", "7"]);
            if random.below(4) == 0 { format!("{number} {op} {id}") } else { format!("{id} {op} {number}") }
        }
        IssueKind::Subset { elements } => {
            let element = random.pick(elements);
            let listed = quoted(&some_of(random, elements));
            match random.below(6) {
                0 => format!("\"{element}\" in {id}"),
                1 => format!("\"{element}\" not in {id}"),
                2 => format!("{id} subset {listed}"),
                3 => format!("{id} superset {listed}"),
                4 => format!("{id} == {listed}"),
                _ => format!("{id} != {listed}"),
            }
        }
        IssueKind::YesNo => match random.below(3) {
            0 => id.clone(),
            1 => format!("{id} == {}", random.pick(&["true", "false", "yes", "no"])),
            _ => format!("{id} != {}", random.pick(&["true", "false"])),
        },
    }
}

fn random_expression(random: &mut Random, issues: &[Issue], depth: usize) -> String {
    if depth == 0 || random.below(5) < 2 {
        return match random.below(30) {
            0 => "true".to_owned(),
            1 => "false".to_owned(),
            _ => {
                let issue = random.pick(issues);
                random_test(random, issue)
            }
        };
    }
    let left = random_expression(random, issues, depth - 1);
    match random.below(4) {
        0 => format!("not ({left})"),
        1 => format!("({left}) and ({})", random_expression(random, issues, depth - 1)),
        2 => format!("({left}) or ({})", random_expression(random, issues, depth - 1)),
        _ => format!("({left}) implies ({})", random_expression(random, issues, depth - 1)),
    }
}

/// Numbers compared with an issue anywhere in the expressions.
fn literals(expr: &Expr, id: &str, into: &mut Vec<f64>) {
    match expr {
        Expr::Not(inner) => literals(inner, id, into),
        Expr::And(left, right) | Expr::Or(left, right) | Expr::Implies(left, right) => {
            literals(left, id, into);
            literals(right, id, into);
        }
        Expr::Compare { issue, literal: Literal::Integer(number), .. } if issue.id == id => into.push(*number as f64),
        Expr::Compare { issue, literal: Literal::Real(number), .. } if issue.id == id => into.push(*number),
        _ => {}
    }
}

/// Every value brute force tries for an issue.
fn candidates(issue: &Issue, expressions: &[Expr]) -> Vec<Value> {
    match &issue.kind {
        IssueKind::Choice { options, .. } => options.iter().cloned().map(Value::Choice).collect(),
        IssueKind::YesNo => vec![Value::Bool(false), Value::Bool(true)],
        IssueKind::Subset { elements } => (0..1usize << elements.len())
            .map(|mask| {
                Value::Set(elements.iter().enumerate().filter(|(at, _)| mask >> at & 1 == 1).map(|(_, name)| name.clone()).collect())
            })
            .collect(),
        IssueKind::Integer { min, max, step, .. } => {
            (0..).map(|k| min + k * step).take_while(|value| value <= max).map(Value::Integer).collect()
        }
        IssueKind::Real { min, max, .. } => {
            let mut points = vec![*min, *max];
            for expr in expressions {
                literals(expr, &issue.id, &mut points);
            }
            let mut near: Vec<f64> = points.iter().flat_map(|&point| [-next_up(-point), point, next_up(point)]).collect();
            near.sort_by(f64::total_cmp);
            near.dedup();
            let mut all = near.clone();
            all.extend(near.windows(2).map(|pair| (pair[0] + pair[1]) / 2.0));
            all.retain(|value| value >= min && value <= max);
            all.sort_by(f64::total_cmp);
            all.dedup();
            all.into_iter().map(Value::Real).collect()
        }
    }
}

struct Case {
    issues: Vec<Issue>,
    texts: Vec<String>,
    expressions: Vec<Expr>,
    fixed: BTreeMap<String, Value>,
}

fn random_case(seed: u64) -> Case {
    let mut random = Random(seed);
    let issues = random_issues(&mut random);
    let count = 1 + random.below(5);
    let texts: Vec<String> = (0..count).map(|_| random_expression(&mut random, &issues, 3)).collect();
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))).collect();
    let mut fixed = BTreeMap::new();
    for issue in &issues {
        if random.below(5) == 0 {
            let values = candidates(issue, &expressions);
            fixed.insert(issue.id.clone(), random.pick(&values).clone());
        }
    }
    Case { issues, texts, expressions, fixed }
}

/// Every outcome brute force tries, each with the set of constraints it satisfies (a bit each).
fn brute_force(case: &Case) -> Vec<(BTreeMap<String, Value>, u32)> {
    let lists: Vec<Vec<Value>> = case
        .issues
        .iter()
        .map(|issue| match case.fixed.get(&issue.id) {
            Some(value) => vec![value.clone()],
            None => candidates(issue, &case.expressions),
        })
        .collect();
    let kind = |id: &str| case.issues.iter().find(|issue| issue.id == id).map(|issue| issue.kind.clone());
    let ranked: Vec<Expr> = case.expressions.iter().map(|expr| expr.ranked(&kind)).collect();
    let mut outcomes = Vec::new();
    let mut position = vec![0; lists.len()];
    loop {
        let outcome: BTreeMap<String, Value> =
            case.issues.iter().zip(&lists).zip(&position).map(|((issue, list), &at)| (issue.id.clone(), list[at].clone())).collect();
        let value_of = |id: &str| rank_value(kind(id).as_ref(), outcome.get(id)?.clone());
        let mut mask = 0;
        for (at, expr) in ranked.iter().enumerate() {
            if expr.evaluate(&value_of).expect("a full outcome decides every expression") {
                mask |= 1 << at;
            }
        }
        outcomes.push((outcome, mask));
        let mut slot = lists.len();
        loop {
            if slot == 0 {
                return outcomes;
            }
            slot -= 1;
            position[slot] += 1;
            if position[slot] < lists[slot].len() {
                break;
            }
            position[slot] = 0;
        }
    }
}

fn holds(outcomes: &[(BTreeMap<String, Value>, u32)], set: u32) -> bool {
    outcomes.iter().any(|(_, mask)| mask & set == set)
}

fn members(set: u32) -> Vec<usize> {
    (0..32).filter(|at| set >> at & 1 == 1).collect()
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: 256, rng_seed: RngSeed::Fixed(20_261_201), failure_persistence: None, ..Config::default() })
}

fn problem(case: &Case) -> Problem {
    Problem::new(&case.issues, &case.fixed, &case.expressions).unwrap_or_else(|error| panic!("{:?}: {error}", case.texts))
}

#[test]
fn satisfiability_and_witnesses_match_brute_force() {
    runner()
        .run(&any::<u64>(), |seed| {
            let case = random_case(seed);
            let outcomes = brute_force(&case);
            let problem = problem(&case);
            let all: Vec<usize> = (0..case.expressions.len()).collect();
            let expected = holds(&outcomes, (1 << all.len()) - 1);
            let verdict = problem.check(&all, &Budget::default());
            prop_assert_eq!(verdict.holds(), Some(expected), "{:?} fixed {:?}", case.texts, case.fixed);
            if let Verdict::Sat(witness) = verdict {
                let kind = |id: &str| case.issues.iter().find(|issue| issue.id == id).map(|issue| issue.kind.clone());
                for (id, value) in &witness.values {
                    prop_assert!(kind(id).is_some_and(|kind| kind.check(value).is_ok()), "{id} = {value:?} is outside its domain");
                }
                let value_of = |id: &str| {
                    let value = witness.values.get(id).or_else(|| case.fixed.get(id))?.clone();
                    rank_value(kind(id).as_ref(), value)
                };
                for (text, expr) in case.texts.iter().zip(&case.expressions) {
                    prop_assert_eq!(expr.ranked(&kind).evaluate(&value_of), Some(true), "{} under {:?}", text, witness.values);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn minimal_conflicts_match_brute_force() {
    runner()
        .run(&(any::<u64>(), 1usize..=4), |(seed, max_size)| {
            let case = random_case(seed);
            let outcomes = brute_force(&case);
            let problem = problem(&case);
            let count = case.expressions.len();
            let all: Vec<usize> = (0..count).collect();
            let conflicts = problem.conflicts(&all, &ConflictOptions { max_size, ..ConflictOptions::default() });
            let mut expected: Vec<Vec<usize>> = (1u32..1 << count)
                .filter(|&set| set.count_ones() as usize <= max_size)
                .filter(|&set| !holds(&outcomes, set) && members(set).iter().all(|&member| holds(&outcomes, set & !(1 << member))))
                .map(members)
                .collect();
            expected.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            prop_assert!(conflicts.complete);
            prop_assert_eq!(&conflicts.minimal, &expected, "{:?} fixed {:?}", case.texts, case.fixed);
            for conflict in &conflicts.minimal {
                let set: u32 = conflict.iter().map(|&member| 1 << member).sum();
                prop_assert!(!holds(&outcomes, set));
                for &member in conflict {
                    prop_assert!(holds(&outcomes, set & !(1 << member)));
                }
            }
            prop_assert_eq!(conflicts.verdict.holds(), Some(holds(&outcomes, (1 << count) - 1)));
            Ok(())
        })
        .unwrap();
}

/// Whether a projection holds a value of its issue.
fn projected(projection: &Projection, value: &Value) -> bool {
    match (&projection.values, value) {
        (ProjectedValues::Options(options), Value::Choice(option)) => options.contains(option),
        (ProjectedValues::Flags(flags), Value::Bool(flag)) => flags.contains(flag),
        (ProjectedValues::Integers(ranges), Value::Integer(number)) => ranges.iter().any(|(low, high)| low <= number && number <= high),
        (ProjectedValues::Reals(intervals), Value::Real(number)) => intervals.iter().any(|interval| {
            let above = if interval.low_open { *number > interval.low } else { *number >= interval.low };
            let below = if interval.high_open { *number < interval.high } else { *number <= interval.high };
            above && below
        }),
        _ => false,
    }
}

#[test]
fn projections_match_brute_force() {
    runner()
        .run(&any::<u64>(), |seed| {
            let case = random_case(seed);
            let outcomes = brute_force(&case);
            let problem = problem(&case);
            let count = case.expressions.len();
            let all: Vec<usize> = (0..count).collect();
            for issue in &case.issues {
                if matches!(issue.kind, IssueKind::Subset { .. }) {
                    prop_assert!(problem.projection(&issue.id, &all, &Budget::default()).is_err());
                    continue;
                }
                let projection = problem.projection(&issue.id, &all, &Budget::default()).unwrap();
                prop_assert!(projection.complete);
                let values = match case.fixed.get(&issue.id) {
                    Some(value) => vec![value.clone()],
                    None => candidates(issue, &case.expressions),
                };
                let mut possible = Vec::new();
                for value in &values {
                    let expected = outcomes.iter().any(|(outcome, mask)| *mask == (1 << count) - 1 && outcome[&issue.id] == *value);
                    prop_assert_eq!(
                        projected(&projection, value),
                        expected,
                        "{} = {:?} in {:?} for {:?}",
                        issue.id,
                        value,
                        projection,
                        case.texts
                    );
                    if expected {
                        possible.push(value.clone());
                    }
                }
                // The hull's ends are the extreme possible values (an open end is the bound it
                // excludes, whose neighbour is possible).
                match (projection.hull(), &projection.values) {
                    (None, _) => prop_assert!(possible.is_empty()),
                    (Some((low, high)), ProjectedValues::Reals(intervals)) => {
                        let (Value::Real(low), Value::Real(high)) = (low, high) else { panic!("real hull") };
                        let first = if intervals[0].low_open { next_up(low) } else { low };
                        let last = if intervals[intervals.len() - 1].high_open { -next_up(-high) } else { high };
                        prop_assert_eq!(possible.first(), Some(&Value::Real(first)));
                        prop_assert_eq!(possible.last(), Some(&Value::Real(last)));
                    }
                    (Some((low, high)), _) => {
                        prop_assert_eq!(possible.first(), Some(&low));
                        prop_assert_eq!(possible.last(), Some(&high));
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Larger problems than brute force can check: wide integers (up to the whole `i64` range),
/// subsets of up to 40 elements, more red lines.
fn random_large_case(seed: u64) -> Case {
    let mut random = Random(seed);
    let count = 4 + random.below(6);
    let issues: Vec<Issue> = (0..count)
        .map(|index| {
            let names = |prefix: &str, count: usize| (0..count).map(|at| format!("{prefix}{at}")).collect::<Vec<String>>();
            let kind = match random.below(5) {
                0 => IssueKind::Choice { options: names("o", 1 + random.below(8)), ordered: random.below(2) == 0 },
                1 if random.below(2) == 0 => {
                    IssueKind::Integer { min: i64::MIN, max: i64::MAX, step: 1 + random.below(5) as i64, unit: String::new() }
                }
                1 => IssueKind::Integer { min: -1000, max: 1000, step: 1 + random.below(7) as i64, unit: String::new() },
                2 => IssueKind::Real { min: -5.0, max: 10.0, unit: String::new() },
                3 => IssueKind::Subset { elements: names("e", 1 + random.below(40)) },
                _ => IssueKind::YesNo,
            };
            issue(format!("i{index}"), kind)
        })
        .collect();
    let texts: Vec<String> = (0..5 + random.below(15)).map(|_| random_expression(&mut random, &issues, 3)).collect();
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))).collect();
    Case { issues, texts, expressions, fixed: BTreeMap::new() }
}

#[test]
fn larger_problems_are_decided_consistently() {
    runner()
        .run(&any::<u64>(), |seed| {
            let case = random_large_case(seed);
            let problem = problem(&case);
            let all: Vec<usize> = (0..case.expressions.len()).collect();
            let kind = |id: &str| case.issues.iter().find(|issue| issue.id == id).map(|issue| issue.kind.clone());
            let verdict = problem.check(&all, &Budget::default());
            if let Verdict::Sat(witness) = &verdict {
                let value_of = |id: &str| rank_value(kind(id).as_ref(), witness.values.get(id)?.clone());
                for (id, value) in &witness.values {
                    prop_assert!(kind(id).is_some_and(|kind| kind.check(value).is_ok()), "{id} = {value:?}");
                }
                for (text, expr) in case.texts.iter().zip(&case.expressions) {
                    prop_assert_eq!(expr.ranked(&kind).evaluate(&value_of), Some(true), "{}", text);
                }
            }
            prop_assert!(verdict != Verdict::Unknown, "{:?}", case.texts);
            let conflicts = problem.conflicts(&all, &ConflictOptions::default());
            prop_assert!(conflicts.complete);
            prop_assert_eq!(conflicts.verdict.holds(), verdict.holds());
            for conflict in &conflicts.minimal {
                prop_assert_eq!(problem.check(conflict, &Budget::default()), Verdict::Unsat);
                for skip in 0..conflict.len() {
                    let rest: Vec<usize> = conflict.iter().enumerate().filter(|&(at, _)| at != skip).map(|(_, &index)| index).collect();
                    prop_assert!(matches!(problem.check(&rest, &Budget::default()), Verdict::Sat(_)));
                }
            }
            // A projection is empty exactly when the red lines cannot hold, and its values are
            // possible.
            for issue in case.issues.iter().filter(|issue| !matches!(issue.kind, IssueKind::Subset { .. })) {
                let projection = problem.projection(&issue.id, &all, &Budget::default()).unwrap();
                prop_assert!(projection.complete);
                prop_assert_eq!(projection.is_empty(), verdict == Verdict::Unsat);
                if let Some((low, high)) = projection.hull() {
                    for value in [low, high] {
                        let value = match (&projection.values, value) {
                            (ProjectedValues::Reals(intervals), Value::Real(number)) => {
                                let open = if number == intervals[0].low {
                                    intervals[0].low_open
                                } else {
                                    intervals[intervals.len() - 1].high_open
                                };
                                if !open {
                                    Value::Real(number)
                                } else if number == intervals[0].low {
                                    Value::Real(next_up(number))
                                } else {
                                    Value::Real(-next_up(-number))
                                }
                            }
                            (_, value) => value,
                        };
                        let pinned: BTreeMap<String, Value> = [(issue.id.clone(), value.clone())].into();
                        let pinned_problem = Problem::new(&case.issues, &pinned, &case.expressions).unwrap();
                        prop_assert!(
                            matches!(pinned_problem.check(&all, &Budget::default()), Verdict::Sat(_)),
                            "{} = {:?} from {:?}",
                            issue.id,
                            value,
                            projection
                        );
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Runs a call that must answer quickly. The budget bounds the work deterministically; the
/// generous limit (unoptimised builds on a busy machine) catches a return to enumeration, which
/// would take minutes.
fn timed<T>(run: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = run();
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    result
}

#[test]
fn two_hundred_red_lines_on_one_integer_are_decided() {
    // Regression: 200 one-test red lines on one integer issue were "undetermined (too many
    // combinations)": the old check enumerated the issue's values and its conflict search every
    // connected set of up to 4 of the 200 red lines.
    let issues = vec![issue("x".into(), IssueKind::Integer { min: i64::MIN, max: i64::MAX, step: 1, unit: String::new() })];
    let mut texts: Vec<String> = (0..100).map(|at| format!("x >= {}", at * 1000)).collect();
    texts.extend((0..100).map(|at| format!("x <= {}", at * 1000 + 500)));
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let lows: Vec<usize> = (0..100).collect();
    let highs: Vec<usize> = (100..200).collect();
    let everything: Vec<usize> = (0..200).collect();
    // All lower bounds together hold; so do all upper bounds; not all 200.
    assert!(matches!(timed(|| problem.check(&lows, &Budget::default())), Verdict::Sat(_)));
    assert!(matches!(timed(|| problem.check(&highs, &Budget::default())), Verdict::Sat(_)));
    assert_eq!(timed(|| problem.check(&everything, &Budget::default())), Verdict::Unsat);
    // The minimal conflicts are exactly the pairs `x >= 1000·i`, `x <= 1000·j + 500` with j < i.
    let conflicts = timed(|| problem.conflicts(&everything, &ConflictOptions::default()));
    assert!(conflicts.complete);
    assert_eq!(conflicts.verdict, Verdict::Unsat);
    let expected: BTreeSet<Vec<usize>> = (0..100).flat_map(|i| (0..i).map(move |j| vec![i, 100 + j])).collect();
    assert_eq!(conflicts.minimal.iter().cloned().collect::<BTreeSet<_>>(), expected);
    // 200 `!=` tests on an integer with 201 values leave exactly one.
    let issues = vec![issue("y".into(), IssueKind::Integer { min: -100, max: 100, step: 1, unit: String::new() })];
    let expressions: Vec<Expr> = (-100..100).map(|at| Expr::parse(&format!("y != {at}")).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all: Vec<usize> = (0..200).collect();
    match timed(|| problem.check(&all, &Budget::default())) {
        Verdict::Sat(witness) => assert_eq!(witness.values["y"], Value::Integer(100)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_red_lines_over_24_yes_no_issues_are_decided() {
    // Regression: two red lines over 24 yes-no issues meant 2^24 combinations, past the old
    // enumeration's limit, so the answer was "undetermined".
    let issues: Vec<Issue> = (0..24).map(|at| issue(format!("f{at}"), IssueKind::YesNo)).collect();
    let any = (0..24).map(|at| format!("f{at}")).collect::<Vec<_>>().join(" or ");
    let none = (0..24).map(|at| format!("not f{at}")).collect::<Vec<_>>().join(" and ");
    let odd = (0..24).map(|at| format!("(f{at} implies f{})", (at + 1) % 24)).collect::<Vec<_>>().join(" and ");
    let expressions: Vec<Expr> = [&any, &none, &odd].iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    assert_eq!(timed(|| problem.check(&[0, 1], &Budget::default())), Verdict::Unsat);
    let conflicts = timed(|| problem.conflicts(&[0, 1, 2], &ConflictOptions::default()));
    assert_eq!(conflicts.minimal, vec![vec![0, 1]]);
    assert!(conflicts.complete);
    // A cycle of implications with one flag set forces every flag.
    match timed(|| problem.check(&[0, 2], &Budget::default())) {
        Verdict::Sat(witness) => assert!(witness.values.values().all(|value| *value == Value::Bool(true))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn subset_issue_with_40_elements_is_exact() {
    // Regression: subset issues were enumerated as 2^n sets, and past 16 elements only a few
    // sets were tried, so answers on large subsets were guesses.
    let elements: Vec<String> = (0..40).map(|at| format!("t{at}")).collect();
    let issues = vec![issue("ceded".into(), IssueKind::Subset { elements: elements.clone() })];
    let listed = |range: std::ops::Range<usize>| quoted(&elements[range]);
    let texts = [
        format!("ceded superset {}", listed(10..30)),
        format!("ceded subset {}", listed(5..35)),
        "\"t37\" in ceded or \"t20\" not in ceded".to_owned(),
        format!("ceded != {}", listed(10..30)),
        format!("ceded subset {}", listed(0..20)),
    ];
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    // The first two leave t10..t30 in, t0..t5 and t35..t40 out, t5..t10 and t30..t35 free; the
    // third needs t37, which the second excludes.
    assert_eq!(timed(|| problem.check(&[0, 1, 2], &Budget::default())), Verdict::Unsat);
    match timed(|| problem.check(&[0, 1, 3], &Budget::default())) {
        Verdict::Sat(witness) => {
            let Value::Set(chosen) = &witness.values["ceded"] else { panic!("a set") };
            assert!(chosen.len() > 20 && chosen.len() <= 30, "{chosen:?}");
        }
        other => panic!("{other:?}"),
    }
    let conflicts = timed(|| problem.conflicts(&[0, 1, 2, 3, 4], &ConflictOptions::default()));
    assert_eq!(conflicts.minimal, vec![vec![0, 4], vec![0, 1, 2]]);
    assert!(conflicts.complete);
}

#[test]
fn integer_extremes_do_not_overflow() {
    // i64::MIN..=i64::MAX in steps of 3: the grid's last value is below i64::MAX.
    let issues = vec![issue("x".into(), IssueKind::Integer { min: i64::MIN, max: i64::MAX, step: 3, unit: String::new() })];
    let texts =
        ["x > 9223372036854775800", "x >= 9.3e18 or x < -9223372036854775806", "x != 9223372036854775801 and x < 9223372036854775807"];
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    // The grid is i64::MIN + 3k, up to i64::MAX itself; above ...800 it holds ...801, ...804
    // and ...807.
    let only = |indices: &[usize]| match problem.check(indices, &Budget::default()) {
        Verdict::Sat(witness) => witness.values["x"].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(only(&[0]), Value::Integer(9_223_372_036_854_775_801));
    assert_eq!(only(&[0, 2]), Value::Integer(9_223_372_036_854_775_804));
    assert_eq!(only(&[1]), Value::Integer(i64::MIN));
    assert_eq!(problem.check(&[0, 1], &Budget::default()), Verdict::Unsat);
}

#[test]
fn strict_real_bounds_are_exact() {
    let issues = vec![issue("share".into(), IssueKind::Real { min: 0.0, max: 10.0, unit: String::new() })];
    let texts = ["share > 3", "share <= 3", "share < 3.0000001", "share < 3.0000000000000004"];
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    assert_eq!(problem.check(&[0, 1], &Budget::default()), Verdict::Unsat);
    assert!(matches!(problem.check(&[0, 2], &Budget::default()), Verdict::Sat(_)));
    // 3.0000000000000004 is the f64 right after 3: nothing lies strictly between.
    assert_eq!(problem.check(&[0, 3], &Budget::default()), Verdict::Unsat);
    let projection = problem.projection("share", &[0, 2], &Budget::default()).unwrap();
    let ProjectedValues::Reals(intervals) = &projection.values else { panic!("reals") };
    assert_eq!(intervals.len(), 1);
    assert_eq!((intervals[0].low, intervals[0].low_open, intervals[0].high, intervals[0].high_open), (3.0, true, 3.0000001, true));
}

#[test]
fn a_spent_budget_answers_unknown() {
    // Pigeonhole: 7 pigeons in 6 holes, as yes-no issues, needs a real search to refute.
    let (pigeons, holes) = (7, 6);
    let issues: Vec<Issue> = (0..pigeons).flat_map(|p| (0..holes).map(move |h| issue(format!("p{p}h{h}"), IssueKind::YesNo))).collect();
    let mut texts: Vec<String> = (0..pigeons).map(|p| (0..holes).map(|h| format!("p{p}h{h}")).collect::<Vec<_>>().join(" or ")).collect();
    for h in 0..holes {
        for p in 0..pigeons {
            for q in p + 1..pigeons {
                texts.push(format!("not (p{p}h{h} and p{q}h{h})"));
            }
        }
    }
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all: Vec<usize> = (0..texts.len()).collect();
    assert_eq!(problem.check(&all, &Budget { steps: 1_000 }), Verdict::Unknown);
    let conflicts = problem.conflicts(&all, &ConflictOptions { max_size: 4, budget: Budget { steps: 1_000 } });
    assert_eq!(conflicts.verdict, Verdict::Unknown);
    assert!(!conflicts.complete);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let issues = vec![issue("x".into(), IssueKind::Integer { min: 0, max: 10, step: 1, unit: String::new() })];
    let unknown = [Expr::parse("y > 3").unwrap()];
    let error = Problem::new(&issues, &BTreeMap::new(), &unknown).unwrap_err();
    assert_eq!(error.constraint, Some(0));
    assert!(error.message.contains("unknown issue `y`"), "{error}");
    let fixed: BTreeMap<String, Value> = [("x".to_owned(), Value::Choice("many".into()))].into();
    let error = Problem::new(&issues, &fixed, &[Expr::parse("x > 3").unwrap()]).unwrap_err();
    assert!(error.message.contains("does not fit"), "{error}");
    let zero_step = vec![issue("z".into(), IssueKind::Integer { min: 0, max: 10, step: 0, unit: String::new() })];
    assert!(Problem::new(&zero_step, &BTreeMap::new(), &[]).unwrap_err().message.contains("step"));
}

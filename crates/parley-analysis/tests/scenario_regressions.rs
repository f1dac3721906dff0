//! Regression tests for scenario analysis, each named after what was wrong, and the feasible
//! bargaining frontier against brute force.

use std::collections::BTreeSet;

use parley_analysis::frontier::FrontierOptions;
use parley_analysis::scenario::{ScenarioOptions, analyse, feasible_frontier, viewer_problem};
use parley_analysis::space::Label;
use parley_core::model::{Negotiation, Value};
use parley_core::scenario;
use parley_core::timeline::Point;
use parley_core::visibility::Viewer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn parse(text: &str) -> Negotiation {
    scenario::parse(text).unwrap_or_else(|problems| panic!("{problems:?}\n{text}")).negotiation
}

const TWO_ISSUES: &str = r#"[negotiation]
id = "t"
title = "T"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "x"
kind = "integer"
min = 0
max = 10

[[issues]]
id = "y"
kind = "integer"
min = 0
max = 10

[[items]]
number = 1
title = "Only x"
settles = ["x"]
"#;

fn with_red_lines(red_lines: &[(&str, &str)]) -> Negotiation {
    let mut text = TWO_ISSUES.to_owned();
    for (index, (party, expr)) in red_lines.iter().enumerate() {
        text.push_str(&format!("\n[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"{expr}\"\nvisibility = \"public\"\n"));
    }
    parse(&text)
}

fn everything(negotiation: &Negotiation) -> parley_analysis::scenario::ScenarioAnalysis {
    analyse(negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default())
}

fn zone_of<'a>(
    analysis: &'a parley_analysis::scenario::ScenarioAnalysis,
    issue: &str,
    party: &str,
) -> (Option<&'a Value>, Option<&'a Value>) {
    let zone = analysis.zopa.iter().find(|zone| zone.issue == issue).expect("a zone");
    let range = zone.parties.iter().find(|range| range.party == party).expect("the party's range");
    (range.low.as_ref(), range.high.as_ref())
}

/// `x <= 2 and y >= 5` with only `x` open constrained nothing: `y` has no item, so the whole red
/// line was treated as unconstrained, and its conflict with `y <= 3` disappeared.
#[test]
fn a_red_line_naming_an_unsettled_issue_is_not_ignored() {
    let analysis = everything(&with_red_lines(&[("A", "x <= 2 and y >= 5"), ("B", "y <= 3")]));
    assert_eq!(analysis.unsettled_issues, ["y"]);
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    let conflicts: Vec<Vec<Option<String>>> = analysis
        .red_lines
        .conflicts
        .iter()
        .map(|conflict| conflict.red_lines.iter().map(|red_line| red_line.id.clone()).collect())
        .collect();
    assert_eq!(conflicts, [vec![Some("r0".to_owned()), Some("r1".to_owned())]]);
}

/// A party adding a stricter red line widened its zone: `x <= 2 and y >= 5` counted as no
/// constraint on `x` at all, while `x <= 2` alone bounded it.
#[test]
fn a_stricter_red_line_never_widens_a_zone() {
    let lax = everything(&with_red_lines(&[("A", "x <= 2")]));
    let strict = everything(&with_red_lines(&[("A", "x <= 2 and y >= 5")]));
    let two = Value::Integer(2);
    assert_eq!(zone_of(&lax, "x", "A"), (Some(&Value::Integer(0)), Some(&two)));
    assert_eq!(zone_of(&strict, "x", "A"), zone_of(&lax, "x", "A"));
    // A red line on another issue bounds this one through the party's other red lines.
    let linked = everything(&with_red_lines(&[("A", "x <= 2 or y >= 5"), ("A", "y <= 3")]));
    assert_eq!(zone_of(&linked, "x", "A"), (Some(&Value::Integer(0)), Some(&two)));
    // And on the unsettled issue itself there is a zone too.
    assert!(strict.zopa.iter().any(|zone| zone.issue == "y"));
}

/// A conflict proven on a few red lines was reported as "undetermined (too many combinations)",
/// because checking all red lines together enumerated 2^24 combinations of 24 yes-no issues.
#[test]
fn a_proven_conflict_decides_that_red_lines_cannot_all_hold() {
    let mut text = TWO_ISSUES.to_owned();
    let flags: Vec<String> = (0..24).map(|index| format!("f{index}")).collect();
    for flag in &flags {
        text.push_str(&format!("\n[[issues]]\nid = \"{flag}\"\nkind = \"yes-no\"\n"));
    }
    let chain: Vec<String> = flags.windows(2).map(|pair| format!("({} or {})", pair[0], pair[1])).collect();
    let red_lines =
        [("A", "x <= 2".to_owned()), ("B", "x >= 5".to_owned()), ("A", chain.join(" and ")), ("B", format!("not {}", flags[3]))];
    for (index, (party, expr)) in red_lines.iter().enumerate() {
        text.push_str(&format!("\n[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"{expr}\"\nvisibility = \"public\"\n"));
    }
    let started = std::time::Instant::now();
    let analysis = everything(&parse(&text));
    assert_eq!(analysis.red_lines.all_can_hold, Some(false), "{:?}", analysis.warnings);
    let conflicts: Vec<Vec<Option<String>>> = analysis
        .red_lines
        .conflicts
        .iter()
        .map(|conflict| conflict.red_lines.iter().map(|red_line| red_line.id.clone()).collect())
        .collect();
    assert_eq!(conflicts, [vec![Some("r0".to_owned()), Some("r1".to_owned())]]);
    assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
    assert!(started.elapsed().as_secs() < 15, "decided in {:?}", started.elapsed());
}

const BARGAINING: &str = r#"[negotiation]
id = "b"
title = "B"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "wage"
kind = "integer"
min = 0
max = 4

[[issues]]
id = "hours"
kind = "integer"
min = 0
max = 4

[[issues]]
id = "logo"
kind = "choice"
options = ["red", "blue", "green"]

[[items]]
number = 1
title = "Terms"
settles = ["wage", "hours", "logo"]
proposes = { wage = 1, hours = 3, logo = "green" }

[[preferences]]
party = "A"
issues.wage = { weight = 0.7, best = 4, worst = 0 }
issues.hours = { weight = 0.3, best = 0, worst = 4 }

[[preferences]]
party = "B"
issues.wage = { weight = 0.6, best = 0, worst = 4 }
issues.hours = { weight = 0.4, best = 4, worst = 0 }
"#;

/// Solutions ignored red lines (the Nash point could be an outcome a signatory rules out), and an
/// issue nobody values was filled with an arbitrary value instead of the proposal's.
#[test]
fn bargaining_solutions_respect_red_lines_and_keep_unvalued_issues_as_proposed() {
    let mut text = BARGAINING.to_owned();
    text.push_str("\n[[red_lines]]\nid = \"b-wage\"\nparty = \"B\"\nexpr = \"wage <= 2\"\nvisibility = \"public\"\n");
    let analysis = everything(&parse(&text));
    let bargaining = analysis.bargaining.expect("bargaining");
    assert!(bargaining.feasible_only);
    for solution in &bargaining.solutions {
        let wage = solution.outcome.iter().find(|(issue, _)| issue == "wage").map(|(_, value)| value.clone());
        assert!(matches!(wage, Some(Value::Integer(wage)) if wage <= 2), "{solution:?}");
        assert!(solution.breaks.is_empty(), "{solution:?}");
        let logo = solution.outcome.iter().find(|(issue, _)| issue == "logo").map(|(_, value)| value.clone());
        assert_eq!(logo, Some(Value::Choice("green".to_owned())), "an issue nobody values keeps the proposal's value");
    }
}

/// When no outcome satisfies every red line, the bargaining is over every outcome and each solution
/// says which red lines it breaks, rather than there being nothing to show.
#[test]
fn with_no_feasible_outcome_each_solution_names_the_red_lines_it_breaks() {
    let mut text = BARGAINING.to_owned();
    text.push_str("\n[[red_lines]]\nid = \"a-high\"\nparty = \"A\"\nexpr = \"wage >= 3\"\nvisibility = \"public\"\n");
    text.push_str("\n[[red_lines]]\nid = \"b-low\"\nparty = \"B\"\nexpr = \"wage <= 2\"\nvisibility = \"public\"\n");
    let analysis = everything(&parse(&text));
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    let bargaining = analysis.bargaining.expect("bargaining");
    assert!(!bargaining.feasible_only);
    for solution in &bargaining.solutions {
        assert_eq!(solution.breaks.len(), 1, "{solution:?}");
    }
    assert_eq!(analysis.proposal.expect("a proposal").breaks, ["a-high"]);
}

/// `analyze` said nothing when it could not evaluate the proposal; now it names the issue.
#[test]
fn analysis_says_which_issue_keeps_the_proposal_from_being_evaluated() {
    let text = BARGAINING.replace("proposes = { wage = 1, hours = 3, logo = \"green\" }", "proposes = { wage = 1, logo = \"green\" }");
    let proposal = everything(&parse(&text)).proposal.expect("a proposal");
    assert_eq!(proposal.missing, ["hours"]);
    assert_eq!(proposal.not_evaluated.as_deref(), Some("the proposal has no value for hours"));
    assert!(proposal.utilities.is_empty());
}

/// Skew was impossible once every issue was settled: it now covers the agreed text.
#[test]
fn skew_covers_the_agreed_text_once_everything_is_settled() {
    let mut text = BARGAINING.to_owned();
    text.push_str(
        "\n[[stances]]\nparty = \"A\"\nitem = 1\nposition = \"accepts\"\ndate = 2026-01-01\n\n[[stances]]\nparty = \"B\"\nitem = 1\nposition = \"accepts\"\ndate = 2026-01-01\n",
    );
    text.push_str("\n[[demands]]\nparty = \"A\"\nissue = \"wage\"\nvalue = 4\n\n[[demands]]\nparty = \"B\"\nissue = \"wage\"\nvalue = 1\n");
    let analysis = everything(&parse(&text));
    assert!(analysis.open_issues.is_empty());
    let proposal = analysis.proposal.expect("the agreed text");
    let wage = proposal.skew.iter().find(|skew| skew.issue == "wage").expect("wage is disputed");
    assert!(wage.agreed);
    assert_eq!(wage.matches, ["B"]);
    assert!(proposal.summary.contains("B's stated demand on 1 of"), "{}", proposal.summary);
}

/// Labels back to values, for brute force over a problem's outcomes.
fn value_of(label: &Label) -> Value {
    match label {
        Label::Text(text) => Value::Choice(text.clone()),
        Label::Integer(number) => Value::Integer(*number),
        Label::Real(number) => Value::Real(*number),
        Label::Bool(flag) => Value::Bool(*flag),
        Label::Set(elements) => Value::Set(elements.iter().cloned().collect()),
    }
}

const RED_LINE_TESTS: &[&str] = &[
    "wage <= 2",
    "wage >= 1",
    "hours != 2",
    "(wage <= 1) or (hours >= 3)",
    "(wage >= 3) implies (hours <= 1)",
    "logo != 'red'",
    "(logo == 'blue') or (wage == 0)",
    "not (hours == 4)",
];

/// The frontier over the outcomes the signatories' red lines allow equals the brute-force frontier
/// of those outcomes, on random red lines (or, when none is feasible, every outcome's).
#[test]
fn the_feasible_frontier_equals_brute_force() {
    let tests = RED_LINE_TESTS;
    let strategy = proptest::collection::vec((0usize..2, 0..tests.len()), 0..5);
    let mut runner = TestRunner::new(Config { cases: 200, failure_persistence: None, ..Config::default() });
    runner
        .run(&strategy, |red_lines| {
            let mut text = BARGAINING.to_owned();
            for (index, (party, test)) in red_lines.iter().enumerate() {
                let party = ["A", "B"][*party];
                text.push_str(&format!(
                    "\n[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"{}\"\nvisibility = \"public\"\n",
                    tests[*test]
                ));
            }
            let negotiation = parse(&text);
            let kind = |issue: &str| negotiation.issue(issue).map(|issue| issue.kind.clone());
            let built = viewer_problem(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
            let problem = &built.problem;
            // Brute force: every outcome of the space, kept when every red line holds.
            let mut feasible: Vec<Vec<f64>> = Vec::new();
            let mut all: Vec<Vec<f64>> = Vec::new();
            parley_analysis::frontier::for_each_outcome(problem, &mut |outcome| {
                let described = problem.space.describe(outcome);
                let value = |issue: &str| described.iter().find(|(name, _)| name == issue).map(|(_, label)| value_of(label));
                let utilities = problem.utilities(outcome);
                if negotiation.red_lines.iter().all(|red_line| red_line.expr.evaluate_with(&value, &kind) == Some(true)) {
                    feasible.push(utilities.clone());
                }
                all.push(utilities);
            });
            let pareto = |vectors: &[Vec<f64>]| -> BTreeSet<Vec<u64>> {
                vectors
                    .iter()
                    .filter(|vector| !vectors.iter().any(|other| other != *vector && other.iter().zip(vector.iter()).all(|(a, b)| a >= b)))
                    .map(|vector| vector.iter().map(|utility| utility.to_bits()).collect())
                    .collect()
            };
            let expected = if feasible.is_empty() { pareto(&all) } else { pareto(&feasible) };
            prop_assert_eq!(built.feasible.is_none(), red_lines.is_empty() || feasible.is_empty(), "{}", text);
            let frontier = feasible_frontier(problem, built.feasible.as_ref(), &FrontierOptions::default()).unwrap();
            let found: BTreeSet<Vec<u64>> =
                frontier.points.iter().map(|point| point.utilities.iter().map(|utility| utility.to_bits()).collect()).collect();
            prop_assert_eq!(found.len(), frontier.points.len(), "distinct vectors");
            prop_assert_eq!(found, expected, "{}", text);
            // Every frontier outcome is feasible when something is.
            if let Some(allowed) = &built.feasible {
                for point in &frontier.points {
                    prop_assert!(allowed.contains(&point.outcome));
                }
            }
            // The analysis' solutions break no red line when something is feasible.
            let analysis = everything(&negotiation);
            if let (Some(bargaining), false) = (&analysis.bargaining, feasible.is_empty()) {
                for solution in &bargaining.solutions {
                    prop_assert!(solution.breaks.is_empty(), "{:?}\n{}", solution, text);
                }
            }
            Ok(())
        })
        .unwrap();
}

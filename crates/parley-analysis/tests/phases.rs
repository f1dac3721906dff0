//! Red lines over phases: each (issue, phase) is its own variable. Regression tests for conflicts
//! across phases, and satisfiability against brute force over every schedule of small domains.

use parley_analysis::scenario::{ScenarioOptions, analyse};
use parley_core::model::Negotiation;
use parley_core::scenario;
use parley_core::timeline::Point;
use parley_core::visibility::Viewer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const HEADER: &str = r#"[negotiation]
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
max = 4

[[issues]]
id = "y"
kind = "integer"
min = 0
max = 4

[[phases]]
id = "early"

[[phases]]
id = "middle"
after = "2 years"

[[phases]]
id = "late"
after = "5 years"
"#;

const PHASES: [&str; 3] = ["early", "middle", "late"];

/// A record with red lines `(party, expression, phases)` (empty phases: every phase).
fn record(red_lines: &[(&str, &str, &[&str])], items: &str) -> Negotiation {
    let mut text = format!("{HEADER}\n{items}\n");
    for (index, (party, expression, phases)) in red_lines.iter().enumerate() {
        text.push_str(&format!(
            "[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"{expression}\"\nvisibility = \"public\"\n"
        ));
        if !phases.is_empty() {
            let quoted: Vec<String> = phases.iter().map(|phase| format!("\"{phase}\"")).collect();
            text.push_str(&format!("phases = [{}]\n", quoted.join(", ")));
        }
        text.push('\n');
    }
    scenario::parse(&text).unwrap_or_else(|problems| panic!("{problems:?}\n{text}")).negotiation
}

fn all_can_hold(negotiation: &Negotiation) -> Option<bool> {
    analyse(negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default()).red_lines.all_can_hold
}

// Regression: red lines about different phases were decided as if about one value, so a cap for
// the transition and a floor for the final regime were reported as a conflict.
#[test]
fn red_lines_about_different_phases_do_not_conflict() {
    let negotiation = record(&[("A", "x <= 1", &["early"]), ("B", "x >= 3", &["late"])], "");
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(true));
    assert!(analysis.red_lines.conflicts.is_empty());
    // Zones per phase: each phase's variable is bounded by the red line about it only.
    let zones: Vec<&str> = analysis.zopa.iter().map(|zone| zone.issue.as_str()).collect();
    assert!(zones.contains(&"x@early") && zones.contains(&"x@late"), "{zones:?}");
}

// Regression: the same red lines meeting in one phase (one of them about every phase) conflict,
// and the conflict names the variable of the phase where they meet.
#[test]
fn red_lines_meeting_in_one_phase_conflict() {
    let negotiation = record(&[("A", "x <= 1", &[]), ("B", "x >= 3", &["late"])], "");
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    assert_eq!(analysis.red_lines.conflicts.len(), 1);
    assert_eq!(analysis.red_lines.conflicts[0].issues, ["x@late"]);
    assert!(analysis.red_lines.conflicts[0].explanation.ends_with("no value of x@late satisfies them all"));
}

// Regression: an agreed schedule fixes each phase at its own value; a red line (of a stakeholder,
// which does not block the item) broken only by the later value cannot hold, and the proposal is
// said to break it.
#[test]
fn an_agreed_schedule_broken_in_a_later_phase_breaks_the_red_line() {
    let items = r#"[[parties]]
id = "S"
role = "stakeholder"

[[items]]
number = 1
title = "X"
settles = ["x"]
proposes = { x = { early = 1, late = 4 } }

[[stances]]
party = "A"
item = 1
position = "accepts"
date = 2026-01-01

[[stances]]
party = "B"
item = 1
position = "accepts"
date = 2026-01-01

[[items]]
number = 2
title = "Y"
settles = ["y"]
proposes = { y = 0 }
"#;
    let negotiation = record(&[("S", "x <= 2", &[]), ("B", "y <= 4", &["early"])], items);
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    assert_eq!(analysis.proposal.as_ref().map(|proposal| proposal.breaks.clone()), Some(vec!["r0".to_owned()]));
}

// Regression guard for sunsets: an agreed schedule that lapses fixes its phases only until the
// lapse; from then on the phase's variable is open again, so a red line about it can still hold.
#[test]
fn an_agreed_schedule_that_lapses_leaves_later_phases_open() {
    let items = r#"[[parties]]
id = "S"
role = "stakeholder"

[[items]]
number = 1
title = "X"
settles = ["x"]
proposes = { x = { early = 4, lapses = "late" } }

[[stances]]
party = "A"
item = 1
position = "accepts"
date = 2026-01-01

[[stances]]
party = "B"
item = 1
position = "accepts"
date = 2026-01-01
"#;
    // S wants x at most 2 in the late phase only: the lapse leaves it free there.
    let negotiation = record(&[("S", "x <= 2", &["late"])], items);
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(true));
    // About every phase, it is broken by the agreed 4 in the early ones.
    let negotiation = record(&[("S", "x <= 2", &[])], items);
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    assert_eq!(analysis.red_lines.conflicts[0].issues, ["x@early", "x@middle"]);
}

// Regression: a linear red line (`x + y <= 5`) is renamed term by term, so that it is decided per
// phase too, not left out of the expansion.
#[test]
fn linear_red_lines_are_decided_per_phase() {
    let negotiation = record(&[("A", "x + y <= 3", &["early"]), ("B", "x >= 2", &[]), ("B", "y >= 2", &["late"])], "");
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(true), "{:?}", analysis.warnings);
    assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
    let negotiation = record(&[("A", "x + y <= 3", &[]), ("B", "x >= 2", &[]), ("B", "y >= 2", &["late"])], "");
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    assert_eq!(analysis.red_lines.conflicts.len(), 1);
    assert_eq!(analysis.red_lines.conflicts[0].issues, ["x@late", "y@late"]);
}

/// Small random red lines: a comparison on x or y, or a disjunction of two, about some phases.
fn red_line() -> impl Strategy<Value = (bool, String, Vec<bool>)> {
    let test = (prop_oneof![Just("x"), Just("y")], prop_oneof![Just("<="), Just(">="), Just("=="), Just("!=")], 0i64..5)
        .prop_map(|(issue, op, value)| format!("{issue} {op} {value}"));
    (any::<bool>(), proptest::option::of(test.clone()), test, proptest::collection::vec(any::<bool>(), 3)).prop_map(
        |(party, other, test, scope)| {
            let expression = match other {
                Some(other) => format!("({test}) or ({other})"),
                None => test,
            };
            (party, expression, scope)
        },
    )
}

/// Whether some value of x and y per phase satisfies every red line in each phase it is about.
fn brute_force(red_lines: &[(String, Vec<bool>)]) -> bool {
    // The phases are independent: each must have some (x, y) that satisfies its red lines.
    (0..3).all(|phase| {
        (0..5).any(|x| {
            (0..5).any(|y| {
                red_lines.iter().filter(|(_, scope)| scope[phase]).all(|(expression, _)| {
                    let expr = parley_core::expr::Expr::parse(expression).unwrap();
                    let value_of = |issue: &str| Some(parley_core::model::Value::Integer(if issue == "x" { x } else { y }));
                    expr.evaluate(&value_of) == Some(true)
                })
            })
        })
    })
}

#[test]
fn satisfiability_over_phases_matches_brute_force() {
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(red_line(), 1..5), |red_lines| {
            let scoped: Vec<(String, Vec<bool>)> = red_lines
                .iter()
                .map(|(_, expression, scope)| {
                    // A red line about no phase in particular is about every phase.
                    let every = !scope.iter().any(|about| *about);
                    (expression.clone(), scope.iter().map(|about| *about || every).collect())
                })
                .collect();
            let phases: Vec<Vec<&str>> = red_lines
                .iter()
                .map(|(_, _, scope)| PHASES.iter().zip(scope).filter(|(_, about)| **about).map(|(phase, _)| *phase).collect())
                .collect();
            let written: Vec<(&str, &str, &[&str])> = red_lines
                .iter()
                .zip(&phases)
                .map(|((party, expression, _), phases)| (if *party { "A" } else { "B" }, expression.as_str(), phases.as_slice()))
                .collect();
            let negotiation = record(&written, "");
            prop_assert_eq!(all_can_hold(&negotiation), Some(brute_force(&scoped)), "{:?}", written);
            Ok(())
        })
        .unwrap();
}

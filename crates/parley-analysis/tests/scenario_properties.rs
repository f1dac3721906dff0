//! Scenario analysis against brute force: on random small negotiations, whether all red lines can
//! hold and the minimal conflicting sets are exactly what enumerating every outcome gives, and the
//! zone of agreement on a numeric issue is exactly the values each party's red lines allow — over
//! every issue the red lines name, whether an item settles it or not.

use std::collections::BTreeSet;

use parley_analysis::scenario::{ScenarioOptions, Zone, analyse};
use parley_core::model::Value;
use parley_core::scenario;
use parley_core::timeline::Point;
use parley_core::visibility::Viewer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const TESTS: &[&str] = &[
    "cap >= 2",
    "cap <= 2",
    "cap >= 4",
    "cap <= 1",
    "cap == 3",
    "cap != 0",
    "mode == 'low'",
    "mode != 'low'",
    "mode >= 'mid'",
    "mode < 'high'",
    "flag",
    "not flag",
    "'a' in zones",
    "'a' not in zones",
    "'b' in zones",
    "zones subset ['a']",
    "zones == []",
];

fn red_line() -> impl Strategy<Value = String> {
    let test = (0..TESTS.len()).prop_map(|index| TESTS[index].to_owned());
    prop_oneof![
        3 => test.clone(),
        1 => (test.clone(), test.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
        1 => (test.clone(), test.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
        1 => (test.clone(), test).prop_map(|(a, b)| format!("({a}) implies ({b})")),
    ]
}

fn scenario_text(red_lines: &[(usize, String)]) -> String {
    scenario_settling(red_lines, &["cap", "mode", "flag", "zones"])
}

/// The scenario with one item settling `settles` (none when empty); the other issues are named by
/// red lines only.
fn scenario_settling(red_lines: &[(usize, String)], settles: &[&str]) -> String {
    let mut text = String::from(
        r#"[negotiation]
id = "p"
title = "P"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 5

[[issues]]
id = "mode"
kind = "choice"
options = ["low", "mid", "high"]
ordered = true

[[issues]]
id = "flag"
kind = "yes-no"

[[issues]]
id = "zones"
kind = "subset"
elements = ["a", "b", "c"]

"#,
    );
    if !settles.is_empty() {
        let quoted: Vec<String> = settles.iter().map(|issue| format!("\"{issue}\"")).collect();
        text.push_str(&format!("[[items]]\nnumber = 1\ntitle = \"Some\"\nsettles = [{}]\n\n", quoted.join(", ")));
    }
    for (index, (party, expr)) in red_lines.iter().enumerate() {
        let party = if *party == 0 { "A" } else { "B" };
        text.push_str(&format!("[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"{expr}\"\n\n"));
    }
    text
}

/// Every outcome of the four issues.
fn outcomes() -> Vec<Vec<(&'static str, Value)>> {
    let mut all = Vec::new();
    for cap in 0..=5 {
        for mode in ["low", "mid", "high"] {
            for flag in [false, true] {
                for mask in 0..8u32 {
                    let zones: BTreeSet<String> = ["a", "b", "c"]
                        .iter()
                        .enumerate()
                        .filter(|(bit, _)| mask & (1 << bit) != 0)
                        .map(|(_, name)| (*name).to_owned())
                        .collect();
                    all.push(vec![
                        ("cap", Value::Integer(cap)),
                        ("mode", Value::Choice(mode.to_owned())),
                        ("flag", Value::Bool(flag)),
                        ("zones", Value::Set(zones)),
                    ]);
                }
            }
        }
    }
    all
}

#[test]
fn red_line_conflicts_and_zones_agree_with_brute_force() {
    let all = outcomes();
    let mut runner = TestRunner::new(Config { cases: 150, ..Config::default() });
    let strategy = (proptest::collection::vec((0usize..2, red_line()), 1..6), 0u32..16);
    runner
        .run(&strategy, |(red_lines, settled_mask)| {
            let issues = ["cap", "mode", "flag", "zones"];
            let settles: Vec<&str> = (0..4).filter(|bit| settled_mask & (1 << bit) != 0).map(|bit| issues[bit]).collect();
            let text = scenario_settling(&red_lines, &settles);
            let negotiation = scenario::parse(&text).unwrap_or_else(|problems| panic!("{problems:?}\n{text}")).negotiation;
            let kind = |issue: &str| negotiation.issue(issue).map(|issue| issue.kind.clone());
            // Which red lines each outcome satisfies.
            let satisfied: Vec<Vec<bool>> = all
                .iter()
                .map(|outcome| {
                    let value_of = |issue: &str| outcome.iter().find(|(name, _)| *name == issue).map(|(_, value)| value.clone());
                    negotiation.red_lines.iter().map(|red_line| red_line.expr.evaluate_with(&value_of, &kind) == Some(true)).collect()
                })
                .collect();
            let holds_together = |set: &[usize]| satisfied.iter().any(|row| set.iter().all(|&index| row[index]));
            let count = negotiation.red_lines.len();
            let everything: Vec<usize> = (0..count).collect();

            let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
            prop_assert_eq!(analysis.red_lines.all_can_hold, Some(holds_together(&everything)), "{}", text);

            // Minimal unsatisfiable sets of up to four red lines, by brute force.
            let mut expected: BTreeSet<BTreeSet<String>> = BTreeSet::new();
            for mask in 1u32..(1 << count) {
                let set: Vec<usize> = (0..count).filter(|bit| mask & (1 << bit) != 0).collect();
                if set.len() > 4 || holds_together(&set) {
                    continue;
                }
                let minimal = set.iter().all(|&left_out| {
                    let rest: Vec<usize> = set.iter().copied().filter(|&index| index != left_out).collect();
                    rest.is_empty() || holds_together(&rest)
                });
                if minimal {
                    expected.insert(set.iter().map(|index| format!("r{index}")).collect());
                }
            }
            let found: BTreeSet<BTreeSet<String>> = analysis
                .red_lines
                .conflicts
                .iter()
                .map(|conflict| conflict.red_lines.iter().map(|red_line| red_line.id.clone().expect("all visible")).collect())
                .collect();
            prop_assert_eq!(&found, &expected, "{}", text);

            // The zone of agreement on `cap`: values every party with red lines on it can accept
            // under all of its red lines. There is one exactly when some red line names `cap` (open
            // or settled by no item; nothing is agreed here).
            let zone = analysis.zopa.iter().find(|zone| zone.issue == "cap");
            let names_cap = negotiation.red_lines.iter().any(|red_line| red_line.expr.issues().contains(&"cap"));
            prop_assert_eq!(zone.is_some(), names_cap, "{}", text);
            if let Some(zone) = zone {
                let acceptable_to = |party: &str, cap: i64| {
                    let constrains = (0..count).any(|index| {
                        negotiation.red_lines[index].party == party && negotiation.red_lines[index].expr.issues().contains(&"cap")
                    });
                    let mine: Vec<usize> = (0..count).filter(|&index| constrains && negotiation.red_lines[index].party == party).collect();
                    mine.is_empty()
                        || satisfied
                            .iter()
                            .zip(&all)
                            .any(|(row, outcome)| outcome[0].1 == Value::Integer(cap) && mine.iter().all(|&index| row[index]))
                };
                let common: Vec<i64> = (0..=5).filter(|&cap| acceptable_to("A", cap) && acceptable_to("B", cap)).collect();
                match &zone.zone {
                    Zone::Interval { low, high } => {
                        prop_assert!(!common.is_empty(), "{}", text);
                        prop_assert_eq!(low.clone(), Some(Value::Integer(common[0])));
                        prop_assert_eq!(high.clone(), Some(Value::Integer(*common.last().unwrap())));
                    }
                    Zone::None { .. } => prop_assert!(common.is_empty(), "{}", text),
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Found by the property above: {r0, r1, r2} is connected only through r2 (r0 is about `mode`, r1
/// about `cap`), so growing sets only by later red lines never built it.
#[test]
fn a_conflict_connected_only_through_its_last_red_line_is_found() {
    let text =
        scenario_text(&[(0, "mode != 'low'".to_owned()), (0, "cap <= 2".to_owned()), (0, "(cap >= 4) or (mode == 'low')".to_owned())]);
    let negotiation = scenario::parse(&text).unwrap().negotiation;
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &ScenarioOptions::default());
    assert_eq!(analysis.red_lines.all_can_hold, Some(false));
    let found: Vec<Vec<String>> = analysis
        .red_lines
        .conflicts
        .iter()
        .map(|conflict| conflict.red_lines.iter().map(|red_line| red_line.id.clone().unwrap()).collect())
        .collect();
    assert_eq!(found, vec![vec!["r0".to_owned(), "r1".to_owned(), "r2".to_owned()]]);
}

/// An item agreed only through a party's private acceptance is settled for the holder of the whole
/// record and still open for everyone else: analysis must not reveal the acceptance.
#[test]
fn a_private_acceptance_does_not_settle_an_issue_for_others() {
    let text = r#"[negotiation]
id = "p"
title = "P"
signatories = ["A", "B"]

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 5

[[issues]]
id = "flag"
kind = "yes-no"

[[items]]
number = 1
title = "Cap"
settles = ["cap"]
proposes = { cap = 3 }

[[items]]
number = 2
title = "Flag"
settles = ["flag"]

[[stances]]
party = "A"
items = [1]
position = "accepts"
date = "2025-01-01"

[[stances]]
party = "B"
items = [1]
position = "accepts"
date = "2025-01-01"
visibility = "private"
"#;
    let negotiation = scenario::parse(text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation;
    let options = ScenarioOptions::default();
    let holder = analyse(&negotiation, &Point::now(), &Viewer::Everything, &options);
    assert_eq!(holder.fixed, vec![("cap".to_owned(), Value::Integer(3))]);
    for viewer in [Viewer::Public, Viewer::Party("A".to_owned())] {
        let analysis = analyse(&negotiation, &Point::now(), &viewer, &options);
        assert!(analysis.fixed.is_empty(), "{viewer}: {:?}", analysis.fixed);
        assert!(analysis.open_issues.contains(&"cap".to_owned()), "{viewer}");
        let problem = parley_analysis::scenario::viewer_problem(&negotiation, &Point::now(), &viewer, &options).problem;
        assert!(problem.space.issues.iter().any(|issue| issue.name == "cap"), "{viewer}: cap is bargained over");
    }
    let private_view = analyse(&negotiation, &Point::now(), &Viewer::Party("B".to_owned()), &options);
    assert_eq!(private_view.fixed, holder.fixed, "B sees its own acceptance");
}

/// A wage negotiation whose only confidential content is `hidden` (red lines and demands).
fn wage_talks(max: &str, hidden: &str) -> parley_core::model::Negotiation {
    let text = format!(
        r#"[negotiation]
id = "w"
title = "W"

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
max = {max}

[[items]]
number = 1
title = "Wage"
settles = ["wage"]

[[preferences]]
party = "A"
visibility = "public"
[preferences.issues]
wage = {{ weight = 1.0, best = {max}, worst = 0 }}

[[preferences]]
party = "B"
visibility = "public"
[preferences.issues]
wage = {{ weight = 1.0, best = 0, worst = {max} }}
{hidden}"#
    );
    scenario::parse(&text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation
}

/// Regression: the bargaining space drew its candidate values from the whole record, so a hidden
/// red line's breakpoint (or a hidden demand) showed up among the values a viewer's frontier lists.
#[test]
fn hidden_red_lines_and_demands_do_not_shape_a_viewers_bargaining_space() {
    let hidden = r#"
[[red_lines]]
id = "a-floor"
party = "A"
expr = "wage >= 437"
visibility = "private"

[[demands]]
party = "A"
issue = "wage"
value = 613
visibility = "private"
"#;
    let options = ScenarioOptions { max_integer_values: 50, ..ScenarioOptions::default() };
    let with = wage_talks("1000", hidden);
    let without = wage_talks("1000", "");
    for viewer in [Viewer::Public, Viewer::Party("B".to_owned())] {
        let seen = parley_analysis::scenario::viewer_problem(&with, &Point::now(), &viewer, &options).problem;
        let blind = parley_analysis::scenario::viewer_problem(&without, &Point::now(), &viewer, &options).problem;
        assert_eq!(seen.space.issues[0].values, blind.space.issues[0].values, "{viewer}");
        let a = serde_json::to_value(analyse(&with, &Point::now(), &viewer, &options).bargaining).unwrap();
        let b = serde_json::to_value(analyse(&without, &Point::now(), &viewer, &options).bargaining).unwrap();
        assert_eq!(a, b, "{viewer}");
        let text = a.to_string();
        for secret in ["437", "613"] {
            assert!(!text.contains(secret), "{viewer} sees {secret}: {text}");
        }
    }
    // The holder of the whole record does bargain over the breakpoints.
    let whole = parley_analysis::scenario::viewer_problem(&with, &Point::now(), &Viewer::Everything, &options).problem;
    assert!(whole.space.issues[0].values.iter().any(|label| label.to_string().contains("613")));
}

/// Regression: candidate values of a huge integer range overflowed i64 (a panic in debug builds).
#[test]
fn integer_issues_at_the_ends_of_i64_are_analysed_without_overflow() {
    let red_line = format!("\n[[red_lines]]\nid = \"r\"\nparty = \"A\"\nexpr = \"wage <= {}\"\nvisibility = \"public\"\n", i64::MAX - 3);
    let negotiation = wage_talks(&i64::MAX.to_string(), &red_line);
    let options = ScenarioOptions { max_integer_values: 50, ..ScenarioOptions::default() };
    let analysis = analyse(&negotiation, &Point::now(), &Viewer::Everything, &options);
    assert_eq!(analysis.red_lines.all_can_hold, Some(true));
    let problem = parley_analysis::scenario::viewer_problem(&negotiation, &Point::now(), &Viewer::Everything, &options).problem;
    assert!(problem.space.issues[0].values.len() > 2);
}

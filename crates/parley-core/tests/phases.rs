//! Phases and schedules: status, diff and claims judge each phase.

use parley_core::model::Negotiation;
use parley_core::scenario;
use parley_core::status::{ItemState, Reason, Record};

const RECORD: &str = r#"[negotiation]
id = "t"
title = "T"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "tariff"
kind = "integer"
min = 0
max = 20

[[rounds]]
id = "r1"
date = 2026-01-01

[[rounds]]
id = "r2"
date = 2026-02-01

[[phases]]
id = "transition"

[[phases]]
id = "final"
date = "2031"

[[items]]
number = 1
title = "Tariffs"
settles = ["tariff"]
proposes = { tariff = { transition = 2, final = 9 } }
round = "r1"

[[items.revisions]]
round = "r2"
proposes = { tariff = 2 }

[[stances]]
party = "A"
item = 1
position = "accepts"
round = "r1"

[[stances]]
party = "B"
item = 1
position = "accepts"
round = "r2"

[[red_lines]]
id = "low"
party = "A"
expr = "tariff <= 5"
visibility = "public"

[[red_lines]]
id = "final-floor"
party = "B"
expr = "tariff >= 5"
phases = ["final"]
visibility = "public"
"#;

fn record() -> Negotiation {
    scenario::parse(RECORD).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation
}

// Regression: a red line was judged on the values of the first phase only, so a schedule that
// breaks it only in a later phase passed as holding and the item could count as agreed.
#[test]
fn a_red_line_broken_only_in_a_later_phase_is_reported_violated() {
    let negotiation = record();
    let record = Record::new(&negotiation);
    let status = record.status(&record.point("r1").unwrap());
    let low = status.red_lines.iter().find(|check| check.id == "low").unwrap();
    assert_eq!(low.holds, Some(false));
    let verdicts: Vec<(&str, Option<bool>)> = low.phases.iter().map(|verdict| (verdict.phase.as_str(), verdict.holds)).collect();
    assert_eq!(verdicts, [("transition", Some(true)), ("final", Some(false))]);
    let item = &status.items[0];
    assert_eq!(item.state, ItemState::Blocked);
    let broken = item.reasons.iter().find(|reason| matches!(reason, Reason::RedLineViolated { .. })).unwrap();
    match broken {
        Reason::RedLineViolated { phase, values, .. } => {
            assert_eq!(phase.as_deref(), Some("final"));
            assert_eq!(values, &[("tariff".to_owned(), parley_core::model::Value::Integer(9))]);
        }
        _ => unreachable!(),
    }
    // A red line about the final phase only is judged there only.
    let early = status.red_lines.iter().find(|check| check.id == "final-floor").unwrap();
    assert_eq!(early.phases.len(), 1);
    assert_eq!(early.holds, Some(true));
}

// Regression: a revision proposing one value must end the item's schedule (the value holds in
// every phase again), and the diff's states must agree with the statuses at both ends.
#[test]
fn one_value_proposed_again_replaces_the_schedule() {
    let negotiation = record();
    let record = Record::new(&negotiation);
    let (r1, r2) = (record.point("r1").unwrap(), record.point("r2").unwrap());
    let status = record.status(&r2);
    assert!(status.items[0].schedules.is_empty());
    assert!(status.proposed[0].schedule.is_empty());
    // B's red line about the final phase is now broken by 2 (and A's holds).
    let holds: Vec<(&str, Option<bool>)> = status.red_lines.iter().map(|check| (check.id.as_str(), check.holds)).collect();
    assert_eq!(holds, [("low", Some(true)), ("final-floor", Some(false))]);
    let diff = record.diff(&r1, &r2).unwrap();
    let change = &diff.revisions[0].values[0];
    assert_eq!(change.before_schedule.len(), 1);
    assert!(change.after_schedule.is_empty());
    // Blocked at both ends, by A's red line in r1 and by B's in r2: no status change.
    assert_eq!(record.status(&r1).items[0].state, ItemState::Blocked);
    assert_eq!(status.items[0].state, ItemState::Blocked);
    assert!(diff.status_changes.is_empty());
    let text = status.items[0].reasons[0].describe("this item", "B");
    assert_eq!(text, "this item breaks B's red line final-floor (tariff >= 5) with tariff = 2 in phase final");
}

// Regression guard for sunsets: a provision that lapses proposes nothing from its phase on, so a
// red line over it is undecided there (not held), and a claim about every phase is unverifiable.
#[test]
fn a_lapsed_provision_leaves_red_lines_and_claims_undecided() {
    let claim = "\n[[statements]]\nid = \"s\"\nspeaker = \"A\"\ndate = 2026-03-01\nquote = \"Low for good.\"\n\n\
                 [[statements.claims]]\nkind = \"value\"\nissue = \"tariff\"\nop = \"<=\"\nvalue = 5\n";
    let text = RECORD
        .replace("proposes = { tariff = { transition = 2, final = 9 } }", "proposes = { tariff = { transition = 2, lapses = \"final\" } }")
        .replace("[[items.revisions]]\nround = \"r2\"\nproposes = { tariff = 2 }\n", "")
        + claim;
    let negotiation = scenario::parse(&text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation;
    let record = Record::new(&negotiation);
    let status = record.status(&record.point("now").unwrap());
    assert_eq!(status.proposed[0].schedule[0].value, None);
    let holds: Vec<(&str, Option<bool>)> = status.red_lines.iter().map(|check| (check.id.as_str(), check.holds)).collect();
    // Both red lines name the final phase, where nothing is proposed any more: undecided.
    assert_eq!(holds, [("low", None), ("final-floor", None)]);
    let claims = record.check_claims();
    let verdict = &claims.statements[0].claims[0];
    assert_eq!(verdict.verdict, parley_core::claims::Verdict::Unverifiable, "{}", verdict.finding);
    assert!(verdict.finding.ends_with("in phase final: the provision lapses"), "{}", verdict.finding);
}

//! `parley simulate` and `parley tournament` on scenarios respect red lines: no agent offers or
//! accepts an outcome that breaks its own party's red lines, the agreement says which red lines in
//! force it breaks, and issues nobody values are reported at the proposal's value or unset.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{run, scenario, stderr, stdout, workspace_root};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const AGENTS: [&str; 8] = ["boulware", "linear", "conceder", "tit-for-tat", "aspiration", "hardliner", "random", "micro"];

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/simulation").join(name).display().to_string()
}

/// A simulation's JSON and its trace: rows of (proposer, issue → value, red lines broken).
struct Simulated {
    json: serde_json::Value,
    trace: Vec<(String, BTreeMap<String, String>, Vec<String>)>,
    stderr: String,
}

fn simulate(file: &str, args: &[&str], directory: &Path) -> Simulated {
    let trace = directory.join("trace.csv");
    let mut all = vec!["simulate", file, "--json", "--trace", trace.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = run(&all);
    assert_eq!(output.status.code(), Some(0), "{all:?}: {}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"breaks"), "a scenario's trace ends with the red lines each offer breaks");
    let issues: Vec<&str> = header[2..header.len() - 1].iter().copied().filter(|name| !name.starts_with("u_")).collect();
    let first_issue = header.len() - 1 - issues.len();
    let rows = lines
        .map(|line| {
            // Values and ids here need no CSV quoting (no commas, quotes or braces).
            let fields: Vec<&str> = line.split(',').collect();
            let values =
                issues.iter().enumerate().map(|(slot, issue)| ((*issue).to_owned(), fields[first_issue + slot].to_owned())).collect();
            let breaks = fields.last().unwrap().split_whitespace().map(str::to_owned).collect();
            (fields[1].to_owned(), values, breaks)
        })
        .collect();
    Simulated { json, trace: rows, stderr: stderr(&output) }
}

/// Each party's own red lines its agent was bound to, from the JSON.
fn own_red_lines(json: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    json["red_lines_applied"]
        .as_object()
        .expect("a scenario's simulation names the red lines applied")
        .iter()
        .map(|(party, ids)| (party.clone(), ids.as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()).collect()))
        .collect()
}

/// No offer breaks a red line of its proposer, and the agreement none of any party's own.
fn check_respected(simulated: &Simulated, context: &str) {
    let own = own_red_lines(&simulated.json);
    for (proposer, values, breaks) in &simulated.trace {
        let mine = own.get(proposer).map(Vec::as_slice).unwrap_or_default();
        let broken: Vec<&String> = breaks.iter().filter(|id| mine.contains(id)).collect();
        assert!(broken.is_empty(), "{context}: {proposer} offered {values:?}, which breaks its own {broken:?}");
    }
    if !simulated.json["agreement"].is_null() {
        let breaks: Vec<&str> = simulated.json["agreement_breaks"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()).collect();
        for (party, ids) in &own {
            assert!(
                !ids.iter().any(|id| breaks.contains(&id.as_str())),
                "{context}: the agreement breaks a red line of {party}: {breaks:?}"
            );
        }
        // The agreement is the standing offer, which every party accepted.
        let (_, last, last_breaks) = simulated.trace.last().expect("an agreement follows an offer");
        for (party, ids) in &own {
            assert!(!ids.iter().any(|id| last_breaks.contains(id)), "{context}: {party} accepted {last:?}, which breaks {last_breaks:?}");
        }
    }
    assert!(!simulated.stderr.contains("are not applied"), "{context}: {}", simulated.stderr);
}

#[test]
fn simulations_respect_red_lines() {
    // Regression: simulate let every agent offer and accept every outcome, only warning that "the
    // red lines ... are not applied"; on ukraine-2025 Boulware and conceder agreed on an outcome
    // that broke red lines of both parties.
    let directory = tempfile::tempdir().unwrap();
    let cases: [(String, &[&str]); 3] = [
        (scenario("dockworkers-2026.toml"), &[]),
        (scenario("dockworkers-2026.toml"), &["--as-of", "second"]),
        (scenario("ukraine-2025.toml"), &["--viewer", "mediator"]),
    ];
    for (file, extra) in &cases {
        for (index, first) in AGENTS.iter().enumerate() {
            let second = AGENTS[(index + 3) % AGENTS.len()];
            for protocol in ["alternating", "single-text"] {
                let agents = format!("{first},{second}");
                let mut args = vec!["--agents", agents.as_str(), "--protocol", protocol, "--rounds", "60"];
                args.extend_from_slice(extra);
                let simulated = simulate(file, &args, directory.path());
                check_respected(&simulated, &format!("{file} {args:?}"));
                assert!(!own_red_lines(&simulated.json).is_empty());
            }
        }
    }
    let ukraine = simulate(&scenario("ukraine-2025.toml"), &["--viewer", "mediator", "--agents", "boulware,conceder"], directory.path());
    assert!(ukraine.json["agreement"].is_null(), "the two parties' red lines conflict: no deal respects both");
}

#[test]
fn tournaments_on_scenarios_apply_red_lines_and_name_those_agreements_break() {
    let directory = tempfile::tempdir().unwrap();
    let file = fixture("sale-with-red-lines.toml");
    let output = run(&[
        "tournament",
        "--agents",
        "linear,boulware,conceder,micro",
        "--scenarios",
        &file,
        "--reps",
        "1",
        "-o",
        directory.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("not applied"), "{}", stderr(&output));
    // Every agreement lies in both red-line zones: the buyer pays at most 7, the seller takes at
    // least 5 (utilities are linear in the price: the seller's is price/10); so each breaks the
    // watchdog's cap of 3, and says so.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(directory.path().join("results.json")).unwrap()).unwrap();
    let mut agreements = 0;
    for job in results["results"].as_array().unwrap() {
        if job["agreement"].as_bool().unwrap() {
            agreements += 1;
            let seller = job["utilities"][1].as_f64().unwrap();
            assert!((0.5 - 1e-9..=0.7 + 1e-9).contains(&seller), "{job}");
            assert_eq!(job["agreement_breaks"], serde_json::json!(["watchdog-cap"]), "{job}");
        } else {
            assert!(job.get("agreement_breaks").is_none(), "{job}");
        }
    }
    assert!(agreements > 0);
}

#[test]
fn issues_nobody_values_keep_the_proposal_or_stay_unset() {
    let directory = tempfile::tempdir().unwrap();
    let file = fixture("sale-with-red-lines.toml");
    let simulated = simulate(&file, &["--agents", "linear,linear", "--as-of", "r1"], directory.path());
    check_respected(&simulated, "sale");
    let json = &simulated.json;
    // `colour` keeps the proposal's value, `audit` the value the seller's red line forces, and
    // `venue`, proposed by no item and free of red lines, is left unset.
    assert_eq!(json["agreement"], serde_json::json!({ "audit": true, "colour": "blue", "price": 4 }));
    assert_eq!(json["agreement_unset"], serde_json::json!(["venue"]));
    assert_eq!(json["agreement_breaks"], serde_json::json!(["watchdog-cap"]));
    assert_eq!(json["red_lines_applied"], serde_json::json!({ "buyer": ["buyer-ceiling"], "seller": ["seller-audit"] }));
    // The agents themselves settled `colour` and `venue` on whatever came first in their lists.
    let (_, agreed, _) = simulated.trace.last().unwrap();
    assert_eq!((agreed["colour"].as_str(), agreed["venue"].as_str()), ("red", "north"));

    let text = stdout(&run(&["simulate", &file, "--agents", "linear,linear", "--as-of", "r1"]));
    for line in [
        "Agents bound by their own red lines: buyer (buyer-ceiling), seller (seller-audit)\n",
        "  price = 4; colour = blue; audit = yes\n",
        "  unset (nobody values them, nothing is proposed): venue\n",
        "  It breaks red lines: watchdog-cap\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn genius_simulations_say_nothing_of_red_lines() {
    let folder: PathBuf = workspace_root().join("testdata/negmas-generated/gen2p_1e3");
    let output = run(&["simulate", folder.to_str().unwrap(), "--agents", "boulware,conceder", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    for field in ["red_lines_applied", "agreement_unset", "agreement_breaks"] {
        assert!(json.get(field).is_none(), "{field} in a GENIUS simulation");
    }
    assert_eq!(stderr(&output), "");
}

/// A red line of a random scenario: `issue op value`, or two of them joined.
#[derive(Clone, Debug)]
enum Line {
    Compare { issue: usize, op: &'static str, value: i64 },
    Or(Box<Line>, Box<Line>),
}

impl Line {
    fn text(&self, kinds: &[Kind]) -> String {
        match self {
            Line::Compare { issue, op, value } => match kinds[*issue] {
                Kind::Integer(_) => format!("i{issue} {op} {value}"),
                Kind::Choice(_) => format!("i{issue} {op} 'o{value}'"),
            },
            Line::Or(a, b) => format!("({}) or ({})", a.text(kinds), b.text(kinds)),
        }
    }

    /// Whether the values (an integer, or `o<k>` for a choice) satisfy it.
    fn holds(&self, values: &BTreeMap<String, String>) -> bool {
        match self {
            Line::Compare { issue, op, value } => {
                let text = &values[&format!("i{issue}")];
                let actual: i64 = text.trim_start_matches('o').parse().unwrap();
                match *op {
                    "<=" => actual <= *value,
                    ">=" => actual >= *value,
                    "==" => actual == *value,
                    _ => actual != *value,
                }
            }
            Line::Or(a, b) => a.holds(values) || b.holds(values),
        }
    }

    fn names(&self, wanted: usize) -> bool {
        match self {
            Line::Compare { issue, .. } => *issue == wanted,
            Line::Or(a, b) => a.names(wanted) || b.names(wanted),
        }
    }
}

/// A random scenario with its red lines per party and, when it has one, the issue nobody values
/// with the value the item proposes for it.
struct RandomScenario {
    text: String,
    red_lines: Vec<(String, Vec<Line>)>,
    unvalued: Option<(usize, Option<String>)>,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// 0 to the maximum.
    Integer(i64),
    /// Options o0, o1, ...
    Choice(i64),
}

/// A random scenario: two or three principals with preferences (on some issues only), one item
/// proposing values for some issues, and random red lines of every party.
fn random_scenario(seed: u64) -> RandomScenario {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |below: u64| -> u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let issues = 1 + next(3) as usize;
    let kinds: Vec<Kind> =
        (0..issues).map(|_| if next(2) == 0 { Kind::Integer(1 + next(4) as i64) } else { Kind::Choice(2 + next(2) as i64) }).collect();
    let parties = 2 + (next(3) / 2) as usize;
    let mut text = String::from("[negotiation]\nid = \"random\"\ntitle = \"Random\"\n\n");
    for party in 0..parties {
        text.push_str(&format!("[[parties]]\nid = \"P{party}\"\nrole = \"principal\"\n\n"));
    }
    for (issue, kind) in kinds.iter().enumerate() {
        match kind {
            Kind::Integer(max) => text.push_str(&format!("[[issues]]\nid = \"i{issue}\"\nkind = \"integer\"\nmin = 0\nmax = {max}\n\n")),
            Kind::Choice(count) => {
                let options: Vec<String> = (0..*count).map(|option| format!("\"o{option}\"")).collect();
                text.push_str(&format!("[[issues]]\nid = \"i{issue}\"\nkind = \"choice\"\noptions = [{}]\n\n", options.join(", ")));
            }
        }
    }
    text.push_str("[[rounds]]\nid = \"r1\"\ndate = 2026-01-01\n\n");
    let settles: Vec<String> = (0..issues).map(|issue| format!("\"i{issue}\"")).collect();
    let proposed: Vec<Option<String>> = kinds
        .iter()
        .map(|kind| {
            (next(2) == 0).then(|| match kind {
                Kind::Integer(max) => next(*max as u64 + 1).to_string(),
                Kind::Choice(count) => format!("o{}", next(*count as u64)),
            })
        })
        .collect();
    let proposes: Vec<String> = proposed
        .iter()
        .enumerate()
        .filter_map(|(issue, value)| {
            let value = value.as_ref()?;
            Some(if value.starts_with('o') { format!("i{issue} = \"{value}\"") } else { format!("i{issue} = {value}") })
        })
        .collect();
    text.push_str(&format!(
        "[[items]]\nnumber = 1\ntitle = \"All\"\ntext = \"All.\"\nround = \"r1\"\nsettles = [{}]\nproposes = {{ {} }}\n\n",
        settles.join(", "),
        proposes.join(", ")
    ));
    let mut red_lines = Vec::new();
    let line = |next: &mut dyn FnMut(u64) -> u64| -> Line {
        // The issue nobody values (the last, with several) is named less often.
        let issue = match next(issues as u64) as usize {
            last if issues > 1 && last == issues - 1 && next(3) != 0 => 0,
            issue => issue,
        };
        let (op, value) = match kinds[issue] {
            Kind::Integer(max) => (["<=", ">=", "==", "!="][next(4) as usize], next(max as u64 + 1) as i64),
            Kind::Choice(count) => (["==", "!="][next(2) as usize], next(count as u64) as i64),
        };
        Line::Compare { issue, op, value }
    };
    for party in 0..parties {
        let mut lines = Vec::new();
        for number in 0..next(3) {
            let drawn = if next(4) == 0 { Line::Or(Box::new(line(&mut next)), Box::new(line(&mut next))) } else { line(&mut next) };
            text.push_str(&format!(
                "[[red_lines]]\nid = \"P{party}-{number}\"\nparty = \"P{party}\"\nexpr = \"{}\"\nvisibility = \"public\"\n\n",
                drawn.text(&kinds)
            ));
            lines.push(drawn);
        }
        red_lines.push((format!("P{party}"), lines));
    }
    for party in 0..parties {
        text.push_str(&format!("[[preferences]]\nparty = \"P{party}\"\nreservation = 0.{}\n[preferences.issues]\n", next(3)));
        let mut valued = 0;
        for (issue, kind) in kinds.iter().enumerate() {
            // The last issue, when there are several, is nobody's concern.
            if issues > 1 && issue == issues - 1 {
                continue;
            }
            valued += 1;
            match kind {
                Kind::Integer(max) => {
                    let (best, worst) = if next(2) == 0 { (0, *max) } else { (*max, 0) };
                    text.push_str(&format!("i{issue} = {{ weight = 0.{}, best = {best}, worst = {worst} }}\n", 1 + next(9)));
                }
                Kind::Choice(count) => {
                    let values: Vec<String> = (0..*count).map(|option| format!("o{option} = 0.{}", next(10))).collect();
                    text.push_str(&format!("i{issue} = {{ weight = 0.{}, values = {{ {} }} }}\n", 1 + next(9), values.join(", ")));
                }
            }
        }
        assert!(valued > 0);
        text.push('\n');
    }
    let unvalued = (issues > 1).then(|| (issues - 1, proposed[issues - 1].clone()));
    RandomScenario { text, red_lines, unvalued }
}

#[test]
fn no_agent_ever_offers_or_accepts_against_its_own_red_lines_in_random_scenarios() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("random.toml");
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, rng_seed: RngSeed::Fixed(7), ..Config::default() });
    runner
        .run(&(any::<u64>(), 0usize..AGENTS.len(), prop_oneof![Just("alternating"), Just("single-text")]), |(seed, first, protocol)| {
            let RandomScenario { text, red_lines, unvalued } = random_scenario(seed);
            std::fs::write(&file, &text).unwrap();
            let parties = red_lines.len();
            let agents: Vec<&str> = (0..parties).map(|party| AGENTS[(first + party * 3) % AGENTS.len()]).collect();
            let agents = agents.join(",");
            let simulated =
                simulate(file.to_str().unwrap(), &["--agents", &agents, "--protocol", protocol, "--rounds", "100"], directory.path());
            let context = format!("{agents} {protocol}\n{text}");
            check_respected(&simulated, &context);
            // Checked again against the red lines as drawn, on every offer's values.
            for (proposer, values, _) in &simulated.trace {
                if let Some((_, lines)) = red_lines.iter().find(|(party, _)| party == proposer) {
                    prop_assert!(lines.iter().all(|line| line.holds(values)), "{context}: {proposer} offered {values:?}");
                }
            }
            if !simulated.json["agreement"].is_null() {
                let (_, agreed, _) = simulated.trace.last().unwrap();
                for (party, lines) in &red_lines {
                    prop_assert!(lines.iter().all(|line| line.holds(agreed)), "{context}: {party} accepted {agreed:?}");
                }
                // The issue nobody values, when no red line names it, is reported at the proposal's
                // value, or left out when nothing is proposed.
                if let Some((issue, proposed)) = &unvalued {
                    if !red_lines.iter().flat_map(|(_, lines)| lines).any(|line| line.names(*issue)) {
                        let reported = &simulated.json["agreement"][format!("i{issue}")];
                        let reported = reported.as_str().map(str::to_owned).or_else(|| reported.as_i64().map(|value| value.to_string()));
                        prop_assert_eq!(&reported, proposed, "{}", context);
                        let unset = simulated.json["agreement_unset"].as_array().unwrap().contains(&serde_json::json!(format!("i{issue}")));
                        prop_assert_eq!(unset, proposed.is_none());
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn to_genius_names_every_red_line_its_export_leaves_out() {
    // GENIUS profiles cannot hold red lines: the signatories' red lines, and the exported parties'
    // own (the watchdog is no signatory), are named.
    let directory = tempfile::tempdir().unwrap();
    let file = fixture("sale-with-red-lines.toml");
    let output = run(&["to-genius", &file, "--parties", "buyer,watchdog", "-o", directory.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "GENIUS profiles cannot hold red lines; the exported domain holds every outcome: \
             the red lines buyer-ceiling, seller-floor, seller-audit, watchdog-cap are not applied"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn red_lines_too_fragmented_to_apply_are_named_in_a_warning() {
    // Two bounds on two integer issues of 300 values take 151 × 151 boxes, over the 20,000 the
    // search allows: that party's agent cannot be bound, and a warning says so.
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("fragmented.toml");
    let text = r#"[negotiation]
id = "fragmented"
title = "Fragmented"

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
max = 299

[[issues]]
id = "y"
kind = "integer"
min = 0
max = 299

[[rounds]]
id = "r1"
date = 2026-01-01

[[items]]
number = 1
title = "Both"
text = "Both."
round = "r1"
settles = ["x", "y"]

[[red_lines]]
id = "a-x"
party = "A"
expr = "x <= 150"
visibility = "public"

[[red_lines]]
id = "a-y"
party = "A"
expr = "y <= 150"
visibility = "public"

[[red_lines]]
id = "b-x"
party = "B"
expr = "x >= 100"
visibility = "public"

[[preferences]]
party = "A"
[preferences.issues]
x = { weight = 0.5, best = 0, worst = 299 }
y = { weight = 0.5, best = 0, worst = 299 }

[[preferences]]
party = "B"
[preferences.issues]
x = { weight = 0.5, best = 299, worst = 0 }
y = { weight = 0.5, best = 299, worst = 0 }
"#;
    std::fs::write(&file, text).unwrap();
    let output = run(&["simulate", file.to_str().unwrap(), "--agents", "boulware,conceder", "--rounds", "20", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: the red lines a-x, a-y of A are not applied to its agent: the outcomes they allow take more than 20000 boxes to describe"
        ),
        "{}",
        stderr(&output)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["red_lines_applied"], serde_json::json!({ "B": ["b-x"] }));
}

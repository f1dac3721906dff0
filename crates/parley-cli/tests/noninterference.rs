//! Non-interference: whatever a viewer is told by any command equals what it is told by the record
//! with everything it may not see removed (its export). For the bundled scenarios and for random
//! records whose stances, red lines, preferences and demands have every visibility, every record
//! command and every bargaining command is run on the whole file and on the viewer's export, for
//! every viewer, and the outputs (standard output, standard error, exit code, files written) must
//! be identical.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{parley, scenario};
use parley_core::visibility::{Viewer, view};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Every command that reports on a scenario, as `parley COMMAND FILE ARGS...`; `{out}` is a file
/// the command writes, compared too.
const COMMANDS: &[&str] = &[
    "status --json",
    "status --as-of r1",
    "diff start now --json",
    "diff r1 r2",
    "claims --json",
    "positions --json",
    "positions -o {out}",
    "implementation --json",
    "analyze --json",
    "analyze --as-of r1",
    "frontier --json",
    "plot -o {out}",
    "simulate --agents boulware,conceder --rounds 30 --json",
];

/// What one command tells: exit code, standard output and error (file names made neutral), and the
/// file it wrote.
fn told(file: &Path, command: &str, viewer: &str, directory: &Path) -> String {
    let out = directory.join("written");
    let _ = std::fs::remove_file(&out);
    let mut words = command.split_whitespace();
    let verb = words.next().unwrap();
    let args: Vec<String> = words.map(|word| word.replace("{out}", out.to_str().unwrap())).collect();
    let output = parley().arg(verb).arg(file).args(&args).args(["--viewer", viewer, "--color=never"]).output().expect("parley runs");
    let neutral =
        |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(file.to_str().unwrap(), "FILE").replace(out.to_str().unwrap(), "OUT");
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}--- file\n{written}",
        output.status.code(),
        neutral(&output.stdout),
        neutral(&output.stderr)
    )
}

/// Checks every command for every viewer on `text`; `Err` names the first difference.
fn check_record(text: &str, viewers: &[&str], commands: &[&str]) -> Result<(), String> {
    let directory = tempfile::tempdir().unwrap();
    let whole = directory.path().join("whole.toml");
    std::fs::write(&whole, text).unwrap();
    let negotiation = parley_core::scenario::parse(text).map_err(|problems| format!("does not parse: {problems:?}"))?.negotiation;
    for viewer in viewers {
        let seen = view(&negotiation, &viewer.parse::<Viewer>().unwrap());
        let export = directory.path().join("export.toml");
        std::fs::write(&export, parley_core::writer::to_toml(&seen)).unwrap();
        // The export is named like the whole file, so that nothing differs but the content.
        let exported = directory.path().join("x").join("whole.toml");
        std::fs::create_dir_all(exported.parent().unwrap()).unwrap();
        std::fs::rename(&export, &exported).unwrap();
        for command in commands {
            let from_whole = told(&whole, command, viewer, directory.path());
            let from_export = told(&exported, command, viewer, directory.path());
            if from_whole != from_export {
                return Err(format!(
                    "`parley {command} --viewer {viewer}` tells more than the viewer's export does\n=== on the whole record:\n{from_whole}\n=== on the export:\n{from_export}"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn bundled_scenarios_tell_each_viewer_only_what_its_export_holds() {
    let cases = [
        ("ukraine-2025.toml", &["public", "mediator", "US", "UA", "RU", "E3"][..]),
        ("dockworkers-2026.toml", &["public", "mediator", "union", "employers"][..]),
        ("iran-nuclear-2013-2016.toml", &["public", "mediator", "IR", "US", "UK", "RU", "OM", "IAEA"][..]),
    ];
    for (name, viewers) in cases {
        let text = std::fs::read_to_string(scenario(name)).unwrap();
        // The bundled scenarios' rounds have their own names.
        let commands: Vec<&str> = COMMANDS.iter().copied().filter(|command| !command.contains("r1")).collect();
        if let Err(difference) = check_record(&text, viewers, &commands) {
            panic!("{name}: {difference}");
        }
    }
}

/// Value claims about a readout confided to the mediator, and the claim that a private red line
/// holds: a viewer who may not see them is told what its export tells (the claim about the readout
/// unverifiable, the claim about the red line absent with it).
#[test]
fn value_and_red_line_claims_tell_each_viewer_only_what_its_export_holds() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/value-claims.toml")).unwrap();
    let commands = ["claims --json", "claims --hindsight", "status --json"];
    if let Err(difference) = check_record(&text, &["public", "mediator", "US", "IR"], &commands) {
        panic!("value-claims.toml: {difference}");
    }
}

const VISIBILITIES: [&str; 3] = ["public", "mediator", "private"];
const POSITIONS: [&str; 5] = ["accepts", "accepts-with-reservations", "undecided", "opposes", "red-line"];
const TESTS: &[&str] = &[
    "cap >= 4",
    "cap <= 6",
    "cap == 5",
    "mode >= 'mid'",
    "mode != 'high'",
    "flag",
    "not flag",
    "'a' in zones",
    "zones subset ['a', 'b']",
    "(cap >= 3) and (mode == 'low')",
    "(cap <= 2) or flag",
    "flag implies (cap >= 8)",
    // Linear tests, decided exactly.
    "2 * cap <= 9",
    "(cap - 3 > 0.5 * cap) or flag",
];
const PARTIES: [&str; 4] = ["A", "B", "S", "M"];
const ISSUES: [&str; 4] = ["cap", "mode", "flag", "zones"];

/// A random record: what each table holds, as indices into the constants above.
#[derive(Clone, Debug)]
struct Sketch {
    /// Per item: the issues it settles (bit mask) and the values it proposes (index per issue).
    items: Vec<(u8, [usize; 4])>,
    /// (party, item, position, round, visibility)
    stances: Vec<(usize, usize, usize, usize, usize)>,
    /// (party, test, visibility, since round)
    red_lines: Vec<(usize, usize, usize, usize)>,
    /// Per principal A, B: visibility, reservation in tenths, weights in tenths per issue.
    preferences: Vec<(usize, u8, [u8; 4])>,
    /// (party, issue, value index, visibility)
    demands: Vec<(usize, usize, usize, usize)>,
    /// (party, claim kind, item or issue or red line, position or value)
    statements: Vec<(usize, usize, usize, usize)>,
}

fn sketch() -> impl Strategy<Value = Sketch> {
    (
        proptest::collection::vec((1u8..16, [0usize..4, 0..3, 0..2, 0..4]), 1..4),
        proptest::collection::vec((0usize..4, 0usize..3, 0usize..5, 0usize..2, 0usize..3), 0..10),
        proptest::collection::vec((0usize..4, 0..TESTS.len(), 0usize..3, 0usize..2), 0..6),
        proptest::collection::vec((0usize..3, 0u8..6, [0u8..10, 0..10, 0..10, 0..10]), 0..3),
        proptest::collection::vec((0usize..4, 0usize..4, 0usize..4, 0usize..3), 0..6),
        proptest::collection::vec((0usize..4, 0usize..5, 0usize..4, 0usize..5), 0..4),
    )
        .prop_map(|(items, stances, red_lines, preferences, demands, statements)| Sketch {
            items,
            stances,
            red_lines,
            preferences,
            demands,
            statements,
        })
}

/// The value `index` of an issue, as TOML.
fn value(issue: usize, index: usize) -> String {
    match issue {
        0 => ["2", "5", "7", "9"][index % 4].to_owned(),
        1 => ["\"low\"", "\"mid\"", "\"high\""][index % 3].to_owned(),
        2 => ["false", "true"][index % 2].to_owned(),
        _ => ["[]", "[\"a\"]", "[\"a\", \"b\"]", "[\"c\"]"][index % 4].to_owned(),
    }
}

fn scenario_text(sketch: &Sketch) -> String {
    let mut text = String::from(
        r#"[negotiation]
id = "n"
title = "Random record"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[parties]]
id = "S"
role = "stakeholder"

[[parties]]
id = "M"
role = "mediator"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 10

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

[[rounds]]
id = "r1"
date = 2026-01-10

[[rounds]]
id = "r2"
date = 2026-02-10

"#,
    );
    // Each issue is settled by the first item that claims it.
    let mut taken = 0u8;
    for (number, (mask, values)) in sketch.items.iter().enumerate() {
        let mine = mask & !taken;
        taken |= mine;
        let settles: Vec<usize> = (0..4).filter(|bit| mine & (1 << bit) != 0).collect();
        let names: Vec<String> = settles.iter().map(|&issue| format!("\"{}\"", ISSUES[issue])).collect();
        let proposes: Vec<String> = settles.iter().map(|&issue| format!("{} = {}", ISSUES[issue], value(issue, values[issue]))).collect();
        let _ = write!(
            text,
            "[[items]]\nnumber = {}\ntitle = \"Item {}\"\nsettles = [{}]\nproposes = {{ {} }}\nround = \"r1\"\n\n",
            number + 1,
            number + 1,
            names.join(", "),
            proposes.join(", ")
        );
        if !settles.is_empty() && number % 2 == 0 {
            let issue = settles[0];
            let _ = write!(
                text,
                "[[items.revisions]]\nround = \"r2\"\nproposes = {{ {} = {} }}\n\n",
                ISSUES[issue],
                value(issue, values[issue] + 1)
            );
        }
    }
    let items = sketch.items.len();
    for &(party, item, position, round, visibility) in &sketch.stances {
        let _ = write!(
            text,
            "[[stances]]\nparty = \"{}\"\nitem = {}\nposition = \"{}\"\nround = \"r{}\"\nvisibility = \"{}\"\n\n",
            PARTIES[party],
            item % items + 1,
            POSITIONS[position],
            round + 1,
            VISIBILITIES[visibility]
        );
    }
    for (index, &(party, test, visibility, since)) in sketch.red_lines.iter().enumerate() {
        let _ = write!(
            text,
            "[[red_lines]]\nid = \"rl{index}\"\nparty = \"{}\"\nexpr = \"{}\"\nvisibility = \"{}\"\nsince = \"r{}\"\n\n",
            PARTIES[party],
            TESTS[test],
            VISIBILITIES[visibility],
            since + 1
        );
    }
    for (index, &(visibility, reservation, weights)) in sketch.preferences.iter().enumerate().take(2) {
        let _ = write!(
            text,
            "[[preferences]]\nparty = \"{}\"\nvisibility = \"{}\"\nreservation = {}\n",
            PARTIES[index],
            VISIBILITIES[visibility],
            f64::from(reservation) / 10.0
        );
        let _ = writeln!(
            text,
            "issues.cap = {{ weight = {}, best = {}, worst = {} }}",
            f64::from(weights[0]) / 10.0,
            if index == 0 { 10 } else { 0 },
            if index == 0 { 0 } else { 10 }
        );
        let _ = writeln!(
            text,
            "issues.mode = {{ weight = {}, values = {{ low = {}, mid = 0.5, high = {} }} }}",
            f64::from(weights[1]) / 10.0,
            index,
            1 - index
        );
        let _ = writeln!(
            text,
            "issues.flag = {{ weight = {}, values = {{ yes = {}, no = {} }} }}",
            f64::from(weights[2]) / 10.0,
            index,
            1 - index
        );
        let _ = writeln!(
            text,
            "issues.zones = {{ weight = {}, empty = {}, elements = {{ a = {}, b = 0.3, c = 0.2 }} }}\n",
            f64::from(weights[3]) / 10.0,
            if index == 0 { 1.0 } else { 0.0 },
            if index == 0 { -0.5 } else { 0.5 }
        );
    }
    let mut demanded = std::collections::BTreeSet::new();
    for &(party, issue, index, visibility) in &sketch.demands {
        if !demanded.insert((party, issue)) {
            continue;
        }
        let _ = write!(
            text,
            "[[demands]]\nparty = \"{}\"\nissue = \"{}\"\nvalue = {}\nvisibility = \"{}\"\n\n",
            PARTIES[party],
            ISSUES[issue],
            value(issue, index),
            VISIBILITIES[visibility]
        );
    }
    for (index, &(party, kind, item, position)) in sketch.statements.iter().enumerate() {
        let claim = match kind {
            0 => "{ kind = \"accepts\", party = \"A\" }".to_owned(),
            1 => format!("{{ kind = \"item-agreed\", item = {} }}", item % items + 1),
            3 => {
                // The value of an issue, proposed or agreed (its item may be hidden from the viewer).
                let issue = item % ISSUES.len();
                let op = if issue == 0 { "<=" } else { "==" };
                let of = ["proposed", "agreed"][position % 2];
                format!(
                    "{{ kind = \"value\", issue = \"{}\", op = \"{op}\", value = {}, of = \"{of}\" }}",
                    ISSUES[issue],
                    value(issue, position)
                )
            }
            // That a red line holds, which the viewer may not see.
            4 if !sketch.red_lines.is_empty() => {
                format!("{{ kind = \"red-line-holds\", red_line = \"rl{}\" }}", item % sketch.red_lines.len())
            }
            4 => "{ kind = \"differences-minor\" }".to_owned(),
            _ => format!("{{ kind = \"stance\", party = \"B\", item = {}, position = \"{}\" }}", item % items + 1, POSITIONS[position]),
        };
        let _ = write!(
            text,
            "[[statements]]\nid = \"s{index}\"\nspeaker = \"someone\"\nparty = \"{}\"\ndate = 2026-02-{:02}\nquote = \"...\"\nclaims = [{claim}]\n\n",
            PARTIES[party],
            10 + index
        );
    }
    text
}

#[test]
fn random_records_tell_each_viewer_only_what_its_export_holds() {
    let viewers = ["public", "mediator", "A", "B", "S", "M"];
    let mut runner = TestRunner::new(Config { cases: 20, failure_persistence: None, ..Config::default() });
    runner
        .run(&sketch(), |sketch| {
            let text = scenario_text(&sketch);
            if let Err(difference) = check_record(&text, &viewers, COMMANDS) {
                return Err(TestCaseError::fail(format!("{difference}\n=== record:\n{text}")));
            }
            Ok(())
        })
        .unwrap();
}

/// The one deliberate declassification: a red line whose party sets `disclose = "conflicts"` tells
/// viewers who may not see it that it takes part in a conflict (and nothing of its content). The
/// harness above sees that difference — so it can fail — and only `analyze` shows it.
#[test]
fn a_disclosed_red_line_is_the_only_difference_and_shows_no_content() {
    let text = |disclose: &str| {
        format!(
            r#"[negotiation]
id = "d"
title = "Disclosure"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "nato"
kind = "choice"
options = ["open", "deferred", "renounced"]
ordered = true

[[items]]
number = 1
title = "Alliances"
settles = ["nato"]

[[red_lines]]
id = "a-open"
party = "A"
expr = "nato != 'renounced'"
visibility = "public"

[[red_lines]]
id = "b-secret-renounced"
party = "B"
expr = "nato == 'renounced'"
visibility = "private"
{disclose}
"#
        )
    };
    let commands: Vec<&str> = COMMANDS.iter().copied().filter(|command| !command.starts_with("analyze")).collect();
    check_record(&text("disclose = \"conflicts\""), &["public", "A"], &commands).unwrap();
    check_record(&text(""), &["public", "A"], &["analyze --json"]).unwrap();
    let difference = check_record(&text("disclose = \"conflicts\""), &["public"], &["analyze --json"]).unwrap_err();
    assert!(difference.contains("a confidential red line of B (disclosed)"), "{difference}");
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("d.toml");
    std::fs::write(&file, text("disclose = \"conflicts\"")).unwrap();
    let analysis = told(&file, "analyze --json", "public", directory.path());
    assert!(analysis.contains("\"all_can_hold\": false"), "{analysis}");
    for secret in ["b-secret-renounced", "nato == 'renounced'"] {
        assert!(!analysis.contains(secret), "the public learns `{secret}`: {analysis}");
    }
}

/// A disclosed red line drawn in a secret round showed in the public's conflicts: whether it was in
/// force came from a timeline without that round (as drawn at the end of time). Disclosure does not
/// reach through a secret channel: the public is told exactly what its export tells.
#[test]
fn a_red_line_drawn_in_a_secret_round_is_not_disclosed() {
    let text = r#"[negotiation]
id = "d"
title = "Disclosure in a back channel"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "nato"
kind = "choice"
options = ["open", "deferred", "renounced"]
ordered = true

[[rounds]]
id = "back-channel"
date = 2026-01-05
participants = ["A", "B"]
visibility = "private"
party = "B"

[[items]]
number = 1
title = "Alliances"
settles = ["nato"]

[[red_lines]]
id = "a-open"
party = "A"
expr = "nato != 'renounced'"
visibility = "public"

[[red_lines]]
id = "b-secret-renounced"
party = "B"
expr = "nato == 'renounced'"
visibility = "private"
since = "back-channel"
disclose = "conflicts"
"#;
    check_record(text, &["public"], &["analyze --json", "analyze --as-of 2026-01-06"]).unwrap();
}

/// Phases with schedules proposed by a private item and by one revised in a secret round, red
/// lines confided to the mediator and scoped to a phase, and a claim about a phase: each viewer is
/// told what its export tells (phases themselves are seen by every viewer, as issues are).
#[test]
fn phased_records_tell_each_viewer_only_what_its_export_holds() {
    let text = r#"[negotiation]
id = "phased"
title = "Phased"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[parties]]
id = "M"
role = "mediator"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 10

[[issues]]
id = "rate"
kind = "integer"
min = 0
max = 10

[[rounds]]
id = "r1"
date = 2026-01-01

[[rounds]]
id = "hidden"
date = 2026-01-15
participants = ["A", "M"]
visibility = "private"
party = "A"

[[rounds]]
id = "r2"
date = 2026-02-01

[[phases]]
id = "first"

[[phases]]
id = "second"
after = "3 years"

[[items]]
number = 1
title = "Cap"
settles = ["cap"]
proposes = { cap = { first = 8, second = 3 } }
round = "r1"

[[items.revisions]]
round = "hidden"
proposes = { cap = { first = 7, second = 2 } }

[[items]]
number = 2
title = "Rate"
settles = ["rate"]
proposes = { rate = { first = 1, second = 6 } }
round = "r1"
by = "A"
visibility = "private"

[[red_lines]]
id = "cap-low"
party = "B"
expr = "cap <= 4"
phases = ["second"]
visibility = "mediator"

[[red_lines]]
id = "rate-low"
party = "A"
expr = "rate <= 5"
visibility = "public"

[[statements]]
id = "s"
speaker = "B"
party = "B"
date = 2026-02-01
round = "r2"
quote = "The cap falls to 3."

[[statements.claims]]
kind = "value"
issue = "cap"
op = "<="
value = 3
phase = "second"
"#;
    let commands = ["status --json", "status", "diff r1 r2", "diff start now --json", "claims --json", "analyze --json"];
    if let Err(difference) = check_record(text, &["public", "mediator", "A", "B", "M"], &commands) {
        panic!("phased record: {difference}");
    }
}

/// Regression: a stance given in a public round on a readout given in a secret round stayed in the
/// view of an outsider (stances on readouts were filtered before the secret round's readouts went),
/// telling it that the party gave a readout in secret; and a deadline on item `A:3` lost its item
/// when item `B:3`, another document's, was hidden, which told that a hidden item 3 exists.
#[test]
fn secret_readouts_and_hidden_items_of_another_document_leave_no_trace() {
    let text = r#"
[negotiation]
id = "n"
title = "Secret readout"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[parties]]
id = "C"
role = "principal"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 10

[[rounds]]
id = "open"
date = 2026-01-10

[[rounds]]
id = "secret"
date = 2026-01-20
participants = ["A", "B"]
visibility = "private"
party = "A"

[[rounds]]
id = "later"
date = 2026-02-10

[[documents]]
id = "D1"
title = "First"
kind = "interim"

[[documents]]
id = "D2"
title = "Second"
kind = "final"

[[items]]
document = "D1"
number = 3
title = "Cap"
settles = ["cap"]
proposes = { cap = 4 }
round = "open"

[[items.readouts]]
party = "A"
proposes = { cap = 6 }
round = "secret"

[[items]]
document = "D2"
number = 3
title = "Cap, secret text"
round = "secret"

[[stances]]
party = "B"
item = "D1:3"
readout = "A"
position = "accepts"
round = "later"

[[stances]]
party = "B"
item = "D1:3"
position = "accepts"
round = "later"

[[stances]]
party = "A"
item = "D1:3"
position = "accepts"
round = "later"

[[deadlines]]
id = "cap-by-march"
title = "Cap agreed"
date = 2026-03-01
item = "D1:3"
"#;
    if let Err(difference) = check_record(text, &["public", "C", "A", "B"], &["status", "status --json", "diff open later", "claims"]) {
        panic!("{difference}");
    }
}

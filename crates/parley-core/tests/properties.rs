//! Properties: the readers never panic, whatever the input, and the status engine agrees with a
//! brute-force reading of the rules on many random negotiations.

use std::collections::BTreeMap;

use parley_core::diff::TimelineEvent;
use parley_core::expr::Expr;
use parley_core::model::{IssueKind, Value};
use parley_core::scenario;
use parley_core::status::{ItemState, Record};
use parley_core::timeline::Point;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const UKRAINE: &str = include_str!("../../../scenarios/ukraine-2025.toml");
const DOCKWORKERS: &str = include_str!("../../../scenarios/dockworkers-2026.toml");

/// Runs every engine over a negotiation that parsed; none may panic.
fn exercise(text: &str) {
    let Ok(loaded) = scenario::parse(text) else { return };
    let negotiation = loaded.negotiation;
    let record = Record::new(&negotiation);
    let mut points = vec![Point::now(), record.point("start").unwrap()];
    for round in &negotiation.rounds {
        if let Ok(point) = record.point(&round.id) {
            points.push(point);
        }
    }
    for point in &points {
        let status = record.status(point);
        assert!(status.framework.agreed <= status.framework.items);
    }
    let _ = record.diff(&points[1], &points[0]).expect("start precedes now");
    let _ = record.check_claims();
    for viewer in ["public", "mediator"] {
        let visible = parley_core::visibility::view(&negotiation, &viewer.parse().unwrap());
        let _ = Record::new(&visible).check_claims();
    }
}

#[test]
fn scenario_reader_never_panics_on_arbitrary_text() {
    let mut runner = TestRunner::new(Config { cases: 512, ..Config::default() });
    runner
        .run(&any::<String>(), |text| {
            exercise(&text);
            Ok(())
        })
        .unwrap();
    let toml_like = "[\\[\\]a-z_=\"'0-9\\n .,{}#-]{0,300}";
    runner
        .run(&toml_like, |text| {
            exercise(&text);
            Ok(())
        })
        .unwrap();
}

/// Pieces that tend to break readers when dropped into a valid file.
const SPLINTERS: &[&str] = &[
    "\"",
    "]",
    "[",
    "=",
    "\n",
    "[[items]]\n",
    "[[stances]]\n",
    "number = -1\n",
    "number = 99999999999999999999\n",
    "date = 2025-02-30\n",
    "1e400",
    "nan",
    "inf",
    "{",
    "}",
    ",",
    "'''",
    "\"\"\"",
    "items = []\n",
    "round = \"nowhere\"\n",
    "expr = \"(((\"\n",
    "position = 3\n",
    "\u{0}",
    "é",
    "removed = true\n",
    "until = \"kyiv-delivery\"\n",
];

fn mutate(text: &str, mutations: &[(usize, usize, usize)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(kind, position, choice) in mutations {
        if bytes.is_empty() {
            break;
        }
        let at = position % bytes.len();
        match kind % 4 {
            0 => {
                let end = (at + choice % 40).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let splinter = SPLINTERS[choice % SPLINTERS.len()].as_bytes();
                bytes.splice(at..at, splinter.iter().copied());
            }
            2 => bytes[at] = (choice % 128) as u8,
            _ => {
                // Duplicate a line: duplicate ids, twice-settled issues, repeated stances.
                let start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |index| index + 1);
                let end = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |index| at + index + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn scenario_reader_never_panics_on_mutated_scenarios() {
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    let strategy = (any::<bool>(), proptest::collection::vec((0usize..4, any::<usize>(), any::<usize>()), 1..6));
    runner
        .run(&strategy, |(which, mutations)| {
            let base = if which { UKRAINE } else { DOCKWORKERS };
            exercise(&mutate(base, &mutations));
            Ok(())
        })
        .unwrap();
}

#[test]
fn expression_parser_never_panics() {
    let mut runner = TestRunner::new(Config { cases: 1024, ..Config::default() });
    let expression_like = "[a-z_ ()\\[\\],<>=!\"'0-9.\\-]{0,80}";
    runner
        .run(&expression_like, |text| {
            if let Ok(expr) = Expr::parse(&text) {
                let _ = expr.check(&|_| Some(IssueKind::YesNo));
                let _ = expr.evaluate(&|_| Some(Value::Bool(true)));
                // What prints must parse back to the same meaning.
                let again = Expr::parse(&expr.to_string()).expect("printed expressions parse");
                assert_eq!(again.to_string(), expr.to_string());
            }
            Ok(())
        })
        .unwrap();
    runner
        .run(&any::<String>(), |text| {
            let _ = Expr::parse(&text);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Three-valued evaluation is sound: whatever it decides on a partial outcome holds for every way
// of completing that outcome.

const ISSUES: [&str; 3] = ["cap", "mode", "flag"];

fn kind_of(issue: &str) -> Option<IssueKind> {
    match issue {
        "cap" => Some(IssueKind::Integer { min: 0, max: 4, step: 1, unit: String::new() }),
        "mode" => Some(IssueKind::Choice { options: vec!["a".into(), "b".into(), "c".into()], ordered: true }),
        "flag" => Some(IssueKind::YesNo),
        _ => None,
    }
}

fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0i64..5, prop_oneof![Just("=="), Just("!="), Just("<"), Just("<="), Just(">"), Just(">=")])
            .prop_map(|(number, op)| format!("cap {op} {number}")),
        (prop_oneof![Just("a"), Just("b"), Just("c")], prop_oneof![Just("=="), Just("!="), Just("<"), Just(">=")])
            .prop_map(|(option, op)| format!("mode {op} \"{option}\"")),
        Just("flag".to_owned()),
        Just("mode in [\"a\", \"c\"]".to_owned()),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|expr| format!("not ({expr})")),
            (inner.clone(), inner.clone()).prop_map(|(left, right)| format!("({left}) and ({right})")),
            (inner.clone(), inner.clone()).prop_map(|(left, right)| format!("({left}) or ({right})")),
            (inner.clone(), inner).prop_map(|(left, right)| format!("({left}) implies ({right})")),
        ]
    })
}

fn values() -> Vec<Vec<Value>> {
    vec![
        (0..5).map(Value::Integer).collect(),
        ["a", "b", "c"].iter().map(|option| Value::Choice((*option).to_owned())).collect(),
        vec![Value::Bool(false), Value::Bool(true)],
    ]
}

#[test]
fn three_valued_evaluation_is_sound() {
    let mut runner = TestRunner::new(Config { cases: 512, ..Config::default() });
    let strategy = (expression(), proptest::collection::vec(proptest::option::of(0usize..5), 3));
    let domains = values();
    runner
        .run(&strategy, |(text, partial)| {
            let expr = Expr::parse(&text).expect("generated expressions parse");
            assert!(expr.check(&kind_of).is_empty(), "{text}");
            let pick = |assignment: &[Option<usize>]| -> BTreeMap<&str, Value> {
                ISSUES
                    .iter()
                    .zip(assignment)
                    .enumerate()
                    .filter_map(|(index, (issue, choice))| {
                        choice.map(|choice| (*issue, domains[index][choice % domains[index].len()].clone()))
                    })
                    .collect()
            };
            let known = pick(&partial);
            let verdict = expr.evaluate_with(&|issue| known.get(issue).cloned(), &kind_of);
            // Every completion of the partial outcome.
            let mut completions = vec![partial.clone()];
            for (index, slot) in partial.iter().enumerate() {
                if slot.is_none() {
                    completions = completions
                        .into_iter()
                        .flat_map(|completion| {
                            (0..domains[index].len()).map(move |choice| {
                                let mut next = completion.clone();
                                next[index] = Some(choice);
                                next
                            })
                        })
                        .collect();
                }
            }
            for completion in completions {
                let full = pick(&completion);
                let value = expr.evaluate_with(&|issue| full.get(issue).cloned(), &kind_of);
                prop_assert!(value.is_some(), "{text}: a full outcome decides");
                if let Some(decided) = verdict {
                    prop_assert_eq!(value, Some(decided), "{}: partial {:?} decided {}", text, known, decided);
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The status engine against a brute-force reading of the rules.

/// A revision in a sketch: (round, new cap value, removes the item). A cap of `WITHDRAWN` is a
/// revision withdrawing the cap's value.
type SketchRevision = (usize, Option<u8>, bool);

const WITHDRAWN: u8 = 5;

#[derive(Clone, Debug)]
struct Sketch {
    parties: usize,
    /// (day offset) per round, in file order.
    rounds: Vec<u8>,
    /// Per item: introduced in round (index) or from the start; revisions as (round, new cap value).
    items: Vec<(Option<usize>, Vec<SketchRevision>)>,
    /// (party, item, position, round or day).
    stances: Vec<(usize, usize, usize, Result<usize, u8>)>,
    /// Per party: an optional floor or ceiling on the cap settled by item 0.
    red_lines: Vec<Option<(bool, u8)>>,
}

fn sketch() -> impl Strategy<Value = Sketch> {
    (2usize..4, proptest::collection::vec(0u8..6, 1..5)).prop_flat_map(|(parties, rounds)| {
        let round_count = rounds.len();
        let items = proptest::collection::vec(
            (
                proptest::option::of(0..round_count),
                proptest::collection::vec((0..round_count, proptest::option::of(0u8..=WITHDRAWN), any::<bool>()), 0..3),
            ),
            1..4,
        );
        (Just(parties), Just(rounds), items).prop_flat_map(move |(parties, rounds, items)| {
            let item_count = items.len();
            let stances = proptest::collection::vec(
                (0..parties, 0..item_count, 0usize..5, prop_oneof![(0..round_count).prop_map(Ok), (0u8..7).prop_map(Err)]),
                0..14,
            );
            let red_lines = proptest::collection::vec(proptest::option::of((any::<bool>(), 0u8..5)), parties);
            (Just(parties), Just(rounds), Just(items), stances, red_lines).prop_map(|(parties, rounds, items, stances, red_lines)| Sketch {
                parties,
                rounds,
                items,
                stances,
                red_lines,
            })
        })
    })
}

const POSITIONS: [&str; 5] = ["accepts", "accepts-with-reservations", "undecided", "opposes", "red-line"];

impl Sketch {
    fn day(offset: u8) -> String {
        format!("2026-01-{:02}", 10 + offset)
    }

    /// Sort key of a round: (day, rank among rounds by day then file order).
    fn round_key(&self, round: usize) -> (u8, usize) {
        let mut order: Vec<usize> = (0..self.rounds.len()).collect();
        order.sort_by_key(|&index| (self.rounds[index], index));
        (self.rounds[round], order.iter().position(|&index| index == round).unwrap())
    }

    fn key(&self, at: &Result<usize, u8>) -> (u8, usize) {
        match at {
            Ok(round) => self.round_key(*round),
            Err(day) => (*day, usize::MAX),
        }
    }

    /// Keep the sketch valid: revisions and stances not before their item, revisions in order.
    fn normalise(mut self) -> Sketch {
        for index in 0..self.items.len() {
            let introduced = self.items[index].0.map(|round| self.round_key(round));
            let mut revisions = self.items[index].1.clone();
            revisions.retain(|(round, _, _)| introduced.is_none_or(|start| self.round_key(*round) >= start));
            revisions.sort_by_key(|(round, _, _)| self.round_key(*round));
            self.items[index].1 = revisions;
        }
        let stances = self.stances.clone();
        self.stances = stances
            .into_iter()
            .filter(|(_, item, _, at)| self.items[*item].0.is_none_or(|round| self.key(at) >= self.round_key(round)))
            .collect();
        self
    }

    fn to_toml(&self) -> String {
        let mut text = String::from("[negotiation]\nid = \"p\"\ntitle = \"P\"\n\n");
        for party in 0..self.parties {
            text.push_str(&format!("[[parties]]\nid = \"P{party}\"\nrole = \"principal\"\n\n"));
        }
        text.push_str("[[issues]]\nid = \"cap\"\nkind = \"integer\"\nmin = 0\nmax = 4\n\n");
        for (index, day) in self.rounds.iter().enumerate() {
            text.push_str(&format!("[[rounds]]\nid = \"r{index}\"\ndate = {}\n\n", Sketch::day(*day)));
        }
        for (index, (introduced, revisions)) in self.items.iter().enumerate() {
            text.push_str(&format!("[[items]]\nnumber = {}\ntitle = \"I{index}\"\n", index + 1));
            if index == 0 {
                text.push_str("settles = [\"cap\"]\nproposes = { cap = 2 }\n");
            }
            if let Some(round) = introduced {
                text.push_str(&format!("round = \"r{round}\"\n"));
            }
            for (round, cap, removed) in revisions {
                text.push_str(&format!("[[items.revisions]]\nround = \"r{round}\"\ntext = \"changed\"\n"));
                match (index, cap) {
                    (0, Some(WITHDRAWN)) => text.push_str("withdraws = [\"cap\"]\n"),
                    (0, Some(cap)) => text.push_str(&format!("proposes = {{ cap = {cap} }}\n")),
                    _ => {}
                }
                if *removed {
                    text.push_str("removed = true\n");
                }
            }
            text.push('\n');
        }
        for (party, item, position, at) in &self.stances {
            text.push_str(&format!("[[stances]]\nparty = \"P{party}\"\nitem = {}\nposition = \"{}\"\n", item + 1, POSITIONS[*position]));
            match at {
                Ok(round) => text.push_str(&format!("round = \"r{round}\"\n\n")),
                Err(day) => text.push_str(&format!("date = {}\n\n", Sketch::day(*day))),
            }
        }
        for (party, red_line) in self.red_lines.iter().enumerate() {
            if let Some((floor, bound)) = red_line {
                let op = if *floor { ">=" } else { "<=" };
                text.push_str(&format!("[[red_lines]]\nid = \"rl{party}\"\nparty = \"P{party}\"\nexpr = \"cap {op} {bound}\"\n\n"));
            }
        }
        text
    }

    /// The rules of `docs/status.md`, read literally at a key.
    fn expected(&self, at: (u8, usize)) -> BTreeMap<u32, ItemState> {
        let mut states = BTreeMap::new();
        let version_at =
            |item: usize, key: (u8, usize)| self.items[item].1.iter().filter(|(round, _, _)| self.round_key(*round) <= key).count();
        // The cap proposed by item 0 at `at`, if item 0 is in the framework and proposes one; and
        // whether item 0's value was withdrawn.
        let (cap, withdrawn) = {
            let (introduced, revisions) = &self.items[0];
            let live = introduced.is_none_or(|round| self.round_key(round) <= at);
            let applied: Vec<_> = revisions.iter().filter(|(round, _, _)| self.round_key(*round) <= at).collect();
            let removed = applied.iter().any(|(_, _, removed)| *removed);
            let value = applied.iter().filter_map(|(_, cap, _)| *cap).next_back().unwrap_or(2);
            let withdrawn = value == WITHDRAWN;
            ((live && !removed && !withdrawn).then_some(value), withdrawn)
        };
        for (item, (introduced, revisions)) in self.items.iter().enumerate() {
            if introduced.is_some_and(|round| self.round_key(round) > at) {
                continue;
            }
            let version = version_at(item, at);
            if revisions.iter().take(version).any(|(_, _, removed)| *removed) {
                states.insert(item as u32 + 1, ItemState::Removed);
                continue;
            }
            let (mut blocked, mut opposed, mut pending) = (false, false, false);
            for party in 0..self.parties {
                // The latest stance by key, later in the file winning ties.
                let latest = self
                    .stances
                    .iter()
                    .filter(|(who, what, _, when)| *who == party && *what == item && self.key(when) <= at)
                    .max_by_key(|(_, _, _, when)| self.key(when));
                let latest = latest.map(|found| {
                    let key = self.key(&found.3);
                    self.stances.iter().rfind(|(who, what, _, when)| *who == party && *what == item && self.key(when) == key).unwrap()
                });
                match latest {
                    None => pending = true,
                    Some((_, _, position, when)) => {
                        let stale = version_at(item, self.key(when)) < version;
                        match *position {
                            4 => blocked = true,
                            3 => opposed = true,
                            2 => pending = true,
                            _ if stale => pending = true,
                            _ => {}
                        }
                    }
                }
                if let (0, Some(cap), Some((floor, bound))) = (item, cap, self.red_lines[party]) {
                    if (floor && cap < bound) || (!floor && cap > bound) {
                        blocked = true;
                    }
                }
            }
            let state = if blocked {
                ItemState::Blocked
            } else if opposed {
                ItemState::Disputed
            } else if pending {
                ItemState::Open
            } else if item == 0 && withdrawn {
                // Accepted by all, but the issue it settles has no value.
                ItemState::AgreedInPrinciple
            } else {
                ItemState::Agreed
            };
            states.insert(item as u32 + 1, state);
        }
        states
    }
}

#[test]
fn status_agrees_with_brute_force() {
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    runner
        .run(&sketch(), |sketch| {
            let sketch = sketch.normalise();
            let text = sketch.to_toml();
            let negotiation = match scenario::parse(&text) {
                Ok(loaded) => loaded.negotiation,
                Err(problems) => panic!("generated scenario rejected: {problems:?}\n{text}"),
            };
            let record = Record::new(&negotiation);
            let mut probes: Vec<(String, (u8, usize))> =
                (0..sketch.rounds.len()).map(|round| (format!("r{round}"), sketch.round_key(round))).collect();
            for day in 0..8u8 {
                probes.push((Sketch::day(day), (day, usize::MAX)));
            }
            for (label, key) in probes {
                let point = record.point(&label).unwrap();
                let status = record.status(&point);
                let actual: BTreeMap<u32, ItemState> = status.items.iter().map(|item| (item.number, item.state)).collect();
                prop_assert_eq!(&actual, &sketch.expected(key), "at {}\n{}", label, text);
                let in_framework = actual.values().filter(|state| **state != ItemState::Removed).count();
                let agreed = actual.values().filter(|state| **state == ItemState::Agreed).count();
                prop_assert_eq!(status.framework.accepted, in_framework > 0 && agreed == in_framework);
            }
            Ok(())
        })
        .unwrap();
}

/// Month and year dates, round spans, deadlines, blocs, hosts, secret channels, value claims and
/// phases: their readers and engines, mutated as the bundled scenarios are, never panic either (every
/// viewer included).
#[test]
fn scenario_reader_never_panics_on_mutated_new_sections() {
    const CASES: [&str; 7] = [
        include_str!("../../parley-cli/tests/cases/dates.toml"),
        include_str!("../../parley-cli/tests/cases/deadlines.toml"),
        include_str!("../../parley-cli/tests/cases/blocs.toml"),
        include_str!("../../parley-cli/tests/cases/parties.toml"),
        include_str!("../../parley-cli/tests/cases/channels.toml"),
        // Value, red-line-holds and version claims, readouts.
        include_str!("../../parley-cli/tests/cases/value-claims.toml"),
        // Phases, schedules, lapses, red lines and claims about phases.
        include_str!("../../parley-cli/tests/cases/phases.toml"),
    ];
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    let strategy = (0..CASES.len(), proptest::collection::vec((0usize..4, any::<usize>(), any::<usize>()), 1..6));
    runner
        .run(&strategy, |(which, mutations)| {
            let text = mutate(CASES[which], &mutations);
            exercise(&text);
            if let Ok(loaded) = scenario::parse(&text) {
                for party in &loaded.negotiation.parties {
                    let view =
                        parley_core::visibility::view(&loaded.negotiation, &parley_core::visibility::Viewer::Party(party.id.clone()));
                    let record = Record::new(&view);
                    let _ = record.status(&Point::now());
                    let _ = record.check_claims();
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Adds when each red line of a sketch was drawn and dropped: `(since, until)` as round indexes,
/// `until` kept only when it comes after `since`.
fn with_red_line_spans(sketch: &Sketch, spans: &[(Option<usize>, Option<usize>)]) -> String {
    let mut text = sketch.to_toml();
    for (party, (since, until)) in spans.iter().enumerate() {
        let header = format!("[[red_lines]]\nid = \"rl{party}\"\n");
        let Some(start) = text.find(&header) else { continue };
        let mut fields = String::new();
        let since = since.map(|round| round % sketch.rounds.len());
        if let Some(round) = since {
            fields.push_str(&format!("since = \"r{round}\"\n"));
        }
        if let Some(round) = until.map(|round| round % sketch.rounds.len()) {
            if since.is_none_or(|since| sketch.round_key(round) > sketch.round_key(since)) {
                fields.push_str(&format!("until = \"r{round}\"\n"));
            }
        }
        text.insert_str(start + header.len(), &fields);
    }
    text
}

/// The timeline of a diff against a full status at every point of the window: an item's first
/// state there is its state at FROM, its last its state at TO, each change starts from the state
/// the one before ended in, and at every round and day in the window the item is in the state of
/// the last change at or before it (so no change is missed and none is invented).
#[test]
fn diff_timeline_follows_every_state_change() {
    let spans = proptest::collection::vec((proptest::option::of(0usize..5), proptest::option::of(0usize..5)), 4);
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&(sketch(), spans), |(sketch, spans)| {
            let sketch = sketch.normalise();
            let text = with_red_line_spans(&sketch, &spans);
            timeline_follows_statuses(&sketch, &text)
        })
        .unwrap();
}

/// The diff of every window of the record `text` (written from `sketch`) against full statuses
/// at its ends and at every round and day in it.
fn timeline_follows_statuses(sketch: &Sketch, text: &str) -> Result<(), TestCaseError> {
    let negotiation = match scenario::parse(text) {
        Ok(loaded) => loaded.negotiation,
        Err(problems) => panic!("generated scenario rejected: {problems:?}\n{text}"),
    };
    let record = Record::new(&negotiation);
    let mut labels: Vec<String> = vec!["start".to_owned(), "now".to_owned()];
    labels.extend((0..sketch.rounds.len()).map(|round| format!("r{round}")));
    labels.extend((0..8u8).map(Sketch::day));
    let probes: Vec<(Point, BTreeMap<u32, ItemState>)> = labels
        .iter()
        .map(|label| {
            let point = record.point(label).unwrap();
            let states = record.status(&point).items.iter().map(|item| (item.number, item.state)).collect();
            (point, states)
        })
        .collect();
    let accepted = |point: &Point| record.status(point).framework.accepted;
    for (from, before) in &probes {
        for (to, after) in &probes {
            if from.instant > to.instant {
                continue;
            }
            let diff = record.diff(from, to).unwrap();
            // The net part, judged without full statuses, agrees with them too.
            prop_assert_eq!((diff.accepted_before, diff.accepted_after), (accepted(from), accepted(to)));
            let changed: BTreeMap<u32, (Option<ItemState>, ItemState)> =
                diff.status_changes.iter().map(|change| (change.item, (change.before, change.after))).collect();
            let expected: BTreeMap<u32, (Option<ItemState>, ItemState)> = after
                .iter()
                .filter(|(item, state)| before.get(item) != Some(state))
                .map(|(item, state)| (*item, (before.get(item).copied(), *state)))
                .collect();
            prop_assert_eq!(changed, expected, "{} → {}\n{}", from.label, to.label, text);
            for item in 1..=sketch.items.len() as u32 {
                let changes: Vec<_> = diff
                    .timeline
                    .iter()
                    .filter_map(|entry| match &entry.event {
                        TimelineEvent::State { item: number, before, after, .. } if *number == item => {
                            Some((entry.instant, *before, *after))
                        }
                        _ => None,
                    })
                    .collect();
                let first = changes.first().map_or(after.get(&item).copied(), |(_, before, _)| *before);
                let last = changes.last().map_or(before.get(&item).copied(), |(_, _, after)| Some(*after));
                prop_assert_eq!(first, before.get(&item).copied(), "item {} first, {} → {}\n{}", item, from.label, to.label, text);
                prop_assert_eq!(last, after.get(&item).copied(), "item {} last, {} → {}\n{}", item, from.label, to.label, text);
                for pair in changes.windows(2) {
                    prop_assert!(pair[0].0 < pair[1].0 && Some(pair[0].2) == pair[1].1, "item {} chain\n{}", item, text);
                }
                for (point, states) in &probes {
                    if point.instant <= from.instant || point.instant > to.instant {
                        continue;
                    }
                    let expected = changes
                        .iter()
                        .rev()
                        .find(|(instant, _, _)| *instant <= point.instant)
                        .map_or(before.get(&item).copied(), |(_, _, after)| Some(*after));
                    prop_assert_eq!(expected, states.get(&item).copied(), "item {} at {}\n{}", item, point.label, text);
                }
            }
        }
    }
    Ok(())
}

/// Adds two phases to a sketch's record: item 0's cap becomes a schedule whose later value is the
/// next of `late` (cycling), and each red line is about the first phase, the second, or both.
fn with_phases(text: &str, late: &[u8], scopes: &[u8]) -> String {
    let mut out = String::new();
    let (mut values, mut red_lines) = (0, 0);
    for line in text.lines() {
        if let Some(cap) = line.strip_prefix("proposes = { cap = ").and_then(|rest| rest.strip_suffix(" }")) {
            let later = late[values % late.len()];
            values += 1;
            out.push_str(&format!("proposes = {{ cap = {{ early = {cap}, late = {later} }} }}\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("expr = ") {
            match scopes[red_lines % scopes.len()] % 3 {
                0 => out.push_str("phases = [\"early\"]\n"),
                1 => out.push_str("phases = [\"late\"]\n"),
                _ => {}
            }
            red_lines += 1;
        }
    }
    out.push_str("\n[[phases]]\nid = \"early\"\n\n[[phases]]\nid = \"late\"\nafter = \"5 years\"\n");
    out
}

// Regression guard: the diff's own judge of red lines must judge each phase as status does, or a
// red line broken only by a schedule's later value would block an item in the status and not in
// the diff's states and timeline.
#[test]
fn diff_timeline_follows_every_state_change_with_phases() {
    let spans = proptest::collection::vec((proptest::option::of(0usize..5), proptest::option::of(0usize..5)), 4);
    let late = proptest::collection::vec(0u8..5, 1..4);
    let scopes = proptest::collection::vec(0u8..3, 1..4);
    let mut runner = TestRunner::new(Config { cases: 120, ..Config::default() });
    runner
        .run(&(sketch(), spans, late, scopes), |(sketch, spans, late, scopes)| {
            let sketch = sketch.normalise();
            let text = with_phases(&with_red_line_spans(&sketch, &spans), &late, &scopes);
            timeline_follows_statuses(&sketch, &text)
        })
        .unwrap();
}

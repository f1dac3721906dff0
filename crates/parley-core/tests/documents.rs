//! Documents against a brute-force reading of the rules (`docs/status.md`, "Documents"): random
//! documents with lifecycles, items numbered within them (numbers repeat across documents) and
//! stances naming items as `N` or `"DOC:N"`; at every day, each item's state, each document's
//! recorded state and counts, and the overall count leaving out documents that ended.

use std::collections::BTreeMap;

use parley_core::document::DocumentState;
use parley_core::scenario;
use parley_core::status::{ItemState, Record};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Clone, Debug)]
struct Sketch {
    /// Per document: its lifecycle as (day, choice of next state).
    documents: Vec<Vec<(u8, usize)>>,
    /// Per item: (document, number).
    items: Vec<(usize, u32)>,
    /// (party 0 or 1, item, accepts, day).
    stances: Vec<(usize, usize, bool, u8)>,
    /// Write every reference as `"DOC:N"` even where `N` alone would do.
    qualified: bool,
}

fn sketch() -> impl Strategy<Value = Sketch> {
    let documents = proptest::collection::vec(proptest::collection::vec((0u8..8, 0usize..8), 0..4), 1..4);
    documents.prop_flat_map(|documents| {
        let count = documents.len();
        let items = proptest::collection::vec((0..count, 1u32..4), 1..6);
        (Just(documents), items, any::<bool>()).prop_flat_map(|(documents, items, qualified)| {
            let stances = proptest::collection::vec((0usize..2, 0..items.len(), any::<bool>(), 0u8..8), 0..12);
            (Just(documents), Just(items), stances, Just(qualified)).prop_map(|(documents, items, stances, qualified)| Sketch {
                documents,
                items,
                stances,
                qualified,
            })
        })
    })
}

impl Sketch {
    /// Items unique by (document, number), first kept.
    fn normalise(mut self) -> Sketch {
        let mut seen = Vec::new();
        let mut keep = Vec::new();
        for (index, item) in self.items.iter().enumerate() {
            if !seen.contains(item) {
                seen.push(*item);
                keep.push(index);
            }
        }
        self.stances = self
            .stances
            .into_iter()
            .filter_map(|(party, item, accepts, day)| keep.iter().position(|&kept| kept == item).map(|item| (party, item, accepts, day)))
            .collect();
        self.items = seen;
        self
    }

    /// Each document's lifecycle as states on days: the first state any, then each an allowed
    /// next one, days never decreasing; a walk stops at a final state.
    fn lifecycle(&self, document: usize) -> Vec<(u8, DocumentState)> {
        let mut events = Vec::new();
        let mut day = 0;
        for &(step, choice) in &self.documents[document] {
            let state = match events.last() {
                None => [DocumentState::Draft, DocumentState::Agreed, DocumentState::Signed, DocumentState::InForce][choice % 4],
                Some((_, before)) => {
                    let next = DocumentState::next(*before);
                    if next.is_empty() {
                        break;
                    }
                    next[choice % next.len()]
                }
            };
            day += step;
            events.push((day.min(9), state));
        }
        events
    }

    fn date(day: u8) -> String {
        format!("2026-02-{:02}", 10 + day)
    }

    fn to_toml(&self) -> String {
        use parley_core::model::Keyword;
        let mut text = String::from("[negotiation]\nid = \"d\"\ntitle = \"D\"\n\n");
        text.push_str("[[parties]]\nid = \"P0\"\nrole = \"principal\"\n\n[[parties]]\nid = \"P1\"\nrole = \"principal\"\n\n");
        for document in 0..self.documents.len() {
            text.push_str(&format!("[[documents]]\nid = \"d{document}\"\ntitle = \"D{document}\"\nkind = \"other\"\n"));
            for (day, state) in self.lifecycle(document) {
                text.push_str(&format!("[[documents.events]]\nstate = \"{}\"\ndate = {}\n", state.keyword(), Sketch::date(day)));
            }
            text.push('\n');
        }
        for (document, number) in &self.items {
            text.push_str(&format!("[[items]]\ndocument = \"d{document}\"\nnumber = {number}\ntitle = \"I\"\n\n"));
        }
        for (party, item, accepts, day) in &self.stances {
            let (document, number) = self.items[*item];
            let ambiguous = self.items.iter().filter(|(_, other)| *other == number).count() > 1;
            let reference = if self.qualified || ambiguous { format!("\"d{document}:{number}\"") } else { number.to_string() };
            let position = if *accepts { "accepts" } else { "opposes" };
            text.push_str(&format!(
                "[[stances]]\nparty = \"P{party}\"\nitem = {reference}\nposition = \"{position}\"\ndate = {}\n\n",
                Sketch::date(*day)
            ));
        }
        text
    }

    /// The latest stance of `party` on `item` by `day` (later in the file winning ties).
    fn stance(&self, party: usize, item: usize, day: u8) -> Option<bool> {
        let mut latest: Option<(u8, bool)> = None;
        for &(who, what, accepts, when) in &self.stances {
            if who == party && what == item && when <= day && latest.is_none_or(|(before, _)| before <= when) {
                latest = Some((when, accepts));
            }
        }
        latest.map(|(_, accepts)| accepts)
    }

    fn item_state(&self, item: usize, day: u8) -> ItemState {
        let stances = [self.stance(0, item, day), self.stance(1, item, day)];
        if stances.contains(&Some(false)) {
            ItemState::Disputed
        } else if stances.contains(&None) {
            ItemState::Open
        } else {
            ItemState::Agreed
        }
    }
}

#[test]
fn documents_agree_with_brute_force() {
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    runner
        .run(&sketch(), |sketch| {
            let sketch = sketch.normalise();
            let text = sketch.to_toml();
            let negotiation = match scenario::parse(&text) {
                Ok(loaded) => loaded.negotiation,
                Err(problems) => panic!("generated scenario rejected: {problems:?}\n{text}"),
            };
            let record = Record::new(&negotiation);
            for day in 0..10u8 {
                let status = record.status(&record.point(&Sketch::date(day)).unwrap());
                let actual: BTreeMap<(String, u32), ItemState> =
                    status.items.iter().map(|item| ((item.document.clone(), item.number), item.state)).collect();
                let expected: BTreeMap<(String, u32), ItemState> = (0..sketch.items.len())
                    .map(|item| ((format!("d{}", sketch.items[item].0), sketch.items[item].1), sketch.item_state(item, day)))
                    .collect();
                prop_assert_eq!(&actual, &expected, "day {}\n{}", day, text);

                let (mut overall_items, mut overall_agreed) = (0, 0);
                for (document, shown) in status.documents.iter().enumerate() {
                    let recorded =
                        sketch.lifecycle(document).into_iter().filter(|(when, _)| *when <= day).map(|(_, state)| state).next_back();
                    prop_assert_eq!(shown.state, recorded, "document {} on day {}\n{}", document, day, text);
                    let states: Vec<ItemState> = (0..sketch.items.len())
                        .filter(|&item| sketch.items[item].0 == document)
                        .map(|item| sketch.item_state(item, day))
                        .collect();
                    let agreed = states.iter().filter(|state| **state == ItemState::Agreed).count();
                    prop_assert_eq!(shown.framework.items, states.len());
                    prop_assert_eq!(shown.framework.agreed, agreed);
                    prop_assert_eq!(shown.framework.accepted, !states.is_empty() && agreed == states.len());
                    if !recorded.is_some_and(DocumentState::is_terminal) {
                        overall_items += states.len();
                        overall_agreed += agreed;
                    }
                }
                prop_assert_eq!(status.framework.items, overall_items, "overall on day {}\n{}", day, text);
                prop_assert_eq!(status.framework.agreed, overall_agreed);
                prop_assert_eq!(status.framework.accepted, overall_items > 0 && overall_agreed == overall_items);
            }
            Ok(())
        })
        .unwrap();
}

/// Regression: when items of two documents proposed a value for one issue and a red line on it
/// was broken, `diff` judged every one of them blocked while `status` blocks only the item whose
/// value the framework takes (the governing one, here the later text). Both now follow the one
/// rule; the diff's net changes and timeline match statuses at both ends.
#[test]
fn a_broken_red_line_blocks_only_the_governing_item_in_diff_as_in_status() {
    let text = r#"
[negotiation]
id = "n"
title = "Two texts on one cap"

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
max = 100

[[rounds]]
id = "r1"
date = 2026-01-10

[[rounds]]
id = "r2"
date = 2026-02-10

[[documents]]
id = "interim"
title = "Interim text"
kind = "interim"

[[documents]]
id = "final"
title = "Final text"
kind = "final"

[[items]]
document = "interim"
number = 1
title = "Cap, interim"
settles = ["cap"]
proposes = { cap = 40 }
round = "r1"

[[items]]
document = "final"
number = 1
title = "Cap, final"
settles = ["cap"]
proposes = { cap = 80 }
round = "r2"

[[red_lines]]
id = "a-cap"
party = "A"
expr = "cap <= 50"
"#;
    let negotiation = scenario::parse(text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation;
    let record = Record::new(&negotiation);
    let states = |label: &str| -> BTreeMap<(String, u32), ItemState> {
        let point = record.point(label).unwrap();
        record.status(&point).items.iter().map(|item| ((item.document.clone(), item.number), item.state)).collect()
    };
    let (before, after) = (states("r1"), states("r2"));
    // Status: at r2 the final text governs `cap` (80 breaks A's red line) and is blocked; the
    // interim text, whose 40 the framework no longer takes, is not.
    assert_eq!(after[&("final".to_owned(), 1)], ItemState::Blocked);
    assert_ne!(after[&("interim".to_owned(), 1)], ItemState::Blocked);
    let diff = record.diff(&record.point("r1").unwrap(), &record.point("r2").unwrap()).unwrap();
    for change in &diff.status_changes {
        let key = (change.document.clone(), change.item);
        assert_eq!(Some(change.after), after.get(&key).copied(), "{key:?}: diff says {:?}", change.after);
        assert_eq!(change.before, before.get(&key).copied(), "{key:?}");
    }
    for (key, state) in &after {
        if before.get(key) != Some(state) {
            assert!(
                diff.status_changes.iter().any(|change| (change.document.clone(), change.item) == *key),
                "{key:?} changed from {:?} to {state:?} but the diff does not say so",
                before.get(key)
            );
        }
    }
}

/// Regression: a deadline could name its item only by number, which is ambiguous once documents
/// repeat numbers; `item = "DOC:N"` names it, and only that item's agreement meets the deadline.
#[test]
fn a_deadline_names_its_item_in_one_document() {
    let text = r#"
[negotiation]
id = "n"
title = "Two texts"

[[parties]]
id = "A"
role = "principal"

[[documents]]
id = "interim"
title = "Interim text"
kind = "interim"

[[documents]]
id = "final"
title = "Final text"
kind = "final"

[[items]]
document = "interim"
number = 1
title = "Interim point"

[[items]]
document = "final"
number = 1
title = "Final point"

[[stances]]
party = "A"
item = "interim:1"
position = "accepts"
date = 2026-01-05

[[deadlines]]
id = "final-by-february"
title = "Final point agreed"
date = 2026-02-01
item = "final:1"
"#;
    let negotiation = scenario::parse(text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation;
    assert_eq!(negotiation.deadlines[0].document, "final");
    let record = Record::new(&negotiation);
    let deadlines = record.deadlines(&record.point("2026-03-01").unwrap());
    // The interim point was agreed; the final one, which the deadline names, was not.
    assert_eq!(deadlines[0].state, parley_core::deadline::DeadlineState::Missed);
    // The written record reads back the same reference.
    let written = parley_core::writer::to_toml(&negotiation);
    assert!(written.contains("item = \"final:1\""), "{written}");
    assert_eq!(scenario::parse(&written).unwrap().negotiation.deadlines[0].document, "final");
}

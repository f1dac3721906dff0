//! Secret channels are non-interfering: for random records with secret rounds, hidden items and
//! hidden statements, what a viewer gets (status at every point, diffs between them, claim
//! verdicts) is exactly what the record with everything hidden from it removed gives — that record
//! written as a scenario file and read back — and never names a hidden round, item or statement.

use parley_core::model::Negotiation;
use parley_core::scenario;
use parley_core::status::Record;
use parley_core::visibility::{Viewer, into_view};
use parley_core::writer::to_toml;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const VISIBILITIES: [&str; 4] = ["public", "mediator", "private", "bloc"];
const POSITIONS: [&str; 4] = ["accepts", "opposes", "undecided", "red-line"];

#[derive(Clone, Debug)]
struct Round {
    visibility: usize,
    owner: usize,
    participants: (bool, bool),
    hosted: bool,
}

#[derive(Clone, Debug)]
struct Item {
    /// The round it is introduced in (`None`: from the start).
    introduced: Option<usize>,
    by: Option<usize>,
    visibility: usize,
    /// Rounds it is revised in (sorted, after its introduction).
    revisions: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Stance {
    party: usize,
    item: usize,
    position: usize,
    /// A round, or (when `None`) the day of round `day`.
    round: Option<usize>,
    day: usize,
    visibility: usize,
}

#[derive(Clone, Debug)]
struct Statement {
    party: usize,
    round: Option<usize>,
    day: usize,
    visibility: usize,
    item: usize,
    version: usize,
}

#[derive(Clone, Debug)]
struct Sketch {
    rounds: Vec<Round>,
    items: Vec<Item>,
    stances: Vec<Stance>,
    statements: Vec<Statement>,
    red_line: (usize, Option<usize>),
}

/// Parties A and B sign; M mediates; H hosts. Bloc X is A alone, so that a bloc channel has an
/// owner in a bloc.
const PARTIES: [&str; 3] = ["A", "B", "M"];

fn sketch() -> impl Strategy<Value = Sketch> {
    (1usize..5).prop_flat_map(|round_count| {
        let round = (0..4usize, 0..3usize, any::<(bool, bool)>(), any::<bool>())
            .prop_map(|(visibility, owner, participants, hosted)| Round { visibility, owner, participants, hosted });
        let item = (
            proptest::option::of(0..round_count),
            proptest::option::of(0..2usize),
            0..4usize,
            proptest::collection::vec(0..round_count, 0..3),
        )
            .prop_map(|(introduced, by, visibility, revisions)| Item { introduced, by, visibility, revisions });
        let stance = (0..2usize, 0..3usize, 0..4usize, proptest::option::of(0..round_count), 0..round_count, 0..4usize)
            .prop_map(|(party, item, position, round, day, visibility)| Stance { party, item, position, round, day, visibility });
        let statement = (0..2usize, proptest::option::of(0..round_count), 0..round_count, 0..4usize, 0..3usize, 0..round_count)
            .prop_map(|(party, round, day, visibility, item, version)| Statement { party, round, day, visibility, item, version });
        (
            proptest::collection::vec(round, round_count),
            proptest::collection::vec(item, 1..4),
            proptest::collection::vec(stance, 0..10),
            proptest::collection::vec(statement, 0..4),
            (0..round_count, proptest::option::of(0..round_count)),
        )
            .prop_map(|(rounds, items, stances, statements, red_line)| Sketch { rounds, items, stances, statements, red_line })
    })
}

fn day(index: usize) -> String {
    format!("2026-01-{:02}", index + 1)
}

impl Sketch {
    /// A valid scenario: owners are given where a channel needs one, revisions and stances follow
    /// the item's introduction.
    fn to_toml(&self) -> String {
        let mut text = String::from("[negotiation]\nid = \"channels\"\ntitle = \"Channels\"\nsignatories = [\"A\", \"B\"]\n\n");
        text.push_str("[[parties]]\nid = \"A\"\nrole = \"principal\"\n\n[[parties]]\nid = \"B\"\nrole = \"principal\"\n\n");
        text.push_str("[[parties]]\nid = \"M\"\nrole = \"mediator\"\n\n[[parties]]\nid = \"H\"\nrole = \"host\"\n\n");
        text.push_str("[[blocs]]\nid = \"X\"\nmembers = [\"A\"]\n\n");
        text.push_str("[[issues]]\nid = \"flag\"\nkind = \"yes-no\"\n\n");
        for (index, round) in self.rounds.iter().enumerate() {
            let mut participants = Vec::new();
            if round.participants.0 {
                participants.push("\"A\"");
            }
            if round.participants.1 {
                participants.push("\"B\"");
            }
            // A bloc channel is A's (the one party in a bloc).
            let owner = if round.visibility == 3 { "A" } else { PARTIES[round.owner] };
            text.push_str(&format!(
                "[[rounds]]\nid = \"round{index}\"\ndate = {}\nparticipants = [{}]\nvisibility = \"{}\"\nparty = \"{owner}\"\n\n",
                day(index),
                participants.join(", "),
                VISIBILITIES[round.visibility]
            ));
            if round.hosted {
                text.push_str("host = \"H\"\n\n");
            }
        }
        for (index, item) in self.items.iter().enumerate() {
            text.push_str(&format!("[[items]]\nnumber = {}\ntitle = \"Item {}\"\ntext = \"v0\"\n", index + 1, index + 1));
            if index == 0 {
                text.push_str("settles = [\"flag\"]\nproposes = { flag = true }\n");
            }
            if let Some(round) = item.introduced {
                text.push_str(&format!("round = \"round{round}\"\n"));
            }
            let by = match (item.visibility, item.by) {
                (3, _) => Some("A"),
                (1 | 2, None) => Some("M"),
                (_, by) => by.map(|by| PARTIES[by]),
            };
            if let Some(by) = by {
                text.push_str(&format!("by = \"{by}\"\n"));
            }
            text.push_str(&format!("visibility = \"{}\"\n", VISIBILITIES[item.visibility]));
            let mut revisions: Vec<usize> =
                item.revisions.iter().copied().filter(|round| item.introduced.is_none_or(|introduced| *round >= introduced)).collect();
            revisions.sort_unstable();
            revisions.dedup();
            for (version, round) in revisions.iter().enumerate() {
                text.push_str(&format!("\n[[items.revisions]]\nround = \"round{round}\"\ntext = \"v{}\"\n", version + 1));
                if index == 0 {
                    text.push_str(&format!("proposes = {{ flag = {} }}\n", version % 2 == 1));
                }
            }
            text.push('\n');
        }
        for stance in &self.stances {
            let item = &self.items[stance.item % self.items.len()];
            let number = stance.item % self.items.len() + 1;
            let introduced = item.introduced.unwrap_or(0);
            let when = match stance.round {
                Some(round) => format!("round = \"round{}\"", round.max(introduced)),
                None => format!("date = {}", day(stance.day.max(introduced))),
            };
            // A bloc-visible stance is A's, shared with bloc X by name.
            let (party, shared) = if stance.visibility == 3 { ("A", "bloc = \"X\"\n") } else { (PARTIES[stance.party], "") };
            text.push_str(&format!(
                "[[stances]]\nparty = \"{party}\"\nitem = {number}\nposition = \"{}\"\n{when}\nvisibility = \"{}\"\n{shared}\n",
                POSITIONS[stance.position], VISIBILITIES[stance.visibility]
            ));
        }
        let (since, until) = self.red_line;
        text.push_str(&format!(
            "[[red_lines]]\nid = \"keep-flag\"\nparty = \"B\"\nexpr = \"flag == true\"\nvisibility = \"public\"\nsince = \"round{since}\"\n"
        ));
        if let Some(until) = until.filter(|until| *until > since) {
            text.push_str(&format!("until = \"round{until}\"\n"));
        }
        text.push('\n');
        for (index, statement) in self.statements.iter().enumerate() {
            let party = if statement.visibility == 3 { "A" } else { PARTIES[statement.party] };
            text.push_str(&format!(
                "[[statements]]\nid = \"statement{index}\"\nspeaker = \"someone\"\nparty = \"{party}\"\ndate = {}\nquote = \"...\"\nvisibility = \"{}\"\n",
                day(statement.day),
                VISIBILITIES[statement.visibility]
            ));
            if let Some(round) = statement.round {
                text.push_str(&format!("round = \"round{round}\"\n"));
            }
            let item = statement.item % self.items.len() + 1;
            text.push_str(&format!("\n[[statements.claims]]\nkind = \"item-agreed\"\nitem = {item}\n"));
            // A claim about a version names a round up to the statement's day (round k is day k).
            text.push_str(&format!(
                "\n[[statements.claims]]\nkind = \"accepts\"\nparty = \"A\"\nversion = \"round{}\"\n",
                statement.version.min(statement.round.unwrap_or(statement.day).min(statement.day))
            ));
            text.push_str(&format!("\n[[statements.claims]]\nkind = \"stance\"\nparty = \"B\"\nitem = {item}\nposition = \"accepts\"\n\n"));
        }
        text
    }
}

fn parse(text: &str) -> Negotiation {
    match scenario::parse(text) {
        Ok(loaded) => loaded.negotiation,
        Err(problems) => {
            let rendered: Vec<String> = problems.iter().map(|problem| problem.render("sketch")).collect();
            panic!("does not parse:\n{}\n--- text ---\n{text}", rendered.join("\n"))
        }
    }
}

/// Everything a viewer can ask of a record, as JSON: status at every point, the diff between each
/// two consecutive points, and the claims.
fn outputs(negotiation: &Negotiation) -> Vec<serde_json::Value> {
    let record = Record::new(negotiation);
    let mut labels = vec!["start".to_owned()];
    labels.extend((0..6).map(day));
    labels.extend(negotiation.rounds.iter().map(|round| round.id.clone()));
    labels.push("now".to_owned());
    let mut points: Vec<_> = labels.iter().map(|label| record.point(label).unwrap()).collect();
    points.sort_by_key(|point| point.instant);
    let mut outputs: Vec<serde_json::Value> = points.iter().map(|point| serde_json::to_value(record.status(point)).unwrap()).collect();
    for pair in points.windows(2) {
        outputs.push(serde_json::to_value(record.diff(&pair[0], &pair[1]).unwrap()).unwrap());
    }
    outputs.push(serde_json::to_value(record.check_claims()).unwrap());
    outputs
}

#[test]
fn a_viewer_sees_exactly_the_record_with_its_hidden_channels_removed() {
    let viewers = ["public", "mediator", "A", "B", "M", "H"];
    let mut runner = TestRunner::new(Config { cases: 150, ..Config::default() });
    runner
        .run(&sketch(), |sketch| {
            let text = sketch.to_toml();
            let negotiation = parse(&text);
            for viewer in viewers {
                let viewer: Viewer = viewer.parse().unwrap();
                let view = into_view(negotiation.clone(), &viewer);
                let written = to_toml(&view);
                let again = parse(&written);
                let (direct, reread) = (outputs(&view), outputs(&again));
                prop_assert_eq!(&direct, &reread, "viewer {}:\n{}", viewer, written);
                // What is hidden is not named anywhere in what the viewer gets.
                let shown = serde_json::to_string(&direct).unwrap();
                for round in negotiation.rounds.iter().filter(|round| view.round(&round.id).is_none()) {
                    prop_assert!(!shown.contains(&format!("\"{}\"", round.id)), "viewer {} sees {}", viewer, round.id);
                }
                for statement in
                    negotiation.statements.iter().filter(|statement| !view.statements.iter().any(|seen| seen.id == statement.id))
                {
                    prop_assert!(!shown.contains(&format!("\"{}\"", statement.id)), "viewer {} sees {}", viewer, statement.id);
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The cascade on one example: an outsider sees the version before a secret revision, not the
/// stances given in the secret round, and a red line dropped in it as still standing.
#[test]
fn an_outsider_sees_the_version_before_a_secret_revision() {
    let text = r#"
[negotiation]
id = "secret"
title = "Secret"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[rounds]]
id = "open"
date = 2013-01-01

[[rounds]]
id = "oman"
date = 2013-03-01
participants = ["A"]
visibility = "private"

[[items]]
number = 1
title = "Point"
text = "first"
round = "open"

[[items.revisions]]
round = "oman"
text = "second"

[[stances]]
party = "A"
item = 1
position = "accepts"
round = "oman"
"#;
    let negotiation = parse(text);
    let status = |viewer: &str| {
        let view = into_view(negotiation.clone(), &viewer.parse().unwrap());
        let record = Record::new(&view);
        let status = record.status(&record.point("now").unwrap());
        (status.items[0].text.clone(), status.items[0].version, status.items[0].stances.len())
    };
    assert_eq!(status("A"), ("second".to_owned(), 1, 1));
    assert_eq!(status("B"), ("first".to_owned(), 0, 0));
    assert_eq!(status("public"), ("first".to_owned(), 0, 0));
}

/// A secret round hid its revisions, stances and statements, but kept the readouts, demands,
/// documents' events and assessments dated in it, and how a red line dropped in it ended: an
/// outsider saw them (with the round's id) in status, positions and implementation.
#[test]
fn everything_dated_in_a_secret_round_is_hidden_with_it() {
    let text = r#"[negotiation]
id = "s"
title = "S"

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
max = 10

[[rounds]]
id = "open"
date = 2026-01-01

[[rounds]]
id = "backchannel"
date = 2026-01-05
participants = ["A", "B"]
visibility = "private"
party = "A"

[[documents]]
id = "deal"
title = "Deal"
kind = "final"
[[documents.events]]
state = "draft"
round = "open"
[[documents.events]]
state = "agreed"
round = "backchannel"

[[items]]
document = "deal"
number = 1
title = "Cap"
settles = ["cap"]
proposes = { cap = 5 }
round = "open"
[[items.readouts]]
party = "A"
proposes = { cap = 4 }
round = "backchannel"

[[red_lines]]
id = "b-cap"
party = "B"
expr = "cap <= 6"
visibility = "public"
until = "backchannel"
ended = "conceded"
reason = "traded in the back channel"

[[demands]]
party = "A"
issue = "cap"
value = 3
round = "backchannel"

[[obligations]]
id = "o"
description = "Do it"

[[implementation]]
obligation = "o"
round = "backchannel"
score = 2
"#;
    let negotiation = parse(text);
    let outsider = into_view(negotiation.clone(), &Viewer::Public);
    let written = to_toml(&outsider);
    for secret in ["backchannel", "traded in the back channel", "conceded"] {
        assert!(!written.contains(secret), "the public view holds `{secret}`:\n{written}");
    }
    assert!(outsider.demands.is_empty() && outsider.implementation.is_empty());
    assert_eq!(outsider.documents[0].events.len(), 1);
    assert!(outsider.items[0].readouts.is_empty());
    // A participant sees it all.
    let insider = into_view(negotiation, &Viewer::Party("B".to_owned()));
    assert_eq!((insider.demands.len(), insider.implementation.len()), (1, 1));
}

//! A record's tracks brought up by `Tracks::extend` after stances were added at the end of its
//! list are exactly the tracks built for the whole record, and every answer computed from them is
//! the same: on every bundled scenario and test case, split at random points, with random stances
//! added (by parties, blocs and unknown names; on items, readouts and unknown items; at rounds,
//! dates, the start and unknown rounds).

use parley_core::model::{Moment, Negotiation, Position, Stance};
use parley_core::scenario;
use parley_core::status::{Record, Tracks};
use parley_core::timeline::Point;
use parley_core::visibility::{Viewer, into_view};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const SCENARIOS: [&str; 11] = [
    include_str!("../../../scenarios/ukraine-2025.toml"),
    include_str!("../../../scenarios/dockworkers-2026.toml"),
    include_str!("../../parley-cli/tests/cases/blocs.toml"),
    include_str!("../../parley-cli/tests/cases/readouts.toml"),
    include_str!("../../parley-cli/tests/cases/documents.toml"),
    include_str!("../../parley-cli/tests/cases/same-day.toml"),
    include_str!("../../parley-cli/tests/cases/stale-stances.toml"),
    include_str!("../../parley-cli/tests/cases/stance-on-earlier-version.toml"),
    include_str!("../../parley-cli/tests/cases/value-claims.toml"),
    include_str!("../../parley-cli/tests/cases/phases.toml"),
    include_str!("../../parley-cli/tests/cases/deadlines.toml"),
];

/// A stance made from the numbers `(who, item, at, position, readout, version)`, picking among
/// the names the record has (and one it does not).
fn stance(
    negotiation: &Negotiation,
    (who, item, at, position, readout, version): (usize, usize, usize, usize, bool, Option<usize>),
) -> Stance {
    let mut names: Vec<String> = negotiation.parties.iter().map(|party| party.id.clone()).collect();
    names.extend(negotiation.blocs.iter().map(|bloc| bloc.id.clone()));
    names.push("nobody".to_owned());
    let party = names[who % names.len()].clone();
    let (number, document) = match negotiation.items.get(item % (negotiation.items.len() + 1)) {
        Some(item) => (item.number, item.document.clone()),
        None => (999, String::new()),
    };
    let mut moments = vec![Moment::Start, Moment::Round("no-such-round".to_owned())];
    moments.extend(negotiation.rounds.iter().map(|round| Moment::Round(round.id.clone())));
    moments.extend(negotiation.stances.iter().map(|stance| stance.at.clone()));
    let readouts: Vec<String> = negotiation.items.iter().flat_map(|item| &item.readouts).map(|readout| readout.party.clone()).collect();
    Stance {
        party,
        item: number,
        position: Position::ALL[position % Position::ALL.len()],
        at: moments[at % moments.len()].clone(),
        source: "added".to_owned(),
        visibility: Default::default(),
        note: String::new(),
        document,
        version,
        readout: if readout && !readouts.is_empty() { readouts[at % readouts.len()].clone() } else { String::new() },
        bloc: None,
    }
}

#[test]
fn tracks_extended_by_added_stances_are_the_tracks_of_the_whole_record() {
    let loaded: Vec<Negotiation> = SCENARIOS.iter().map(|text| scenario::parse(text).expect("bundled scenario").negotiation).collect();
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    let added =
        (any::<usize>(), any::<usize>(), any::<usize>(), any::<usize>(), proptest::bool::weighted(0.2), proptest::option::of(0usize..3));
    let strategy = (0..loaded.len(), proptest::collection::vec(any::<usize>(), 1..4), proptest::collection::vec(added, 0..12));
    runner
        .run(&strategy, |(which, splits, added)| {
            let mut whole = loaded[which].clone();
            let new: Vec<Stance> = added.into_iter().map(|numbers| stance(&whole, numbers)).collect();
            whole.stances.extend(new.into_iter().map(std::sync::Arc::new));
            // Brought up in several steps, from a prefix of the list.
            let mut cuts: Vec<usize> = splits.iter().map(|split| split % (whole.stances.len() + 1)).collect();
            cuts.sort_unstable();
            let mut part = whole.clone();
            part.stances.truncate(cuts[0]);
            let mut tracks = Tracks::new(&part);
            // Every answer of the tracks brought up equals the answer of tracks built anew. The
            // statuses computed on the way stay kept with the tracks: those before the stances
            // added next must stay right, the others must not be kept.
            let same_answers = |part: &Negotiation, tracks: &Tracks| -> Result<(), TestCaseError> {
                let kept = Record::with_tracks(part, tracks);
                let fresh = Record::new(part);
                for point in &points(&fresh) {
                    let json = |record: &Record| serde_json::to_string(&record.status(point)).unwrap();
                    prop_assert_eq!(json(&kept), json(&fresh));
                }
                let claims = |record: &Record| serde_json::to_string(&record.check_claims()).unwrap();
                prop_assert_eq!(claims(&kept), claims(&fresh));
                Ok(())
            };
            same_answers(&part, &tracks)?;
            for &cut in cuts.iter().skip(1).chain([&whole.stances.len()]) {
                // A copy kept from before shares the items' tracks; extending must leave it as it was.
                let (kept, kept_of) = (tracks.clone(), part.clone());
                part.stances = whole.stances.range(..cut).cloned().collect();
                tracks.extend(&part);
                prop_assert_eq!(&kept, &Tracks::new(&kept_of));
                same_answers(&part, &tracks)?;
            }
            let built = Tracks::new(&whole);
            prop_assert_eq!(&tracks, &built);
            Ok(())
        })
        .unwrap();
}

/// Points to ask a record's status at: now, the start, every round and every date a stance or a
/// statement names.
fn points(record: &Record) -> Vec<Point> {
    let negotiation = record.negotiation;
    let mut texts = vec!["now".to_owned(), "start".to_owned()];
    texts.extend(negotiation.rounds.iter().map(|round| round.id.clone()));
    texts.extend(negotiation.stances.iter().filter_map(|stance| match &stance.at {
        Moment::Date(date) => Some(date.to_string()),
        _ => None,
    }));
    texts.extend(negotiation.statements.iter().map(|statement| statement.date.to_string()));
    texts.iter().filter_map(|text| record.point(text).ok()).collect()
}

/// What a view keeps of a stance depends on that stance and the rest of the record, never on the
/// other stances: the view of a record holding only some of its stances shows exactly the
/// stances of the whole view among them. The server relies on it to view only the stances added
/// since a view (`stances_added`) and only those a write's precondition looks at; a stance kept or
/// dropped because of another would make either tell a viewer something its export does not.
#[test]
fn a_view_keeps_each_stance_for_itself_and_the_rest_of_the_record() {
    let records = SCENARIOS.iter().chain([
        &include_str!("../../parley-cli/tests/cases/channels.toml"),
        &include_str!("../../parley-cli/tests/cases/visibility.toml"),
        &include_str!("../../parley-server/tests/data/ukraine-2025-private.toml"),
    ]);
    let mut checked = 0;
    for text in records {
        let whole = scenario::parse(text).expect("bundled scenario").negotiation;
        let viewers = [Viewer::Everything, Viewer::Public, Viewer::Mediator]
            .into_iter()
            .chain(whole.parties.iter().map(|party| Viewer::Party(party.id.clone())));
        for viewer in viewers {
            let shown: Vec<String> = into_view(whole.clone(), &viewer).stances.iter().map(|stance| json(stance)).collect();
            let keys: std::collections::BTreeSet<(String, u32, String)> =
                whole.stances.iter().map(|stance| (stance.party.clone(), stance.item, stance.document.clone())).collect();
            // By party, item and document (as a stance write's precondition takes them), and by
            // every suffix of the list (as the stances added since a view).
            let subsets = keys
                .iter()
                .map(|key| {
                    whole
                        .stances
                        .iter()
                        .filter(|stance| (&stance.party, stance.item, &stance.document) == (&key.0, key.1, &key.2))
                        .cloned()
                        .collect()
                })
                .chain((0..=whole.stances.len()).step_by(7).map(|start| whole.stances.range(start..).cloned().collect()));
            for subset in subsets {
                let subset: Vec<std::sync::Arc<Stance>> = subset;
                let wanted: Vec<String> = subset.iter().map(|stance| json(stance)).collect();
                let expected: Vec<&String> = shown.iter().filter(|stance| wanted.contains(stance)).collect();
                let viewed: Vec<String> =
                    into_view(whole.with_stances(subset.into()), &viewer).stances.iter().map(|stance| json(stance)).collect();
                assert_eq!(viewed.iter().collect::<Vec<_>>(), expected, "{viewer:?} on {}", whole.id);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

fn json(stance: &Stance) -> String {
    serde_json::to_string(stance).unwrap()
}
